import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { Actor } from '../../workflows/procedure/contract';
import { actorOf, type Principal } from '../auth';
import { fromTemporal } from '../errors';

/**
 * Sends a decision to a case as an update signed by the caller. The Idempotency-Key, when given,
 * is the update id, so a retried request takes effect once; a refusal becomes a typed ApiError.
 */
export function decide<Ret, Cmd extends { actor: Actor }>(
  handle: WorkflowHandle,
  update: UpdateDefinition<Ret, [Cmd]>,
  me: Principal,
  body: Omit<Cmd, 'actor'>,
  idempotencyKey?: string,
): Promise<Ret> {
  return handle
    .executeUpdate(update, { args: [{ ...body, actor: actorOf(me) } as Cmd], updateId: idempotencyKey ?? randomUUID() })
    .catch(fromTemporal);
}
