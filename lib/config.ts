import { z } from 'zod';

const Config = z.object({
  DATABASE_URL: z.string().url(),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  API_PORT: z.coerce.number().int().positive().default(3000),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  DECISION_WAIT_SECONDS: z.coerce.number().int().min(1).max(300).default(30),
  IDEMPOTENCY_RETENTION_HOURS: z.coerce.number().int().min(1).max(24 * 365).default(72),
  HISTORY_BOUND_EVENTS: z.coerce.number().int().min(100).max(50_000).default(10_000),
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
  };
}
