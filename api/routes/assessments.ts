/** Routes of the annual assessment and of rectification: zod parse → service → typed error. */
import { Router, type Request } from 'express';
import { z } from 'zod';
import { chinaYear } from '../../lib/dates';
import type { Db } from '../../lib/prisma';
import {
  ApprovalBody,
  EvaluationBody,
  ItemActionBody,
  PlanBody,
  ReportBody,
  ResultsBody,
} from '../../workflows/assessment/contract';
import { principalOf } from '../auth';
import { idempotent } from '../idempotency';
import { AssessmentService } from '../services/assessments';
import { parse } from '../validate';

export const Id = z.object({ id: z.string().min(1).max(200) });
export const ItemParams = Id.extend({ seq: z.coerce.number().int().min(1) });
export const StartAssessmentBody = z.object({ year: z.number().int().min(2013).max(2100).optional() }).strict();
export const ScheduleBody = z.object({ day: z.number().int().min(1).max(31).optional() }).strict();
export const AssessmentsQuery = z.object({ year: z.coerce.number().int().min(2013).max(2100).optional() });

export function assessmentRoutes(service: AssessmentService, db: Db): Router {
  const r = Router();
  const once = idempotent(db);
  const key = (req: Request) => req.idempotencyKey;

  r.post('/assessments', once, async (req, res) => {
    const { year } = parse(StartAssessmentBody, req.body, 'body');
    res.status(201).json(await service.start(principalOf(req), year ?? chinaYear(Date.now())));
  });

  r.put('/admin/assessment-schedule', async (req, res) => {
    const { day } = parse(ScheduleBody, req.body, 'body');
    res.json(await service.schedule(principalOf(req), day));
  });

  r.get('/assessments', async (req, res) => {
    const { year } = parse(AssessmentsQuery, req.query, 'query');
    res.json(await service.list(principalOf(req), year));
  });

  r.get('/assessments/:id', async (req, res) => {
    const { id } = parse(Id, req.params, 'params');
    res.json(await service.get(principalOf(req), id));
  });

  r.post('/assessments/:id/evaluations', once, async (req, res) => {
    const { id } = parse(Id, req.params, 'params');
    res.json(await service.evaluate(principalOf(req), id, parse(EvaluationBody, req.body, 'body'), key(req)));
  });

  r.post('/assessments/:id/results', once, async (req, res) => {
    const { id } = parse(Id, req.params, 'params');
    res.json(await service.results(principalOf(req), id, parse(ResultsBody, req.body, 'body'), key(req)));
  });

  r.post('/assessments/:id/approval', once, async (req, res) => {
    const { id } = parse(Id, req.params, 'params');
    res.json(await service.approve(principalOf(req), id, parse(ApprovalBody, req.body, 'body'), key(req)));
  });

  r.get('/rectifications/mine', async (req, res) => {
    res.json({ items: await service.myItems(principalOf(req)) });
  });

  r.get('/rectifications/:id', async (req, res) => {
    const { id } = parse(Id, req.params, 'params');
    res.json(await service.getRectification(principalOf(req), id));
  });

  r.post('/rectifications/:id/plan', once, async (req, res) => {
    const { id } = parse(Id, req.params, 'params');
    res.json(await service.plan(principalOf(req), id, parse(PlanBody, req.body, 'body'), key(req)));
  });

  r.post('/rectifications/:id/report', once, async (req, res) => {
    const { id } = parse(Id, req.params, 'params');
    res.json(await service.report(principalOf(req), id, parse(ReportBody, req.body, 'body'), key(req)));
  });

  for (const action of ['progress', 'close', 'confirm'] as const) {
    r.post(`/rectifications/:id/items/:seq/${action}`, once, async (req, res) => {
      const { id, seq } = parse(ItemParams, req.params, 'params');
      const body = parse(ItemActionBody, req.body, 'body');
      res.json(await service.item(principalOf(req), id, { ...body, itemSeq: seq, action }, key(req)));
    });
  }

  return r;
}
