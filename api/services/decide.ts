import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { Actor } from '../../workflows/procedure/contract';
import { actorOf, type Principal } from '../auth';
import { fromTemporal } from '../errors';

/** How long a request waits for its decision by default (DECISION_WAIT_SECONDS). */
export const DEFAULT_DECISION_WAIT_MS = 30_000;

/**
 * Sends a decision to a case as an update signed by the caller. The Idempotency-Key, when given,
 * is the update id, so a retried request takes effect once; a refusal becomes a typed ApiError.
 * The wait is bounded: when no worker takes the decision up within `waitMs` (workers down), the
 * caller gets 503 DecisionPending and repeats with the same key (the same update) later.
 */
export function decide<Ret, Cmd extends { actor: Actor }>(
  handle: WorkflowHandle,
  update: UpdateDefinition<Ret, [Cmd]>,
  me: Principal,
  body: Omit<Cmd, 'actor'>,
  idempotencyKey?: string,
  waitMs = DEFAULT_DECISION_WAIT_MS,
): Promise<Ret> {
  const args: [Cmd] = [{ ...body, actor: actorOf(me) } as Cmd];
  return handle.client
    .withDeadline(Date.now() + waitMs, () => handle.executeUpdate(update, { args, updateId: idempotencyKey ?? randomUUID() }))
    .catch(fromTemporal);
}
