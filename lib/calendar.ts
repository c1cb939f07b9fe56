/**
 * The official working-day calendar (国务院办公厅 部分节假日安排). A year's schedule is data: declared
 * holidays are rest days, declared make-up workdays (调休上班) are working days even on a weekend,
 * every other weekend day rests. Dates are calendar dates in China (UTC+8), "YYYY-MM-DD".
 *
 * A count that passes through a year with no schedule loaded uses weekends alone and is marked
 * provisional, so the case can show that its deadline may still move.
 *
 * Every date is a real calendar date in 2000–2100 (lib/dates.ts) and every loop over
 * days is bounded: a holiday lasts at most MAX_HOLIDAY_DAYS, a count stops at 2100-12-31 (a
 * RangeError), and a stored schedule that is not valid is refused with a logged error, never
 * iterated (a holiday "to 9999-12-31" used to hang every calendar load).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Db } from './prisma';
import { DAY_MS, IsoDate, MAX_DATE, MIN_DATE, chinaDate, daysBetween, endOfChinaDate, isSupportedDate, parseRealDate, toTime } from './dates';

export { IsoDate, MAX_DATE, MIN_DATE } from './dates';

/** The longest holiday a schedule may declare (the longest official ones, 春节 and 国庆, run 8–9 days). */
export const MAX_HOLIDAY_DAYS = 31;

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
    // the year's window: the year itself, the December before and the January after
    const first = `${s.year - 1}-12-01`;
    const last = `${s.year + 1}-01-31`;
    const inYear = (d: string) => d >= first && d <= last;
    const issue = (path: Array<string | number>, message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
    s.holidays.forEach((h, i) => {
      // (a date that is not one was reported by IsoDate already)
      if (!isSupportedDate(h.from) || !isSupportedDate(h.to)) return;
      if (!inYear(h.from)) issue(['holidays', i, 'from'], `not in ${s.year}`);
      if (!inYear(h.to)) issue(['holidays', i, 'to'], `not in ${s.year}`);
      const days = daysBetween(h.from, h.to) + 1;
      if (days < 1) issue(['holidays', i, 'to'], 'ends before it starts');
      else if (days > MAX_HOLIDAY_DAYS) issue(['holidays', i, 'to'], `a holiday lasts at most ${MAX_HOLIDAY_DAYS} days`);
    });
    s.workdays.forEach((w, i) => {
      if (!isSupportedDate(w.date)) return;
      if (!inYear(w.date)) issue(['workdays', i, 'date'], `not in ${s.year}`);
      if (!isWeekend(w.date)) issue(['workdays', i, 'date'], 'a make-up workday must fall on a weekend');
    });
  });
export type YearSchedule = z.infer<typeof YearSchedule>;

const fmt = (d: Date) => d.toISOString().slice(0, 10);
/** The day after a real date; a RangeError rather than a non-date (after 9999-12-31 comes "+010000-01"). */
export function nextDate(iso: string): string {
  const next = fmt(new Date(toTime(iso) + DAY_MS));
  if (parseRealDate(next) === undefined) throw new RangeError('the day after is not a date as YYYY-MM-DD');
  return next;
}
export function isWeekend(iso: string): boolean {
  const day = new Date(toTime(iso)).getUTCDay();
  return day === 0 || day === 6;
}
// the calendar's dates are China dates; their arithmetic lives with the dates
export { chinaDate, endOfChinaDate };

export class WorkingCalendar {
  private readonly rest = new Set<string>();
  private readonly work = new Set<string>();
  private readonly years = new Map<number, YearSchedule>();

  /**
   * Each schedule is validated again (a stored document may predate the rules): one that is not
   * valid is refused with a logged error, never iterated; its year counts on weekends alone.
   */
  constructor(schedules: YearSchedule[]) {
    for (const raw of schedules) {
      const checked = YearSchedule.safeParse(raw);
      if (!checked.success) {
        logRefused(raw, checked.error);
        continue;
      }
      const s = checked.data;
      this.years.set(s.year, s);
      for (const h of s.holidays) {
        // at most MAX_HOLIDAY_DAYS steps, whatever the dates say
        for (let n = 0, d = h.from; n < MAX_HOLIDAY_DAYS; n++, d = nextDate(d)) {
          this.rest.add(d);
          if (d >= h.to) break;
        }
      }
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
   * the count passed through has no schedule loaded. A RangeError if `from` is not a date of
   * 2000–2100 or the count would end after 2100-12-31: the loop never runs past that day.
   */
  addWorkingDays(from: string, days: number): { date: string; provisional: boolean } {
    if (!Number.isInteger(days) || days < 1) throw new RangeError('days must be a positive whole number');
    if (!isSupportedDate(from)) throw new RangeError(`the start must be a real date from ${MIN_DATE} to ${MAX_DATE}`);
    // a hard bound besides: no count takes more steps than there are days up to MAX_DATE
    const maxSteps = daysBetween(from, MAX_DATE);
    if (days > maxSteps) throw new RangeError(`${days} working days from ${from} end after ${MAX_DATE}`);
    let date = from;
    let provisional = false;
    for (let left = days, step = 0; left > 0; step++) {
      if (step >= maxSteps) throw new RangeError(`${days} working days from ${from} end after ${MAX_DATE}`);
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
  for (const row of await db.calendarYear.findMany()) {
    // a stored document that is not valid (loaded before the rules, or written by hand) is skipped
    const parsed = YearSchedule.safeParse(row.document);
    if (parsed.success && parsed.data.year === row.year) byYear.set(row.year, parsed.data);
    else logRefused(row.document, parsed.error, row.year);
  }
  return new WorkingCalendar([...byYear.values()]);
}

/** A refused schedule goes to the log (the paths and codes of its problems, none of its text). */
function logRefused(document: unknown, error: z.ZodError | undefined, storedAs?: number): void {
  const year = (document as { year?: unknown } | null)?.year;
  const which = storedAs ?? (typeof year === 'number' && Number.isInteger(year) ? year : 'of an unknown year');
  const problems = error ? error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.code}`).join('; ') : `its year is not ${storedAs}`;
  const fix = typeof which === 'number' ? `; load it again with PUT /admin/calendar/${which}` : '';
  console.error(`calendar: the holiday schedule ${which} is not valid and is ignored (${problems})${fix}`);
}
