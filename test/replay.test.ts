/**
 * Determinism guard: every committed history under test/histories/ (recorded from the scenario
 * tests with RECORD_HISTORIES=1) is replayed against the current workflow code. A change to the
 * engine that alters its commands without `patched()` fails here, naming the history.
 *
 * One replay worker replays them all (`Worker.runReplayHistories`, the run's prebuilt bundle);
 * each history's outcome is then its own test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { workflowBundle } from '../worker/worker';

Runtime.install({ logger: new DefaultLogger('WARN') });

const dir = join(__dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const nameOf = (file: string) => file.replace(/\.json$/, '');

/** the replay error of each history, by file (undefined: it replayed) */
const outcomes = new Map<string, Error | undefined>();
beforeAll(async () => {
  const histories = files.map((file) => ({ workflowId: nameOf(file), history: historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8'))) }));
  for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
    outcomes.set(`${result.workflowId}.json`, result.error);
  }
});

test('there are recorded histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(5);
  expect([...outcomes.keys()].sort()).toEqual([...files].sort());
});

test.each(files)('%s replays against the current workflow code', (file) => {
  expect(outcomes.has(file)).toBe(true);
  const error = outcomes.get(file);
  if (error) throw error;
});
