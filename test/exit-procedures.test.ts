/**
 * Village exit (贫困村退出) and county exit (贫困县摘帽) as definitions, driven through the API under
 * two profiles each, on the time-skipping server:
 * - village exit: national (township verifies and notices, county approves) and Jilin (the city
 *   also inspects every village exit in full, 000 篇五 第十二条); incidence below 2 %, 3 % in the west;
 * - county exit (002 (二十八); 000 篇三 第十三条): county application → city preliminary review →
 *   provincial evaluation with third-party figures → 三率一度 check → 5-working-day notice →
 *   provincial approval → marking → filing with the State Council leading group; national and Gansu
 *   (industry departments accept first, 000 篇二 第十六条).
 */
import { WorkingCalendar, chinaDate, endOfChinaDate, shippedSchedules } from '../lib/calendar';
import type { DemoTree } from '../lib/demo';
import { drive, liveStage } from './helpers/drive';
import { recordHistory, startStack, type Stack } from './helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('time-skipping', { tag: 'vx', townships: 1, villagesPerTownship: 2, householdsPerVillage: 1 });
});
afterAll(async () => s?.stop());

const stagesOf = async (tree: DemoTree, caseId: string) =>
  (await liveStage(s, tree, caseId)).history
    .filter((h: { action: string }) => h.action === 'STAGE_ENTERED')
    .map((h: { stageKey: string }) => h.stageKey);

async function startVillageExit(tree: DemoTree, village = tree.villages[0]) {
  const res = await s.as(tree.townships[0].tokens.STAFF).post('/procedures/village-exit', { villageId: village.id, year: 2026 });
  expect(res.status).toBe(201);
  return res.body.caseId as string;
}

describe('village exit', () => {
  test('national: a village below 2 % exits, approved by the county, with working-day deadlines', async () => {
    const tree = s.tree;
    const today = chinaDate(await s.env.currentTimeMs());
    const caseId = await startVillageExit(tree);
    const opened = await liveStage(s, tree, caseId);
    // 乡镇调查核实 is due in 20 official working days, at 24:00 China time; provisional only if the
    // count runs into a year whose holiday schedule is not shipped
    const due = new WorkingCalendar(shippedSchedules()).addWorkingDays(today, 20);
    expect(opened.live.dueAt).toBe(endOfChinaDate(due.date).toISOString());
    expect(opened.dueProvisional).toBe(due.provisional);

    const path = await drive(s, tree, caseId, { figures: { township_investigation: { incidence_rate: 0.012 } } });
    expect(path.map((p) => `${p.stageKey}@${p.level}`)).toEqual([
      'township_investigation@TOWNSHIP',
      'township_notice@TOWNSHIP',
      'county_approval@COUNTY',
      'announcement@COUNTY',
    ]);
    expect(await stagesOf(tree, caseId)).toEqual(['township_investigation', 'incidence_check', 'township_notice', 'county_approval', 'announcement', 'registry_marking']);
    const village = await s.db.orgUnit.findUniqueOrThrow({ where: { id: tree.villages[0].id } });
    expect(village).toMatchObject({ exitYear: 2026, exitCaseId: caseId });
    const figure = await s.db.subjectIndicator.findFirstOrThrow({ where: { subjectId: village.id, key: 'incidence_rate' } });
    expect(figure).toMatchObject({ value: 0.012, year: 2026, caseId });
    await recordHistory(s.env, `village-exit:${village.id}:2026`, 'village-exit-national-v1-complete');
  });

  test('a failing incidence blocks the case with the reason shown; a corrected figure lets it go on', async () => {
    const tree = s.tree;
    const village = tree.villages[1];
    const caseId = await startVillageExit(tree, village);
    const path = await drive(s, tree, caseId, { figures: { township_investigation: { incidence_rate: 0.025 } } });
    expect(path.at(-1)).toMatchObject({ stageKey: 'incidence_check' });

    const blocked = await liveStage(s, tree, caseId);
    expect(blocked.currentStageKey).toBe('incidence_check');
    expect(blocked.blockedReason).toBe('贫困发生率为 0.025，未达到 < 0.02 的退出标准');
    expect(blocked.live.blocked.failures[0]).toMatchObject({ indicator: 'incidence_rate', value: 0.025, threshold: 0.02 });
    const stuck = await s.as(tree.county.tokens.LEADER).get('/supervision/overdue');
    expect(stuck.body.items.find((i: { caseId: string }) => i.caseId === caseId)).toMatchObject({ blockedReason: blocked.blockedReason });

    // still wrong: stays blocked, with the new figure in the reason
    const still = await s.as(tree.townships[0].tokens.STAFF).post(`/procedures/${caseId}/indicators`, { values: { incidence_rate: 0.021 }, source: '统计年报复核' });
    expect(still.status).toBe(200);
    await expectEventually(async () => (await liveStage(s, tree, caseId)).blockedReason?.includes('0.021'));

    const corrected = await s.as(tree.townships[0].tokens.STAFF).post(`/procedures/${caseId}/indicators`, {
      values: { incidence_rate: 0.017 },
      source: '统计年报复核',
      comment: '原数据误将外出务工人员计入',
    });
    expect(corrected.status).toBe(200);
    await expectEventually(async () => (await liveStage(s, tree, caseId)).currentStageKey === 'township_notice');
    const view = await liveStage(s, tree, caseId);
    expect(view.blockedReason).toBeNull();
    expect(view.history.filter((h: { action: string }) => ['CHECK_BLOCKED', 'INDICATORS_SUBMITTED', 'CHECK_PASSED'].includes(h.action)).map((h: { action: string }) => h.action)).toEqual([
      'CHECK_BLOCKED',
      'INDICATORS_SUBMITTED',
      'CHECK_BLOCKED',
      'INDICATORS_SUBMITTED',
      'CHECK_PASSED',
    ]);
    await recordHistory(s.env, `village-exit:${village.id}:2026`, 'village-exit-national-v1-threshold-block');
  });

  test('a western province applies the 3 % threshold to the same figure', async () => {
    const west = await s.addTree({ tag: 'vw', western: true, provinceName: '甘肃省', townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
    const caseId = await startVillageExit(west);
    await drive(s, west, caseId, { figures: { township_investigation: { incidence_rate: 0.025 } } });
    expect((await liveStage(s, west, caseId)).status).toBe('COMPLETED');
  });

  test('Jilin: the city inspects every village exit after the county approves', async () => {
    const jilin = await s.addTree({ tag: 'vj', profile: 'jilin', provinceName: '吉林省', townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
    const caseId = await startVillageExit(jilin);
    const path = await drive(s, jilin, caseId, { figures: { township_investigation: { incidence_rate: 0.01 } } });
    expect(path.map((p) => `${p.stageKey}@${p.level}`)).toEqual([
      'township_investigation@TOWNSHIP',
      'township_notice@TOWNSHIP',
      'county_approval@COUNTY',
      'city_inspection@CITY',
      'announcement@COUNTY',
    ]);
    expect((await liveStage(s, jilin, caseId)).profile).toBe('jilin');
  });

  test('a village exit is started by the township or county, not by the village itself', async () => {
    const res = await s.as(s.tree.villages[0].tokens.LEADER).post('/procedures/village-exit', { villageId: s.tree.villages[0].id, year: 2027 });
    expect(res.status).toBe(403);
  });
});

describe('county exit', () => {
  const evaluation = { incidence_rate: 0.011, wrongful_exit_rate: 0.004, missed_identification_rate: 0.006, public_approval: 0.95 };

  async function startCountyExit(tree: DemoTree) {
    const res = await s.as(tree.county.tokens.LEADER).post('/procedures/county-exit', { countyId: tree.county.id, year: 2026 });
    expect(res.status).toBe(201);
    return res.body.caseId as string;
  }

  test('national: from the county application to the filing with the State Council leading group', async () => {
    const tree = await s.addTree({ tag: 'cx', townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
    const caseId = await startCountyExit(tree);
    const path = await drive(s, tree, caseId, { figures: { province_evaluation: evaluation } });
    expect(path.map((p) => `${p.stageKey}@${p.level}`)).toEqual([
      'county_application@COUNTY',
      'city_preliminary_review@CITY',
      'province_evaluation@PROVINCE',
      'province_notice@PROVINCE',
      'provincial_approval@PROVINCE',
    ]);
    const view = await liveStage(s, tree, caseId);
    expect(view.status).toBe('COMPLETED');
    // 公示征求意见: 5 official working days
    const notice = view.notices[0];
    expect(notice.stageKey).toBe('province_notice');
    expect(notice.endsAt).toMatch(/T16:00:00\.000Z$/);
    const filing = view.history.find((h: { stageKey: string; action: string }) => h.stageKey === 'state_council_filing' && h.action === 'AUTOMATIC_DONE');
    expect(filing.data).toMatchObject({ filedWith: '国务院扶贫开发领导小组' });
    expect((await s.db.orgUnit.findUniqueOrThrow({ where: { id: tree.county.id } })).exitYear).toBe(2026);
    await recordHistory(s.env, `county-exit:${tree.county.id}:2026`, 'county-exit-national-v1-complete');
  });

  test('the 三率一度 veto blocks on one failing indicator and shows which', async () => {
    const tree = await s.addTree({ tag: 'cv', townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
    const caseId = await startCountyExit(tree);
    await drive(s, tree, caseId, { figures: { province_evaluation: { ...evaluation, public_approval: 0.86 } } });
    const view = await liveStage(s, tree, caseId);
    expect(view.currentStageKey).toBe('veto_check');
    expect(view.blockedReason).toBe('群众认可度为 0.86，未达到 ≥ 0.9 的退出标准');
    const fixed = await s.as(tree.province.tokens.STAFF).post(`/procedures/${caseId}/indicators`, { values: { public_approval: 0.91 }, source: '第三方评估复核' });
    expect(fixed.status).toBe(200);
    await expectEventually(async () => (await liveStage(s, tree, caseId)).currentStageKey === 'province_notice');
  });

  test('Gansu: the county industry departments accept before the city reviews', async () => {
    const gansu = await s.addTree({ tag: 'cg', profile: 'gansu', provinceName: '甘肃省', western: true, townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
    const caseId = await startCountyExit(gansu);
    const path = await drive(s, gansu, caseId, { figures: { province_evaluation: evaluation } });
    expect(path.map((p) => p.stageKey)).toEqual([
      'county_application',
      'industry_acceptance',
      'city_preliminary_review',
      'province_evaluation',
      'province_notice',
      'provincial_approval',
    ]);
    expect(path[1].by).toBe('education+health+housing+water');
    expect((await liveStage(s, gansu, caseId)).status).toBe('COMPLETED');
  });
});

async function expectEventually(check: () => Promise<boolean | undefined>, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
