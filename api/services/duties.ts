/**
 * Periodic duties (004 art. 19): leaders' village visits and yearly responsibility letters. Each
 * duty of each person is a workflow (one per kind and person); this service starts them, records a
 * visit or a letter as an update signed by the caller, and lists the projection.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../../lib/prisma';
import { TASK_QUEUE } from '../../workflows/procedure/contract';
import { type DutyKind, type DutyRecordCommand, dutiesOf, dutyWorkflowId, recordDutyUpdate } from '../../workflows/duty/contract';
import type { dutyWorkflow } from '../../workflows/duty/workflow';
import { assertInScope, assertProvincialAdmin, type Principal } from '../auth';
import { badRequest, notFound } from '../errors';
import { decide } from './decide';
import { requestMemo } from '../request-context';

/** Starts the duty workflows of everyone under a unit (idempotent: running ones are kept). */
export async function ensureDuties(db: Db, temporal: Client, scopePath: string): Promise<number> {
  const people = await db.person.findMany({ where: { orgUnit: { path: { startsWith: scopePath }, department: null } }, include: { orgUnit: true } });
  let started = 0;
  for (const p of people) {
    for (const duty of dutiesOf(p.role, p.orgUnit.level)) {
      await temporal.workflow.start<typeof dutyWorkflow>('dutyWorkflow', {
        taskQueue: TASK_QUEUE,
        workflowId: dutyWorkflowId(duty.kind, p.id),
        workflowIdConflictPolicy: 'USE_EXISTING',
        memo: requestMemo(),
        args: [{ personId: p.id, personName: p.name, orgUnitId: p.orgUnitId, role: p.role, ...duty }],
      });
      started++;
    }
  }
  return started;
}

export interface DutyFilter {
  kind?: DutyKind;
  missed?: boolean;
}

export class DutyService {
  constructor(private readonly deps: { db: Db; temporal: Client; decisionWaitMs?: number }) {}

  /** A province's administrator starts the duties of everyone in the province. */
  async ensure(me: Principal): Promise<{ duties: number }> {
    assertProvincialAdmin(me);
    return { duties: await ensureDuties(this.deps.db, this.deps.temporal, me.scopePath) };
  }

  /** Records one of the caller's own duties: a visit names a village in the caller's scope. */
  async record(me: Principal, kind: DutyKind, body: Omit<DutyRecordCommand, 'actor'>, idempotencyKey?: string) {
    const { db, temporal, decisionWaitMs } = this.deps;
    if (kind === 'visit') {
      if (!body.villageId) throw badRequest('a visit names its village', [{ path: 'body.villageId', message: 'required for a visit' }]);
      const village = await db.orgUnit.findUnique({ where: { id: body.villageId } });
      if (!village || village.level !== 'VILLAGE') throw notFound(`village ${body.villageId}`);
      assertInScope(me, village.path);
    }
    const duty = await db.duty.findUnique({ where: { id: dutyWorkflowId(kind, me.personId) } });
    if (!duty) throw notFound(`a ${kind} duty of yours`);
    return decide(temporal.workflow.getHandle(duty.id), recordDutyUpdate, me, body, idempotencyKey, decisionWaitMs);
  }

  /** Duties of everyone under the caller's unit, the nearest period end first (at most 500). */
  async list(me: Principal, filter: DutyFilter) {
    const items = await this.deps.db.duty.findMany({
      where: { unitPath: { startsWith: me.scopePath }, ...(filter.kind ? { kind: filter.kind } : {}), ...(filter.missed !== undefined ? { missed: filter.missed } : {}) },
      orderBy: [{ periodEnd: 'asc' }, { id: 'asc' }],
      take: 500,
    });
    return { items };
  }
}
