/** The worker process: runs procedure workflows and their activities. Scale by starting more. */
import { NativeConnection } from '@temporalio/worker';
import { createPrisma } from '../lib/prisma';
import { loadConfig } from '../lib/config';
import { createWorker } from './worker';

async function main() {
  const config = loadConfig();
  const db = createPrisma(config.databaseUrl);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await createWorker({ connection, namespace: config.temporalNamespace, db });
  console.log(`worker polling task queue "${worker.options.taskQueue}" on ${config.temporalAddress}`);
  await worker.run(); // shuts down gracefully on SIGINT/SIGTERM
  await connection.close();
  await db.$disconnect();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
