import { z } from 'zod';
import { LOG_LEVELS, defaultLogLevel, type LogLevel } from './log';

/** An optional variable: unset or empty is absent. */
const optional = <T extends z.ZodTypeAny>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const Config = z.object({
  DATABASE_URL: z.string().url(),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  API_PORT: z.coerce.number().int().positive().default(3000),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  DECISION_WAIT_SECONDS: z.coerce.number().int().min(1).max(300).default(30),
  IDEMPOTENCY_RETENTION_HOURS: z.coerce.number().int().min(1).max(24 * 365).default(72),
  HISTORY_BOUND_EVENTS: z.coerce.number().int().min(100).max(50_000).default(10_000),
  /** the bearer token a Prometheus scraper sends for GET /metrics (unset: loopback clients only) */
  METRICS_TOKEN: optional(z.string().regex(/^[A-Za-z0-9._~+/=-]{16,200}$/)),
  /** the worker's Temporal runtime metrics (Prometheus) on 127.0.0.1:<port> (unset: none) */
  WORKER_METRICS_PORT: optional(z.coerce.number().int().min(1).max(65_535)),
  LOG_LEVEL: optional(z.enum(LOG_LEVELS)),
  /** connections in a process's PostgreSQL pool; a worker runs as many activities at once */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** workflows a worker keeps in memory between tasks (an evicted case replays its history on its next task) */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(300),
});

export interface AppConfig {
  databaseUrl: string;
  temporalAddress: string;
  temporalNamespace: string;
  apiPort: number;
  /** interface the API listens on: loopback by default, 0.0.0.0 behind a load balancer */
  apiHost: string;
  /** how long a request waits for a case to open or a decision to be taken (then 202 / 503) */
  decisionWaitMs: number;
  /** how long a stored Idempotency-Key response is replayed before the hourly purge forgets it */
  idempotencyRetentionHours: number;
  /** a case whose workflow history passes this many events continues as new at its next stage */
  historyBoundEvents: number;
  /** GET /metrics needs `Authorization: Bearer <metricsToken>`; without one it is served to loopback clients only */
  metricsToken?: string;
  /** the worker serves the Temporal SDK's runtime metrics on 127.0.0.1:<port> */
  workerMetricsPort?: number;
  /** JSON logs on stdout at this level (info; silent under tests) */
  logLevel: LogLevel;
  /** connections in the PostgreSQL pool; the worker's activity slots match it */
  databasePoolSize: number;
  /** the worker's sticky cache: bounds its memory whatever the number of open cases */
  workerMaxCachedWorkflows: number;
}

/** Reads the environment once, refusing to start on a bad value (and never echoing secrets). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = Config.safeParse(env);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new Error(`invalid configuration: ${fields}`);
  }
  return {
    databaseUrl: parsed.data.DATABASE_URL,
    temporalAddress: parsed.data.TEMPORAL_ADDRESS,
    temporalNamespace: parsed.data.TEMPORAL_NAMESPACE,
    apiPort: parsed.data.API_PORT,
    apiHost: parsed.data.API_HOST,
    decisionWaitMs: parsed.data.DECISION_WAIT_SECONDS * 1000,
    idempotencyRetentionHours: parsed.data.IDEMPOTENCY_RETENTION_HOURS,
    historyBoundEvents: parsed.data.HISTORY_BOUND_EVENTS,
    ...(parsed.data.METRICS_TOKEN ? { metricsToken: parsed.data.METRICS_TOKEN } : {}),
    ...(parsed.data.WORKER_METRICS_PORT ? { workerMetricsPort: parsed.data.WORKER_METRICS_PORT } : {}),
    logLevel: parsed.data.LOG_LEVEL ?? defaultLogLevel(env),
    databasePoolSize: parsed.data.DATABASE_POOL_SIZE,
    workerMaxCachedWorkflows: parsed.data.WORKER_MAX_CACHED_WORKFLOWS,
  };
}
