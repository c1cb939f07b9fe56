import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkerInterceptors, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { TASK_QUEUE } from '../workflows/procedure/contract';

export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * Names a directory holding a prebuilt bundle (written by `writeWorkflowBundle`). The test run's
 * global setup (test/setup/global-setup.ts) builds one per run and sets it, so that test files and
 * the worker processes they spawn do not bundle again. Unset, a worker bundles workflows/ itself.
 */
export const WORKFLOW_BUNDLE_ENV = 'FUPIN_WORKFLOW_BUNDLE';
const BUNDLE_CODE = 'workflow-bundle.js';
const BUNDLE_SOURCE_MAP = 'workflow-bundle.js.map';

/** Bundles the workflow code (webpack: seconds). */
export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
}

/** Bundles the workflow code into `dir`, for `FUPIN_WORKFLOW_BUNDLE=<dir>`. */
export async function writeWorkflowBundle(dir: string): Promise<void> {
  const { code, sourceMap } = await bundleWorkflows();
  await Promise.all([writeFile(join(dir, BUNDLE_CODE), code), writeFile(join(dir, BUNDLE_SOURCE_MAP), sourceMap)]);
}

async function readWorkflowBundle(dir: string): Promise<WorkflowBundleWithSourceMap> {
  try {
    const [code, sourceMap] = await Promise.all([readFile(join(dir, BUNDLE_CODE), 'utf8'), readFile(join(dir, BUNDLE_SOURCE_MAP), 'utf8')]);
    return { code, sourceMap };
  } catch (err) {
    throw new Error(`${WORKFLOW_BUNDLE_ENV}=${dir} holds no workflow bundle (see writeWorkflowBundle): ${String(err)}`);
  }
}

let cachedBundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/**
 * The workflow bundle, once per process: the prebuilt one `FUPIN_WORKFLOW_BUNDLE` names (tests),
 * otherwise workflows/ bundled now.
 */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  const prebuilt = process.env[WORKFLOW_BUNDLE_ENV];
  cachedBundle ??= prebuilt ? readWorkflowBundle(prebuilt) : bundleWorkflows();
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
  /**
   * activities run at once, and local activities (the procedure's projection) as many: the
   * database pool's size, as each holds at most one connection (more would only queue inside the
   * pool, where a transaction times out instead of waiting in Temporal)
   */
  maxConcurrentActivities?: number;
  /** workflows kept in memory between tasks (the SDK's default derives from the heap size) */
  maxCachedWorkflows?: number;
}

export async function createWorker({ connection, namespace = 'default', taskQueue = TASK_QUEUE, interceptors, maxConcurrentActivities, maxCachedWorkflows, ...deps }: WorkerOptions) {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities(deps),
    interceptors,
    ...(maxConcurrentActivities !== undefined
      ? { maxConcurrentActivityTaskExecutions: maxConcurrentActivities, maxConcurrentLocalActivityExecutions: maxConcurrentActivities }
      : {}),
    ...(maxCachedWorkflows !== undefined ? { maxCachedWorkflows } : {}),
  });
}
