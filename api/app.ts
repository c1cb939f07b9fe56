import express from 'express';
import type { Client } from '@temporalio/client';
import type { Db } from '../lib/prisma';
import { DefinitionStore } from '../definitions';
import { createLogger, type Logger } from '../lib/log';
import { AuthFailureLimiter, authenticate } from './auth';
import { errorHandler, notFound, RETRY_AFTER_SECONDS } from './errors';
import { ApiMetrics, RouteLabels, metricsHandler, scrapeGuard } from './metrics';
import { observeRequests } from './observe';
import { assertCleanText } from './validate';
import { adminRoutes } from './routes/admin';
import { assessmentRoutes } from './routes/assessments';
import { ROUTES } from './routes/catalog';
import { dutyRoutes } from './routes/duties';
import { supervisionRoutes } from './routes/supervision';
import { procedureRoutes } from './routes/procedures';
import { tokenRoutes } from './routes/tokens';
import { AssessmentService } from './services/assessments';
import { CalendarService } from './services/calendar';
import { DEFAULT_DECISION_WAIT_MS } from './services/decide';
import { DefinitionService } from './services/definitions';
import { DutyService } from './services/duties';
import { HouseholdService } from './services/households';
import { NotificationService } from './services/notifications';
import { ProcedureService } from './services/procedures';
import { SupervisionService } from './services/supervision';
import { TokenService } from './services/tokens';

export interface AppDeps {
  db: Db;
  temporal: Client;
  definitions?: DefinitionStore;
  /** how long a request waits for a case to open or a decision to be taken before 202/503 */
  decisionWaitMs?: number;
  /** every request is answered within this (503 RequestTimeout otherwise); default the decision wait + 10 s */
  requestDeadlineMs?: number;
  /** failed authentications allowed per client address and minute before 429 */
  authFailuresPerMinute?: number;
  /** a new case continues as new at its next stage once its history passes this many events */
  historyBoundEvents?: number;
  /** JSON request logs (default: stdout at LOG_LEVEL's default, silent under tests) */
  logger?: Logger;
  /** GET /metrics needs `Authorization: Bearer <metricsToken>`; without one, loopback clients only */
  metricsToken?: string;
  /** the Node process's metrics in GET /metrics too (the app a process serves: api/main.ts) */
  processMetrics?: boolean;
}

/** Headers on every response: JSON is never sniffed as HTML, nothing personal is cached. */
const securityHeaders: express.RequestHandler = (_req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  res.setHeader('Referrer-Policy', 'no-referrer');
  next();
};

/** Answers 503 RequestTimeout when a request has not been answered in time, whatever it waits on. */
const requestDeadline =
  (ms: number): express.RequestHandler =>
  (_req, res, next) => {
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      res.status(503).json({ error: { code: 'RequestTimeout', message: 'the request was not answered in time; it may still take effect: repeat it with the same Idempotency-Key' } });
    }, ms);
    timer.unref();
    res.once('finish', () => clearTimeout(timer));
    res.once('close', () => clearTimeout(timer));
    next();
  };

export function createApp({
  db,
  temporal,
  definitions = new DefinitionStore(db),
  decisionWaitMs = DEFAULT_DECISION_WAIT_MS,
  requestDeadlineMs,
  authFailuresPerMinute,
  historyBoundEvents,
  logger = createLogger(),
  metricsToken,
  processMetrics,
}: AppDeps) {
  const app = express();
  app.disable('x-powered-by');
  // whatever reaches Express's own final handler is never rendered with a stack trace
  app.set('env', 'production');
  app.set('query parser', 'simple');
  // first: every request gets its id, one log line and its HTTP metrics, refused ones included
  const metrics = new ApiMetrics({ db, log: logger, processMetrics });
  app.use(observeRequests({ log: logger, metrics, routes: new RouteLabels(ROUTES) }));
  app.use(securityHeaders);
  // no cross-origin use (the workbench is served from the same origin): OPTIONS names the methods
  // in the JSON envelope instead of Express's plain-text answer
  app.use((req, res, next) => {
    if (req.method !== 'OPTIONS') return next();
    res.status(405).json({ error: { code: 'MethodNotAllowed', message: 'OPTIONS is not served: this API is used from its own origin' } });
  });
  const deadlineMs = requestDeadlineMs ?? decisionWaitMs + 10_000;
  app.set('requestDeadlineMs', deadlineMs); // read by the Idempotency-Key takeover
  app.use(requestDeadline(deadlineMs));
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
  // Prometheus: its own scrape token (or loopback), never a person's token
  app.get('/metrics', scrapeGuard(metricsToken), metricsHandler(metrics));
  // who is asking comes first: nothing of an unauthenticated request's body is read
  app.use(authenticate(db, new AuthFailureLimiter(authFailuresPerMinute)));
  app.use(express.json({ limit: '256kb', strict: true }));
  app.use((req, _res, next) => {
    assertCleanText(req.body, 'body');
    assertCleanText(req.query, 'query');
    next();
  });
  // routes parse and answer; the services hold the rules and the queries
  app.use(procedureRoutes(new ProcedureService({ db, temporal, definitions, decisionWaitMs, historyBoundEvents }), db, new NotificationService({ db }), new HouseholdService({ db })));
  app.use(adminRoutes(new DefinitionService({ db, definitions }), new CalendarService({ db })));
  app.use(assessmentRoutes(new AssessmentService({ db, temporal, decisionWaitMs, historyBoundEvents }), db));
  app.use(dutyRoutes(new DutyService({ db, temporal, decisionWaitMs }), db));
  app.use(supervisionRoutes(new SupervisionService({ db })));
  app.use(tokenRoutes(new TokenService({ db })));
  app.use((req) => {
    throw notFound(`route ${req.method} ${req.path}`);
  });
  app.use(errorHandler);
  return app;
}

