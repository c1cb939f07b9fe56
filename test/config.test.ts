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
  });
});

test('given production settings, when the config is read, then they are taken as numbers and strings', () => {
  const config = loadConfig({ ...base, TEMPORAL_ADDRESS: 'temporal.internal:7233', API_HOST: '0.0.0.0', API_PORT: '8080', IDEMPOTENCY_RETENTION_HOURS: '24', HISTORY_BOUND_EVENTS: '5000' });
  expect(config).toMatchObject({ temporalAddress: 'temporal.internal:7233', apiHost: '0.0.0.0', apiPort: 8080, idempotencyRetentionHours: 24, historyBoundEvents: 5000 });
});

test('given bad values, when the config is read, then it refuses, naming the fields and never the secrets', () => {
  const read = () => loadConfig({ DATABASE_URL: 'not a url s3cret', API_PORT: '-1', IDEMPOTENCY_RETENTION_HOURS: '0', HISTORY_BOUND_EVENTS: '60000' });
  expect(read).toThrow('invalid configuration: DATABASE_URL, API_PORT, IDEMPOTENCY_RETENTION_HOURS, HISTORY_BOUND_EVENTS');
  expect(read).not.toThrow(/s3cret/);
});
