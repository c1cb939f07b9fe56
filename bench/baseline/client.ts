/**
 * Starting and signing baseline cases with a Temporal client: what the Express routes call, and
 * what the "direct" variant of the bench calls without HTTP.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { BASELINE_TASK_QUEUE, baselineWorkflowId, openedUpdate, signOffUpdate, type BaselineView, type SignOffBody, type StartBody } from './contract';
import type { baselineCase } from './workflows';

/**
 * Starts a case and answers once its start projection is written, as the project's start does
 * (workflow start, then the `opened` update: two calls; update-with-start would make it one in
 * both, and is left out so that the two compare like for like).
 */
export async function startCase(client: Client, { subject }: StartBody): Promise<BaselineView> {
  const caseId = randomUUID();
  const handle = await client.workflow.start<typeof baselineCase>('baselineCase', {
    taskQueue: BASELINE_TASK_QUEUE,
    workflowId: baselineWorkflowId(caseId),
    args: [{ caseId, subject }],
    workflowIdConflictPolicy: 'FAIL',
  });
  return handle.executeUpdate(openedUpdate);
}

/** Signs the case's current stage; a wrong stage fails with WorkflowUpdateFailedError (ApplicationFailure WRONG_STAGE). */
export function signOff(client: Client, caseId: string, body: SignOffBody): Promise<BaselineView> {
  return client.workflow.getHandle(baselineWorkflowId(caseId)).executeUpdate(signOffUpdate, { args: [body] });
}
