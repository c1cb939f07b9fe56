/**
 * The API in a process of its own, for suites that must survive a request that blocks it (a loop
 * in the API would block a test process that served it itself, timers included). Started by
 * startApiProcess (api-process.ts); prints "listening <port>" once it serves.
 *
 * Environment: DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, and optionally
 * DECISION_WAIT_MS, REQUEST_DEADLINE_MS, AUTH_FAILURES_PER_MINUTE.
 */
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { createPrisma } from '../../lib/prisma';

const number = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);

async function main() {
  const db = createPrisma(process.env.DATABASE_URL, 5);
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  const temporal = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
  const app = createApp({
    db,
    temporal,
    decisionWaitMs: number('DECISION_WAIT_MS'),
    requestDeadlineMs: number('REQUEST_DEADLINE_MS'),
    authFailuresPerMinute: number('AUTH_FAILURES_PER_MINUTE'),
  });
  const server = app.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
