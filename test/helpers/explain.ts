/**
 * The SQL a service really issues, and PostgreSQL's plan for it: a Prisma client that records every
 * query it sends (Prisma's own and `$queryRaw`), and EXPLAIN of a recorded query with the same
 * parameters. Used by test/supervision-indexes.test.ts (which index each query uses) and by
 * bench/supervision.ts (the plans next to the timings).
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { PrismaClient } from '../../generated/prisma/client';
import type { Db } from '../../lib/prisma';

export interface RecordedQuery {
  sql: string;
  params: unknown[];
}

/** A Prisma client like lib/prisma's, recording each query into `queries`. */
export function recordingPrisma(databaseUrl = process.env.DATABASE_URL, poolSize = 2) {
  if (!databaseUrl) throw new Error('DATABASE_URL is not set');
  const pool = new Pool({ connectionString: databaseUrl, max: poolSize });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }), log: [{ emit: 'event', level: 'query' }] });
  const queries: RecordedQuery[] = [];
  prisma.$on('query', (e) => queries.push({ sql: e.query, params: JSON.parse(e.params) as unknown[] }));
  // the statements sent on the pool directly (lib/prisma's `sql`) are recorded too
  const sql = Object.create(pool) as Pool;
  sql.query = ((text: string, params: unknown[] = []) => {
    queries.push({ sql: text, params });
    return pool.query(text, params);
  }) as Pool['query'];
  const db = Object.defineProperty(prisma, 'sql', { value: sql, enumerable: false }) as Db;
  return { db, queries };
}

/** The recorded queries that read a table (by its quoted name), in the order they were sent. */
export const queriesOn = (queries: RecordedQuery[], table: string) => queries.filter((q) => q.sql.includes(`"${table}"`) && /^\s*(WITH|SELECT)\b/i.test(q.sql));

export interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  'Actual Total Time'?: number;
  'Actual Rows'?: number;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

export interface Explained {
  plan: PlanNode;
  executionMs?: number;
  planningMs?: number;
}

/**
 * EXPLAIN (FORMAT JSON) of a recorded query with its parameters, planned as the service's query is
 * (an unnamed statement planned with the values bound). `seqscan: false` runs it with
 * `enable_seqscan = off` in a transaction of its own, so a plan without an index shows the index
 * cannot serve the query at all (not that a scan was merely cheaper on a small table).
 */
export async function explain(db: PrismaClient, q: RecordedQuery, opts: { analyze?: boolean; seqscan?: boolean } = {}): Promise<Explained> {
  const head = `EXPLAIN (${opts.analyze ? 'ANALYZE, BUFFERS, ' : ''}FORMAT JSON) `;
  const run = async (tx: Pick<PrismaClient, '$queryRawUnsafe' | '$executeRawUnsafe'>) => {
    if (opts.seqscan === false) await tx.$executeRawUnsafe('SET LOCAL enable_seqscan = off');
    return tx.$queryRawUnsafe<Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode; 'Execution Time'?: number; 'Planning Time'?: number }> }>>(head + q.sql, ...q.params);
  };
  const rows = await db.$transaction((tx) => run(tx));
  const [top] = rows[0]['QUERY PLAN'];
  return { plan: top.Plan, executionMs: top['Execution Time'], planningMs: top['Planning Time'] };
}

export function* nodesOf(plan: PlanNode): Generator<PlanNode> {
  yield plan;
  for (const child of plan.Plans ?? []) yield* nodesOf(child);
}

/** The indexes a plan reads, in plan order. */
export const indexesOf = (plan: PlanNode) => [...nodesOf(plan)].flatMap((n) => (n['Index Name'] ? [n['Index Name']] : []));

/** The scans of a plan, one line each: `Index Scan using X on Procedure (rows 100, 0.8 ms)`. */
export const scanLines = (plan: PlanNode) =>
  [...nodesOf(plan)]
    .filter((n) => n['Relation Name'] || n['Index Name'])
    .map((n) => {
      const on = n['Index Name'] ? ` using ${n['Index Name']}` : '';
      const rel = n['Relation Name'] ? ` on ${n['Relation Name']}` : '';
      const actual = n['Actual Rows'] !== undefined ? ` (rows ${n['Actual Rows']}, ${n['Actual Total Time']} ms)` : '';
      return `${n['Node Type']}${on}${rel}${actual}`;
    });
