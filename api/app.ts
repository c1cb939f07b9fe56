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
  // liveness: the process answers
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  // readiness: the database and the Temporal frontend answer within 2 s (for a load balancer)
  app.get('/readyz', async (_req, res) => {
    const within = <T>(p: Promise<T>) =>
      Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000).unref())]).then(
        () => 'ok' as const,
        () => 'unavailable' as const,
      );
    const [database, temporalServer] = await Promise.all([
      within(db.$queryRaw`SELECT 1`),
      within(temporal.workflowService.getSystemInfo({})),
    ]);
    const ok = database === 'ok' && temporalServer === 'ok';
    res.status(ok ? 200 : 503).json({ ok, database, temporal: temporalServer });
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
