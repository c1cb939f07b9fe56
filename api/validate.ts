import type { z } from 'zod';
import { ApiError } from './errors';

/** Parses one part of a request; a failure becomes a 400 with the zod paths, prefixed by the part. */
export function parse<T extends z.ZodTypeAny>(schema: T, value: unknown, part: 'body' | 'params' | 'query'): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    throw new ApiError(
      400,
      'ValidationError',
      'invalid request',
      result.error.issues.map((i) => ({ path: [part, ...i.path].join('.'), message: i.message, code: i.code })),
    );
  }
  return result.data;
}
