import * as wf from '@temporalio/workflow';
import { ApplicationFailure } from '@temporalio/workflow';
import type { MaintenanceActivities } from '../../activities/maintenance';
import { FailureType } from '../shared/refuse';
import { PurgeInput, type PurgeResult } from './contract';

const { purgeIdempotencyRecords } = wf.proxyActivities<MaintenanceActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes' },
});

/**
 * Forgets Idempotency-Key responses older than the retention (hourly, from a schedule). A key
 * repeated after that runs again: a start then meets the case's workflow id (409) and a sign-off
 * meets its signed stage (409), so nothing takes effect twice.
 */
export async function purgeIdempotencyKeysWorkflow(input: PurgeInput): Promise<PurgeResult> {
  if (!PurgeInput.safeParse(input).success) {
    throw ApplicationFailure.create({ type: FailureType.InvalidInput, message: 'retentionHours must be a whole number of hours', nonRetryable: true });
  }
  const before = new Date(Date.now() - input.retentionHours * 3_600_000).toISOString();
  const { deleted } = await purgeIdempotencyRecords({ before });
  return { before, deleted };
}
