/**
 * Contract of periodic duties (004 art. 19; 000 篇三 art. 4/17/26/36): leaders' visits to their
 * villages (main leaders ≥ 2 a year, deputies in charge ≥ 1 a quarter) and the responsibility
 * letters (责任书) signed every year at every level. One workflow per person and duty, one run per
 * period, continued as new at each period's end.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { IsoDate } from '../../lib/dates';
import { z } from 'zod';
import { Actor } from '../procedure/contract';
import { EscalationPolicy, oneRung } from '../shared/ladder';

export const DUTY_KINDS = ['visit', 'responsibility_letter'] as const;
export type DutyKind = (typeof DUTY_KINDS)[number];
export const dutyWorkflowId = (kind: DutyKind, personId: string) => `duty:${kind}:${personId}`;

export interface DutyInput {
  personId: string;
  personName: string;
  orgUnitId: string;
  role: 'STAFF' | 'DEPUTY' | 'LEADER';
  kind: DutyKind;
  period: 'quarter' | 'year';
  required: number;
  /** a reminder this many days before the period ends, while fewer than required are recorded */
  remindBeforeDays: number;
  /** who is told of a shortfall at the period's end (runs started before it was data: `dutyLadder`) */
  escalation?: EscalationPolicy;
  /** carried across periods by continue-as-new */
  missedPeriods?: number;
  lastMissedAt?: string;
}

export const DutyRecordBody = z
  .object({
    /** the day of the visit or signature (China date) */
    date: IsoDate,
    villageId: z.string().min(1).max(100).optional(),
    note: z.string().max(2000).optional(),
  })
  .strict();
export const DutyRecordCommand = DutyRecordBody.extend({ actor: Actor }).strict();
export type DutyRecordCommand = z.infer<typeof DutyRecordCommand>;

export interface DutyView {
  dutyId: string;
  personId: string;
  kind: DutyKind;
  period: 'quarter' | 'year';
  required: number;
  periodStart: string;
  periodEnd: string;
  count: number;
  missed: boolean;
  missedPeriods: number;
  lastMissedAt?: string;
}

export const recordDutyUpdate = defineUpdate<DutyView, [DutyRecordCommand]>('record');
export const dutyQuery = defineQuery<DutyView>('duty');

type DutyTerms = Pick<DutyInput, 'kind' | 'period' | 'required' | 'remindBeforeDays' | 'escalation'>;

/**
 * The ladder of a duty: a reminder to the person `remindBeforeDays` before the period ends, then a
 * shortfall is escalated to the unit's main leader — or, for the main leader's own duty, to the
 * leaders one level up (004 art. 19, 24).
 */
export function dutyLadder(role: DutyInput['role'], remindBeforeDays: number): EscalationPolicy {
  const policy =
    role === 'LEADER' ? oneRung('上级主要负责人、分管负责人', ['LEADER', 'DEPUTY'], 'parent') : oneRung('本单位主要负责人', ['LEADER']);
  return { ...policy, remindBefore: [{ days: remindBeforeDays, calendar: 'natural' }] };
}

/** The obligations of 004 art. 19 and the yearly responsibility letters, by role. */
export function dutiesOf(role: string, level: string): DutyTerms[] {
  const duties: DutyTerms[] = [];
  const visits = level === 'COUNTY' || level === 'TOWNSHIP' || level === 'CITY';
  if (visits && role === 'LEADER') duties.push({ kind: 'visit', period: 'year', required: 2, remindBeforeDays: 30, escalation: dutyLadder('LEADER', 30) });
  if (visits && role === 'DEPUTY') duties.push({ kind: 'visit', period: 'quarter', required: 1, remindBeforeDays: 15, escalation: dutyLadder('DEPUTY', 15) });
  if (role === 'LEADER') duties.push({ kind: 'responsibility_letter', period: 'year', required: 1, remindBeforeDays: 30, escalation: dutyLadder('LEADER', 30) });
  return duties;
}
