/**
 * The baseline behind Express: the per-request work any HTTP front to Temporal does (JSON body
 * parsing, zod validation, the client call, a JSON answer, errors mapped to statuses) and nothing
 * of the project's (no authentication, idempotency keys, database reads or org scoping).
 *
 *   POST /cases                  {subject}                       → 201 the opened case
 *   POST /cases/:caseId/sign-off {stageKey, decision, comment?}  → 200 the case after it
 */
import express, { type ErrorRequestHandler, type Express, type Response } from 'express';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { ZodError } from 'zod';
import { CaseParams, SignOffBody, StartBody, WRONG_STAGE } from './contract';
import { signOff, startCase } from './client';

const badRequest = (res: Response, err: ZodError) =>
  res.status(400).json({ error: { code: 'ValidationError', details: err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) } });

export function createBaselineApp(client: Client): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '256kb', strict: true }));

  app.post('/cases', async (req, res) => {
    const body = StartBody.safeParse(req.body);
    if (!body.success) return void badRequest(res, body.error);
    res.status(201).json(await startCase(client, body.data));
  });

  app.post('/cases/:caseId/sign-off', async (req, res) => {
    const params = CaseParams.safeParse(req.params);
    if (!params.success) return void badRequest(res, params.error);
    const body = SignOffBody.safeParse(req.body);
    if (!body.success) return void badRequest(res, body.error);
    res.json(await signOff(client, params.data.caseId, body.data));
  });

  // Express 5 hands a rejected handler's error here: bad JSON is a 400, refusals 404/409, anything else a bare 500
  const errors: ErrorRequestHandler = (err, _req, res, _next) => {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === WRONG_STAGE) {
      res.status(409).json({ error: { code: WRONG_STAGE, message: err.cause.message } });
    } else if ((err as { type?: unknown }).type === 'entity.parse.failed') {
      res.status(400).json({ error: { code: 'ValidationError', message: 'the body is not JSON' } });
    } else if (err instanceof WorkflowNotFoundError) {
      res.status(404).json({ error: { code: 'NotFound', message: 'no open case with this id' } });
    } else {
      console.error(err);
      res.status(500).json({ error: { code: 'InternalError', message: 'internal error' } });
    }
  };
  app.use(errors);
  return app;
}
