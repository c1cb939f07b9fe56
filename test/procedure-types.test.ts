/**
 * Procedure types are data: the yearly comprehensive inspection (脱贫攻坚综合督查, 000 篇三 第九条:
 * 综合督查原则上每年一次，督促市县……落实工作责任和政策措施) ships as one JSON file,
 * definitions/annual-inspection/national.v1.json, and runs on the engine with no code of its own:
 * started at `POST /procedures/annual-inspection` by the province, signed by the province and the
 * inspected county, returned once by the provincial leading group, escalated when the county is
 * late (its ladder is in the file too). Time-skipping server.
 */
import { DefinitionRegistry } from '../definitions';
import { selfSummaryFor } from '../workflows/assessment/definition';
import { ProcedureDefinition } from '../workflows/procedure/definition';
import { liveStage } from './helpers/drive';
import { eventually, startStack, type Stack } from './helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('time-skipping', { tag: 'pt', townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
});
afterAll(async () => s?.stop());

const DAY = 86_400_000;

test('a new type is found by its folder: its subject, starter and stages are its own data', () => {
  const def = DefinitionRegistry.loadFrom().latest('annual-inspection');
  expect(def).toMatchObject({ procedureType: 'annual-inspection', subject: { kind: 'org_unit', level: 'COUNTY', notExited: false } });
  expect(def.basis[0]).toMatch(/000 篇三 第九条/);
  expect(def.stages.map((st) => `${st.key}@${st.level}`)).toEqual([
    'provincial_inspection@PROVINCE',
    'county_rectification_report@COUNTY',
    'inspection_conclusion@PROVINCE',
  ]);
});

test('who may start it, on what: the province starts it on a county; anything else is refused', async () => {
  const { province, county, villages } = s.tree;
  // the county cannot inspect itself (startedBy: the province's deputy or leader)
  expect((await s.as(county.tokens.LEADER).post('/procedures/annual-inspection', { subjectId: county.id, year: 2026 })).status).toBe(403);
  expect((await s.as(province.tokens.STAFF).post('/procedures/annual-inspection', { subjectId: county.id, year: 2026 })).status).toBe(403);
  // the subject is a county: a village is no subject of this type
  const village = await s.as(province.tokens.LEADER).post('/procedures/annual-inspection', { subjectId: villages[0].id, year: 2026 });
  expect(village.status).toBe(404);
  // no such type; a slug that is no slug; a body that names no subject
  expect((await s.as(province.tokens.LEADER).post('/procedures/flood-relief', { subjectId: county.id })).status).toBe(404);
  const badType = await s.as(province.tokens.LEADER).post('/procedures/Annual_Inspection', { subjectId: county.id });
  expect(badType.status).toBe(400);
  expect(badType.body.error.details[0].path).toBe('params.procedureType');
  const noSubject = await s.as(province.tokens.LEADER).post('/procedures/annual-inspection', { year: 2026 });
  expect(noSubject.status).toBe(400);
  expect(noSubject.body.error.details[0].path).toBe('body.subjectId');
});

test('the inspection runs on the engine: signed, returned once, escalated when the county is late, concluded', async () => {
  const { province, county, households } = s.tree;
  const started = await s.as(province.tokens.DEPUTY).post('/procedures/annual-inspection', { subjectId: county.id, year: 2026, comment: '2026年度综合督查' });
  expect(started.status).toBe(201);
  const caseId: string = started.body.caseId;
  expect(started.body.case.stage).toMatchObject({ key: 'provincial_inspection', responsibleOrgUnitId: province.id });
  // a decision answers with the stage, not the whole history (the history is in the database)
  expect(started.body.case.history).toBeUndefined();
  // one case per county and year, as for every type
  expect((await s.as(province.tokens.LEADER).post('/procedures/annual-inspection', { subjectId: county.id, year: 2026 })).status).toBe(409);

  const sign = (token: string, stageKey: string, body: object = {}) =>
    s.as(token).post(`/procedures/${caseId}/sign-off`, { stageKey, decision: 'approve', confirmations: [], ...body });
  expect((await sign(province.tokens.STAFF, 'provincial_inspection')).status).toBe(400); // the report is confirmed
  const inspected = await sign(province.tokens.STAFF, 'provincial_inspection', { confirmations: ['field_visits_done'], comment: '督查组赴县实地督查' });
  expect(inspected.status).toBe(200);
  expect(inspected.body).toMatchObject({ stage: { key: 'county_rectification_report', responsibleOrgUnitId: county.id } });
  expect(inspected.body.history).toBeUndefined();

  // the county lets its 20 days pass: its deputy in charge is escalated to (the file's ladder, rung 1)
  await s.env.sleep(21 * DAY);
  const escalation = await eventually(() => s.db.escalation.findFirst({ where: { procedureId: caseId, stageKey: 'county_rectification_report', rung: 1 } }), 30_000);
  expect(escalation).toMatchObject({ orgUnitId: county.id, label: '分管负责人' });
  expect(await s.db.notification.count({ where: { procedureId: caseId, recipientId: county.people.DEPUTY, kind: 'ESCALATION' } })).toBe(1);

  expect((await sign(county.tokens.DEPUTY, 'county_rectification_report', { confirmations: ['problems_addressed'] })).status).toBe(200);
  // the provincial leading group sends it back once, then concludes
  const returned = await s.as(province.tokens.LEADER).post(`/procedures/${caseId}/sign-off`, {
    stageKey: 'inspection_conclusion',
    decision: 'reject',
    comment: '整改时限不明确',
  });
  expect(returned.status).toBe(200);
  expect(returned.body.stage.key).toBe('county_rectification_report');
  expect((await sign(county.tokens.LEADER, 'county_rectification_report', { confirmations: ['problems_addressed'] })).status).toBe(200);
  expect((await sign(province.tokens.LEADER, 'inspection_conclusion', { comment: '督查结论：整改到位' })).status).toBe(200);

  const done = await eventually(async () => {
    const body = await liveStage(s, s.tree, caseId);
    return body.status === 'COMPLETED' && body;
  }, 30_000);
  expect(done).toMatchObject({ type: 'annual-inspection', subjectType: 'county', subjectId: county.id, orgUnitId: county.id });
  // the audit trail is the one table every case writes, gap-free
  const trail = done.history.filter((h: { action: string }) => !['TASK_ASSIGNED', 'REMINDED'].includes(h.action));
  expect(trail.map((h: { action: string; stageKey: string }) => `${h.action}:${h.stageKey}`)).toEqual([
    'STARTED:provincial_inspection',
    'STAGE_ENTERED:provincial_inspection',
    'APPROVED:provincial_inspection',
    'STAGE_ENTERED:county_rectification_report',
    'OVERDUE:county_rectification_report',
    'ESCALATED:county_rectification_report',
    'APPROVED:county_rectification_report',
    'STAGE_ENTERED:inspection_conclusion',
    'REJECTED:inspection_conclusion',
    'STAGE_ENTERED:county_rectification_report',
    'APPROVED:county_rectification_report',
    'STAGE_ENTERED:inspection_conclusion',
    'APPROVED:inspection_conclusion',
    'COMPLETED:inspection_conclusion',
  ]);
  expect(done.history.map((h: { seq: number }) => h.seq)).toEqual(done.history.map((_: unknown, i: number) => i + 1));
  // an inspection has no start or cancel actions: the households and the county are as they were
  expect(await s.db.household.findUniqueOrThrow({ where: { id: households[0].id } })).toMatchObject({ status: 'POOR' });
  expect(await s.db.orgUnit.findUniqueOrThrow({ where: { id: county.id } })).toMatchObject({ exitYear: null });
});

test('one route starts every type; the exits keep the field names they took before', async () => {
  const { townships, villages } = s.tree;
  const bySubject = await s.as(townships[0].tokens.STAFF).post('/procedures/village-exit', { subjectId: villages[0].id, year: 2027 });
  expect(bySubject.status).toBe(201);
  expect(bySubject.body.case.stage.key).toBe('township_investigation');
  const byOldName = await s.as(townships[0].tokens.STAFF).post('/procedures/village-exit', { villageId: villages[0].id, year: 2028 });
  expect(byOldName.status).toBe(201);
  const both = await s.as(townships[0].tokens.STAFF).post('/procedures/village-exit', { subjectId: villages[0].id, villageId: villages[0].id, year: 2029 });
  expect(both.status).toBe(400);
  expect(both.body.error.details[0].path).toBe('body.subjectId');
});

test('the self-summary is data too: the assessment fills in the unit’s level and the year’s date; nobody starts one by hand', async () => {
  // 003 篇二 第六条(一): each assessed unit summarises its year, signed by its deputy in charge or main leader
  const template = DefinitionRegistry.loadFrom().latest('self-summary');
  expect(template).toMatchObject({ startedByAssessment: true, stages: [{ key: 'self_summary', roles: ['DEPUTY', 'LEADER'] }] });
  const forCity = selfSummaryFor(template, 'CITY', '2027-01-10T16:00:00.000Z', 2026, '脱贫攻坚成效考核');
  expect(ProcedureDefinition.safeParse(forCity).success).toBe(true);
  expect(forCity).toMatchObject({
    name: '2026年度脱贫攻坚成效考核·自评总结',
    subjectLevel: 'CITY',
    subject: { level: 'CITY' },
    stages: [{ level: 'CITY', due: { until: '2027-01-10T16:00:00.000Z' } }],
    indicators: [{ key: 'poverty_reduction', enteredBy: { levels: ['CITY'] } }],
  });
  const byHand = await s.as(s.tree.province.tokens.LEADER).post('/procedures/self-summary', { subjectId: s.tree.county.id, year: 2026 });
  expect(byHand.status).toBe(403);
  expect(byHand.body.error.message).toMatch(/annual assessment/);
});
