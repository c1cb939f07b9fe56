/**
 * Contract of the annual assessment (年度成效考核) and of the rectification (反馈问题整改) it starts:
 * workflow ids, inputs, updates with their zod schemas, queries and views. Shared by the
 * workflows, the API and the tests.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { Actor, Attachment, OrgPathByLevel } from '../procedure/contract';
import { IsoDate } from '../../lib/dates';
import type { AssessmentDefinition, RectificationLadders } from './definition';
import type { JournalCarry } from '../shared/journal';
import type { ProcedureDefinition } from '../procedure/definition';

/**
 * The one workflow id of an assessing unit's assessment of a year, whether started by hand or by
 * the schedule: Temporal's id uniqueness keeps it to one run.
 */
export const assessmentId = (assessorUnitId: string, year: number) => `assessment:${assessorUnitId}:${year}`;
export const assessmentScheduleId = (assessorUnitId: string) => `assessment-schedule:${assessorUnitId}`;
/** The schedule's own runs (Temporal appends the scheduled time): thin starters of `assessmentId`. */
export const assessmentStarterId = (assessorUnitId: string) => `assessment-run:${assessorUnitId}`;
/**
 * Children of an assessment carry the assessor: a county is assessed by its province and by its
 * city in the same year (002 (二十七)), each with its own self-summary case and rectification.
 */
export const selfSummaryWorkflowId = (assessorUnitId: string, unitId: string, year: number) => `self-summary:${assessorUnitId}:${unitId}:${year}`;
export const rectificationWorkflowId = (assessorUnitId: string, unitId: string, year: number) => `rectification:${assessorUnitId}:${unitId}:${year}`;
/** Ids of runs recorded before the assessor was in them: kept for their replay only. */
export const legacyRectificationWorkflowId = (unitId: string, year: number) => `rectification:${unitId}:${year}`;

export interface AssessmentInput {
  assessorUnitId: string;
  /**
   * the assessed year. Without it (the schedule's start) the run is a thin starter: it starts
   * `assessmentId(assessor, the year in China time)` as a child that outlives it, or finds it
   * already started, and returns an `AssessmentStart`.
   */
  year?: number;
  /** history events after which the assessment continues as new while it waits on a step (default 10 000) */
  historyBound?: number;
  /** set only by continue-as-new: the run goes on waiting on `carried.view.step` */
  carried?: AssessmentCarry;
}

/** What an assessment carries into its next run (after its self-summaries, while it waits on a step). */
export interface AssessmentCarry {
  plan: AssessmentPlan;
  view: AssessmentView;
  approval: 'pending' | 'approved' | 'returned';
  journal: JournalCarry;
  /** rungs already climbed: of the step waited on, and of the end of February */
  stepLevel: number;
  finishByLevel: number;
}

/** What the schedule's starter did. */
export interface AssessmentStart {
  assessmentId: string;
  /** the year's assessment was already started (by hand, or by an earlier trigger) */
  alreadyStarted: boolean;
}

export const ASSESSMENT_STEPS = [
  'self_summary',
  'third_party_evaluation',
  'aggregation',
  'comprehensive_evaluation',
  'approval',
  'feedback',
  'done',
] as const;
export type AssessmentStep = (typeof ASSESSMENT_STEPS)[number];

const figures = z.record(z.string().regex(/^[a-z][a-z0-9_]{1,63}$/), z.number().finite());

/** 第三方评估: results for one assessed unit, entered by the assessing unit. */
export const EvaluationBody = z
  .object({ unitId: z.string().min(1), values: figures, source: z.string().min(1).max(100) })
  .strict();
export const EvaluationCommand = EvaluationBody.extend({ actor: Actor }).strict();
export type EvaluationCommand = z.infer<typeof EvaluationCommand>;

/** 综合评价: a grade and the problems found, for every assessed unit. */
export const ResultsBody = z
  .object({
    results: z
      .array(
        z
          .object({
            unitId: z.string().min(1),
            grade: z.string().min(1).max(10),
            problems: z.array(z.object({ type: z.string().min(1).max(64), description: z.string().min(1).max(2000) }).strict()).max(30),
          })
          .strict(),
      )
      .min(1)
      .max(500),
    comment: z.string().max(2000).optional(),
  })
  .strict();
export const ResultsCommand = ResultsBody.extend({ actor: Actor }).strict();
export type ResultsCommand = z.infer<typeof ResultsCommand>;

/** 领导小组审定: approve the results, or return them for another evaluation. */
export const ApprovalBody = z.object({ decision: z.enum(['approve', 'return']), comment: z.string().max(2000).optional() }).strict();
export const ApprovalCommand = ApprovalBody.extend({ actor: Actor }).strict();
export type ApprovalCommand = z.infer<typeof ApprovalCommand>;

export interface AssessedUnit {
  id: string;
  name: string;
  level: string;
  orgPath: OrgPathByLevel;
}

export interface AssessmentPlan {
  /**
   * Legacy: runs from before canonical ids were deduplicated through the database and may have
   * this recorded in their history; a new plan never has it (Temporal's id uniqueness does it).
   */
  duplicateOf?: string;
  definition: AssessmentDefinition;
  /** the self-summary definition of the assessor's profile (plans recorded before it: built from `definition`) */
  selfSummary?: ProcedureDefinition;
  assessor: { id: string; name: string; path: string; orgPath: OrgPathByLevel };
  units: AssessedUnit[];
}

export interface AssessmentUnitView {
  unitId: string;
  name: string;
  selfSummaryCaseId?: string;
  selfSummarySubmitted: boolean;
  evaluation?: Record<string, number>;
  grade?: string;
  problems: Array<{ type: string; label: string; description: string }>;
  rectificationId?: string;
}

export interface AssessmentView {
  id: string;
  year: number;
  assessorUnitId: string;
  status: 'ACTIVE' | 'COMPLETED';
  step: AssessmentStep;
  stepDueAt?: string;
  finishBy: string;
  overdue: boolean;
  units: AssessmentUnitView[];
}

/**
 * What a decision answers (and what a finished assessment returns): the assessment with only the
 * units the decision changed. A province assesses some 200 units; every update's result stays in
 * the workflow's history, so the whole list goes only to queries (and the database).
 */
export type AssessmentDecision = AssessmentView;

export const evaluationUpdate = defineUpdate<AssessmentDecision, [EvaluationCommand]>('enterEvaluation');
export const resultsUpdate = defineUpdate<AssessmentDecision, [ResultsCommand]>('submitResults');
export const approvalUpdate = defineUpdate<AssessmentDecision, [ApprovalCommand]>('approveResults');
export const assessmentQuery = defineQuery<AssessmentView>('assessment');

// ---- rectification ------------------------------------------------------------------------

export const ItemDeadline = z.union([
  /** a real date of 2000–2100 (a validator-only check: histories replay unchanged) */
  z.object({ date: IsoDate }).strict(),
  z.object({ workingDays: z.number().int().min(1).max(500) }).strict(),
  /** 长期坚持: a standing duty with no end */
  z.object({ standing: z.literal(true) }).strict(),
]);
export type ItemDeadline = z.infer<typeof ItemDeadline>;

/** 整改方案: for each problem, a lead unit, responsible units, measures and a deadline. */
export const PlanBody = z
  .object({
    items: z
      .array(
        z
          .object({
            problemSeq: z.number().int().min(1),
            leadUnitId: z.string().min(1),
            responsibleUnitIds: z.array(z.string().min(1)).min(1).max(20),
            measures: z.string().min(1).max(4000),
            deadline: ItemDeadline,
          })
          .strict(),
      )
      .min(1)
      .max(200),
  })
  .strict();
export const PlanCommand = PlanBody.extend({ actor: Actor }).strict();
export type PlanCommand = z.infer<typeof PlanCommand>;

export const ItemActionBody = z
  .object({
    note: z.string().max(4000).optional(),
    attachments: z.array(Attachment).max(20).default([]),
  })
  .strict();
export const ItemActionCommand = ItemActionBody.extend({
  actor: Actor,
  itemSeq: z.number().int().min(1),
  action: z.enum(['progress', 'close', 'confirm']),
}).strict();
export type ItemActionCommand = z.infer<typeof ItemActionCommand>;

export const ReportBody = z.object({ summary: z.string().min(1).max(8000), attachments: z.array(Attachment).max(20).default([]) }).strict();
export const ReportCommand = ReportBody.extend({ actor: Actor }).strict();
export type ReportCommand = z.infer<typeof ReportCommand>;

export interface RectificationInput {
  rectificationId: string;
  /** when the rectification was issued (the feedback); by default when its workflow starts */
  issuedAt?: string;
  assessmentId?: string;
  year: number;
  unit: { id: string; name: string; orgPath: OrgPathByLevel };
  problems: Array<{ seq: number; type: string; label: string; description: string }>;
  phases: AssessmentDefinition['rectification']['phases'];
  overdueItemsForLevelUp: number;
  /** who is told what is late (from the definition; runs started before it was data use the defaults) */
  escalation?: RectificationLadders;
  /** history events after which the rectification continues as new (default 10 000) */
  historyBound?: number;
  /** set only by continue-as-new */
  carried?: RectificationCarry;
}

/** What a rectification carries into its next run: its state and the deadlines already handled. */
export interface RectificationCarry {
  view: RectificationView;
  done: string[];
  closed: string[];
  escalatedUnits: string[];
  journal: JournalCarry;
}

export interface RectificationItemView {
  seq: number;
  problemSeq: number;
  problemType: string;
  description: string;
  leadUnitId: string;
  responsibleUnitIds: string[];
  measures: string;
  deadlineKind: 'date' | 'working_days' | 'standing';
  dueAt?: string;
  dueProvisional?: boolean;
  status: 'OPEN' | 'AWAITING_CONFIRMATION' | 'CONFIRMED';
  closedUnitIds: string[];
  overdue: boolean;
  evidence: Array<z.infer<typeof Attachment>>;
  confirmedAt?: string;
}

export interface RectificationView {
  id: string;
  unitId: string;
  year: number;
  status: 'ACTIVE' | 'COMPLETED';
  phase: string;
  issuedAt: string;
  timetable: Record<string, { opensAt: string; closesAt: string }>;
  planSubmittedAt?: string;
  reportSubmittedAt?: string;
  overdue: boolean;
  items: RectificationItemView[];
}

export const planUpdate = defineUpdate<RectificationView, [PlanCommand]>('submitPlan');
export const itemUpdate = defineUpdate<RectificationView, [ItemActionCommand]>('itemAction');
export const reportUpdate = defineUpdate<RectificationView, [ReportCommand]>('submitReport');
export const rectificationQuery = defineQuery<RectificationView>('rectification');


