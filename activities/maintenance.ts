import { heartbeat } from '@temporalio/activity';
import type { Db } from '../lib/prisma';

/** Rows deleted per statement: short transactions, no long lock on a busy table. */
const BATCH = 5_000;

export function createMaintenanceActivities({ db }: { db: Db }) {
  return {
    /** Deletes Idempotency-Key records created before `before`, in batches. Idempotent. */
    async purgeIdempotencyRecords(input: { before: string }): Promise<{ deleted: number }> {
      const before = new Date(input.before);
      let deleted = 0;
      for (;;) {
        const n = await db.$executeRaw`
          DELETE FROM "IdempotencyRecord" WHERE ctid IN (
            SELECT ctid FROM "IdempotencyRecord" WHERE "createdAt" < ${before} LIMIT ${BATCH})`;
        deleted += n;
        heartbeat({ deleted });
        if (n < BATCH) return { deleted };
      }
    },
  };
}

export type MaintenanceActivities = ReturnType<typeof createMaintenanceActivities>;
