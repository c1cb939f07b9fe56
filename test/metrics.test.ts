/**
 * Metrics and logs (issue 9, item 6), on the time-skipping server with the worker in a process of
 * its own (worker/main.ts, as deployed: LOG_LEVEL=debug, WORKER_METRICS_PORT set):
 *
 * - GET /metrics: the scrape token when METRICS_TOKEN is set (401 without it, a person's token
 *   included), else loopback clients only (403 from another address); the exposition format.
 * - HTTP metrics carry the Express route pattern, never the raw URL (unknown paths: `unmatched`),
 *   in a registry per app; the case gauges equal the projection's counts, also after time passes
 *   and cases fall overdue and escalate; with the database gone the scrape still answers.
 * - X-Request-Id: a short safe one is echoed, anything else replaced; the request's one JSON log
 *   line names it with the route, status, duration, the caller's org unit and the workflow and
 *   update ids, never a token or a body; a started workflow's memo and a decision's update id
 *   carry it into Temporal.
 * - The worker: the SDK's Prometheus exporter on 127.0.0.1 only, and JSON lines on stdout, the
 *   activities' with their workflow id.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { get as httpGet, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../api/app';
import { ROUTES } from '../api/routes/catalog';
import { createLogger } from '../lib/log';
import { createPrisma } from '../lib/prisma';
import { Children, freePort, poll, type Child } from './helpers/processes';
import { startStack, type Stack } from './helpers/stack';

const TOKEN = `scrape.${randomBytes(18).toString('base64url')}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let s: Stack;
/** the app under test: METRICS_TOKEN set, its log lines captured */
let app: Express;
const logged: Array<Record<string, unknown>> = [];
const children = new Children();
let worker: Child;
let workerMetricsPort: number;
const workerStdout: string[] = [];

beforeAll(async () => {
  s = await startStack('time-skipping', { tag: 'met', townships: 1, villagesPerTownship: 1, householdsPerVillage: 6 }, { inProcessWorker: false });
  workerMetricsPort = await freePort();
  worker = children.spawn('worker', process.execPath, ['--import', 'tsx', join(__dirname, '..', 'worker', 'main.ts')], {
    ...process.env,
    TEMPORAL_ADDRESS: s.env.address,
    TEMPORAL_NAMESPACE: s.env.namespace ?? 'default',
    WORKER_METRICS_PORT: String(workerMetricsPort),
    LOG_LEVEL: 'debug',
  });
  let partial = '';
  worker.process.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    workerStdout.push(...lines.filter((l) => l.trim() !== ''));
  });
  await poll(
    'the worker polls',
    async () => {
      if (!worker.alive()) throw new Error(`the worker exited: ${worker.output()}`);
      return workerStdout.some((l) => l.includes('worker polling'));
    },
    120_000,
  );
  app = createApp({ db: s.db, temporal: s.env.client, metricsToken: TOKEN, processMetrics: true, logger: createLogger('info', { write: (line: string) => void logged.push(JSON.parse(line)) }) });
}, 180_000);

afterAll(async () => {
  await children.killAll();
  await s?.stop();
});

const village = () => s.tree.villages[0];
const household = (n: number) => s.tree.households[n];
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** One answer from `url` (plain node:http: no supertest, which connects over loopback only). */
function fetchFrom(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { headers, timeout: 10_000 }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
  });
}

/** An address of this machine that is not loopback (requests from it are not loopback requests). */
function externalAddress(): string | undefined {
  const all = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  const found = all.find((a) => !a.internal && a.family === 'IPv4') ?? all.find((a) => !a.internal && a.family === 'IPv6' && !a.address.startsWith('fe80'));
  return found && (found.family === 'IPv6' ? `[${found.address}]` : found.address);
}

/** `fn` with `target` served on every interface, at `http://<external address>:<port>`. */
async function servedExternally<T>(target: Express, fn: (base: string) => Promise<T>): Promise<T> {
  const host = externalAddress();
  if (!host) throw new Error('this machine has no non-loopback address to send a non-loopback request from');
  const server = target.listen(0, '::');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  try {
    return await fn(`http://${host}:${(server.address() as { port: number }).port}`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const scrape = async (target: Express = app) => {
  const res = await request(target).get('/metrics').set(bearer(TOKEN));
  expect(res.status).toBe(200);
  return res.text;
};

/** The summed value of the series of `name` whose labels include `labels`, or undefined if there is none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const own = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => own[k] === v)) total = (total ?? 0) + Number(m[3]);
  }
  return total;
}

const linesOf = (requestId: string) => logged.filter((l) => l.requestId === requestId);

describe('GET /metrics', () => {
  test('given METRICS_TOKEN, when scraped without it, with another or with a person’s token, then 401; with it, then the exposition, from any address', async () => {
    const none = await request(app).get('/metrics');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('Unauthenticated');
    expect(none.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect((await request(app).get('/metrics').set(bearer(`${TOKEN}x`))).status).toBe(401);
    expect((await request(app).get('/metrics').set(bearer(village().tokens.LEADER))).status).toBe(401);
    expect((await request(app).get('/metrics').set('Authorization', TOKEN)).status).toBe(401);

    const ok = await request(app).get('/metrics').set(bearer(TOKEN));
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^text\/plain;.*\bversion=0\.0\.4\b/);
    expect(ok.text).toContain('# TYPE http_requests_total counter');
    expect(ok.text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(sample(ok.text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(ok.text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(sample(ok.text, 'fupin_case_metrics_up')).toBe(1);

    await servedExternally(app, async (base) => {
      expect((await fetchFrom(`${base}/metrics`)).status).toBe(401);
      const remote = await fetchFrom(`${base}/metrics`, bearer(TOKEN));
      expect(remote.status).toBe(200);
      expect(remote.text).toContain('# TYPE http_requests_total counter');
    });
  });

  test('given no METRICS_TOKEN, when scraped over loopback, then 200; from another address, then 403, a person’s token notwithstanding', async () => {
    const local = await request(s.app).get('/metrics');
    expect(local.status).toBe(200);
    expect(local.text).toContain('# TYPE fupin_open_cases gauge');
    expect(local.text).not.toContain('process_cpu_user_seconds_total'); // the Node process's metrics are the served app's (api/main.ts)
    await servedExternally(s.app, async (base) => {
      for (const headers of [{}, bearer(village().tokens.LEADER)]) {
        const remote = await fetchFrom(`${base}/metrics`, headers);
        expect(remote.status).toBe(403);
        expect(JSON.parse(remote.text).error.code).toBe('Forbidden');
        expect(remote.text).not.toContain('http_requests_total');
      }
    });
  });
});

describe('HTTP metrics', () => {
  test('given requests to known routes and to a random URL, then they are counted by route pattern and status, the raw ids and URL never appear', async () => {
    const caseId = randomUUID();
    const anonymousCaseId = randomUUID();
    const junk = `zz${randomBytes(6).toString('hex')}`;
    expect((await request(app).get(`/procedures/${caseId}`).set(bearer(s.tree.county.tokens.LEADER))).status).toBe(404);
    expect((await request(app).get(`/procedures/${anonymousCaseId}`)).status).toBe(401); // refused before routing
    expect((await request(app).delete('/tokens/current')).status).toBe(401);
    expect((await request(app).get(`/${junk}/../${junk}/x?${junk}=1`).set(bearer(s.tree.county.tokens.LEADER))).status).toBe(404);
    expect((await request(app).post(`/${junk}`).send({ [junk]: 1 })).status).toBe(401);

    const text = await scrape();
    expect(sample(text, 'http_requests_total', { method: 'GET', route: '/procedures/:caseId', status: '404' })).toBe(1);
    expect(sample(text, 'http_requests_total', { method: 'GET', route: '/procedures/:caseId', status: '401' })).toBe(1);
    expect(sample(text, 'http_requests_total', { method: 'DELETE', route: '/tokens/current', status: '401' })).toBe(1);
    expect(sample(text, 'http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(sample(text, 'http_requests_total', { method: 'POST', route: 'unmatched', status: '401' })).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/procedures/:caseId', status: '404' })).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_bucket', { method: 'GET', route: '/procedures/:caseId', status: '404', le: '+Inf' })).toBe(1);
    for (const raw of [caseId, anonymousCaseId, junk]) expect(text).not.toContain(raw);
    // every route label is a catalogued pattern or `unmatched`
    const labels = new Set([...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]));
    const patterns = new Set(ROUTES.map((r) => r.path));
    expect([...labels].filter((l) => l !== 'unmatched' && !patterns.has(l))).toEqual([]);

    // another app in the same process keeps its own registry
    expect(sample(await scrape(s.app), 'http_requests_total', { route: '/procedures/:caseId' })).toBeUndefined();
  });
});

describe('X-Request-Id and the request log', () => {
  test('given a short safe X-Request-Id, then it is echoed and logged; given none or a hostile one, then a fresh one is', async () => {
    const safe = `trace-${randomBytes(4).toString('hex')}.a_b:c`;
    const echoed = await request(app).get('/healthz').set('X-Request-Id', safe);
    expect(echoed.headers['x-request-id']).toBe(safe);
    expect(linesOf(safe)).toEqual([expect.objectContaining({ level: 'info', msg: 'request', method: 'GET', route: '/healthz', status: 200 })]);

    const fresh = await request(app).get('/healthz');
    expect(fresh.headers['x-request-id']).toMatch(UUID);
    for (const hostile of ['a'.repeat(500), 'x'.repeat(65), 'has space', 'tab\there', '<script>alert(1)</script>', '"quoted"', '{"level":"fatal"}', 'caf\u00e9', '']) {
      const res = await request(app).get('/healthz').set('X-Request-Id', hostile);
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toMatch(UUID);
      expect(linesOf(res.headers['x-request-id'])).toHaveLength(1);
    }
    // bytes past ASCII reach the app and are replaced; a line break does not even reach it (Node's HTTP parser answers 400)
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const rawRequest = (id: Buffer) =>
      new Promise<string>((resolve, reject) => {
        const head = Buffer.concat([Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: '), id, Buffer.from('\r\nConnection: close\r\n\r\n')]);
        const socket = connect((server.address() as { port: number }).port, '127.0.0.1', () => socket.write(head));
        let out = '';
        socket.on('data', (c: Buffer) => (out += c.toString('latin1')));
        socket.on('close', () => resolve(out));
        socket.on('error', reject);
      });
    try {
      const obsText = await rawRequest(Buffer.from([0x61, 0xff, 0xfe, 0x62]));
      expect(obsText).toMatch(/^HTTP\/1\.1 200/);
      expect(/\r\nx-request-id: (\S+)\r\n/i.exec(obsText)?.[1]).toMatch(UUID);
      const lineBreak = await rawRequest(Buffer.from('abc\ninjected: 1'));
      expect(lineBreak).toMatch(/^HTTP\/1\.1 400/);
      expect(lineBreak).not.toContain('injected');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('given a case started through the API, then its log line names the request, route, status, org unit and workflow, and the workflow’s memo carries the request id', async () => {
    const requestId = `start-${randomBytes(6).toString('hex')}`;
    const comment = `SECRET-BODY-${randomBytes(6).toString('hex')}`;
    const started = await request(app)
      .post('/procedures/household-exit')
      .set(bearer(village().tokens.STAFF))
      .set('X-Request-Id', requestId)
      .send({ householdId: household(0).id, year: 2026, comment });
    expect(started.status).toBe(201);
    expect(started.headers['x-request-id']).toBe(requestId);

    const [line] = linesOf(requestId);
    expect(line).toEqual(
      expect.objectContaining({ level: 'info', msg: 'request', method: 'POST', route: '/procedures/:procedureType', status: 201, orgUnitId: village().id, workflowIds: [started.body.workflowId] }),
    );
    expect(typeof line.durationMs).toBe('number');
    expect(typeof line.time).toBe('string');
    const { memo } = await s.env.client.workflow.getHandle(started.body.workflowId).describe();
    expect(memo).toEqual(expect.objectContaining({ requestId, caseId: started.body.caseId }));

    // refused before authentication: a warning line without an org unit
    const anonymous = await request(app).get('/inbox').set('X-Request-Id', `${requestId}-anon`);
    expect(anonymous.status).toBe(401);
    expect(linesOf(`${requestId}-anon`)).toEqual([expect.objectContaining({ level: 'warn', route: '/inbox', status: 401 })]);
    expect(linesOf(`${requestId}-anon`)[0].orgUnitId).toBeUndefined();

    // never a token, a header or a body
    const all = JSON.stringify(logged);
    expect(all).not.toContain(village().tokens.STAFF);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(comment);
    expect(all.toLowerCase()).not.toContain('authorization');
  });

  test('given a body that arrives after the request was taken up (Expect: 100-continue), then the started workflow’s memo still carries the request id', async () => {
    const requestId = `late-${randomBytes(6).toString('hex')}`;
    const body = JSON.stringify({ householdId: household(5).id, year: 2026 });
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    try {
      // the body is sent only once the API answered 100 Continue: it reaches the body parser in reads of its own
      const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = httpRequest({
          host: '127.0.0.1',
          port: (server.address() as { port: number }).port,
          method: 'POST',
          path: '/procedures/household-exit',
          headers: { ...bearer(village().tokens.STAFF), 'X-Request-Id': requestId, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Expect: '100-continue' },
        });
        req.on('continue', () => req.end(body));
        req.on('response', (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
      });
      expect(answer.status).toBe(201);
      const { workflowId } = JSON.parse(answer.text) as { workflowId: string };
      expect((await s.env.client.workflow.getHandle(workflowId).describe()).memo).toEqual(expect.objectContaining({ requestId }));
      expect(linesOf(requestId)).toEqual([expect.objectContaining({ status: 201, workflowIds: [workflowId] })]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('given decisions, then the update id starts with the request id (or is person:Idempotency-Key), logged with the workflow id and found in the history', async () => {
    const started = await request(app).post('/procedures/household-exit').set(bearer(village().tokens.STAFF)).send({ householdId: household(1).id, year: 2026 });
    expect(started.status).toBe(201);
    const { caseId, workflowId } = started.body as { caseId: string; workflowId: string };

    const requestId = `sign-${randomBytes(6).toString('hex')}`;
    const signed = await request(app)
      .post(`/procedures/${caseId}/sign-off`)
      .set(bearer(village().tokens.STAFF))
      .set('X-Request-Id', requestId)
      .send({ stageKey: 'village_appraisal', decision: 'approve' });
    expect(signed.status).toBe(200);
    const [line] = linesOf(requestId);
    expect(line).toEqual(expect.objectContaining({ route: '/procedures/:caseId/sign-off', status: 200, workflowIds: [workflowId] }));
    const [updateId] = line.updateIds as string[];
    expect(updateId.startsWith(`${requestId}:`)).toBe(true);

    const key = `idem-${randomBytes(6).toString('hex')}`;
    const keyed = await request(app)
      .post(`/procedures/${caseId}/sign-off`)
      .set(bearer(village().tokens.DEPUTY))
      .set('X-Request-Id', `${requestId}-2`)
      .set('Idempotency-Key', key)
      .send({ stageKey: 'village_verification', decision: 'approve', confirmations: ['household_acknowledged'] });
    expect(keyed.status).toBe(200);
    expect(linesOf(`${requestId}-2`)[0].updateIds).toEqual([`${village().people.DEPUTY}:${key}`]);

    const history = await s.env.client.workflow.getHandle(workflowId).fetchHistory();
    const accepted = (history.events ?? []).map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId).filter(Boolean);
    expect(accepted).toEqual(expect.arrayContaining([updateId, `${village().people.DEPUTY}:${key}`]));
  });
});

describe('case gauges', () => {
  const openCount = (stage: string) => s.db.procedure.count({ where: { status: 'ACTIVE', type: 'household-exit', currentStageKey: stage } });

  test('given a case started through the API, then fupin_open_cases for its type and stage is the number of ACTIVE cases there, one more than before', async () => {
    const before = sample(await scrape(), 'fupin_open_cases', { procedure_type: 'household-exit', stage: 'village_appraisal' }) ?? 0;
    expect(before).toBe(await openCount('village_appraisal'));
    const started = await request(app).post('/procedures/household-exit').set(bearer(village().tokens.STAFF)).send({ householdId: household(2).id, year: 2026 });
    expect(started.status).toBe(201);
    expect(started.body.case.stage.key).toBe('village_appraisal');
    const text = await scrape();
    expect(sample(text, 'fupin_open_cases', { procedure_type: 'household-exit', stage: 'village_appraisal' })).toBe(before + 1);
    expect(sample(text, 'fupin_open_cases', { procedure_type: 'household-exit', stage: 'village_appraisal' })).toBe(await openCount('village_appraisal'));
    // every stage's series is the database's count
    const byStage = await s.db.procedure.groupBy({ by: ['currentStageKey'], where: { status: 'ACTIVE', type: 'household-exit' }, _count: { _all: true } });
    for (const row of byStage) expect(sample(text, 'fupin_open_cases', { procedure_type: 'household-exit', stage: row.currentStageKey ?? 'none' })).toBe(row._count._all);
  });

  test('given time past the due dates, then fupin_overdue_cases and fupin_escalated_cases follow the projection as cases fall overdue and escalate', async () => {
    const started = await request(app).post('/procedures/household-exit').set(bearer(village().tokens.STAFF)).send({ householdId: household(3).id, year: 2026 });
    expect(started.status).toBe(201);
    // past village_appraisal's 10 working days (holidays included) and the three rungs after it
    await s.env.sleep('40 days');
    await poll('the case escalated to the leading group', () => s.db.procedure.count({ where: { id: started.body.caseId, overdue: true, escalationLevel: 3 } }), 30_000);
    // the other cases' projections land too: the gauges are the database's counts once they have
    const agree = async () => {
      const text = await scrape();
      const overdue = await s.db.procedure.count({ where: { status: 'ACTIVE', type: 'household-exit', overdue: true } });
      const byRung = await s.db.procedure.groupBy({ by: ['escalationLevel'], where: { status: 'ACTIVE', type: 'household-exit', escalationLevel: { gt: 0 } }, _count: { _all: true } });
      const gauges = { overdue: sample(text, 'fupin_overdue_cases', { procedure_type: 'household-exit' }), rungs: Object.fromEntries([1, 2, 3].map((r) => [r, sample(text, 'fupin_escalated_cases', { procedure_type: 'household-exit', rung: String(r) })])) };
      const database = { overdue, rungs: Object.fromEntries([1, 2, 3].map((r) => [r, byRung.find((row) => row.escalationLevel === r)?._count._all])) };
      return JSON.stringify(gauges) === JSON.stringify(database) ? database : undefined;
    };
    const counted = await poll('the gauges agree with the database', agree, 30_000);
    expect(counted.overdue).toBeGreaterThan(0);
    expect(counted.rungs[3]).toBeGreaterThan(0);
  });

  test('given the database out of reach, when scraped, then the answer comes with fupin_case_metrics_up 0 and no case series, the HTTP metrics intact', async () => {
    const unreachable = createPrisma('postgresql://fupin@127.0.0.1:1/fupin', 1);
    try {
      const cut = createApp({ db: unreachable, temporal: s.env.client, metricsToken: TOKEN, logger: createLogger('silent') });
      expect((await request(cut).get('/healthz')).status).toBe(200);
      const text = await scrape(cut);
      expect(sample(text, 'fupin_case_metrics_up')).toBe(0);
      expect(sample(text, 'fupin_open_cases')).toBeUndefined();
      expect(sample(text, 'http_requests_total', { route: '/healthz', status: '200' })).toBe(1);
    } finally {
      await unreachable.$disconnect();
    }
  });
});

describe('the worker process', () => {
  test('given WORKER_METRICS_PORT, then the SDK’s Prometheus exporter answers on 127.0.0.1 only', async () => {
    const res = await poll('the worker metrics', async () => {
      const r = await fetchFrom(`http://127.0.0.1:${workerMetricsPort}/metrics`);
      return r.status === 200 && r.text.includes('temporal_') ? r : undefined;
    }, 30_000);
    const names = new Set([...res.text.matchAll(/^(temporal_[a-z_]+)/gm)].map((m) => m[1]));
    // the projection runs as a local activity (LOCAL_PROJECTION): its series are the local ones
    expect([...names].some((n) => n.startsWith('temporal_local_activity_'))).toBe(true);
    expect([...names].some((n) => n.startsWith('temporal_workflow_'))).toBe(true);
    // the notifications the worker handed to the channels, by kind: tasks on stage entry, and the
    // escalations of the cases the test above let fall overdue
    const sent = (kind: string) => Number(res.text.match(new RegExp(`^fupin_notifications_sent(?:_total)?\\{[^}]*kind="${kind}"[^}]*\\} (\\d+)`, 'm'))?.[1] ?? 0);
    expect(sent('TASK')).toBeGreaterThan(0);
    expect(sent('ESCALATION')).toBeGreaterThan(0);
    const host = externalAddress();
    if (!host) throw new Error('this machine has no non-loopback address');
    await expect(fetchFrom(`http://${host}:${workerMetricsPort}/metrics`)).rejects.toThrow(/ECONNREFUSED/);
  });

  test('given LOG_LEVEL=debug, then every line on its stdout is JSON, the activities’ with their workflow id and type', async () => {
    const lines = workerStdout.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => String(l.msg).startsWith('worker polling'))).toEqual(expect.objectContaining({ level: 'info', taskQueue: expect.any(String) }));
    const started = await request(app).post('/procedures/household-exit').set(bearer(village().tokens.STAFF)).send({ householdId: household(4).id, year: 2026 });
    expect(started.status).toBe(201);
    const activity = await poll(
      'an activity line of the case',
      async () => workerStdout.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.workflowId === started.body.workflowId && l.msg === 'Activity completed'),
      15_000,
    );
    expect(activity).toEqual(expect.objectContaining({ level: 'debug', activityType: expect.any(String), workflowRunId: expect.any(String), workflowType: 'procedureWorkflow' }));
    expect(workerStdout.join('\n')).not.toContain('taskToken');
  });
});
