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
