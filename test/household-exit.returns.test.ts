/**
 * Objections and rejections send a household exit back (time-skipping server):
 * - an objection (异议) during the village notice (村内公示, 000 篇三 第四十二条) returns the case to
 *   village verification, and the notice restarts in full once verification is signed again;
 * - a county rejection (县级查验把关, 000 篇五 第十三条) returns it to township verification.
 */
import { recordHistory, startStack, type Stack } from './helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('time-skipping', { tag: 'ret', townships: 1, villagesPerTownship: 1, householdsPerVillage: 2 });
});
afterAll(async () => s?.stop());

/** the audit trail without the asynchronous task notifications */
const trailOf = (body: { history: Array<{ action: string; stageKey: string }> }) =>
  body.history.filter((h) => h.action !== 'TASK_ASSIGNED').map((h) => `${h.action}:${h.stageKey}`);

async function startAndVerify(householdId: string) {
  const village = s.tree.villages[0];
  const started = await s.as(village.tokens.STAFF).post('/procedures/household-exit', { householdId, year: 2026 });
  expect(started.status).toBe(201);
  const caseId: string = started.body.caseId;
  const sign = (token: string, stageKey: string, extra: object = {}) =>
    s.as(token).post(`/procedures/${caseId}/sign-off`, { stageKey, decision: 'approve', ...extra });
  expect((await sign(village.tokens.STAFF, 'village_appraisal')).status).toBe(200);
  expect((await sign(village.tokens.STAFF, 'village_verification', { confirmations: ['household_acknowledged'] })).status).toBe(200);
  return { caseId, sign };
}

describe('returns to an earlier stage', () => {
  test('given a village notice, when a villager objects, then the case returns to verification and the notice restarts', async () => {
    const village = s.tree.villages[0];
    const { caseId, sign } = await startAndVerify(s.tree.households[0].id);

    await s.env.sleep('3 days');
    const objection = await s.as(village.tokens.STAFF).post(`/procedures/${caseId}/objections`, {
      objectorName: '张某某',
      content: '该户家中新购轿车一辆，收入情况与评议不符',
    });
    expect(objection.status).toBe(201);
    expect(objection.body.stage.key).toBe('village_verification');

    // the interrupted notice does not run on: 5 more days would have ended the first one
    await s.env.sleep('5 days');
    let view = await s.as(village.tokens.STAFF).get(`/procedures/${caseId}`);
    expect(view.body.currentStageKey).toBe('village_verification');

    // re-verified: a new notice of the full 7 days
    expect((await sign(village.tokens.DEPUTY, 'village_verification', { confirmations: ['household_acknowledged'], comment: '经核实，轿车系亲属借用' })).status).toBe(200);
    await s.env.sleep('6 days');
    view = await s.as(village.tokens.STAFF).get(`/procedures/${caseId}`);
    expect(view.body.currentStageKey).toBe('village_notice');
    await s.env.sleep('2 days');
    view = await s.as(village.tokens.STAFF).get(`/procedures/${caseId}`);
    expect(view.body.currentStageKey).toBe('township_verification');

    expect(trailOf(view.body)).toEqual([
      'STARTED:village_appraisal',
      'STAGE_ENTERED:village_appraisal',
      'APPROVED:village_appraisal',
      'STAGE_ENTERED:village_verification',
      'APPROVED:village_verification',
      'STAGE_ENTERED:village_notice',
      'OBJECTION:village_notice',
      'STAGE_ENTERED:village_verification',
      'APPROVED:village_verification',
      'STAGE_ENTERED:village_notice',
      'NOTICE_PASSED:village_notice',
      'STAGE_ENTERED:township_verification',
    ]);
    const [first, second] = view.body.notices;
    expect(first).toMatchObject({ stageKey: 'village_notice', status: 'INTERRUPTED' });
    expect(first.objections).toHaveLength(1);
    expect(first.objections[0]).toMatchObject({ objectorName: '张某某', recordedById: village.people.STAFF });
    expect(second).toMatchObject({ stageKey: 'village_notice', status: 'PASSED' });
    expect(Date.parse(second.endsAt) - Date.parse(second.startsAt)).toBe(7 * 86_400_000);
    expect(second.round).toBeGreaterThan(first.round);

    // the notice is closed now: a late objection is refused, the case untouched
    const late = await s.as(village.tokens.STAFF).post(`/procedures/${caseId}/objections`, { objectorName: '李某', content: '迟到的异议' });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('NoticeNotOpen');
    await recordHistory(s.env, `household-exit:${s.tree.households[0].id}:2026`, 'household-exit-national-v1-objection');
  });

  test('given county approval, when the county rejects, then the case returns to township verification', async () => {
    const township = s.tree.townships[0];
    const county = s.tree.county;
    const { caseId, sign } = await startAndVerify(s.tree.households[1].id);
    await s.env.sleep('8 days');
    expect((await sign(township.tokens.STAFF, 'township_verification')).status).toBe(200);
    await s.env.sleep('8 days');

    const rejected = await s.as(county.tokens.LEADER).post(`/procedures/${caseId}/sign-off`, {
      stageKey: 'county_approval',
      decision: 'reject',
      comment: '两不愁三保障佐证材料不全，退回乡镇重新核查',
    });
    expect(rejected.status).toBe(200);
    expect(rejected.body.stage.key).toBe('township_verification');
    expect(rejected.body.stage.responsibleOrgUnitId).toBe(township.id);

    const view = await s.as(county.tokens.LEADER).get(`/procedures/${caseId}`);
    const rejection = view.body.history.find((h: { action: string }) => h.action === 'REJECTED');
    expect(rejection).toMatchObject({ stageKey: 'county_approval', actorId: county.people.LEADER, data: { returnTo: 'township_verification' } });
    expect(view.body.currentStageKey).toBe('township_verification');

    // township staff see it in their inbox again
    const inbox = await s.as(township.tokens.STAFF).get('/inbox');
    expect(inbox.body.items.map((i: { caseId: string }) => i.caseId)).toContain(caseId);
    await recordHistory(s.env, `household-exit:${s.tree.households[1].id}:2026`, 'household-exit-national-v1-county-rejection');
  });
});
