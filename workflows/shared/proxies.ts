/**
 * The activities as workflow code sees them, with one set of options for every workflow: a
 * minute per attempt, retried with backoff up to a minute apart until the activity succeeds or
 * fails for good (a non-retryable ApplicationFailure). Every activity is idempotent, so a retry
 * is always safe.
 */
import * as wf from '@temporalio/workflow';
import type { Activities } from '../../activities';

export const ACTIVITY_OPTIONS: wf.ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

export const activities = wf.proxyActivities<Activities>(ACTIVITY_OPTIONS);

/**
 * Patch: projections go through the one projection activity (`projectJournal`) instead of one
 * activity per kind of case. Runs recorded before replay on the old activity names.
 */
export const ONE_PROJECTION = 'one-projection';

/**
 * The projection as a local activity (patch `LOCAL_PROJECTION`, the procedure engine): a write of a
 * few milliseconds runs inside the workflow task that asked for it, so a decision costs one workflow
 * task and no activity task round trip through the server (schedule, dispatch, poll, complete, and
 * the second workflow task that reads its result). Its guarantees are the activity's: the write is
 * idempotent and order-safe (rows keyed by seq, a stale snapshot never wins), a worker that dies
 * mid-write loses its workflow task, and the worker that takes the task over writes again. Retried
 * in the worker with the same backoff; a longer outage than `localRetryThreshold` waits on a timer.
 */
export const LOCAL_PROJECTION = 'local-projection';

export const LOCAL_ACTIVITY_OPTIONS: wf.LocalActivityOptions = {
  startToCloseTimeout: ACTIVITY_OPTIONS.startToCloseTimeout,
  retry: ACTIVITY_OPTIONS.retry,
  localRetryThreshold: '10 seconds',
};

export const localActivities = wf.proxyLocalActivities<Pick<Activities, 'projectJournal'>>(LOCAL_ACTIVITY_OPTIONS);
