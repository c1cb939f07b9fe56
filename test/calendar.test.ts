/**
 * The official working-day calendar: the shipped 2025 and 2026 notices (国务院办公厅 部分节假日安排),
 * cross-checked day by day against the maintained `chinese-days` package; arithmetic across the 2026
 * Spring Festival and National Day with their make-up workdays (调休); a provisional count in a
 * year with no schedule, and the central leading group loading that year through the API; dates
 * and loops over days bounded (a date in 9999 or a holiday to 9999-12-31 used to hang the process),
 * and the computeDeadline activity failing non-retryably on absurd input.
 */
import * as chineseDays from 'chinese-days';
import { IsoDate, WorkingCalendar, YearSchedule, endOfChinaDate, nextDate, shippedSchedules } from '../lib/calendar';
import { createPrisma, type Db } from '../lib/prisma';
import { createApp } from '../api/app';
import { createProcedureActivities } from '../activities/procedure';
import type { Notifier } from '../activities/notifier';
import { buildDemoTree, type DemoTree } from '../lib/demo';
import request from 'supertest';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { uniquePrefix } from './helpers/stack';
import { repoModule, runIsolated } from './helpers/isolated';

const calendar = new WorkingCalendar(shippedSchedules());

describe('the shipped schedules', () => {
  test('2025 and 2026 are loaded', () => {
    expect(calendar.loadedYears()).toEqual(expect.arrayContaining([2025, 2026]));
  });

  test.each([2025, 2026])('every day of %i agrees with chinese-days', (year) => {
    const disagreements: string[] = [];
    for (let d = `${year}-01-01`; d <= `${year}-12-31`; d = nextDate(d)) {
      if (calendar.isWorkingDay(d) !== chineseDays.isWorkday(d)) disagreements.push(d);
    }
    expect(disagreements).toEqual([]);
  });
});

describe('adding working days', () => {
  test.each([
    // Spring Festival 2026: rest 02-15 … 02-23, make-up workdays Sat 02-14 and Sat 02-28
    ['2026-02-13', 1, '2026-02-14', 'the make-up Saturday before the festival counts'],
    ['2026-02-13', 2, '2026-02-24', 'the nine festival days do not count'],
    ['2026-02-24', 4, '2026-02-28', 'the make-up Saturday after the festival counts'],
    ['2026-02-10', 5, '2026-02-24', 'a five-day deadline across the festival'],
    // National Day 2026: rest 10-01 … 10-07, make-up workdays Sun 09-20 and Sat 10-10
    ['2026-09-18', 1, '2026-09-20', 'Sunday 09-20 is a working day'],
    ['2026-09-30', 1, '2026-10-08', 'the Golden Week does not count'],
    ['2026-10-08', 2, '2026-10-10', 'Saturday 10-10 is a working day'],
    ['2026-09-25', 5, '2026-10-09', 'Mid-Autumn and National Day together'],
    // an ordinary week
    ['2026-11-20', 5, '2026-11-27', 'weekends are rest days'],
  ])('%s + %i working days = %s (%s)', (from, days, expected) => {
    expect(calendar.addWorkingDays(from as string, days as number)).toEqual({ date: expected, provisional: false });
  });

  test('a count that runs into a year with no schedule uses weekends alone and is provisional', () => {
    // 2027's notice is not shipped: New Year's Day 2027 (a Friday) counts as a working day for now
    expect(calendar.addWorkingDays('2026-12-28', 5)).toEqual({ date: '2027-01-04', provisional: true });
  });

  test('a deadline ends at 24:00 China time of its day', () => {
    expect(endOfChinaDate('2026-02-24').toISOString()).toBe('2026-02-24T16:00:00.000Z');
  });
});

/**
 * Issue 7 item 1: `nextDate('9999-12-31')` gave "+010000-01" (an expanded-year ISO string cut to ten
 * characters), whose next day is "+010000-01" again: a Saturday forever, so the count never ended;
 * and a holiday "to 9999-12-31" made the constructor loop over every day to year 10000 and beyond
 * ("+010000-01" sorts before "9999-12-31"). Every date is now a real calendar date in 2000–2100 and
 * every loop over days is bounded. The cases that used to hang run in a child process with a time
 * limit, so that a hang fails the test instead of blocking jest.
 */
const LIMIT_MS = 20_000;
const lastLine = (out: string) => out.trim().split('\n').pop() ?? '';

describe('bounded dates', () => {

  test('IsoDate accepts only real calendar dates from 2000 to 2100', () => {
    for (const ok of ['2000-01-01', '2024-02-29', '2026-02-28', '2100-12-31']) expect([ok, IsoDate.safeParse(ok).success]).toEqual([ok, true]);
    for (const bad of ['2026-02-30', '2025-02-29', '2026-13-01', '2026-00-10', '2026-04-31', '1999-12-31', '2101-01-01', '9999-12-31', '2026-2-1', '+010000-01', '2026-02-28T00:00:00Z', ' 2026-02-28']) {
      expect([bad, IsoDate.safeParse(bad).success]).toEqual([bad, false]);
    }
  });

  test('nextDate refuses a non-date instead of producing one', () => {
    expect(nextDate('2024-02-28')).toBe('2024-02-29');
    expect(() => nextDate('9999-12-31')).toThrow(RangeError);
    expect(() => nextDate('2026-02-30')).toThrow(RangeError);
    expect(() => nextDate('+010000-01')).toThrow(RangeError);
  });

  test('addWorkingDays refuses a start or a result outside 2000–2100', () => {
    expect(calendar.addWorkingDays('2100-12-24', 5)).toEqual({ date: '2100-12-31', provisional: true });
    expect(() => calendar.addWorkingDays('2100-12-24', 6)).toThrow(RangeError);
    expect(() => calendar.addWorkingDays('2026-02-30', 1)).toThrow(RangeError);
    expect(() => calendar.addWorkingDays('1999-12-31', 1)).toThrow(RangeError);
  });

  test('addWorkingDays from 9999-12-31, or for a billion days, answers promptly with a RangeError', () => {
    const r = runIsolated(
      `import { WorkingCalendar } from ${repoModule('lib/calendar')};
const c = new WorkingCalendar([]);
const attempt = (from: string, days: number) => { try { c.addWorkingDays(from, days); return 'no error'; } catch (e) { return (e as Error).name; } };
console.log(JSON.stringify([attempt('9999-12-31', 2), attempt('2026-01-01', 1e9)]));`,
      LIMIT_MS,
    );
    expect(r.timedOut).toBe(false);
    expect(JSON.parse(lastLine(r.stdout))).toEqual(['RangeError', 'RangeError']);
  });

  const schedule2026 = { year: 2026, source: '测试', holidays: [], workdays: [] };
  test.each([
    ['a holiday running to 9999-12-31', { holidays: [{ name: '元旦', from: '2026-01-01', to: '9999-12-31' }] }, 'holidays.0.to'],
    ['a holiday on an impossible date', { holidays: [{ name: '春节', from: '2026-02-30', to: '2026-03-02' }] }, 'holidays.0.from'],
    ['a holiday longer than 31 days', { holidays: [{ name: '春节', from: '2026-01-10', to: '2026-02-20' }] }, 'holidays.0.to'],
    ['a holiday ending in a later year', { holidays: [{ name: '元旦', from: '2026-12-31', to: '2028-01-01' }] }, 'holidays.0.to'],
    ['a make-up workday on an impossible date', { workdays: [{ date: '2026-02-29', for: '春节' }] }, 'workdays.0.date'],
    ['a make-up workday in another year', { workdays: [{ date: '2028-01-08', for: '元旦' }] }, 'workdays.0.date'],
  ])('a schedule with %s is refused', (_what, change, path) => {
    const r = YearSchedule.safeParse({ ...schedule2026, ...change });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  test('a pathological schedule (as if stored unvalidated) neither hangs WorkingCalendar nor spoils the others', () => {
    const r = runIsolated(
      `import { WorkingCalendar, type YearSchedule } from ${repoModule('lib/calendar')};
const endless = { year: 2027, source: 'x', holidays: [{ name: '元旦', from: '2027-01-01', to: '9999-12-31' }], workdays: [] } as YearSchedule;
const garbled = { year: 2028, source: 'x', holidays: [{ name: 'x', from: '2028-01-01', to: '+010000-01' }, { name: 'y', from: 'garbage', to: 'zzzz' }], workdays: [{ date: '2028-02-30', for: 'x' }] } as YearSchedule;
const good = { year: 2029, source: 'x', holidays: [{ name: '元旦', from: '2029-01-01', to: '2029-01-01' }], workdays: [] } as YearSchedule;
const c = new WorkingCalendar([endless, garbled, good]);
console.log(JSON.stringify({ years: c.loadedYears(), newYear2029: c.isWorkingDay('2029-01-01'), jan2: c.isWorkingDay('2029-01-02'), feb2027: c.isWorkingDay('2027-02-01') }));`,
      LIMIT_MS,
    );
    expect(r.timedOut).toBe(false);
    // the two bad years are refused (their counts are provisional, on weekends alone), the good one is kept
    expect(JSON.parse(lastLine(r.stdout))).toEqual({ years: [2029], newYear2029: false, jan2: true, feb2027: true });
    expect(r.stderr).toMatch(/2027/);
  });

  test('a bad schedule stored in the database is skipped with a logged error; loadCalendar answers promptly', async () => {
    const db = createPrisma(undefined, 1);
    const document = { year: 2031, source: '坏数据', holidays: [{ name: '元旦', from: '2031-01-01', to: '9999-12-31' }], workdays: [] };
    try {
      await db.calendarYear.upsert({ where: { year: 2031 }, create: { year: 2031, source: 'bad', document, loadedById: 'test' }, update: { document } });
      const r = runIsolated(
        `import { createPrisma } from ${repoModule('lib/prisma')};
import { loadCalendar } from ${repoModule('lib/calendar')};
const db = createPrisma(undefined, 1);
void loadCalendar(db).then(async (c) => {
  console.log(JSON.stringify({ has2031: c.hasYear(2031), has2026: c.hasYear(2026), newYear2031: c.isWorkingDay('2031-01-01') }));
  await db.$disconnect();
});`,
        LIMIT_MS,
      );
      expect(r.timedOut).toBe(false);
      expect(JSON.parse(lastLine(r.stdout))).toEqual({ has2031: false, has2026: true, newYear2031: true });
      expect(r.stderr).toMatch(/2031/);
    } finally {
      await db.calendarYear.deleteMany({ where: { year: 2031 } });
      await db.$disconnect();
    }
  });
});

describe('the computeDeadline activity', () => {
  let db: Db;
  let activities: ReturnType<typeof createProcedureActivities>;
  beforeAll(() => {
    db = createPrisma(undefined, 2);
    // computeDeadline reads only the calendar: no notification is sent
    activities = createProcedureActivities({ db, notifier: {} as Notifier });
  });
  afterAll(() => db.$disconnect());

  test('computes the end of the n-th working day', async () => {
    // 2026-02-13 09:00 China time + 2 working days: the Spring Festival does not count
    await expect(activities.computeDeadline({ from: '2026-02-13T01:00:00Z', workingDays: 2 })).resolves.toEqual({ dueAt: '2026-02-24T16:00:00.000Z', provisional: false });
  });

  test.each([
    ['a fraction of a day', { from: '2026-02-13T01:00:00Z', workingDays: 0.5 }],
    ['a start that is not an instant', { from: 'not a date', workingDays: 2 }],
    ['a deadline past 2100', { from: '2100-12-30T01:00:00Z', workingDays: 5 }],
  ])('fails non-retryably on %s', async (_what, input) => {
    const err = await activities.computeDeadline(input).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ nonRetryable: true, type: 'InvalidInput' });
  });

  test('fails non-retryably and promptly on a start in 9999', () => {
    const r = runIsolated(
      `import { createPrisma } from ${repoModule('lib/prisma')};
import { createProcedureActivities } from ${repoModule('activities/procedure')};
const db = createPrisma(undefined, 1);
const a = createProcedureActivities({ db, notifier: {} as never });
void a.computeDeadline({ from: '9999-12-31T00:00:00Z', workingDays: 2 }).then(
  () => console.log(JSON.stringify('resolved')),
  (e: { nonRetryable?: boolean; type?: string }) => console.log(JSON.stringify({ nonRetryable: e.nonRetryable, type: e.type })),
).finally(() => db.$disconnect());`,
      LIMIT_MS,
    );
    expect(r.timedOut).toBe(false);
    expect(JSON.parse(lastLine(r.stdout))).toEqual({ nonRetryable: true, type: 'InvalidInput' });
  });
});

describe('the calendar API', () => {
  let db: Db;
  let tree: DemoTree;
  let app: ReturnType<typeof createApp>;
  beforeAll(async () => {
    db = createPrisma(undefined, 3);
    tree = await buildDemoTree(db, { prefix: uniquePrefix('cal'), central: true, townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
    // these routes never reach Temporal
    app = createApp({ db, temporal: {} as Client });
  });
  afterAll(async () => {
    await db.calendarYear.deleteMany({ where: { year: 2027 } });
    await db.$disconnect();
  });
  const as = (token: string) => ({
    get: (path: string) => request(app).get(path).set('Authorization', `Bearer ${token}`),
    put: (path: string, body: object) => request(app).put(path).set('Authorization', `Bearer ${token}`).send(body),
  });

  const schedule2027 = {
    year: 2027,
    source: '测试用：2027年部分节假日安排（节选）',
    holidays: [{ name: '元旦', from: '2027-01-01', to: '2027-01-03' }],
    workdays: [],
  };

  test('computes a deadline, provisional until the next year is loaded by the central leading group', async () => {
    const staff = as(tree.villages[0].tokens.STAFF);
    const before = await staff.get('/calendar/add-working-days?from=2026-12-28&days=5');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ date: '2027-01-04', provisional: true, dueAt: '2027-01-04T16:00:00.000Z' });

    // the official calendar is national: no province loads it (issue 7 item 5)
    expect((await as(tree.county.tokens.LEADER).put('/admin/calendar/2027', schedule2027)).status).toBe(403);
    expect((await as(tree.province.tokens.LEADER).put('/admin/calendar/2027', schedule2027)).status).toBe(403);
    expect((await as(tree.central!.tokens.STAFF).put('/admin/calendar/2027', schedule2027)).status).toBe(403);
    const bad = await as(tree.central!.tokens.LEADER).put('/admin/calendar/2027', { ...schedule2027, workdays: [{ date: '2027-01-06', for: '元旦' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('body.workdays.0.date'); // 2027-01-06 is a Wednesday
    const loaded = await as(tree.central!.tokens.LEADER).put('/admin/calendar/2027', schedule2027);
    expect(loaded.status).toBe(200);

    const after = await staff.get('/calendar/add-working-days?from=2026-12-28&days=5');
    expect(after.body).toMatchObject({ date: '2027-01-05', provisional: false });
    expect((await staff.get('/calendar/2027')).body.source).toBe(schedule2027.source);
  });

  test('bad queries are 400', async () => {
    const res = await as(tree.villages[0].tokens.STAFF).get('/calendar/add-working-days?from=2026-2-1&days=0');
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['query.days', 'query.from']);
  });
});
