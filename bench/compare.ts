/**
 * The project against a bare-Temporal baseline doing the same work (bench/baseline/), in one Node
 * process (load, both HTTP apps, both workers), on one Temporal dev server and one PostgreSQL
 * database (DATABASE_URL):
 *
 *   project            household exits through the project's HTTP API (the real stack: auth,
 *                      definitions, org scoping, journal and projection), single starts
 *   baseline+express   the baseline behind a minimal Express app (JSON, zod, client call)
 *   baseline direct    the baseline called with the Temporal client, no HTTP
 *
 * Each round runs every variant (the order reversed every other round, so drift on a shared
 * machine falls on all of them): N starts with 8 concurrent clients, then the first sign-off of
 * each of those cases with 8 concurrent clients, then the 1-client latency of 100 sign-offs (of
 * 100 cases started for it). Both HTTP apps listen on loopback and are called with fetch.
 * The verdicts compare the project with baseline+express round by round (paired ratios, median
 * over rounds) against issue 9's targets.
 *
 *   bash bench/run.sh compare [N=300] [rounds=3]     (a fresh database; see run.sh)
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Express } from 'express';
import { Pool } from 'pg';
import { startStack, uniquePrefix, type Stack } from '../test/helpers/stack';
import { createBaselineApp } from './baseline/app';
import { ensureBaselineSchema } from './baseline/activities';
import { signOff, startCase } from './baseline/client';
import { STAGES, WRONG_STAGE, baselineWorkflowId, type BaselineView } from './baseline/contract';
import { createBaselineWorker } from './baseline/worker';

const CLIENTS = 8;
const LATENCY_SAMPLES = 100;
/** cases started and signed by each variant before the first round, not measured */
const WARMUP = 16;
const HOUSEHOLDS_PER_VILLAGE = 50;
const YEAR = 2026;

/** Issue 9: the project against baseline+express. */
const TARGETS = {
  startsPerSecond: { atLeast: 0.7 },
  signOffsPerSecond: { atLeast: 0.7 },
  signOffP50: { atMost: 1.5 },
} as const;

const VARIANTS = ['project', 'baseline+express', 'baseline direct'] as const;
type VariantName = (typeof VARIANTS)[number];

/** One side of the comparison: starts the case of its next unused subject, answering with how to sign it. */
interface Variant {
  name: VariantName;
  start(): Promise<SignOff>;
}
/** Signs the first stage of one started case. */
type SignOff = () => Promise<void>;

interface Measurement {
  variant: VariantName;
  round: number;
  startsPerSecond: number;
  startP50: number;
  signOffsPerSecond: number;
  signOffP50: number;
  signOffP95: number;
  /** p50 of LATENCY_SAMPLES sign-offs sent one at a time */
  oneClientP50: number;
}

// ---- load ---------------------------------------------------------------------------------------

/** Runs `fn` over `items` with `clients` concurrent callers: wall seconds, each call's ms, results in item order. */
async function drive<T, R>(items: readonly T[], clients: number, fn: (item: T) => Promise<R>) {
  const latencies: number[] = [];
  const results = new Array<R>(items.length);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < items.length; i = next++) {
        const a = performance.now();
        results[i] = await fn(items[i]);
        latencies.push(performance.now() - a);
      }
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, latencies, results };
}

const times = (n: number) => Array.from({ length: n }, (_, i) => i);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const median = (values: number[]) => percentile(values, 50);
const round1 = (x: number) => Math.round(x * 10) / 10;

async function measure(variant: Variant, round: number, n: number): Promise<Measurement> {
  const starts = await drive(times(n), CLIENTS, () => variant.start());
  const signOffs = await drive(starts.results, CLIENTS, (sign) => sign());
  const forLatency = await drive(times(LATENCY_SAMPLES), CLIENTS, () => variant.start());
  const oneClient = await drive(forLatency.results, 1, (sign) => sign());
  return {
    variant: variant.name,
    round,
    startsPerSecond: round1(n / starts.seconds),
    startP50: Math.round(percentile(starts.latencies, 50)),
    signOffsPerSecond: round1(n / signOffs.seconds),
    signOffP50: Math.round(percentile(signOffs.latencies, 50)),
    signOffP95: Math.round(percentile(signOffs.latencies, 95)),
    oneClientP50: Math.round(percentile(oneClient.latencies, 50)),
  };
}

// ---- the variants -------------------------------------------------------------------------------

async function postJson<T>(url: string, body: object, expected: number, token?: string): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== expected) throw new Error(`POST ${url}: ${res.status} (expected ${expected}): ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/** Household exits of the stack's tree, one household per case, signed by its village's staff. */
function projectVariant(base: string, stack: Stack): Variant {
  const households = [...stack.tree.households];
  return {
    name: 'project',
    async start() {
      const household = households.shift();
      if (!household) throw new Error('the tree has no unused household left');
      const token = stack.tree.units.get(household.villageId)!.tokens.STAFF;
      // 201: opened (202 would mean no worker opened it within the wait: a failure here)
      const { caseId } = await postJson<{ caseId: string }>(`${base}/procedures/household-exit`, { householdId: household.id, year: YEAR }, 201, token);
      return async () => {
        await postJson(`${base}/procedures/${caseId}/sign-off`, { stageKey: 'village_appraisal', decision: 'approve' }, 200, token);
      };
    },
  };
}

function baselineHttpVariant(base: string, tag: string): Variant {
  let count = 0;
  return {
    name: 'baseline+express',
    async start() {
      const { caseId } = await postJson<BaselineView>(`${base}/cases`, { subject: `${tag}-http-${count++}` }, 201);
      return async () => {
        await postJson(`${base}/cases/${caseId}/sign-off`, { stageKey: STAGES[0], decision: 'approve' }, 200);
      };
    },
  };
}

function baselineDirectVariant(stack: Stack, tag: string): Variant {
  let count = 0;
  return {
    name: 'baseline direct',
    async start() {
      const { caseId } = await startCase(stack.env.client, { subject: `${tag}-direct-${count++}` });
      return async () => {
        await signOff(stack.env.client, caseId, { stageKey: STAGES[0], decision: 'approve' });
      };
    },
  };
}

// ---- the baseline's own behaviour, checked before it is measured --------------------------------

async function expectRefused(what: string, attempt: Promise<unknown>, isRefusal: (err: unknown) => boolean): Promise<void> {
  const outcome = await attempt.then(
    () => 'accepted',
    (err: unknown) => (isRefusal(err) ? 'refused' : err),
  );
  if (outcome !== 'refused') throw new Error(`baseline check: ${what} was not refused: ${String(outcome)}`);
}

/**
 * One baseline case driven to its end: a sign-off of the wrong stage is refused (directly and as
 * HTTP 409), a bad body is a 400, every stage signed in order completes the workflow, and the
 * projection holds the completed row and one audit row per stage.
 */
async function checkBaseline(stack: Stack, pool: Pool, base: string, tag: string): Promise<void> {
  const client = stack.env.client;
  const { caseId } = await startCase(client, { subject: `${tag}-check` });
  const wrongStage = (err: unknown) => err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === WRONG_STAGE;
  await expectRefused('a sign-off of a later stage', signOff(client, caseId, { stageKey: STAGES[1], decision: 'approve' }), wrongStage);
  await postJson(`${base}/cases/${caseId}/sign-off`, { stageKey: STAGES[1], decision: 'approve' }, 409);
  await postJson(`${base}/cases/${caseId}/sign-off`, { stageKey: 'nope', decision: 'approve' }, 400);
  for (const stageKey of STAGES) await signOff(client, caseId, { stageKey, decision: 'approve', comment: `signed ${stageKey}` });
  const result = await client.workflow.getHandle(baselineWorkflowId(caseId)).result();
  if (result.stage !== null || result.signed !== STAGES.length) throw new Error(`baseline check: the case ended as ${JSON.stringify(result)}`);
  const row = await pool.query<{ stage: string | null; version: number }>('SELECT stage, version FROM bench_baseline_case WHERE id = $1', [caseId]);
  const events = await pool.query<{ n: string }>('SELECT count(*) AS n FROM bench_baseline_event WHERE case_id = $1', [caseId]);
  if (row.rows[0]?.stage !== null || row.rows[0]?.version !== STAGES.length || Number(events.rows[0].n) !== STAGES.length) {
    throw new Error(`baseline check: projection ${JSON.stringify(row.rows[0])} with ${events.rows[0].n} audit rows`);
  }
}

// ---- report -------------------------------------------------------------------------------------

type Metric = Exclude<keyof Measurement, 'variant' | 'round'>;
const COLUMNS: Array<[Metric, string]> = [
  ['startsPerSecond', 'starts/s'],
  ['startP50', 'start p50 (ms)'],
  ['signOffsPerSecond', 'sign-offs/s'],
  ['signOffP50', 'sign-off p50 (ms)'],
  ['signOffP95', 'sign-off p95 (ms)'],
  ['oneClientP50', '1-client sign-off p50 (ms)'],
];

function markdownTable(header: string[], rows: Array<Array<string | number>>): string {
  return [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** project ÷ baseline+express of one metric, per round, and its median over the rounds. */
function ratio(runs: Measurement[], metric: Metric) {
  const perRound = [...new Set(runs.map((r) => r.round))].map((round) => {
    const of = (v: VariantName) => runs.find((r) => r.round === round && r.variant === v)![metric];
    return Math.round((of('project') / of('baseline+express')) * 100) / 100;
  });
  return { perRound, median: median(perRound) };
}

function report(n: number, rounds: number, runs: Measurement[], load: { before: number[]; after: number[] }) {
  const rows = runs.map((r) => [r.round, r.variant, ...COLUMNS.map(([m]) => r[m])]);
  const medians = Object.fromEntries(
    VARIANTS.map((v) => [v, Object.fromEntries(COLUMNS.map(([m]) => [m, median(runs.filter((r) => r.variant === v).map((r) => r[m]))]))]),
  ) as Record<VariantName, Record<Metric, number>>;
  const ratios = {
    startsPerSecond: { ...ratio(runs, 'startsPerSecond'), target: `≥ ${TARGETS.startsPerSecond.atLeast}` },
    signOffsPerSecond: { ...ratio(runs, 'signOffsPerSecond'), target: `≥ ${TARGETS.signOffsPerSecond.atLeast}` },
    signOffP50: { ...ratio(runs, 'signOffP50'), target: `≤ ${TARGETS.signOffP50.atMost}` },
  };
  const pass = {
    startsPerSecond: ratios.startsPerSecond.median >= TARGETS.startsPerSecond.atLeast,
    signOffsPerSecond: ratios.signOffsPerSecond.median >= TARGETS.signOffsPerSecond.atLeast,
    signOffP50: ratios.signOffP50.median <= TARGETS.signOffP50.atMost,
  };

  console.log(`\n${n} cases per variant and round, ${rounds} round(s), ${CLIENTS} clients; 1-client p50 over ${LATENCY_SAMPLES} sign-offs\n`);
  console.log(markdownTable(['round', 'variant', ...COLUMNS.map(([, h]) => h)], rows));
  console.log('\nmedians over the rounds\n');
  console.log(markdownTable(['variant', ...COLUMNS.map(([, h]) => h)], VARIANTS.map((v) => [v, ...COLUMNS.map(([m]) => medians[v][m])])));
  console.log('\nproject ÷ baseline+express (per round; median)\n');
  console.log(
    markdownTable(
      ['ratio', 'per round', 'median', 'target', 'verdict'],
      (Object.keys(ratios) as Array<keyof typeof ratios>).map((k) => [k, ratios[k].perRound.join(', '), ratios[k].median, ratios[k].target, pass[k] ? 'pass' : 'FAIL']),
    ),
  );
  console.log(`\nload average (1/5/15 min) before ${load.before.map(round1).join(' / ')}, after ${load.after.map(round1).join(' / ')}\n`);
  console.log(JSON.stringify({ n, rounds, clients: CLIENTS, latencySamples: LATENCY_SAMPLES, runs, medians, ratios, pass, loadAverage: load }));
}

// ---- main ---------------------------------------------------------------------------------------

async function listen(app: Express): Promise<{ base: string; server: Server }> {
  const server = createServer(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { base: `http://127.0.0.1:${port}`, server };
}

async function main() {
  const n = Number(process.argv[2] ?? 300);
  const rounds = Number(process.argv[3] ?? 3);
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(rounds) || rounds < 1) throw new Error('usage: compare.ts [N ≥ 1] [rounds ≥ 1]');
  const load = { before: loadavg(), after: [] as number[] };

  // every project case needs a household of its own: N + the latency samples per round, and the warm-up
  const households = rounds * (n + LATENCY_SAMPLES) + WARMUP;
  const stack = await startStack('dev', { tag: 'cmp', townships: 1, villagesPerTownship: Math.ceil(households / HOUSEHOLDS_PER_VILLAGE), householdsPerVillage: HOUSEHOLDS_PER_VILLAGE });
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 5 }); // the project's pool size (startStack)
  const servers: Server[] = [];
  const baselineWorker = await createBaselineWorker(stack.env.nativeConnection, pool, stack.env.namespace ?? 'default');
  const baselineRunning = baselineWorker.run();
  try {
    await ensureBaselineSchema(pool);
    const project = await listen(stack.app);
    const baseline = await listen(createBaselineApp(stack.env.client));
    servers.push(project.server, baseline.server);
    const tag = uniquePrefix('cmp');
    await checkBaseline(stack, pool, baseline.base, tag);

    // COMPARE_ONLY=project (e.g. under --cpu-prof) measures one variant; the report then needs all three
    const only = process.env.COMPARE_ONLY;
    const variants = [projectVariant(project.base, stack), baselineHttpVariant(baseline.base, tag), baselineDirectVariant(stack, tag)].filter((v) => !only || v.name === only);
    for (const v of variants) {
      const warm = await drive(times(WARMUP), CLIENTS, () => v.start());
      await drive(warm.results, CLIENTS, (sign) => sign());
    }
    const runs: Measurement[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const v of round % 2 ? variants : [...variants].reverse()) {
        const m = await measure(v, round, n);
        console.error(`round ${round} ${v.name}: ${JSON.stringify(m)}`);
        runs.push(m);
      }
    }
    load.after = loadavg();
    if (!only) report(n, rounds, runs, load);
  } finally {
    for (const server of servers) {
      server.close();
      server.closeAllConnections(); // fetch keeps its connections alive
    }
    baselineWorker.shutdown();
    await baselineRunning;
    await stack.stop();
    await pool.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
