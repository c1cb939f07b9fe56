import type { Db } from '../../lib/prisma';

/** The audit trail of one case of any kind, oldest first (CaseEvent: one table for every case). */
export async function readJournal(db: Db, caseType: 'procedure' | 'assessment' | 'rectification' | 'duty', caseId: string) {
  const rows = await db.caseEvent.findMany({ where: { caseType, caseId }, orderBy: { seq: 'asc' } });
  return rows.map(({ caseType: _type, ...row }) => row);
}
