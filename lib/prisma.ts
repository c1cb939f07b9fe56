import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';

export type Db = PrismaClient;

/** A Prisma client over the pg driver adapter (the JS engine: no native engine binary). */
export function createPrisma(databaseUrl = process.env.DATABASE_URL, poolSize = 10): PrismaClient {
  if (!databaseUrl) throw new Error('DATABASE_URL is not set');
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: poolSize });
  return new PrismaClient({ adapter });
}
