/**
 * Periodic duties tracked to the day (004 第十九条): a deputy in charge visits the villages at least
 * once a quarter, a main leader twice a year, and every main leader signs the yearly
 * responsibility letter. A quarter passing without a deputy's visit: a reminder, then escalation
 * to the unit's main leader; a deputy who visited is left alone; the next quarter opens by itself.
 * A duty that starts with fewer than 15 days of its quarter left gets no reminder, only the
 * escalation at the quarter's end.
 *
 * The tests set the time-skipping server's clock themselves (never the day the suite runs on):
 * duty periods are China-time quarters, and what a duty does depends on how much of its quarter
 * is left when it starts.
 */
import { eventually, startStack, type Stack } from './helpers/stack';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const CHINA_MS = 8 * HOUR_MS;

/** The end of the China-time quarter (UTC+8) holding `ms`, i.e. the start of the next one. */
function quarterEndOf(ms: number): number {
  const local = new Date(ms + CHINA_MS);
  return Date.UTC(local.getUTCFullYear(), Math.floor(local.getUTCMonth() / 3) * 3 + 3, 1) - CHINA_MS;
}

let s: Stack;
beforeAll(async () => {
  s = await startStack('time-skipping', { tag: 'dut', townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
});
afterAll(async () => s?.stop());

/** skips the server's clock forward to `ms` */
async function skipTo(ms: number): Promise<void> {
  const now = await s.env.currentTimeMs();
  if (ms <= now) throw new Error(`cannot skip back to ${new Date(ms).toISOString()} from ${new Date(now).toISOString()}`);
  await s.env.sleep(ms - now);
}

const dutyOf = (personId: string) => s.db.duty.findUnique({ where: { id: `duty:visit:${personId}` } });

test('given a quarter without a deputy’s visit, then a reminder, then escalation to the main leader', async () => {
  const { county, townships, villages, province } = s.tree;
  const township = townships[0];
  // an hour into the next quarter: the whole quarter lies ahead
  const quarterStart = quarterEndOf(await s.env.currentTimeMs());
  await skipTo(quarterStart + HOUR_MS);

  expect((await s.as(county.tokens.LEADER).post('/admin/duties/ensure')).status).toBe(403);
  const ensured = await s.as(province.tokens.LEADER).post('/admin/duties/ensure');
  expect(ensured.status).toBe(200);
  expect(ensured.body.duties).toBeGreaterThanOrEqual(8);
  const countyDeputy = await eventually(() => dutyOf(county.people.DEPUTY));
  const quarterEnd = countyDeputy.periodEnd.getTime();
  expect(countyDeputy).toMatchObject({ period: 'quarter', required: 1, count: 0, periodStart: new Date(quarterStart), periodEnd: new Date(quarterEndOf(quarterStart)) });
  const leaderVisits = await eventually(() => dutyOf(county.people.LEADER));
  expect(leaderVisits).toMatchObject({ period: 'year', required: 2 });

  // the township's deputy visits; the county's does not
  const today = new Date((await s.env.currentTimeMs()) + CHINA_MS).toISOString().slice(0, 10);
  const visit = await s.as(township.tokens.DEPUTY).post('/duties/visits', { date: today, villageId: villages[0].id, note: '入户走访5户' });
  expect(visit.status).toBe(201);
  expect(visit.body.count).toBe(1);
  const outside = await s.as(township.tokens.DEPUTY).post('/duties/visits', { date: '2020-01-01', villageId: villages[0].id });
  expect(outside.status).toBe(400);

  // 15 days before the quarter ends: a reminder to the county deputy only
  await skipTo(quarterEnd - 14 * DAY_MS);
  await eventually(async () => (await s.db.notification.count({ where: { recipientId: county.people.DEPUTY, kind: 'REMINDER', procedureId: countyDeputy.id } })) === 1);
  expect(await s.db.notification.count({ where: { recipientId: township.people.DEPUTY, kind: 'REMINDER' } })).toBe(0);

  // the quarter ends: escalated to the county's main leader; the next quarter opens
  await skipTo(quarterEnd + HOUR_MS);
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

test('given a duty started 10 days before its quarter ends, then no reminder, and escalation at the end', async () => {
  const tree = await s.addTree({ tag: 'dul', townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
  const { county, province } = tree;
  // 10 days before the end of a quarter (the next one if this one has less left)
  const now = await s.env.currentTimeMs();
  let quarterEnd = quarterEndOf(now);
  if (quarterEnd - 10 * DAY_MS <= now + HOUR_MS) quarterEnd = quarterEndOf(quarterEnd);
  await skipTo(quarterEnd - 10 * DAY_MS);

  expect((await s.as(province.tokens.LEADER).post('/admin/duties/ensure')).status).toBe(200);
  const deputy = await eventually(() => dutyOf(county.people.DEPUTY));
  expect(deputy).toMatchObject({ period: 'quarter', required: 1, count: 0, periodEnd: new Date(quarterEnd) });

  // past the day a reminder would have gone, and to the end: escalated, never reminded
  await skipTo(quarterEnd + HOUR_MS);
  await eventually(async () => (await s.db.notification.count({ where: { recipientId: county.people.LEADER, kind: 'ESCALATION', procedureId: deputy.id } })) === 1);
  expect(await s.db.notification.count({ where: { procedureId: deputy.id, kind: 'REMINDER' } })).toBe(0);
  const events = await s.db.caseEvent.findMany({ where: { caseType: 'duty', caseId: { startsWith: deputy.id }, action: { in: ['REMINDED', 'MISSED'] } } });
  expect(events.map((e) => e.action)).toEqual(['MISSED']);
  expect(events[0].data).toMatchObject({ count: 0, required: 1 });
  const next = await eventually(async () => {
    const d = await dutyOf(county.people.DEPUTY);
    return d && d.periodStart.getTime() === quarterEnd ? d : undefined;
  });
  expect(next).toMatchObject({ count: 0, missed: false, missedPeriods: 1 });
});
