/**
 * A province publishes its own definition versions through the admin API, without a code
 * release; a running case keeps the version it started with, new cases get the newest.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { DemoTree } from '../lib/demo';
import { drive, liveStage } from './helpers/drive';
import { startStack, type Stack } from './helpers/stack';

const national = JSON.parse(readFileSync(join(__dirname, '..', 'definitions', 'household-exit', 'national.v1.json'), 'utf8'));
const profile = `test-${randomBytes(3).toString('hex')}`;
const version = (n: number, noticeDays: number) => ({
  ...national,
  profile,
  version: n,
  stages: national.stages.map((st: { key: string }) => (st.key === 'village_notice' ? { ...st, duration: { days: noticeDays } } : st)),
});

let s: Stack;
let tree: DemoTree;
beforeAll(async () => {
  s = await startStack('time-skipping', { tag: 'ver', profile, townships: 1, villagesPerTownship: 1, householdsPerVillage: 2 });
  tree = s.tree;
});
afterAll(async () => s?.stop());

const publish = (token: string, body: object) => s.as(token).post('/admin/definitions', body);

test('only a provincial administrator publishes, only for its profile, only valid and newer versions', async () => {
  expect((await publish(tree.county.tokens.LEADER, version(1, 7))).status).toBe(403);
  expect((await publish(tree.province.tokens.STAFF, version(1, 7))).status).toBe(403);
  expect((await publish(tree.province.tokens.LEADER, { ...version(1, 7), profile: 'national' })).status).toBe(403);
  const invalid = await publish(tree.province.tokens.LEADER, { ...version(1, 7), stages: [{ ...national.stages[0], roles: [] }] });
  expect(invalid.status).toBe(400);
  expect(invalid.body.error.details.map((d: { path: string }) => d.path)).toContain('body.stages.0.roles');
});

test('given a running case on version 1, when version 2 is published, then it keeps version 1 and new cases get version 2', async () => {
  const admin = tree.province.tokens.LEADER;
  expect((await publish(admin, version(1, 7))).status).toBe(201);
  const start = (n: number) => s.as(tree.villages[0].tokens.STAFF).post('/procedures/household-exit', { householdId: tree.households[n].id, year: 2026 });
  const first = await start(0);
  expect(first.body.case).toMatchObject({ definitionVersion: 1, profile });
  await drive(s, tree, first.body.caseId, { until: 'village_notice' });

  const v2 = await publish(admin, version(2, 10));
  expect(v2.status).toBe(201);
  expect((await publish(admin, version(2, 12))).status).toBe(409);
  const listed = await s.as(tree.villages[0].tokens.STAFF).get('/definitions?procedureType=household-exit');
  expect(listed.body.items.filter((d: { profile: string }) => d.profile === profile).map((d: { version: number }) => d.version)).toEqual([1, 2]);

  const second = await start(1);
  expect(second.body.case).toMatchObject({ definitionVersion: 2, profile });
  await drive(s, tree, second.body.caseId, { until: 'village_notice' });

  const noticeDays = async (caseId: string) => {
    const view = await liveStage(s, tree, caseId);
    return (Date.parse(view.live.dueAt) - Date.parse(view.live.enteredAt)) / 86_400_000;
  };
  expect(await noticeDays(first.body.caseId)).toBe(7);
  expect(await noticeDays(second.body.caseId)).toBe(10);
  expect((await liveStage(s, tree, first.body.caseId)).definitionVersion).toBe(1);
  // and the first case finishes on its own version
  await drive(s, tree, first.body.caseId);
  expect((await liveStage(s, tree, first.body.caseId)).status).toBe('COMPLETED');
});
