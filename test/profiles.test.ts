/**
 * Provincial variants of household exit, each a definition of its own (no code): the same
 * household is routed differently under the national default, Shanxi (the township approves,
 * 000 篇三 第四十条), Jilin (the county inspects every household exit, 000 篇五 第十三条) and Gansu
 * (industry departments accept their own indicators first, 000 篇二 第十六条). And the parallel
 * group's return: a department's rejection sends the case back, the others' signatures kept
 * (Gansu household exit) or cleared (Gansu county exit) as the definition says.
 */
import type { DemoTree } from '../lib/demo';
import { drive, liveStage } from './helpers/drive';
import { recordHistory, startStack, type Stack } from './helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('time-skipping', { tag: 'pn', townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
});
afterAll(async () => s?.stop());

async function startHouseholdExit(tree: DemoTree) {
  const res = await s.as(tree.villages[0].tokens.STAFF).post('/procedures/household-exit', { householdId: tree.households[0].id, year: 2026 });
  expect(res.status).toBe(201);
  return res.body.caseId as string;
}

test('given the same household, when each province runs its exit, then each routes it its own way', async () => {
  const trees: Record<string, DemoTree> = {
    national: s.tree,
    shanxi: await s.addTree({ tag: 'ps', profile: 'shanxi', provinceName: '山西省', townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 }),
    jilin: await s.addTree({ tag: 'pj', profile: 'jilin', provinceName: '吉林省', townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 }),
    gansu: await s.addTree({ tag: 'pg', profile: 'gansu', provinceName: '甘肃省', western: true, townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 }),
  };
  const routes: Record<string, string[]> = {};
  for (const [profile, tree] of Object.entries(trees)) {
    const caseId = await startHouseholdExit(tree);
    const path = await drive(s, tree, caseId);
    const view = await liveStage(s, tree, caseId);
    expect(view).toMatchObject({ status: 'COMPLETED', profile, definitionVersion: 1 });
    routes[profile] = path.filter((p) => p.kind !== 'notice').map((p) => `${p.stageKey}@${p.level}`);
    expect((await s.db.household.findUniqueOrThrow({ where: { id: tree.households[0].id } })).status).toBe('EXITED');
  }
  expect(routes).toEqual({
    national: ['village_appraisal@VILLAGE', 'village_verification@VILLAGE', 'township_verification@TOWNSHIP', 'county_approval@COUNTY', 'announcement@COUNTY'],
    shanxi: ['village_appraisal@VILLAGE', 'village_verification@VILLAGE', 'township_approval@TOWNSHIP', 'announcement@TOWNSHIP'],
    jilin: [
      'village_appraisal@VILLAGE',
      'village_verification@VILLAGE',
      'township_verification@TOWNSHIP',
      'county_inspection@COUNTY',
      'county_approval@COUNTY',
      'announcement@COUNTY',
    ],
    gansu: [
      'village_appraisal@VILLAGE',
      'village_verification@VILLAGE',
      'township_verification@TOWNSHIP',
      'industry_acceptance@COUNTY',
      'county_approval@COUNTY',
      'announcement@COUNTY',
    ],
  });
});

describe('a parallel group of industry departments', () => {
  const branchesOf = async (tree: DemoTree, caseId: string) =>
    Object.fromEntries((await liveStage(s, tree, caseId)).live.branches.map((b: { key: string; signed: boolean }) => [b.key, b.signed]));

  test('given Gansu household exit, when housing rejects, then the case returns and the other signatures are kept', async () => {
    const gansu = await s.addTree({ tag: 'pk', profile: 'gansu', provinceName: '甘肃省', townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
    const caseId = await startHouseholdExit(gansu);
    await drive(s, gansu, caseId, { until: 'industry_acceptance' });
    const dept = (key: string) => gansu.departments.find((d) => d.department === key)!;
    const sign = (key: string, decision: 'approve' | 'reject', comment?: string) =>
      s.as(dept(key).tokens.STAFF).post(`/procedures/${caseId}/sign-off`, { stageKey: 'industry_acceptance', branchKey: key, decision, comment });

    expect((await sign('education', 'approve')).status).toBe(200);
    expect((await sign('health', 'approve')).status).toBe(200);
    // the education bureau cannot sign for housing, nor sign twice
    const forOther = await s.as(dept('education').tokens.STAFF).post(`/procedures/${caseId}/sign-off`, { stageKey: 'industry_acceptance', branchKey: 'housing', decision: 'approve' });
    expect(forOther.status).toBe(403);
    expect((await sign('education', 'approve')).body.error.code).toBe('AlreadyDecided');
    // the department's inbox shows its own pending branch
    const inbox = await s.as(dept('water').tokens.STAFF).get('/inbox');
    expect(inbox.body.items.map((i: { caseId: string }) => i.caseId)).toContain(caseId);

    const rejected = await sign('housing', 'reject', '危房改造未竣工验收，住房安全无保障');
    expect(rejected.status).toBe(200);
    expect(rejected.body.stage.key).toBe('township_verification');

    await drive(s, gansu, caseId, { until: 'industry_acceptance' });
    expect(await branchesOf(gansu, caseId)).toEqual({ education: true, health: true, housing: false, water: false });
    expect((await liveStage(s, gansu, caseId)).pendingOrgUnitIds.sort()).toEqual([dept('housing').id, dept('water').id].sort());
    expect((await sign('housing', 'approve', '已整改')).status).toBe(200);
    const last = await sign('water', 'approve');
    expect(last.body.stage.key).toBe('county_approval');
    await drive(s, gansu, caseId);
    expect((await liveStage(s, gansu, caseId)).status).toBe('COMPLETED');
    await recordHistory(s.env, `household-exit:${gansu.households[0].id}:2026`, 'household-exit-gansu-v1-parallel-return');
  });

  test('given Gansu county exit, when a department rejects, then every signature is cleared', async () => {
    const gansu = await s.addTree({ tag: 'pc', profile: 'gansu', provinceName: '甘肃省', townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
    const start = await s.as(gansu.county.tokens.DEPUTY).post('/procedures/county-exit', { countyId: gansu.county.id, year: 2026 });
    const caseId = start.body.caseId;
    await drive(s, gansu, caseId, { until: 'industry_acceptance' });
    const dept = (key: string) => gansu.departments.find((d) => d.department === key)!;
    const sign = (key: string, decision: 'approve' | 'reject') =>
      s.as(dept(key).tokens.DEPUTY).post(`/procedures/${caseId}/sign-off`, { stageKey: 'industry_acceptance', branchKey: key, decision });
    expect((await sign('education', 'approve')).status).toBe(200);
    expect((await sign('water', 'approve')).status).toBe(200);
    expect((await sign('health', 'reject')).body.stage.key).toBe('county_application');
    await drive(s, gansu, caseId, { until: 'industry_acceptance' });
    expect(await branchesOf(gansu, caseId)).toEqual({ education: false, health: false, housing: false, water: false });
  });
});
