/**
 * Prometheus metrics of one API app, in a registry of its own (never prom-client's global one, so
 * that several apps in one process keep theirs apart): HTTP requests by method, Express route
 * pattern and status; the Node process's own metrics; and the cases, counted from the projection
 * at scrape time by one GROUP BY over the open cases. `GET /metrics` serves them in the text
 * exposition format behind `scrapeGuard`, not behind the people's tokens.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../lib/log';
import type { Db } from '../lib/prisma';
import { ApiError, forbidden } from './errors';

/** A route the app serves: method and Express path (`/procedures/:caseId/sign-off`). */
export interface RoutePattern {
  method: string;
  path: string;
}

/** The label of a request that fits no route: hostile URLs never become label values. */
export const UNMATCHED = 'unmatched';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

/** Seconds; decisions wait up to DECISION_WAIT_SECONDS (30 s) for a worker. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** How long a scrape waits for the case counts before answering without them. */
const CASES_QUERY_MS = 2_000;

const segmentsOf = (path: string) => path.replace(/\/+$/, '').split('/').slice(1);

/**
 * Labels requests with the route pattern they were served by: the Express route that matched, or,
 * for a request answered before routing (401, 429, 413, 405), the served pattern its method and
 * path fit (literal segments beat parameters, case-insensitively like Express); else `unmatched`.
 */
export class RouteLabels {
  private readonly patterns: Array<{ method: string; path: string; segments: string[]; literals: number }>;

  constructor(routes: readonly RoutePattern[]) {
    this.patterns = routes.map((r) => {
      const segments = segmentsOf(r.path);
      return { method: r.method.toUpperCase(), path: r.path, segments, literals: segments.filter((s) => !s.startsWith(':')).length };
    });
  }

  of(req: Request): string {
    const route = req.route as { path?: unknown } | undefined;
    if (typeof route?.path === 'string') return `${req.baseUrl ?? ''}${route.path}`;
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const segments = segmentsOf(req.path);
    let best: { path: string; literals: number } | undefined;
    for (const p of this.patterns) {
      if (p.method !== method || p.segments.length !== segments.length) continue;
      const fits = p.segments.every((s, i) => (s.startsWith(':') ? segments[i].length > 0 : s.toLowerCase() === segments[i].toLowerCase()));
      if (fits && (!best || p.literals > best.literals)) best = p;
    }
    return best?.path ?? UNMATCHED;
  }
}

export const methodLabel = (method: string) => (METHODS.has(method) ? method : 'OTHER');

export interface ApiMetricsDeps {
  db: Db;
  log?: Logger;
  /**
   * the Node process's metrics (CPU, memory, event loop, GC) in this registry too: for the app a
   * process serves (api/main.ts); each app that has them keeps an event-loop monitor and a GC
   * observer for the life of the process, so the tests' many apps go without
   */
  processMetrics?: boolean;
}

export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly durations: Histogram<'method' | 'route' | 'status'>;
  private readonly openCases: Gauge<'procedure_type' | 'stage'>;
  private readonly overdueCases: Gauge<'procedure_type'>;
  private readonly escalatedCases: Gauge<'procedure_type' | 'rung'>;
  private readonly casesUp: Gauge;

  constructor(private readonly deps: ApiMetricsDeps) {
    const registers = [this.registry];
    const http = ['method', 'route', 'status'] as const;
    this.requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered, by method, Express route pattern and status', labelNames: http, registers });
    this.durations = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'time to answer an HTTP request, by method, Express route pattern and status',
      labelNames: http,
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.openCases = new Gauge({
      name: 'fupin_open_cases',
      help: 'open (ACTIVE) procedure cases by type and current stage, from the projection at scrape time',
      labelNames: ['procedure_type', 'stage'],
      registers,
    });
    this.overdueCases = new Gauge({ name: 'fupin_overdue_cases', help: 'open procedure cases whose current stage is overdue, by type', labelNames: ['procedure_type'], registers });
    this.escalatedCases = new Gauge({
      name: 'fupin_escalated_cases',
      help: 'open procedure cases whose current stage has escalated, by type and the highest rung reached (1 deputy in charge, 2 main leader, 3 leading group one level up)',
      labelNames: ['procedure_type', 'rung'],
      registers,
    });
    this.casesUp = new Gauge({ name: 'fupin_case_metrics_up', help: '1 if this scrape counted the cases, 0 if the database did not answer in time (the fupin_*_cases series are then absent)', registers });
    if (deps.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts one answered request. */
  observe(method: string, route: string, status: string, seconds: number): void {
    const labels = { method: methodLabel(method), route, status };
    this.requests.inc(labels);
    this.durations.observe(labels, seconds);
  }

  /** The exposition: the case counts read now, then every metric of this app. */
  async render(): Promise<{ contentType: string; body: string }> {
    await this.countCases();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** One GROUP BY over the open cases (status ACTIVE: the index on status leads) feeds the three case gauges. */
  private async countCases(): Promise<void> {
    const gauges = [this.openCases, this.overdueCases, this.escalatedCases];
    let rows;
    try {
      const query = this.deps.db.procedure.groupBy({
        by: ['type', 'currentStageKey', 'overdue', 'escalationLevel'],
        where: { status: 'ACTIVE' },
        _count: { _all: true },
      });
      rows = await Promise.race([query, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${CASES_QUERY_MS} ms`)), CASES_QUERY_MS).unref())]);
    } catch (err) {
      this.deps.log?.warn({ err }, 'metrics: the case counts are unavailable');
      for (const g of gauges) g.reset();
      this.casesUp.set(0);
      return;
    }
    for (const g of gauges) g.reset();
    for (const row of rows) {
      const n = row._count._all;
      this.openCases.inc({ procedure_type: row.type, stage: row.currentStageKey ?? 'none' }, n);
      if (row.overdue) this.overdueCases.inc({ procedure_type: row.type }, n);
      if (row.escalationLevel > 0) this.escalatedCases.inc({ procedure_type: row.type, rung: String(row.escalationLevel) }, n);
    }
    this.casesUp.set(1);
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Who may scrape: with a token, a request carrying `Authorization: Bearer <token>` (401 otherwise,
 * wherever it comes from); without one, loopback clients only (403 otherwise). The people's tokens
 * play no part. Behind a reverse proxy on the same host every client looks like loopback: set the
 * token there.
 */
export function scrapeGuard(token: string | undefined): RequestHandler {
  const expected = token ? digest(token) : undefined;
  return (req, res, next) => {
    if (expected) {
      const given = /^Bearer\s+(\S{1,512})$/.exec(req.header('authorization') ?? '')?.[1];
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
        throw new ApiError(401, 'Unauthenticated', 'the metrics scrape token is required');
      }
      return next();
    }
    if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) throw forbidden('metrics are served to loopback clients only (set METRICS_TOKEN to scrape from elsewhere)');
    next();
  };
}

/** GET /metrics: the exposition of `metrics`. */
export function metricsHandler(metrics: ApiMetrics): RequestHandler {
  return async (_req, res) => {
    const { contentType, body } = await metrics.render();
    res.setHeader('Content-Type', contentType);
    res.send(body);
  };
}
