/**
 * The supervisors' queries at scale (issue 9 item 4): `/supervision/summary`, `/supervision/overdue`
 * (also with `?staleDays=30`) and `/inbox` over N procedure rows (default 10^6) for a province, a
 * county and a township leader, the leader of a county with nothing late, and a village's staff
 * member (`/inbox` only).
 *
 * Seeds with SQL (INSERT … SELECT FROM generate_series): one province, 14 cities, 90 counties (two
 * industry departments each), 1 200 townships, 17 000 villages with paths as the org tree forms
 * them ("/<province>/<city>/<county>/<township>/<village>/", ids 12-digit division codes); N cases
 * spread evenly over the villages — 98.3 % household exits, 1.7 % village exits, 0.01 % county
 * exits; 80 % active, 17 % completed, 3 % cancelled; of the active ones 10 % overdue (with their
 * escalation rungs), 1 % past due but not yet marked, blocked village/county exits at the threshold
 * check, 5 % of the county approvals waiting on two departments; the last county has nothing late —
 * plus 3 300 rectification items and 3 870 duties, then VACUUM ANALYZE. Then the API in-process (no
 * Temporal server: these routes read PostgreSQL only) answers WARMUP + RUNS sequential requests per
 * route and viewpoint; prints p50/p95/p99 as a table and JSON, and the plan of every query the
 * services send (EXPLAIN ANALYZE: the scans and the indexes they use).
 *
 *   bash bench/run.sh supervision [N=1000000]                 (a fresh fupin_bench database)
 *   DATABASE_URL=… npx tsx bench/supervision.ts [N]            (reuses rows an earlier run seeded)
 *   RUNS=200 WARMUP=20 (environment)
 */
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../api/app';
import type { Principal } from '../api/auth';
import { ProcedureService } from '../api/services/procedures';
import { SupervisionService } from '../api/services/supervision';
import { DefinitionStore } from '../definitions';
import { createPrisma, type Db } from '../lib/prisma';
import { hashToken } from '../lib/tokens';
import type { OrgLevel, Role } from '../lib/org';
import { explain, indexesOf, recordingPrisma, scanLines } from '../test/helpers/explain';
import { prng } from '../test/helpers/prng';

const P = 'bn'; // prefix of every seeded id
const CITIES = 14;
const COUNTIES = 90;
const TOWNSHIPS = 1200;
const VILLAGES = 17000;
const DAY = 86_400_000;

interface Unit {
  id: string;
  code: string;
  name: string;
  level: OrgLevel;
  parentId: string | null;
  path: string;
  department?: string;
}


/** The org tree: round-robin, so every county has 13–14 townships and every township 14–15 villages. */
function orgTree() {
  const unit = (level: OrgLevel, code: string, name: string, parent: Unit | null, department?: string): Unit => {
    const id = `${P}-${code}`;
    return { id, code: `${P}${code}`, name, level, parentId: parent?.id ?? null, path: `${parent?.path ?? '/'}${id}/`, ...(department ? { department } : {}) };
  };
  const province = unit('PROVINCE', '140000000000', '山西省', null);
  const cities = Array.from({ length: CITIES }, (_, c) => unit('CITY', `14${String(c + 1).padStart(2, '0')}00000000`, `第${c + 1}市`, province));
  const counties = Array.from({ length: COUNTIES }, (_, k) => {
    const city = cities[k % CITIES];
    return unit('COUNTY', `${city.code.slice(P.length, P.length + 4)}${String(Math.floor(k / CITIES) + 1).padStart(2, '0')}000000`, `第${k + 1}县`, city);
  });
  const departments = counties.flatMap((k) => [unit('COUNTY', `${k.code.slice(P.length)}-edu`, `${k.name}教育局`, k, 'education'), unit('COUNTY', `${k.code.slice(P.length)}-hlt`, `${k.name}卫生健康局`, k, 'health')]);
  const townships = Array.from({ length: TOWNSHIPS }, (_, t) => {
    const county = counties[t % COUNTIES];
    return unit('TOWNSHIP', `${county.code.slice(P.length, P.length + 6)}${String(Math.floor(t / COUNTIES) + 1).padStart(3, '0')}000`, `第${t + 1}乡镇`, county);
  });
  const villages = Array.from({ length: VILLAGES }, (_, v) => {
    const township = townships[v % TOWNSHIPS];
    return unit('VILLAGE', `${township.code.slice(P.length, P.length + 9)}${String(Math.floor(v / TOWNSHIPS) + 1).padStart(3, '0')}`, `第${v + 1}村`, township);
  });
  return { province, cities, counties, departments, townships, villages, all: [province, ...cities, ...counties, ...departments, ...townships, ...villages] };
}
type Tree = ReturnType<typeof orgTree>;

async function seedTree(db: Db, tree: Tree) {
  for (let i = 0; i < tree.all.length; i += 5000) {
    await db.orgUnit.createMany({
      data: tree.all.slice(i, i + 5000).map((u) => ({ ...u, profile: u.level === 'PROVINCE' ? 'national' : null })),
      skipDuplicates: true,
    });
  }
}

/** The stages a seeded case can stand at: [type, index, key, name, kind, level, roles]. */
const STAGES: Array<[string, number, string, string, string, OrgLevel, Role[]]> = [
  ['household-exit', 0, 'village_appraisal', '村民主评议', 'signoff', 'VILLAGE', ['STAFF', 'DEPUTY', 'LEADER']],
  ['household-exit', 1, 'village_verification', '村两委和驻村工作队核实', 'signoff', 'VILLAGE', ['STAFF', 'DEPUTY', 'LEADER']],
  ['household-exit', 2, 'village_notice', '村内公示', 'notice', 'VILLAGE', []],
  ['household-exit', 3, 'township_verification', '乡镇核查', 'signoff', 'TOWNSHIP', ['STAFF', 'DEPUTY', 'LEADER']],
  ['household-exit', 4, 'township_notice', '乡镇公示', 'notice', 'TOWNSHIP', []],
  ['household-exit', 5, 'county_approval', '县级查验批准', 'signoff', 'COUNTY', ['DEPUTY', 'LEADER']],
  ['household-exit', 6, 'announcement', '公告退出', 'signoff', 'COUNTY', ['STAFF', 'DEPUTY', 'LEADER']],
  ['village-exit', 0, 'township_investigation', '乡镇调查核实', 'signoff', 'TOWNSHIP', ['STAFF', 'DEPUTY', 'LEADER']],
  ['village-exit', 1, 'incidence_check', '贫困发生率核验', 'check', 'TOWNSHIP', []],
  ['village-exit', 2, 'township_notice', '乡镇公示', 'notice', 'TOWNSHIP', []],
  ['village-exit', 3, 'county_approval', '县级核查批准', 'signoff', 'COUNTY', ['DEPUTY', 'LEADER']],
  ['village-exit', 4, 'announcement', '公告退出', 'signoff', 'COUNTY', ['STAFF', 'DEPUTY', 'LEADER']],
  ['county-exit', 0, 'county_application', '县级申请', 'signoff', 'COUNTY', ['DEPUTY', 'LEADER']],
  ['county-exit', 1, 'city_review', '市级初审', 'signoff', 'CITY', ['DEPUTY', 'LEADER']],
  ['county-exit', 2, 'provincial_evaluation', '省级专项评估检查', 'signoff', 'PROVINCE', ['STAFF', 'DEPUTY', 'LEADER']],
  ['county-exit', 3, 'three_rates_check', '三率一度核验', 'check', 'PROVINCE', []],
  ['county-exit', 4, 'provincial_notice', '公示征求意见', 'notice', 'PROVINCE', []],
  ['county-exit', 5, 'provincial_approval', '省政府批准', 'signoff', 'PROVINCE', ['LEADER']],
];

/** N procedure rows in chunks, then their escalation rungs: all in SQL. */
async function seedProcedures(db: Db, tree: Tree, n: number) {
  const sqlText = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const arr = (xs: string[]) => `ARRAY[${xs.map(sqlText).join(',')}]::text[]`;
  const stages = STAGES.map(([t, i, key, name, kind, level, roles]) => `(${sqlText(t)}, ${i}, ${sqlText(key)}, ${sqlText(name)}, ${sqlText(kind)}, ${sqlText(level)}, ${arr(roles)})`).join(',\n');
  await db.$executeRawUnsafe('DROP TABLE IF EXISTS bench_village');
  await db.$executeRawUnsafe(`CREATE UNLOGGED TABLE bench_village (n int PRIMARY KEY, id text, path text, township text, county text, county_path text, city text, dept1 text, dept2 text, clean boolean)`);
  const byId = new Map(tree.all.map((u) => [u.id, u]));
  const rows = tree.villages.map((v, i) => {
    const township = byId.get(v.parentId!)!;
    const county = byId.get(township.parentId!)!;
    return [i, v.id, v.path, township.id, county.id, county.path, county.parentId!, `${county.id}-edu`, `${county.id}-hlt`, county.id === tree.counties[COUNTIES - 1].id];
  });
  for (let i = 0; i < rows.length; i += 2000) {
    const values = rows.slice(i, i + 2000).map((r) => `(${r.map((x) => (typeof x === 'string' ? sqlText(x) : String(x))).join(',')})`);
    await db.$executeRawUnsafe(`INSERT INTO bench_village VALUES ${values.join(',')}`);
  }
  // a bulk load: the late-case tally is counted afresh at the end (as the migration does), not by
  // the trigger row by row, which doubles the load's time
  await db.$executeRawUnsafe('ALTER TABLE "Procedure" DISABLE TRIGGER "Procedure_late_tally"');
  try {
    await insertProcedures(db, tree, n, stages);
  } finally {
    await db.$executeRawUnsafe('ALTER TABLE "Procedure" ENABLE TRIGGER "Procedure_late_tally"');
  }
  await db.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe('DELETE FROM "ProcedureLateTally"');
      await tx.$executeRawUnsafe(`
        INSERT INTO "ProcedureLateTally" ("scopePath", "unitId", "overdueCases", "blockedCases")
        SELECT r."scopePath", r."unitId", sum(r."overdueCases"), sum(r."blockedCases")
        FROM "Procedure" p CROSS JOIN LATERAL "procedure_late_tally_rows"(p."orgPath", p."responsibleOrgUnitId", p."overdue", p."blockedReason", p."status", 1) r
        WHERE p."status" = 'ACTIVE'
        GROUP BY 1, 2`);
    },
    { timeout: 600_000 },
  );
  await db.$executeRawUnsafe('DROP TABLE bench_village');
  await db.$executeRawUnsafe(`
    INSERT INTO "Escalation" (id, "procedureId", "stageKey", round, rung, label, "orgUnitId", "stageDueAt", "escalatedAt", "resolvedAt")
    SELECT gen_random_uuid()::text, p.id, p."currentStageKey", 1, g, (ARRAY['分管负责人', '主要负责人', '领导小组'])[g], p."responsibleOrgUnitId", p."dueAt",
      p."dueAt" + make_interval(days => (g - 1) * 3), NULL
    FROM "Procedure" p CROSS JOIN LATERAL generate_series(1, p."escalationLevel") g
    WHERE p.status = 'ACTIVE' AND p.overdue
    ON CONFLICT DO NOTHING`);
}

async function insertProcedures(db: Db, tree: Tree, n: number, stages: string) {
  const sqlText = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const chunk = 100_000;
  for (let lo = 1; lo <= n; lo += chunk) {
    const hi = Math.min(n, lo + chunk - 1);
    const t0 = performance.now();
    // r1..r6: independent pseudo-random 32-bit numbers per row, from md5 (the same rows every run)
    await db.$executeRawUnsafe(`
      WITH stages(type, idx, key, name, kind, level, roles) AS (VALUES ${stages}),
      counts AS (SELECT type, count(*)::int AS n FROM stages GROUP BY type),
      r AS (
        SELECT i, ('x' || substr(h, 1, 8))::bit(32)::bigint AS r1, ('x' || substr(h, 9, 8))::bit(32)::bigint AS r2,
               ('x' || substr(h, 17, 8))::bit(32)::bigint AS r3, ('x' || substr(h, 25, 8))::bit(32)::bigint AS r4,
               ('x' || substr(md5(h), 1, 8))::bit(32)::bigint AS r5, ('x' || substr(md5(h), 9, 8))::bit(32)::bigint AS r6
        FROM generate_series(${lo}, ${hi}) AS i, LATERAL (SELECT md5(i::text) AS h) m
      ),
      a AS (
        SELECT r.*, v.*,
          CASE WHEN r2 % 10000 = 0 THEN 'county-exit' WHEN r2 % 10000 < 170 THEN 'village-exit' ELSE 'household-exit' END AS ty,
          CASE WHEN r3 % 100 < 80 THEN 'ACTIVE' WHEN r3 % 100 < 97 THEN 'COMPLETED' ELSE 'CANCELLED' END AS st,
          CASE WHEN v.clean THEN 999 ELSE r5 % 1000 END AS late,
          now() AT TIME ZONE 'UTC' AS t0
        FROM r JOIN bench_village v ON v.n = r.r1 % ${tree.villages.length}
      ),
      b AS (
        SELECT a.*, s.key, s.name AS stage_name, s.kind, s.level AS lvl, s.roles,
          CASE s.level WHEN 'VILLAGE' THEN a.id WHEN 'TOWNSHIP' THEN a.township WHEN 'COUNTY' THEN a.county WHEN 'CITY' THEN a.city ELSE ${sqlText(tree.province.id)} END AS resp,
          CASE WHEN a.st <> 'ACTIVE' OR s.kind = 'check' THEN NULL
               WHEN a.late < 100 THEN a.t0 - make_interval(days => 1 + (a.r6 % 40)::int, secs => (a.r6 % 86400)::int)
               WHEN a.late < 110 THEN a.t0 - make_interval(secs => (a.r6 % 3600)::int)
               ELSE a.t0 + make_interval(secs => (a.r6 % (10 * 86400))::int) END AS due,
          s.kind = 'check' AND a.st = 'ACTIVE' AND a.r6 % 2 = 0 AND NOT a.clean AS blocked,
          s.idx
        FROM a JOIN counts c ON c.type = a.ty JOIN stages s ON s.type = a.ty AND s.idx = (a.r4 % c.n)::int
      )
      INSERT INTO "Procedure" (id, "workflowId", type, "definitionId", "definitionVersion", profile, "subjectType", "subjectId", "subjectName",
        "householdId", "orgUnitId", "orgPath", year, status, "currentStageKey", "currentStageName", "currentStageKind", "responsibleOrgUnitId",
        "responsibleRoles", "pendingOrgUnitIds", "blockedReason", "stageEnteredAt", "dueAt", overdue, "dueProvisional", "escalationLevel",
        "startedById", "startedAt", "closedAt", "stateSeq", "updatedAt")
      SELECT md5('case' || i)::uuid::text,
        ty || ':' || CASE ty WHEN 'household-exit' THEN '${P}-hh-' || i WHEN 'village-exit' THEN b.id ELSE b.county END || ':' || CASE WHEN st = 'ACTIVE' THEN 2026 ELSE 2024 + (r6 % 3)::int END,
        ty, ty, 1, 'national',
        CASE ty WHEN 'household-exit' THEN 'household' WHEN 'village-exit' THEN 'village' ELSE 'county' END,
        CASE ty WHEN 'household-exit' THEN '${P}-hh-' || i WHEN 'village-exit' THEN b.id ELSE b.county END,
        CASE ty WHEN 'household-exit' THEN '王建国户 (${P}-' || i || ')' ELSE '贫困村/县 ' || b.id END,
        CASE ty WHEN 'household-exit' THEN '${P}-hh-' || i END,
        CASE ty WHEN 'county-exit' THEN b.county ELSE b.id END,
        CASE ty WHEN 'county-exit' THEN b.county_path ELSE b.path END,
        CASE WHEN st = 'ACTIVE' THEN 2026 ELSE 2024 + (r6 % 3)::int END,
        st::"ProcedureStatus",
        CASE WHEN st = 'ACTIVE' THEN key END, CASE WHEN st = 'ACTIVE' THEN stage_name END, CASE WHEN st = 'ACTIVE' THEN kind END,
        CASE WHEN st = 'ACTIVE' THEN resp END,
        CASE WHEN st = 'ACTIVE' THEN roles ELSE '{}' END,
        CASE WHEN st <> 'ACTIVE' THEN '{}'::text[] WHEN key = 'county_approval' AND ty = 'household-exit' AND r6 % 100 < 5 THEN ARRAY[dept1, dept2] ELSE ARRAY[resp] END,
        CASE WHEN blocked THEN '贫困发生率 2.6% 未低于 2%（第' || (r6 % 9 + 1) || '次核验）' END,
        CASE WHEN st <> 'ACTIVE' THEN NULL WHEN due IS NULL THEN t0 - make_interval(days => (r6 % 20)::int) ELSE due - interval '10 days' END,
        due,
        st = 'ACTIVE' AND late < 100 AND due IS NOT NULL,
        false,
        CASE WHEN st = 'ACTIVE' AND late < 100 AND due IS NOT NULL THEN 1 + (r6 % 3)::int ELSE 0 END,
        '${P}-starter',
        t0 - make_interval(days => 10 + idx * 8 + (r6 % 30)::int),
        CASE WHEN st <> 'ACTIVE' THEN t0 - make_interval(days => (r6 % 700)::int) END,
        idx + 1,
        t0
      FROM b
      ON CONFLICT DO NOTHING`);
    process.stderr.write(`procedures ${hi}/${n} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  }
}

/** Rectifications of every county (30 items) and of every tenth township (5 items); duties of every county's and township's leaders. */
async function seedSideTables(db: Db, tree: Tree) {
  const rand = prng(9);
  const now = Date.now();
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const subjects = [...tree.counties.map((u) => ({ u, items: 30 })), ...tree.townships.filter((_, i) => i % 10 === 0).map((u) => ({ u, items: 5 }))];
  const villagesOf = new Map<string, Unit[]>();
  for (const v of tree.villages) villagesOf.set(v.parentId!, [...(villagesOf.get(v.parentId!) ?? []), v]);
  const townshipsOf = new Map<string, Unit[]>();
  for (const t of tree.townships) townshipsOf.set(t.parentId!, [...(townshipsOf.get(t.parentId!) ?? []), t]);
  const items = [];
  for (const { u, items: count } of subjects) {
    const id = `rectification:${tree.province.id}:${u.id}:2025`;
    await db.rectification.upsert({
      where: { id },
      create: { id, unitId: u.id, unitPath: u.path, year: 2025, status: 'ACTIVE', phase: 'supervision', issuedAt: new Date(now - 120 * DAY), timetable: {}, stateSeq: 1 },
      update: {},
    });
    const under = u.level === 'COUNTY' ? [u, ...(townshipsOf.get(u.id) ?? [])] : [u, ...(villagesOf.get(u.id) ?? [])];
    for (let seq = 1; seq <= count; seq++) {
      const responsible = [...new Set(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(under).id))];
      const status = rand() < 0.7 ? 'OPEN' : rand() < 0.5 ? 'AWAITING_CONFIRMATION' : 'CONFIRMED';
      items.push({
        rectificationId: id,
        seq,
        problemType: pick(['精准识别', '精准退出', '精准帮扶', '资金管理', '作风问题', '责任落实']),
        description: `问题 ${seq}`,
        leadUnitId: u.id,
        responsibleUnitIds: responsible,
        measures: '整改措施',
        deadlineKind: 'date',
        dueAt: new Date(now + (rand() * 120 - 60) * DAY),
        status,
        closedUnitIds: responsible.filter(() => rand() < 0.3),
        overdue: rand() < 0.4,
      });
    }
  }
  for (let i = 0; i < items.length; i += 1000) await db.rectificationItem.createMany({ data: items.slice(i, i + 1000), skipDuplicates: true });
  const duties = [...tree.counties, ...tree.townships].flatMap((u) =>
    (
      [
        ['visit', 'deputy', 'quarter', 1],
        ['visit', 'leader', 'year', 2],
        ['responsibility_letter', 'leader', 'year', 1],
      ] as const
    ).map(([kind, role, period, required]) => {
      const missed = rand() < 0.1;
      const lastMissed = rand() < 0.15 ? new Date(now - rand() * 500 * DAY) : null;
      return {
        id: `duty:${kind}:${u.id}-${role}`,
        personId: `${u.id}-${role}`,
        orgUnitId: u.id,
        unitPath: u.path,
        kind,
        period,
        required,
        periodStart: new Date(now - 30 * DAY),
        periodEnd: new Date(now + 60 * DAY),
        count: missed ? 0 : required,
        missed,
        missedPeriods: lastMissed ? 1 : 0,
        lastMissedAt: lastMissed,
        stateSeq: 1,
      };
    }),
  );
  for (let i = 0; i < duties.length; i += 1000) await db.duty.createMany({ data: duties.slice(i, i + 1000), skipDuplicates: true });
}

/** A person of a unit and a bearer token for them (as lib/demo.ts stores them: only the hash). */
async function personWithToken(db: Db, unit: Unit, role: Role): Promise<string> {
  const personId = `${unit.id}-bench-${role.toLowerCase()}`;
  await db.person.upsert({ where: { id: personId }, create: { id: personId, name: '王建国', title: `${unit.name}${role}`, role, orgUnitId: unit.id }, update: {} });
  const token = `${P}.${role.toLowerCase()}.${randomBytes(18).toString('base64url')}`;
  await db.apiToken.create({ data: { tokenHash: hashToken(token), label: 'bench/supervision.ts', personId, expiresAt: new Date(Date.now() + DAY) } });
  return token;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  const n = Number(process.argv[2] ?? 1_000_000);
  const runs = Number(process.env.RUNS ?? 200);
  const warmup = Number(process.env.WARMUP ?? 20);
  // no request log lines (lib/log.ts: silent under NODE_ENV=test): the table and the JSON go to stdout
  process.env.NODE_ENV = 'test';
  const db = createPrisma(process.env.DATABASE_URL, 10);
  const tree = orgTree();

  const seeded = await db.procedure.count({ where: { startedById: `${P}-starter` } });
  if (seeded >= n) {
    process.stderr.write(`reusing ${seeded} seeded procedure rows\n`);
  } else {
    const t0 = performance.now();
    await seedTree(db, tree);
    await seedProcedures(db, tree, n);
    await seedSideTables(db, tree);
    process.stderr.write(`seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s; VACUUM ANALYZE …\n`);
  }
  for (const table of ['Procedure', 'ProcedureLateTally', 'Escalation', 'OrgUnit', 'Rectification', 'RectificationItem', 'Duty']) await db.$executeRawUnsafe(`VACUUM ANALYZE "${table}"`);
  const total = await db.procedure.count();

  const county = tree.counties[0];
  const township = tree.townships.find((t) => t.parentId === county.id)!;
  const village = tree.villages.find((v) => v.parentId === township.id)!;
  const supervisor = ['/supervision/summary', '/supervision/overdue', '/supervision/overdue?staleDays=30', '/inbox'];
  const viewpoints: Array<{ name: string; unit: Unit; role: Role; routes: string[] }> = [
    { name: 'province leader', unit: tree.province, role: 'LEADER', routes: supervisor },
    { name: 'county leader', unit: county, role: 'LEADER', routes: supervisor },
    // a county with nothing late: every late-reason branch of the overdue list comes back empty
    { name: 'county leader, none late', unit: tree.counties[COUNTIES - 1], role: 'LEADER', routes: supervisor },
    { name: 'township leader', unit: township, role: 'LEADER', routes: supervisor },
    { name: 'village staff', unit: village, role: 'STAFF', routes: ['/inbox'] },
  ];

  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const app = createApp({ db, temporal });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const results: Array<{ route: string; viewpoint: string; rows: number; p50: number; p95: number; p99: number; max: number }> = [];
  for (const vp of viewpoints) {
    const token = await personWithToken(db, vp.unit, vp.role);
    for (const route of vp.routes) {
      let rows = 0;
      const get = async () => {
        const res = await fetch(base + route, { headers: { authorization: `Bearer ${token}` } });
        const body = (await res.json()) as { items?: unknown[]; units?: unknown[] };
        if (res.status !== 200) throw new Error(`${route} as ${vp.name}: ${res.status} ${JSON.stringify(body)}`);
        rows = (body.items ?? body.units ?? []).length;
      };
      for (let i = 0; i < warmup; i++) await get();
      const ms: number[] = [];
      for (let i = 0; i < runs; i++) {
        const a = performance.now();
        await get();
        ms.push(performance.now() - a);
      }
      ms.sort((a, b) => a - b);
      const r = (x: number) => +x.toFixed(1);
      results.push({ route, viewpoint: vp.name, rows, p50: r(percentile(ms, 50)), p95: r(percentile(ms, 95)), p99: r(percentile(ms, 99)), max: r(ms[ms.length - 1]) });
    }
  }
  server.close();

  // the plans: the same service calls through a client that records its SQL, each query explained
  const recording = recordingPrisma(process.env.DATABASE_URL);
  const procedures = new ProcedureService({ db: recording.db, temporal, definitions: new DefinitionStore(recording.db) });
  const supervision = new SupervisionService({ db: recording.db });
  const plans: Array<{ route: string; viewpoint: string; query: number; executionMs?: number; indexes: string[]; scans: string[] }> = [];
  for (const vp of viewpoints) {
    const me = principal(vp.unit, vp.role);
    for (const route of vp.routes) {
      recording.queries.length = 0;
      if (route === '/supervision/summary') await supervision.summary(me);
      else if (route.startsWith('/supervision/overdue')) await procedures.overdue(me, route.includes('staleDays') ? 30 : undefined, 100);
      else await procedures.inbox(me, 100);
      for (const [i, q] of recording.queries.filter((q) => /^\s*(WITH|SELECT)\b/i.test(q.sql)).entries()) {
        const { plan, executionMs } = await explain(recording.db, q, { analyze: true });
        plans.push({ route, viewpoint: vp.name, query: i + 1, executionMs, indexes: indexesOf(plan), scans: scanLines(plan) });
      }
    }
  }
  await recording.db.$disconnect();

  const pad = (s: string | number, w: number) => String(s).padEnd(w);
  console.log(`\n${total} procedure rows (${n} seeded); ${runs} sequential requests per line after ${warmup} warm-up\n`);
  console.log(`${pad('route', 36)}${pad('viewpoint', 26)}${pad('rows', 6)}${pad('p50 ms', 8)}${pad('p95 ms', 8)}${pad('p99 ms', 8)}max ms`);
  for (const r of results) console.log(`${pad(r.route, 36)}${pad(r.viewpoint, 26)}${pad(r.rows, 6)}${pad(r.p50, 8)}${pad(r.p95, 8)}${pad(r.p99, 8)}${r.max}`);
  console.log('\nplans (EXPLAIN ANALYZE of each query the service sends, in order):');
  for (const p of plans) console.log(`${p.route} ${p.viewpoint} #${p.query} (${p.executionMs?.toFixed(1)} ms): ${p.scans.join('; ')}`);
  console.log(JSON.stringify({ procedures: total, runs, warmup, results, plans: plans.map(({ scans: _scans, ...p }) => p) }));
  await db.$disconnect();
}

/** The principal the API builds from a token (api/auth.ts), for calling the services directly. */
function principal(unit: Unit, role: Role): Principal {
  return { personId: `${unit.id}-bench-${role.toLowerCase()}`, name: '王建国', title: '', role, orgUnitId: unit.id, orgUnitName: unit.name, orgLevel: unit.level, orgPath: unit.path, scopePath: unit.path, department: null };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
