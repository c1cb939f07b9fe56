/**
 * The API refuses what it must: 401 without a valid token, 403 outside one's org unit or role,
 * 409 for a wrong stage, a second sign-off or a closed case, 400 with the zod paths for malformed
 * input — and the case is untouched each time. The same Idempotency-Key twice has one effect.
 * Every test (or its describe's beforeAll) opens the cases it uses, each for a household of its
 * own, so that any test runs alone (`-t`).
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createApp } from '../api/app';
import { createPrisma } from '../lib/prisma';
import { Prisma } from '../generated/prisma/client';
import { recordHistory, startStack, type Stack } from './helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('time-skipping', { tag: 'err', townships: 2, villagesPerTownship: 1, householdsPerVillage: 5 });
});
afterAll(async () => s?.stop());

const v1 = () => s.tree.villages[0];
const v2 = () => s.tree.villages[1];
const householdOf = (villageId: string, n = 0) => s.tree.households.filter((h) => h.villageId === villageId)[n];
/** decisions on record (task notifications and timers add entries of their own, asynchronously) */
const stepCount = (caseId: string) =>
  s.db.caseEvent.count({ where: { caseType: 'procedure', caseId, action: { in: ['APPROVED', 'REJECTED', 'OBJECTION', 'CANCELLED', 'INDICATORS_SUBMITTED'] } } });

async function startCase(n: number) {
  const res = await s.as(v1().tokens.STAFF).post('/procedures/household-exit', { householdId: householdOf(v1().id, n).id, year: 2026 });
  expect(res.status).toBe(201);
  return res.body.caseId as string;
}

describe('health', () => {
  test('liveness and readiness need no token; readiness names what does not answer', async () => {
    expect((await request(s.app).get('/healthz')).body).toEqual({ ok: true });
    const ready = await request(s.app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ ok: true, database: 'ok', temporal: 'ok' });
    const unreachable = createPrisma('postgresql://fupin@127.0.0.1:1/fupin', 1);
    try {
      const notReady = await request(createApp({ db: unreachable, temporal: s.env.client })).get('/readyz');
      expect(notReady.status).toBe(503);
      expect(notReady.body).toEqual({ ok: false, database: 'unavailable', temporal: 'ok' });
    } finally {
      await unreachable.$disconnect();
    }
  });
});

describe('authentication', () => {
  test('no token, a malformed token or an unknown token is 401', async () => {
    expect((await request(s.app).get('/inbox')).status).toBe(401);
    expect((await request(s.app).get('/inbox').set('Authorization', 'Basic abc')).status).toBe(401);
    const unknown = await request(s.app).get('/inbox').set('Authorization', 'Bearer this-token-does-not-exist');
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe('Unauthenticated');
  });
});

describe('authorization by org unit and role', () => {
  let caseId: string;
  beforeAll(async () => {
    caseId = await startCase(0);
  });

  test('a household of another village cannot be started: 403', async () => {
    const res = await s.as(v2().tokens.STAFF).post('/procedures/household-exit', { householdId: householdOf(v1().id, 1).id, year: 2026 });
    expect(res.status).toBe(403);
  });

  test('another village cannot read or sign the case: 403, nothing changes', async () => {
    expect((await s.as(v2().tokens.LEADER).get(`/procedures/${caseId}`)).status).toBe(403);
    const before = await stepCount(caseId);
    const res = await s.as(v2().tokens.STAFF).post(`/procedures/${caseId}/sign-off`, { stageKey: 'village_appraisal', decision: 'approve' });
    expect(res.status).toBe(403);
    expect(await stepCount(caseId)).toBe(before);
  });

  test('the township above may read the case but not sign the village stage: 403 WrongOrgUnit', async () => {
    const township = s.tree.townships[0];
    expect((await s.as(township.tokens.STAFF).get(`/procedures/${caseId}`)).status).toBe(200);
    const res = await s.as(township.tokens.LEADER).post(`/procedures/${caseId}/sign-off`, { stageKey: 'village_appraisal', decision: 'approve' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('WrongOrgUnit');
  });

  test('county approval needs a deputy in charge or main leader: staff get 403 WrongRole', async () => {
    const id = await startCase(2);
    const sign = (token: string, stageKey: string, extra: object = {}) =>
      s.as(token).post(`/procedures/${id}/sign-off`, { stageKey, decision: 'approve', ...extra });
    expect((await sign(v1().tokens.STAFF, 'village_appraisal')).status).toBe(200);
    expect((await sign(v1().tokens.STAFF, 'village_verification', { confirmations: ['household_acknowledged'] })).status).toBe(200);
    await s.env.sleep('8 days');
    expect((await sign(s.tree.townships[0].tokens.STAFF, 'township_verification')).status).toBe(200);
    await s.env.sleep('8 days');
    const res = await sign(s.tree.county.tokens.STAFF, 'county_approval');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('WrongRole');
    expect((await sign(s.tree.county.tokens.DEPUTY, 'county_approval')).status).toBe(200);
  });

  test('a staff member cannot cancel; a leader of the unit above can, and then the case is closed: 409', async () => {
    const id = await startCase(3);
    const refused = await s.as(v1().tokens.STAFF).post(`/procedures/${id}/cancel`, { reason: '误操作' });
    expect(refused.status).toBe(403);
    const cancelled = await s.as(s.tree.townships[0].tokens.LEADER).post(`/procedures/${id}/cancel`, { reason: '该户因病返贫风险高，暂缓退出' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    const after = await s.as(v1().tokens.STAFF).post(`/procedures/${id}/sign-off`, { stageKey: 'village_appraisal', decision: 'approve' });
    expect(after.status).toBe(409);
    expect(after.body.error.code).toBe('CaseClosed');
    const household = await s.db.household.findUniqueOrThrow({ where: { id: householdOf(v1().id, 3).id } });
    expect(household.status).toBe('POOR');
    await recordHistory(s.env, `household-exit:${householdOf(v1().id, 3).id}:2026`, 'household-exit-national-v1-cancelled');
  });
});

describe('conflicts', () => {
  test('wrong stage, second sign-off and a second open case are 409; the case is untouched', async () => {
    const caseId = await startCase(1);
    const sign = (stageKey: string, extra: object = {}) =>
      s.as(v1().tokens.STAFF).post(`/procedures/${caseId}/sign-off`, { stageKey, decision: 'approve', ...extra });

    const early = await sign('township_verification');
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('WrongStage');

    expect((await sign('village_appraisal')).status).toBe(200);
    const before = await stepCount(caseId);
    const again = await sign('village_appraisal');
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('AlreadyDecided');
    expect(await stepCount(caseId)).toBe(before);

    const duplicate = await s.as(v1().tokens.STAFF).post('/procedures/household-exit', { householdId: householdOf(v1().id, 1).id, year: 2026 });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error).toMatchObject({ code: 'CaseAlreadyOpen', details: { caseId } });

    const unconfirmed = await sign('village_verification');
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.body.error.code).toBe('MissingConfirmation');
    expect(unconfirmed.body.error.message).toContain('household_acknowledged');
  });

  test('an unknown case is 404', async () => {
    expect((await s.as(v1().tokens.STAFF).get(`/procedures/${randomUUID()}`)).status).toBe(404);
    expect((await s.as(v1().tokens.STAFF).post(`/procedures/${randomUUID()}/sign-off`, { stageKey: 'x1', decision: 'approve' })).status).toBe(404);
  });
});

describe('malformed input is 400 with the zod paths', () => {
  let caseId: string;
  beforeAll(async () => {
    caseId = await startCase(4);
  });

  test.each([
    ['unknown decision', { stageKey: 'village_appraisal', decision: 'maybe' }, 'body.decision'],
    ['missing stage', { decision: 'approve' }, 'body.stageKey'],
    ['attachment without a valid uri', { stageKey: 'village_appraisal', decision: 'approve', attachments: [{ name: 'a.pdf', uri: 'not a url' }] }, 'body.attachments.0.uri'],
    ['unknown field', { stageKey: 'village_appraisal', decision: 'approve', approvedBy: 'me' }, 'body'],
  ])('%s', async (_label, body, path) => {
    const before = await stepCount(caseId);
    const res = await s.as(v1().tokens.STAFF).post(`/procedures/${caseId}/sign-off`, body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('ValidationError');
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    expect(await stepCount(caseId)).toBe(before);
  });

  test('a bad case id, a bad start body, broken JSON and a bad query are 400, never 500', async () => {
    const t = v1().tokens.STAFF;
    expect((await s.as(t).post('/procedures/not-a-uuid/sign-off', { stageKey: 'a1', decision: 'approve' })).body.error.details[0].path).toBe('params.caseId');
    const start = await s.as(t).post('/procedures/household-exit', { householdId: 42, year: 1999 });
    expect(start.status).toBe(400);
    expect(start.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['body.householdId', 'body.year']);
    const broken = await request(s.app).post('/procedures/household-exit').set('Authorization', `Bearer ${t}`).set('Content-Type', 'application/json').send('{"householdId":');
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('MalformedBody');
    expect((await s.as(t).get('/supervision/overdue?limit=-3')).status).toBe(400);
  });
});

describe('Idempotency-Key', () => {
  test('the same sign-off twice with one key takes effect once and replays the answer', async () => {
    const id = (await s.as(v2().tokens.STAFF).post('/procedures/household-exit', { householdId: householdOf(v2().id, 0).id, year: 2026 })).body.caseId;
    const key = { 'Idempotency-Key': `signoff-${randomUUID()}` };
    const body = { stageKey: 'village_appraisal', decision: 'approve', comment: '评议通过' };
    const first = await s.as(v2().tokens.STAFF).post(`/procedures/${id}/sign-off`, body, key);
    const second = await s.as(v2().tokens.STAFF).post(`/procedures/${id}/sign-off`, body, key);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(await s.db.caseEvent.count({ where: { caseType: 'procedure', caseId: id, action: 'APPROVED' } })).toBe(1);

    const reused = await s.as(v2().tokens.STAFF).post(`/procedures/${id}/sign-off`, { ...body, comment: '不同的请求' }, key);
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('IdempotencyKeyReused');
  });

  test('the same start twice with one key opens one case', async () => {
    const key = { 'Idempotency-Key': `start-${randomUUID()}` };
    const body = { householdId: householdOf(v2().id, 1).id, year: 2026 };
    const first = await s.as(v2().tokens.STAFF).post('/procedures/household-exit', body, key);
    const second = await s.as(v2().tokens.STAFF).post('/procedures/household-exit', body, key);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.caseId).toBe(first.body.caseId);
    expect(await s.db.procedure.count({ where: { householdId: body.householdId } })).toBe(1);
  });

  test('a start retried after the API died mid-request answers with the case it opened, not 409', async () => {
    const key = { 'Idempotency-Key': `crash-${randomUUID()}` };
    const body = { householdId: householdOf(v2().id, 2).id, year: 2026 };
    const first = await s.as(v2().tokens.STAFF).post('/procedures/household-exit', body, key);
    expect(first.status).toBe(201);
    // as if the process died after starting the workflow and before storing the answer: the record
    // is still "in progress", and stale
    await s.db.idempotencyRecord.update({
      where: { personId_key: { personId: v2().people.STAFF, key: key['Idempotency-Key'] } },
      data: { statusCode: null, responseBody: Prisma.DbNull, createdAt: new Date(Date.now() - 120_000) },
    });
    const retried = await s.as(v2().tokens.STAFF).post('/procedures/household-exit', body, key);
    expect(retried.status).toBe(201);
    expect(retried.body.caseId).toBe(first.body.caseId);
    expect(retried.headers['idempotent-replayed']).toBeUndefined(); // answered afresh, from the case
    // another key (or person) for the same household still meets the open case
    const other = await s.as(v2().tokens.STAFF).post('/procedures/household-exit', body, { 'Idempotency-Key': `crash-${randomUUID()}` });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('CaseAlreadyOpen');
    expect(await s.db.procedure.count({ where: { householdId: body.householdId } })).toBe(1);
  });

  test('a malformed key is 400', async () => {
    const res = await s.as(v2().tokens.STAFF).post('/procedures/household-exit', { householdId: 'x1' }, { 'Idempotency-Key': 'short' });
    expect(res.status).toBe(400);
  });
});
