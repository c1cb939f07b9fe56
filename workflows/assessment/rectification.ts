/**
 * Rectification of the problems an assessment found (反馈问题整改, 003 篇五). Phases open and close on
 * the dates of the timetable (data, counted from the day of issue); the unit hands in its plan —
 * for each problem a lead unit (牵头单位), responsible units (责任单位), measures and a deadline (a
 * date, a number of working days, or 长期坚持) — and its report. Each responsible unit closes its
 * part of an item with evidence, the lead unit confirms. A missed phase deliverable escalates to
 * the unit's leaders; an item past its deadline escalates to its responsible units' leaders; a
 * unit with `overdueItemsForLevelUp` overdue items escalates a level up (004 art. 24 pattern).
 */
import * as wf from '@temporalio/workflow';
import { FailureType, refuse, validated } from '../shared/refuse';
import { Journal, type JournalEntry } from '../shared/journal';
import { ONE_PROJECTION, activities } from '../shared/proxies';
import { EscalationPolicy, checkpointsOf, rungUnits, runCheckpoints } from '../shared/ladder';
import { endOfChinaDate } from '../../lib/dates';
import { SA } from '../procedure/contract';
import {
  ItemActionCommand,
  PlanCommand,
  RectificationInput,
  RectificationItemView,
  RectificationView,
  ReportCommand,
  itemUpdate,
  planUpdate,
  rectificationQuery,
  reportUpdate,
} from './contract';
import { DEFAULT_LADDERS, timetable } from './definition';

const { projectJournal, projectRectification, notify, computeDeadline } = activities;

/** Patch: continue as new when the history passes `historyBound` events. */
const CONTINUE_AS_NEW_AT_BOUND = 'rectification-continue-as-new-at-bound';
const DEFAULT_HISTORY_BOUND = 10_000;

export async function rectificationWorkflow(input: RectificationInput): Promise<RectificationView> {
  const { carried } = input;
  const issuedAt = carried ? Date.parse(carried.view.issuedAt) : input.issuedAt ? Date.parse(input.issuedAt) : Date.now();
  const view: RectificationView = carried?.view ?? {
    id: input.rectificationId,
    unitId: input.unit.id,
    year: input.year,
    status: 'ACTIVE',
    phase: input.phases[0].key,
    issuedAt: new Date(issuedAt).toISOString(),
    timetable: timetable(issuedAt, input.phases),
    overdue: false,
    items: [],
  };
  const journal = new Journal({ resendUnconfirmed: false }, carried?.journal);
  const ladders = input.escalation ?? DEFAULT_LADDERS.rectification;
  /** bumped by every decision, so the timer loop recomputes */
  let changes = 0;
  const escalatedUnits = new Set<string>(carried?.escalatedUnits);

  const record = (action: string, extra: Omit<JournalEntry, 'seq' | 'at' | 'action'> = {}) => {
    journal.record({ action, ...extra });
    changes++;
  };
  async function project(): Promise<void> {
    await journal.project(async (entries, stateSeq, changed) => {
      // only the items changed since the last confirmed projection
      const items = view.items.filter((i) => changed(`item:${i.seq}`)).map((i) => ({ ...i }));
      const snapshot = { view: { ...view, items }, unitName: input.unit.name, assessmentId: input.assessmentId };
      if (wf.patched(ONE_PROJECTION)) await projectJournal({ caseType: 'rectification', caseId: input.rectificationId, stateSeq, entries, case: snapshot });
      else await projectRectification({ ...snapshot, stateSeq, events: entries });
    });
  }
  const item = (n: number): RectificationItemView => {
    const found = view.items.find((i) => i.seq === n);
    if (!found) refuse(FailureType.InvalidInput, `no item ${n}`);
    return found;
  };
  const isUnitLeader = (cmd: { actor: { orgUnitId: string; role: string } }) => {
    if (cmd.actor.orgUnitId !== input.unit.id) refuse(FailureType.WrongOrgUnit, 'only the rectified unit may do this');
    if (cmd.actor.role === 'STAFF') refuse(FailureType.WrongRole, 'needs the deputy in charge or the main leader');
  };
  const assertActive = () => {
    if (view.status !== 'ACTIVE') refuse(FailureType.CaseClosed, 'rectification is completed');
  };

  // ---- decisions ------------------------------------------------------------------------------

  function validatePlan(cmd: PlanCommand): void {
    if (!PlanCommand.safeParse(cmd).success) refuse(FailureType.InvalidInput, 'malformed plan');
    assertActive();
    isUnitLeader(cmd);
    if (view.planSubmittedAt) refuse(FailureType.AlreadyDecided, 'the plan is already submitted');
    const covered = new Set(cmd.items.map((i) => i.problemSeq));
    const uncovered = input.problems.filter((p) => !covered.has(p.seq));
    if (uncovered.length) refuse(FailureType.InvalidInput, `every problem needs an item: missing ${uncovered.map((p) => p.seq).join(', ')}`);
    if (cmd.items.some((i) => !input.problems.some((p) => p.seq === i.problemSeq))) refuse(FailureType.InvalidInput, 'unknown problem');
  }

  function validateItem(cmd: ItemActionCommand): RectificationItemView {
    if (!ItemActionCommand.safeParse(cmd).success) refuse(FailureType.InvalidInput, 'malformed item action');
    assertActive();
    const it = item(cmd.itemSeq);
    if (it.status === 'CONFIRMED') refuse(FailureType.AlreadyDecided, `item ${it.seq} is confirmed`);
    if (cmd.action === 'confirm') {
      if (cmd.actor.orgUnitId !== it.leadUnitId) refuse(FailureType.WrongOrgUnit, 'only the lead unit confirms an item');
      if (it.status !== 'AWAITING_CONFIRMATION') refuse(FailureType.WrongStage, 'not every responsible unit has closed its part yet');
    } else {
      if (!it.responsibleUnitIds.includes(cmd.actor.orgUnitId)) refuse(FailureType.WrongOrgUnit, 'only a responsible unit reports on an item');
      if (cmd.action === 'close') {
        if (it.closedUnitIds.includes(cmd.actor.orgUnitId)) refuse(FailureType.AlreadyDecided, 'your unit has closed this item');
        if (cmd.attachments.length === 0) refuse(FailureType.MissingConfirmation, 'closing an item needs evidence');
      }
    }
    return it;
  }

  function validateReport(cmd: ReportCommand): void {
    if (!ReportCommand.safeParse(cmd).success) refuse(FailureType.InvalidInput, 'malformed report');
    assertActive();
    isUnitLeader(cmd);
    if (!view.planSubmittedAt) refuse(FailureType.WrongStage, 'the plan comes first');
    if (view.reportSubmittedAt) refuse(FailureType.AlreadyDecided, 'the report is already submitted');
  }

  wf.setHandler(
    planUpdate,
    async (cmd) => {
      validatePlan(cmd);
      view.planSubmittedAt = new Date(Date.now()).toISOString();
      const items: RectificationItemView[] = cmd.items.map((i, n) => {
        const problem = input.problems.find((p) => p.seq === i.problemSeq)!;
        const kind = 'date' in i.deadline ? 'date' : 'workingDays' in i.deadline ? 'working_days' : 'standing';
        return {
          seq: n + 1,
          problemSeq: problem.seq,
          problemType: problem.type,
          description: problem.description,
          leadUnitId: i.leadUnitId,
          responsibleUnitIds: i.responsibleUnitIds,
          measures: i.measures,
          deadlineKind: kind,
          dueAt: 'date' in i.deadline ? endOfChinaDate(i.deadline.date).toISOString() : undefined,
          status: 'OPEN',
          closedUnitIds: [],
          overdue: false,
          evidence: [],
        };
      });
      // working-day deadlines count from the plan's submission on the official calendar
      for (const [n, i] of cmd.items.entries()) {
        if ('workingDays' in i.deadline) {
          const due = await computeDeadline({ from: view.planSubmittedAt, workingDays: i.deadline.workingDays });
          items[n].dueAt = due.dueAt;
          items[n].dueProvisional = due.provisional;
        }
      }
      view.items = items;
      journal.touch(...items.map((i) => `item:${i.seq}`));
      record('PLAN_SUBMITTED', { actor: cmd.actor, data: { items: items.length } });
      await project();
      return view;
    },
    { validator: validated(validatePlan) },
  );

  wf.setHandler(
    itemUpdate,
    async (cmd) => {
      const it = validateItem(cmd);
      if (cmd.action === 'close') {
        it.closedUnitIds = [...it.closedUnitIds, cmd.actor.orgUnitId];
        it.evidence = [...it.evidence, ...cmd.attachments];
        if (it.responsibleUnitIds.every((u) => it.closedUnitIds.includes(u))) it.status = 'AWAITING_CONFIRMATION';
      } else if (cmd.action === 'confirm') {
        it.status = 'CONFIRMED';
        it.confirmedAt = new Date(Date.now()).toISOString();
      }
      journal.touch(`item:${it.seq}`);
      record(`ITEM_${cmd.action.toUpperCase()}`, { actor: cmd.actor, comment: cmd.note, data: { item: it.seq, attachments: cmd.attachments } });
      await project();
      return view;
    },
    { validator: validated(validateItem) },
  );

  wf.setHandler(
    reportUpdate,
    async (cmd) => {
      validateReport(cmd);
      view.reportSubmittedAt = new Date(Date.now()).toISOString();
      record('REPORT_SUBMITTED', { actor: cmd.actor, comment: cmd.summary, data: { attachments: cmd.attachments } });
      await project();
      return view;
    },
    { validator: validated(validateReport) },
  );

  wf.setHandler(rectificationQuery, () => view);

  // ---- time ---------------------------------------------------------------------------------

  const delivered = (deliverable: string | undefined) =>
    deliverable === 'plan'
      ? !!view.planSubmittedAt
      : deliverable === 'report'
        ? !!view.reportSubmittedAt
        : deliverable === 'all_items'
          ? !!view.planSubmittedAt && view.items.every((i) => i.deadlineKind === 'standing' || i.status === 'CONFIRMED')
          : true;

  /** Tells the units of a ladder's rung that something is late. */
  async function escalate(dedupe: string, policy: EscalationPolicy, n: number, units: string[], title: string, body: string) {
    const rung = policy.ladder[n - 1];
    return notify({
      caseId: input.rectificationId,
      kind: 'ESCALATION',
      dedupeKey: `${input.rectificationId}:${dedupe}${n > 1 ? `:${n}` : ''}`,
      ...rungUnits(rung, { responsible: units, parentOf: units[0] }),
      roles: rung.roles,
      title,
      body,
    });
  }

  /** The rungs of a deadline's ladder (reminders are the procedure engine's alone, for now). */
  const rungsOf = (policy: EscalationPolicy, opensAt: string, dueAt: string) =>
    checkpointsOf(policy, { enteredAt: Date.parse(opensAt), dueAt: Date.parse(dueAt) }).filter((cp) => cp.kind === 'rung');

  type Due = { at: number; key: string; run: () => Promise<void> };
  const done = new Set<string>(carried?.done);
  const closed = new Set<string>(carried?.closed);

  function pending(): Due[] {
    const dues: Due[] = [];
    for (const phase of input.phases) {
      const t = view.timetable[phase.key];
      const policy = phase.deliverable === 'all_items' ? ladders.finalPhase : ladders.phase;
      dues.push({
        at: Date.parse(t.opensAt),
        key: `open:${phase.key}`,
        run: async () => {
          // report and completion run alongside: the phase shown is the sequential one
          if (!phase.deliverable || phase.key === input.phases[0].key) view.phase = phase.key;
          record('PHASE_OPENED', { data: { phase: phase.key, name: phase.name } });
          wf.upsertSearchAttributes([{ key: SA.currentStage, value: phase.key }, { key: SA.dueAt, value: new Date(t.closesAt) }]);
        },
      });
      for (const cp of rungsOf(policy, t.opensAt, t.closesAt)) {
        dues.push({
          at: cp.at,
          key: `close:${phase.key}:${cp.n}`,
          run: async () => {
            if (cp.n === 1) {
              closed.add(phase.key);
              record('PHASE_CLOSED', { data: { phase: phase.key, delivered: delivered(phase.deliverable) } });
            }
            if (delivered(phase.deliverable)) return;
            view.overdue = true;
            wf.upsertSearchAttributes([{ key: SA.overdue, value: true }]);
            const sent = await escalate(
              `phase:${phase.key}`,
              policy,
              cp.n,
              [input.unit.id],
              `整改逾期督办：${input.unit.name}未按期完成「${phase.name}」`,
              `${input.year}年度考核反馈问题整改的「${phase.name}」应于 ${t.closesAt} 前完成（003 篇五），现已逾期。`,
            );
            record('PHASE_MISSED', { data: { phase: phase.key, rung: cp.n, recipients: sent.recipients } });
          },
        });
      }
    }
    for (const it of view.items) {
      if (!it.dueAt) continue;
      for (const cp of rungsOf(ladders.item, view.planSubmittedAt ?? view.issuedAt, it.dueAt)) {
        dues.push({
          at: cp.at,
          key: `item:${it.seq}:${cp.n}`,
          run: async () => {
            if (it.status === 'CONFIRMED') return;
            it.overdue = true;
            journal.touch(`item:${it.seq}`);
            const late = it.responsibleUnitIds.filter((u) => !it.closedUnitIds.includes(u));
            const sent = await escalate(
              `item:${it.seq}`,
              ladders.item,
              cp.n,
              late.length ? late : [it.leadUnitId],
              `整改事项逾期：第${it.seq}项「${it.description.slice(0, 30)}」`,
              `整改事项第${it.seq}项应于 ${it.dueAt} 前完成并经牵头单位确认，现已逾期。`,
            );
            record('ITEM_OVERDUE', { data: { item: it.seq, rung: cp.n, units: late, recipients: sent.recipients } });
            // a unit with too many overdue items answers to the level above
            for (const unitId of it.responsibleUnitIds) {
              const overdue = view.items.filter((x) => x.overdue && x.status !== 'CONFIRMED' && x.responsibleUnitIds.includes(unitId)).length;
              if (overdue < input.overdueItemsForLevelUp || escalatedUnits.has(unitId)) continue;
              escalatedUnits.add(unitId);
              const up = await escalate(
                `level-up:${unitId}`,
                ladders.levelUp,
                1,
                [unitId],
                `整改问责预警：责任单位有 ${overdue} 项整改事项逾期`,
                `该单位在${input.unit.name}${input.year}年度反馈问题整改中已有 ${overdue} 项事项逾期，按规定报上一级督办。`,
              );
              record('UNIT_ESCALATED', { data: { unitId, overdueItems: overdue, recipients: up.recipients } });
            }
          },
        });
      }
    }
    return dues.filter((d) => !done.has(d.key)).sort((a, b) => a.at - b.at);
  }

  if (!carried) {
    record('ISSUED', { data: { problems: input.problems, timetable: view.timetable } });
    await project();
  }
  const finished = () => input.phases.every((p) => closed.has(p.key)) && delivered('all_items');
  const pastBound = () => wf.workflowInfo().historyLength > (input.historyBound ?? DEFAULT_HISTORY_BOUND) && wf.patched(CONTINUE_AS_NEW_AT_BOUND);
  await runCheckpoints({
    next: () => pending()[0],
    stopWhen: () => finished() || pastBound(),
    idle: () => wf.condition(() => delivered('all_items')),
    // a decision may have added items or delivered a phase: what is due is taken again
    version: () => changes,
    onChange: project,
    fire: async (due) => {
      done.add(due.key);
      await due.run();
      await project();
    },
  });
  if (!finished()) {
    // the history passed its bound: the next run goes on from here with the state and the journal
    await wf.condition(wf.allHandlersFinished);
    await project();
    await wf.continueAsNew<typeof rectificationWorkflow>({
      ...input,
      carried: { view, done: [...done], closed: [...closed], escalatedUnits: [...escalatedUnits], journal: journal.carry(0) },
    });
  }
  view.status = 'COMPLETED';
  view.phase = 'done';
  record('COMPLETED');
  await wf.condition(wf.allHandlersFinished);
  await project();
  return view;
}
