/**
 * A case whose history passes its bound continues as new at its next stage and carries its state:
 * the stage it stands at, its rounds, its newest history entries and the projection's watermark.
 * The bound is forced low (the API's `historyBoundEvents`; HISTORY_BOUND_EVENTS in production,
 * default 10 000) so that a household exit (000 篇三 第四十条) runs over several runs; it must read,
 * sign and end exactly as in one run. Time-skipping server.
 */
import { createApp } from '../api/app';
import { agentOf, runsOf, startStack, type Stack } from './helpers/stack';

let s: Stack;
let bounded: Stack;
beforeAll(async () => {
  s = await startStack('time-skipping', { tag: 'can', townships: 1, villagesPerTownship: 1, householdsPerVillage: 2 });
  const app = createApp({ db: s.db, temporal: s.env.client, historyBoundEvents: 20 });
  bounded = { ...s, app, as: agentOf(app) };
});
afterAll(async () => s?.stop());

test('a household exit over several runs reads, signs and ends as one: no entry lost, none twice', async () => {
  const village = s.tree.villages[0];
  const township = s.tree.townships[0];
  const county = s.tree.county;
  const household = s.tree.households.find((h) => h.villageId === village.id)!;
  const workflowId = `household-exit:${household.id}:2026`;
  const started = await bounded.as(village.tokens.STAFF).post('/procedures/household-exit', { householdId: household.id, year: 2026 });
  expect(started.status).toBe(201);
  const caseId: string = started.body.caseId;
  const sign = (token: string, stageKey: string, extra: object = {}) =>
    bounded.as(token).post(`/procedures/${caseId}/sign-off`, { stageKey, decision: 'approve', ...extra });
  const runsSoFar = () => runsOf(s.env.client, workflowId);


  expect((await sign(village.tokens.STAFF, 'village_appraisal')).status).toBe(200);
  expect((await sign(village.tokens.DEPUTY, 'village_verification', { confirmations: ['household_acknowledged'] })).status).toBe(200);
  await s.env.sleep('8 days'); // 村内公示
  const midway = await s.as(township.tokens.STAFF).get(`/procedures/${caseId}`);
  expect(midway.body.currentStageKey).toBe('township_verification');
  expect(await runsSoFar()).toBeGreaterThan(1); // the bound was passed: the case runs on in a new run
  // a decision on a stage signed in an earlier run is still refused as such
  expect((await sign(village.tokens.DEPUTY, 'village_verification', { confirmations: ['household_acknowledged'] })).status).toBe(409);

  expect((await sign(township.tokens.STAFF, 'township_verification')).status).toBe(200);
  await s.env.sleep('8 days'); // 乡镇公示
  expect((await sign(county.tokens.DEPUTY, 'county_approval')).status).toBe(200);
  expect((await sign(county.tokens.STAFF, 'announcement')).status).toBe(200);
  const done = await s.env.client.workflow.getHandle(workflowId).result();
  expect(done.status).toBe('COMPLETED');
  const runs = await runsSoFar();
  expect(runs).toBeGreaterThanOrEqual(3);

  const view = await s.as(county.tokens.LEADER).get(`/procedures/${caseId}`);
  expect(view.body.status).toBe('COMPLETED');
  // one gap-free trail across the runs: seq 1..n, each entry once, the stages in order
  const seqs = view.body.history.map((h: { seq: number }) => h.seq);
  expect(seqs).toEqual(seqs.map((_: number, i: number) => i + 1));
  const trail = view.body.history
    .filter((h: { action: string }) => h.action === 'STAGE_ENTERED' || h.action === 'APPROVED' || h.action === 'COMPLETED')
    .map((h: { action: string; stageKey: string; round: number }) => `${h.action}:${h.stageKey}#${h.round}`);
  expect(trail).toEqual([
    'STAGE_ENTERED:village_appraisal#1',
    'APPROVED:village_appraisal#1',
    'STAGE_ENTERED:village_verification#2',
    'APPROVED:village_verification#2',
    'STAGE_ENTERED:village_notice#3',
    'STAGE_ENTERED:township_verification#4',
    'APPROVED:township_verification#4',
    'STAGE_ENTERED:township_notice#5',
    'STAGE_ENTERED:county_approval#6',
    'APPROVED:county_approval#6',
    'STAGE_ENTERED:announcement#7',
    'APPROVED:announcement#7',
    'STAGE_ENTERED:registry_marking#8',
    'COMPLETED:registry_marking#8',
  ]);
  // one task per stage visit, never announced twice by a continued run
  const tasks = view.body.history.filter((h: { action: string }) => h.action === 'TASK_ASSIGNED').map((h: { round: number }) => h.round);
  expect(new Set(tasks).size).toBe(tasks.length);
  expect(await s.db.household.findUniqueOrThrow({ where: { id: household.id } })).toMatchObject({ status: 'EXITED', exitYear: 2026 });
  // the final run carries only the newest entries in its input, never the whole history
  const last = await s.env.client.workflow.getHandle(workflowId).fetchHistory();
  const carried = last.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
  expect(carried && JSON.parse(Buffer.from(carried).toString('utf8')).carried.history.length).toBeLessThanOrEqual(50);
});
