/**
 * Housekeeping runs, shared by the worker and whoever schedules them (scripts/schedules.ts): the
 * purge of stored Idempotency-Key responses past their retention.
 */
import { z } from 'zod';

export const PURGE_SCHEDULE_ID = 'maintenance:purge-idempotency-keys';

export const PurgeInput = z.object({
  /** responses to Idempotency-Key requests are replayed for this long, then forgotten */
  retentionHours: z.number().int().min(1).max(24 * 365),
});
export type PurgeInput = z.infer<typeof PurgeInput>;

export interface PurgeResult {
  /** records created before this instant were deleted */
  before: string;
  deleted: number;
}
