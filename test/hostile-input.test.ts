/**
 * Issue 7: one hostile request must never hang the API, drain a worker or lock a case. Each test
 * reproduces a failure found on the earlier main (items 2, 3, 7, 8, 9 and part of 10) and holds
 * its fix. On the dev server: waiting on update outcomes is what the time-skipping server cannot.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import { Connection, Client, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { createApp } from '../api/app';
import { hashToken } from '../lib/tokens';
import { createPrisma, type Db } from '../lib/prisma';
import { buildDemoTree } from '../lib/demo';
import { TASK_QUEUE, signOffUpdate, type ProcedureInput } from '../workflows/procedure/contract';
import { startStack, type Stack } from './helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('dev', { tag: 'hos', townships: 1, villagesPerTownship: 2, householdsPerVillage: 18 });
});
afterAll(async () => s?.stop());

const village = () => s.tree.villages[0];
const township = () => s.tree.townships[0];
let nextHousehold = 0;
const household = () => s.tree.households.filter((h) => h.villageId === village().id)[nextHousehold++];

async function openCase(): Promise<{ caseId: string; workflowId: string; householdId: string }> {
  const h = household();
  const res = await s.as(village().tokens.STAFF).post('/procedures/household-exit', { householdId: h.id, year: 2026 });
  expect(res.status).toBe(201);
  return { caseId: res.body.caseId, workflowId: res.body.workflowId, householdId: h.id };
}

const actorOf = (personId: string) => ({ personId, name: '测试', orgUnitId: village().id, role: 'STAFF' as const });
const decisions = (caseId: string) =>
  s.db.caseEvent.count({ where: { caseType: 'procedure', caseId, action: { in: ['APPROVED', 'REJECTED', 'OBJECTION', 'CANCELLED'] } } });

describe('item 2: a lone UTF-16 surrogate', () => {
  test('is refused at the API edge with the path of the field', async () => {
    const { caseId } = await openCase();
    const res = await s.as(village().tokens.STAFF).post(`/procedures/${caseId}/sign-off`, { stageKey: '\ud800', decision: 'approve' });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'body.stageKey', code: 'invalid_text' })]);
    expect(await decisions(caseId)).toBe(0);
  });

  test('sent straight to the workflow, is refused by its validator and the worker keeps running', async () => {
    const { caseId, workflowId } = await openCase();
    const handle = s.env.client.workflow.getHandle(workflowId);
    const refused = await handle
      .executeUpdate(signOffUpdate, { args: [{ stageKey: '\ud800', decision: 'approve', attachments: [], confirmations: [], actor: actorOf(village().people.STAFF) }] })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refused as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'InvalidInput' });
    expect(s.workerState()).toBe('RUNNING');
    // and the case still takes decisions
    const ok = await s.as(village().tokens.STAFF).post(`/procedures/${caseId}/sign-off`, { stageKey: 'village_appraisal', decision: 'approve' });
    expect(ok.status).toBe(200);
    expect(ok.body.stage.key).toBe('village_verification');
  });
});

describe('item 3: a NUL byte', () => {
  test('in a comment is refused at the edge; in a start too, and the household is not locked', async () => {
    const { caseId } = await openCase();
    const signed = await s.as(village().tokens.STAFF).post(`/procedures/${caseId}/sign-off`, { stageKey: 'village_appraisal', decision: 'approve', comment: 'ok\u0000' });
    expect(signed.status).toBe(400);
    expect(signed.body.error.details[0].path).toBe('body.comment');
    const h = household();
    const start = await s.as(village().tokens.STAFF).post('/procedures/household-exit', { householdId: h.id, year: 2026, comment: '\u0000' });
    expect(start.status).toBe(400);
    const retry = await s.as(village().tokens.STAFF).post('/procedures/household-exit', { householdId: h.id, year: 2026 });
    expect(retry.status).toBe(201);
  });

  test('sent straight to the workflow is refused by its validator: the case still projects and takes decisions', async () => {
    const { caseId, workflowId } = await openCase();
    const handle = s.env.client.workflow.getHandle(workflowId);
    const refused = await handle
      .executeUpdate(signOffUpdate, {
        args: [{ stageKey: 'village_appraisal', decision: 'approve', comment: 'a\u0000b', attachments: [], confirmations: [], actor: actorOf(village().people.STAFF) }],
      })
      .catch((e: unknown) => e);
    expect((refused as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'InvalidInput' });
    const ok = await s.as(village().tokens.STAFF).post(`/procedures/${caseId}/sign-off`, { stageKey: 'village_appraisal', decision: 'approve' });
    expect(ok.status).toBe(200);
    expect(await decisions(caseId)).toBe(1);
  });

  test('in a start sent straight to Temporal fails the workflow at once, leaving the subject free', async () => {
    const h = household();
    const ok = await s.as(village().tokens.STAFF).post('/procedures/household-exit', { householdId: h.id, year: 2027 });
    expect(ok.status).toBe(201);
    const input = (await s.env.client.workflow.getHandle(ok.body.workflowId).fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
    expect(input).toBeDefined();
    // the same input for another year, with a NUL in the comment
    const { payloadConverter } = await import('@temporalio/common').then((m) => ({ payloadConverter: m.defaultPayloadConverter }));
    const original = payloadConverter.fromPayload<ProcedureInput>(input!.input!.payloads![0] as never);
    const workflowId = `household-exit:${h.id}:2028`;
    const bad = await s.env.client.workflow.start('procedureWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [{ ...original, year: 2028, caseId: '00000000-0000-4000-8000-000000000001', comment: 'x\u0000' }],
    });
    const failure = await bad.result().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toMatchObject({ type: 'InvalidInput' });
    expect(await s.db.procedure.count({ where: { workflowId } })).toBe(0);
    const fresh = await s.as(village().tokens.STAFF).post('/procedures/household-exit', { householdId: h.id, year: 2028 });
    expect(fresh.status).toBe(201);
  });
});

describe('item 7: an Idempotency-Key reused by another person', () => {
  test('is another decision, not the first one replayed', async () => {
    const { caseId } = await openCase();
    const key = `shared-key-${caseId}`;
    const first = await s.as(village().tokens.STAFF).post(`/procedures/${caseId}/sign-off`, { stageKey: 'village_appraisal', decision: 'approve' }, { 'Idempotency-Key': key });
    expect(first.status).toBe(200);
    const second = await s
      .as(village().tokens.DEPUTY)
      .post(`/procedures/${caseId}/sign-off`, { stageKey: 'village_verification', decision: 'approve', confirmations: ['household_acknowledged'] }, { 'Idempotency-Key': key });
    expect(second.status).toBe(200);
    expect(second.body.stage.key).toBe('village_notice');
    expect(await decisions(caseId)).toBe(2);
  });
});

describe('item 9: a decision that closed the case, repeated with its key after a lost answer', () => {
  test('answers with its first outcome, not 409 CaseClosed; another key still gets 409', async () => {
    const { caseId } = await openCase();
    const key = `cancel-${caseId}`;
    const first = await s.as(village().tokens.DEPUTY).post(`/procedures/${caseId}/cancel`, { reason: '户主申请暂缓退出' }, { 'Idempotency-Key': key });
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('CANCELLED');
    // the answer was lost (a 503 deletes the stored response so that the retry runs again)
    await s.db.idempotencyRecord.deleteMany({ where: { personId: village().people.DEPUTY, key } });
    const retry = await s.as(village().tokens.DEPUTY).post(`/procedures/${caseId}/cancel`, { reason: '户主申请暂缓退出' }, { 'Idempotency-Key': key });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ caseId, status: 'CANCELLED' });
    const other = await s.as(village().tokens.DEPUTY).post(`/procedures/${caseId}/cancel`, { reason: '再次撤销' }, { 'Idempotency-Key': `${key}-2` });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('CaseClosed');
    expect(await decisions(caseId)).toBe(1);
  });
});

describe('item 8: errors never leak', () => {
  type Answer = { status: number; headers: Record<string, string | string[] | undefined>; text: string; body: { error?: Record<string, unknown> } };
  const expectJsonError = (res: Answer, status: number) => {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
    expect(res.text).not.toMatch(/<html|<pre|at .*\.ts:\d+/i);
  };

  /** A POST with exactly these bytes (supertest would serialise a Buffer as JSON). */
  async function rawPost(path: string, headers: Record<string, string>, body: Buffer): Promise<Answer> {
    const server = s.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const { port } = server.address() as AddressInfo;
      return await new Promise<Answer>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port, path, method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': body.length, Authorization: `Bearer ${village().tokens.STAFF}`, ...headers } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: Answer['body'] = {};
              try {
                parsed = JSON.parse(text);
              } catch {
                /* left empty: the content-type check fails */
              }
              resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
            });
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    } finally {
      server.close();
    }
  }

  test('a NUL in a JSON key (with an Idempotency-Key) is a 400 in the JSON envelope', async () => {
    const { caseId } = await openCase();
    const res = await request(s.app)
      .post(`/procedures/${caseId}/sign-off`)
      .set('Authorization', `Bearer ${village().tokens.STAFF}`)
      .set('Idempotency-Key', `nul-key-${caseId}`)
      .set('Content-Type', 'application/json')
      .send('{"stageKey":"village_appraisal","decision":"approve","\\u0000":1}');
    expectJsonError(res, 400);
    expect(res.body.error.details[0].path).toBe('body.\\u0000');
  });

  test.each(['gzip', 'br', 'deflate'])('a broken %s body is a 400 in the JSON envelope', async (encoding) => {
    const res = await rawPost('/procedures/household-exit', { 'Content-Encoding': encoding }, Buffer.from('this is not compressed at all'));
    expectJsonError(res, 400);
  });

  test('an unknown Content-Encoding is a 415 in the JSON envelope; a good gzip body is read', async () => {
    expectJsonError(await rawPost('/procedures/household-exit', { 'Content-Encoding': 'zstd-nonsense' }, Buffer.from('{}')), 415);
    const good = await rawPost('/procedures/household-exit', { 'Content-Encoding': 'gzip' }, gzipSync(Buffer.from(JSON.stringify({ householdId: 'no-such-household', year: 2026 }))));
    expectJsonError(good, 404);
  });

  test('the database down while an idempotent response is stored: 503 with Retry-After; the retry gets the one outcome', async () => {
    const { caseId } = await openCase();
    // the same database, except that storing a response goes to a server that does not exist
    const dead = createPrisma('postgresql://fupin@127.0.0.1:1/none', 1);
    const flaky = s.db.$extends({
      query: { idempotencyRecord: { update: ({ args }) => dead.idempotencyRecord.update(args) } },
    }) as unknown as Db;
    try {
      const app = createApp({ db: flaky, temporal: s.env.client });
      const key = `db-down-${caseId}`;
      const send = (a: typeof app) =>
        request(a)
          .post(`/procedures/${caseId}/sign-off`)
          .set('Authorization', `Bearer ${village().tokens.STAFF}`)
          .set('Idempotency-Key', key)
          .send({ stageKey: 'village_appraisal', decision: 'approve' });
      const res = await send(app);
      expectJsonError(res, 503);
      expect(res.body.error.code).toBe('DatabaseUnavailable');
      expect(res.headers['retry-after']).toBeDefined();
      // the database is back; the record of the first attempt goes stale, the retry runs the same update
      await s.db.idempotencyRecord.updateMany({ where: { key }, data: { createdAt: new Date(Date.now() - 120_000) } });
      const retry = await send(s.app);
      expect(retry.status).toBe(200);
      expect(retry.body.stage.key).toBe('village_verification');
      expect(await decisions(caseId)).toBe(1);
    } finally {
      await dead.$disconnect();
    }
  });

  test('a first attempt that could not store its answer is taken over once the request deadline has passed, not after a minute', async () => {
    const { caseId } = await openCase();
    const key = `stuck-${caseId}`;
    const app = createApp({ db: s.db, temporal: s.env.client, decisionWaitMs: 2_000, requestDeadlineMs: 3_000 });
    const send = () =>
      request(app).post(`/procedures/${caseId}/sign-off`).set('Authorization', `Bearer ${village().tokens.STAFF}`).set('Idempotency-Key', key).send({ stageKey: 'village_appraisal', decision: 'approve' });
    // as left by a first attempt whose answer could not be stored: in progress, 2 s old
    await s.db.idempotencyRecord.create({
      data: { personId: village().people.STAFF, key, route: `POST /procedures/${caseId}/sign-off`,
        requestHash: createHash('sha256').update(JSON.stringify({ stageKey: 'village_appraisal', decision: 'approve' })).digest('hex'),
        createdAt: new Date(Date.now() - 2_000) },
    });
    const early = await send();
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('RequestInProgress');
    expect(early.headers['retry-after']).toBeDefined();
    await s.db.idempotencyRecord.updateMany({ where: { key }, data: { createdAt: new Date(Date.now() - 4_500) } });
    const later = await send();
    expect(later.status).toBe(200);
    expect(later.body.stage.key).toBe('village_verification');
  });

  test('a start while Temporal is unreachable answers 503 within the decision wait, not at the request deadline', async () => {
    const connection = await Connection.lazy({ address: '127.0.0.1:1' });
    try {
      const app = createApp({ db: s.db, temporal: new Client({ connection }), decisionWaitMs: 1_500, requestDeadlineMs: 30_000 });
      const began = Date.now();
      const res = await request(app).post('/procedures/household-exit').set('Authorization', `Bearer ${village().tokens.STAFF}`).send({ householdId: household().id, year: 2026 });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('TemporalUnavailable');
      expect(Date.now() - began).toBeLessThan(15_000);
    } finally {
      await connection.close();
    }
  });

  test('PostgreSQL unreachable: 503 DatabaseUnavailable with Retry-After, not 500', async () => {
    const dead = createPrisma('postgresql://fupin@127.0.0.1:1/none', 1);
    try {
      const res = await request(createApp({ db: dead, temporal: s.env.client })).get('/inbox').set('Authorization', `Bearer ${village().tokens.STAFF}`);
      expectJsonError(res, 503);
      expect(res.body.error.code).toBe('DatabaseUnavailable');
      expect(res.headers['retry-after']).toBeDefined();
    } finally {
      await dead.$disconnect();
    }
  });

  test('Temporal unreachable: a case is read from the projection within seconds, a decision answers 503', async () => {
    const { caseId } = await openCase();
    const connection = await Connection.lazy({ address: '127.0.0.1:1' });
    try {
      const app = createApp({ db: s.db, temporal: new Client({ connection }), decisionWaitMs: 1_500 });
      const began = Date.now();
      const read = await request(app).get(`/procedures/${caseId}`).set('Authorization', `Bearer ${village().tokens.STAFF}`);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ id: caseId, currentStageKey: 'village_appraisal', live: null });
      expect(Date.now() - began).toBeLessThan(8_000);
      const sign = await request(app)
        .post(`/procedures/${caseId}/sign-off`)
        .set('Authorization', `Bearer ${village().tokens.STAFF}`)
        .send({ stageKey: 'village_appraisal', decision: 'approve' });
      expectJsonError(sign, 503);
      expect(sign.headers['retry-after']).toBeDefined();
    } finally {
      await connection.close();
    }
  });
});

describe('item 10: smaller ones', () => {
  test('attachment URIs are http(s) only', async () => {
    const { caseId } = await openCase();
    for (const uri of ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'file:///etc/passwd']) {
      const res = await s
        .as(village().tokens.STAFF)
        .post(`/procedures/${caseId}/sign-off`, { stageKey: 'village_appraisal', decision: 'approve', attachments: [{ name: '评议记录', uri }] });
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].path).toBe('body.attachments.0.uri');
    }
    const ok = await s
      .as(village().tokens.STAFF)
      .post(`/procedures/${caseId}/sign-off`, { stageKey: 'village_appraisal', decision: 'approve', attachments: [{ name: '评议记录', uri: 'https://docs.example.gov.cn/a/1.pdf' }] });
    expect(ok.status).toBe(200);
  });

  test('every JSON answer says nosniff and no-store, errors included', async () => {
    for (const res of [await s.as(village().tokens.STAFF).get('/inbox'), await request(s.app).get('/inbox'), await request(s.app).get('/healthz')]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  test('the body of an unauthenticated request is not read: 401, not a parse error', async () => {
    const res = await request(s.app).post('/procedures/household-exit').set('Content-Type', 'application/json').send('{"not json');
    expect(res.status).toBe(401);
  });

  test('failed authentications are limited per address: 429 with Retry-After', async () => {
    const app = createApp({ db: s.db, temporal: s.env.client, authFailuresPerMinute: 3 });
    for (let i = 0; i < 3; i++) expect((await request(app).get('/inbox').set('Authorization', `Bearer wrong-token-number-${i}x`)).status).toBe(401);
    const blocked = await request(app).get('/inbox').set('Authorization', 'Bearer wrong-token-number-4x');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.body.error.code).toBe('TooManyFailedAttempts');
  });

  test('demo tokens cannot be guessed from the unit, and the seed refuses outside demo mode', async () => {
    const token = village().tokens.STAFF;
    const guessable = token.split('.').slice(0, 3).join('.') + '.token';
    expect(token).not.toBe(guessable);
    expect((await s.as(guessable).get('/me')).status).toBe(401);
    // a guessable token left by an older seed is revoked when the tree is seeded again
    await s.db.apiToken.create({ data: { tokenHash: hashToken(guessable), label: 'old demo token', personId: village().people.STAFF } });
    expect((await s.as(guessable).get('/me')).status).toBe(200);
    await buildDemoTree(s.db, { prefix: village().id.replace(/-v1$/, ''), townships: 1, villagesPerTownship: 2, householdsPerVillage: 18 });
    expect((await s.as(guessable).get('/me')).status).toBe(401);
    const seed = spawnSync(join(__dirname, '..', 'node_modules', '.bin', 'tsx'), ['scripts/seed.ts'], {
      cwd: join(__dirname, '..'),
      env: { ...process.env, FUPIN_DEMO: '0' },
      encoding: 'utf8',
    });
    expect(seed.status).toBe(2);
    expect(seed.stderr).toMatch(/FUPIN_DEMO=1/);
  });

  test('tokens expire, are issued and revoked through the API', async () => {
    // an expired token is refused
    const expiredPerson = village().people.LEADER;
    const expired = `expired-token-${Date.now()}-0123456789`;
    await s.db.apiToken.create({ data: { tokenHash: hashToken(expired), label: 'old', personId: expiredPerson, expiresAt: new Date(Date.now() - 1000) } });
    expect((await s.as(expired).get('/me')).status).toBe(401);

    // issue one, use it, log out with it
    const issued = await s.as(village().tokens.STAFF).post('/tokens', { label: '手机', expiresInDays: 7 });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ label: '手机', token: expect.any(String) });
    expect(Date.parse(issued.body.expiresAt) - Date.now()).toBeGreaterThan(6 * 86_400_000);
    expect((await s.as(issued.body.token).get('/me')).body.personId).toBe(village().people.STAFF);
    const listed = await s.as(issued.body.token).get('/tokens');
    expect(listed.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ id: issued.body.id, current: true })]));
    expect(JSON.stringify(listed.body)).not.toMatch(/tokenHash|[0-9a-f]{64}/);
    expect((await request(s.app).delete('/tokens/current').set('Authorization', `Bearer ${issued.body.token}`)).status).toBe(204);
    expect((await s.as(issued.body.token).get('/me')).status).toBe(401);

    // a township leader revokes a village clerk's token; the clerk cannot revoke the township's
    const clerk = await s.as(village().tokens.STAFF).post('/tokens', { label: '平板' });
    const townshipToken = await s.as(township().tokens.STAFF).post('/tokens', { label: '电脑' });
    const byClerk = await request(s.app).delete(`/tokens/${townshipToken.body.id}`).set('Authorization', `Bearer ${village().tokens.STAFF}`);
    expect(byClerk.status).toBe(404);
    const byStaff = await request(s.app).delete(`/tokens/${clerk.body.id}`).set('Authorization', `Bearer ${township().tokens.STAFF}`);
    expect(byStaff.status).toBe(403);
    const byLeader = await request(s.app).delete(`/tokens/${clerk.body.id}`).set('Authorization', `Bearer ${township().tokens.LEADER}`);
    expect(byLeader.status).toBe(204);
    expect((await s.as(clerk.body.token).get('/me')).status).toBe(401);
    expect((await s.as(townshipToken.body.token).get('/me')).status).toBe(200);
  });
});
