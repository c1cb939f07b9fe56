/**
 * A procedure definition is data: an ordered list of stages that one durable engine
 * (procedureWorkflow) runs. Definitions are validated with zod before a case starts, and the
 * validated document is the workflow's input, so a running case keeps the version it began with.
 *
 * This module is pure (zod only) and is bundled into the workflow sandbox.
 */
import { z } from 'zod';

export const ORG_LEVELS = ['PROVINCE', 'CITY', 'COUNTY', 'TOWNSHIP', 'VILLAGE'] as const;
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

/** A length of time. Natural days only for now; official working days come with the calendar. */
export const Duration = z
  .object({
    days: z.number().positive().max(3650),
    calendar: z.literal('natural').default('natural'),
  })
  .strict();
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
    after: Duration.optional(),
  })
  .strict();
export type EscalationRung = z.infer<typeof EscalationRung>;

export const EscalationPolicy = z
  .object({
    /** reminders to the responsible unit before the due time */
    remindBefore: z.array(Duration).max(5).default([]),
    /** time between consecutive rungs when a rung does not give its own `after` */
    grace: Duration,
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
    /** where a rejection sends the case; without it the stage cannot be rejected */
    onReject: z.object({ returnTo: key }).strict().optional(),
    escalation: EscalationPolicy.optional(),
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
export const AUTOMATIC_ACTIONS = ['markHouseholdExited'] as const;

/** A final registry/report step run by the system itself. */
export const AutomaticStage = z
  .object({
    ...stageBase,
    kind: z.literal('automatic'),
    level: OrgLevel,
    action: z.enum(AUTOMATIC_ACTIONS),
  })
  .strict();

export const Stage = z.discriminatedUnion('kind', [SignoffStage, NoticeStage, AutomaticStage]);
export type Stage = z.infer<typeof Stage>;
export type SignoffStage = z.infer<typeof SignoffStage>;
export type NoticeStage = z.infer<typeof NoticeStage>;
export type AutomaticStage = z.infer<typeof AutomaticStage>;

export const PROCEDURE_TYPES = ['household-exit'] as const;
export const ProcedureType = z.enum(PROCEDURE_TYPES);
export type ProcedureType = z.infer<typeof ProcedureType>;

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
        stage.kind === 'signoff' ? stage.onReject?.returnTo : stage.kind === 'notice' ? stage.onObjection.returnTo : undefined;
      const field = stage.kind === 'signoff' ? 'onReject' : 'onObjection';
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
      } else if (def.stages[j].kind !== 'signoff') {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['stages', i, field, 'returnTo'], message: `"${target}" is not a sign-off stage` });
      }
    });
  });
export type ProcedureDefinition = z.infer<typeof ProcedureDefinition>;
/** The document as written in a file, before defaults are applied. */
export type ProcedureDefinitionInput = z.input<typeof ProcedureDefinition>;

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Adds a duration to an instant. Pure and deterministic: safe in workflow code. */
export function addDuration(fromMs: number, duration: Duration): number {
  return fromMs + Math.round(duration.days * DAY_MS);
}

/** The escalation policy in force for a stage. */
export function escalationFor(def: ProcedureDefinition, stage: SignoffStage): EscalationPolicy {
  return stage.escalation ?? def.escalation;
}
