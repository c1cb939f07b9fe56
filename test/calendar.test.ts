/**
 * The official working-day calendar: the shipped 2025 and 2026 notices (国务院办公厅 部分节假日安排),
 * cross-checked day by day against the maintained `chinese-days` package; arithmetic across the 2026
 * Spring Festival and National Day with their make-up workdays (调休); a provisional count in a
 * year with no schedule, and an administrator loading that year through the API.
 */
import * as chineseDays from 'chinese-days';
import { WorkingCalendar, endOfChinaDate, nextDate, shippedSchedules } from '../lib/calendar';
import { createPrisma, type Db } from '../lib/prisma';
import { createApp } from '../api/app';
import { buildDemoTree, type DemoTree } from '../lib/demo';
import request from 'supertest';
import type { Client } from '@temporalio/client';
import { uniquePrefix } from './helpers/stack';

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

describe('the calendar API', () => {
  let db: Db;
  let tree: DemoTree;
  let app: ReturnType<typeof createApp>;
  beforeAll(async () => {
    db = createPrisma(undefined, 3);
    tree = await buildDemoTree(db, { prefix: uniquePrefix('cal'), townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
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

  test('computes a deadline, provisional until the next year is loaded by a provincial administrator', async () => {
    const staff = as(tree.villages[0].tokens.STAFF);
    const before = await staff.get('/calendar/add-working-days?from=2026-12-28&days=5');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ date: '2027-01-04', provisional: true, dueAt: '2027-01-04T16:00:00.000Z' });

    expect((await as(tree.county.tokens.LEADER).put('/admin/calendar/2027', schedule2027)).status).toBe(403);
    expect((await as(tree.province.tokens.STAFF).put('/admin/calendar/2027', schedule2027)).status).toBe(403);
    const bad = await as(tree.province.tokens.LEADER).put('/admin/calendar/2027', { ...schedule2027, workdays: [{ date: '2027-01-06', for: '元旦' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('body.workdays.0.date'); // 2027-01-06 is a Wednesday
    const loaded = await as(tree.province.tokens.LEADER).put('/admin/calendar/2027', schedule2027);
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
