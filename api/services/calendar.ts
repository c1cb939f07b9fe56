/**
 * The official working-day calendar as the API serves it: counting working days, a year's holiday
 * schedule, and loading a newly published year (the central leading group only: the calendar is
 * national, every province's deadlines run on it).
 */
import type { Prisma } from '../../generated/prisma/client';
import type { Db } from '../../lib/prisma';
import { MAX_DATE, chinaDate, endOfChinaDate, loadCalendar, type YearSchedule } from '../../lib/calendar';
import { assertCentralAdmin, type Principal } from '../auth';
import { ApiError, notFound } from '../errors';

export class CalendarService {
  constructor(private readonly deps: { db: Db }) {}

  /** The date `days` working days after `from`, and the instant a deadline counted so ends. */
  async addWorkingDays(from: string, days: number) {
    const calendar = await loadCalendar(this.deps.db);
    let counted: { date: string; provisional: boolean };
    try {
      counted = calendar.addWorkingDays(from, days);
    } catch (err) {
      // the count would end after the last supported date
      if (err instanceof RangeError) throw new ApiError(400, 'ValidationError', 'invalid request', [{ path: 'query.days', message: `the count ends after ${MAX_DATE}` }]);
      throw err;
    }
    const { date, provisional } = counted;
    return { from, days, date, dueAt: endOfChinaDate(date).toISOString(), provisional };
  }

  /** A year's holiday schedule, and today's date in China. */
  async year(year: number) {
    const calendar = await loadCalendar(this.deps.db);
    const schedule = calendar.schedule(year);
    if (!schedule) throw notFound(`holiday schedule of ${year}`);
    return { ...schedule, today: chinaDate(Date.now()) };
  }

  /** Loads (or replaces) a year's official schedule (国务院办公厅 部分节假日安排). */
  async load(me: Principal, year: number, schedule: YearSchedule): Promise<YearSchedule> {
    assertCentralAdmin(me);
    if (schedule.year !== year) throw new ApiError(400, 'ValidationError', 'invalid request', [{ path: 'body.year', message: `must be ${year}` }]);
    const document = schedule as unknown as Prisma.InputJsonValue;
    await this.deps.db.calendarYear.upsert({
      where: { year },
      create: { year, source: schedule.source, document, loadedById: me.personId },
      update: { source: schedule.source, document, loadedById: me.personId, loadedAt: new Date() },
    });
    return schedule;
  }
}
