/**
 * HTTP routes: zod parse → service → typed error → status. Nothing else happens here.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { chinaYear } from '../../lib/dates';
import type { Db } from '../../lib/prisma';
import { CancelBody, IndicatorsBody, ObjectionBody, SignOffBody } from '../../workflows/procedure/contract';
import { ProcedureType } from '../../workflows/procedure/definition';
import { principalOf } from '../auth';
import { idempotent } from '../idempotency';
import { ApiError } from '../errors';
import type { HouseholdService } from '../services/households';
import type { NotificationService } from '../services/notifications';
import type { ProcedureService } from '../services/procedures';
import { parse } from '../validate';

export const Year = z.number().int().min(2013).max(2100);
export const Id = z.string().min(1).max(100);
/**
 * Any procedure type: the subject is what its definition names (a household, or a unit of a level),
 * as `subjectId`; `householdId`, `villageId` and `countyId` are the names the exits took before.
 */
const SUBJECT_FIELDS = ['subjectId', 'householdId', 'villageId', 'countyId'] as const;
export const StartProcedure = z
  .object({
    subjectId: Id.optional(),
    householdId: Id.optional(),
    villageId: Id.optional(),
    countyId: Id.optional(),
    year: Year.optional(),
    comment: z.string().max(2000).optional(),
  })
  .strict()
  .refine((b) => SUBJECT_FIELDS.filter((f) => b[f] !== undefined).length === 1, { message: 'name the subject once: subjectId', path: ['subjectId'] });
const subjectIdOf = (body: z.infer<typeof StartProcedure>): string => body.subjectId ?? body.householdId ?? body.villageId ?? body.countyId!;
export const ProcedureTypeParams = z.object({ procedureType: ProcedureType });
export const StartVillageExits = z
  .object({ villageId: Id, year: Year.optional(), householdIds: z.array(Id).min(1).max(500).optional() })
  .strict();
export const CaseParams = z.object({ caseId: z.string().uuid() });
export const BatchParams = z.object({ batchId: z.string().uuid() });
export const Paging = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) });
export const OverdueQuery = Paging.extend({ staleDays: z.coerce.number().int().min(1).max(3650).optional() });
export const NotificationQuery = Paging.extend({ unread: z.enum(['true', 'false']).optional() });
export const HouseholdQuery = Paging.extend({ villageId: Id.optional(), status: z.enum(['POOR', 'EXITING', 'EXITED']).optional() });
export const NotificationParams = z.object({ id: z.string().uuid() });

export function procedureRoutes(service: ProcedureService, db: Db, notifications: NotificationService, households: HouseholdService): Router {
  const r = Router();
  const once = idempotent(db);
  const key = (req: Request) => req.idempotencyKey;

  r.get('/me', (req, res) => {
    res.json(principalOf(req));
  });

  const start = async (req: Request, type: ProcedureType, subjectId: string, year: number | undefined, comment?: string) => {
    const result = await service.start(principalOf(req), type, subjectId, year ?? chinaYear(Date.now()), comment, key(req));
    if (result.outcome === 'already_open') {
      throw new ApiError(409, 'CaseAlreadyOpen', 'this subject already has an open case of this procedure for the year', result);
    }
    if (result.outcome === 'not_eligible') throw new ApiError(409, 'NotEligible', result.reason);
    return result;
  };
  // 201 with the open case; 202 when it was started but no worker has opened it yet
  const answerStart = (res: Response, result: Awaited<ReturnType<typeof start>>) => {
    res.status('pending' in result ? 202 : 201).json(result);
  };

  // 202: the batch opens the cases; its progress is at /procedures/batches/:batchId
  r.post('/procedures/household-exit/bulk', once, async (req, res) => {
    const body = parse(StartVillageExits, req.body, 'body');
    const batch = await service.startVillageHouseholdExits(principalOf(req), body.villageId, body.year ?? chinaYear(Date.now()), body.householdIds, key(req));
    res.status(202).location(batch.progress).json(batch);
  });

  r.get('/procedures/batches/:batchId', async (req, res) => {
    const { batchId } = parse(BatchParams, req.params, 'params');
    res.json(await service.batch(principalOf(req), batchId));
  });

  // every procedure type, shipped or published, by its slug: household-exit, village-exit, county-exit, …
  r.post('/procedures/:procedureType', once, async (req, res) => {
    const { procedureType } = parse(ProcedureTypeParams, req.params, 'params');
    const body = parse(StartProcedure, req.body, 'body');
    answerStart(res, await start(req, procedureType, subjectIdOf(body), body.year, body.comment));
  });

  r.get('/procedures/:caseId', async (req, res) => {
    const { caseId } = parse(CaseParams, req.params, 'params');
    res.json(await service.get(principalOf(req), caseId));
  });

  r.post('/procedures/:caseId/sign-off', once, async (req, res) => {
    const { caseId } = parse(CaseParams, req.params, 'params');
    res.json(await service.signOff(principalOf(req), caseId, parse(SignOffBody, req.body, 'body'), key(req)));
  });

  r.post('/procedures/:caseId/objections', once, async (req, res) => {
    const { caseId } = parse(CaseParams, req.params, 'params');
    res.status(201).json(await service.raiseObjection(principalOf(req), caseId, parse(ObjectionBody, req.body, 'body'), key(req)));
  });

  r.post('/procedures/:caseId/indicators', once, async (req, res) => {
    const { caseId } = parse(CaseParams, req.params, 'params');
    res.json(await service.submitIndicators(principalOf(req), caseId, parse(IndicatorsBody, req.body, 'body'), key(req)));
  });

  r.post('/procedures/:caseId/cancel', once, async (req, res) => {
    const { caseId } = parse(CaseParams, req.params, 'params');
    res.json(await service.cancel(principalOf(req), caseId, parse(CancelBody, req.body, 'body'), key(req)));
  });

  r.get('/inbox', async (req, res) => {
    const { limit } = parse(Paging, req.query, 'query');
    res.json({ items: await service.inbox(principalOf(req), limit) });
  });

  r.get('/supervision/overdue', async (req, res) => {
    const { limit, staleDays } = parse(OverdueQuery, req.query, 'query');
    res.json({ items: await service.overdue(principalOf(req), staleDays, limit) });
  });

  r.get('/notifications', async (req, res) => {
    const { limit, unread } = parse(NotificationQuery, req.query, 'query');
    res.json({ items: await notifications.list(principalOf(req), { limit, unread: unread === 'true' }) });
  });

  r.post('/notifications/:id/read', async (req, res) => {
    const { id } = parse(NotificationParams, req.params, 'params');
    await notifications.markRead(principalOf(req), id);
    res.status(204).end();
  });

  r.get('/households', async (req, res) => {
    const q = parse(HouseholdQuery, req.query, 'query');
    res.json({ items: await households.list(principalOf(req), q) });
  });

  return r;
}
