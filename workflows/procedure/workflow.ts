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
 * - The shape: `procedureWorkflow` checks its input and hands it to a `ProcedureCase` (state,
 *   journal, handlers, the stage loop); the rules of decisions are plain code (rules.ts), the
 *   journal, the ladder and the projection are shared with every workflow (../shared/).
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
  ProcedureDefinition,
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
import type { NotificationRequest, ProcedureSnapshot } from '../../activities/projection';
import { LOCAL_PROJECTION, ONE_PROJECTION, activities, localActivities } from '../shared/proxies';
import { Checkpoint, checkpointsOf, rungUnits, runLadder } from '../shared/ladder';

const { projectJournal, projectCase, notify, runAutomaticAction, computeDeadline, readIndicators } = activities;

/** Patch ids, in the order they were introduced. */
export const PATCHES = {
  /** tell the responsible units of a sign-off or parallel stage that a task has arrived */
  notifyOnStageEntry: 'notify-on-stage-entry',
  /** continue as new when the history passes `historyBound` events, not only when Temporal suggests it */
  continueAsNewAtBound: 'continue-as-new-at-bound',
  /**
   * one write per decision: the task, reminder and escalation notifications go out with the
   * projection, in its transaction (no `notify` activity); a decision that moves the case answers
   * once the main loop's one projection of the next stage has landed, not after one of its own
   */
  oneWritePerDecision: 'one-write-per-decision',
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
  const kase = new ProcedureCase(input);
  kase.registerHandlers();
  return kase.run();
}

/**
 * One case: its state, its journal and its rules, the handlers of its decisions and the loop that
 * runs its stages (the shape of temporalio/samples-typescript `safe-message-handlers`).
 */
class ProcedureCase {
  private readonly def: ProcedureDefinition;
  private readonly state: CaseState;
  /** the history is the case's journal; a continued run carries its newest entries */
  private readonly journal: Journal<HistoryEntry>;
  /** where the case stands and which decisions it admits: plain code over this state */
  private readonly rules: CaseRules;
  /** notifications asked for by entries not yet confirmed: they go out with those entries */
  private outbox: NotificationRequest[] = [];

  constructor(private readonly input: ProcedureInput) {
    this.def = input.definition;
    this.state = input.carried ?? {
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
    this.journal = new Journal<HistoryEntry>({ resendUnconfirmed: true }, { entries: this.state.history, confirmed: this.state.projectedCount });
    this.rules = new CaseRules(this.def, input, this.state);
  }

  private nowIso(): string {
    return new Date(Date.now()).toISOString();
  }

  private record(action: HistoryAction, stage: Stage, extra: Partial<HistoryEntry> = {}): HistoryEntry {
    return this.journal.record({ action, stageKey: stage.key, stageName: stage.name, round: this.state.round, ...extra });
  }

  private upsertStageAttributes(): void {
    const stage = this.rules.currentStage();
    wf.upsertSearchAttributes([
      { key: SA.currentStage, value: this.state.status === 'ACTIVE' ? stage.key : this.state.status },
      { key: SA.responsibleOrgUnit, value: this.state.status === 'ACTIVE' ? this.rules.unitAt(stage.level) : null },
      { key: SA.dueAt, value: this.state.status === 'ACTIVE' && this.state.dueAt ? new Date(this.state.dueAt) : null },
      { key: SA.overdue, value: this.state.overdue },
    ]);
  }

  private recordEntry(stage: Stage): void {
    this.state.entered = true;
    this.record('STAGE_ENTERED', stage, {
      data: {
        kind: stage.kind,
        level: stage.level,
        responsibleOrgUnitId: this.rules.unitAt(stage.level),
        dueAt: this.state.dueAt,
        ...(this.state.dueProvisional ? { dueProvisional: true } : {}),
      },
    });
    this.upsertStageAttributes();
  }

  /**
   * Enters stage `index` (or completes the case past the last stage). Synchronous; a deadline in
   * working days needs the calendar, so such a stage is opened by the main loop (`this.openStage`).
   */
  private goTo(index: number): void {
    if (index >= this.def.stages.length) {
      this.state.status = 'COMPLETED';
      this.state.closedAt = this.nowIso();
      this.state.dueAt = undefined;
      this.state.overdue = false;
      this.record('COMPLETED', this.rules.currentStage());
      this.upsertStageAttributes();
      return;
    }
    const stage = this.def.stages[index];
    const enteredAt = Date.now();
    this.state.stageIndex = index;
    this.state.round++;
    this.state.stageEnteredAt = new Date(enteredAt).toISOString();
    this.state.overdue = false;
    this.state.remindersSent = 0;
    this.state.escalationLevel = 0;
    this.state.dueProvisional = undefined;
    this.state.blocked = undefined;
    if (stage.kind === 'parallel') {
      this.state.branchSigned = { ...this.state.branchSigned, [stage.key]: this.state.keptBranches?.[stage.key] ?? [] };
      if (this.state.keptBranches) delete this.state.keptBranches[stage.key];
    }
    const duration = this.rules.durationOf(stage);
    if (duration && 'calendar' in duration && duration.calendar === 'working') {
      this.state.dueAt = undefined;
      this.state.entered = false;
      return;
    }
    this.state.dueAt = duration ? new Date(dueAfter(enteredAt, duration)).toISOString() : undefined;
    this.recordEntry(stage);
  }

  /** Opens a stage whose deadline counts official working days. */
  private async openStage(stage: Stage, round: number): Promise<void> {
    const duration = this.rules.durationOf(stage);
    if (!duration || !('calendar' in duration) || duration.calendar !== 'working') {
      this.state.entered = true; // a this.state carried from before this field was kept
      return;
    }
    const due = await computeDeadline({ from: this.state.stageEnteredAt, workingDays: duration.days });
    if (this.state.round !== round || this.state.status !== 'ACTIVE') return;
    this.state.dueAt = due.dueAt;
    this.state.dueProvisional = due.provisional || undefined;
    this.recordEntry(stage);
  }

  /** Lets an update that moved the case answer with the next stage already open. */
  private async untilOpened(): Promise<void> {
    if (!this.state.entered) await wf.condition(() => this.state.entered || this.state.status !== 'ACTIVE');
  }


  /** Hands the unconfirmed history entries and the current snapshot to the this.projection. */
  private async project(): Promise<void> {
    await this.journal.project(async (entries, stateSeq) => {
      if (wf.patched(ONE_PROJECTION)) {
        const sending = new Set(entries.map((e) => e.seq));
        const notifications = this.outbox.filter((n) => sending.has(n.entrySeq));
        const write = wf.patched(LOCAL_PROJECTION) ? localActivities.projectJournal : projectJournal;
        await write({
          caseType: 'procedure',
          caseId: this.input.caseId,
          stateSeq,
          entries,
          case: this.projection(this.journal.confirmed === 0),
          ...(notifications.length ? { notifications } : {}),
        });
      } else {
        const { opening, ...rest } = this.projection(true);
        await projectCase({ caseId: this.input.caseId, stateSeq, entries, ...opening!, ...rest, snapshot: this.view(false), orgPath: this.input.orgPath });
      }
    });
    this.state.projectedCount = this.journal.confirmed;
    this.outbox = this.outbox.filter((n) => n.entrySeq > this.journal.confirmed);
  }

  /** Whether decisions cost one write (PATCHES.oneWritePerDecision). */
  private oneWrite(): boolean {
    return wf.patched(PATCHES.oneWritePerDecision);
  }

  /**
   * What a decision's handler waits for before it answers. A decision that moved the case (to its
   * next stage, back, or to its end) is projected by the main loop together with the next stage's
   * opening and task: the handler waits for that one write. One that did not move it (a branch of
   * a parallel group) projects itself, and so does one that finds a projection in flight: the main
   * loop may be waiting on it (a write stuck on a dead worker until its timeout), and this write
   * carries that one's entries again.
   */
  private async settle(moved: boolean): Promise<void> {
    if (!this.oneWrite() || !moved || this.journal.inFlight > 0) {
      await this.untilOpened();
      await this.project();
      return;
    }
    await this.untilOpened();
    const upTo = this.journal.seq;
    await wf.condition(() => this.journal.confirmed >= upTo);
  }

  /** The snapshot; the fields the row is created with only until a this.projection is confirmed. */
  private projection(withOpening: boolean): ProcedureSnapshot {
    return {
      subject: this.input.subject,
      year: this.input.year,
      snapshot: this.summary(),
      actions: actionsOf(this.def),
      ...(withOpening
        ? {
            opening: {
              workflowId: wf.workflowInfo().workflowId,
              procedureType: this.def.procedureType,
              definitionId: this.def.id,
              definitionVersion: this.def.version,
              profile: this.def.profile,
              subjectOrgUnitId: this.rules.unitAt(this.def.subjectLevel),
              startedBy: this.input.startedBy,
              startedAt: this.state.history.find((e) => e.action === 'STARTED')?.at,
            },
          }
        : {}),
    };
  }

  private summary(): CaseSummary {
    const { history: _history, ...rest } = this.view(false);
    return rest;
  }

  private view(withHistory = true): CaseView {
    const stage = this.rules.currentStage();
    return {
      caseId: this.input.caseId,
      definitionId: this.def.id,
      definitionVersion: this.def.version,
      profile: this.def.profile,
      status: this.state.status,
      closedAt: this.state.closedAt,
      stage:
        this.state.status === 'ACTIVE'
          ? {
              key: stage.key,
              name: stage.name,
              kind: stage.kind,
              level: stage.level,
              responsibleOrgUnitId: this.rules.unitAt(stage.level),
              roles: this.rules.rolesOf(stage),
              round: this.state.round,
              enteredAt: this.state.stageEnteredAt,
              dueAt: this.state.dueAt,
              overdue: this.state.overdue,
              escalationLevel: this.state.escalationLevel,
              dueProvisional: this.state.dueProvisional ?? false,
              pendingOrgUnitIds: this.rules.pendingUnits(stage),
              ...(stage.kind === 'parallel'
                ? {
                    branches: stage.branches.map((b) => ({
                      key: b.key,
                      name: b.name,
                      orgUnitId: this.rules.branchUnit(b.department),
                      signed: this.rules.signedBranches(stage).includes(b.key),
                    })),
                  }
                : {}),
              ...(this.state.blocked ? { blocked: this.state.blocked } : {}),
            }
          : undefined,
      history: withHistory ? this.state.history : [],
    };
  }

  // ---- decisions (the this.rules are workflows/procedure/this.rules.ts) ------------------------------------

  /** Decisions are validated updates; the status is a query. */
  registerHandlers(): void {

    wf.setHandler(
      signOffUpdate,
      async (cmd) => {
        await this.untilOpened();
        const stage = this.rules.validateSignOff(cmd); // again: another update may have moved the case since validation
        const round = this.state.round;
        const common = { actor: cmd.actor, comment: cmd.comment, attachments: cmd.attachments };
        const branch = stage.kind === 'parallel' ? { branch: cmd.branchKey } : {};
        if (cmd.decision === 'approve') {
          this.record('APPROVED', stage, {
            ...common,
            data: { confirmations: cmd.confirmations, ...branch, ...(cmd.indicators ? { indicators: cmd.indicators } : {}) },
          });
          if (stage.kind === 'parallel') {
            this.state.branchSigned = { ...this.state.branchSigned, [stage.key]: [...this.rules.signedBranches(stage), cmd.branchKey!] };
            if (this.rules.unsignedBranches(stage).length === 0) this.goTo(this.state.stageIndex + 1);
          } else {
            this.goTo(this.state.stageIndex + 1);
          }
        } else {
          const returnTo = stage.onReject!.returnTo;
          this.record('REJECTED', stage, { ...common, data: { returnTo, ...branch } });
          if (stage.kind === 'parallel' && stage.onReject.keepSignatures) {
            this.state.keptBranches = { ...this.state.keptBranches, [stage.key]: this.rules.signedBranches(stage) };
          }
          this.goTo(this.rules.indexOf(returnTo));
        }
        await this.settle(this.state.round !== round || this.state.status !== 'ACTIVE');
        return this.summary();
      },
      {
        validator: validated((cmd: SignOffCommand) => {
          this.rules.validateSignOff(cmd);
          this.rules.validateSignOffFigures(cmd);
        }),
      },
    );

    wf.setHandler(
      objectionUpdate,
      async (cmd) => {
        const stage = this.rules.validateObjection(cmd);
        const returnTo = stage.onObjection.returnTo;
        this.record('OBJECTION', stage, {
          actor: cmd.actor,
          comment: cmd.content,
          attachments: cmd.attachments,
          data: { objectorName: cmd.objectorName, returnTo, objectionId: wf.currentUpdateInfo()?.id },
        });
        this.goTo(this.rules.indexOf(returnTo));
        await this.settle(true);
        return this.summary();
      },
      { validator: validated((cmd: ObjectionCommand) => this.rules.validateObjection(cmd)) },
    );

    wf.setHandler(
      indicatorsUpdate,
      async (cmd) => {
        this.rules.assertActive(); // the validator's verdict holds: nothing ran since (its this.rules stay out of replay)
        this.record('INDICATORS_SUBMITTED', this.rules.currentStage(), {
          actor: cmd.actor,
          comment: cmd.comment,
          data: { values: cmd.values, source: cmd.source },
        });
        await this.project(); // the figures are in the database before a blocked check reads them again
        this.state.recheckRequested = (this.state.recheckRequested ?? 0) + 1;
        return this.summary();
      },
      { validator: validated((cmd: IndicatorsCommand) => this.rules.validateIndicators(cmd)) },
    );

    wf.setHandler(
      cancelUpdate,
      async (cmd) => {
        this.rules.assertActive(); // the validator's verdict holds: nothing ran since (its this.rules stay out of replay)
        this.state.status = 'CANCELLED';
        this.state.closedAt = this.nowIso();
        this.record('CANCELLED', this.rules.currentStage(), { actor: cmd.actor, comment: cmd.reason });
        this.upsertStageAttributes();
        await this.project();
        return this.summary();
      },
      { validator: validated((cmd: CancelCommand) => this.rules.validateCancel(cmd)) },
    );

    wf.setHandler(openedUpdate, async () => {
      await wf.condition(() => this.journal.confirmed >= 1);
      return this.summary();
    });

    wf.setHandler(statusQuery, () => this.view());
  }

  // ---- stages ---------------------------------------------------------------------------------

  private async fire(stage: Decidable, cp: Checkpoint, round: number): Promise<void> {
    const policy = escalationFor(this.def, stage);
    const responsible = this.rules.pendingUnits(stage);
    if (cp.kind === 'reminder') {
      const reminder = {
        kind: 'REMINDER' as const,
        dedupeKey: `${this.input.caseId}:${round}:reminder:${cp.n}`,
        orgUnitIds: responsible,
        roles: this.rules.rolesOf(stage),
        title: `待办提醒：${this.input.subject.name}「${stage.name}」将于 ${this.state.dueAt!.slice(0, 10)} 到期`,
        body: `${this.def.name}（${this.input.subject.name}）的「${stage.name}」尚未办理，办理时限为 ${this.state.dueAt}。`,
      };
      this.state.remindersSent = Math.max(this.state.remindersSent, cp.n);
      const data = { n: cp.n, orgUnitId: responsible[0], orgUnitIds: responsible };
      if (this.oneWrite()) {
        this.notifyWith(this.record('REMINDED', stage, { data }), reminder);
      } else {
        const sent = await notify({ caseId: this.input.caseId, ...reminder });
        this.record('REMINDED', stage, { data: { ...data, recipients: sent.recipients } });
      }
      return;
    }
    if (!this.state.overdue) {
      this.state.overdue = true;
      this.record('OVERDUE', stage, { data: { dueAt: this.state.dueAt } });
      this.upsertStageAttributes();
    }
    const rung = policy.ladder[cp.n - 1];
    // a parallel group's "one level up" is the unit its departments belong to
    const { orgUnitIds } = rungUnits(rung, { responsible, above: stage.kind === 'parallel' ? this.rules.unitAt(stage.level) : this.rules.parentUnitOf(stage.level) });
    const escalation = {
      kind: 'ESCALATION' as const,
      dedupeKey: `${this.input.caseId}:${round}:escalation:${cp.n}`,
      orgUnitIds,
      roles: rung.roles,
      title: `逾期督办（第${cp.n}级·${rung.label}）：${this.input.subject.name}「${stage.name}」已超期`,
      body: `${this.def.name}（${this.input.subject.name}）的「${stage.name}」应于 ${this.state.dueAt} 前办结，现已逾期，请督促办理。`,
    };
    const data = { rung: cp.n, label: rung.label, orgUnitId: orgUnitIds[0], orgUnitIds, dueAt: this.state.dueAt };
    if (this.oneWrite()) {
      this.state.escalationLevel = Math.max(this.state.escalationLevel, cp.n);
      this.notifyWith(this.record('ESCALATED', stage, { data }), escalation);
      return;
    }
    const sent = await notify({ caseId: this.input.caseId, ...escalation });
    this.state.escalationLevel = Math.max(this.state.escalationLevel, cp.n);
    this.record('ESCALATED', stage, { data: { ...data, recipients: sent.recipients } });
  }

  /** Asks the next projection to send a notification with `entry` (its recipients land in the entry's row). */
  private notifyWith(entry: HistoryEntry, request: Omit<NotificationRequest, 'entrySeq'>): void {
    this.outbox.push({ entrySeq: entry.seq, ...request });
  }

  private async runDecidable(stage: Decidable, round: number): Promise<void> {
    const moved = () => this.state.round !== round || this.state.status !== 'ACTIVE';
    const settled = await runLadder({
      checkpoints: checkpointsOf(escalationFor(this.def, stage), { enteredAt: Date.parse(this.state.stageEnteredAt), dueAt: Date.parse(this.state.dueAt!) }),
      progress: this.state,
      settled: moved,
      fire: async (cp) => {
        await this.fire(stage, cp, round);
        await this.project();
      },
    });
    if (!settled) await wf.condition(moved);
  }

  private async runNotice(stage: NoticeStage, round: number): Promise<void> {
    const moved = () => this.state.round !== round || this.state.status !== 'ACTIVE';
    const wait = Date.parse(this.state.dueAt!) - Date.now();
    if (wait > 0 && (await wf.condition(moved, wait))) return;
    if (moved()) return;
    this.record('NOTICE_PASSED', stage, { data: { endsAt: this.state.dueAt } });
    this.goTo(this.state.stageIndex + 1);
  }

  private async runCheck(stage: CheckStage, round: number): Promise<void> {
    const moved = () => this.state.round !== round || this.state.status !== 'ACTIVE';
    for (;;) {
      const seen = this.state.recheckRequested ?? 0;
      // figures entered with the last decision must be in the database before they are read
      await wf.condition(() => this.journal.inFlight === 0);
      const { values } = await readIndicators({
        subjectType: this.input.subject.type,
        subjectId: this.input.subject.id,
        year: this.input.year,
        keys: stage.rules.map((r) => r.indicator),
      });
      if (moved()) return;
      const failures = evaluateRules(stage.rules, values, this.input.western ?? false);
      if (failures.length === 0) {
        this.state.blocked = undefined;
        this.record('CHECK_PASSED', stage, { data: { values } });
        this.goTo(this.state.stageIndex + 1);
        return;
      }
      this.state.blocked = { failures };
      this.record('CHECK_BLOCKED', stage, { comment: failures.map((f) => f.reason).join('；'), data: { values, failures } });
      await this.project();
      await wf.condition(() => moved() || (this.state.recheckRequested ?? 0) > seen);
      if (moved()) return;
    }
  }

  private async runAutomatic(stage: AutomaticStage, round: number): Promise<void> {
    const result = await runAutomaticAction({
      action: stage.action,
      caseId: this.input.caseId,
      subject: this.input.subject,
      year: this.input.year,
    });
    if (this.state.round !== round || this.state.status !== 'ACTIVE') return; // cancelled meanwhile
    this.record('AUTOMATIC_DONE', stage, { data: { action: stage.action, ...result } });
    this.goTo(this.state.stageIndex + 1);
  }

  /** Tells the units that must act that a task has arrived (in their inbox and notifications). */
  private async announce(stage: Decidable, round: number): Promise<void> {
    if (this.state.announcedRound === round || !wf.patched(PATCHES.notifyOnStageEntry)) return;
    this.state.announcedRound = round;
    const orgUnitIds = this.rules.pendingUnits(stage);
    const task = {
      kind: 'TASK' as const,
      dedupeKey: `${this.input.caseId}:${round}:task`,
      orgUnitIds,
      roles: this.rules.rolesOf(stage),
      title: `新待办：${this.input.subject.name}「${stage.name}」`,
      body: `${this.def.name}（${this.input.subject.name}）已进入「${stage.name}」，请于 ${this.state.dueAt ?? '规定时限'} 前办理。`,
    };
    if (this.oneWrite()) {
      // projected by the main loop with the stage's opening: one write
      this.notifyWith(this.record('TASK_ASSIGNED', stage, { data: { orgUnitIds } }), task);
      return;
    }
    const sent = await notify({ caseId: this.input.caseId, ...task });
    this.record('TASK_ASSIGNED', stage, { data: { orgUnitIds, recipients: sent.recipients } });
    await this.project();
  }

  // ---- main loop ------------------------------------------------------------------------------

  /** Runs the case from its current stage until it is closed (or continues as new). */
  async run(): Promise<CaseSummary> {

    if (!this.input.carried) {
      this.record('STARTED', this.def.stages[0], { actor: this.input.startedBy, comment: this.input.comment });
      this.goTo(0);
    }

    while (this.state.status === 'ACTIVE') {
      const stage = this.rules.currentStage();
      const round = this.state.round;
      if (!this.state.entered) {
        await this.openStage(stage, round);
        if (this.state.round !== round) continue;
      }
      const oneWrite = this.oneWrite();
      // a stage that waits for a decision is projected once, with its task (PATCHES.oneWritePerDecision)
      if (!oneWrite || (stage.kind !== 'signoff' && stage.kind !== 'parallel')) await this.project();
      switch (stage.kind) {
        case 'signoff':
        case 'parallel':
          await this.announce(stage, round);
          if (oneWrite) await this.project();
          await this.runDecidable(stage, round);
          break;
        case 'notice':
          await this.runNotice(stage, round);
          break;
        case 'check':
          await this.runCheck(stage, round);
          break;
        case 'automatic':
          await this.runAutomatic(stage, round);
          break;
      }
      const info = wf.workflowInfo();
      const pastBound = () => info.historyLength > (this.input.historyBound ?? DEFAULT_HISTORY_BOUND) && wf.patched(PATCHES.continueAsNewAtBound);
      if (this.state.status === 'ACTIVE' && (info.continueAsNewSuggested || pastBound())) {
        // handlers of decisions that moved the case wait for its projection: project, then drain them
        if (this.oneWrite()) await this.project();
        await wf.condition(wf.allHandlersFinished);
        await this.project();
        const carry = this.journal.carry(CARRIED_HISTORY);
        await wf.continueAsNew<typeof procedureWorkflow>({
          ...this.input,
          carried: { ...this.state, history: carry.entries, projectedCount: carry.confirmed, seq: this.journal.seq },
        });
      }
    }

    if (this.oneWrite()) await this.project();
    await wf.condition(wf.allHandlersFinished);
    await this.project();
    return this.summary();
  }
}
