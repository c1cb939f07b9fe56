/**
 * Prisma CLI configuration: the JS engine with the pg driver adapter, so `prisma generate` and
 * `prisma migrate` run in the wasm schema engine and nothing is downloaded.
 *
 * Every upstream bug this route has to work around lives here, each with its issue:
 *  1. prisma/prisma#27403 — adapter-pg cannot deserialize catalog columns of type `name` (OID 19)
 *     and `"char"` (OID 18) during introspection. We report them as `text` (OID 25).
 *  2. adapter-pg's connectToShadowDb spreads `{ ...config, database }`, but a connectionString
 *     wins over `database` in pg, so the "shadow" database is the main one ("relation already
 *     exists"), and it then drops the shadow while its pool is still connected. We create a
 *     uniquely named shadow database ourselves and drop it (WITH FORCE) after closing the pool.
 *  3. The wasm schema engine leaves a ~60 s timer pending after `migrate dev`, so the CLI hangs;
 *     scripts/migrate.sh runs the CLI under `timeout` and checks the migration table instead.
 */
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

const PG_NAME = 19;
const PG_CHAR = 18;
const PG_TEXT = 25;

// Workaround 1 (prisma/prisma#27403). pg's Pool calls Client#query with a callback, adapter-pg's
// transactions call it with a promise: patch both shapes.
function asText(res: pg.QueryResult | undefined): void {
  for (const field of res?.fields ?? []) {
    if (field.dataTypeID === PG_NAME || field.dataTypeID === PG_CHAR) field.dataTypeID = PG_TEXT;
  }
}
type QueryFn = (...args: unknown[]) => unknown;
const clientProto = pg.Client.prototype as unknown as { query: QueryFn };
const originalQuery = clientProto.query;
clientProto.query = function patchedQuery(this: pg.Client, ...args: unknown[]) {
  const last = args[args.length - 1];
  if (typeof last === 'function') {
    args[args.length - 1] = (err: Error | null, res: pg.QueryResult) => {
      if (!err) asText(res);
      return (last as (e: Error | null, r: pg.QueryResult) => void)(err, res);
    };
    return originalQuery.apply(this, args);
  }
  const result = originalQuery.apply(this, args);
  if (result && typeof (result as Promise<pg.QueryResult>).then === 'function') {
    return (result as Promise<pg.QueryResult>).then((res) => {
      asText(res);
      return res;
    });
  }
  return result;
};

function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL must be set for every Prisma CLI command (see scripts/env.sh)');
  return url;
}

// Workaround 2: a real, uniquely named shadow database.
class PrismaPgWithShadow extends PrismaPg {
  override async connectToShadowDb() {
    const admin = new pg.Client({ connectionString: databaseUrl() });
    await admin.connect();
    const name = `prisma_shadow_${process.pid}_${Date.now()}`;
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const shadowUrl = new URL(databaseUrl());
    shadowUrl.pathname = `/${name}`;
    const factory = new PrismaPg({ connectionString: shadowUrl.toString() });
    const adapter = await factory.connect();
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose();
      const dropper = new pg.Client({ connectionString: databaseUrl() });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await dropper.end();
    };
    return adapter;
  }
}

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  engine: 'js',
  experimental: { adapter: true },
  adapter: async () => new PrismaPgWithShadow({ connectionString: databaseUrl() }),
});
