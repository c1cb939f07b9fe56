/**
 * Calendar dates as the system carries them: "YYYY-MM-DD", a day that exists in the Gregorian
 * calendar (a round trip through Date gives the same text back: no 2026-02-30, no 2025-02-29), in
 * the years the system supports, 2000–2100. A date outside them is refused wherever it comes in,
 * so no count of days ever runs towards year 10000 (where `toISOString` writes "+010000-01-01").
 *
 * Also China-time arithmetic (UTC+8 all year): the year, the date and the end of a date in China,
 * and the quarter or year around an instant.
 *
 * Pure (zod only, no node module, no Prisma): bundled into the workflow sandbox; lib/calendar.ts,
 * the API and the scripts reuse it.
 */
import { z } from 'zod';

export const MIN_YEAR = 2000;
export const MAX_YEAR = 2100;
export const MIN_DATE = `${MIN_YEAR}-01-01`;
export const MAX_DATE = `${MAX_YEAR}-12-31`;

export const DAY_MS = 86_400_000;
/** China keeps UTC+8 all year: a China date's midnight is 16:00 UTC of the day before. */
export const CHINA_OFFSET_MS = 8 * 3_600_000;
const SHAPE = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC midnight of a "YYYY-MM-DD" that exists (any four-digit year), or undefined. */
export function parseRealDate(s: string): number | undefined {
  if (typeof s !== 'string' || !SHAPE.test(s)) return undefined;
  const t = Date.parse(`${s}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === s ? t : undefined;
}

/** True if `s` is a real date from 2000-01-01 to 2100-12-31. */
export const isSupportedDate = (s: string): boolean => parseRealDate(s) !== undefined && s >= MIN_DATE && s <= MAX_DATE;

/** Days from `a` to `b` (both real dates): 0 for the same day, negative if `b` comes first. */
export function daysBetween(a: string, b: string): number {
  const ta = parseRealDate(a);
  const tb = parseRealDate(b);
  if (ta === undefined || tb === undefined) throw new RangeError('not a real date as YYYY-MM-DD');
  return Math.round((tb - ta) / DAY_MS);
}

/** A date from outside: "YYYY-MM-DD", a day that exists, 2000–2100. */
export const IsoDate = z.string().refine(isSupportedDate, { message: `a real date as YYYY-MM-DD from ${MIN_DATE} to ${MAX_DATE}` });

/** The calendar year in China (UTC+8) at the instant `ms`: an assessment, an exit case belong to it. */
export const chinaYear = (ms: number): number => new Date(ms + CHINA_OFFSET_MS).getUTCFullYear();

/** The UTC midnight of a real "YYYY-MM-DD"; a RangeError for anything else. */
export function toTime(iso: string): number {
  const t = parseRealDate(iso);
  if (t === undefined) throw new RangeError('not a real date as YYYY-MM-DD');
  return t;
}

/** The date in China of an instant. */
export const chinaDate = (instant: Date | number): string => new Date(new Date(instant).getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);

/** The instant a China date ends (its 24:00 in UTC+8): a deadline "by day D". */
export const endOfChinaDate = (iso: string): Date => new Date(toTime(iso) + DAY_MS - CHINA_OFFSET_MS);

/** The quarter or year containing an instant, as China-time boundaries (ms). */
export function periodOf(ms: number, period: 'quarter' | 'year'): { start: number; end: number } {
  const local = new Date(ms + CHINA_OFFSET_MS);
  const y = local.getUTCFullYear();
  if (period === 'year') return { start: Date.UTC(y, 0, 1) - CHINA_OFFSET_MS, end: Date.UTC(y + 1, 0, 1) - CHINA_OFFSET_MS };
  const q = Math.floor(local.getUTCMonth() / 3);
  return { start: Date.UTC(y, q * 3, 1) - CHINA_OFFSET_MS, end: Date.UTC(y, q * 3 + 3, 1) - CHINA_OFFSET_MS };
}
