import type { z } from 'zod';
import { findTextProblems } from '../workflows/shared/text';
import { ApiError } from './errors';

type Part = 'body' | 'params' | 'query' | 'header';

/** 400 ValidationError with every problem's path, prefixed by the part of the request. */
export function invalid(part: Part, issues: Array<{ path: Array<string | number>; message: string; code?: string }>): ApiError {
  return new ApiError(
    400,
    'ValidationError',
    'invalid request',
    issues.map((i) => ({ path: [part, ...i.path].join('.'), message: i.message, ...(i.code ? { code: i.code } : {}) })),
  );
}

/** Refuses text no part of the system can carry (NUL, unpaired surrogates, …) anywhere in a value. */
export function assertCleanText(value: unknown, part: Part): void {
  const problems = findTextProblems(value);
  if (problems.length) throw invalid(part, problems.map((p) => ({ ...p, code: 'invalid_text' })));
}

/**
 * Parses one part of a request; a failure becomes a 400 with the zod paths, prefixed by the part.
 * Hostile text is refused before the schema sees it, so no message ever echoes it.
 */
export function parse<T extends z.ZodTypeAny>(schema: T, value: unknown, part: 'body' | 'params' | 'query'): z.infer<T> {
  assertCleanText(value, part);
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw invalid(part, result.error.issues);
  return result.data;
}
