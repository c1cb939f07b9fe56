/**
 * Calendar dates as the system carries them: "YYYY-MM-DD", a day that exists in the Gregorian
 * calendar (a round trip through Date gives the same text back: no 2026-02-30, no 2025-02-29), in
 * the years the system supports, 2000–2100. A date outside them is refused wherever it comes in,
 * so no count of days ever runs towards year 10000 (where `toISOString` writes "+010000-01-01").
 *
 * Pure (zod only): bundled into the workflow sandbox; lib/calendar.ts and the API routes reuse it.
 */
import { z } from 'zod';

export const MIN_YEAR = 2000;
export const MAX_YEAR = 2100;
export const MIN_DATE = `${MIN_YEAR}-01-01`;
export const MAX_DATE = `${MAX_YEAR}-12-31`;

const DAY_MS = 86_400_000;
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
