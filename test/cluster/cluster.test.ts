/**
 * The cluster mode end to end: `scripts/up.sh --cluster` (Temporal's own server, two nodes on
 * PostgreSQL behind one address, two workers, two API processes behind one address) runs a
 * household exit and a provincial inspection of a county; one Temporal node and one worker are
 * SIGKILLed mid-procedure; the cases go on through the survivors with nothing lost or written twice.
 *
 * A household exit cannot complete here: its village and township notices are mandatory and last
 * seven real days each (000 篇三 第四十二条) and a real server does not skip time. It is driven
 * through the failover into its village notice, has an objection raised there that sends it back
 * (000 篇三 第四十二条: 公示无异议 — the objection reopens the village verification), and is
 * verified again into a new notice whose timer then runs on the surviving node. The annual
 * inspection (000 篇三 第九条), which has no notice, runs to completion across the same failover.
 *
 * Runs from scripts/test.sh after the unit suites (FUPIN_CLUSTER_TEST=1), on databases and ports of
 * its own, with the server built once per machine by scripts/cluster-build.sh.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { createPrisma, type Db } from '../../lib/prisma';
import { poll, sleep } from '../helpers/processes';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const pgUrl = (db: string) => `postgresql://${process.env.PGUSER ?? 'fupin'}@${process.env.PGHOST ?? '127.0.0.1'}:${process.env.PGPORT ?? '55432'}/${db}`;

/** Ports of its own, away from the demo's (7233, 8233, 3000) and from the test servers' random ones. */
const BASE = 27_300;
const dataDir = mkdtempSync(join(tmpdir(), 'fupin-cluster-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATA_DIR: dataDir,
  PG_EXTERNAL: '1', // the PostgreSQL the tests already use
  PG_DB: 'fupin_cluster_test',
  DATABASE_URL: pgUrl('fupin_cluster_test'),
  TEMPORAL_DB: 'temporal_cluster_test',
  TEMPORAL_VISIBILITY_DB: 'temporal_cluster_test_visibility',
  CLUSTER_PORT_BASE: String(BASE),
  TEMPORAL_ADDRESS: `127.0.0.1:${BASE - 67}`,
  TEMPORAL_UI_PORT: String(BASE - 66),
  API_PORT: String(BASE - 50),
  FUPIN_DEMO: '1',
  DECISION_WAIT_SECONDS: '20',
  LOG_LEVEL: 'warn',
};
const api = `http://127.0.0.1:${env.API_PORT}`;

type Unit = { id: string; name: string; level: string; tokens: Record<'STAFF' | 'DEPUTY' | 'LEADER', string> };
let units: Unit[];
let db: Db;
const unit = (id: string) => units.find((u) => u.id === id)!;

async function script(...args: string[]) {
  try {
    return await run('bash', args, { cwd: root, env, maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`${args.join(' ')} failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}\n${String(err)}`);
  }
}

async function dropDatabases() {
  for (const name of ['fupin_cluster_test', 'temporal_cluster_test', 'temporal_cluster_test_visibility']) {
    await run('psql', [pgUrl('postgres'), '-qc', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`]);
  }
}

/**
 * The cluster node that owns the history shard of a workflow: its shard from `current_executions`,
 * the shard's owner (the history service's address, inside the ShardInfo blob) from `shards`.
 */
async function shardOwner(workflowId: string): Promise<number> {
  const sql = `SELECT s.data FROM current_executions c JOIN shards s USING (shard_id) WHERE c.workflow_id = '${workflowId.replace(/'/g, "''")}'`;
  for (const n of [1, 2]) {
    const historyAddress = `127.0.0.1:${BASE + 100 * (n - 1) + 2}`;
    const { stdout } = await run('psql', [pgUrl('temporal_cluster_test'), '-tAc', `SELECT position(convert_to('${historyAddress}', 'UTF8') IN data) > 0 FROM (${sql}) x`]);
    if (stdout.trim() === 't') return n;
  }
  throw new Error(`no owner found for the shard of ${workflowId}`);
}

/** SIGKILLs one of the processes up.sh started (its whole process group), as a crash would. */
function crash(name: string) {
  const pid = Number(readFileSync(join(dataDir, 'run', `${name}.pid`), 'utf8'));
  process.kill(-pid, 'SIGKILL');
}

type Answer = { status: number; body: Record<string, any> };

async function call(method: 'GET' | 'POST', path: string, token: string, body?: object, idempotencyKey?: string): Promise<Answer> {
  const res = await fetch(api + path, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body ? { 'Content-Type': 'application/json' } : {}),
      ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as Record<string, any> };
}

/**
 * What a client does while a node fails over: repeats the request with the same Idempotency-Key
 * until it is answered (the key makes the repeats one decision).
 */
async function decide(path: string, token: string, body: object, expected: number): Promise<Answer> {
  const key = randomUUID();
  const until = Date.now() + 180_000;
  for (;;) {
    const res = await call('POST', path, token, body, key).catch((err: Error): Answer => ({ status: 0, body: { error: err.message } }));
    if (res.status === expected) return res;
    const retry = [0, 202, 502, 503].includes(res.status) || (res.status === 409 && res.body?.error?.code === 'RequestInProgress');
    if (!retry || Date.now() > until) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    await sleep(1_000);
  }
}

async function view(caseId: string) {
  const res = await call('GET', `/procedures/${caseId}`, unit('demo-p').tokens.LEADER);
  expect(res.status).toBe(200);
  return res.body;
}

/** Every audit entry once, none missing: sequence numbers 1..n in the API and in the table. */
async function expectWholeHistory(caseId: string) {
  const body = await view(caseId);
  const seqs = (body.history as Array<{ seq: number }>).map((h) => h.seq);
  expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  const rows = await db.caseEvent.findMany({ where: { caseId }, select: { seq: true }, orderBy: { seq: 'asc' } });
  expect(rows.map((r) => r.seq)).toEqual(seqs);
  return body;
}

const actions = (body: Record<string, any>) =>
  (body.history as Array<{ action: string; stageKey: string }>).filter((h) => !['TASK_ASSIGNED', 'REMINDED'].includes(h.action)).map((h) => `${h.action}:${h.stageKey}`);

beforeAll(async () => {
  await dropDatabases();
  await script('scripts/up.sh', '--cluster');
  units = JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8')).units;
  db = createPrisma(env.DATABASE_URL, 2);
}, 20 * 60_000);

afterAll(async () => {
  await db?.$disconnect();
  await script('scripts/down.sh').catch((err) => console.error(err));
}, 120_000);

test('the cluster is two Temporal nodes in one ring and two API processes behind the demo addresses', async () => {
  const members = await poll(
    'both nodes in the membership table',
    async () => {
      const rows = await run('psql', [pgUrl('temporal_cluster_test'), '-tAc', `SELECT count(DISTINCT rpc_port) FROM cluster_membership WHERE role = 1 AND record_expiry > now()`]);
      return Number(rows.stdout.trim()) >= 2 ? Number(rows.stdout.trim()) : undefined;
    },
    60_000,
  );
  expect(members).toBe(2); // role 1 = frontend: one per node
  for (const n of [1, 2]) expect((await fetch(`http://127.0.0.1:${Number(env.API_PORT) + n}/healthz`)).status).toBe(200);
  expect((await fetch(`${api}/healthz`)).status).toBe(200);
  expect((await fetch(`http://127.0.0.1:${env.TEMPORAL_UI_PORT}/`)).status).toBe(200);
});

test('when a Temporal node and a worker die mid-procedure, the cases go on with nothing lost', async () => {
  const village = unit('demo-v1');
  const county = unit('demo-k');
  const province = unit('demo-p');
  const household = await db.household.findFirstOrThrow({ where: { villageId: village.id }, orderBy: { id: 'asc' } });

  // a household exit and a provincial inspection of the county, each one step in
  const exit = await decide('/procedures/household-exit', village.tokens.STAFF, { householdId: household.id, year: 2026 }, 201);
  const exitId: string = exit.body.caseId;
  const inspection = await decide('/procedures/annual-inspection', province.tokens.DEPUTY, { subjectId: county.id, year: 2026 }, 201);
  const inspectionId: string = inspection.body.caseId;
  await decide(`/procedures/${exitId}/sign-off`, village.tokens.STAFF, { stageKey: 'village_appraisal', decision: 'approve' }, 200);
  await decide(
    `/procedures/${inspectionId}/sign-off`,
    province.tokens.STAFF,
    { stageKey: 'provincial_inspection', decision: 'approve', confirmations: ['field_visits_done'] },
    200,
  );

  // the node that owns the household exit's shard dies while a decision on it is in flight, and so
  // does a worker; the client repeats the decision (same Idempotency-Key) until it is answered
  const owner = await shardOwner(exit.body.workflowId);
  const inFlight = decide(
    `/procedures/${exitId}/sign-off`,
    village.tokens.DEPUTY,
    { stageKey: 'village_verification', decision: 'approve', confirmations: ['household_acknowledged'] },
    200,
  );
  await sleep(20);
  crash(`temporal-${owner}`);
  crash('worker-1');
  const crashedAt = Date.now();
  const verified = await inFlight;
  expect(verified.body.stage.key).toBe('village_notice');
  console.log(`node ${owner} (the case's shard owner) and worker 1 killed; the decision in flight answered ${Date.now() - crashedAt} ms later`);
  await decide(
    `/procedures/${inspectionId}/sign-off`,
    county.tokens.DEPUTY,
    { stageKey: 'county_rectification_report', decision: 'approve', confirmations: ['problems_addressed'] },
    200,
  );
  const concluded = await decide(`/procedures/${inspectionId}/sign-off`, province.tokens.LEADER, { stageKey: 'inspection_conclusion', decision: 'approve' }, 200);
  expect(concluded.body.status).toBe('COMPLETED');

  // an objection during the notice sends the case back; verified again, it is in a new notice
  const objected = await decide(`/procedures/${exitId}/objections`, village.tokens.STAFF, { objectorName: '村民甲', content: '收入核算有误' }, 201);
  expect(objected.body.stage.key).toBe('village_verification');
  await decide(
    `/procedures/${exitId}/sign-off`,
    village.tokens.DEPUTY,
    { stageKey: 'village_verification', decision: 'approve', confirmations: ['household_acknowledged'] },
    200,
  );

  const exitView = await expectWholeHistory(exitId);
  expect(actions(exitView)).toEqual([
    'STARTED:village_appraisal',
    'STAGE_ENTERED:village_appraisal',
    'APPROVED:village_appraisal',
    'STAGE_ENTERED:village_verification',
    'APPROVED:village_verification',
    'STAGE_ENTERED:village_notice',
    'OBJECTION:village_notice',
    'STAGE_ENTERED:village_verification',
    'APPROVED:village_verification',
    'STAGE_ENTERED:village_notice',
  ]);
  expect(exitView).toMatchObject({ status: 'ACTIVE', currentStageKey: 'village_notice', live: { key: 'village_notice', responsibleOrgUnitId: village.id } });
  expect(exitView.notices.map((n: { status: string }) => n.status)).toEqual(['INTERRUPTED', 'OPEN']);
  expect(await db.household.findUniqueOrThrow({ where: { id: household.id } })).toMatchObject({ status: 'EXITING' });

  const inspectionView = await expectWholeHistory(inspectionId);
  expect(inspectionView.status).toBe('COMPLETED');
  expect(actions(inspectionView)).toEqual([
    'STARTED:provincial_inspection',
    'STAGE_ENTERED:provincial_inspection',
    'APPROVED:provincial_inspection',
    'STAGE_ENTERED:county_rectification_report',
    'APPROVED:county_rectification_report',
    'STAGE_ENTERED:inspection_conclusion',
    'APPROVED:inspection_conclusion',
    'COMPLETED:inspection_conclusion',
  ]);

  // the survivors still serve new work: a second household starts and is signed
  const other = await db.household.findFirstOrThrow({ where: { villageId: village.id, id: { not: household.id } }, orderBy: { id: 'asc' } });
  const second = await decide('/procedures/household-exit', village.tokens.STAFF, { householdId: other.id, year: 2026 }, 201);
  await decide(`/procedures/${second.body.caseId}/sign-off`, village.tokens.STAFF, { stageKey: 'village_appraisal', decision: 'approve' }, 200);
  expect((await view(second.body.caseId)).currentStageKey).toBe('village_verification');
}, 10 * 60_000);
