import { NativeConnection, Worker, bundleWorkflowCode, type WorkerInterceptors, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { TASK_QUEUE } from '../workflows/procedure/contract';

export const WORKFLOWS_PATH = require.resolve('../workflows');

let cachedBundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundles the workflow code once per process (tests start many workers). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  cachedBundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  return cachedBundle;
}

const quietLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn: (message: string, meta?: unknown) => console.warn(message, meta ?? ''),
  error: (message: string, meta?: unknown) => console.error(message, meta ?? ''),
};

export interface WorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /** activity interceptors (tracing, metrics; the tests inject faults with them) */
  interceptors?: WorkerInterceptors;
}

export async function createWorker({ connection, namespace = 'default', taskQueue = TASK_QUEUE, interceptors, ...deps }: WorkerOptions) {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities(deps),
    interceptors,
  });
}
