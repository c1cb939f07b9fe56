/**
 * Open cases at scale on a running system (`bash scripts/up.sh --cluster`, or the embedded one):
 * seeds N households of its own into the demo villages, opens a household exit for each through
 * the API (C clients at once), and records while it runs the resident memory of every worker,
 * Temporal node and API process; then the history events and bytes per case (a sample), and what
 * a case the worker no longer caches costs: a sign-off on one of the first cases opened (evicted
 * once more than WORKER_MAX_CACHED_WORKFLOWS are open, so it replays its history) against one on
 * the last ones (still cached).
 *
 *   source scripts/env.sh; npx tsx bench/open-cases.ts [N=1000] [C=16]
 *
 * Reads DATA_DIR (pid files, demo.json), API_PORT, DATABASE_URL and TEMPORAL_ADDRESS as the
 * scripts set them. Its households are named after the run (`bench-<run>-<n>`): runs add up.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createPrisma } from '../lib/prisma';

const n = Number(process.argv[2] ?? 1000);
const clients = Number(process.argv[3] ?? 16);
const dataDir = process.env.DATA_DIR ?? '.data';
const api = `http://127.0.0.1:${process.env.API_PORT ?? 3000}`;
const year = 2026;
const run = Date.now().toString(36);

type Unit = { id: string; level: string; tokens: Record<'STAFF' | 'DEPUTY' | 'LEADER', string> };

/** Resident memory (MB) of the largest process in each process group up.sh started. */
function rssByProcess(): Record<string, number> {
  const table = execFileSync('ps', ['-eo', 'pgid=,rss='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number));
  const out: Record<string, number> = {};
  for (const file of readdirSync(join(dataDir, 'run'))) {
    const name = file.replace(/\.pid$/, '');
    if (!/^(worker|temporal-\d|api-?\d*$)/.test(name)) continue;
    const pid = Number(readFileSync(join(dataDir, 'run', file), 'utf8'));
    const sizes = table.filter(([pgid]) => pgid === pid).map(([, rss]) => rss);
    if (sizes.length) out[name] = Math.round(Math.max(...sizes) / 1024);
  }
  return out;
}

async function post(path: string, token: string, body: object): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(api + path, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]);
};

async function main() {
  const units: Unit[] = JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8')).units;
  const villages = units.filter((u) => u.level === 'VILLAGE');
  if (villages.length === 0) throw new Error(`no demo villages in ${dataDir}/demo.json: run scripts/up.sh (demo mode) first`);
  const db = createPrisma(undefined, 4);

  // N households of this run, spread over the demo villages, eligible for exit
  const villageIds = villages.map((v) => v.id);
  await db.$executeRaw`
    INSERT INTO "Household" ("id", "registryNo", "headName", "villageId", "memberCount", "incomePerCapita",
      "foodClothingSecure", "compulsoryEducation", "basicMedical", "safeHousing", "updatedAt")
    SELECT 'bench-' || ${run} || '-' || g, 'bench-' || ${run} || '-' || g, '户主' || g,
      (${villageIds}::text[])[1 + g % ${villageIds.length}], 3, 5200, true, true, true, true, now()
    FROM generate_series(1, ${n}) AS g`;
  const households = Array.from({ length: n }, (_, i) => ({ id: `bench-${run}-${i + 1}`, village: villages[(i + 1) % villages.length] }));

  const samples: Array<{ t: number; opened: number; rss: Record<string, number> }> = [];
  const t0 = performance.now();
  let opened = 0;
  let failed = 0;
  const caseIds: string[] = new Array(n);
  const workflowIds: string[] = new Array(n);
  const sampler = setInterval(() => samples.push({ t: Math.round((performance.now() - t0) / 1000), opened, rss: rssByProcess() }), 10_000);
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < n; i = next++) {
        const h = households[i];
        const res = await post('/procedures/household-exit', h.village.tokens.STAFF, { householdId: h.id, year });
        if (res.status === 201 || res.status === 202) {
          caseIds[i] = res.body.caseId as string;
          workflowIds[i] = res.body.workflowId as string;
          opened++;
        } else {
          failed++;
          if (failed <= 5) console.error(`start ${h.id}: ${res.status} ${JSON.stringify(res.body)}`);
        }
      }
    }),
  );
  clearInterval(sampler);
  const openSeconds = (performance.now() - t0) / 1000;
  const rssAfterOpen = rssByProcess();

  // history size per case: a sample spread over the run
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
  const sample = Array.from({ length: Math.min(20, n) }, (_, k) => workflowIds[Math.floor((k * n) / Math.min(20, n))]).filter(Boolean);
  const sizes = await Promise.all(
    sample.map(async (id) => {
      const history = await client.workflow.getHandle(id).fetchHistory();
      return { events: history.events?.length ?? 0, bytes: temporal.api.history.v1.History.encode(history).finish().length };
    }),
  );

  // a sign-off on an evicted case (the first opened) against one on a cached case (the last)
  const signOff = async (i: number) => {
    const a = performance.now();
    const res = await post(`/procedures/${caseIds[i]}/sign-off`, households[i].village.tokens.STAFF, { stageKey: 'village_appraisal', decision: 'approve' });
    if (res.status !== 200) throw new Error(`sign-off ${caseIds[i]}: ${res.status} ${JSON.stringify(res.body)}`);
    return performance.now() - a;
  };
  const probe = Math.min(30, Math.floor(n / 4));
  const firstOpened: number[] = [];
  const lastOpened: number[] = [];
  for (let k = 0; k < probe; k++) {
    if (caseIds[k]) firstOpened.push(await signOff(k));
    if (caseIds[n - 1 - k]) lastOpened.push(await signOff(n - 1 - k));
  }

  const result = {
    run,
    cases: n,
    opened,
    failed,
    clients,
    openSeconds: Math.round(openSeconds),
    startsPerSecond: +(opened / openSeconds).toFixed(1),
    peakRssMB: Object.fromEntries(Object.keys(rssAfterOpen).map((k) => [k, Math.max(rssAfterOpen[k], ...samples.map((s) => s.rss[k] ?? 0))])),
    rssAfterOpenMB: rssAfterOpen,
    historyPerCase: { events: pct(sizes.map((s) => s.events), 50), bytes: pct(sizes.map((s) => s.bytes), 50) },
    signOffMs: {
      evicted: { p50: pct(firstOpened, 50), p95: pct(firstOpened, 95) },
      cached: { p50: pct(lastOpened, 50), p95: pct(lastOpened, 95) },
    },
    samples,
  };
  console.log(JSON.stringify(result));
  await connection.close();
  await db.$disconnect();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
