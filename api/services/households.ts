/** 建档立卡 households as the API lists them: those of a village, or of every village in my scope. */
import type { Db } from '../../lib/prisma';
import { assertInScope, type Principal } from '../auth';
import { notFound } from '../errors';

export interface HouseholdFilter {
  villageId?: string;
  status?: 'POOR' | 'EXITING' | 'EXITED';
  limit: number;
}

export class HouseholdService {
  constructor(private readonly deps: { db: Db }) {}

  /** Households with their members, in registry order; a named village must be in my scope. */
  async list(me: Principal, q: HouseholdFilter) {
    const { db } = this.deps;
    if (q.villageId) {
      const village = await db.orgUnit.findUnique({ where: { id: q.villageId } });
      if (!village) throw notFound(`village ${q.villageId}`);
      assertInScope(me, village.path);
    }
    const villages = await db.orgUnit.findMany({ where: { level: 'VILLAGE', path: { startsWith: me.scopePath } }, select: { id: true } });
    return db.household.findMany({
      where: {
        villageId: q.villageId ?? { in: villages.map((v) => v.id) },
        ...(q.status ? { status: q.status } : {}),
      },
      include: { members: true },
      orderBy: { registryNo: 'asc' },
      take: q.limit,
    });
  }
}
