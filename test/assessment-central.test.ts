/**
 * The top of the calendar: the central leading group (国务院扶贫开发领导小组) assesses the provinces
 * (003 篇二 第二条、第四条), on the same assessment workflow and self-summary engine as a province
 * assessing its cities and counties (time-skipping server). A province late with its summary climbs
 * the ladder to the central leading group; grades and problems reach the provinces.
 */
import { chinaYear } from '../workflows/assessment/definition';
import { eventually, startStack, type Stack } from './helpers/stack';
import type { DemoTree } from '../lib/demo';

let s: Stack;
let gansu: DemoTree;
beforeAll(async () => {
  s = await startStack('time-skipping', { tag: 'cen', central: true, townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
  gansu = await s.addTree({ tag: 'cen', central: s.tree.central!, provinceName: '甘肃省', profile: 'gansu', western: true, townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
});
afterAll(async () => s?.stop());

test('given the central leading group, when it assesses the year, then the provinces summarise, a late one is escalated to it, and grades follow', async () => {
  const central = s.tree.central!;
  const shanxi = s.tree.province;
  const year = chinaYear(await s.env.currentTimeMs());
  expect(shanxi.path).toBe(`${central.path}${shanxi.id}/`);
  // the central staff cannot start it (a deputy in charge or main leader does); the leader can
  expect((await s.as(central.tokens.STAFF).post('/assessments', { year })).status).toBe(403);
  const started = await s.as(central.tokens.LEADER).post('/assessments', { year });
  expect(started.status).toBe(201);
  const id: string = started.body.id;

  // the provinces, and only they, get a self-summary case (cities and counties are the provinces' to assess)
  const selfSummaryOf = (unitId: string) => eventually(() => s.db.procedure.findFirst({ where: { type: 'self-summary', subjectId: unitId, year } }));
  const shanxiCase = await selfSummaryOf(shanxi.id);
  const gansuCase = await selfSummaryOf(gansu.province.id);
  expect(await s.db.procedure.count({ where: { type: 'self-summary', year, subjectId: { in: [s.tree.city.id, s.tree.county.id, gansu.city.id] } } })).toBe(0);
  expect(shanxiCase.dueAt?.toISOString()).toBe(`${year + 1}-01-10T16:00:00.000Z`);
  const summary = { stageKey: 'self_summary', decision: 'approve', comment: `${year}年度脱贫攻坚工作总结`, indicators: { poverty_reduction: 250000 } };
  expect((await s.as(shanxi.tokens.LEADER).post(`/procedures/${shanxiCase.id}/sign-off`, summary)).status).toBe(200);

  // Gansu misses the date: its deputy, its leader, then the central leading group (the rung one level up)
  await s.env.sleep(Date.parse(`${year + 1}-01-17T18:00:00Z`) - (await s.env.currentTimeMs()));
  const rungs = await eventually(async () => {
    const rows = await s.db.escalation.findMany({ where: { procedureId: gansuCase.id }, orderBy: { rung: 'asc' } });
    return rows.length === 3 ? rows : undefined;
  });
  expect(rungs.map((r) => [r.rung, r.orgUnitId])).toEqual([
    [1, gansu.province.id],
    [2, gansu.province.id],
    [3, central.id],
  ]);
  const told = await s.db.notification.findMany({ where: { procedureId: gansuCase.id, kind: 'ESCALATION', recipientId: { in: [central.people.LEADER, central.people.DEPUTY] } } });
  expect(told).toHaveLength(2);
  expect(await s.db.escalation.count({ where: { procedureId: shanxiCase.id } })).toBe(0);
  expect((await s.as(gansu.province.tokens.DEPUTY).post(`/procedures/${gansuCase.id}/sign-off`, summary)).status).toBe(200);

  // third-party evaluation, then grades and problems, approval and feedback
  const step = async (want: string) => eventually(async () => (await s.db.assessment.findUnique({ where: { id } }))?.step === want);
  await step('third_party_evaluation');
  for (const [unitId, accuracy] of [[shanxi.id, 0.99], [gansu.province.id, 0.9]] as const) {
    const r = await s.as(central.tokens.STAFF).post(`/assessments/${id}/evaluations`, { unitId, values: { identification_accuracy: accuracy, satisfaction: 0.92 }, source: '第三方评估机构' });
    expect(r.status).toBe(200);
  }
  await step('comprehensive_evaluation');
  const results = {
    results: [
      { unitId: shanxi.id, grade: '好', problems: [] },
      { unitId: gansu.province.id, grade: '一般', problems: [{ type: 'low_accuracy_or_satisfaction', description: '贫困人口识别准确率偏低' }] },
    ],
  };
  expect((await s.as(central.tokens.DEPUTY).post(`/assessments/${id}/results`, results)).status).toBe(200);
  await step('approval');
  expect((await s.as(central.tokens.LEADER).post(`/assessments/${id}/approval`, { decision: 'approve' })).status).toBe(200);
  await eventually(async () => (await s.db.assessment.findUnique({ where: { id } }))?.status === 'COMPLETED');

  // each province reads its own grade; Gansu's leaders are interviewed and it rectifies
  expect((await s.as(shanxi.tokens.LEADER).get(`/assessments?year=${year}`)).body.myGrades).toMatchObject([{ year, grade: '好' }]);
  expect((await s.as(gansu.province.tokens.LEADER).get(`/assessments?year=${year}`)).body.myGrades).toMatchObject([{ year, grade: '一般' }]);
  const done = await s.as(central.tokens.LEADER).get(`/assessments/${id}`);
  expect(done.body.interviews).toMatchObject([{ unitId: gansu.province.id, addresseeIds: [gansu.province.people.LEADER] }]);
  const rectification = await eventually(() => s.db.rectification.findUnique({ where: { id: `rectification:${central.id}:${gansu.province.id}:${year}` } }));
  expect(rectification.unitPath).toBe(gansu.province.path);
  // the assessment is the central group's: a province reads its own part, not the other's rectification
  expect((await s.as(shanxi.tokens.LEADER).get(`/rectifications/${rectification.id}`)).status).toBe(403);
});
