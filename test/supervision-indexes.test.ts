/**
 * The supervisors' queries at scale (issue 9 item 4; bench/supervision.ts measures them at 10^6
 * cases): the SQL the services really send — recorded from a Prisma client — is explained with
 * sequential scans off, and must read the indexes of migration 20261124031001_supervision_indexes,
 * the scope ones by the org path prefix (a pattern-operator range: under the cluster's C.UTF-8
 * collation a default-operator index cannot serve `LIKE 'prefix%'`). A change of schema, collation
 * or query that leaves an index unusable fails here, not in production at 10^6 rows.
 *
 * The rewritten queries answer exactly what the ones before them did: the overdue list as the one
 * OR over the four reasons, the summary as counting every late case, item and duty in the process,
 * and the trigger-kept ProcedureLateTally as counting the cases, through inserts, updates, moves,
 * deletes and concurrent writers.
 */
import { Client, Connection } from '@temporalio/client';
import type { Principal } from '../api/auth';
import { ProcedureService } from '../api/services/procedures';
import { SupervisionService } from '../api/services/supervision';
import { DefinitionStore } from '../definitions';
import { buildDemoTree, type DemoTree, type DemoUnit } from '../lib/demo';
import { createPrisma, type Db } from '../lib/prisma';
import type { Role } from '../lib/org';
import { explain, indexesOf, nodesOf, recordingPrisma, type PlanNode, type RecordedQuery } from './helpers/explain';
import { uniquePrefix } from './helpers/stack';
import { prng } from './helpers/prng';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const CASES = 8000;

let db: Db;
let rec: ReturnType<typeof recordingPrisma>;
let tree: DemoTree;
let prefix: string;
let procedures: ProcedureService;
let supervision: SupervisionService;

const principal = (u: DemoUnit, role: Role = 'LEADER'): Principal => ({
  personId: u.people[role],
  name: u.name,
  title: '',
  role,
  orgUnitId: u.id,
  orgUnitName: u.name,
  orgLevel: u.level,
  orgPath: u.path,
  scopePath: u.path,
  department: null,
});


/**
 * CASES cases over the villages: 80 % active; of those 20 % a whole number of days (and an hour)
 * past due, mostly marked overdue; blocked ones at a check with no due time (some with an empty
 * reason, which the summary does not count); stages entered 1–40 days ago; one or two pending units.
 */
async function seedCases() {
  const rand = prng(7);
  const now = Date.now();
  const townshipOf = new Map(tree.villages.map((v) => [v.id, tree.townships.find((t) => v.path.startsWith(t.path))!]));
  const rows = Array.from({ length: CASES }, (_, i) => {
    const village = tree.villages[Math.floor(rand() * tree.villages.length)];
    const active = rand() < 0.8;
    const level = Math.floor(rand() * 3);
    const resp = [village, townshipOf.get(village.id)!, tree.county][level];
    const late = active && rand() < 0.2;
    const blocked = active && !late && rand() < 0.03;
    const days = 1 + Math.floor(rand() * 40);
    const dueAt = !active || blocked ? null : new Date(late ? now - days * DAY - HOUR : now + days * DAY + HOUR);
    const stageEnteredAt = !active ? null : dueAt ? new Date(dueAt.getTime() - (5 + Math.floor(rand() * 20)) * DAY) : new Date(now - days * DAY);
    return {
      id: `${prefix}-case-${String(i).padStart(5, '0')}`,
      workflowId: `household-exit:${prefix}-hh-${i}:2026`,
      type: 'household-exit',
      definitionId: 'household-exit',
      definitionVersion: 1,
      profile: 'national',
      subjectType: 'household',
      subjectId: `${prefix}-hh-${i}`,
      subjectName: `户 ${i}`,
      orgUnitId: village.id,
      orgPath: village.path,
      year: 2026,
      status: active ? ('ACTIVE' as const) : ('COMPLETED' as const),
      currentStageKey: active ? `stage${level}` : null,
      currentStageName: active ? `第${level}步` : null,
      responsibleOrgUnitId: active ? resp.id : null,
      responsibleRoles: active ? ['STAFF', 'DEPUTY', 'LEADER'].slice(level === 2 ? 1 : 0) : [],
      pendingOrgUnitIds: !active ? [] : rand() < 0.05 ? [resp.id, tree.departments[0].id] : [resp.id],
      blockedReason: blocked ? (rand() < 0.2 ? '' : '贫困发生率未达标') : null,
      stageEnteredAt,
      dueAt,
      overdue: late && rand() < 0.9,
      escalationLevel: late ? 1 : 0,
      startedById: tree.province.people.STAFF,
      startedAt: new Date(now - 60 * DAY),
      closedAt: active ? null : new Date(now - days * DAY),
      stateSeq: 1,
    };
  });
  for (let i = 0; i < rows.length; i += 2000) await db.procedure.createMany({ data: rows.slice(i, i + 2000) });
  const escalated = rows.filter((r) => r.overdue).slice(0, 300);
  await db.escalation.createMany({
    data: escalated.flatMap((r, i) =>
      Array.from({ length: 1 + (i % 3) }, (_, k) => ({
        procedureId: r.id,
        stageKey: r.currentStageKey!,
        round: 1,
        rung: k + 1,
        label: ['分管负责人', '主要负责人', '领导小组'][k],
        orgUnitId: r.responsibleOrgUnitId!,
        stageDueAt: r.dueAt!,
        escalatedAt: new Date(r.dueAt!.getTime() + k * 3 * DAY),
        resolvedAt: k === 2 ? new Date() : null,
      })),
    ),
  });
  // rectification items (some units closed) and duties (missed now, missed within a year, long ago)
  for (const [k, u] of [tree.county, ...tree.townships].entries()) {
    const id = `rectification:${tree.province.id}:${u.id}:2025`;
    await db.rectification.create({ data: { id, unitId: u.id, unitPath: u.path, year: 2025, status: 'ACTIVE', phase: 'supervision', issuedAt: new Date(now - 90 * DAY), timetable: {}, stateSeq: 1 } });
    const under = tree.villages.filter((v) => v.path.startsWith(u.path));
    await db.rectificationItem.createMany({
      data: Array.from({ length: 6 }, (_, seq) => {
        const responsible = [under[(seq + k) % under.length].id, under[(seq + k + 1) % under.length].id, u.id];
        return {
          rectificationId: id,
          seq: seq + 1,
          problemType: '精准退出',
          description: `问题 ${seq + 1}`,
          leadUnitId: u.id,
          responsibleUnitIds: responsible,
          measures: '整改',
          deadlineKind: 'date',
          dueAt: new Date(now - DAY),
          status: seq === 5 ? 'CONFIRMED' : 'OPEN',
          closedUnitIds: seq % 2 ? [responsible[0]] : [],
          overdue: seq !== 4,
        };
      }),
    });
  }
  await db.duty.createMany({
    data: [tree.county, ...tree.townships].flatMap((u, k) => [
      { id: `duty:visit:${u.people.DEPUTY}`, personId: u.people.DEPUTY, orgUnitId: u.id, unitPath: u.path, kind: 'visit', period: 'quarter', required: 1, periodStart: new Date(now - 30 * DAY), periodEnd: new Date(now + 60 * DAY), count: 0, missed: k % 2 === 0, stateSeq: 1 },
      { id: `duty:visit:${u.people.LEADER}`, personId: u.people.LEADER, orgUnitId: u.id, unitPath: u.path, kind: 'visit', period: 'year', required: 2, periodStart: new Date(now - 30 * DAY), periodEnd: new Date(now + 300 * DAY), count: 1, missedPeriods: 1, lastMissedAt: new Date(now - (k % 3 === 0 ? 400 : 100) * DAY), stateSeq: 1 },
    ]),
  });
  await db.$executeRawUnsafe('ANALYZE "Procedure"');
  await db.$executeRawUnsafe('ANALYZE "ProcedureLateTally"');
}

beforeAll(async () => {
  db = createPrisma();
  rec = recordingPrisma();
  prefix = uniquePrefix('sxi');
  tree = await buildDemoTree(db, { prefix, townships: 4, villagesPerTownship: 6, householdsPerVillage: 0 });
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  procedures = new ProcedureService({ db: rec.db, temporal, definitions: new DefinitionStore(rec.db) });
  supervision = new SupervisionService({ db: rec.db });
  await seedCases();
});

afterAll(async () => {
  await rec?.db.$disconnect();
  await db?.$disconnect();
});

/** The queries one service call sends, recorded. */
async function recorded(call: () => Promise<unknown>): Promise<RecordedQuery[]> {
  rec.queries.length = 0;
  await call();
  return rec.queries.filter((q) => /^\s*(WITH|SELECT)\b/i.test(q.sql));
}

const scansOn = (plan: PlanNode, table: string) => [...nodesOf(plan)].filter((n) => n['Relation Name'] === table || (n['Index Name'] ?? '').startsWith(`${table}_`));
const show = (plan: PlanNode) => JSON.stringify(plan, null, 1);

describe('the plans of the SQL the services send (sequential scans off)', () => {
  const OVERDUE_INDEXES = [
    'Procedure_active_due_idx',
    'Procedure_active_scope_idx',
    'Procedure_late_due_idx',
    'Procedure_late_scope_idx',
    'Procedure_active_stage_length_idx',
    // the stale cases with no due time (blocked at a check) are found by it as well
    'Procedure_status_overdue_dueAt_idx',
  ];

  test('given any viewpoint, when the overdue list is read, then its ids come from the late-case indexes only, and its rows by primary key', async () => {
    for (const unit of [tree.province, tree.county, tree.townships[0], tree.villages[0]]) {
      for (const staleDays of [undefined, 30]) {
        const [ids, rows] = await recorded(() => procedures.overdue(principal(unit), staleDays, 100));
        const { plan } = await explain(rec.db, ids, { seqscan: false });
        const scans = scansOn(plan, 'Procedure');
        const unexpected = scans.filter((n) => n['Node Type'] === 'Seq Scan' || (n['Index Name'] && !OVERDUE_INDEXES.includes(n['Index Name'])));
        expect({ unit: unit.level, staleDays, unexpected: unexpected.length ? show(plan) : 'none' }).toMatchObject({ unexpected: 'none' });
        expect(indexesOf(plan).some((i) => i.startsWith('Procedure_late_'))).toBe(true);
        expect(indexesOf((await explain(rec.db, rows, { seqscan: false })).plan)).toContain('Procedure_pkey');
      }
    }
  });

  test('given a village leader, when the overdue list is read, then the scope indexes are read by the org path prefix', async () => {
    const [ids] = await recorded(() => procedures.overdue(principal(tree.villages[0]), undefined, 100));
    const { plan } = await explain(rec.db, ids, { seqscan: false });
    for (const index of ['Procedure_active_scope_idx', 'Procedure_late_scope_idx']) {
      const node = [...nodesOf(plan)].find((n) => n['Index Name'] === index);
      expect({ index, cond: node?.['Index Cond'] ?? show(plan) }).toMatchObject({ cond: expect.stringContaining(`"orgPath" ~>=~ '${tree.villages[0].path}'`) });
    }
  });

  test('given a staleDays no stage lasts, when the overdue list is read, then the stage-length index finds the stale cases not yet due', async () => {
    const [ids] = await recorded(() => procedures.overdue(principal(tree.province), 365, 100));
    const { plan } = await explain(rec.db, ids, { seqscan: false });
    expect({ indexes: indexesOf(plan), plan: show(plan) }).toMatchObject({ indexes: expect.arrayContaining(['Procedure_active_stage_length_idx']) });
  });

  test('given a unit with pending cases, when its inbox is read, then the GIN index on pendingOrgUnitIds finds them', async () => {
    // a village's few cases (a county's or a township's share of this small table is large enough
    // for the due-order index to be as good: at 10^6 cases they read the GIN index too, bench/RESULTS.md)
    for (const [unit, role] of [[tree.villages[0], 'STAFF'], [tree.villages[9], 'LEADER']] as const) {
      const [inbox] = await recorded(() => procedures.inbox(principal(unit, role), 100));
      const { plan } = await explain(rec.db, inbox, { seqscan: false });
      const gin = [...nodesOf(plan)].find((n) => n['Index Name'] === 'Procedure_pendingOrgUnitIds_idx');
      expect({ cond: gin?.['Index Cond'] ?? show(plan) }).toMatchObject({ cond: expect.stringContaining('"pendingOrgUnitIds" @>') });
    }
  });

  test('given any viewpoint, when the summary is read, then the cases are counted from the tally by its key', async () => {
    for (const unit of [tree.province, tree.county, tree.townships[0]]) {
      const [summary] = await recorded(() => supervision.summary(principal(unit)));
      const { plan } = await explain(rec.db, summary, { seqscan: false });
      const tally = scansOn(plan, 'ProcedureLateTally');
      expect({ seq: tally.filter((n) => n['Node Type'] === 'Seq Scan').length, indexes: indexesOf(plan), plan: show(plan) }).toMatchObject({ seq: 0, indexes: expect.arrayContaining(['ProcedureLateTally_pkey']) });
      expect(scansOn(plan, 'Procedure')).toEqual([]);
    }
  });
});

// ---- the answers are those of the queries before ---------------------------------------------

/** The overdue list as it was read before: one OR over the four reasons. */
async function overdueBefore(me: Principal, staleDays: number | undefined, limit: number) {
  const now = new Date();
  const stale = staleDays !== undefined ? new Date(now.getTime() - staleDays * DAY) : undefined;
  const rows = await db.procedure.findMany({
    where: {
      status: 'ACTIVE',
      orgPath: { startsWith: me.scopePath },
      OR: [{ overdue: true }, { dueAt: { lt: now } }, { blockedReason: { not: null } }, ...(stale ? [{ stageEnteredAt: { lt: stale } }] : [])],
    },
    orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
    take: limit,
    include: { escalations: { where: { resolvedAt: null }, orderBy: { rung: 'desc' }, take: 1 } },
  });
  return rows.map((r) => ({ caseId: r.id, dueAt: r.dueAt, latestEscalation: r.escalations[0] ?? null, daysOverdue: r.dueAt ? Math.max(0, Math.floor((now.getTime() - r.dueAt.getTime()) / DAY)) : 0 }));
}

/** The summary as it was counted before: every late case, item and duty loaded and counted here. */
async function summaryBefore(me: Principal) {
  const within = { startsWith: me.scopePath };
  const [cases, items, duties] = await Promise.all([
    db.procedure.findMany({ where: { status: 'ACTIVE', orgPath: within, OR: [{ overdue: true }, { blockedReason: { not: null } }] }, select: { responsibleOrgUnitId: true, overdue: true, blockedReason: true } }),
    db.rectificationItem.findMany({ where: { overdue: true, status: { not: 'CONFIRMED' }, rectification: { unitPath: within } }, select: { responsibleUnitIds: true, closedUnitIds: true } }),
    db.duty.findMany({ where: { unitPath: within, OR: [{ missed: true }, { lastMissedAt: { gte: new Date(Date.now() - 365 * DAY) } }] }, select: { orgUnitId: true } }),
  ]);
  type Row = { unitId: string; overdueCases: number; blockedCases: number; overdueItems: number; missedDuties: number };
  const rows = new Map<string, Row>();
  const row = (unitId: string) => {
    let r = rows.get(unitId);
    if (!r) rows.set(unitId, (r = { unitId, overdueCases: 0, blockedCases: 0, overdueItems: 0, missedDuties: 0 }));
    return r;
  };
  for (const c of cases) {
    if (!c.responsibleOrgUnitId) continue;
    if (c.overdue) row(c.responsibleOrgUnitId).overdueCases++;
    if (c.blockedReason) row(c.responsibleOrgUnitId).blockedCases++;
  }
  for (const i of items) for (const u of i.responsibleUnitIds.filter((u) => !i.closedUnitIds.includes(u))) row(u).overdueItems++;
  for (const d of duties) row(d.orgUnitId).missedDuties++;
  const names = new Map((await db.orgUnit.findMany({ where: { id: { in: [...rows.keys()] } }, select: { id: true, name: true, level: true } })).map((u) => [u.id, u]));
  const late = (r: Row) => r.overdueCases + r.overdueItems + r.missedDuties + r.blockedCases;
  return [...rows.values()]
    .map((r) => ({ ...r, unitName: names.get(r.unitId)?.name, level: names.get(r.unitId)?.level }))
    .sort((a, b) => late(b) - late(a) || a.unitId.localeCompare(b.unitId));
}

/** ProcedureLateTally of a scope, and the same counted from the cases. */
async function tallyAndCount(scopePath: string) {
  const tally = await db.$queryRaw<Array<{ unit: string; oc: number; bc: number }>>`
    SELECT "unitId" AS unit, "overdueCases" AS oc, "blockedCases" AS bc FROM "ProcedureLateTally"
    WHERE "scopePath" = ${scopePath} AND ("overdueCases" <> 0 OR "blockedCases" <> 0) ORDER BY 1`;
  const counted = await db.$queryRaw<Array<{ unit: string; oc: number; bc: number }>>`
    SELECT "responsibleOrgUnitId" AS unit, (count(*) FILTER (WHERE "overdue"))::int AS oc, (count(*) FILTER (WHERE "blockedReason" <> ''))::int AS bc
    FROM "Procedure" WHERE "status" = 'ACTIVE' AND starts_with("orgPath", ${scopePath}) AND "responsibleOrgUnitId" IS NOT NULL AND ("overdue" OR "blockedReason" <> '')
    GROUP BY 1 ORDER BY 1`;
  return { tally, counted };
}

const scopes = () => [tree.province, tree.city, tree.county, tree.townships[0], tree.townships[3], tree.villages[0], tree.villages[17]];

describe('the answers', () => {
  test('given the seeded cases, when the overdue list is read from each viewpoint, then it is the one the single OR query gave', async () => {
    for (const unit of [tree.province, tree.county, tree.townships[1], tree.villages[5]]) {
      for (const [staleDays, limit] of [[undefined, 100], [undefined, 500], [3, 100], [30, 500], [365, 50]] as const) {
        const now = await procedures.overdue(principal(unit), staleDays, limit);
        const before = await overdueBefore(principal(unit), staleDays, limit);
        expect(now.map((r) => ({ caseId: r.caseId, dueAt: r.dueAt, latestEscalation: r.latestEscalation, daysOverdue: r.daysOverdue }))).toEqual(before);
        expect(now.length).toBeGreaterThan(0);
      }
    }
  });

  test('given the seeded cases, items and duties, when the summary is read from each viewpoint, then it is the one counting in the process gave', async () => {
    for (const unit of scopes()) {
      const now = await supervision.summary(principal(unit));
      const before = await summaryBefore(principal(unit));
      expect(now.units).toEqual(before);
      expect(now.totalUnits).toBe(before.length);
    }
    expect((await supervision.summary(principal(tree.province))).units.length).toBeGreaterThan(20);
  });

  test('given cases that change, move, close and go, some at once, then the tally counts the late cases of every scope', async () => {
    const rand = prng(11);
    const ids = (await db.procedure.findMany({ where: { id: { startsWith: `${prefix}-case-` } }, select: { id: true }, orderBy: { id: 'asc' } })).map((r) => r.id);
    const pick = () => ids[Math.floor(rand() * ids.length)];
    const unit = () => [tree.county, ...tree.townships, ...tree.villages][Math.floor(rand() * (1 + tree.townships.length + tree.villages.length))];
    const changes = Array.from({ length: 400 }, () => {
      const id = pick();
      switch (Math.floor(rand() * 6)) {
        case 0:
          return () => db.procedure.update({ where: { id }, data: { overdue: rand() < 0.5 } });
        case 1:
          return () => db.procedure.update({ where: { id }, data: { responsibleOrgUnitId: rand() < 0.1 ? null : unit().id } });
        case 2:
          return () => db.procedure.update({ where: { id }, data: { blockedReason: [null, '', '未达标'][Math.floor(rand() * 3)] } });
        case 3:
          return () => db.procedure.update({ where: { id }, data: { status: rand() < 0.5 ? 'COMPLETED' : 'ACTIVE' } });
        case 4: {
          const village = tree.villages[Math.floor(rand() * tree.villages.length)];
          return () => db.procedure.update({ where: { id }, data: { orgPath: village.path, orgUnitId: village.id, overdue: true } });
        }
        default:
          // a write that leaves the late fields as they were (the trigger does nothing)
          return () => db.procedure.update({ where: { id }, data: { stateSeq: { increment: 1 } } });
      }
    });
    // 8 writers at once, each its own transaction: they touch the same tally rows
    const queue = [...changes];
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let change = queue.shift(); change; change = queue.shift()) await change();
    }));
    // cases without escalations go
    const gone = await db.procedure.findMany({ where: { id: { startsWith: `${prefix}-case-` }, status: 'ACTIVE', overdue: true, escalations: { none: {} } }, select: { id: true }, take: 40 });
    expect(gone.length).toBe(40);
    await db.procedure.deleteMany({ where: { id: { in: gone.map((g) => g.id) } } });

    for (const u of scopes()) {
      const { tally, counted } = await tallyAndCount(u.path);
      expect(tally).toEqual(counted);
    }
    expect((await tallyAndCount(tree.province.path)).counted.length).toBeGreaterThan(20);
    // and the summary still answers as counting in the process did
    for (const u of [tree.province, tree.townships[2]]) expect((await supervision.summary(principal(u))).units).toEqual(await summaryBefore(principal(u)));
  });
});
