/**
 * The contract of the procedure engine, shared by the workflow and its callers (API, tests):
 * task queue, workflow ids, search attributes, update/query definitions, their zod schemas and
 * the failure types a refused decision carries.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { z } from 'zod';
import { OrgLevel, ProcedureDefinition, Role } from './definition';
import type { RuleFailure } from './definition';

export const TASK_QUEUE = 'procedures';

/** One open case per subject, procedure type and year: e.g. "household-exit:hh-001:2026". */
export function procedureWorkflowId(procedureType: string, subjectId: string, year: number): string {
  return `${procedureType}:${subjectId}:${year}`;
}

/** Custom search attributes, registered on the dev server by scripts/temporal.sh and in tests. */
export const SA = {
  procedureType: defineSearchAttributeKey('ProcedureType', SearchAttributeType.KEYWORD),
  /** ids of every org unit from the province down to the subject's unit */
  orgPath: defineSearchAttributeKey('OrgPath', SearchAttributeType.KEYWORD_LIST),
  currentStage: defineSearchAttributeKey('CurrentStage', SearchAttributeType.KEYWORD),
  responsibleOrgUnit: defineSearchAttributeKey('ResponsibleOrgUnit', SearchAttributeType.KEYWORD),
  dueAt: defineSearchAttributeKey('DueAt', SearchAttributeType.DATETIME),
  overdue: defineSearchAttributeKey('Overdue', SearchAttributeType.BOOL),
} as const;
export const SEARCH_ATTRIBUTE_KEYS = Object.values(SA);

export { FailureType } from '../shared/refuse';

// ---- values -------------------------------------------------------------------------------

export const Actor = z
  .object({
    personId: z.string().min(1),
    name: z.string().min(1),
    orgUnitId: z.string().min(1),
    role: Role,
  })
  .strict();
export type Actor = z.infer<typeof Actor>;

export const Attachment = z
  .object({
    name: z.string().min(1).max(200),
    /** a reference to the document store (http or https); the file itself never passes through the case */
    uri: z
      .string()
      .max(2000)
      .url()
      .refine((u) => /^https?:\/\/[^/?#\s]+/i.test(u), 'an http(s) address (no javascript:, data: or file: URIs)'),
    sha256: z
      .string()
      .regex(/^[a-f0-9]{64}$/)
      .optional(),
  })
  .strict();
export type Attachment = z.infer<typeof Attachment>;

/** The org units of the subject, keyed by level, resolved when the case starts. */
export const OrgPathByLevel = z.record(OrgLevel, z.string().min(1));
export type OrgPathByLevel = z.infer<typeof OrgPathByLevel>;

// ---- commands (update arguments) ----------------------------------------------------------

/** What a signer sends (the API adds the actor). */
export const SignOffBody = z
  .object({
    stageKey: z.string().min(1).max(64),
    decision: z.enum(['approve', 'reject']),
    comment: z.string().max(2000).optional(),
    attachments: z.array(Attachment).max(20).default([]),
    /** keys of the stage's required confirmations that the signer confirms */
    confirmations: z.array(z.string().max(64)).max(10).default([]),
    /** the branch of a parallel group being signed (an industry department's) */
    branchKey: z.string().min(1).max(64).optional(),
    /** figures the stage asks for, e.g. a third-party evaluation's results */
    indicators: z.record(z.string().max(64), z.number().finite()).optional(),
  })
  .strict();
export type SignOffBody = z.infer<typeof SignOffBody>;
export const SignOffCommand = SignOffBody.extend({ actor: Actor }).strict();
export type SignOffCommand = z.infer<typeof SignOffCommand>;

/** An objection (异议) raised during a public notice, recorded by staff on the objector's behalf. */
export const ObjectionBody = z
  .object({
    objectorName: z.string().min(1).max(60),
    content: z.string().min(1).max(2000),
    attachments: z.array(Attachment).max(20).default([]),
  })
  .strict();
export type ObjectionBody = z.infer<typeof ObjectionBody>;
export const ObjectionCommand = ObjectionBody.extend({ actor: Actor }).strict();
export type ObjectionCommand = z.infer<typeof ObjectionCommand>;

/** Indicator figures for the subject (corrected or newly measured); re-runs a blocked check. */
export const IndicatorsBody = z
  .object({
    values: z
      .record(z.string().regex(/^[a-z][a-z0-9_]{1,63}$/), z.number().finite())
      .refine((v) => Object.keys(v).length > 0 && Object.keys(v).length <= 20, '1 to 20 figures'),
    /** where the figures come from, e.g. 第三方评估 or 统计年报 */
    source: z.string().min(1).max(100),
    comment: z.string().max(2000).optional(),
  })
  .strict();
export type IndicatorsBody = z.infer<typeof IndicatorsBody>;
export const IndicatorsCommand = IndicatorsBody.extend({ actor: Actor }).strict();
export type IndicatorsCommand = z.infer<typeof IndicatorsCommand>;

export const CancelBody = z.object({ reason: z.string().min(1).max(2000) }).strict();
export type CancelBody = z.infer<typeof CancelBody>;
export const CancelCommand = CancelBody.extend({ actor: Actor }).strict();
export type CancelCommand = z.infer<typeof CancelCommand>;

// ---- workflow input and state -------------------------------------------------------------

export const ProcedureSubject = z
  .object({
    /** `household`, the level of an org unit (`village`, `county`, …), or `unit` (an assessed unit of any level) */
    type: z.enum(['household', 'unit', 'central', 'province', 'city', 'county', 'township', 'village']),
    id: z.string().min(1),
    /** e.g. the head of household's name and registry number */
    name: z.string().min(1),
  })
  .strict();
export type ProcedureSubject = z.infer<typeof ProcedureSubject>;

export interface ProcedureInput {
  caseId: string;
  year: number;
  definition: ProcedureDefinition;
  subject: ProcedureSubject;
  /** the subject's org units by level (a household: its village and every unit above) */
  orgPath: OrgPathByLevel;
  startedBy: Actor;
  comment?: string;
  /** the province is western (西部): western thresholds apply */
  western?: boolean;
  /** industry department units (by department) under the subject's units, for parallel groups */
  departments?: Record<string, string>;
  /**
   * history events after which the case continues as new when it next moves to a stage (default
   * 10 000; Temporal warns at 10 240 and ends a run at 51 200)
   */
  historyBound?: number;
  /** set only by continue-as-new */
  carried?: CaseState;
}

export type HistoryAction =
  | 'STARTED'
  | 'STAGE_ENTERED'
  | 'APPROVED'
  | 'REJECTED'
  | 'NOTICE_PASSED'
  | 'OBJECTION'
  | 'REMINDED'
  | 'OVERDUE'
  | 'ESCALATED'
  | 'AUTOMATIC_DONE'
  | 'TASK_ASSIGNED'
  | 'INDICATORS_SUBMITTED'
  | 'CHECK_PASSED'
  | 'CHECK_BLOCKED'
  | 'CANCELLED'
  | 'COMPLETED';

/** One audit-trail entry. JSON only: instants are ISO strings. */
export interface HistoryEntry {
  seq: number;
  at: string;
  action: HistoryAction;
  stageKey: string;
  stageName: string;
  round: number;
  actor?: Actor;
  comment?: string;
  attachments?: Attachment[];
  data?: Record<string, unknown>;
}

export type CaseStatusValue = 'ACTIVE' | 'COMPLETED' | 'CANCELLED';

/** The whole state of a case: JSON only, carried across continue-as-new. */
export interface CaseState {
  status: CaseStatusValue;
  stageIndex: number;
  /** increments on every stage entry; names one visit of a stage */
  round: number;
  stageEnteredAt: string;
  /** due time of a sign-off, end of a notice; absent for automatic stages */
  dueAt?: string;
  overdue: boolean;
  /** reminders already sent in this round */
  remindersSent: number;
  /** ladder rungs already fired in this round */
  escalationLevel: number;
  /** true once the current round's entry side effects ran */
  entered: boolean;
  history: HistoryEntry[];
  /** history entries whose projection has completed (every seq up to this one is in the database) */
  projectedCount: number;
  /** monotonically increasing version of this state, for order-safe projection */
  seq: number;
  closedAt?: string;
  /** the due time lies in a year whose holiday schedule was not loaded */
  dueProvisional?: boolean;
  /** parallel groups: branches signed in the current visit, by stage */
  branchSigned?: Record<string, string[]>;
  /** parallel groups: signatures kept across a return caused by one of their branches */
  keptBranches?: Record<string, string[]>;
  /** a failed threshold check */
  blocked?: { failures: RuleFailure[] };
  /** incremented when new figures are projected: a blocked check reads them again */
  recheckRequested?: number;
  /** the round whose responsible units were told of their new task */
  announcedRound?: number;
}

/** What status queries and decisions return. */
export interface CaseView {
  caseId: string;
  definitionId: string;
  definitionVersion: number;
  profile: string;
  status: CaseStatusValue;
  closedAt?: string;
  stage?: {
    key: string;
    name: string;
    kind: string;
    level: string;
    responsibleOrgUnitId: string;
    roles: Role[];
    round: number;
    enteredAt: string;
    dueAt?: string;
    overdue: boolean;
    escalationLevel: number;
    dueProvisional: boolean;
    /** the units that still have to act */
    pendingOrgUnitIds: string[];
    branches?: Array<{ key: string; name: string; orgUnitId: string; signed: boolean }>;
    blocked?: { failures: RuleFailure[] };
  };
  history: HistoryEntry[];
}

// ---- messages -----------------------------------------------------------------------------

/**
 * What a decision answers, and what a finished case returns: the case and its stage, without the
 * history (every entry is in the database by then, and an update's result stays in the workflow's
 * history for good: a full history per decision made a Gansu exit's history twice its size).
 */
export type CaseSummary = Omit<CaseView, 'history'>;

export const signOffUpdate = defineUpdate<CaseSummary, [SignOffCommand]>('signOff');
export const objectionUpdate = defineUpdate<CaseSummary, [ObjectionCommand]>('raiseObjection');
export const cancelUpdate = defineUpdate<CaseSummary, [CancelCommand]>('cancel');
export const indicatorsUpdate = defineUpdate<CaseSummary, [IndicatorsCommand]>('submitIndicators');
/** Returns once the case's opening has been projected to the database. */
export const openedUpdate = defineUpdate<CaseSummary, []>('opened');
export const statusQuery = defineQuery<CaseView>('status');
