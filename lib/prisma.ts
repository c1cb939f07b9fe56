import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { PrismaClient } from '../generated/prisma/client';

/**
 * The database: a Prisma client, and under it the pg pool it runs on (`sql`). Most code uses
 * Prisma; the hot paths of a decision (authentication, a case's routing, the procedure projection)
 * send their few statements through `sql` directly, on the same connections: a Prisma call costs
 * ~1 ms of CPU in its query compiler (3 ms for a token with its person and unit), a pg query ~0.2 ms
 * (bench/RESULTS.md, "SQL on the hot path").
 */
export type Db = PrismaClient & { readonly sql: Pool };

/** A Prisma client over the pg driver adapter (the JS engine: no native engine binary), sharing its pool. */
export function createPrisma(databaseUrl = process.env.DATABASE_URL, poolSize = 10): Db {
  if (!databaseUrl) throw new Error('DATABASE_URL is not set');
  const pool = new Pool({ connectionString: databaseUrl, max: poolSize });
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  return Object.defineProperty(client, 'sql', { value: pool, enumerable: false }) as Db;
}
