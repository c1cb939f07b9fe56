/**
 * A procedure definition is data: an ordered list of stages that one durable engine
 * (procedureWorkflow) runs. Definitions are validated with zod before a case starts, and the
 * validated document is the workflow's input, so a running case keeps the version it began with.
 *
 * This module is pure (zod only) and is bundled into the workflow sandbox.
 */
import { z } from 'zod';

import { ORG_LEVELS, OrgLevel, ROLES, ROLE_LABELS, Role } from '../../lib/org';

import { EscalationPolicy, EscalationRung, NaturalDuration, addDuration } from '../shared/ladder';

export { ORG_LEVELS, OrgLevel, ROLES, ROLE_LABELS, Role };
export { EscalationPolicy, EscalationRung, NaturalDuration };

const key = z
  .string()
  .regex(/^[a-z][a-z0-9_]{1,63}$/, 'lower_snake_case identifier, 2–64 characters');

/** Official working days (工作日): ends at 24:00 China time of the n-th working day after the start. */
export const WorkingDuration = z
  .object({
    days: z.number().int().positive().max(1000),
    calendar: z.literal('working'),
  })
  .strict();
export type WorkingDuration = z.infer<typeof WorkingDuration>;

/** A fixed instant, for calendars that set dates (the annual assessment's step deadlines). */
export const FixedDeadline = z.object({ until: z.string().datetime() }).strict();
export type FixedDeadline = z.infer<typeof FixedDeadline>;

/** A deadline: natural days (the default), official working days, or a fixed instant. */
export const Duration = z.union([WorkingDuration, FixedDeadline, NaturalDuration]);
export type Duration = z.infer<typeof Duration>;

const stageBase = {
  key,
  /** Chinese name of the step, shown to people */
  name: z.string().min(1).max(60),
  /** where the rule comes from, e.g. "000 篇三 第四十条" */
  basis: z.string().max(200).optional(),
};

/** A sign-off by a role at an org level. */
export const SignoffStage = z
  .object({
    ...stageBase,
    kind: z.literal('signoff'),
    level: OrgLevel,
    roles: z.array(Role).min(1),
    due: Duration,
    /** statements the signer must confirm, e.g. household_acknowledged (户认可) */
    confirmations: z
      .array(z.object({ key, label: z.string().min(1).max(100) }).strict())
      .max(10)
      .default([]),
    /** figures the signer must enter, e.g. a third-party evaluation's results (stored as indicators) */
    indicators: z
      .array(z.object({ key, label: z.string().min(1).max(100) }).strict())
      .max(20)
      .default([]),
    /** where a rejection sends the case; without it the stage cannot be rejected */
    onReject: z.object({ returnTo: key }).strict().optional(),
    escalation: EscalationPolicy.optional(),
  })
  .strict();

/** Industry departments (行业部门) that can sign a branch of a parallel group. */
export const DEPARTMENTS = ['education', 'health', 'housing', 'water', 'civil_affairs', 'agriculture', 'finance'] as const;
export const Department = z.enum(DEPARTMENTS);
export type Department = z.infer<typeof Department>;

/**
 * A parallel group: every branch (an industry department under the stage's unit) must sign before
 * the case moves on (000 篇二 第十六条: 行业部门单项验收). A branch's rejection sends the case back;
 * `keepSignatures` says whether the other branches' signatures survive the return.
 */
export const ParallelStage = z
  .object({
    ...stageBase,
    kind: z.literal('parallel'),
    level: OrgLevel,
    due: Duration,
    branches: z
      .array(
        z
          .object({
            key,
            name: z.string().min(1).max(60),
            department: Department,
            roles: z.array(Role).min(1),
          })
          .strict(),
      )
      .min(2)
      .max(12),
    onReject: z.object({ returnTo: key, keepSignatures: z.boolean() }).strict(),
    escalation: EscalationPolicy.optional(),
  })
  .strict();

export const RULE_OPS = { lt: '<', lte: '≤', gt: '>', gte: '≥' } as const;

/** A threshold on one indicator; the western threshold applies in western provinces. */
export const IndicatorRule = z
  .object({
    indicator: key,
    label: z.string().min(1).max(60),
    op: z.enum(['lt', 'lte', 'gt', 'gte']),
    threshold: z.number().finite(),
    westernThreshold: z.number().finite().optional(),
  })
  .strict();
export type IndicatorRule = z.infer<typeof IndicatorRule>;

/**
 * An automatic check that reads the subject's indicator figures and blocks the case, with the
 * reasons shown, while any rule fails; a corrected figure lets it go on.
 */
export const CheckStage = z
  .object({
    ...stageBase,
    kind: z.literal('check'),
    level: OrgLevel,
    rules: z.array(IndicatorRule).min(1).max(20),
  })
  .strict();

/** A public notice (公示): runs for its duration; an objection sends the case back. */
export const NoticeStage = z
  .object({
    ...stageBase,
    kind: z.literal('notice'),
    level: OrgLevel,
    duration: Duration,
    onObjection: z.object({ returnTo: key }).strict(),
  })
  .strict();

/** Automatic actions an `automatic` stage may run: an allow-list, never a name from input. */
export const AUTOMATIC_ACTIONS = ['markHouseholdExited', 'markVillageExited', 'markCountyExited', 'fileWithStateCouncil'] as const;

/** A final registry/report step run by the system itself. */
export const AutomaticStage = z
  .object({
    ...stageBase,
    kind: z.literal('automatic'),
    level: OrgLevel,
    action: z.enum(AUTOMATIC_ACTIONS),
  })
  .strict();

export const Stage = z.discriminatedUnion('kind', [SignoffStage, ParallelStage, NoticeStage, CheckStage, AutomaticStage]);
export type Stage = z.infer<typeof Stage>;
export type SignoffStage = z.infer<typeof SignoffStage>;
export type ParallelStage = z.infer<typeof ParallelStage>;
export type CheckStage = z.infer<typeof CheckStage>;
export type NoticeStage = z.infer<typeof NoticeStage>;
export type AutomaticStage = z.infer<typeof AutomaticStage>;

/**
 * A procedure type is a slug: a new type is a new folder of definitions (or a published
 * definition), never code. The API starts any of them at `POST /procedures/:procedureType`.
 */
export const ProcedureType = z.string().regex(/^[a-z][a-z0-9-]{1,47}$/, 'a lower-case slug, e.g. household-exit');
export type ProcedureType = z.infer<typeof ProcedureType>;

/** Actions the projection runs when a case starts or is cancelled: an allow-list, never input. */
export const START_ACTIONS = ['markHouseholdExiting'] as const;
export const CANCEL_ACTIONS = ['restoreHouseholdPoor'] as const;

/**
 * What a case is about: a household (registered under a village), or an org unit of a level.
 * `notExited`: a subject that has exited (a household marked 已脱贫, a unit with an exit year)
 * cannot have a case — exits are once; an inspection or a report has no such rule.
 */
export const SubjectSpec = z
  .object({
    kind: z.enum(['household', 'org_unit']),
    level: OrgLevel,
    notExited: z.boolean().default(false),
  })
  .strict();
export type SubjectSpec = z.infer<typeof SubjectSpec>;

export const CaseActions = z
  .object({
    onStart: z.array(z.enum(START_ACTIONS)).max(5).default([]),
    onCancel: z.array(z.enum(CANCEL_ACTIONS)).max(5).default([]),
  })
  .strict();
export type CaseActions = z.infer<typeof CaseActions>;

/**
 * The subjects and actions of the types that predate `subject` and `actions` (definitions inside
 * older histories, and published rows). The self-summary's subject is any assessed unit.
 */
const LEGACY_TYPES: Record<string, { subject: SubjectSpec; actions: CaseActions }> = {
  'household-exit': {
    subject: { kind: 'household', level: 'VILLAGE', notExited: true },
    actions: { onStart: ['markHouseholdExiting'], onCancel: ['restoreHouseholdPoor'] },
  },
  'village-exit': { subject: { kind: 'org_unit', level: 'VILLAGE', notExited: true }, actions: { onStart: [], onCancel: [] } },
  'county-exit': { subject: { kind: 'org_unit', level: 'COUNTY', notExited: true }, actions: { onStart: [], onCancel: [] } },
};

/** A definition's subject (older ones: by their type). */
export function subjectOf(def: Pick<ProcedureDefinition, 'procedureType' | 'subjectLevel' | 'subject'>): SubjectSpec {
  return def.subject ?? LEGACY_TYPES[def.procedureType]?.subject ?? { kind: 'org_unit', level: def.subjectLevel, notExited: false };
}

/** A definition's start and cancel actions (older ones: by their type). */
export function actionsOf(def: Pick<ProcedureDefinition, 'procedureType' | 'actions'>): CaseActions {
  return def.actions ?? LEGACY_TYPES[def.procedureType]?.actions ?? { onStart: [], onCancel: [] };
}

/** How a subject is named in figures and case rows: `household`, or the unit's level (`village`, `county`). */
export const subjectTypeOf = (subject: SubjectSpec): string => (subject.kind === 'household' ? 'household' : subject.level.toLowerCase());

/** One level (of the case's org path) and roles: who may do something on a case. */
const LevelsAndRoles = z.object({ levels: z.array(OrgLevel).min(1), roles: z.array(Role).min(1) }).strict();

/**
 * A figure the procedure takes (a check reads it, a sign-off asks for it), who enters it and its
 * range. Figures are entered by the level that checks them, never by the subject's own unit: a
 * village under exit does not certify its own incidence rate. Rates lie in [0, 1].
 */
export const IndicatorDeclaration = z
  .object({
    key,
    /** Chinese label shown to people, e.g. 综合贫困发生率 */
    label: z.string().min(1).max(100),
    basis: z.string().max(200).optional(),
    /** the levels of the case's org path and the roles that enter the figure (`POST /procedures/:id/indicators`) */
    enteredBy: LevelsAndRoles,
    /** inclusive bounds; a side without one is unbounded */
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
  })
  .strict();
export type IndicatorDeclaration = z.infer<typeof IndicatorDeclaration>;

/**
 * Who may cancel a case: people of `roles` in a unit of the case's org path at or above
 * `atOrAbove`, either the unit responsible for the current stage (`responsible`) or a fixed level.
 */
export const CancellationRule = z
  .object({
    roles: z.array(Role).min(1),
    atOrAbove: z.union([z.literal('responsible'), OrgLevel]),
  })
  .strict();
export type CancellationRule = z.infer<typeof CancellationRule>;

/** The rule for definitions without `cancelledBy` (recorded before it existed). */
export const DEFAULT_CANCELLATION: CancellationRule = { roles: ['DEPUTY', 'LEADER'], atOrAbove: 'responsible' };

/** A check rule a mandatory check must contain, no looser than the national standard. */
export interface RuleBound {
  indicator: string;
  /** `upper`: the figure must stay below `limit` (op lt/lte); `lower`: it must reach it (op gt/gte) */
  bound: 'upper' | 'lower';
  limit: number;
  /** the limit in western provinces (西部), when it differs */
  westernLimit?: number;
}

/**
 * A stage every definition of a procedure type must keep, so that no profile can drop the approval,
 * the public notice or the threshold check. Matched by what the stage does, not by its key: the
 * provincial variants name and place their stages differently (Shanxi's township approves).
 */
export interface StageRequirement {
  /** names the requirement in errors: `stages.mandatory.<key>` */
  key: string;
  /** Chinese name of the step */
  label: string;
  /** the policy text it comes from (seed and article) */
  basis: string;
  kind: 'signoff' | 'notice' | 'check' | 'automatic';
  /** the stage's level is one of these (any level when absent) */
  levels?: OrgLevel[];
  /** a sign-off signed by these roles only: its `roles` are a subset */
  onlyRoles?: Role[];
  /** a sign-off that asks for these figures */
  asksFor?: string[];
  /** a check with each of these rules, at least as strict */
  rules?: RuleBound[];
  action?: (typeof AUTOMATIC_ACTIONS)[number];
  /** keys of requirements whose stages come before this one */
  after?: string[];
  /** the stage is the last of the procedure */
  last?: true;
}

const HOUSEHOLD_EXIT_REQUIREMENTS: StageRequirement[] = [
  { key: 'village_appraisal', label: '村民主评议', basis: '退出机制意见 (2016): 民主评议', kind: 'signoff', levels: ['VILLAGE'] },
  { key: 'village_notice', label: '村内公示', basis: '000 篇三 第四十二条: 落实公告公示制度', kind: 'notice', levels: ['VILLAGE'], after: ['village_appraisal'] },
  {
    key: 'township_notice',
    label: '乡镇公示',
    basis: '000 篇五 第二十二条: 乡(镇)、村做好脱贫退出的初验、公示、上报',
    kind: 'notice',
    levels: ['TOWNSHIP'],
    after: ['village_notice'],
  },
  {
    key: 'exit_approval',
    label: '乡镇或县级批准退出',
    basis: '000 篇三 第四十条: 乡镇核查，批准退出; 000 篇五 第十三条: 县级全面查验把关',
    kind: 'signoff',
    levels: ['TOWNSHIP', 'COUNTY'],
    onlyRoles: ['DEPUTY', 'LEADER'],
    after: ['village_notice'],
  },
  {
    key: 'registry_marking',
    label: '信息系统脱贫标注',
    basis: '000 篇三 第四十条: 在扶贫开发信息系统中予以脱贫标注',
    kind: 'automatic',
    action: 'markHouseholdExited',
    after: ['exit_approval', 'township_notice'],
    last: true,
  },
];

/** 贫困发生率 below 2 %, 3 % in western provinces (退出机制意见 2016) */
const INCIDENCE_STANDARD: RuleBound = { indicator: 'incidence_rate', bound: 'upper', limit: 0.02, westernLimit: 0.03 };

const VILLAGE_EXIT_REQUIREMENTS: StageRequirement[] = [
  {
    key: 'township_investigation',
    label: '乡镇调查核实',
    basis: '000 篇三 第四十条: 乡镇对预退出贫困村进行调查核实',
    kind: 'signoff',
    levels: ['TOWNSHIP'],
    asksFor: ['incidence_rate'],
  },
  {
    key: 'incidence_check',
    label: '贫困发生率核验',
    basis: '退出机制意见 (2016): 贫困发生率降至2%以下（西部地区3%以下）',
    kind: 'check',
    rules: [INCIDENCE_STANDARD],
    after: ['township_investigation'],
  },
  { key: 'notice', label: '公示', basis: '000 篇三 第四十条: 确认并公示后报县脱贫攻坚领导小组', kind: 'notice', after: ['township_investigation'] },
  {
    key: 'county_approval',
    label: '县级核查批准',
    basis: '000 篇三 第三十三条: 县级核查，批准退出',
    kind: 'signoff',
    levels: ['COUNTY'],
    onlyRoles: ['DEPUTY', 'LEADER'],
    after: ['incidence_check', 'notice'],
  },
  {
    key: 'registry_marking',
    label: '信息系统退出标注',
    basis: '退出机制意见 (2016): 在建档立卡信息系统中标注',
    kind: 'automatic',
    action: 'markVillageExited',
    after: ['county_approval'],
    last: true,
  },
];

const COUNTY_EXIT_REQUIREMENTS: StageRequirement[] = [
  { key: 'county_application', label: '县级申请退出', basis: '002 (二十八): 由县提出申请', kind: 'signoff', levels: ['COUNTY'] },
  { key: 'city_review', label: '市级初审', basis: '002 (二十八): 市(州)初审', kind: 'signoff', levels: ['CITY'], after: ['county_application'] },
  {
    key: 'province_evaluation',
    label: '省级专项评估检查',
    basis: '000 篇三 第十三条: 省脱贫攻坚领导小组对拟退出的贫困县进行专项评估检查',
    kind: 'signoff',
    levels: ['PROVINCE'],
    asksFor: ['incidence_rate', 'wrongful_exit_rate', 'missed_identification_rate', 'public_approval'],
    after: ['city_review'],
  },
  {
    key: 'veto_check',
    label: '三率一度核验',
    basis: '退出机制意见 (2016): 贫困发生率低于2%（西部3%），错退率、漏评率低于2%，群众认可度不低于90%',
    kind: 'check',
    rules: [
      INCIDENCE_STANDARD,
      { indicator: 'wrongful_exit_rate', bound: 'upper', limit: 0.02 },
      { indicator: 'missed_identification_rate', bound: 'upper', limit: 0.02 },
      { indicator: 'public_approval', bound: 'lower', limit: 0.9 },
    ],
    after: ['province_evaluation'],
  },
  {
    key: 'province_notice',
    label: '公示征求意见',
    basis: '000 篇三 第十三条: 向社会公示、征求意见',
    kind: 'notice',
    levels: ['PROVINCE'],
    after: ['veto_check'],
  },
  {
    key: 'provincial_approval',
    label: '省政府批准退出',
    basis: '000 篇三 第十三条: 报省政府批准退出',
    kind: 'signoff',
    levels: ['PROVINCE'],
    onlyRoles: ['LEADER'],
    after: ['province_notice'],
  },
  { key: 'exit_marking', label: '摘帽标注', basis: '000 篇三 第十三条: 省政府批准退出', kind: 'automatic', action: 'markCountyExited', after: ['provincial_approval'] },
  {
    key: 'state_council_filing',
    label: '报国务院扶贫开发领导小组备案',
    basis: '002 (二十八): 报国务院扶贫开发领导小组备案',
    kind: 'automatic',
    action: 'fileWithStateCouncil',
    after: ['exit_marking'],
    last: true,
  },
];

/**
 * The stages every definition of a procedure type must keep, in order (`after`, `last`). Every
 * shipped variant meets them (Shanxi's township approves a household exit, 000 篇三 第四十条; Jilin
 * adds inspections; Gansu adds the industry departments), a one-stage exit does not.
 */
export const MANDATORY_STAGES: Partial<Record<ProcedureType, StageRequirement[]>> = {
  'household-exit': HOUSEHOLD_EXIT_REQUIREMENTS,
  'village-exit': VILLAGE_EXIT_REQUIREMENTS,
  'county-exit': COUNTY_EXIT_REQUIREMENTS,
  'self-summary': [
    {
      key: 'self_summary',
      label: '自评总结报告',
      basis: '003 篇二 第六条(一): 对照减贫计划，就工作进展情况和取得成效形成总结报告',
      kind: 'signoff',
      onlyRoles: ['DEPUTY', 'LEADER'],
    },
  ],
};

/**
 * Procedure types whose subject enters its own figures: an assessed unit's self-summary (003 篇二
 * 第六条(一)), built in code by the assessment. Every other type takes its figures from the levels
 * above the subject and declares who enters each (`indicators`).
 */
export const SELF_ENTERED_FIGURES: readonly ProcedureType[] = ['self-summary'];

export const ProcedureDefinition = z
  .object({
    id: key.or(z.string().regex(/^[a-z][a-z0-9-]{1,63}$/)),
    version: z.number().int().positive(),
    /** the province or profile it applies to: "national" is the default */
    profile: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/),
    procedureType: ProcedureType,
    name: z.string().min(1).max(60),
    subjectLevel: OrgLevel,
    /** what a case is about (required for a new type; older types fall back to `subjectOf`) */
    subject: SubjectSpec.optional(),
    /** what the projection does to the subject when a case starts or is cancelled */
    actions: CaseActions.optional(),
    basis: z.array(z.string().max(200)).default([]),
    /** who may start a case: the org levels and roles (any person in scope when absent) */
    startedBy: z.object({ levels: z.array(OrgLevel).min(1), roles: z.array(Role).min(1) }).strict().optional(),
    /**
     * cases are started by the annual assessment only, one per assessed unit, which sets the unit's
     * level and the year's deadline (the self-summary); nobody starts one through the API
     */
    startedByAssessment: z.literal(true).optional(),
    /**
     * the figures the procedure takes, who enters each and its range; required when a stage uses
     * figures (absent only in definitions recorded before it existed: see indicatorDeclarations)
     */
    indicators: z.array(IndicatorDeclaration).max(40).optional(),
    /** who may cancel a case (DEFAULT_CANCELLATION when absent) */
    cancelledBy: CancellationRule.optional(),
    escalation: EscalationPolicy,
    stages: z.array(Stage).min(1).max(40),
  })
  .strict()
  .superRefine((def, ctx) => {
    if (!def.subject && !LEGACY_TYPES[def.procedureType] && def.procedureType !== 'self-summary') {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['subject'], message: 'a procedure type needs its subject: {kind: household|org_unit, level}' });
    }
    if (def.subject && def.subject.level !== def.subjectLevel) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['subject', 'level'], message: `must be the subjectLevel (${def.subjectLevel})` });
    }
    if ((def.actions?.onStart.length || def.actions?.onCancel.length) && subjectOf(def).kind !== 'household') {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['actions'], message: 'the start and cancel actions act on a household: the subject must be one' });
    }
    if (def.subject?.kind === 'household' && def.subject.level !== 'VILLAGE') {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['subject', 'level'], message: 'households are registered under villages: VILLAGE' });
    }
    for (const problem of mandatoryStageProblems(def)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['stages', 'mandatory', problem.key], message: problem.message });
    }
    for (const problem of figureProblems(def)) ctx.addIssue({ code: z.ZodIssueCode.custom, ...problem });
    const index = new Map<string, number>();
    def.stages.forEach((stage, i) => {
      if (index.has(stage.key)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['stages', i, 'key'], message: `duplicate stage key "${stage.key}"` });
      }
      index.set(stage.key, i);
    });
    def.stages.forEach((stage, i) => {
      const target =
        stage.kind === 'signoff' || stage.kind === 'parallel'
          ? stage.onReject?.returnTo
          : stage.kind === 'notice'
            ? stage.onObjection.returnTo
            : undefined;
      const field = stage.kind === 'notice' ? 'onObjection' : 'onReject';
      if (target === undefined) return;
      const j = index.get(target);
      if (j === undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['stages', i, field, 'returnTo'], message: `unknown stage "${target}"` });
      } else if (j >= i) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['stages', i, field, 'returnTo'],
          message: `must return to an earlier stage, "${target}" is not before "${stage.key}"`,
        });
      } else if (def.stages[j].kind !== 'signoff' && def.stages[j].kind !== 'parallel') {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['stages', i, field, 'returnTo'], message: `"${target}" is not a sign-off stage` });
      }
    });
    def.stages.forEach((stage, i) => {
      if (stage.kind !== 'parallel') return;
      const seen = new Set<string>();
      stage.branches.forEach((b, k) => {
        if (seen.has(b.key) || seen.has(b.department)) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['stages', i, 'branches', k], message: 'duplicate branch key or department' });
        }
        seen.add(b.key).add(b.department);
      });
    });
  });
export type ProcedureDefinition = z.infer<typeof ProcedureDefinition>;
/** The document as written in a file, before defaults are applied. */
export type ProcedureDefinitionInput = z.input<typeof ProcedureDefinition>;

/** When a stage opened at `enteredAt` is due, unless it counts working days (that needs the calendar). */
export function dueAfter(enteredAt: number, duration: NaturalDuration | FixedDeadline): number {
  return 'until' in duration ? Date.parse(duration.until) : addDuration(enteredAt, duration);
}

/** The escalation policy in force for a stage. */
export function escalationFor(def: ProcedureDefinition, stage: SignoffStage | ParallelStage): EscalationPolicy {
  return stage.escalation ?? def.escalation;
}

export interface RuleFailure {
  indicator: string;
  label: string;
  value: number | null;
  op: IndicatorRule['op'];
  threshold: number;
  reason: string;
}

/** Evaluates a check's rules on the figures at hand. Pure: safe in workflow code. */
export function evaluateRules(rules: IndicatorRule[], values: Record<string, number>, western: boolean): RuleFailure[] {
  const failures: RuleFailure[] = [];
  for (const rule of rules) {
    const threshold = western && rule.westernThreshold !== undefined ? rule.westernThreshold : rule.threshold;
    const value = Object.prototype.hasOwnProperty.call(values, rule.indicator) ? values[rule.indicator] : null;
    const ok =
      value !== null &&
      (rule.op === 'lt' ? value < threshold : rule.op === 'lte' ? value <= threshold : rule.op === 'gt' ? value > threshold : value >= threshold);
    if (!ok) {
      failures.push({
        indicator: rule.indicator,
        label: rule.label,
        value,
        op: rule.op,
        threshold,
        reason:
          value === null
            ? `${rule.label}尚未填报`
            : `${rule.label}为 ${value}，未达到 ${RULE_OPS[rule.op]} ${threshold} 的退出标准`,
      });
    }
  }
  return failures;
}

// ---- mandatory stages, figures and rights ---------------------------------------------------------

/** True if `level` is `floor` or a level above it (the province is above the city, …). */
export const isAtOrAbove = (level: OrgLevel, floor: OrgLevel): boolean => ORG_LEVELS.indexOf(level) <= ORG_LEVELS.indexOf(floor);
const isAbove = (level: OrgLevel, floor: OrgLevel): boolean => ORG_LEVELS.indexOf(level) < ORG_LEVELS.indexOf(floor);

/** The level at which a unit sits in a case's org path (level → unit id), if it is there at all. */
export function levelIn(orgPath: Partial<Record<OrgLevel, string>>, unitId: string): OrgLevel | undefined {
  return ORG_LEVELS.find((level) => orgPath[level] === unitId);
}

/** True if `rule` checks its figure at least as strictly as the bound. */
function ruleMeets(rule: IndicatorRule, bound: RuleBound): boolean {
  if (rule.indicator !== bound.indicator) return false;
  const within = (threshold: number, limit: number) =>
    bound.bound === 'upper'
      ? (rule.op === 'lt' && threshold <= limit) || (rule.op === 'lte' && threshold < limit)
      : (rule.op === 'gt' || rule.op === 'gte') && threshold >= limit;
  return within(rule.threshold, bound.limit) && within(rule.westernThreshold ?? rule.threshold, bound.westernLimit ?? bound.limit);
}

/** True if the stage does what the requirement asks (wherever it stands). */
function stageMeets(stage: Stage, r: StageRequirement): boolean {
  if (stage.kind !== r.kind || (r.levels && !r.levels.includes(stage.level))) return false;
  switch (stage.kind) {
    case 'signoff':
      return (
        (!r.onlyRoles || stage.roles.every((role) => r.onlyRoles!.includes(role))) &&
        (r.asksFor ?? []).every((k) => (stage.indicators ?? []).some((i) => i.key === k))
      );
    case 'check':
      return (r.rules ?? []).every((bound) => stage.rules.some((rule) => ruleMeets(rule, bound)));
    case 'automatic':
      return !r.action || stage.action === r.action;
    default:
      return true;
  }
}

const KIND_WORDS: Record<StageRequirement['kind'], string> = {
  signoff: 'a sign-off',
  notice: 'a public notice',
  check: 'a threshold check',
  automatic: 'the automatic action',
};

function describeRequirement(r: StageRequirement): string {
  const parts = [KIND_WORDS[r.kind]];
  if (r.action) parts.push(r.action);
  if (r.levels) parts.push(`at ${r.levels.join(' or ')}`);
  if (r.onlyRoles) parts.push(`signed by ${r.onlyRoles.join(' or ')} only`);
  if (r.asksFor) parts.push(`asking for ${r.asksFor.join(', ')}`);
  if (r.rules) {
    const rules = r.rules.map((b) => `${b.indicator} ${b.bound === 'upper' ? '<' : '≥'} ${b.limit}${b.westernLimit !== undefined ? ` (western ${b.westernLimit})` : ''}`);
    parts.push(`with ${rules.join(', ')} or stricter`);
  }
  if (r.last) parts.push('as the last stage');
  return parts.join(' ');
}

/**
 * The mandatory stages of its procedure type a definition lacks, each with the requirement's key.
 * Requirements are matched in their declared order, each by its own stage, the earliest that fits
 * after the stages of the requirements it follows.
 */
export function mandatoryStageProblems(def: Pick<ProcedureDefinition, 'procedureType' | 'stages'>): Array<{ key: string; message: string }> {
  const requirements = MANDATORY_STAGES[def.procedureType] ?? [];
  const labelOf = new Map(requirements.map((r) => [r.key, r.label]));
  const placed = new Map<string, number>();
  const used = new Set<number>();
  const lastIndex = def.stages.length - 1;
  const problems: Array<{ key: string; message: string }> = [];
  for (const r of requirements) {
    // a missing predecessor is reported on its own, not again through its followers
    const earliest = Math.max(-1, ...(r.after ?? []).map((k) => placed.get(k) ?? -1)) + 1;
    const fitting = def.stages.map((_, i) => i).filter((i) => !used.has(i) && stageMeets(def.stages[i], r));
    const found = fitting.find((i) => i >= earliest && (!r.last || i === lastIndex));
    if (found !== undefined) {
      placed.set(r.key, found);
      used.add(found);
      continue;
    }
    const what = `mandatory stage 「${r.label}」 (${r.basis})`;
    const message =
      fitting.length === 0
        ? `${what} is missing: ${describeRequirement(r)}`
        : r.last && fitting.some((i) => i >= earliest)
          ? `${what} must be the last stage`
          : `${what} must come after ${(r.after ?? []).map((k) => `「${labelOf.get(k)}」`).join(' and ')}`;
    problems.push({ key: r.key, message });
  }
  return problems;
}

/** Every figure a stage uses (a check reads it, a sign-off asks for it), with where. */
interface FigureUse {
  key: string;
  by: 'check' | 'signoff';
  stage: number;
  path: Array<string | number>;
}

function figuresUsed(def: Pick<ProcedureDefinition, 'stages'>): FigureUse[] {
  return def.stages.flatMap((stage, i): FigureUse[] =>
    stage.kind === 'check'
      ? stage.rules.map((rule, j) => ({ key: rule.indicator, by: 'check', stage: i, path: ['stages', i, 'rules', j, 'indicator'] }))
      : stage.kind === 'signoff'
        ? (stage.indicators ?? []).map((ind, j) => ({ key: ind.key, by: 'signoff', stage: i, path: ['stages', i, 'indicators', j, 'key'] }))
        : [],
  );
}

/** Problems with the `indicators` declarations, each with its zod path. */
function figureProblems(def: ProcedureDefinition): Array<{ path: Array<string | number>; message: string }> {
  const problems: Array<{ path: Array<string | number>; message: string }> = [];
  const selfEntered = SELF_ENTERED_FIGURES.includes(def.procedureType);
  const used = figuresUsed(def);
  if (!def.indicators) {
    if (used.length && !selfEntered) {
      problems.push({ path: ['indicators'], message: 'declare each figure the stages use: who enters it (enteredBy: levels above the subject, roles) and its range' });
    }
    return problems;
  }
  const byKey = new Map<string, IndicatorDeclaration>();
  def.indicators.forEach((d, i) => {
    if (byKey.has(d.key)) problems.push({ path: ['indicators', i, 'key'], message: `figure "${d.key}" is declared twice` });
    byKey.set(d.key, d);
    if (d.min !== undefined && d.max !== undefined && d.min > d.max) problems.push({ path: ['indicators', i, 'max'], message: 'max must not be below min' });
    const low = d.enteredBy.levels.filter((level) => !isAbove(level, def.subjectLevel));
    if (!selfEntered && low.length) {
      problems.push({
        path: ['indicators', i, 'enteredBy', 'levels'],
        message: `figures are entered from above the subject (${def.subjectLevel}): ${low.join(', ')} would certify its own exit`,
      });
    }
  });
  for (const use of used) {
    const d = byKey.get(use.key);
    const stage = def.stages[use.stage];
    if (!d) problems.push({ path: use.path, message: `figure "${use.key}" is not declared in indicators` });
    else if (stage.kind === 'signoff' && !d.enteredBy.levels.includes(stage.level)) {
      problems.push({ path: use.path, message: `the stage is signed at ${stage.level}, which does not enter "${use.key}" (entered by ${d.enteredBy.levels.join(', ')})` });
    }
  }
  return problems;
}

/**
 * The figures a case takes, who enters each and its range. A definition recorded before
 * `indicators` existed (inside an older history) gets conservative declarations: entered at the
 * levels of the stages that ask for or check the figure, never by the subject's own unit (but in a
 * self-summary), by the roles of the sign-offs asking for it (DEPUTY/LEADER if none does); never
 * negative, and at most 1 when every rule checks it against a share (a threshold in [0, 1]).
 */
export function indicatorDeclarations(def: ProcedureDefinition): IndicatorDeclaration[] {
  if (def.indicators) return def.indicators;
  const selfEntered = SELF_ENTERED_FIGURES.includes(def.procedureType);
  const used = figuresUsed(def);
  // the sign-offs' figures first, in stage order, then those only checks read
  const keys = [...new Set([...used.filter((u) => u.by === 'signoff'), ...used.filter((u) => u.by === 'check')].map((u) => u.key))];
  return keys.map((k) => {
    const asking = def.stages.filter((st): st is SignoffStage => st.kind === 'signoff' && (st.indicators ?? []).some((i) => i.key === k));
    const checking = def.stages.filter((st): st is CheckStage => st.kind === 'check' && st.rules.some((r) => r.indicator === k));
    const levels = ORG_LEVELS.filter((level) => [...asking, ...checking].some((st) => st.level === level) && (selfEntered || isAbove(level, def.subjectLevel)));
    const roles: Role[] = asking.length ? ROLES.filter((role) => asking.some((st) => st.roles.includes(role))) : ['DEPUTY', 'LEADER'];
    const rules = checking.flatMap((st) => st.rules.filter((r) => r.indicator === k));
    const share = rules.length > 0 && rules.every((r) => [r.threshold, r.westernThreshold ?? r.threshold].every((t) => t >= 0 && t <= 1));
    const label = (asking[0]?.indicators ?? []).find((i) => i.key === k)?.label ?? rules[0]?.label ?? k;
    return { key: k, label, enteredBy: { levels, roles }, min: 0, ...(share ? { max: 1 } : {}) };
  });
}

/** Why a figure is out of its declared range, or undefined if it is within. */
export function rangeProblem(d: IndicatorDeclaration, value: number): string | undefined {
  if ((d.min === undefined || value >= d.min) && (d.max === undefined || value <= d.max)) return undefined;
  const range = d.max === undefined ? `at least ${d.min}` : d.min === undefined ? `at most ${d.max}` : `between ${d.min} and ${d.max}`;
  return `${d.label} (${d.key}) must be ${range}`;
}

/** Who may cancel a case of this definition. */
export const cancellationRuleOf = (def: ProcedureDefinition): CancellationRule => def.cancelledBy ?? DEFAULT_CANCELLATION;
