/**
 * Periodic duties tracked to the day (004 第十九条): a deputy in charge visits the villages at least
 * once a quarter, a main leader twice a year, and every main leader signs the yearly
 * responsibility letter. A quarter passing without a deputy's visit: a reminder, then escalation
 * to the unit's main leader; a deputy who visited is left alone; the next quarter opens by itself.
 */
import { eventually, startStack, type Stack } from './helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('time-skipping', { tag: 'dut', townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
});
afterAll(async () => s?.stop());

const dutyOf = (personId: string) => s.db.duty.findUnique({ where: { id: `duty:visit:${personId}` } });

test('given a quarter without a deputy’s visit, then a reminder, then escalation to the main leader', async () => {
  const { county, townships, villages, province } = s.tree;
  const township = townships[0];
  expect((await s.as(county.tokens.LEADER).post('/admin/duties/ensure')).status).toBe(403);
  const ensured = await s.as(province.tokens.LEADER).post('/admin/duties/ensure');
  expect(ensured.status).toBe(200);
  expect(ensured.body.duties).toBeGreaterThanOrEqual(8);
  const countyDeputy = await eventually(() => dutyOf(county.people.DEPUTY));
  const quarterEnd = countyDeputy.periodEnd.getTime();
  expect(countyDeputy).toMatchObject({ period: 'quarter', required: 1, count: 0 });
  const leaderVisits = await eventually(() => dutyOf(county.people.LEADER));
  expect(leaderVisits).toMatchObject({ period: 'year', required: 2 });

  // the township's deputy visits; the county's does not
  const today = new Date((await s.env.currentTimeMs()) + 8 * 3_600_000).toISOString().slice(0, 10);
  const visit = await s.as(township.tokens.DEPUTY).post('/duties/visits', { date: today, villageId: villages[0].id, note: '入户走访5户' });
  expect(visit.status).toBe(201);
  expect(visit.body.count).toBe(1);
  const outside = await s.as(township.tokens.DEPUTY).post('/duties/visits', { date: '2020-01-01', villageId: villages[0].id });
  expect(outside.status).toBe(400);

  // 15 days before the quarter ends: a reminder to the county deputy only
  await s.env.sleep(quarterEnd - 14 * 86_400_000 - (await s.env.currentTimeMs()));
  await eventually(async () => (await s.db.notification.count({ where: { recipientId: county.people.DEPUTY, kind: 'REMINDER', procedureId: countyDeputy.id } })) === 1);
  expect(await s.db.notification.count({ where: { recipientId: township.people.DEPUTY, kind: 'REMINDER' } })).toBe(0);

  // the quarter ends: escalated to the county's main leader; the next quarter opens
  await s.env.sleep(quarterEnd + 3_600_000 - (await s.env.currentTimeMs()));
  await eventually(async () => (await s.db.notification.count({ where: { recipientId: county.people.LEADER, kind: 'ESCALATION', procedureId: countyDeputy.id } })) === 1);
  expect(await s.db.notification.count({ where: { procedureId: `duty:visit:${township.people.DEPUTY}`, kind: 'ESCALATION' } })).toBe(0);
  const next = await eventually(async () => {
    const d = await dutyOf(county.people.DEPUTY);
    return d && d.periodStart.getTime() === quarterEnd ? d : undefined;
  });
  expect(next).toMatchObject({ count: 0, missed: false, missedPeriods: 1 });
  const summary = await s.as(s.tree.province.tokens.LEADER).get('/supervision/summary');
  // the deputy's quarter; when that quarter closes the year, the main leader's visits and letter too
  const yearEndsToo = leaderVisits.periodEnd.getTime() === quarterEnd;
  expect(summary.body.units.find((u: { unitId: string }) => u.unitId === county.id)).toMatchObject({ missedDuties: yearEndsToo ? 3 : 1 });
  const missed = await s.db.caseEvent.findFirst({ where: { caseType: 'duty', caseId: { startsWith: countyDeputy.id }, action: 'MISSED' } });
  expect(missed?.data).toMatchObject({ count: 0, required: 1 });
});
