/**
 * What a supervisor looks at first: under my unit, per responsible unit, how many cases are
 * overdue or blocked, how many rectification items are overdue, and which periodic duties were
 * missed — the basis of the supervisors' dashboard.
 *
 * Counted in PostgreSQL, one query: the cases from ProcedureLateTally (a trigger keeps the late
 * cases counted per scope and responsible unit: a province has ~10^5 of them, ~10^4 units), joined
 * with the rectification items and duties (thousands) grouped by unit; the names of the top units. bench/supervision.ts measures it at 10^6
 * cases; test/supervision-indexes.test.ts checks the tally against the cases.
 */
import type { Db } from '../../lib/prisma';
import type { Principal } from '../auth';
import { likePrefix } from './sql';

type Row = { unitId: string; overdueCases: number; blockedCases: number; overdueItems: number; missedDuties: number };

/** A duty missed within this long counts (a period missed in the last twelve months). */
const MISSED_DUTY_WINDOW_MS = 365 * 86_400_000;

/** Units a summary lists at most, the most late first; `totalUnits` says how many have something late. */
export const SUMMARY_UNITS = 500;

export class SupervisionService {
  constructor(private readonly deps: { db: Db }) {}

  /** Units under mine with something late, the most late first. */
  async summary(me: Principal) {
    const within = likePrefix(me.scopePath);
    const since = new Date(Date.now() - MISSED_DUTY_WINDOW_MS);
    // the tally's scopes are org unit paths, as a scopePath is: its cases are those whose orgPath starts with it
    const rows = await this.deps.db.$queryRaw<Array<Row & { unitName: string | null; level: string | null; totalUnits: number }>>`
      WITH others AS (
        SELECT unit, sum(oi)::int AS oi, sum(md)::int AS md
        FROM (
          SELECT u AS unit, 1 AS oi, 0 AS md
          FROM "RectificationItem" i
            JOIN "Rectification" r ON r."id" = i."rectificationId"
            CROSS JOIN LATERAL unnest(i."responsibleUnitIds") AS u
          WHERE i."overdue" AND i."status" <> 'CONFIRMED' AND r."unitPath" LIKE ${within} AND NOT (u = ANY (coalesce(i."closedUnitIds", '{}')))
          UNION ALL
          SELECT "orgUnitId", 0, 1 FROM "Duty" WHERE "unitPath" LIKE ${within} AND ("missed" OR "lastMissedAt" >= ${since})
        ) counted
        GROUP BY unit
      ), late AS (
        SELECT coalesce(c."unitId", o.unit) AS unit, coalesce(c."overdueCases", 0) AS oc, coalesce(c."blockedCases", 0) AS bc,
          coalesce(o.oi, 0) AS oi, coalesce(o.md, 0) AS md
        FROM (
          SELECT "unitId", "overdueCases", "blockedCases" FROM "ProcedureLateTally"
          WHERE "scopePath" = ${me.scopePath} AND ("overdueCases" > 0 OR "blockedCases" > 0)
        ) c
        FULL JOIN others o ON o.unit = c."unitId"
      ), top AS (
        SELECT late.*, count(*) OVER () AS total FROM late ORDER BY oc + bc + oi + md DESC, unit LIMIT ${SUMMARY_UNITS}
      )
      SELECT t.unit AS "unitId", t.oc AS "overdueCases", t.bc AS "blockedCases", t.oi AS "overdueItems", t.md AS "missedDuties",
        u."name" AS "unitName", u."level"::text AS "level", t.total::int AS "totalUnits"
      FROM top t LEFT JOIN "OrgUnit" u ON u."id" = t.unit`;
    const late = (r: Row) => r.overdueCases + r.overdueItems + r.missedDuties + r.blockedCases;
    const units = rows
      .map(({ unitId, overdueCases, blockedCases, overdueItems, missedDuties, unitName, level }) => ({
        unitId,
        overdueCases,
        blockedCases,
        overdueItems,
        missedDuties,
        unitName: unitName ?? undefined,
        level: level ?? undefined,
      }))
      .sort((a, b) => late(b) - late(a) || a.unitId.localeCompare(b.unitId));
    return { units, totalUnits: rows[0]?.totalUnits ?? 0 };
  }
}
