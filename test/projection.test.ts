/**
 * The projection under a stalled write (time-skipping server, fault injected with an activity
 * interceptor): one projection of a case hangs, as it does on a worker that died mid-activity
 * until its timeout; later projections must still leave the audit trail without gaps, a decision's
 * response must imply its entries are stored, and the stale write, when it finally lands, must
 * not win over newer state.
 */
import type { ActivityInboundCallsInterceptor, WorkerInterceptors } from '@temporalio/worker';
import type { ProjectionInput } from '../activities/projection';
import { startStack, type Stack } from './helpers/stack';

let s: Stack;
let release!: () => void;
const gate = new Promise<void>((r) => (release = r));
let stalled!: () => void;
const stall = new Promise<void>((r) => (stalled = r));
let landed!: () => void;
const landing = new Promise<void>((r) => (landed = r));
let armed = true;

/** Holds the first projection that carries the village verification's task entry (the appraisal's one write). */
const interceptors: WorkerInterceptors = {
  activity: [
    (ctx) => ({
      inbound: {
        async execute(input, next) {
          const [arg] = input.args as [ProjectionInput];
          if (armed && ctx.info.activityType === 'projectJournal' && arg.caseType === 'procedure' && arg.entries.some((e) => e.action === 'TASK_ASSIGNED' && e.stageKey === 'village_verification')) {
            armed = false;
            stalled();
            await gate;
            const result = await next(input);
            landed();
            return result;
          }
          return next(input);
        },
      } satisfies ActivityInboundCallsInterceptor,
    }),
  ],
};

beforeAll(async () => {
  s = await startStack('time-skipping', { tag: 'prj', townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 }, { inProcessWorker: false });
  await s.startWorker({ interceptors });
});
afterAll(async () => {
  release();
  await s?.stop();
});

test('given a projection that stalls, when the next decision answers, then the audit trail has no gap and the stale write does not win', async () => {
  const village = s.tree.villages[0];
  const household = s.tree.households[0];
  const started = await s.as(village.tokens.STAFF).post('/procedures/household-exit', { householdId: household.id, year: 2026 });
  const caseId: string = started.body.caseId;
  const sign = (token: string, stageKey: string, extra: object = {}) =>
    s.as(token).post(`/procedures/${caseId}/sign-off`, { stageKey, decision: 'approve', ...extra });
  // the appraisal's one write (its approval, the verification's opening and task) hangs, so the
  // appraisal is not answered yet (PATCHES.oneWritePerDecision); the case has moved on all the same
  const appraised = sign(village.tokens.STAFF, 'village_appraisal').then((r) => r);
  await stall;

  const verified = await sign(village.tokens.DEPUTY, 'village_verification', { confirmations: ['household_acknowledged'] });
  expect(verified.status).toBe(200);
  // the next write carried the stalled one's entries again: the first decision is answered with it
  expect((await appraised).status).toBe(200);
  const seqs = async () => {
    const view = await s.as(village.tokens.STAFF).get(`/procedures/${caseId}`);
    return { view, seqs: view.body.history.map((h: { seq: number }) => h.seq) as number[] };
  };
  const now = await seqs();
  expect(now.seqs).toEqual(now.seqs.map((_, i) => i + 1));
  expect(now.view.body.history.map((h: { action: string; stageKey: string }) => `${h.action}:${h.stageKey}`)).toEqual(
    expect.arrayContaining(['TASK_ASSIGNED:village_verification', 'APPROVED:village_verification', 'STAGE_ENTERED:village_notice']),
  );
  expect(now.view.body.currentStageKey).toBe('village_notice');

  // the stalled write lands late: nothing doubled, and the case does not go back to verification
  release();
  await landing;
  const after = await seqs();
  expect(after.seqs).toEqual(now.seqs);
  expect(after.view.body.currentStageKey).toBe('village_notice');
  expect(after.view.body.notices).toHaveLength(1);
});
