/**
 * One person's periodic duty for one period (a quarter or a year, China time): records come in as
 * updates; a reminder goes out before the period ends while fewer than required are recorded; at
 * the end a shortfall is escalated (a deputy's to the unit's main leader, a main leader's to the
 * level above); then the workflow continues as new for the next period, so history stays bounded.
 */
import * as wf from '@temporalio/workflow';
import { ApplicationFailure } from '@temporalio/workflow';
import { validated } from '../shared/refuse';
import type { AssessmentActivities } from '../../activities/assessment';
import type { ProcedureActivities } from '../../activities/procedure';
import { FailureType } from '../procedure/contract';
import type { CaseEventEntry } from '../assessment/contract';
import { DutyInput, DutyRecordCommand, DutyView, dutyQuery, recordDutyUpdate } from './contract';

const { notify } = wf.proxyActivities<ProcedureActivities>({ startToCloseTimeout: '30 seconds' });
const { projectDuty } = wf.proxyActivities<AssessmentActivities>({ startToCloseTimeout: '30 seconds' });

const DAY_MS = 86_400_000;
const CHINA_MS = 8 * 3_600_000;
const LABEL = { visit: '走访贫困村', responsibility_letter: '签订脱贫攻坚责任书' } as const;

/** The quarter or year containing an instant, as China-time boundaries. */
export function periodOf(ms: number, period: 'quarter' | 'year'): { start: number; end: number } {
  const local = new Date(ms + CHINA_MS);
  const y = local.getUTCFullYear();
  if (period === 'year') return { start: Date.UTC(y, 0, 1) - CHINA_MS, end: Date.UTC(y + 1, 0, 1) - CHINA_MS };
  const q = Math.floor(local.getUTCMonth() / 3);
  return { start: Date.UTC(y, q * 3, 1) - CHINA_MS, end: Date.UTC(y, q * 3 + 3, 1) - CHINA_MS };
}

export async function dutyWorkflow(input: DutyInput): Promise<void> {
  const dutyId = wf.workflowInfo().workflowId;
  const { start, end } = periodOf(Date.now(), input.period);
  const view: DutyView = {
    dutyId,
    personId: input.personId,
    kind: input.kind,
    period: input.period,
    required: input.required,
    periodStart: new Date(start).toISOString(),
    periodEnd: new Date(end).toISOString(),
    count: 0,
    missed: false,
    missedPeriods: input.missedPeriods ?? 0,
    lastMissedAt: input.lastMissedAt,
  };
  const events: CaseEventEntry[] = [];
  const records: Array<{ id: string; date: string; villageId?: string; note?: string; at: string }> = [];
  let seq = 0;
  /** highest event seq handed to a projection, and the highest whose projection completed */
  let sent = 0;
  let confirmed = 0;
  const record = (action: string, extra: Partial<CaseEventEntry> = {}) =>
    events.push({ seq: ++seq, at: new Date(Date.now()).toISOString(), action, ...extra });
  async function project() {
    if (sent === seq) return;
    // everything past the confirmed watermark goes again (written idempotently): no gaps
    const fresh = events.filter((e) => e.seq > confirmed);
    const upTo = seq;
    const freshRecords = records.filter((r) => fresh.some((e) => e.data?.recordId === r.id));
    sent = upTo;
    await projectDuty({ view: { ...view }, orgUnitId: input.orgUnitId, stateSeq: seq, events: fresh, records: freshRecords });
    confirmed = Math.max(confirmed, upTo);
  }

  function validate(cmd: DutyRecordCommand): void {
    if (!DutyRecordCommand.safeParse(cmd).success) throw ApplicationFailure.create({ type: FailureType.InvalidInput, message: 'malformed record', nonRetryable: true });
    if (cmd.actor.personId !== input.personId) {
      throw ApplicationFailure.create({ type: FailureType.WrongOrgUnit, message: 'a duty is recorded by the person who holds it', nonRetryable: true });
    }
    const day = Date.parse(`${cmd.date}T00:00:00Z`) - CHINA_MS;
    if (!Number.isFinite(day) || day < start || day >= end || day > Date.now()) {
      throw ApplicationFailure.create({ type: FailureType.InvalidInput, message: `the date must fall in this period and not in the future`, nonRetryable: true });
    }
  }

  wf.setHandler(
    recordDutyUpdate,
    async (cmd) => {
      // the validator's verdict holds (nothing ran since); its rules stay out of replay
      const id = wf.currentUpdateInfo()?.id ?? wf.uuid4();
      records.push({ id, date: cmd.date, villageId: cmd.villageId, note: cmd.note, at: new Date(Date.now()).toISOString() });
      view.count++;
      record('RECORDED', { actor: cmd.actor, comment: cmd.note, data: { recordId: id, date: cmd.date, villageId: cmd.villageId } });
      await project();
      return view;
    },
    { validator: validated(validate) },
  );
  wf.setHandler(dutyQuery, () => view);

  const enough = () => view.count >= input.required;
  record('PERIOD_OPENED', { data: { periodStart: view.periodStart, periodEnd: view.periodEnd, required: input.required } });
  await project();

  const remindAt = end - input.remindBeforeDays * DAY_MS;
  if (remindAt > Date.now() && !(await wf.condition(enough, remindAt - Date.now()))) {
    const sent = await notify({
      caseId: dutyId,
      kind: 'REMINDER',
      dedupeKey: `${dutyId}:${view.periodStart}:reminder`,
      orgUnitIds: [],
      personIds: [input.personId],
      roles: [input.role],
      title: `履职提醒：本期${LABEL[input.kind]}尚差 ${input.required - view.count} 次`,
      body: `${input.personName}同志，本期（截至 ${view.periodEnd.slice(0, 10)}）应${LABEL[input.kind]} ${input.required} 次，已记录 ${view.count} 次（004 第十九条）。`,
    });
    record('REMINDED', { data: { recipients: sent.recipients } });
    await project();
  }
  if (!(await wf.condition(enough, Math.max(end - Date.now(), 1)))) {
    view.missed = true;
    view.missedPeriods++;
    view.lastMissedAt = view.periodEnd;
    const sent = await notify({
      caseId: dutyId,
      kind: 'ESCALATION',
      dedupeKey: `${dutyId}:${view.periodStart}:missed`,
      ...(input.role === 'LEADER' ? { orgUnitIds: [], parentOf: input.orgUnitId, roles: ['LEADER', 'DEPUTY'] } : { orgUnitIds: [input.orgUnitId], roles: ['LEADER'] }),
      title: `履职督办：${input.personName}本期${LABEL[input.kind]}未达要求`,
      body: `${input.personName}本期应${LABEL[input.kind]} ${input.required} 次，实际 ${view.count} 次，请督促落实。`,
    });
    record('MISSED', { data: { count: view.count, required: input.required, recipients: sent.recipients } });
    await project();
  } else {
    await wf.condition(() => false, Math.max(end - Date.now(), 1)); // enough: the period still runs to its end
  }
  await wf.condition(wf.allHandlersFinished);
  await project();
  await wf.continueAsNew<typeof dutyWorkflow>({ ...input, missedPeriods: view.missedPeriods, lastMissedAt: view.lastMissedAt });
}
