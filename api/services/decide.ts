import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import type { Actor } from '../../workflows/procedure/contract';
import { actorOf, type Principal } from '../auth';
import { conflict, fromTemporal } from '../errors';
import { noteTemporal, requestUpdateId } from '../request-context';

/** How long a request waits for its decision by default (DECISION_WAIT_SECONDS). */
export const DEFAULT_DECISION_WAIT_MS = 30_000;

/**
 * The Temporal update id of a decision sent with an Idempotency-Key: scoped to the person, so two
 * people who happen to use the same key send two decisions, and one person's retry is one.
 */
export const decisionUpdateId = (me: Principal, idempotencyKey: string) => `${me.personId}:${idempotencyKey}`;

/**
 * The outcome of an update this person already sent with this key, if the workflow has it (also
 * once the case has closed), else undefined.
 */
export async function priorOutcome<Ret>(handle: WorkflowHandle, me: Principal, idempotencyKey: string, waitMs = 5_000): Promise<Ret | undefined> {
  try {
    return await handle.client.withDeadline(Date.now() + waitMs, () => handle.getUpdateHandle<Ret>(decisionUpdateId(me, idempotencyKey)).result());
  } catch {
    return undefined;
  }
}

/**
 * Sends a decision to a case as an update signed by the caller. The Idempotency-Key, when given,
 * names the update (`person:key`), so a retried request takes effect once and answers with the
 * first outcome, even when that decision closed the case; a refusal becomes a typed ApiError.
 * The wait is bounded: when no worker takes the decision up within `waitMs` (workers down), the
 * caller gets 503 DecisionPending and repeats with the same key (the same update) later.
 */
export async function decide<Ret, Cmd extends { actor: Actor }>(
  handle: WorkflowHandle,
  update: UpdateDefinition<Ret, [Cmd]>,
  me: Principal,
  body: Omit<Cmd, 'actor'>,
  idempotencyKey?: string,
  waitMs = DEFAULT_DECISION_WAIT_MS,
): Promise<Ret> {
  const args: [Cmd] = [{ ...body, actor: actorOf(me) } as Cmd];
  // without a key, the update id starts with the request id (X-Request-Id): the decision is found in the history by it
  const updateId = idempotencyKey ? decisionUpdateId(me, idempotencyKey) : requestUpdateId();
  noteTemporal(handle.workflowId, updateId);
  try {
    return await handle.client.withDeadline(Date.now() + waitMs, () => handle.executeUpdate(update, { args, updateId }));
  } catch (err) {
    // the case closed: if this very decision closed it (a retry after a lost answer), answer with its outcome
    if (err instanceof WorkflowNotFoundError && idempotencyKey) {
      const prior = await priorOutcome<Ret>(handle, me, idempotencyKey);
      if (prior !== undefined) return prior;
    }
    return fromTemporal(err);
  }
}

/** A case's workflow as a decision finds it: open, or closed (with what to say about it). */
export interface DecisionTarget {
  handle: WorkflowHandle;
  open: boolean;
  /** e.g. "case is completed" */
  closedMessage: string;
}

/**
 * `decide` on a case read from the projection. A closed case refuses new decisions (409
 * CaseClosed), except that a decision repeated with its Idempotency-Key answers with its first
 * outcome: the decision that closed the case, retried after its answer was lost, is not refused.
 */
export async function decideOn<Ret, Cmd extends { actor: Actor }>(
  target: DecisionTarget,
  update: UpdateDefinition<Ret, [Cmd]>,
  me: Principal,
  body: Omit<Cmd, 'actor'>,
  idempotencyKey?: string,
  waitMs = DEFAULT_DECISION_WAIT_MS,
): Promise<Ret> {
  if (!target.open) {
    const prior = idempotencyKey ? await priorOutcome<Ret>(target.handle, me, idempotencyKey) : undefined;
    if (prior !== undefined) return prior;
    throw conflict('CaseClosed', target.closedMessage);
  }
  return decide(target.handle, update, me, body, idempotencyKey, waitMs);
}
