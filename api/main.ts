/** The API process. Stateless: run as many as you like behind a load balancer. */
import { Client, Connection } from '@temporalio/client';
import { createPrisma } from '../lib/prisma';
import { loadConfig } from '../lib/config';
import { announce, createLogger, logFatal, type Logger } from '../lib/log';
import { createApp } from './app';

let log: Logger | undefined;

async function main() {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  log = logger;
  const db = createPrisma(config.databaseUrl, config.databasePoolSize);
  const connection = await Connection.connect({ address: config.temporalAddress });
  const temporal = new Client({ connection, namespace: config.temporalNamespace });
  const app = createApp({ db, temporal, decisionWaitMs: config.decisionWaitMs, historyBoundEvents: config.historyBoundEvents, logger, metricsToken: config.metricsToken, processMetrics: true });
  const server = app.listen(config.apiPort, config.apiHost, () => announce(logger, `API listening on http://${config.apiHost}:${config.apiPort}`));
  const stop = () => {
    server.close(async () => {
      await connection.close();
      await db.$disconnect();
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  if (log) logFatal(log, err, 'the API stopped');
  else console.error(err);
  process.exit(1);
});
