/**
 * Text that the system can carry and store. Every string from outside passes here twice: at the
 * API edge (a 400 with the path) and in the workflows' validators (the last gate before history).
 *
 * Refused anywhere in a string, a key included:
 * - NUL and the other C0/C1 control characters except tab, line feed and carriage return
 *   (PostgreSQL cannot store NUL in text or jsonb: the projection would fail forever);
 * - an unpaired UTF-16 surrogate (not encodable as UTF-8: Temporal Core cannot carry it in a
 *   failure message, and PostgreSQL cannot store it);
 * - the bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069),
 *   which make a name or a comment read differently from what it is.
 *
 * Pure (no imports but types): bundled into the workflow sandbox.
 */

export interface TextProblem {
  /** where in the value, e.g. ["items", 0, "name"]; a hostile key is shown escaped */
  path: Array<string | number>;
  message: string;
}

const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;

/** Why a string cannot be accepted, or undefined if it can. */
export function textProblem(s: string): string | undefined {
  if (s.includes('\u0000')) return 'contains a NUL character';
  if (CONTROL.test(s)) return 'contains a control character';
  if (LONE_SURROGATE.test(s)) return 'contains an unpaired UTF-16 surrogate (not valid Unicode text)';
  if (BIDI_CONTROL.test(s)) return 'contains a bidirectional override character';
  return undefined;
}

/** A key shown in an error: every character that could not be accepted is written as \uXXXX. */
export function escapeText(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    const pairedHigh = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff;
    if (pairedHigh) {
      out += ch + s[++i];
    } else if (textProblem(ch) !== undefined || (c >= 0xd800 && c <= 0xdfff)) {
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/** Bounds the walk: a value nested deeper than this is refused rather than walked. */
const MAX_DEPTH = 32;

/**
 * Every problem in a JSON-like value (strings and object keys, at any depth), at most `limit` of
 * them. Numbers must be finite.
 */
export function findTextProblems(value: unknown, limit = 20): TextProblem[] {
  const problems: TextProblem[] = [];
  const walk = (v: unknown, path: Array<string | number>, depth: number): void => {
    if (problems.length >= limit) return;
    if (typeof v === 'string') {
      const message = textProblem(v);
      if (message) problems.push({ path, message });
      return;
    }
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) problems.push({ path, message: 'is not a finite number' });
      return;
    }
    if (v === null || typeof v !== 'object') return;
    if (depth >= MAX_DEPTH) {
      problems.push({ path, message: `is nested deeper than ${MAX_DEPTH} levels` });
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, [...path, i], depth + 1));
      return;
    }
    for (const [k, item] of Object.entries(v)) {
      const keyProblem = textProblem(k);
      if (keyProblem) problems.push({ path: [...path, escapeText(k)], message: `key ${keyProblem}` });
      else walk(item, [...path, k], depth + 1);
      if (problems.length >= limit) return;
    }
  };
  walk(value, [], 0);
  return problems;
}

/** Makes a message safe to carry anywhere (failure messages, logs): hostile characters escaped. */
export function safeMessage(message: string): string {
  return textProblem(message) === undefined ? message : escapeText(message);
}
