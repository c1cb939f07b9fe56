/**
 * Issue 7, items 4, 6 and 10 (cancellation): one province cannot change another's rules, nor the
 * national ones; a definition keeps the mandatory stages of its procedure; the village under exit
 * cannot certify its own figures; a case is cancelled only by the unit it waits on or one above.
 * On the time-skipping server, through the HTTP API, with the central leading group above the
 * province (国务院扶贫开发领导小组).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { DemoTree } from '../lib/demo';
import { drive, liveStage } from './helpers/drive';
import { eventually, startStack, type Stack } from './helpers/stack';

const shipped = (procedureType: string, profile = 'national') =>
  JSON.parse(readFileSync(join(__dirname, '..', 'definitions', procedureType, `${profile}.v1.json`), 'utf8'));
const detailPaths = (res: { body: { error?: { details?: Array<{ path: string }> } } }) => (res.body.error?.details ?? []).map((d) => d.path);

let s: Stack;
/** the tree's province runs the national definitions (its profile is "national") */
let tree: DemoTree;
beforeAll(async () => {
  s = await startStack('time-skipping', { tag: 'dr', central: true, townships: 1, villagesPerTownship: 3, householdsPerVillage: 2 });
  tree = s.tree;
});
afterAll(async () => s?.stop());

const publish = (token: string, body: object) => s.as(token).post('/admin/definitions', body);

describe('item 4: who publishes which definition', () => {
  test('a provincial deputy cannot publish the national definition, not even a one-stage one', async () => {
    const oneStage = { ...shipped('household-exit'), version: 2, stages: [shipped('household-exit').stages[7]] };
    try {
      const res = await publish(tree.province.tokens.DEPUTY, oneStage);
      expect(res.status).toBe(403);
      // nor a complete one, and the national household exit is unchanged for every province
      expect((await publish(tree.province.tokens.LEADER, { ...shipped('household-exit'), version: 2 })).status).toBe(403);
      const latest = await s.as(tree.villages[0].tokens.STAFF).get('/definitions/household-exit/national');
      expect(latest.body).toMatchObject({ version: 1, profile: 'national' });
      expect(latest.body.stages).toHaveLength(8);
    } finally {
      // should the refusal ever fail, the published version must not run every later test's exits
      await s.db.procedureDefinitionVersion.deleteMany({ where: { publishedById: { in: [tree.province.people.DEPUTY, tree.province.people.LEADER] }, profile: 'national' } });
    }
  });

  test("a province cannot publish another province's profile", async () => {
    const own = await s.addTree({ tag: 'dro', profile: `own-${randomBytes(3).toString('hex')}`, townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
    const res = await publish(own.province.tokens.LEADER, { ...shipped('household-exit', 'jilin'), version: 2 });
    expect(res.status).toBe(403);
    // a province running the national definitions has no profile of its own to publish
    expect((await publish(tree.province.tokens.LEADER, { ...shipped('household-exit', 'jilin'), version: 2 })).status).toBe(403);
  });

  test('the central leading group publishes the national definition (its staff cannot, nor a provincial profile)', async () => {
    const central = tree.central!;
    const version = 1_000_000 + Math.floor(Math.random() * 1_000_000);
    const doc = { ...shipped('village-exit'), version };
    expect((await publish(central.tokens.STAFF, doc)).status).toBe(403);
    expect((await publish(central.tokens.LEADER, { ...shipped('village-exit', 'jilin'), version })).status).toBe(403);
    try {
      const res = await publish(central.tokens.LEADER, doc);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ profile: 'national', version });
    } finally {
      // a new national version would change the village exits of every later test: remove it again
      await s.db.procedureDefinitionVersion.deleteMany({ where: { publishedById: central.people.LEADER } });
    }
  });

  test('a sub-day duration and a definition without the county approval or the notice are refused with their paths', async () => {
    const profile = `val-${randomBytes(3).toString('hex')}`;
    const own = await s.addTree({ tag: 'drv', profile, townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
    const base = { ...shipped('household-exit'), profile, version: 1 };
    const admin = own.province.tokens.DEPUTY;

    const subDay = await publish(admin, { ...base, stages: base.stages.map((st: { key: string }) => (st.key === 'village_notice' ? { ...st, duration: { days: 0.001 } } : st)) });
    expect(subDay.status).toBe(400);
    expect(detailPaths(subDay)).toContain('body.stages.2.duration.days');

    const noApproval = await publish(admin, { ...base, stages: base.stages.filter((st: { key: string }) => st.key !== 'county_approval') });
    expect(noApproval.status).toBe(400);
    expect(detailPaths(noApproval)).toEqual(['body.stages.mandatory.exit_approval']);

    const noNotice = await publish(admin, { ...base, stages: base.stages.filter((st: { key: string }) => st.key !== 'township_notice') });
    expect(noNotice.status).toBe(400);
    expect(detailPaths(noNotice)).toEqual(['body.stages.mandatory.township_notice']);

    // the same definition, whole and in whole days, is published
    expect((await publish(admin, base)).status).toBe(201);
  });

  test('a stored version that no longer meets the rules (published before them) is ignored, not run', async () => {
    const bad = { ...shipped('household-exit'), version: 2_000_000 + Math.floor(Math.random() * 1_000_000), stages: [shipped('household-exit').stages[7]] };
    const row = await s.db.procedureDefinitionVersion.create({
      data: { procedureType: 'household-exit', profile: 'national', version: bad.version, definitionId: bad.id, document: bad, publishedById: tree.province.people.DEPUTY },
    });
    try {
      const latest = await s.as(tree.villages[0].tokens.STAFF).get('/definitions/household-exit/national');
      expect(latest.status).toBe(200);
      expect(latest.body.version).toBe(1);
      expect(latest.body.stages).toHaveLength(8);
    } finally {
      await s.db.procedureDefinitionVersion.delete({ where: { procedureType_profile_version: { procedureType: row.procedureType, profile: row.profile, version: row.version } } });
    }
  });
});

describe('item 6: figures are entered by the level that checks them, within their range', () => {
  async function blockedVillageExit(village = tree.villages[0]) {
    const start = await s.as(tree.townships[0].tokens.STAFF).post('/procedures/village-exit', { villageId: village.id, year: 2026 });
    expect(start.status).toBe(201);
    const caseId = start.body.caseId as string;
    await drive(s, tree, caseId, { figures: { township_investigation: { incidence_rate: 0.025 } } });
    expect((await liveStage(s, tree, caseId)).currentStageKey).toBe('incidence_check');
    return caseId;
  }
  const submit = (token: string, caseId: string, values: Record<string, number>) =>
    s.as(token).post(`/procedures/${caseId}/indicators`, { values, source: '统计年报复核' });

  test('the village under exit cannot enter the figure that unblocks its own check; the township can', async () => {
    const village = tree.villages[0];
    const caseId = await blockedVillageExit(village);
    for (const role of ['STAFF', 'DEPUTY', 'LEADER'] as const) {
      const own = await submit(village.tokens[role], caseId, { incidence_rate: 0.01 });
      expect(own.status).toBe(403);
      expect(own.body.error.code).toBe('WrongOrgUnit');
    }
    const view = await liveStage(s, tree, caseId);
    expect(view.currentStageKey).toBe('incidence_check');
    expect(view.blockedReason).toBe('贫困发生率为 0.025，未达到 < 0.02 的退出标准');
    expect(view.history.filter((h: { action: string }) => h.action === 'INDICATORS_SUBMITTED')).toHaveLength(0);
    const figure = await s.db.subjectIndicator.findFirstOrThrow({ where: { subjectId: village.id, key: 'incidence_rate', year: 2026 } });
    expect(figure.value).toBe(0.025);

    const township = await submit(tree.townships[0].tokens.STAFF, caseId, { incidence_rate: 0.015 });
    expect(township.status).toBe(200);
    await eventually(async () => (await liveStage(s, tree, caseId)).currentStageKey === 'township_notice');
  });

  test('a rate below 0 or above 1 is refused, in the indicators update and in a sign-off', async () => {
    const caseId = await blockedVillageExit(tree.villages[1]);
    for (const value of [-0.01, 1.5]) {
      const res = await submit(tree.townships[0].tokens.STAFF, caseId, { incidence_rate: value });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('InvalidInput');
    }
    // a figure the procedure does not take at all
    expect((await submit(tree.county.tokens.STAFF, caseId, { public_approval: 0.99 })).status).toBe(400);
    expect((await liveStage(s, tree, caseId)).currentStageKey).toBe('incidence_check');
    // the county enters figures too (it approves the exit, 000 篇三 第三十三条)
    expect((await submit(tree.county.tokens.DEPUTY, caseId, { incidence_rate: 0.012 })).status).toBe(200);
    await eventually(async () => (await liveStage(s, tree, caseId)).currentStageKey === 'township_notice');

    const start = await s.as(tree.townships[0].tokens.STAFF).post('/procedures/village-exit', { villageId: tree.villages[2].id, year: 2026 });
    const second = start.body.caseId as string;
    await eventually(async () => Boolean((await liveStage(s, tree, second)).live?.dueAt));
    const sign = (indicators: Record<string, number>) =>
      s.as(tree.townships[0].tokens.STAFF).post(`/procedures/${second}/sign-off`, { stageKey: 'township_investigation', decision: 'approve', indicators });
    expect((await sign({ incidence_rate: -0.5 })).status).toBe(400);
    expect((await sign({ incidence_rate: 1.5 })).status).toBe(400);
    // figures the stage does not ask for are not slipped in with a sign-off
    expect((await sign({ incidence_rate: 0.01, public_approval: 1 })).status).toBe(400);
    expect((await liveStage(s, tree, second)).currentStageKey).toBe('township_investigation');
    expect((await sign({ incidence_rate: 0.01 })).status).toBe(200);
  });
});

describe('item 10: who cancels a case is in the definition', () => {
  test('a case waiting on the county is cancelled by the county, not by the village or the township', async () => {
    const household = tree.households.find((h) => h.villageId === tree.villages[0].id)!;
    const start = await s.as(tree.villages[0].tokens.STAFF).post('/procedures/household-exit', { householdId: household.id, year: 2026 });
    expect(start.status).toBe(201);
    const caseId = start.body.caseId as string;
    await drive(s, tree, caseId, { until: 'county_approval' });
    expect((await liveStage(s, tree, caseId)).currentStageKey).toBe('county_approval');

    const byVillage = await s.as(tree.villages[0].tokens.DEPUTY).post(`/procedures/${caseId}/cancel`, { reason: '户主申请暂缓退出' });
    expect(byVillage.status).toBe(403);
    expect(byVillage.body.error.code).toBe('WrongOrgUnit');
    expect((await s.as(tree.townships[0].tokens.LEADER).post(`/procedures/${caseId}/cancel`, { reason: '暂缓' })).status).toBe(403);
    expect((await s.as(tree.county.tokens.STAFF).post(`/procedures/${caseId}/cancel`, { reason: '暂缓' })).status).toBe(403);
    expect((await liveStage(s, tree, caseId)).status).toBe('ACTIVE');

    const byCounty = await s.as(tree.county.tokens.DEPUTY).post(`/procedures/${caseId}/cancel`, { reason: '该户因病返贫风险高，暂缓退出' });
    expect(byCounty.status).toBe(200);
    expect(byCounty.body.status).toBe('CANCELLED');
  });

  test("a province's own rule applies: only the county's main leader or above cancels, even at the village stage", async () => {
    const profile = `can-${randomBytes(3).toString('hex')}`;
    const own = await s.addTree({ tag: 'drc', profile, townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
    const doc = { ...shipped('household-exit'), profile, version: 1, cancelledBy: { roles: ['LEADER'], atOrAbove: 'COUNTY' } };
    expect((await publish(own.province.tokens.LEADER, doc)).status).toBe(201);
    const start = await s.as(own.villages[0].tokens.STAFF).post('/procedures/household-exit', { householdId: own.households[0].id, year: 2026 });
    const caseId = start.body.caseId as string;
    expect((await s.as(own.villages[0].tokens.LEADER).post(`/procedures/${caseId}/cancel`, { reason: '暂缓' })).status).toBe(403);
    expect((await s.as(own.townships[0].tokens.LEADER).post(`/procedures/${caseId}/cancel`, { reason: '暂缓' })).status).toBe(403);
    expect((await s.as(own.county.tokens.DEPUTY).post(`/procedures/${caseId}/cancel`, { reason: '暂缓' })).status).toBe(403);
    expect((await s.as(own.county.tokens.LEADER).post(`/procedures/${caseId}/cancel`, { reason: '暂缓' })).status).toBe(200);
  });
});
