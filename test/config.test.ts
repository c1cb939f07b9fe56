/** Configuration is read once from the environment, with defaults, and a bad value stops the start. */
import { loadConfig } from '../lib/config';

const base = { DATABASE_URL: 'postgresql://fupin:s3cret@db.example:5432/fupin' };

test('given only a database URL, when the config is read, then the embedded defaults apply', () => {
  expect(loadConfig(base)).toEqual({
    databaseUrl: base.DATABASE_URL,
    temporalAddress: '127.0.0.1:7233',
    temporalNamespace: 'default',
    apiPort: 3000,
    apiHost: '127.0.0.1',
    decisionWaitMs: 30_000,
    idempotencyRetentionHours: 72,
    historyBoundEvents: 10_000,
    logLevel: 'info',
    databasePoolSize: 10,
    workerMaxCachedWorkflows: 300,
  });
});

test('given metrics and log settings, when the config is read, then they are taken; empty ones are unset, and tests default to silent logs', () => {
  const token = 'scrape.0123456789abcdefXYZ';
  expect(loadConfig({ ...base, METRICS_TOKEN: token, WORKER_METRICS_PORT: '9464', LOG_LEVEL: 'debug' })).toMatchObject({ metricsToken: token, workerMetricsPort: 9464, logLevel: 'debug' });
  const empty = loadConfig({ ...base, METRICS_TOKEN: '', WORKER_METRICS_PORT: '', LOG_LEVEL: '' });
  expect([empty.metricsToken, empty.workerMetricsPort, empty.logLevel]).toEqual([undefined, undefined, 'info']);
  expect(loadConfig({ ...base, JEST_WORKER_ID: '1' }).logLevel).toBe('silent');
  expect(loadConfig({ ...base, NODE_ENV: 'test', LOG_LEVEL: 'warn' }).logLevel).toBe('warn');
  const read = () => loadConfig({ ...base, METRICS_TOKEN: 'short s3cret', WORKER_METRICS_PORT: '70000', LOG_LEVEL: 'loud' });
  expect(read).toThrow('invalid configuration: METRICS_TOKEN, WORKER_METRICS_PORT, LOG_LEVEL');
  expect(read).not.toThrow(/s3cret/);
});

test('given production settings, when the config is read, then they are taken as numbers and strings', () => {
  const config = loadConfig({ ...base, TEMPORAL_ADDRESS: 'temporal.internal:7233', API_HOST: '0.0.0.0', API_PORT: '8080', IDEMPOTENCY_RETENTION_HOURS: '24', HISTORY_BOUND_EVENTS: '5000', DATABASE_POOL_SIZE: '20', WORKER_MAX_CACHED_WORKFLOWS: '0' });
  expect(config).toMatchObject({ temporalAddress: 'temporal.internal:7233', apiHost: '0.0.0.0', apiPort: 8080, idempotencyRetentionHours: 24, historyBoundEvents: 5000, databasePoolSize: 20, workerMaxCachedWorkflows: 0 });
});

test('given bad values, when the config is read, then it refuses, naming the fields and never the secrets', () => {
  const read = () => loadConfig({ DATABASE_URL: 'not a url s3cret', API_PORT: '-1', IDEMPOTENCY_RETENTION_HOURS: '0', HISTORY_BOUND_EVENTS: '60000', DATABASE_POOL_SIZE: '0' });
  expect(read).toThrow('invalid configuration: DATABASE_URL, API_PORT, IDEMPOTENCY_RETENTION_HOURS, HISTORY_BOUND_EVENTS, DATABASE_POOL_SIZE');
  expect(read).not.toThrow(/s3cret/);
});
