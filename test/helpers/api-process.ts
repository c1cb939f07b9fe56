/**
 * Starts the API (test/helpers/api-server.ts) in a child process against a test Temporal server
 * and the test database, and sends raw HTTP requests to it with a hard deadline: a request the API
 * never answers fails its test instead of blocking it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

const root = join(__dirname, '..', '..');

export interface ApiProcessOptions {
  decisionWaitMs?: number;
  requestDeadlineMs?: number;
  authFailuresPerMinute?: number;
}

export interface ApiProcess {
  port: number;
  /** everything the process wrote to stdout and stderr */
  output(): string;
  alive(): boolean;
  kill(): Promise<void>;
}

export async function startApiProcess(env: TestWorkflowEnvironment, options: ApiProcessOptions = {}): Promise<ApiProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'api-server.ts')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      ...(options.decisionWaitMs !== undefined ? { DECISION_WAIT_MS: String(options.decisionWaitMs) } : {}),
      ...(options.requestDeadlineMs !== undefined ? { REQUEST_DEADLINE_MS: String(options.requestDeadlineMs) } : {}),
      ...(options.authFailuresPerMinute !== undefined ? { AUTH_FAILURES_PER_MINUTE: String(options.authFailuresPerMinute) } : {}),
    },
  });
  let output = '';
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the API did not start: ${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-100_000);
      const m = /listening (\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exit.then(() => reject(new Error(`the API exited: ${output}`)));
  });
  return {
    port,
    output: () => output,
    alive: () => !exited,
    async kill() {
      if (!exited) child.kill('SIGKILL');
      await exit;
    },
  };
}

export interface RawRequest {
  method: string;
  /** the request target exactly as sent: path and query, already percent-encoded */
  target: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  ms: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** Sends one request; rejects if no complete answer arrives within `deadlineMs`. */
export function sendRaw(port: number, req: RawRequest, deadlineMs: number): Promise<RawResponse> {
  const started = Date.now();
  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const r = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: req.method,
        path: req.target,
        agent,
        headers: { ...(req.headers ?? {}), ...(req.body ? { 'Content-Length': String(req.body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started })));
        res.on('error', (err) => done(() => reject(err)));
      },
    );
    const timer = setTimeout(() => {
      r.destroy();
      done(() => reject(new Error(`no complete answer within ${deadlineMs} ms: ${req.method} ${req.target.slice(0, 200)}`)));
    }, deadlineMs);
    r.on('error', (err) => done(() => reject(err)));
    r.end(req.body);
  });
}
