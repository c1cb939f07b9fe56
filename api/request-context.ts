/**
 * The request a service is working for: its id (X-Request-Id) and what it did on Temporal. The
 * request-log middleware (api/observe.ts) opens one per request; the services read it to put the
 * request id in a started workflow's memo and in a decision's update id, and note the workflow and
 * update ids for the request's log line. Outside a request (scripts, schedules) there is none.
 *
 * Kept in AsyncLocalStorage so that the id reaches the services without every route and service
 * signature carrying it. The storage holds one context per request, never one per app: several
 * apps in one process (the tests) do not meet.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** A caller's request id is kept if it is a short safe token, else replaced by a fresh one. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export interface RequestContext {
  requestId: string;
  /** workflows the request started or sent an update to (the first few) */
  workflowIds: string[];
  /** updates the request sent (the first few) */
  updateIds: string[];
}

/** How many workflow and update ids a request's log line carries (a bulk start starts hundreds). */
const NOTED = 20;

const storage = new AsyncLocalStorage<RequestContext>();

/** The request id to use for a request whose header is `header`. */
export function requestIdOf(header: string | undefined): string {
  return header !== undefined && SAFE_REQUEST_ID.test(header) ? header : randomUUID();
}

export const newRequestContext = (requestId: string): RequestContext => ({ requestId, workflowIds: [], updateIds: [] });

/** Runs `fn` (the rest of the request) inside `context`. */
export function runInRequest<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The request being served, if any. */
export const currentRequest = (): RequestContext | undefined => storage.getStore();

/** A started workflow's memo entry naming the request that started it (nothing outside a request). */
export function requestMemo(): { requestId?: string } {
  const context = storage.getStore();
  return context ? { requestId: context.requestId } : {};
}

/**
 * The update id of a decision sent without an Idempotency-Key: the request id and a random part
 * (a client may repeat its request id; two requests are two decisions), or a random one outside
 * a request.
 */
export function requestUpdateId(): string {
  const context = storage.getStore();
  return context ? `${context.requestId}:${randomUUID()}` : randomUUID();
}

/** Notes, for the request's log line, a workflow it started or updated and the update's id. */
export function noteTemporal(workflowId: string, updateId?: string): void {
  const context = storage.getStore();
  if (!context) return;
  if (context.workflowIds.length < NOTED && !context.workflowIds.includes(workflowId)) context.workflowIds.push(workflowId);
  if (updateId && context.updateIds.length < NOTED) context.updateIds.push(updateId);
}
