/** The API process. Stateless: run as many as you like behind a load balancer. */
import { Client, Connection } from '@temporalio/client';
import { createPrisma } from '../lib/prisma';
import { loadConfig } from '../lib/config';
import { createApp } from './app';

async function main() {
  const config = loadConfig();
  const db = createPrisma(config.databaseUrl);
  const connection = await Connection.connect({ address: config.temporalAddress });
  const temporal = new Client({ connection, namespace: config.temporalNamespace });
  const app = createApp({ db, temporal, decisionWaitMs: config.decisionWaitMs, historyBoundEvents: config.historyBoundEvents });
  const server = app.listen(config.apiPort, config.apiHost, () => console.log(`API listening on http://${config.apiHost}:${config.apiPort}`));
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
  console.error(err);
  process.exit(1);
});
