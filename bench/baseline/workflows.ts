/**
 * The baseline case: the shape of the project's procedure workflow with nothing but Temporal.
 * It projects its start (one activity), then accepts one `signOff` update per stage; each handler
 * awaits one projection activity before answering. It completes once the last stage is signed and
 * every handler has finished. Only @temporalio/workflow and the contract: deterministic by
 * construction (no clocks, randomness or I/O outside activities).
 */
import { ApplicationFailure, allHandlersFinished, condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { BaselineActivities } from './activities';
import { STAGES, WRONG_STAGE, openedUpdate, signOffUpdate, type BaselineInput, type BaselineView, type SignOffBody } from './contract';

// the project's activity options (workflows/shared/proxies.ts), so a write costs the same in both
const { projectStart, projectSignOff } = proxyActivities<BaselineActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function baselineCase({ caseId, subject }: BaselineInput): Promise<BaselineView> {
  /** index into STAGES of the stage waiting for its sign-off; STAGES.length once complete */
  let signed = 0;
  let opened = false;
  const view = (): BaselineView => ({ caseId, stage: STAGES[signed] ?? null, signed });

  /** Refuses a sign-off for any stage but the current one (non-retryable: the caller's mistake). */
  const assertCurrent = ({ stageKey }: SignOffBody) => {
    if (stageKey !== STAGES[signed]) {
      throw ApplicationFailure.create({ type: WRONG_STAGE, nonRetryable: true, message: `the case is at ${STAGES[signed] ?? 'its end'}, not ${stageKey}` });
    }
  };

  setHandler(openedUpdate, async () => {
    await condition(() => opened);
    return view();
  });

  setHandler(
    signOffUpdate,
    async (body) => {
      // as the project does: a decision that arrives before the start projection waits for it
      await condition(() => opened);
      assertCurrent(body); // again: another sign-off may have moved the case since this one was validated
      const stage = STAGES[signed];
      signed += 1; // moved before the write, so a concurrent sign-off of the same stage is refused
      await projectSignOff({ caseId, signed: stage, next: STAGES[signed] ?? null, version: signed, comment: body.comment });
      return view();
    },
    { validator: assertCurrent },
  );

  await projectStart({ caseId, subject, stage: STAGES[0] });
  opened = true;
  // the last sign-off's handler is still writing when `signed` reaches the end: let it answer
  await condition(() => signed === STAGES.length && allHandlersFinished());
  return view();
}
