/**
 * The bare-Temporal baseline's contract: task queue, workflow id, messages and the zod schemas its
 * Express routes validate with. Imported by the workflow, the worker, the client and the routes.
 *
 * The baseline does the project's work with nothing else: a case opens with one PostgreSQL write
 * (the start projection), then each sign-off is an update with a validator whose handler awaits one
 * PostgreSQL transaction before answering. No definitions, org tree, auth, journal or deadlines.
 */
import { defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';

/** Its own task queue: the baseline's worker shares the dev server with the project's. */
export const BASELINE_TASK_QUEUE = 'bench-baseline';

export const baselineWorkflowId = (caseId: string) => `baseline-case:${caseId}`;

/** The sign-off stages of a household exit, in order (its notices and automatic marking left out). */
export const STAGES = ['village_appraisal', 'village_verification', 'township_verification', 'county_approval', 'announcement'] as const;
export type StageKey = (typeof STAGES)[number];

/** ApplicationFailure type of a sign-off for a stage the case is not at. */
export const WRONG_STAGE = 'WrongStage';

export const StartBody = z.object({ subject: z.string().min(1).max(100) }).strict();
export type StartBody = z.infer<typeof StartBody>;

export const SignOffBody = z
  .object({
    stageKey: z.enum(STAGES),
    decision: z.literal('approve'),
    comment: z.string().max(2000).optional(),
  })
  .strict();
export type SignOffBody = z.infer<typeof SignOffBody>;

export const CaseParams = z.object({ caseId: z.string().uuid() });

export interface BaselineInput {
  caseId: string;
  subject: string;
}

/** What the start and every sign-off answer: where the case stands (stage `null`: completed). */
export interface BaselineView {
  caseId: string;
  stage: StageKey | null;
  signed: number;
}

/** Resolves once the start projection is written (what the project's start waits for). */
export const openedUpdate = defineUpdate<BaselineView, []>('opened');
export const signOffUpdate = defineUpdate<BaselineView, [SignOffBody]>('signOff');
