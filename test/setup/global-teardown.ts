/** Jest global teardown: deletes the run's workflow bundle (global-setup.ts), and nothing else. */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname } from 'node:path';
import { WORKFLOW_BUNDLE_ENV } from '../../worker/worker';
import { BUNDLE_DIR_PREFIX } from './bundle-dir';

export default function globalTeardown(): void {
  const dir = process.env[WORKFLOW_BUNDLE_ENV];
  if (dir && dirname(dir) === tmpdir() && basename(dir).startsWith(BUNDLE_DIR_PREFIX)) rmSync(dir, { recursive: true, force: true });
  delete process.env[WORKFLOW_BUNDLE_ENV];
}
