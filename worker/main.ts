/** The worker process: runs procedure workflows and their activities. Scale by starting more. */
import { NativeConnection } from '@temporalio/worker';
import { meterCounter } from '../activities/notifier';
import { createPrisma } from '../lib/prisma';
import { loadConfig } from '../lib/config';
import { announce, createLogger, logFatal, type Logger } from '../lib/log';
import { installRuntime } from './telemetry';
import { createWorker } from './worker';

let log: Logger | undefined;

async function main() {
  const config = loadConfig();
  log = createLogger(config.logLevel);
  // before the connection: the SDK's logs as JSON lines, and its metrics exporter when a port is set
  const runtime = installRuntime({ log, level: config.logLevel, metricsPort: config.workerMetricsPort });
  const db = createPrisma(config.databaseUrl, config.databasePoolSize);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await createWorker({
    connection,
    namespace: config.temporalNamespace,
    db,
    notificationsSent: meterCounter(runtime.metricMeter),
    maxConcurrentActivities: config.databasePoolSize,
    maxCachedWorkflows: config.workerMaxCachedWorkflows,
  });
  const metrics = config.workerMetricsPort ? `http://127.0.0.1:${config.workerMetricsPort}/metrics` : undefined;
  announce(log, `worker polling task queue "${worker.options.taskQueue}" on ${config.temporalAddress}`, { taskQueue: worker.options.taskQueue, metrics });
  await worker.run(); // shuts down gracefully on SIGINT/SIGTERM
  await connection.close();
  await db.$disconnect();
}

main().catch((err) => {
  if (log) logFatal(log, err, 'the worker stopped');
  else console.error(err);
  process.exit(1);
});
