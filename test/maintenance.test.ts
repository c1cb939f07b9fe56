/**
 * Housekeeping on the dev server (it has schedules): stored Idempotency-Key responses past their
 * retention are purged by the hourly schedule; younger ones keep replaying.
 */
import { ensurePurgeSchedule } from '../api/services/maintenance';
import { PURGE_SCHEDULE_ID } from '../workflows/maintenance/contract';
import { eventually, startStack, type Stack } from './helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('dev', { tag: 'mnt', townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
});
afterAll(async () => s?.stop());

test('given stored Idempotency-Key responses, when the hourly purge runs, then only those past the retention are forgotten', async () => {
  const village = s.tree.villages[0];
  const household = s.tree.households[0];
  const key = `mnt-${household.id}`;
  const start = () =>
    s.as(village.tokens.STAFF).post('/procedures/household-exit', { householdId: household.id, year: 2026 }, { 'Idempotency-Key': key });
  const first = await start();
  expect(first.status).toBe(201);
  expect((await start()).headers['idempotent-replayed']).toBe('true');

  const personId = village.people.STAFF;
  const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
  await s.db.idempotencyRecord.createMany({
    data: [
      { personId, key: 'mnt-old-000001', route: 'POST /procedures/x/sign-off', requestHash: 'h', statusCode: 200, responseBody: {}, createdAt: hoursAgo(25) },
      { personId, key: 'mnt-old-000002', route: 'POST /procedures/x/sign-off', requestHash: 'h', createdAt: hoursAgo(48) },
      { personId, key: 'mnt-new-000003', route: 'POST /procedures/x/sign-off', requestHash: 'h', statusCode: 200, responseBody: {}, createdAt: hoursAgo(23) },
    ],
  });

  const { scheduleId } = await ensurePurgeSchedule(s.env.client, 24);
  expect(scheduleId).toBe(PURGE_SCHEDULE_ID);
  await ensurePurgeSchedule(s.env.client, 24); // again: updates, never a second schedule
  const handle = s.env.client.schedule.getHandle(scheduleId);
  const described = await handle.describe();
  expect(described.spec.intervals).toMatchObject([{ every: 3_600_000 }]);
  expect(described.action).toMatchObject({ workflowType: 'purgeIdempotencyKeysWorkflow', args: [{ retentionHours: 24 }] });

  await handle.trigger();
  const mine = async () => (await s.db.idempotencyRecord.findMany({ where: { personId }, orderBy: { key: 'asc' } })).map((r) => r.key);
  expect(await eventually(async () => ((await mine()).includes('mnt-old-000001') ? undefined : mine()), 30_000)).toEqual([key, 'mnt-new-000003']);
  // the purge ran as a workflow and says what it did
  const run = await eventually(async () => {
    const d = await handle.describe();
    return d.info.recentActions[0]?.action.workflow;
  });
  const result = await s.env.client.workflow.getHandle(run.workflowId, run.firstExecutionRunId).result();
  expect(result.deleted).toBeGreaterThanOrEqual(2);
  // a young key still replays its response
  const again = await start();
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(again.body.caseId).toBe(first.body.caseId);
  await handle.delete();
});
