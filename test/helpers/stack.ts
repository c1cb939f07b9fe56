/**
 * The real stack for tests: a Temporal server started from the pinned binaries in .venv (the
 * time-skipping test server or the dev server), a worker with the real activities, the Express app
 * over the real PostgreSQL (DATABASE_URL), and an org tree of its own under a unique prefix.
 */
import { randomBytes } from 'node:crypto';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger, type Worker, type WorkerInterceptors } from '@temporalio/worker';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../api/app';
import { buildDemoTree, type DemoOptions, type DemoTree } from '../../lib/demo';
import { createPrisma, type Db } from '../../lib/prisma';
import { createWorker } from '../../worker/worker';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/procedure/contract';
import { searchAttributeTypes } from '../../lib/search-attributes';

const root = join(__dirname, '..', '..');
function binary(envVar: string, name: string): string {
  const path = process.env[envVar] ?? join(root, '.venv', 'bin', name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run scripts/install.sh (or set ${envVar})`);
  return path;
}

let runtimeInstalled = false;
function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}


export type ServerKind = 'time-skipping' | 'dev';

export async function startTemporal(kind: ServerKind): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  if (kind === 'time-skipping') {
    const env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: binary('TEMPORAL_TEST_SERVER', 'temporal-test-server') } },
    });
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: searchAttributeTypes(SEARCH_ATTRIBUTE_KEYS),
    });
    return env;
  }
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: binary('TEMPORAL_CLI', 'temporal') },
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      extraArgs: ['--log-level', 'error'],
    },
  });
}

export const uniquePrefix = (tag: string) => `${tag}${randomBytes(3).toString('hex')}`;

export interface Stack {
  env: TestWorkflowEnvironment;
  db: Db;
  app: Express;
  tree: DemoTree;
  /** supertest agent with a bearer token */
  as(token: string): {
    get(path: string): request.Test;
    post(path: string, body?: object, headers?: Record<string, string>): request.Test;
    put(path: string, body?: object): request.Test;
  };
  /** another org tree (a province with its own profile) in the same database */
  addTree(opts: Partial<DemoOptions> & { tag: string }): Promise<DemoTree>;
  /** (re)starts the in-process worker, optionally with activity interceptors (fault injection) */
  startWorker(options?: { interceptors?: WorkerInterceptors }): Promise<void>;
  stopWorker(): Promise<void>;
  /** the in-process worker's state: RUNNING while it polls (DRAINING/FAILED after a fatal error) */
  workerState(): string | undefined;
  stop(): Promise<void>;
}

/** A supertest agent on `app` that sends a bearer token (for an app built with other options). */
export function agentOf(app: Express): Stack['as'] {
  return (token) => {
    const auth = { Authorization: `Bearer ${token}` };
    return {
      get: (path) => request(app).get(path).set(auth),
      post: (path, body, headers = {}) => request(app).post(path).set(auth).set(headers).send(body),
      put: (path, body) => request(app).put(path).set(auth).send(body),
    };
  };
}

export async function startStack(
  kind: ServerKind,
  tree: Partial<DemoOptions> & { tag: string },
  { inProcessWorker = true } = {},
): Promise<Stack> {
  const env = await startTemporal(kind);
  const db = createPrisma(undefined, 5);
  const { tag, ...treeOptions } = tree;
  const demo = await buildDemoTree(db, { prefix: uniquePrefix(tag), ...treeOptions });
  const app = createApp({ db, temporal: env.client });
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;

  const stack: Stack = {
    env,
    db,
    app,
    tree: demo,
    as: agentOf(app),
    addTree: ({ tag, ...opts }) => buildDemoTree(db, { prefix: uniquePrefix(tag), ...opts }),
    async startWorker({ interceptors } = {}) {
      worker = await createWorker({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', db, interceptors });
      running = worker.run();
    },
    workerState: () => worker?.getState(),
    async stopWorker() {
      if (worker?.getState() === 'RUNNING') worker.shutdown();
      await running;
      worker = undefined;
    },
    async stop() {
      await stack.stopWorker();
      await env.teardown();
      await db.$disconnect();
    },
  };
  if (inProcessWorker) await stack.startWorker();
  return stack;
}

/** Polls until `check` returns a value (for projections written after a timer fired). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A worker in its own process (worker/main.ts), to be killed for real. */
export interface WorkerProcess {
  /** SIGKILL to the whole process group: no graceful shutdown, nothing flushed */
  kill(): Promise<void>;
}

export async function spawnWorker(env: TestWorkflowEnvironment): Promise<WorkerProcess> {
  const child = spawn(join(root, 'node_modules', '.bin', 'tsx'), ['worker/main.ts'], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default' },
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('worker polling')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${output}`)));
  });
  return {
    async kill() {
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
    },
  };
}

/**
 * With RECORD_HISTORIES=1, saves a finished scenario's event history under test/histories/ for
 * the replay test, which replays every committed history against the current workflow code.
 */
export async function recordHistory(env: TestWorkflowEnvironment, workflowId: string, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  // the CLI writes proto3 JSON, the format historyFromJSON reads
  const json = execFileSync(
    binary('TEMPORAL_CLI', 'temporal'),
    ['workflow', 'show', '--workflow-id', workflowId, '--address', env.address, '--namespace', env.namespace ?? 'default', '--output', 'json'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  writeFileSync(join(root, 'test', 'histories', `${name}.json`), json);
}

/** How many runs a workflow has had so far: each run's first event names the run it continues. */
export async function runsOf(client: TestWorkflowEnvironment['client'], workflowId: string): Promise<number> {
  let runs = 1;
  let history = await client.workflow.getHandle(workflowId).fetchHistory();
  for (;;) {
    const from = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!from) return runs;
    runs++;
    history = await client.workflow.getHandle(workflowId, from).fetchHistory();
  }
}
