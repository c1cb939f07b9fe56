/**
 * The calendar runs by itself: a Temporal schedule per assessing unit starts its assessment every
 * December in China time (dev server: the time-skipping server has no schedules).
 */
import { assessmentScheduleId } from '../workflows/assessment/contract';
import { chinaYear } from '../workflows/assessment/definition';
import { eventually, startStack, type Stack } from './helpers/stack';

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
  const row = await eventually(() => s.db.assessment.findUnique({ where: { id: `assessment:${province.id}:${year}` } }), 30_000);
  expect(row.workflowId).toMatch(/^assessment-run:/);
  // the province assesses its city and both counties
  await eventually(async () => (await s.db.procedure.count({ where: { type: 'self-summary', year, subjectId: { in: [s.tree.city.id, ...counties.map((c) => c.id)] } } })) === 3, 30_000);
  // a second run of the same year sees the first and stops
  await handle.trigger();
  await new Promise((r) => setTimeout(r, 2000));
  expect(await s.db.assessment.count({ where: { assessorUnitId: province.id, year } })).toBe(1);
  await handle.delete();
});
