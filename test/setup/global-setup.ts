/**
 * Jest global setup: bundles the workflow code once per run (webpack takes seconds, and every
 * test file and spawned worker process would otherwise bundle again). The bundle is built afresh
 * from the current workflows/ at the start of each run, into a new temp directory named by
 * FUPIN_WORKFLOW_BUNDLE; every test file and every worker process it spawns (they inherit the
 * environment) reads it through `workflowBundle()`. global-teardown.ts deletes the directory.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKFLOW_BUNDLE_ENV, writeWorkflowBundle } from '../../worker/worker';
import { BUNDLE_DIR_PREFIX } from './bundle-dir';

export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), BUNDLE_DIR_PREFIX));
  await writeWorkflowBundle(dir);
  process.env[WORKFLOW_BUNDLE_ENV] = dir;
}
