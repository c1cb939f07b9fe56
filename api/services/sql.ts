/** Small pieces of the hand-written SQL the services send (`$queryRaw`, parameterised). */

/**
 * The LIKE pattern of the strings that start with `prefix`, its `\`, `%` and `_` taken literally
 * (Prisma's `startsWith` leaves them as wildcards). With the prefix bound as a parameter the planner
 * still reads the literal prefix off it, so a `text_pattern_ops` index serves the match.
 */
export const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, '\\$&')}%`;
