/** Periodic duties: leaders' village visits and yearly responsibility letters (004 art. 19). zod parse → service → answer. */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Db } from '../../lib/prisma';
import { type DutyKind, DutyRecordBody } from '../../workflows/duty/contract';
import { principalOf } from '../auth';
import { idempotent } from '../idempotency';
import type { DutyService } from '../services/duties';
import { parse } from '../validate';

export const DutiesQuery = z.object({ missed: z.enum(['true', 'false']).optional(), kind: z.enum(['visit', 'responsibility_letter']).optional() });

export function dutyRoutes(service: DutyService, db: Db): Router {
  const r = Router();
  const once = idempotent(db);

  r.post('/admin/duties/ensure', async (req, res) => {
    res.json(await service.ensure(principalOf(req)));
  });

  const recordRoute = (kind: DutyKind) => async (req: Request, res: Response) => {
    const me = principalOf(req);
    const body = parse(DutyRecordBody, req.body, 'body');
    res.status(201).json(await service.record(me, kind, body, req.idempotencyKey));
  };
  r.post('/duties/visits', once, recordRoute('visit'));
  r.post('/duties/letters', once, recordRoute('responsibility_letter'));

  r.get('/duties', async (req, res) => {
    const me = principalOf(req);
    const q = parse(DutiesQuery, req.query, 'query');
    res.json(await service.list(me, { kind: q.kind, missed: q.missed === undefined ? undefined : q.missed === 'true' }));
  });

  return r;
}
