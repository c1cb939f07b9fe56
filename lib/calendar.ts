/**
 * The official working-day calendar (国务院办公厅 部分节假日安排). A year's schedule is data: declared
 * holidays are rest days, declared make-up workdays (调休上班) are working days even on a weekend,
 * every other weekend day rests. Dates are calendar dates in China (UTC+8), "YYYY-MM-DD".
 *
 * A count that passes through a year with no schedule loaded uses weekends alone and is marked
 * provisional, so the case can show that its deadline may still move.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Db } from './prisma';

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');

export const YearSchedule = z
  .object({
    year: z.number().int().min(2000).max(2100),
    /** the notice it transcribes, e.g. 国办发明电〔2025〕7号 */
    source: z.string().min(1).max(200),
    holidays: z.array(z.object({ name: z.string().min(1).max(40), from: IsoDate, to: IsoDate }).strict()).max(20),
    workdays: z.array(z.object({ date: IsoDate, for: z.string().min(1).max(40) }).strict()).max(20),
  })
  .strict()
  .superRefine((s, ctx) => {
    const inYear = (d: string) => d.startsWith(`${s.year}-`) || d.startsWith(`${s.year + 1}-01`) || d.startsWith(`${s.year - 1}-12`);
    s.holidays.forEach((h, i) => {
      if (h.from > h.to) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['holidays', i, 'to'], message: 'ends before it starts' });
      if (!inYear(h.from)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['holidays', i, 'from'], message: `not in ${s.year}` });
    });
    s.workdays.forEach((w, i) => {
      if (!inYear(w.date)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['workdays', i, 'date'], message: `not in ${s.year}` });
      if (!isWeekend(w.date)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['workdays', i, 'date'], message: 'a make-up workday must fall on a weekend' });
    });
  });
export type YearSchedule = z.infer<typeof YearSchedule>;

const DAY_MS = 86_400_000;
const CHINA_OFFSET_MS = 8 * 3_600_000;

const toDate = (iso: string) => new Date(`${iso}T00:00:00Z`);
const fmt = (d: Date) => d.toISOString().slice(0, 10);
export const nextDate = (iso: string) => fmt(new Date(toDate(iso).getTime() + DAY_MS));
export function isWeekend(iso: string): boolean {
  const day = toDate(iso).getUTCDay();
  return day === 0 || day === 6;
}
/** The date in China of an instant. */
export const chinaDate = (instant: Date | number) => fmt(new Date(new Date(instant).getTime() + CHINA_OFFSET_MS));
/** The instant a China date ends (its 24:00 in UTC+8): a deadline "by day D". */
export const endOfChinaDate = (iso: string) => new Date(toDate(iso).getTime() + DAY_MS - CHINA_OFFSET_MS);

export class WorkingCalendar {
  private readonly rest = new Set<string>();
  private readonly work = new Set<string>();
  private readonly years = new Map<number, YearSchedule>();

  constructor(schedules: YearSchedule[]) {
    for (const s of schedules) {
      this.years.set(s.year, s);
      for (const h of s.holidays) for (let d = h.from; d <= h.to; d = nextDate(d)) this.rest.add(d);
      for (const w of s.workdays) this.work.add(w.date);
    }
  }

  loadedYears(): number[] {
    return [...this.years.keys()].sort();
  }

  schedule(year: number): YearSchedule | undefined {
    return this.years.get(year);
  }

  hasYear(year: number): boolean {
    return this.years.has(year);
  }

  isWorkingDay(iso: string): boolean {
    if (this.work.has(iso)) return true;
    if (this.rest.has(iso)) return false;
    return !isWeekend(iso);
  }

  /**
   * The `days`-th working day after `from` (the day itself does not count), and whether any year
   * the count passed through has no schedule loaded.
   */
  addWorkingDays(from: string, days: number): { date: string; provisional: boolean } {
    if (!Number.isInteger(days) || days < 1) throw new RangeError('days must be a positive whole number');
    let date = from;
    let provisional = false;
    for (let left = days; left > 0; ) {
      date = nextDate(date);
      if (!this.hasYear(Number(date.slice(0, 4)))) provisional = true;
      if (this.isWorkingDay(date)) left--;
    }
    return { date, provisional };
  }
}

/** The schedules shipped in calendar/, validated. */
export function shippedSchedules(dir = join(__dirname, '..', 'calendar')): YearSchedule[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}\.json$/.test(f))
    .map((f) => YearSchedule.parse(JSON.parse(readFileSync(join(dir, f), 'utf8'))));
}

let shipped: YearSchedule[] | undefined;

/** Shipped schedules (read once: they ship with the code) overlaid by those loaded into the database. */
export async function loadCalendar(db: Db): Promise<WorkingCalendar> {
  shipped ??= shippedSchedules();
  const byYear = new Map(shipped.map((s) => [s.year, s]));
  for (const row of await db.calendarYear.findMany()) byYear.set(row.year, YearSchedule.parse(row.document));
  return new WorkingCalendar([...byYear.values()]);
}
