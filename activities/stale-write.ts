/**
 * The one stale-write guard of every projection (activities/projection.ts on Prisma, the procedure
 * row in activities/sql-projection.ts): a snapshot row is written only over an older version, so a
 * projection that lands late never overwrites a newer state.
 */

/** One projected version: compared in order, the first differing field decides. */
export type Version = Array<[field: string, value: number | Date]>;

/** A where-clause matching rows whose version is older than `version`. */
function olderThan(version: Version): Record<string, unknown> {
  const [[field, value], ...rest] = version;
  if (!rest.length) return { [field]: { lt: value } };
  return { OR: [{ [field]: { lt: value } }, { [field]: value, ...olderThan(rest) }] };
}

/**
 * The stale-write guard: updates the row only if it holds an older version, creates it if there
 * is none. Returns false when a newer version is already projected (the write is dropped).
 */
export async function writeIfNewer(
  version: Version,
  table: {
    /** updates the row where it is older (`olderWhere`, as a Prisma where-clause); the rows touched */
    update: (olderWhere: Record<string, unknown>) => Promise<{ count: number }>;
    exists: () => Promise<boolean>;
    create: () => Promise<unknown>;
  },
): Promise<boolean> {
  if ((await table.update(olderThan(version))).count > 0) return true;
  if (await table.exists()) return false;
  await table.create();
  return true;
}
