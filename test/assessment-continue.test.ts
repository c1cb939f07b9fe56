/**
 * An annual assessment (003 篇二 第六条) whose history passes its bound continues as new while it
 * waits on a step — after its self-summaries, whose child cases cannot cross a run — and carries
 * its plan, its units, its journal and the rungs it climbed. The bound is forced low (the API's
 * `historyBoundEvents`, HISTORY_BOUND_EVENTS in production); the year must end exactly as in one
 * run. Time-skipping server.
 */
import { createApp } from '../api/app';
import { chinaYear } from '../lib/dates';
import { agentOf, eventually, runsOf, startStack, type Stack } from './helpers/stack';
import { ASSESSMENT_STEPS } from '../workflows/assessment/contract';

let s: Stack;
let as: Stack['as'];
beforeAll(async () => {
  s = await startStack('time-skipping', { tag: 'acn', counties: 3, townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
  as = agentOf(createApp({ db: s.db, temporal: s.env.client, historyBoundEvents: 60 }));
});
afterAll(async () => s?.stop());

test('an assessment over several runs: every unit evaluated once, graded, approved, fed back', async () => {
  const { province, city, counties } = s.tree;
  const units = [city, ...counties];
  const year = chinaYear(await s.env.currentTimeMs());
  const started = await as(province.tokens.LEADER).post('/assessments', { year });
  expect(started.status).toBe(201);
  const id: string = started.body.id;
  const stepIs = (step: string) => eventually(async () => (await s.db.assessment.findUnique({ where: { id } }))?.step === step, 30_000);

  for (const u of units) {
    const row = await eventually(() => s.db.procedure.findFirst({ where: { type: 'self-summary', subjectId: u.id, year } }));
    const signed = await as(u.tokens.LEADER).post(`/procedures/${row.id}/sign-off`, {
      stageKey: 'self_summary',
      decision: 'approve',
      indicators: { poverty_reduction: 1000 },
    });
    expect(signed.status).toBe(200);
  }
  await stepIs('third_party_evaluation');
  for (const [n, u] of units.entries()) {
    const res = await as(province.tokens.STAFF).post(`/assessments/${id}/evaluations`, { unitId: u.id, values: { identification_accuracy: 0.95 + n / 100, satisfaction: 0.93 }, source: '第三方评估机构' });
    expect(res.status).toBe(200);
  }
  await stepIs('comprehensive_evaluation');
  const results = units.map((u, n) => ({ unitId: u.id, grade: n === 1 ? '一般' : '好', problems: n === 1 ? [{ type: 'funds_violation', description: '扶贫资金滞留' }] : [] }));
  expect((await as(province.tokens.DEPUTY).post(`/assessments/${id}/results`, { results })).status).toBe(200);
  await stepIs('approval');
  expect((await as(province.tokens.LEADER).post(`/assessments/${id}/approval`, { decision: 'approve' })).status).toBe(200);
  const done = await s.env.client.workflow.getHandle(id).result();
  expect(done).toMatchObject({ status: 'COMPLETED', step: 'done' });

  expect(await runsOf(s.env.client, id)).toBeGreaterThan(1);
  const view = await as(province.tokens.LEADER).get(`/assessments/${id}`);
  expect(view.body).toMatchObject({ status: 'COMPLETED', step: 'done', overdue: false });
  const grades = Object.fromEntries(view.body.units.map((u: { unitId: string; grade: string }) => [u.unitId, u.grade]));
  expect(grades).toEqual(Object.fromEntries(results.map((r) => [r.unitId, r.grade])));
  expect(view.body.units.every((u: { evaluation: unknown }) => u.evaluation)).toBe(true);
  // one trail across the runs: seq 1..n, each step opened once, each unit evaluated once
  const events: Array<{ seq: number; action: string; data: { step?: string } }> = view.body.events;
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  expect(events.filter((e) => e.action === 'EVALUATION_ENTERED')).toHaveLength(units.length);
  expect(events.filter((e) => e.action === 'STEP_OPENED').map((e) => e.data.step)).toEqual([...ASSESSMENT_STEPS]);
  expect(events.filter((e) => e.action === 'STARTED')).toHaveLength(1);
  // the unit with problems is interviewed and rectifies, once
  expect(view.body.interviews).toHaveLength(1);
  expect(await s.db.rectification.count({ where: { assessmentId: id } })).toBe(1);
});
