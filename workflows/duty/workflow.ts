/**
 * One person's periodic duty for one period (a quarter or a year, China time): records come in as
 * updates; the duty's ladder (data: `DutyInput.escalation`) reminds the person before the period
 * ends while fewer than required are recorded, and at the end escalates a shortfall (a deputy's to
 * the unit's main leader, a main leader's to the level above); then the workflow continues as new
 * for the next period, so history stays bounded.
 */
import * as wf from '@temporalio/workflow';
import { FailureType, refuse, validated } from '../shared/refuse';
import { Journal, type JournalEntry } from '../shared/journal';
import { ONE_PROJECTION, activities } from '../shared/proxies';
import { checkpointsOf, rungUnits, runLadder } from '../shared/ladder';
import { CHINA_OFFSET_MS, periodOf } from '../../lib/dates';
import { DutyInput, DutyRecordCommand, DutyView, dutyLadder, dutyQuery, recordDutyUpdate } from './contract';

const { notify, projectJournal, projectDuty } = activities;

const LABEL = { visit: '走访贫困村', responsibility_letter: '签订脱贫攻坚责任书' } as const;

type DutyRecord = { id: string; date: string; villageId?: string; note?: string; at: string };

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
  const journal = new Journal({ resendUnconfirmed: false });
  const records: DutyRecord[] = [];
  const record = (action: string, extra: Omit<JournalEntry, 'seq' | 'at' | 'action'> = {}) => journal.record({ action, ...extra });
  async function project() {
    await journal.project(async (entries, stateSeq) => {
      const fresh = records.filter((r) => entries.some((e) => e.data?.recordId === r.id));
      const snapshot = { view: { ...view }, orgUnitId: input.orgUnitId, records: fresh };
      // a period's entries are kept apart by the period in the journal's key
      if (wf.patched(ONE_PROJECTION)) await projectJournal({ caseType: 'duty', caseId: `${dutyId}@${view.periodStart.slice(0, 10)}`, stateSeq, entries, case: snapshot });
      else await projectDuty({ ...snapshot, stateSeq, events: entries });
    });
  }

  function validate(cmd: DutyRecordCommand): void {
    if (!DutyRecordCommand.safeParse(cmd).success) refuse(FailureType.InvalidInput, 'malformed record');
    if (cmd.actor.personId !== input.personId) refuse(FailureType.WrongOrgUnit, 'a duty is recorded by the person who holds it');
    const day = Date.parse(`${cmd.date}T00:00:00Z`) - CHINA_OFFSET_MS;
    if (!Number.isFinite(day) || day < start || day >= end || day > Date.now()) {
      refuse(FailureType.InvalidInput, 'the date must fall in this period and not in the future');
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

  const policy = input.escalation ?? dutyLadder(input.role, input.remindBeforeDays);
  const progress = { remindersSent: 0, escalationLevel: 0 };
  const settled = await runLadder({
    checkpoints: checkpointsOf(policy, { enteredAt: Date.now(), dueAt: end }),
    progress,
    settled: enough,
    minimumWaitMs: 1, // the shortfall is judged at the period's end, never before
    fire: async (cp) => {
      if (cp.kind === 'reminder') {
        progress.remindersSent = cp.n;
        const sent = await notify({
          caseId: dutyId,
          kind: 'REMINDER',
          dedupeKey: cp.n === 1 ? `${dutyId}:${view.periodStart}:reminder` : `${dutyId}:${view.periodStart}:reminder:${cp.n}`,
          orgUnitIds: [],
          personIds: [input.personId],
          roles: [input.role],
          title: `履职提醒：本期${LABEL[input.kind]}尚差 ${input.required - view.count} 次`,
          body: `${input.personName}同志，本期（截至 ${view.periodEnd.slice(0, 10)}）应${LABEL[input.kind]} ${input.required} 次，已记录 ${view.count} 次（004 第十九条）。`,
        });
        record('REMINDED', { data: { n: cp.n, recipients: sent.recipients } });
        await project();
        return;
      }
      progress.escalationLevel = cp.n;
      if (cp.n === 1) {
        view.missed = true;
        view.missedPeriods++;
        view.lastMissedAt = view.periodEnd;
      }
      const rung = policy.ladder[cp.n - 1];
      const sent = await notify({
        caseId: dutyId,
        kind: 'ESCALATION',
        dedupeKey: cp.n === 1 ? `${dutyId}:${view.periodStart}:missed` : `${dutyId}:${view.periodStart}:missed:${cp.n}`,
        ...rungUnits(rung, { responsible: [input.orgUnitId], parentOf: input.orgUnitId }),
        roles: rung.roles,
        title: `履职督办：${input.personName}本期${LABEL[input.kind]}未达要求`,
        body: `${input.personName}本期应${LABEL[input.kind]} ${input.required} 次，实际 ${view.count} 次，请督促落实。`,
      });
      record('MISSED', { data: { count: view.count, required: input.required, rung: cp.n, label: rung.label, recipients: sent.recipients } });
      await project();
    },
  });
  // enough before the end: the period still runs to its end
  if (settled) await wf.sleep(Math.max(end - Date.now(), 1));
  await wf.condition(wf.allHandlersFinished);
  await project();
  await wf.continueAsNew<typeof dutyWorkflow>({ ...input, missedPeriods: view.missedPeriods, lastMissedAt: view.lastMissedAt });
}
