/**
 * The baseline's worker: its own task queue, its own workflow bundle (bench/baseline/workflows.ts,
 * bundled once here), its activities over a pg pool. Worker options are the SDK defaults, as the
 * project's worker (worker/worker.ts) uses.
 */
import { Worker, bundleWorkflowCode, type NativeConnection } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createBaselineActivities } from './activities';
import { BASELINE_TASK_QUEUE } from './contract';

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };

export async function createBaselineWorker(connection: NativeConnection, pool: Pool, namespace = 'default'): Promise<Worker> {
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: silent });
  return Worker.create({
    connection,
    namespace,
    taskQueue: BASELINE_TASK_QUEUE,
    workflowBundle,
    activities: createBaselineActivities(pool),
  });
}
