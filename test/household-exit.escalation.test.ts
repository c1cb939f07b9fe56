/**
 * Deadlines and the escalation ladder (time-skipping server). Village appraisal is due in 10
 * natural days; a reminder goes out 2 days before; after the due time the deputy in charge
 * (分管负责人), then the main leader (主要负责人), then the leading group one level up are notified,
 * 3 days apart — the ladder of 000 篇五 第三十九条 / 篇三 第五十条 as configured in the definition.
 */
import { eventually, recordHistory, startStack, type Stack } from './helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('time-skipping', { tag: 'esc', townships: 1, villagesPerTownship: 1, householdsPerVillage: 2 });
});
afterAll(async () => s?.stop());

const rungsOf = async (caseId: string) =>
  (await s.db.escalation.findMany({ where: { procedureId: caseId, stageKey: 'village_appraisal' }, orderBy: { rung: 'asc' } })).map((e) => ({
    rung: e.rung,
    orgUnitId: e.orgUnitId,
    resolved: e.resolvedAt !== null,
  }));
const notified = async (personId: string, caseId: string, kind: string) =>
  s.db.notification.count({ where: { recipientId: personId, procedureId: caseId, kind } });

test('given an unsigned stage, when time passes, then it escalates rung by rung and stops once signed', async () => {
  const village = s.tree.villages[0];
  const township = s.tree.townships[0];
  const start = async (householdId: string) =>
    (await s.as(village.tokens.STAFF).post('/procedures/household-exit', { householdId, year: 2026 })).body.caseId as string;
  const signedEarly = await start(s.tree.households[0].id);
  const leftAlone = await start(s.tree.households[1].id);

  // day 9: reminder to the village (2 days before the due time), nothing overdue
  await s.env.sleep('9 days');
  await eventually(async () => (await notified(village.people.STAFF, leftAlone, 'REMINDER')) === 1);
  expect(await rungsOf(leftAlone)).toEqual([]);
  expect((await s.db.procedure.findUniqueOrThrow({ where: { id: leftAlone } })).overdue).toBe(false);

  // day 11: overdue, rung 1 — the village's deputy in charge
  await s.env.sleep('2 days');
  for (const caseId of [signedEarly, leftAlone]) {
    await eventually(async () => (await rungsOf(caseId)).length === 1);
    expect(await rungsOf(caseId)).toEqual([{ rung: 1, orgUnitId: village.id, resolved: false }]);
    expect(await notified(village.people.DEPUTY, caseId, 'ESCALATION')).toBe(1);
  }
  const overdueView = await s.as(s.tree.county.tokens.LEADER).get('/supervision/overdue');
  const stuck = overdueView.body.items.find((i: { caseId: string }) => i.caseId === leftAlone);
  expect(stuck).toMatchObject({
    stageKey: 'village_appraisal',
    responsibleOrgUnitName: village.name,
    overdue: true,
    escalationLevel: 1,
    latestEscalation: { rung: 1, label: '分管负责人' },
  });
  // how long it has sat there is read against the API's clock; the workflow's clock is skipped here
  expect(Date.parse(stuck.dueAt)).toBeLessThan(Date.parse(stuck.stageEnteredAt) + 11 * 86_400_000);
  const summary = await s.as(s.tree.county.tokens.LEADER).get('/supervision/summary');
  expect(summary.body.units.find((u: { unitId: string }) => u.unitId === village.id)).toMatchObject({ overdueCases: 2, unitName: village.name, level: 'VILLAGE' });
  const deputyInbox = await s.as(village.tokens.DEPUTY).get('/notifications?unread=true');
  expect(deputyInbox.body.items.some((n: { procedureId: string; title: string }) => n.procedureId === leftAlone && n.title.includes('逾期'))).toBe(true);

  // one case is signed now: its escalation resolves itself
  const signed = await s.as(village.tokens.STAFF).post(`/procedures/${signedEarly}/sign-off`, { stageKey: 'village_appraisal', decision: 'approve' });
  expect(signed.status).toBe(200);
  await eventually(async () => (await rungsOf(signedEarly))[0]?.resolved);

  // day 14: rung 2 — the village's main leader — for the unsigned case only
  await s.env.sleep('3 days');
  await eventually(async () => (await rungsOf(leftAlone)).length === 2);
  expect(await notified(village.people.LEADER, leftAlone, 'ESCALATION')).toBe(1);

  // day 17: rung 3 — the township's leading group (one level up)
  await s.env.sleep('3 days');
  await eventually(async () => (await rungsOf(leftAlone)).length === 3);
  expect((await rungsOf(leftAlone))[2]).toEqual({ rung: 3, orgUnitId: township.id, resolved: false });
  expect(await notified(township.people.LEADER, leftAlone, 'ESCALATION')).toBe(1);
  expect(await notified(township.people.DEPUTY, leftAlone, 'ESCALATION')).toBe(1);

  // the early-signed case never went past rung 1
  expect(await rungsOf(signedEarly)).toEqual([{ rung: 1, orgUnitId: village.id, resolved: true }]);
  expect(await notified(village.people.LEADER, signedEarly, 'ESCALATION')).toBe(0);

  // signing the late one resolves all its rungs and clears the overdue flag
  expect((await s.as(village.tokens.LEADER).post(`/procedures/${leftAlone}/sign-off`, { stageKey: 'village_appraisal', decision: 'approve' })).status).toBe(200);
  await eventually(async () => (await rungsOf(leftAlone)).every((r) => r.resolved));
  const row = await s.db.procedure.findUniqueOrThrow({ where: { id: leftAlone } });
  expect(row).toMatchObject({ overdue: false, escalationLevel: 0, currentStageKey: 'village_verification' });
  const audit = await s.db.caseEvent.findMany({ where: { caseType: 'procedure', caseId: leftAlone }, orderBy: { seq: 'asc' } });
  expect(audit.map((a) => a.action).filter((a) => a !== 'TASK_ASSIGNED')).toEqual([
    'STARTED',
    'STAGE_ENTERED',
    'REMINDED',
    'OVERDUE',
    'ESCALATED',
    'ESCALATED',
    'ESCALATED',
    'APPROVED',
    'STAGE_ENTERED',
  ]);
  await recordHistory(s.env, `household-exit:${s.tree.households[1].id}:2026`, 'household-exit-national-v1-escalation');
});
