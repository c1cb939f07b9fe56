/**
 * What a supervisor looks at first: under my unit, per responsible unit, how many cases are
 * overdue or blocked, how many rectification items are overdue, and which periodic duties were
 * missed — the basis of the supervisors' dashboard.
 */
import type { Db } from '../../lib/prisma';
import type { Principal } from '../auth';

type Row = { unitId: string; overdueCases: number; blockedCases: number; overdueItems: number; missedDuties: number };

/** A duty missed within this long counts (a period missed in the last twelve months). */
const MISSED_DUTY_WINDOW_MS = 365 * 86_400_000;

export class SupervisionService {
  constructor(private readonly deps: { db: Db }) {}

  /** Units under mine with something late, the most late things first. */
  async summary(me: Principal) {
    const { db } = this.deps;
    const within = { startsWith: me.scopePath };
    const [cases, items, duties] = await Promise.all([
      db.procedure.findMany({
        where: { status: 'ACTIVE', orgPath: within, OR: [{ overdue: true }, { blockedReason: { not: null } }] },
        select: { responsibleOrgUnitId: true, overdue: true, blockedReason: true },
      }),
      db.rectificationItem.findMany({
        where: { overdue: true, status: { not: 'CONFIRMED' }, rectification: { unitPath: within } },
        select: { responsibleUnitIds: true, closedUnitIds: true },
      }),
      db.duty.findMany({
        where: { unitPath: within, OR: [{ missed: true }, { lastMissedAt: { gte: new Date(Date.now() - MISSED_DUTY_WINDOW_MS) } }] },
        select: { orgUnitId: true },
      }),
    ]);
    const rows = new Map<string, Row>();
    const row = (unitId: string) => {
      let r = rows.get(unitId);
      if (!r) rows.set(unitId, (r = { unitId, overdueCases: 0, blockedCases: 0, overdueItems: 0, missedDuties: 0 }));
      return r;
    };
    for (const c of cases) {
      if (!c.responsibleOrgUnitId) continue;
      if (c.overdue) row(c.responsibleOrgUnitId).overdueCases++;
      if (c.blockedReason) row(c.responsibleOrgUnitId).blockedCases++;
    }
    for (const i of items) for (const u of i.responsibleUnitIds.filter((u) => !i.closedUnitIds.includes(u))) row(u).overdueItems++;
    for (const d of duties) row(d.orgUnitId).missedDuties++;
    const names = new Map(
      (await db.orgUnit.findMany({ where: { id: { in: [...rows.keys()] } }, select: { id: true, name: true, level: true } })).map((u) => [u.id, u]),
    );
    const late = (r: Row) => r.overdueCases + r.overdueItems + r.missedDuties + r.blockedCases;
    const units = [...rows.values()]
      .map((r) => ({ ...r, unitName: names.get(r.unitId)?.name, level: names.get(r.unitId)?.level }))
      .sort((a, b) => late(b) - late(a) || a.unitId.localeCompare(b.unitId));
    return { units };
  }
}
