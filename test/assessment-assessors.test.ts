/**
 * Two assessors, one county (002 (二十七): the province assesses its cities and counties, the city
 * its counties — definitions/assessment/national.v1.json `assessed`), on the time-skipping server:
 * the province's and the city's assessments of the same year each get their own self-summary case
 * and their own rectification of a county (the assessor is in every child workflow id), and an
 * assessed county reads only its own part of an assessment — not its neighbour's grade, problems,
 * evaluation, events or interview.
 */
import { chinaYear } from '../workflows/assessment/definition';
import { eventually, startStack, type Stack } from './helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('time-skipping', { tag: 'asa', counties: 2, townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
});
afterAll(async () => s?.stop());

test('given the province and the city, when both assess the same counties in the same year, then both run, and each county reads only its own part', async () => {
  const { province, city } = s.tree;
  const [a, b] = s.tree.counties;
  const year = chinaYear(await s.env.currentTimeMs());
  const byProvince = await s.as(province.tokens.LEADER).post('/assessments', { year });
  const byCity = await s.as(city.tokens.LEADER).post('/assessments', { year });
  expect([byProvince.status, byCity.status]).toEqual([201, 201]);
  const provinceRun: string = byProvince.body.id;
  const cityRun: string = byCity.body.id;

  // every county has one self-summary case per assessor; the city one (the province's)
  const casesOf = (unitId: string, count: number) =>
    eventually(async () => {
      const rows = await s.db.procedure.findMany({ where: { type: 'self-summary', subjectId: unitId, year }, orderBy: { workflowId: 'asc' } });
      return rows.length === count ? rows : undefined;
    }, 20_000);
  for (const county of [a, b]) {
    const rows = await casesOf(county.id, 2);
    expect(rows.map((r) => r.workflowId).sort()).toEqual([`self-summary:${city.id}:${county.id}:${year}`, `self-summary:${province.id}:${county.id}:${year}`].sort());
  }
  const cityCases = await casesOf(city.id, 1);
  // neither assessment failed: both wait at the self-summary step
  for (const id of [provinceRun, cityRun]) {
    expect((await s.env.client.workflow.getHandle(id).describe()).status.name).toBe('RUNNING');
    await eventually(async () => (await s.db.assessment.findUnique({ where: { id } }))?.step === 'self_summary');
  }

  // an assessed county reads its own part of the running assessment (the live view too)
  const mine = await s.as(a.tokens.LEADER).get(`/assessments/${cityRun}`);
  expect(mine.status).toBe(200);
  expect(mine.body.units.map((u: { unitId: string }) => u.unitId)).toEqual([a.id]);
  expect(mine.body.live.units.map((u: { unitId: string }) => u.unitId)).toEqual([a.id]);
  expect(JSON.stringify(mine.body)).not.toContain(b.id);

  // every case is signed by its county (or city), each assessment moves on
  const summary = { stageKey: 'self_summary', decision: 'approve', comment: `${year}年度脱贫攻坚工作总结`, indicators: { poverty_reduction: 300 } };
  for (const [unit, rows] of [[a, await casesOf(a.id, 2)], [b, await casesOf(b.id, 2)], [city, cityCases]] as const) {
    for (const row of rows) expect((await s.as(unit.tokens.LEADER).post(`/procedures/${row.id}/sign-off`, summary)).status).toBe(200);
  }
  const step = (id: string, want: string) => eventually(async () => (await s.db.assessment.findUnique({ where: { id } }))?.step === want);
  await step(provinceRun, 'third_party_evaluation');
  await step(cityRun, 'third_party_evaluation');
  const evaluate = (token: string, id: string, unitId: string) =>
    s.as(token).post(`/assessments/${id}/evaluations`, { unitId, values: { identification_accuracy: 0.95, satisfaction: 0.93 }, source: '第三方评估机构' });
  for (const unitId of [city.id, a.id, b.id]) expect((await evaluate(province.tokens.STAFF, provinceRun, unitId)).status).toBe(200);
  for (const unitId of [a.id, b.id]) expect((await evaluate(city.tokens.STAFF, cityRun, unitId)).status).toBe(200);
  await step(provinceRun, 'comprehensive_evaluation');
  await step(cityRun, 'comprehensive_evaluation');

  // both find problems in both counties; the city's finding in county B is B's alone to read
  const secretOfB = '岚县扶贫资金滞留问题（市考核）';
  const provinceResults = {
    results: [
      { unitId: city.id, grade: '好', problems: [] },
      { unitId: a.id, grade: '较好', problems: [{ type: 'plan_not_completed', description: '临县易地搬迁任务未完成（省考核）' }] },
      { unitId: b.id, grade: '一般', problems: [{ type: 'funds_violation', description: '岚县扶贫资金滞留问题（省考核）' }] },
    ],
  };
  const cityResults = {
    results: [
      { unitId: a.id, grade: '较好', problems: [{ type: 'low_accuracy_or_satisfaction', description: '临县识别准确率偏低（市考核）' }] },
      { unitId: b.id, grade: '一般', problems: [{ type: 'funds_violation', description: secretOfB }] },
    ],
    comment: '市考核综合评价',
  };
  expect((await s.as(province.tokens.DEPUTY).post(`/assessments/${provinceRun}/results`, provinceResults)).status).toBe(200);
  expect((await s.as(city.tokens.DEPUTY).post(`/assessments/${cityRun}/results`, cityResults)).status).toBe(200);
  await step(cityRun, 'approval');

  // at the approval step the live view holds every unit's problems: county A sees only its own
  const pending = await s.as(a.tokens.LEADER).get(`/assessments/${cityRun}`);
  expect(pending.body.live.units).toHaveLength(1);
  expect(pending.body.live.units[0]).toMatchObject({ unitId: a.id, grade: '较好' });
  expect(JSON.stringify(pending.body)).not.toContain(secretOfB);
  expect(JSON.stringify(pending.body)).not.toContain(b.id);
  // the assessor, and the province above it, read everything
  const assessorView = await s.as(city.tokens.STAFF).get(`/assessments/${cityRun}`);
  expect(assessorView.body.live.units.map((u: { unitId: string }) => u.unitId).sort()).toEqual([a.id, b.id].sort());
  expect(JSON.stringify(assessorView.body)).toContain(secretOfB);
  expect(JSON.stringify((await s.as(province.tokens.STAFF).get(`/assessments/${cityRun}`)).body)).toContain(secretOfB);

  await step(provinceRun, 'approval');
  for (const [token, id] of [[province.tokens.LEADER, provinceRun], [city.tokens.LEADER, cityRun]] as const) {
    expect((await s.as(token).post(`/assessments/${id}/approval`, { decision: 'approve' })).status).toBe(200);
    await eventually(async () => (await s.db.assessment.findUnique({ where: { id } }))?.status === 'COMPLETED');
  }

  // each assessor's rectification of county B is its own case (the rectification id is the workflow id)
  for (const assessor of [province, city]) {
    const id = `rectification:${assessor.id}:${b.id}:${year}`;
    const rect = await eventually(() => s.db.rectification.findUnique({ where: { id } }));
    expect(rect.assessmentId).toBe(assessor === province ? provinceRun : cityRun);
    const read = await s.as(b.tokens.LEADER).get(`/rectifications/${id}`);
    expect(read.status).toBe(200);
    expect((await s.env.client.workflow.getHandle(id).describe()).status.name).toBe('RUNNING');
  }
  const done = await s.as(city.tokens.LEADER).get(`/assessments/${cityRun}`);
  expect(done.body.units.find((u: { unitId: string }) => u.unitId === b.id).rectificationId).toBe(`rectification:${city.id}:${b.id}:${year}`);
  expect(done.body.interviews.map((i: { unitId: string }) => i.unitId).sort()).toEqual([a.id, b.id].sort());

  // the finished assessment, read by county A: its own row, its own events, its own interview
  const own = await s.as(a.tokens.LEADER).get(`/assessments/${cityRun}`);
  expect(own.status).toBe(200);
  expect(own.body.units).toHaveLength(1);
  expect(own.body.units[0]).toMatchObject({ unitId: a.id, grade: '较好', problems: [expect.objectContaining({ type: 'low_accuracy_or_satisfaction' })] });
  expect(own.body.interviews.map((i: { unitId: string }) => i.unitId)).toEqual([a.id]);
  const actions = own.body.events.map((e: { action: string }) => e.action);
  expect(actions).toEqual(expect.arrayContaining(['STARTED', 'SELF_SUMMARY_CLOSED', 'EVALUATION_ENTERED', 'RESULTS_SUBMITTED', 'FEEDBACK_ISSUED']));
  expect(own.body.events.filter((e: { action: string }) => e.action === 'SELF_SUMMARY_CLOSED' || e.action === 'EVALUATION_ENTERED')).toHaveLength(2);
  const text = JSON.stringify(own.body);
  expect(text).not.toContain(b.id);
  expect(text).not.toContain(secretOfB);
  // the same for the province's assessment, where the city is assessed too
  const provincial = JSON.stringify((await s.as(a.tokens.DEPUTY).get(`/assessments/${provinceRun}`)).body);
  expect(provincial).not.toContain(b.id);
  expect(provincial).not.toContain('岚县扶贫资金滞留问题（省考核）');
  expect(provincial).not.toContain('"好"'); // the city's grade
  // county B reads its own problems
  expect(JSON.stringify((await s.as(b.tokens.LEADER).get(`/assessments/${cityRun}`)).body)).toContain(secretOfB);
  // a township under county A is neither assessed nor in the assessor's scope
  expect((await s.as(s.tree.townships[0].tokens.LEADER).get(`/assessments/${cityRun}`)).status).toBe(403);
});
