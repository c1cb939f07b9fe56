/**
 * Throughput and latency of the real stack on one machine: the Temporal dev server (from .venv),
 * one in-process worker, PostgreSQL (DATABASE_URL) and the HTTP API in-process.
 * Starts N household exits through the bulk route of villages of 50, then signs the first stage of
 * each through the API, and reports wall time, per-request latency percentiles and peak RSS.
 *
 *   DATABASE_URL=… npx tsx bench/start-and-sign.ts [N=500]
 */
import { performance } from 'node:perf_hooks';
import { startStack } from '../test/helpers/stack';

async function main() {
  const n = Number(process.argv[2] ?? 500);
  const villages = Math.ceil(n / 50);
  const s = await startStack('dev', { tag: 'bench', townships: 1, villagesPerTownship: villages, householdsPerVillage: 50 });
  const t0 = performance.now();
  const caseIds: string[] = [];
  for (const v of s.tree.villages) {
    const res = await s.as(v.tokens.STAFF).post('/procedures/household-exit/bulk', { villageId: v.id, year: 2026 });
    if (res.status !== 200) throw new Error(`bulk start: ${res.status}`);
    for (const r of res.body.results) caseIds.push(r.caseId);
  }
  const started = performance.now() - t0;

  const latencies: number[] = [];
  const t1 = performance.now();
  const byVillage = new Map(s.tree.households.map((h) => [h.id, h.villageId]));
  const rows = await s.db.procedure.findMany({ where: { id: { in: caseIds } }, select: { id: true, subjectId: true } });
  const queue = [...rows];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let row = queue.shift(); row; row = queue.shift()) {
        const village = s.tree.units.get(byVillage.get(row.subjectId)!)!;
        const a = performance.now();
        const res = await s.as(village.tokens.STAFF).post(`/procedures/${row.id}/sign-off`, { stageKey: 'village_appraisal', decision: 'approve' });
        if (res.status !== 200) throw new Error(`sign-off: ${res.status}`);
        latencies.push(performance.now() - a);
      }
    }),
  );
  const signed = performance.now() - t1;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(0);
  console.log(
    JSON.stringify({
      cases: caseIds.length,
      startSeconds: +(started / 1000).toFixed(1),
      startsPerSecond: +(caseIds.length / (started / 1000)).toFixed(1),
      signOffSeconds: +(signed / 1000).toFixed(1),
      signOffsPerSecond: +(latencies.length / (signed / 1000)).toFixed(1),
      signOffLatencyMs: { p50: +pct(50), p95: +pct(95), p99: +pct(99) },
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
  await s.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
