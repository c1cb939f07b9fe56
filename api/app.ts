import express from 'express';
import type { Client } from '@temporalio/client';
import type { Db } from '../lib/prisma';
import { DefinitionStore } from '../definitions';
import { authenticate } from './auth';
import { errorHandler, notFound } from './errors';
import { adminRoutes } from './routes/admin';
import { assessmentRoutes } from './routes/assessments';
import { dutyRoutes } from './routes/duties';
import { supervisionRoutes } from './routes/supervision';
import { AssessmentService } from './services/assessments';
import { procedureRoutes } from './routes/procedures';
import { ProcedureService } from './services/procedures';

export interface AppDeps {
  db: Db;
  temporal: Client;
  definitions?: DefinitionStore;
  /** how long a request waits for a case to open or a decision to be taken before 202/503 */
  decisionWaitMs?: number;
}

export function createApp({ db, temporal, definitions = new DefinitionStore(db), decisionWaitMs }: AppDeps) {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(express.json({ limit: '256kb' }));
  app.use(authenticate(db));
  app.use(procedureRoutes(new ProcedureService({ db, temporal, definitions, decisionWaitMs }), db));
  app.use(adminRoutes(db, definitions));
  app.use(assessmentRoutes(new AssessmentService({ db, temporal, decisionWaitMs }), db));
  app.use(dutyRoutes(db, temporal, decisionWaitMs));
  app.use(supervisionRoutes(db));
  app.use((req) => {
    throw notFound(`route ${req.method} ${req.path}`);
  });
  app.use(errorHandler);
  return app;
}
