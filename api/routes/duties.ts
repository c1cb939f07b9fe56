/** Periodic duties: leaders' village visits and yearly responsibility letters (004 art. 19). */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Client } from '@temporalio/client';
import type { Db } from '../../lib/prisma';
import { TASK_QUEUE } from '../../workflows/procedure/contract';
import { DutyKind, DutyRecordBody, dutiesOf, dutyWorkflowId, recordDutyUpdate } from '../../workflows/duty/contract';
import type { dutyWorkflow } from '../../workflows/duty/workflow';
import { assertInScope, assertProvincialAdmin, principalOf } from '../auth';
import { badRequest, notFound } from '../errors';
import { decide } from '../services/decide';
import { idempotent } from '../idempotency';
import { parse } from '../validate';

export const DutiesQuery = z.object({ missed: z.enum(['true', 'false']).optional(), kind: z.enum(['visit', 'responsibility_letter']).optional() });

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
        args: [{ personId: p.id, personName: p.name, orgUnitId: p.orgUnitId, role: p.role, ...duty }],
      });
      started++;
    }
  }
  return started;
}

export function dutyRoutes(db: Db, temporal: Client, decisionWaitMs?: number): Router {
  const r = Router();
  const once = idempotent(db);

  r.post('/admin/duties/ensure', async (req, res) => {
    const me = principalOf(req);
    assertProvincialAdmin(me);
    res.json({ duties: await ensureDuties(db, temporal, me.scopePath) });
  });

  const recordRoute = (kind: DutyKind) => async (req: Request, res: import('express').Response) => {
    const me = principalOf(req);
    const body = parse(DutyRecordBody, req.body, 'body');
    if (kind === 'visit') {
      if (!body.villageId) throw badRequest('a visit names its village', [{ path: 'body.villageId', message: 'required for a visit' }]);
      const village = await db.orgUnit.findUnique({ where: { id: body.villageId } });
      if (!village || village.level !== 'VILLAGE') throw notFound(`village ${body.villageId}`);
      assertInScope(me, village.path);
    }
    const duty = await db.duty.findUnique({ where: { id: dutyWorkflowId(kind, me.personId) } });
    if (!duty) throw notFound(`a ${kind} duty of yours`);
    res.status(201).json(await decide(temporal.workflow.getHandle(duty.id), recordDutyUpdate, me, body, req.idempotencyKey, decisionWaitMs));
  };
  r.post('/duties/visits', once, recordRoute('visit'));
  r.post('/duties/letters', once, recordRoute('responsibility_letter'));

  r.get('/duties', async (req, res) => {
    const me = principalOf(req);
    const q = parse(DutiesQuery, req.query, 'query');
    const items = await db.duty.findMany({
      where: { unitPath: { startsWith: me.scopePath }, ...(q.kind ? { kind: q.kind } : {}), ...(q.missed ? { missed: q.missed === 'true' } : {}) },
      orderBy: [{ periodEnd: 'asc' }, { id: 'asc' }],
      take: 500,
    });
    res.json({ items });
  });

  return r;
}
