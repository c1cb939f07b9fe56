/**
 * A whole assessment year (年度成效考核, 003 篇二 第六条—第八条) for a province with a city and three counties,
 * driven through the API on the time-skipping server: self-summaries as child cases (one late and
 * escalated), third-party evaluation, aggregation, comprehensive evaluation with grades and
 * problems, approval, feedback — then the interview (约谈) and the rectification (003 篇五) of the
 * county with problems: its phases open and close on the timetable's dates, a working-day item
 * deadline follows the official calendar, items close with evidence and are confirmed, a missed
 * phase and overdue items escalate, and three overdue items escalate a level up.
 */
import { WorkingCalendar, chinaDate, endOfChinaDate, shippedSchedules } from '../lib/calendar';
import { chinaYear, timetable } from '../workflows/assessment/definition';
import { loadAssessmentDefinition } from '../definitions';
import { eventually, recordHistory, startStack, type Stack } from './helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('time-skipping', { tag: 'asm', counties: 3, townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
});
afterAll(async () => s?.stop());

const def = loadAssessmentDefinition();

test('the 003 篇五 timetable as data: issued 2018-05-09, each phase on the seed date', () => {
  const t = timetable(Date.parse('2018-05-09T02:00:00Z'), def.rectification.phases); // 10:00 in Beijing
  const day = (iso: string) => chinaDate(Date.parse(iso) - 1); // the last day a phase covers
  expect(day(t.plan_submission.closesAt)).toBe('2018-05-14'); // plans submitted by 05-14
  expect(chinaDate(Date.parse(t.concentrated.opensAt))).toBe('2018-05-14');
  expect(day(t.concentrated.closesAt)).toBe('2018-06-10'); // concentrated rectification to 06-10
  expect(chinaDate(Date.parse(t.supervision.opensAt))).toBe('2018-06-10');
  expect(day(t.supervision.closesAt)).toBe('2018-06-15'); // supervision 06-10 to 06-15
  expect(day(t.report.closesAt)).toBe('2018-06-12'); // reports by 06-12
  expect(day(t.completion.closesAt)).toBe('2018-06-20'); // all stage tasks done by 06-20
});

test('given a province with three counties, when the year runs, then grades, interviews and rectification follow', async () => {
  const { province, counties, city } = s.tree;
  const [onTime, withProblems, late] = counties;
  const year = chinaYear(await s.env.currentTimeMs()); // the assessment of this year runs to next February
  // the province assesses its cities and counties (002 (二十七))
  const started = await s.as(province.tokens.LEADER).post('/assessments', { year });
  expect(started.status).toBe(201);
  const id: string = started.body.id;
  expect((await s.as(province.tokens.LEADER).post('/assessments', { year })).status).toBe(409);
  expect((await s.as(counties[0].tokens.LEADER).post('/assessments', { year })).status).toBe(403);

  // each county has a self-summary case in its inbox, due 01-10 of the next year
  const selfSummaryOf = async (countyId: string) =>
    eventually(() => s.db.procedure.findFirst({ where: { type: 'self-summary', subjectId: countyId, year } }));
  for (const c of counties) {
    const row = await selfSummaryOf(c.id);
    expect(row.dueAt?.toISOString()).toBe(`${year + 1}-01-10T16:00:00.000Z`);
    const inbox = await s.as(c.tokens.DEPUTY).get('/inbox');
    expect(inbox.body.items.map((i: { caseId: string }) => i.caseId)).toContain(row.id);
  }
  const submit = async (c: (typeof counties)[number], role: 'DEPUTY' | 'LEADER') => {
    const row = await selfSummaryOf(c.id);
    return s.as(c.tokens[role]).post(`/procedures/${row.id}/sign-off`, {
      stageKey: 'self_summary',
      decision: 'approve',
      comment: `${year}年度脱贫攻坚工作总结`,
      indicators: { poverty_reduction: 1200 },
      attachments: [{ name: '总结报告.pdf', uri: 'https://docs.example.gov.cn/summary.pdf' }],
    });
  };
  expect((await submit(onTime, 'DEPUTY')).status).toBe(200);
  expect((await submit(withProblems, 'LEADER')).status).toBe(200);
  expect((await submit(city, 'LEADER')).status).toBe(200);

  // the third county misses 01-10: its deputy in charge is escalated to
  const now = await s.env.currentTimeMs();
  await s.env.sleep(Date.parse(`${year + 1}-01-11T02:00:00Z`) - now);
  const lateCase = await selfSummaryOf(late.id);
  await eventually(() => s.db.escalation.findFirst({ where: { procedureId: lateCase.id, rung: 1 } }));
  expect(await s.db.notification.count({ where: { procedureId: lateCase.id, recipientId: late.people.DEPUTY, kind: 'ESCALATION' } })).toBe(1);
  expect(await s.db.notification.count({ where: { procedureId: (await selfSummaryOf(onTime.id)).id, kind: 'ESCALATION' } })).toBe(0);
  expect((await submit(late, 'LEADER')).status).toBe(200);

  // 第三方评估
  await eventually(async () => (await s.db.assessment.findUnique({ where: { id } }))?.step === 'third_party_evaluation');
  const evaluate = (unitId: string, accuracy: number) =>
    s.as(province.tokens.STAFF).post(`/assessments/${id}/evaluations`, { unitId, values: { identification_accuracy: accuracy, satisfaction: 0.93 }, source: '第三方评估机构' });
  const missing = await s.as(province.tokens.STAFF).post(`/assessments/${id}/evaluations`, { unitId: onTime.id, values: { satisfaction: 0.9 }, source: '第三方评估机构' });
  expect(missing.status).toBe(400);
  for (const [c, a] of [[onTime, 0.99], [withProblems, 0.91], [late, 0.97], [city, 0.98]] as const) expect((await evaluate(c.id, a)).status).toBe(200);

  // 数据汇总 → 综合评价
  await eventually(async () => (await s.db.assessment.findUnique({ where: { id } }))?.step === 'comprehensive_evaluation');
  const results = {
    results: [
      { unitId: onTime.id, grade: '优秀', problems: [] },
      {
        unitId: withProblems.id,
        grade: '一般',
        problems: [
          { type: 'low_accuracy_or_satisfaction', description: '贫困人口识别准确率偏低' },
          { type: 'funds_violation', description: '扶贫资金滞留' },
          { type: 'exit_fraud', description: '个别村存在“数字脱贫”' },
          { type: 'plan_not_completed', description: '易地搬迁任务未完成' },
          { type: 'discipline_violation', description: '审计发现违规问题' },
        ],
      },
      { unitId: late.id, grade: '较好', problems: [] },
      { unitId: city.id, grade: '好', problems: [] },
    ],
  };
  const badGrade = await s.as(province.tokens.DEPUTY).post(`/assessments/${id}/results`, {
    results: results.results.map((r) => ({ ...r, grade: '良好' })),
  });
  expect(badGrade.status).toBe(400);
  expect((await s.as(province.tokens.STAFF).post(`/assessments/${id}/results`, results)).status).toBe(403);
  expect((await s.as(province.tokens.DEPUTY).post(`/assessments/${id}/results`, results)).status).toBe(200);
  await eventually(async () => (await s.db.assessment.findUnique({ where: { id } }))?.step === 'approval');
  expect((await s.as(province.tokens.DEPUTY).post(`/assessments/${id}/approval`, { decision: 'approve' })).status).toBe(403);
  expect((await s.as(province.tokens.LEADER).post(`/assessments/${id}/approval`, { decision: 'approve', comment: '领导小组审定通过' })).status).toBe(200);

  await eventually(async () => (await s.db.assessment.findUnique({ where: { id } }))?.status === 'COMPLETED');
  const done = await s.as(province.tokens.LEADER).get(`/assessments/${id}`);
  expect(done.body).toMatchObject({ status: 'COMPLETED', step: 'done', overdue: false });
  const grades = Object.fromEntries(done.body.units.map((u: { unitId: string; grade: string }) => [u.unitId, u.grade]));
  expect(grades).toEqual({ [onTime.id]: '优秀', [withProblems.id]: '一般', [late.id]: '较好', [city.id]: '好' });
  expect(done.body.interviews).toHaveLength(1);
  // grades stay readable for rewards and later exits
  const mine = await s.as(withProblems.tokens.LEADER).get(`/assessments?year=${year}`);
  expect(mine.body.myGrades).toMatchObject([{ year, grade: '一般' }]);
  expect((await s.as(province.tokens.STAFF).get(`/assessments?year=${year}`)).body.items.map((a: { id: string }) => a.id)).toContain(id);
  expect(done.body.interviews[0]).toMatchObject({ unitId: withProblems.id, addresseeIds: [withProblems.people.LEADER] });
  const rectificationId = `rectification:${province.id}:${withProblems.id}:${year}`; // the assessor is in the id
  expect(done.body.units.find((u: { unitId: string }) => u.unitId === withProblems.id).rectificationId).toBe(rectificationId);
  expect(done.body.events.map((e: { action: string }) => e.action)).not.toContain('OVERDUE');
  // the committed assessment-national-v1-year.json (child ids without the assessor) stays as it was recorded
  await recordHistory(s.env, id, 'assessment-national-v1-year-assessor-ids');

  // ---- rectification of the county with problems ----
  const rect = await eventually(() => s.db.rectification.findUnique({ where: { id: rectificationId } }));
  const phases = timetable(rect.issuedAt.getTime(), def.rectification.phases);
  expect(rect.timetable).toEqual(phases);
  expect(done.body.interviews[0].rectifyBy).toBe(phases.completion.closesAt); // 限期整改
  // work can only be handed to the county itself or units under it
  const planItem = (problemSeq: number, leadUnitId: string, responsibleUnitIds: string[]) => ({ problemSeq, leadUnitId, responsibleUnitIds, measures: '整改', deadline: { standing: true } });
  const foreign = await s.as(withProblems.tokens.LEADER).post(`/rectifications/${rectificationId}/plan`, {
    items: [1, 2, 3, 4].map((n) => planItem(n, withProblems.id, [withProblems.id])).concat(planItem(5, onTime.id, [withProblems.id, 'no-such-unit'])),
  });
  expect(foreign.status).toBe(400);
  expect(foreign.body.error.details.map((d: { path: string }) => d.path)).toEqual(['items.4.leadUnitId', 'items.4.responsibleUnitIds.1']);
  const plan = await s.as(withProblems.tokens.LEADER).post(`/rectifications/${rectificationId}/plan`, {
    items: [
      { problemSeq: 1, leadUnitId: withProblems.id, responsibleUnitIds: [withProblems.id], measures: '逐户复核识别信息', deadline: { workingDays: 10 } },
      { problemSeq: 2, leadUnitId: withProblems.id, responsibleUnitIds: [withProblems.id], measures: '清理滞留资金', deadline: { workingDays: 15 } },
      { problemSeq: 3, leadUnitId: withProblems.id, responsibleUnitIds: [withProblems.id], measures: '核查退出户', deadline: { workingDays: 15 } },
      { problemSeq: 4, leadUnitId: withProblems.id, responsibleUnitIds: [withProblems.id], measures: '加快搬迁', deadline: { workingDays: 15 } },
      { problemSeq: 5, leadUnitId: withProblems.id, responsibleUnitIds: [withProblems.id], measures: '建立常态化监督机制', deadline: { standing: true } },
    ],
  });
  expect(plan.status).toBe(200);
  const items = plan.body.items;
  const calendar = new WorkingCalendar(shippedSchedules());
  const expectedDue = endOfChinaDate(calendar.addWorkingDays(chinaDate(Date.parse(plan.body.planSubmittedAt)), 10).date).toISOString();
  expect(items[0].dueAt).toBe(expectedDue);
  expect(items[4]).toMatchObject({ deadlineKind: 'standing' });
  expect(items[4].dueAt).toBeUndefined();

  // item 1: closed with evidence by the responsible unit, confirmed by the lead unit
  const noEvidence = await s.as(withProblems.tokens.STAFF).post(`/rectifications/${rectificationId}/items/1/close`, { note: '已完成' });
  expect(noEvidence.status).toBe(400);
  expect((await s.as(withProblems.tokens.STAFF).post(`/rectifications/${rectificationId}/items/1/progress`, { note: '已复核80%' })).status).toBe(200);
  const closed = await s.as(withProblems.tokens.STAFF).post(`/rectifications/${rectificationId}/items/1/close`, {
    note: '复核完成',
    attachments: [{ name: '复核台账.xlsx', uri: 'https://docs.example.gov.cn/ledger.xlsx' }],
  });
  expect(closed.body.items[0].status).toBe('AWAITING_CONFIRMATION');
  expect((await s.as(onTime.tokens.LEADER).post(`/rectifications/${rectificationId}/items/1/confirm`, {})).status).toBe(403);
  const confirmed = await s.as(withProblems.tokens.DEPUTY).post(`/rectifications/${rectificationId}/items/1/confirm`, { note: '确认整改到位' });
  expect(confirmed.body.items[0].status).toBe('CONFIRMED');

  // past every deadline: items 2–4 overdue, the county's leaders told, then the city (a level up);
  // the report was never sent: that phase is missed too
  await s.env.sleep(Date.parse(phases.completion.closesAt) - (await s.env.currentTimeMs()) + 3_600_000);
  const final = await eventually(async () => {
    const r = await s.as(s.tree.city.tokens.LEADER).get(`/rectifications/${rectificationId}`);
    return r.body.events.some((e: { action: string; data: { phase?: string } }) => e.action === 'PHASE_CLOSED' && e.data.phase === 'completion') ? r : undefined;
  });
  const actions = final.body.events.map((e: { action: string }) => e.action);
  expect(actions.filter((a: string) => a === 'ITEM_OVERDUE')).toHaveLength(3);
  expect(actions.filter((a: string) => a === 'UNIT_ESCALATED')).toHaveLength(1);
  expect(final.body.items.map((i: { seq: number; overdue: boolean }) => [i.seq, i.overdue])).toEqual([[1, false], [2, true], [3, true], [4, true], [5, false]]);
  const levelUp = await s.db.notification.findMany({ where: { procedureId: rectificationId, title: { contains: '问责预警' } } });
  expect(levelUp.map((n) => n.recipientId).sort()).toEqual([s.tree.city.people.DEPUTY, s.tree.city.people.LEADER].sort());
  const missed = final.body.events.filter((e: { action: string }) => e.action === 'PHASE_MISSED').map((e: { data: { phase: string } }) => e.data.phase);
  expect(missed).toEqual(['report', 'completion']);
  expect(await s.db.notification.count({ where: { procedureId: rectificationId, recipientId: withProblems.people.LEADER, title: { contains: '整改逾期督办' } } })).toBe(2);
  // the supervisors' summary shows the county with three overdue items
  const summary = await s.as(province.tokens.LEADER).get('/supervision/summary');
  expect(summary.body.units.find((u: { unitId: string }) => u.unitId === withProblems.id)).toMatchObject({ overdueItems: 3, unitName: withProblems.name });
  // every phase opened and closed at its timetable instant
  for (const [key, t] of Object.entries(phases)) {
    const opened = final.body.events.find((e: { action: string; data: { phase: string } }) => e.action === 'PHASE_OPENED' && e.data.phase === key);
    const closedAt = final.body.events.find((e: { action: string; data: { phase: string } }) => e.action === 'PHASE_CLOSED' && e.data.phase === key);
    expect(Date.parse(opened.at)).toBeGreaterThanOrEqual(Date.parse(t.opensAt) - 1000);
    expect(Date.parse(opened.at)).toBeLessThan(Date.parse(t.opensAt) + 60_000);
    expect(Date.parse(closedAt.at)).toBeGreaterThanOrEqual(Date.parse(t.closesAt));
    expect(Date.parse(closedAt.at)).toBeLessThan(Date.parse(t.closesAt) + 60_000);
  }
  await recordHistory(s.env, rectificationId, 'rectification-national-v1-overdue');
});

test('given an assessment nobody moves, when the end of February passes, then the level above is told', async () => {
  const tree = await s.addTree({ tag: 'asl', counties: 1, townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
  // the city assesses its county this time, for the year the (skipped) clock is in now
  const year = chinaYear(await s.env.currentTimeMs());
  const started = await s.as(tree.city.tokens.DEPUTY).post('/assessments', { year });
  expect(started.status).toBe(201);
  const id = started.body.id;
  const row = await eventually(() => s.db.procedure.findFirst({ where: { type: 'self-summary', subjectId: tree.county.id, year } }));
  expect((await s.as(tree.county.tokens.LEADER).post(`/procedures/${row.id}/sign-off`, { stageKey: 'self_summary', decision: 'approve', indicators: { poverty_reduction: 10 } })).status).toBe(200);
  // no evaluation is ever entered
  await s.env.sleep(Date.parse(`${year + 1}-03-01T02:00:00Z`) - (await s.env.currentTimeMs()));
  const view = await eventually(async () => {
    const r = await s.as(tree.city.tokens.LEADER).get(`/assessments/${id}`);
    return r.body.overdue ? r : undefined;
  });
  const actions = view.body.events.map((e: { action: string }) => e.action);
  expect(actions).toContain('STEP_OVERDUE'); // 第三方评估 past 01-31: the city's leaders
  expect(actions).toContain('OVERDUE'); // past the end of February: the province too
  const told = await s.db.notification.findMany({ where: { procedureId: id, title: { contains: '未在次年2月底前完成' } } });
  expect(told.map((n) => n.recipientId).sort()).toEqual([tree.city.people.DEPUTY, tree.city.people.LEADER, tree.province.people.DEPUTY, tree.province.people.LEADER].sort());
});
