/**
 * Runs a TypeScript snippet in a child process with a hard time limit. For the regression tests of
 * code that could loop forever: a synchronous loop in the test process itself would block jest
 * (its per-test timeout cannot fire), a child is killed and the test fails instead.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/** An import specifier for a module of this repository, e.g. `repoModule('lib/calendar')`. */
export const repoModule = (path: string) => JSON.stringify(join(root, path));

export interface IsolatedResult {
  /** killed at the time limit (it was still running) */
  timedOut: boolean;
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runIsolated(source: string, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): IsolatedResult {
  const dir = mkdtempSync(join(tmpdir(), 'isolated-'));
  const file = join(dir, 'snippet.ts');
  writeFileSync(file, source);
  const started = Date.now();
  try {
    // node itself with tsx's loader (not the tsx CLI, whose own child would outlive a kill)
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, env, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
    const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT' || r.signal === 'SIGKILL';
    return { timedOut, status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: Date.now() - started };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
