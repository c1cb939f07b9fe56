/**
 * The bulk start of a village's household exits (POST /procedures/household-exit/bulk answers 202
 * with the batch). Each case is its own top-level procedure workflow, started as a child that the
 * batch abandons (`parentClosePolicy: ABANDON`): the case outlives the batch, and its workflow id
 * (`household-exit:<household>:<year>`) keeps one open case per household and year, so a household
 * whose case is already open is answered `already_open` instead of a second case. A batch that
 * dies with its worker resumes where its history stands: a start the server took is not repeated.
 */
import * as wf from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { SA, TASK_QUEUE, procedureWorkflowId } from '../procedure/contract';
import type { procedureWorkflow } from '../procedure/workflow';
import { BATCH_CONCURRENCY, batchProgressQuery, type BatchInput, type BatchOutcome, type BatchProgress } from './contract';

export async function householdExitBatchWorkflow(input: BatchInput): Promise<BatchProgress> {
  const { batchId, villageId, year, common, households } = input;
  const results = new Map<string, BatchOutcome>();
  const progress = (): BatchProgress => {
    const answered = households.flatMap((h) => results.get(h.subject.id) ?? []);
    const count = (outcome: BatchOutcome['outcome']) => answered.filter((r) => r.outcome === outcome).length;
    return {
      batchId,
      villageId,
      year,
      status: answered.length === households.length ? 'COMPLETED' : 'RUNNING',
      total: households.length,
      done: answered.length,
      started: count('started'),
      alreadyOpen: count('already_open'),
      notEligible: count('not_eligible'),
      results: answered,
    };
  };
  wf.setHandler(batchProgressQuery, progress);

  const open = async ({ subject }: BatchInput['households'][number]): Promise<void> => {
    const workflowId = procedureWorkflowId(common.definition.procedureType, subject.id, year);
    const caseId = wf.uuid4();
    try {
      await wf.startChild<typeof procedureWorkflow>('procedureWorkflow', {
        workflowId,
        taskQueue: TASK_QUEUE,
        args: [{ ...common, caseId, subject }],
        parentClosePolicy: 'ABANDON',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        memo: { caseId, batchId, ...input.memo },
        typedSearchAttributes: [
          { key: SA.procedureType, value: common.definition.procedureType },
          { key: SA.orgPath, value: Object.values(common.orgPath) },
        ],
      });
      results.set(subject.id, { householdId: subject.id, outcome: 'started', caseId, workflowId });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      results.set(subject.id, { householdId: subject.id, outcome: 'already_open', workflowId });
    }
  };

  for (const h of households) {
    if (h.ineligible) results.set(h.subject.id, { householdId: h.subject.id, outcome: 'not_eligible', reason: h.ineligible });
  }
  const eligible = households.filter((h) => !h.ineligible);
  for (let i = 0; i < eligible.length; i += BATCH_CONCURRENCY) {
    await Promise.all(eligible.slice(i, i + BATCH_CONCURRENCY).map(open));
  }
  return progress();
}
