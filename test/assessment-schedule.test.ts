/**
 * The calendar runs by itself: a Temporal schedule per assessing unit starts its assessment every
 * December in China time (dev server: the time-skipping server has no schedules). The scheduled run
 * and a manual start share the one id `assessment:<assessor>:<year>`: whichever comes second finds
 * the first (409 AssessmentExists, or the starter reports it already started).
 */
import type { ScheduleHandle } from '@temporalio/client';
import { assessmentScheduleId } from '../workflows/assessment/contract';
import { chinaYear } from '../workflows/assessment/definition';
import { eventually, recordHistory, startStack, type Stack } from './helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('dev', { tag: 'sch', counties: 2, townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
});
afterAll(async () => s?.stop());

test('given a province, when it sets its December date, then its schedule starts that year’s assessment', async () => {
  const { province, counties } = s.tree;
  expect((await s.as(s.tree.county.tokens.LEADER).put('/admin/assessment-schedule', { day: 18 })).status).toBe(403);
  const set = await s.as(province.tokens.LEADER).put('/admin/assessment-schedule', { day: 18 });
  expect(set.status).toBe(200);
  expect(set.body).toMatchObject({ month: 12, day: 18, hour: 9, timezone: 'Asia/Shanghai' });
  const handle = s.env.client.schedule.getHandle(assessmentScheduleId(province.id));
  const year = chinaYear(Date.now());
  const nextRun = async () => (await handle.describe()).info.nextActionTimes[0].toISOString();
  // the next 09:00 in Beijing on that day (this year's, unless it has passed)
  const next = (day: number) => {
    const thisYear = `${year}-12-${day}T01:00:00.000Z`;
    return Date.parse(thisYear) > Date.now() ? thisYear : `${year + 1}-12-${day}T01:00:00.000Z`;
  };
  expect(await nextRun()).toBe(next(18));
  // setting it again updates the same schedule
  expect((await s.as(province.tokens.DEPUTY).put('/admin/assessment-schedule', {})).body.day).toBe(20);
  expect(await nextRun()).toBe(next(20));

  await handle.trigger();
  // the scheduled run starts the year's assessment under its one id, the id a manual start uses
  const id = `assessment:${province.id}:${year}`;
  const row = await eventually(() => s.db.assessment.findUnique({ where: { id } }), 30_000);
  expect(row.workflowId).toBe(id);
  expect(await scheduledResult(handle, 1)).toEqual({ assessmentId: id, alreadyStarted: false });
  await recordHistory(s.env, (await handle.describe()).info.recentActions[0].action.workflow.workflowId, 'assessment-national-v1-scheduled-start');
  // the province assesses its city and both counties
  await eventually(async () => (await s.db.procedure.count({ where: { type: 'self-summary', year, subjectId: { in: [s.tree.city.id, ...counties.map((c) => c.id)] } } })) === 3, 30_000);
  // a manual start of the same year is refused by Temporal's id uniqueness
  const manual = await s.as(province.tokens.LEADER).post('/assessments', { year });
  expect(manual.status).toBe(409);
  expect(manual.body.error.code).toBe('AssessmentExists');
  // a second scheduled run of the same year finds the first and stops
  await handle.trigger();
  expect(await scheduledResult(handle, 2)).toEqual({ assessmentId: id, alreadyStarted: true });
  expect(await s.db.assessment.count({ where: { assessorUnitId: province.id, year } })).toBe(1);
  expect(await s.db.procedure.count({ where: { type: 'self-summary', year, orgPath: { startsWith: province.path } } })).toBe(3);
  await handle.delete();
});

test('given a manual start, when the schedule fires in the same year, then the scheduled run finds it and starts nothing', async () => {
  const tree = await s.addTree({ tag: 'scm', counties: 1, townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
  const year = chinaYear(Date.now());
  const manual = await s.as(tree.province.tokens.LEADER).post('/assessments', { year });
  expect(manual.status).toBe(201);
  const id = `assessment:${tree.province.id}:${year}`;
  expect(manual.body.id).toBe(id);
  const { runId } = await s.env.client.workflow.getHandle(id).describe();
  expect((await s.as(tree.province.tokens.LEADER).put('/admin/assessment-schedule', {})).status).toBe(200);
  const handle = s.env.client.schedule.getHandle(assessmentScheduleId(tree.province.id));
  await handle.trigger();
  expect(await scheduledResult(handle, 1)).toEqual({ assessmentId: id, alreadyStarted: true });
  // still the manual run, and one self-summary case per assessed unit
  expect((await s.env.client.workflow.getHandle(id).describe()).runId).toBe(runId);
  await eventually(async () => (await s.db.assessment.findUnique({ where: { id } }))?.workflowId === id, 30_000);
  await eventually(async () => (await s.db.procedure.count({ where: { type: 'self-summary', year, orgPath: { startsWith: tree.province.path } } })) === 2, 30_000);
  await handle.delete();
});

/** The result of the schedule's `n`-th run (the thin starter). */
async function scheduledResult(handle: ScheduleHandle, n: number): Promise<unknown> {
  const action = await eventually(async () => (await handle.describe()).info.recentActions[n - 1], 30_000);
  return s.env.client.workflow.getHandle(action.action.workflow.workflowId, action.action.workflow.firstExecutionRunId).result();
}
