/**
 * Bundles the workflow code once into a folder (`tsx scripts/bundle.ts DIR`), for workers started
 * with FUPIN_WORKFLOW_BUNDLE=DIR: they load it instead of running webpack themselves, which saves
 * each worker seconds at start and the bundler's memory for its whole life.
 */
import { mkdirSync } from 'node:fs';
import { writeWorkflowBundle } from '../worker/worker';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: tsx scripts/bundle.ts DIR');
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
writeWorkflowBundle(dir).catch((err) => {
  console.error(err);
  process.exit(1);
});
