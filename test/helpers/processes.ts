/**
 * Real server processes for the fault tests, each one ours to kill: a Temporal dev server from the
 * pinned CLI in .venv (SIGKILLed and restarted on the same port and SQLite file), worker processes
 * (worker/main.ts) and a throwaway PostgreSQL cluster in a temp dir (stopped and started again;
 * pg_ctl daemonises it, so it is stopped by `destroy`, not killed). Every child runs in its own process
 * group and is killed with the group; `Children.killAll` is the afterAll safety net, so that no
 * leaked child keeps jest from exiting.
 */
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/procedure/contract';

const root = join(__dirname, '..', '..');
const run = promisify(execFile);

/** A TCP port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits for `p` at most `ms` (then resolves undefined); a rejection also resolves undefined. */
export async function atMost<T>(ms: number, p: Promise<T> | undefined): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p?.catch(() => undefined), new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls `check` every `everyMs` until it returns a truthy value; throws with `what` after
 * `timeoutMs`, also when a check itself never settles.
 */
export async function poll<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs: number, everyMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('a check did not settle')), Math.max(1_000, until - Date.now()))));
      const value = await Promise.race([check(), hung]).finally(() => clearTimeout(timer));
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(everyMs);
  }
}

/** A child process in its own process group, with its output kept for error messages. */
export class Child {
  private out = '';
  private exited = false;
  readonly exit: Promise<void>;
  constructor(readonly name: string, readonly process: ChildProcess) {
    process.stdout?.on('data', (c: Buffer) => (this.out = (this.out + c.toString()).slice(-20_000)));
    process.stderr?.on('data', (c: Buffer) => (this.out = (this.out + c.toString()).slice(-20_000)));
    this.exit = new Promise((resolve) =>
      process.once('exit', () => {
        this.exited = true;
        resolve();
      }),
    );
  }
  output() {
    return this.out;
  }
  alive() {
    return !this.exited;
  }
  /** SIGKILL to the whole group: no graceful shutdown, nothing flushed */
  async kill(): Promise<void> {
    if (this.exited) return;
    try {
      process.kill(-this.process.pid!, 'SIGKILL');
    } catch {
      // the group is gone already
    }
    await this.exit;
  }
}

/** Every child started by a test file, killed together in afterAll whatever happened. */
export class Children {
  private readonly all = new Set<Child>();
  spawn(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Child {
    const child = new Child(name, spawn(command, args, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }));
    this.all.add(child);
    void child.exit.then(() => this.all.delete(child));
    return child;
  }
  async killAll(): Promise<void> {
    await Promise.all([...this.all].map((c) => c.kill()));
  }
}

// ---- Temporal dev server ------------------------------------------------------------------------

const CLI_TYPE: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

export interface DevServer {
  address: string;
  /** SIGKILL (the server process and anything it started) */
  kill(): Promise<void>;
  /** starts it again on the same port and SQLite file; resolves once it serves the namespace */
  start(): Promise<void>;
  alive(): boolean;
}

/**
 * The Temporal dev server as scripts/temporal.sh runs it (the project's search attributes), on a
 * free port, headless, its state in `dbFile` so that a restart finds every workflow again.
 */
export async function devServer(children: Children, dbFile: string): Promise<DevServer> {
  const cli = process.env.TEMPORAL_CLI ?? join(root, '.venv', 'bin', 'temporal');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run scripts/install.sh (or set TEMPORAL_CLI)`);
  const port = await freePort();
  const httpPort = await freePort();
  const metricsPort = await freePort();
  const address = `127.0.0.1:${port}`;
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--http-port',
    String(httpPort),
    '--metrics-port',
    String(metricsPort),
    '--headless',
    '--db-filename',
    dbFile,
    '--log-level',
    'error',
    ...SEARCH_ATTRIBUTE_KEYS.flatMap((k) => ['--search-attribute', `${k.name}=${CLI_TYPE[k.type]}`]),
  ];
  let child: Child | undefined;
  const server: DevServer = {
    address,
    alive: () => !!child?.alive(),
    async kill() {
      await child?.kill();
    },
    async start() {
      if (child?.alive()) throw new Error('the dev server is running already');
      const current = children.spawn('temporal', cli, args);
      child = current;
      await poll(
        'the Temporal dev server answers',
        async () => {
          if (!current.alive()) throw new Error(`the Temporal dev server exited: ${current.output()}`);
          const connection = await Connection.connect({ address, connectTimeout: 1_000 });
          try {
            await connection.withDeadline(Date.now() + 2_000, () => connection.workflowService.describeNamespace({ namespace: 'default' }));
            return true;
          } finally {
            await connection.close();
          }
        },
        60_000,
      );
    },
  };
  await server.start();
  return server;
}

// ---- worker -------------------------------------------------------------------------------------

/**
 * The worker process (worker/main.ts: the real activities, its own database pool) against `address`
 * and `databaseUrl`; resolves once it polls. Kill it with `kill()` (SIGKILL to its group).
 */
export async function workerProcess(children: Children, address: string, databaseUrl: string): Promise<Child> {
  // node with tsx's loader, not the tsx CLI (whose own child process is one more to kill)
  const child = children.spawn('worker', process.execPath, ['--import', 'tsx', join(root, 'worker', 'main.ts')], {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: 'default',
  });
  await poll(
    'the worker polls',
    async () => {
      if (!child.alive()) throw new Error(`the worker exited: ${child.output()}`);
      return child.output().includes('worker polling');
    },
    120_000,
  ).catch(async (err: Error) => {
    await child.kill();
    throw new Error(`${err.message}: ${child.output()}`);
  });
  return child;
}

// ---- PostgreSQL ---------------------------------------------------------------------------------

export interface PgCluster {
  url(database: string): string;
  createDatabase(name: string): Promise<void>;
  start(): Promise<void>;
  /** `pg_ctl stop -m fast`: open sessions are terminated, new connections refused */
  stop(): Promise<void>;
  /** stops it (immediate) and deletes its directory */
  destroy(): Promise<void>;
}

function pgBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(a) - Number(b)) : [];
  if (versions.length) return join(base, versions[versions.length - 1], 'bin');
  let initdb = '';
  try {
    initdb = execFileSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).trim();
  } catch {
    // not on PATH either
  }
  if (!initdb) throw new Error('PostgreSQL binaries not found: run scripts/install.sh (or set PG_BIN)');
  return join(initdb, '..');
}

/**
 * A throwaway PostgreSQL cluster in a temp dir, on a free loopback port, trust auth for `user`.
 * initdb refuses to run as root: as scripts/pg.sh does, the server then runs as the `postgres`
 * system user (runuser).
 */
export async function pgCluster(user = 'fupin'): Promise<PgCluster> {
  const bin = pgBin();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'faults-pg-'));
  const data = join(dir, 'data');
  const asOwner = (command: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args]) : run(join(bin, command), args));
  if (asRoot) {
    try {
      execFileSync('id', ['postgres'], { stdio: 'ignore' });
    } catch {
      execFileSync('useradd', ['--system', '--home', '/var/lib/postgresql', '--shell', '/bin/bash', 'postgres']);
    }
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const port = await freePort();
  const options = `-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100`;
  const cluster: PgCluster = {
    url: (database) => `postgresql://${user}@127.0.0.1:${port}/${database}`,
    async createDatabase(name) {
      await run(join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', 'postgres', '-qc', `CREATE DATABASE "${name}"`]);
    },
    async start() {
      await asOwner('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start', '-o', options]);
    },
    async stop() {
      await asOwner('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
    },
    async destroy() {
      await asOwner('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '60', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await asOwner('initdb', ['-D', data, '-U', user, '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync']);
    await cluster.start();
  } catch (err) {
    await cluster.destroy();
    throw err;
  }
  return cluster;
}

/** Applies the committed migrations to `databaseUrl` the project's way (scripts/migrate.sh). */
export async function migrate(databaseUrl: string): Promise<void> {
  await run('bash', [join(root, 'scripts', 'migrate.sh')], { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl }, timeout: 240_000 });
}
