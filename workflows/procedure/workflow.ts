/**
 * The procedure engine: one durable workflow runs one case of any procedure definition.
 *
 * - The workflow owns the case. Every change of state is a history entry; Prisma rows are its
 *   projection: the case's journal (workflows/shared/journal.ts) is written by the one idempotent
 *   projection activity.
 * - Decisions (sign-off, objection, figures, cancellation) are updates with validators: a refused
 *   decision throws an ApplicationFailure with a FailureType and leaves the case untouched.
 * - Deadlines are `condition(moved, timeout)`; a missed one leads to the explicit overdue state and
 *   the escalation ladder, which stops as soon as the stage is decided.
 * - State is JSON only and carried across continue-as-new.
 *
 * Versioning: commands may only change behind `patched()`; test/replay.test.ts replays recorded
 * histories of every procedure against this file.
 */
import * as wf from '@temporalio/workflow';
import { ApplicationFailure } from '@temporalio/workflow';
import {
  CancelCommand,
  CaseState,
  CaseSummary,
  CaseView,
  HistoryAction,
  HistoryEntry,
  IndicatorsCommand,
  ObjectionCommand,
  ProcedureInput,
  SA,
  SignOffCommand,
  cancelUpdate,
  indicatorsUpdate,
  objectionUpdate,
  openedUpdate,
  signOffUpdate,
  statusQuery,
} from './contract';
import {
  AutomaticStage,
  CheckStage,
  NoticeStage,
  Stage,
  dueAfter,
  escalationFor,
  evaluateRules,
  actionsOf,
} from './definition';
import { findTextProblems } from '../shared/text';
import { FailureType, validated } from '../shared/refuse';
import { Journal } from '../shared/journal';
import { CaseRules, type Decidable } from './rules';
import type { ProcedureSnapshot } from '../../activities/projection';
import { ONE_PROJECTION, activities } from '../shared/proxies';
import { Checkpoint, checkpointsOf, rungUnits, runLadder } from '../shared/ladder';

const { projectJournal, projectCase, notify, runAutomaticAction, computeDeadline, readIndicators } = activities;

/** Patch ids, in the order they were introduced. */
export const PATCHES = {
  /** tell the responsible units of a sign-off or parallel stage that a task has arrived */
  notifyOnStageEntry: 'notify-on-stage-entry',
  /** continue as new when the history passes `historyBound` events, not only when Temporal suggests it */
  continueAsNewAtBound: 'continue-as-new-at-bound',
} as const;

/** History events after which a case continues as new at its next stage (ProcedureInput.historyBound). */
const DEFAULT_HISTORY_BOUND = 10_000;

/** How many history entries a continued run carries (all of them are already projected). */
const CARRIED_HISTORY = 50;

export async function procedureWorkflow(input: ProcedureInput): Promise<CaseSummary> {
  // An input the projection could not store would lock the subject's case for the year: fail at once.
  const problems = findTextProblems(input, 1);
  if (problems.length) {
    throw ApplicationFailure.nonRetryable(`input cannot be stored: ${problems[0].path.join('.')} ${problems[0].message}`, FailureType.InvalidInput);
  }
  const def = input.definition;
  const state: CaseState = input.carried ?? {
    status: 'ACTIVE',
    stageIndex: 0,
    round: 0,
    stageEnteredAt: new Date(Date.now()).toISOString(),
    overdue: false,
    remindersSent: 0,
    escalationLevel: 0,
    entered: false,
    history: [],
    projectedCount: 0,
    seq: 0,
  };
  // the history is the case's journal; a continued run carries its newest entries
  const journal = new Journal<HistoryEntry>({ resendUnconfirmed: true }, { entries: state.history, confirmed: state.projectedCount });

  // ---- helpers ------------------------------------------------------------------------------

  const nowIso = () => new Date(Date.now()).toISOString();
  /** where the case stands and which decisions it admits: plain code over this state */
  const rules = new CaseRules(def, input, state);

  function record(action: HistoryAction, stage: Stage, extra: Partial<HistoryEntry> = {}): HistoryEntry {
    return journal.record({ action, stageKey: stage.key, stageName: stage.name, round: state.round, ...extra });
  }

  function upsertStageAttributes(): void {
    const stage = rules.currentStage();
    wf.upsertSearchAttributes([
      { key: SA.currentStage, value: state.status === 'ACTIVE' ? stage.key : state.status },
      { key: SA.responsibleOrgUnit, value: state.status === 'ACTIVE' ? rules.unitAt(stage.level) : null },
      { key: SA.dueAt, value: state.status === 'ACTIVE' && state.dueAt ? new Date(state.dueAt) : null },
      { key: SA.overdue, value: state.overdue },
    ]);
  }

  function recordEntry(stage: Stage): void {
    state.entered = true;
    record('STAGE_ENTERED', stage, {
      data: {
        kind: stage.kind,
        level: stage.level,
        responsibleOrgUnitId: rules.unitAt(stage.level),
        dueAt: state.dueAt,
        ...(state.dueProvisional ? { dueProvisional: true } : {}),
      },
    });
    upsertStageAttributes();
  }

  /**
   * Enters stage `index` (or completes the case past the last stage). Synchronous; a deadline in
   * working days needs the calendar, so such a stage is opened by the main loop (`openStage`).
   */
  function goTo(index: number): void {
    if (index >= def.stages.length) {
      state.status = 'COMPLETED';
      state.closedAt = nowIso();
      state.dueAt = undefined;
      state.overdue = false;
      record('COMPLETED', rules.currentStage());
      upsertStageAttributes();
      return;
    }
    const stage = def.stages[index];
    const enteredAt = Date.now();
    state.stageIndex = index;
    state.round++;
    state.stageEnteredAt = new Date(enteredAt).toISOString();
    state.overdue = false;
    state.remindersSent = 0;
    state.escalationLevel = 0;
    state.dueProvisional = undefined;
    state.blocked = undefined;
    if (stage.kind === 'parallel') {
      state.branchSigned = { ...state.branchSigned, [stage.key]: state.keptBranches?.[stage.key] ?? [] };
      if (state.keptBranches) delete state.keptBranches[stage.key];
    }
    const duration = rules.durationOf(stage);
    if (duration && 'calendar' in duration && duration.calendar === 'working') {
      state.dueAt = undefined;
      state.entered = false;
      return;
    }
    state.dueAt = duration ? new Date(dueAfter(enteredAt, duration)).toISOString() : undefined;
    recordEntry(stage);
  }

  /** Opens a stage whose deadline counts official working days. */
  async function openStage(stage: Stage, round: number): Promise<void> {
    const duration = rules.durationOf(stage);
    if (!duration || !('calendar' in duration) || duration.calendar !== 'working') {
      state.entered = true; // a state carried from before this field was kept
      return;
    }
    const due = await computeDeadline({ from: state.stageEnteredAt, workingDays: duration.days });
    if (state.round !== round || state.status !== 'ACTIVE') return;
    state.dueAt = due.dueAt;
    state.dueProvisional = due.provisional || undefined;
    recordEntry(stage);
  }

  /** Lets an update that moved the case answer with the next stage already open. */
  async function untilOpened(): Promise<void> {
    if (!state.entered) await wf.condition(() => state.entered || state.status !== 'ACTIVE');
  }


  /** Hands the unconfirmed history entries and the current snapshot to the projection. */
  async function project(): Promise<void> {
    await journal.project(async (entries, stateSeq) => {
      if (wf.patched(ONE_PROJECTION)) {
        await projectJournal({ caseType: 'procedure', caseId: input.caseId, stateSeq, entries, case: projection(journal.confirmed === 0) });
      } else {
        const { opening, ...rest } = projection(true);
        await projectCase({ caseId: input.caseId, stateSeq, entries, ...opening!, ...rest, snapshot: view(false), orgPath: input.orgPath });
      }
    });
    state.projectedCount = journal.confirmed;
  }

  /** The snapshot; the fields the row is created with only until a projection is confirmed. */
  function projection(withOpening: boolean): ProcedureSnapshot {
    return {
      subject: input.subject,
      year: input.year,
      snapshot: summary(),
      actions: actionsOf(def),
      ...(withOpening
        ? {
            opening: {
              workflowId: wf.workflowInfo().workflowId,
              procedureType: def.procedureType,
              definitionId: def.id,
              definitionVersion: def.version,
              profile: def.profile,
              subjectOrgUnitId: rules.unitAt(def.subjectLevel),
              startedBy: input.startedBy,
              startedAt: state.history.find((e) => e.action === 'STARTED')?.at,
            },
          }
        : {}),
    };
  }

  function summary(): CaseSummary {
    const { history: _history, ...rest } = view(false);
    return rest;
  }

  function view(withHistory = true): CaseView {
    const stage = rules.currentStage();
    return {
      caseId: input.caseId,
      definitionId: def.id,
      definitionVersion: def.version,
      profile: def.profile,
      status: state.status,
      closedAt: state.closedAt,
      stage:
        state.status === 'ACTIVE'
          ? {
              key: stage.key,
              name: stage.name,
              kind: stage.kind,
              level: stage.level,
              responsibleOrgUnitId: rules.unitAt(stage.level),
              roles: rules.rolesOf(stage),
              round: state.round,
              enteredAt: state.stageEnteredAt,
              dueAt: state.dueAt,
              overdue: state.overdue,
              escalationLevel: state.escalationLevel,
              dueProvisional: state.dueProvisional ?? false,
              pendingOrgUnitIds: rules.pendingUnits(stage),
              ...(stage.kind === 'parallel'
                ? {
                    branches: stage.branches.map((b) => ({
                      key: b.key,
                      name: b.name,
                      orgUnitId: rules.branchUnit(b.department),
                      signed: rules.signedBranches(stage).includes(b.key),
                    })),
                  }
                : {}),
              ...(state.blocked ? { blocked: state.blocked } : {}),
            }
          : undefined,
      history: withHistory ? state.history : [],
    };
  }

  // ---- decisions (the rules are workflows/procedure/rules.ts) ------------------------------------

  wf.setHandler(
    signOffUpdate,
    async (cmd) => {
      await untilOpened();
      const stage = rules.validateSignOff(cmd); // again: another update may have moved the case since validation
      const common = { actor: cmd.actor, comment: cmd.comment, attachments: cmd.attachments };
      const branch = stage.kind === 'parallel' ? { branch: cmd.branchKey } : {};
      if (cmd.decision === 'approve') {
        record('APPROVED', stage, {
          ...common,
          data: { confirmations: cmd.confirmations, ...branch, ...(cmd.indicators ? { indicators: cmd.indicators } : {}) },
        });
        if (stage.kind === 'parallel') {
          state.branchSigned = { ...state.branchSigned, [stage.key]: [...rules.signedBranches(stage), cmd.branchKey!] };
          if (rules.unsignedBranches(stage).length === 0) goTo(state.stageIndex + 1);
        } else {
          goTo(state.stageIndex + 1);
        }
      } else {
        const returnTo = stage.onReject!.returnTo;
        record('REJECTED', stage, { ...common, data: { returnTo, ...branch } });
        if (stage.kind === 'parallel' && stage.onReject.keepSignatures) {
          state.keptBranches = { ...state.keptBranches, [stage.key]: rules.signedBranches(stage) };
        }
        goTo(rules.indexOf(returnTo));
      }
      await untilOpened();
      await project();
      return summary();
    },
    {
      validator: validated((cmd: SignOffCommand) => {
        rules.validateSignOff(cmd);
        rules.validateSignOffFigures(cmd);
      }),
    },
  );

  wf.setHandler(
    objectionUpdate,
    async (cmd) => {
      const stage = rules.validateObjection(cmd);
      const returnTo = stage.onObjection.returnTo;
      record('OBJECTION', stage, {
        actor: cmd.actor,
        comment: cmd.content,
        attachments: cmd.attachments,
        data: { objectorName: cmd.objectorName, returnTo, objectionId: wf.currentUpdateInfo()?.id },
      });
      goTo(rules.indexOf(returnTo));
      await untilOpened();
      await project();
      return summary();
    },
    { validator: validated((cmd: ObjectionCommand) => rules.validateObjection(cmd)) },
  );

  wf.setHandler(
    indicatorsUpdate,
    async (cmd) => {
      rules.assertActive(); // the validator's verdict holds: nothing ran since (its rules stay out of replay)
      record('INDICATORS_SUBMITTED', rules.currentStage(), {
        actor: cmd.actor,
        comment: cmd.comment,
        data: { values: cmd.values, source: cmd.source },
      });
      await project(); // the figures are in the database before a blocked check reads them again
      state.recheckRequested = (state.recheckRequested ?? 0) + 1;
      return summary();
    },
    { validator: validated((cmd: IndicatorsCommand) => rules.validateIndicators(cmd)) },
  );

  wf.setHandler(
    cancelUpdate,
    async (cmd) => {
      rules.assertActive(); // the validator's verdict holds: nothing ran since (its rules stay out of replay)
      state.status = 'CANCELLED';
      state.closedAt = nowIso();
      record('CANCELLED', rules.currentStage(), { actor: cmd.actor, comment: cmd.reason });
      upsertStageAttributes();
      await project();
      return summary();
    },
    { validator: validated((cmd: CancelCommand) => rules.validateCancel(cmd)) },
  );

  wf.setHandler(openedUpdate, async () => {
    await wf.condition(() => journal.confirmed >= 1);
    return summary();
  });

  wf.setHandler(statusQuery, () => view());

  // ---- stages ---------------------------------------------------------------------------------

  async function fire(stage: Decidable, cp: Checkpoint, round: number): Promise<void> {
    const policy = escalationFor(def, stage);
    const responsible = rules.pendingUnits(stage);
    if (cp.kind === 'reminder') {
      const sent = await notify({
        caseId: input.caseId,
        kind: 'REMINDER',
        dedupeKey: `${input.caseId}:${round}:reminder:${cp.n}`,
        orgUnitIds: responsible,
        roles: rules.rolesOf(stage),
        title: `待办提醒：${input.subject.name}「${stage.name}」将于 ${state.dueAt!.slice(0, 10)} 到期`,
        body: `${def.name}（${input.subject.name}）的「${stage.name}」尚未办理，办理时限为 ${state.dueAt}。`,
      });
      state.remindersSent = Math.max(state.remindersSent, cp.n);
      record('REMINDED', stage, { data: { n: cp.n, orgUnitId: responsible[0], orgUnitIds: responsible, recipients: sent.recipients } });
      return;
    }
    if (!state.overdue) {
      state.overdue = true;
      record('OVERDUE', stage, { data: { dueAt: state.dueAt } });
      upsertStageAttributes();
    }
    const rung = policy.ladder[cp.n - 1];
    // a parallel group's "one level up" is the unit its departments belong to
    const { orgUnitIds } = rungUnits(rung, { responsible, above: stage.kind === 'parallel' ? rules.unitAt(stage.level) : rules.parentUnitOf(stage.level) });
    const sent = await notify({
      caseId: input.caseId,
      kind: 'ESCALATION',
      dedupeKey: `${input.caseId}:${round}:escalation:${cp.n}`,
      orgUnitIds,
      roles: rung.roles,
      title: `逾期督办（第${cp.n}级·${rung.label}）：${input.subject.name}「${stage.name}」已超期`,
      body: `${def.name}（${input.subject.name}）的「${stage.name}」应于 ${state.dueAt} 前办结，现已逾期，请督促办理。`,
    });
    state.escalationLevel = Math.max(state.escalationLevel, cp.n);
    record('ESCALATED', stage, {
      data: { rung: cp.n, label: rung.label, orgUnitId: orgUnitIds[0], orgUnitIds, dueAt: state.dueAt, recipients: sent.recipients },
    });
  }

  async function runDecidable(stage: Decidable, round: number): Promise<void> {
    const moved = () => state.round !== round || state.status !== 'ACTIVE';
    const settled = await runLadder({
      checkpoints: checkpointsOf(escalationFor(def, stage), { enteredAt: Date.parse(state.stageEnteredAt), dueAt: Date.parse(state.dueAt!) }),
      progress: state,
      settled: moved,
      fire: async (cp) => {
        await fire(stage, cp, round);
        await project();
      },
    });
    if (!settled) await wf.condition(moved);
  }

  async function runNotice(stage: NoticeStage, round: number): Promise<void> {
    const moved = () => state.round !== round || state.status !== 'ACTIVE';
    const wait = Date.parse(state.dueAt!) - Date.now();
    if (wait > 0 && (await wf.condition(moved, wait))) return;
    if (moved()) return;
    record('NOTICE_PASSED', stage, { data: { endsAt: state.dueAt } });
    goTo(state.stageIndex + 1);
  }

  async function runCheck(stage: CheckStage, round: number): Promise<void> {
    const moved = () => state.round !== round || state.status !== 'ACTIVE';
    for (;;) {
      const seen = state.recheckRequested ?? 0;
      // figures entered with the last decision must be in the database before they are read
      await wf.condition(() => journal.inFlight === 0);
      const { values } = await readIndicators({
        subjectType: input.subject.type,
        subjectId: input.subject.id,
        year: input.year,
        keys: stage.rules.map((r) => r.indicator),
      });
      if (moved()) return;
      const failures = evaluateRules(stage.rules, values, input.western ?? false);
      if (failures.length === 0) {
        state.blocked = undefined;
        record('CHECK_PASSED', stage, { data: { values } });
        goTo(state.stageIndex + 1);
        return;
      }
      state.blocked = { failures };
      record('CHECK_BLOCKED', stage, { comment: failures.map((f) => f.reason).join('；'), data: { values, failures } });
      await project();
      await wf.condition(() => moved() || (state.recheckRequested ?? 0) > seen);
      if (moved()) return;
    }
  }

  async function runAutomatic(stage: AutomaticStage, round: number): Promise<void> {
    const result = await runAutomaticAction({
      action: stage.action,
      caseId: input.caseId,
      subject: input.subject,
      year: input.year,
    });
    if (state.round !== round || state.status !== 'ACTIVE') return; // cancelled meanwhile
    record('AUTOMATIC_DONE', stage, { data: { action: stage.action, ...result } });
    goTo(state.stageIndex + 1);
  }

  /** Tells the units that must act that a task has arrived (in their inbox and notifications). */
  async function announce(stage: Decidable, round: number): Promise<void> {
    if (state.announcedRound === round || !wf.patched(PATCHES.notifyOnStageEntry)) return;
    state.announcedRound = round;
    const orgUnitIds = rules.pendingUnits(stage);
    const sent = await notify({
      caseId: input.caseId,
      kind: 'TASK',
      dedupeKey: `${input.caseId}:${round}:task`,
      orgUnitIds,
      roles: rules.rolesOf(stage),
      title: `新待办：${input.subject.name}「${stage.name}」`,
      body: `${def.name}（${input.subject.name}）已进入「${stage.name}」，请于 ${state.dueAt ?? '规定时限'} 前办理。`,
    });
    record('TASK_ASSIGNED', stage, { data: { orgUnitIds, recipients: sent.recipients } });
    await project();
  }

  // ---- main loop ------------------------------------------------------------------------------

  if (!input.carried) {
    record('STARTED', def.stages[0], { actor: input.startedBy, comment: input.comment });
    goTo(0);
  }

  while (state.status === 'ACTIVE') {
    const stage = rules.currentStage();
    const round = state.round;
    if (!state.entered) {
      await openStage(stage, round);
      if (state.round !== round) continue;
    }
    await project();
    switch (stage.kind) {
      case 'signoff':
      case 'parallel':
        await announce(stage, round);
        await runDecidable(stage, round);
        break;
      case 'notice':
        await runNotice(stage, round);
        break;
      case 'check':
        await runCheck(stage, round);
        break;
      case 'automatic':
        await runAutomatic(stage, round);
        break;
    }
    const info = wf.workflowInfo();
    const pastBound = () => info.historyLength > (input.historyBound ?? DEFAULT_HISTORY_BOUND) && wf.patched(PATCHES.continueAsNewAtBound);
    if (state.status === 'ACTIVE' && (info.continueAsNewSuggested || pastBound())) {
      await wf.condition(wf.allHandlersFinished);
      await project();
      const carry = journal.carry(CARRIED_HISTORY);
      await wf.continueAsNew<typeof procedureWorkflow>({
        ...input,
        carried: { ...state, history: carry.entries, projectedCount: carry.confirmed, seq: journal.seq },
      });
    }
  }

  await wf.condition(wf.allHandlersFinished);
  await project();
  return summary();
}
