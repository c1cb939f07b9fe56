/**
 * Bulk starts: a village's household exits opened by one durable batch, shared by the API (which
 * starts the batch and reads its progress) and the batch workflow. The request answers 202 at
 * once with the batch's id; the batch opens the cases a few at a time and answers for each.
 */
import { defineQuery } from '@temporalio/workflow';
import type { ProcedureInput, ProcedureSubject } from '../procedure/contract';

/** The batch's workflow id: one per request (`batchId` is a UUID the API draws). */
export function batchWorkflowId(batchId: string): string {
  return `household-exit-batch:${batchId}`;
}

/** Cases the batch starts at once (each start is one child workflow start through the server). */
export const BATCH_CONCURRENCY = 20;

/**
 * Households one batch takes at the most (its input carries each one's subject: ~200 bytes, so
 * ~200 kB, well inside Temporal's payload limits); a village with more is started in named lists.
 */
export const BATCH_MAX_HOUSEHOLDS = 1000;

export interface BatchInput {
  batchId: string;
  villageId: string;
  year: number;
  /**
   * what every case of the batch starts with but its id and subject: the village's definition,
   * org path, departments and region, and who asked (the API checked their right to start once)
   */
  common: Omit<ProcedureInput, 'caseId' | 'subject' | 'carried'>;
  /** the households in the order they are opened; `ineligible` says why one cannot start */
  households: Array<{ subject: ProcedureSubject; ineligible?: string }>;
  /** handed to each case's memo (the request id that asked for the batch) */
  memo?: Record<string, string>;
}

export type BatchOutcome =
  | { householdId: string; outcome: 'started'; caseId: string; workflowId: string }
  | { householdId: string; outcome: 'already_open'; workflowId: string }
  | { householdId: string; outcome: 'not_eligible'; reason: string };

export interface BatchProgress {
  batchId: string;
  villageId: string;
  year: number;
  status: 'RUNNING' | 'COMPLETED';
  /** households in the batch */
  total: number;
  /** households answered so far (started, already open or not eligible) */
  done: number;
  started: number;
  alreadyOpen: number;
  notEligible: number;
  /** one per household answered, in the order of the input */
  results: BatchOutcome[];
}

export const batchProgressQuery = defineQuery<BatchProgress>('batchProgress');
