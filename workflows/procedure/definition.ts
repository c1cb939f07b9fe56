/**
 * A procedure definition is data: an ordered list of stages that one durable engine
 * (procedureWorkflow) runs. Definitions are validated with zod before a case starts, and the
 * validated document is the workflow's input, so a running case keeps the version it began with.
 *
 * This module is pure (zod only) and is bundled into the workflow sandbox.
 */
import { z } from 'zod';

/**
 * The five levels of the administration, and above them the central leading group
 * (国务院扶贫开发领导小组), which assesses the provinces (003 篇二) and receives county-exit reports.
 */
export const ORG_LEVELS = ['CENTRAL', 'PROVINCE', 'CITY', 'COUNTY', 'TOWNSHIP', 'VILLAGE'] as const;
export const OrgLevel = z.enum(ORG_LEVELS);
export type OrgLevel = z.infer<typeof OrgLevel>;

/** 工作人员 / 分管负责人 (直接责任人) / 主要负责人 (第一责任人): 004 art. 4, 10 */
export const ROLES = ['STAFF', 'DEPUTY', 'LEADER'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

export const ROLE_LABELS: Record<Role, string> = {
  STAFF: '工作人员',
  DEPUTY: '分管负责人',
  LEADER: '主要负责人',
};

const key = z
  .string()
  .regex(/^[a-z][a-z0-9_]{1,63}$/, 'lower_snake_case identifier, 2–64 characters');

/** A length of time in natural days (exact multiples of 24 h from the start). */
export const NaturalDuration = z
  .object({
    days: z.number().positive().max(3650),
    calendar: z.literal('natural').default('natural'),
  })
  .strict();
export type NaturalDuration = z.infer<typeof NaturalDuration>;

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

/** Who is notified on one rung of the escalation ladder. */
export const EscalationRung = z
  .object({
    /** Chinese label shown to people, e.g. 分管负责人 */
    label: z.string().min(1).max(60),
    /** the stage's responsible unit, or the unit one level up (its leading group) */
    unit: z.enum(['responsible', 'parent']),
    roles: z.array(Role).min(1),
    /** time after the due time at which this rung fires */
    after: NaturalDuration.optional(),
  })
  .strict();
export type EscalationRung = z.infer<typeof EscalationRung>;

export const EscalationPolicy = z
  .object({
    /** reminders to the responsible unit before the due time */
    remindBefore: z.array(NaturalDuration).max(5).default([]),
    /** time between consecutive rungs when a rung does not give its own `after` */
    grace: NaturalDuration,
    ladder: z.array(EscalationRung).min(1).max(6),
  })
  .strict();
export type EscalationPolicy = z.infer<typeof EscalationPolicy>;

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

export const PROCEDURE_TYPES = ['household-exit', 'village-exit', 'county-exit', 'self-summary'] as const;
export const ProcedureType = z.enum(PROCEDURE_TYPES);
export type ProcedureType = z.infer<typeof ProcedureType>;

/** What each procedure is about: a household, a village, a county. */
export const SUBJECT_OF: Record<ProcedureType, 'household' | 'village' | 'county' | 'unit'> = {
  'household-exit': 'household',
  'village-exit': 'village',
  'county-exit': 'county',
  /** an assessed unit's self-summary in the annual assessment, started by the assessment */
  'self-summary': 'unit',
};

export const ProcedureDefinition = z
  .object({
    id: key.or(z.string().regex(/^[a-z][a-z0-9-]{1,63}$/)),
    version: z.number().int().positive(),
    /** the province or profile it applies to: "national" is the default */
    profile: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/),
    procedureType: ProcedureType,
    name: z.string().min(1).max(60),
    subjectLevel: OrgLevel,
    basis: z.array(z.string().max(200)).default([]),
    /** who may start a case: the org levels and roles (any person in scope when absent) */
    startedBy: z.object({ levels: z.array(OrgLevel).min(1), roles: z.array(Role).min(1) }).strict().optional(),
    escalation: EscalationPolicy,
    stages: z.array(Stage).min(1).max(40),
  })
  .strict()
  .superRefine((def, ctx) => {
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

export const DAY_MS = 24 * 60 * 60 * 1000;

/** When a stage opened at `enteredAt` is due, unless it counts working days (that needs the calendar). */
export function dueAfter(enteredAt: number, duration: NaturalDuration | FixedDeadline): number {
  return 'until' in duration ? Date.parse(duration.until) : addDuration(enteredAt, duration);
}

/** Adds natural days to an instant. Pure and deterministic: safe in workflow code. */
export function addDuration(fromMs: number, duration: NaturalDuration): number {
  return fromMs + Math.round(duration.days * DAY_MS);
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
