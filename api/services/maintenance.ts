/** Housekeeping schedules: the hourly purge of stored Idempotency-Key responses past their retention. */
import { Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { PURGE_SCHEDULE_ID, PurgeInput } from '../../workflows/maintenance/contract';
import { TASK_QUEUE } from '../../workflows/procedure/contract';

/** Creates or updates the hourly purge of stored Idempotency-Key responses. Idempotent. */
export async function ensurePurgeSchedule(temporal: Client, retentionHours: number): Promise<{ scheduleId: string }> {
  const input = PurgeInput.parse({ retentionHours });
  const spec = { intervals: [{ every: '1 hour' as const }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'purgeIdempotencyKeysWorkflow',
    taskQueue: TASK_QUEUE,
    workflowId: 'maintenance:purge-idempotency-keys-run',
    args: [input],
  };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' as const };
  try {
    await temporal.schedule.create({ scheduleId: PURGE_SCHEDULE_ID, spec, action, policies, memo: { kind: 'maintenance' } });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await temporal.schedule.getHandle(PURGE_SCHEDULE_ID).update((prev) => ({ ...prev, spec, action, policies }));
  }
  return { scheduleId: PURGE_SCHEDULE_ID };
}
