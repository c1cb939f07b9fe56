/**
 * The annual assessment calendar (年度成效考核, 003 篇二 第六条—第八条; 002 (二十七)) and the
 * rectification timetable that follows its feedback (003 篇五), as one validated document.
 * Pure (zod only): bundled into the workflow sandbox.
 */
import { z } from 'zod';
import { OrgLevel, type ProcedureDefinition } from '../procedure/definition';
import { EscalationPolicy, oneRung } from '../shared/ladder';
import { CHINA_OFFSET_MS, DAY_MS } from '../../lib/dates';

const key = z.string().regex(/^[a-z][a-z0-9_]{1,63}$/);

/** A date in January or February of the year after the assessed year; `last` is the month's last day. */
export const MonthDay = z
  .object({ month: z.number().int().min(1).max(2), day: z.union([z.number().int().min(1).max(31), z.literal('last')]) })
  .strict();
export type MonthDay = z.infer<typeof MonthDay>;

/** A rectification phase, in natural days after the rectification is issued. */
export const Phase = z
  .object({
    key,
    name: z.string().min(1).max(60),
    opensAfterDays: z.number().int().min(0).max(365),
    closesAfterDays: z.number().int().min(0).max(365),
    /** what the rectified unit must hand in by the close, if anything */
    deliverable: z.enum(['plan', 'report', 'all_items']).optional(),
  })
  .strict()
  .refine((p) => p.closesAfterDays >= p.opensAfterDays, { message: 'closes before it opens', path: ['closesAfterDays'] });
export type Phase = z.infer<typeof Phase>;

export const AssessmentDefinition = z
  .object({
    id: z.literal('annual-assessment'),
    version: z.number().int().positive(),
    profile: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/),
    name: z.string().min(1).max(60),
    basis: z.array(z.string().max(200)).default([]),
    /** the schedule starts the assessment of year Y on this day of December of year Y (China time) */
    startsOn: z.object({ month: z.literal(12), day: z.number().int().min(1).max(31) }).strict(),
    /** who each assessing level assesses */
    assessed: z.record(OrgLevel, z.array(OrgLevel).min(1)),
    deadlines: z
      .object({
        selfSummary: MonthDay,
        thirdPartyEvaluation: MonthDay,
        comprehensiveEvaluation: MonthDay,
        approval: MonthDay,
        /** 次年2月底前完成 */
        finishBy: MonthDay,
      })
      .strict(),
    selfSummaryIndicators: z.array(z.object({ key, label: z.string().min(1).max(100) }).strict()).max(20).default([]),
    evaluationIndicators: z.array(z.object({ key, label: z.string().min(1).max(100) }).strict()).min(1).max(20),
    grades: z.array(z.string().min(1).max(10)).min(2).max(8),
    /** the six problem types of 003 第七条 */
    problemTypes: z.array(z.object({ key, label: z.string().min(1).max(100) }).strict()).min(1).max(12),
    /** escalation of a late self-summary (the assessed unit's deputy, leader, then the level above) */
    escalation: EscalationPolicy,
    rectification: z
      .object({
        phases: z.array(Phase).min(1).max(10),
        /** an item overdue escalates to its unit's leaders; this many overdue items escalate a level up */
        overdueItemsForLevelUp: z.number().int().min(1).max(20),
        /** who is told when a phase's deliverable, an item or too many items are late */
        escalation: z
          .object({ phase: EscalationPolicy, finalPhase: EscalationPolicy, item: EscalationPolicy, levelUp: EscalationPolicy })
          .strict()
          .optional(),
      })
      .strict(),
    /** who is told when a step of the calendar is late, and when the whole calendar is */
    stepEscalation: EscalationPolicy.optional(),
    finishByEscalation: EscalationPolicy.optional(),
  })
  .strict();
export type AssessmentDefinition = z.infer<typeof AssessmentDefinition>;
export type RectificationLadders = NonNullable<AssessmentDefinition['rectification']['escalation']>;

/**
 * The ladders of documents written before they were data (and of the runs that carry them): the
 * leaders of the late unit, and the level above for the end of the calendar and for a unit with
 * too many late items (003 篇二 第六条, 篇五; 004 art. 24).
 */
const LEADERS = ['DEPUTY', 'LEADER'] as const;
export const DEFAULT_LADDERS = {
  step: oneRung('考核单位分管负责人、主要负责人', [...LEADERS]),
  finishBy: oneRung('考核单位及上级扶贫开发领导小组', [...LEADERS], 'responsible_and_parent'),
  rectification: {
    phase: oneRung('整改单位分管负责人、主要负责人', [...LEADERS]),
    finalPhase: oneRung('整改单位及上级扶贫开发领导小组', [...LEADERS], 'responsible_and_parent'),
    item: oneRung('责任单位分管负责人、主要负责人', [...LEADERS]),
    levelUp: oneRung('责任单位的上级', [...LEADERS], 'parent'),
  } satisfies RectificationLadders,
};


/** The end (24:00 China time) of a January/February date of `year`. Pure: safe in workflows. */
export function endOfMonthDay(year: number, md: MonthDay): string {
  const day = md.day === 'last' ? new Date(Date.UTC(year, md.month, 0)).getUTCDate() : md.day;
  return new Date(Date.UTC(year, md.month - 1, day) + DAY_MS - CHINA_OFFSET_MS).toISOString();
}

/** The year of an instant in China: one helper for the whole system (the assessment workflow imports it from here). */
export { chinaYear } from '../../lib/dates';

/** Phase dates of a rectification issued at `issuedAt` (phases open and close at 24:00 China time). */
export function timetable(issuedAt: number, phases: Phase[]): Record<string, { opensAt: string; closesAt: string }> {
  // counted in China calendar days from the day of issue
  const issueDay = Math.floor((issuedAt + CHINA_OFFSET_MS) / DAY_MS) * DAY_MS - CHINA_OFFSET_MS;
  const at = (days: number) => new Date(issueDay + days * DAY_MS + DAY_MS).toISOString();
  return Object.fromEntries(
    phases.map((p) => [p.key, { opensAt: p.opensAfterDays === 0 ? new Date(issuedAt).toISOString() : at(p.opensAfterDays - 1), closesAt: at(p.closesAfterDays) }]),
  );
}

/**
 * One assessed unit's self-summary case, from the self-summary definition (shipped under
 * definitions/self-summary/, or a province's published variant): the assessment sets what only it
 * knows — the unit's level (the subject's, the stage's, and who enters the unit's own figures,
 * 003 篇二 第六条(一)) and the year's deadline from its calendar.
 */
export function selfSummaryFor(template: ProcedureDefinition, unitLevel: OrgLevel, dueAt: string, year: number, assessmentName: string): ProcedureDefinition {
  return {
    ...template,
    name: `${year}年度${assessmentName}·自评总结`,
    subjectLevel: unitLevel,
    ...(template.subject ? { subject: { ...template.subject, level: unitLevel } } : {}),
    ...(template.indicators ? { indicators: template.indicators.map((i) => ({ ...i, enteredBy: { ...i.enteredBy, levels: [unitLevel] } })) } : {}),
    stages: template.stages.map((stage) => (stage.kind === 'signoff' ? { ...stage, level: unitLevel, due: { until: dueAt } } : stage)),
  };
}

/**
 * The self-summary definition as runs recorded before it was data built it (their plans carry no
 * `selfSummary`): from the assessment definition's ladder and figures.
 */
export function legacySelfSummaryTemplate(def: AssessmentDefinition): ProcedureDefinition {
  return {
    id: 'self-summary',
    version: def.version,
    profile: def.profile,
    procedureType: 'self-summary',
    name: def.name,
    subjectLevel: 'COUNTY',
    basis: ['003 篇二 第六条(一): 对照减贫计划，就工作进展情况和取得成效形成总结报告'],
    escalation: def.escalation,
    stages: [
      {
        key: 'self_summary',
        name: '自评总结报告',
        kind: 'signoff',
        level: 'COUNTY',
        roles: ['DEPUTY', 'LEADER'],
        due: { until: new Date(0).toISOString() },
        confirmations: [],
        indicators: def.selfSummaryIndicators,
      },
    ],
  };
}
