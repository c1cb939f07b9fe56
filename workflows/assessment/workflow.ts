/**
 * One year's assessment (年度成效考核, 003 篇二 第六条): started by a Temporal schedule every December
 * (or by hand), finished before the end of February of the next year.
 *
 * 1. self-summary: a child case per assessed unit on the procedure engine (signed by the unit's
 *    deputy or leader, due on the calendar's date, escalated like any stage);
 * 2. third-party evaluation: figures entered per unit;
 * 3. data aggregation (activity);
 * 4. comprehensive evaluation: a grade and the problems found (six types, 003 第七条) per unit;
 * 5. approval by the leading group (or return to 4);
 * 6. feedback: grades stored, interviews (约谈) of units with problems, and a rectification case
 *    each (child workflows that outlive this one).
 * A step past its date is escalated to the assessing unit's leaders; missing the end of February
 * escalates to the level above.
 *
 * One run per assessing unit and year, by Temporal's id uniqueness: a manual start and the
 * schedule both end up at `assessment:<assessor>:<year>`. The schedule's run cannot carry that id
 * (Temporal appends the scheduled time), so it is a thin starter: started without a year, it
 * starts the year's id as a child that outlives it, or finds it already started. Children carry
 * the assessor (`self-summary:<assessor>:<unit>:<year>`, `rectification:<assessor>:<unit>:<year>`):
 * a county is assessed by its province and by its city in the same year.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import * as wf from '@temporalio/workflow';
import { FailureType, refuse, validated } from '../shared/refuse';
import { Journal } from '../shared/journal';
import { ONE_PROJECTION, activities } from '../shared/proxies';
import { EscalationPolicy, checkpointsOf, rungUnits, runLadder } from '../shared/ladder';
import { Actor, ProcedureInput, SA, TASK_QUEUE, procedureWorkflowId } from '../procedure/contract';
import type { OrgLevel } from '../procedure/definition';
import type { procedureWorkflow } from '../procedure/workflow';
import {
  ApprovalCommand,
  AssessmentInput,
  AssessmentStart,
  AssessmentStep,
  AssessmentView,
  EvaluationCommand,
  ResultsCommand,
  approvalUpdate,
  assessmentId as assessmentIdOf,
  assessmentQuery,
  evaluationUpdate,
  legacyRectificationWorkflowId,
  rectificationWorkflowId,
  resultsUpdate,
  selfSummaryWorkflowId,
} from './contract';
import { DEFAULT_LADDERS, chinaYear, endOfMonthDay, legacySelfSummaryTemplate, selfSummaryFor, timetable } from './definition';
import type { rectificationWorkflow } from './rectification';

const { prepareAssessment, projectJournal, projectAssessment, aggregateAssessment, issueFeedback, notify } = activities;

/** Patch ids: runs recorded before each change replay on the old commands. */
const SCHEDULED_RUN_STARTS_CANONICAL = 'assessment-scheduled-run-starts-canonical-id';
const ASSESSOR_IN_CHILD_IDS = 'assessment-assessor-in-child-ids';
const CONTINUE_AS_NEW_AT_BOUND = 'assessment-continue-as-new-at-bound';
const DEFAULT_HISTORY_BOUND = 10_000;

/** The schedule's run: starts this year's assessment under its one id, once. */
async function startYearsAssessment(assessorUnitId: string): Promise<AssessmentStart> {
  const year = chinaYear(Date.now());
  const id = assessmentIdOf(assessorUnitId, year);
  try {
    await wf.startChild<typeof assessmentWorkflow>('assessmentWorkflow', {
      workflowId: id,
      taskQueue: TASK_QUEUE,
      args: [{ assessorUnitId, year }],
      parentClosePolicy: 'ABANDON', // the assessment runs to next February, the starter ends now
      workflowIdReusePolicy: 'REJECT_DUPLICATE', // as a manual start: one run per year, ever
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { assessmentId: id, alreadyStarted: true };
    throw err;
  }
  return { assessmentId: id, alreadyStarted: false };
}

export async function assessmentWorkflow(input: AssessmentInput): Promise<AssessmentView | AssessmentStart | { duplicateOf: string }> {
  if (input.year === undefined && wf.patched(SCHEDULED_RUN_STARTS_CANONICAL)) return startYearsAssessment(input.assessorUnitId);
  const assessorInChildIds = wf.patched(ASSESSOR_IN_CHILD_IDS);
  const { carried } = input;
  // a run may continue as new while it waits on a step (its children have closed by then)
  const mayContinue = wf.patched(CONTINUE_AS_NEW_AT_BOUND);
  const pastBound = () => mayContinue && wf.workflowInfo().historyLength > (input.historyBound ?? DEFAULT_HISTORY_BOUND);
  const year = input.year ?? chinaYear(Date.now());
  const id = assessmentIdOf(input.assessorUnitId, year);
  const plan = carried?.plan ?? (await prepareAssessment({ assessorUnitId: input.assessorUnitId, year }));
  // only in histories recorded when a database check deduplicated the schedule's runs
  if (plan.duplicateOf) return { duplicateOf: plan.duplicateOf };
  const selfSummaryIdOf = (unitId: string) =>
    assessorInChildIds ? selfSummaryWorkflowId(input.assessorUnitId, unitId, year) : procedureWorkflowId('self-summary', unitId, year);
  const rectificationIdOf = (unitId: string) =>
    assessorInChildIds ? rectificationWorkflowId(input.assessorUnitId, unitId, year) : legacyRectificationWorkflowId(unitId, year);
  const def = plan.definition;
  const due = {
    selfSummary: endOfMonthDay(year + 1, def.deadlines.selfSummary),
    thirdPartyEvaluation: endOfMonthDay(year + 1, def.deadlines.thirdPartyEvaluation),
    comprehensiveEvaluation: endOfMonthDay(year + 1, def.deadlines.comprehensiveEvaluation),
    approval: endOfMonthDay(year + 1, def.deadlines.approval),
    finishBy: endOfMonthDay(year + 1, def.deadlines.finishBy),
  };
  const problemLabel = new Map(def.problemTypes.map((p) => [p.key, p.label]));
  const selfSummary = plan.selfSummary ?? legacySelfSummaryTemplate(def);

  const view: AssessmentView = carried?.view ?? {
    id,
    year,
    assessorUnitId: input.assessorUnitId,
    status: 'ACTIVE',
    step: 'self_summary',
    stepDueAt: due.selfSummary,
    finishBy: due.finishBy,
    overdue: false,
    units: plan.units.map((u) => ({ unitId: u.id, name: u.name, selfSummarySubmitted: false, problems: [] })),
  };
  const unitView = (unitId: string) => view.units.find((u) => u.unitId === unitId);
  const journal = new Journal({ resendUnconfirmed: false }, carried?.journal);
  // Per-unit state stays out of payloads: a projection carries the units changed since the last
  // confirmed one, a decision answers with the units it changed.
  const touch = (...unitIds: string[]) => journal.touch(...unitIds);
  const withUnits = (included: (unitId: string) => boolean): AssessmentView => ({ ...view, units: view.units.filter((u) => included(u.unitId)).map((u) => ({ ...u })) });
  const noUnits = () => false;
  let approval: 'pending' | 'approved' | 'returned' = carried?.approval ?? 'pending';
  const approvalState = () => approval;

  const record = (action: string, extra: { actor?: Actor; comment?: string; data?: Record<string, unknown> } = {}) => {
    journal.record({ action, ...extra });
  };
  async function project(): Promise<void> {
    await journal.project(async (entries, stateSeq, changed) => {
      const snapshot = { view: withUnits(changed), workflowId: wf.workflowInfo().workflowId };
      if (wf.patched(ONE_PROJECTION)) await projectJournal({ caseType: 'assessment', caseId: id, stateSeq, entries, case: snapshot });
      else await projectAssessment({ ...snapshot, stateSeq, events: entries });
    });
  }
  function setStep(step: AssessmentStep, dueAt?: string): void {
    view.step = step;
    view.stepDueAt = dueAt;
    record('STEP_OPENED', { data: { step, dueAt } });
    wf.upsertSearchAttributes([
      { key: SA.procedureType, value: 'annual-assessment' },
      { key: SA.orgPath, value: Object.values(plan.assessor.orgPath) },
      { key: SA.currentStage, value: step },
      { key: SA.responsibleOrgUnit, value: input.assessorUnitId },
      { key: SA.dueAt, value: dueAt ? new Date(dueAt) : null },
      { key: SA.overdue, value: view.overdue },
    ]);
  }

  /**
   * Runs a deadline's ladder until `done` (the whole ladder: by default one rung, the assessing
   * unit's leaders at the due time). Runs recorded before ladders were data waited at least 1 ms.
   */
  async function climb(
    policy: EscalationPolicy,
    dueAt: string,
    done: () => boolean,
    fire: (rung: EscalationPolicy['ladder'][number], n: number) => Promise<void>,
    progress = { remindersSent: 0, escalationLevel: 0 },
  ) {
    return runLadder({
      checkpoints: checkpointsOf(policy, { enteredAt: Date.now(), dueAt: Date.parse(dueAt) }).filter((cp) => cp.kind === 'rung'),
      progress,
      settled: done,
      minimumWaitMs: 1,
      fire: async (cp) => {
        progress.escalationLevel = cp.n;
        await fire(policy.ladder[cp.n - 1], cp.n);
      },
    });
  }
  const responsible = { responsible: [input.assessorUnitId], parentOf: input.assessorUnitId };

  /**
   * Waits for a step to be done; past its date, the ladder of a late step is climbed. A history past
   * its bound continues as new here, the next run waiting on the same step.
   */
  async function step(done: () => boolean, dueAt: string, label: string, climbed = 0): Promise<void> {
    const progress = { remindersSent: 0, escalationLevel: climbed };
    const waited = () => done() || pastBound();
    const settled = await climb(def.stepEscalation ?? DEFAULT_LADDERS.step, dueAt, waited, async (rung, n) => {
      const sent = await notify({
        caseId: id,
        kind: 'ESCALATION',
        dedupeKey: n === 1 ? `${id}:${view.step}:overdue` : `${id}:${view.step}:overdue:${n}`,
        ...rungUnits(rung, responsible),
        roles: rung.roles,
        title: `考核逾期督办：${year}年度${def.name}「${label}」已超过 ${dueAt.slice(0, 10)}`,
        body: `${plan.assessor.name}${year}年度${def.name}的「${label}」未按期完成，请督促办理。`,
      });
      record('STEP_OVERDUE', { data: { step: view.step, dueAt, rung: n, label: rung.label, recipients: sent.recipients } });
      await project();
    }, progress);
    if (!settled) await wf.condition(waited);
    if (!done()) await continueAsNew(progress.escalationLevel);
  }

  /** Goes on in a new run waiting on the current step, with the state, the journal and the rungs climbed. */
  async function continueAsNew(stepLevel: number): Promise<never> {
    await wf.condition(wf.allHandlersFinished);
    await project();
    return wf.continueAsNew<typeof assessmentWorkflow>({
      ...input,
      year,
      carried: { plan, view, approval, journal: journal.carry(0), stepLevel, finishByLevel: finishByProgress.escalationLevel },
    });
  }

  // ---- decisions ------------------------------------------------------------------------------

  const assertAssessor = (actor: Actor, roles: string[]) => {
    if (actor.orgUnitId !== input.assessorUnitId) refuse(FailureType.WrongOrgUnit, 'only the assessing unit may do this');
    if (!roles.includes(actor.role)) refuse(FailureType.WrongRole, `needs ${roles.join(' or ')}`);
  };
  const assertStep = (expected: AssessmentStep) => {
    if (view.status !== 'ACTIVE') refuse(FailureType.CaseClosed, 'assessment is completed');
    if (view.step !== expected) refuse(FailureType.WrongStage, `assessment is at step ${view.step}, not ${expected}`);
  };

  function validateEvaluation(cmd: EvaluationCommand): void {
    if (!EvaluationCommand.safeParse(cmd).success) refuse(FailureType.InvalidInput, 'malformed evaluation');
    assertStep('third_party_evaluation');
    assertAssessor(cmd.actor, ['STAFF', 'DEPUTY', 'LEADER']);
    if (!unitView(cmd.unitId)) refuse(FailureType.InvalidInput, `unit ${cmd.unitId} is not assessed here`);
    const missing = def.evaluationIndicators.filter((i) => cmd.values[i.key] === undefined);
    if (missing.length) refuse(FailureType.MissingIndicators, `missing figures: ${missing.map((i) => `${i.key} (${i.label})`).join(', ')}`);
  }

  function validateResults(cmd: ResultsCommand): void {
    if (!ResultsCommand.safeParse(cmd).success) refuse(FailureType.InvalidInput, 'malformed results');
    assertStep('comprehensive_evaluation');
    assertAssessor(cmd.actor, ['DEPUTY', 'LEADER']);
    const given = new Set(cmd.results.map((r) => r.unitId));
    const missing = view.units.filter((u) => !given.has(u.unitId));
    if (missing.length || given.size !== cmd.results.length || cmd.results.some((r) => !unitView(r.unitId))) {
      refuse(FailureType.InvalidInput, `one result for each assessed unit is needed (missing: ${missing.map((u) => u.name).join(', ') || 'none'})`);
    }
    for (const r of cmd.results) {
      if (!def.grades.includes(r.grade)) refuse(FailureType.InvalidInput, `grade "${r.grade}" is not one of ${def.grades.join('/')}`);
      const bad = r.problems.find((p) => !problemLabel.has(p.type));
      if (bad) refuse(FailureType.InvalidInput, `problem type "${bad.type}" is not one of ${[...problemLabel.keys()].join(', ')}`);
    }
  }

  function validateApproval(cmd: ApprovalCommand): void {
    if (!ApprovalCommand.safeParse(cmd).success) refuse(FailureType.InvalidInput, 'malformed approval');
    assertStep('approval');
    assertAssessor(cmd.actor, ['LEADER']);
  }

  wf.setHandler(
    evaluationUpdate,
    async (cmd) => {
      validateEvaluation(cmd);
      unitView(cmd.unitId)!.evaluation = cmd.values;
      touch(cmd.unitId);
      record('EVALUATION_ENTERED', { actor: cmd.actor, data: { unitId: cmd.unitId, values: cmd.values, source: cmd.source } });
      await project();
      return withUnits((unitId) => unitId === cmd.unitId);
    },
    { validator: validated(validateEvaluation) },
  );

  wf.setHandler(
    resultsUpdate,
    async (cmd) => {
      validateResults(cmd);
      for (const r of cmd.results) {
        const u = unitView(r.unitId)!;
        u.grade = r.grade;
        u.problems = r.problems.map((p) => ({ ...p, label: problemLabel.get(p.type)! }));
      }
      touch(...cmd.results.map((r) => r.unitId));
      record('RESULTS_SUBMITTED', { actor: cmd.actor, comment: cmd.comment, data: { results: cmd.results } });
      await project();
      return withUnits(noUnits); // the entry holds the results; the database and queries hold the units
    },
    { validator: validated(validateResults) },
  );

  wf.setHandler(
    approvalUpdate,
    async (cmd) => {
      validateApproval(cmd);
      approval = cmd.decision === 'approve' ? 'approved' : 'returned';
      record(cmd.decision === 'approve' ? 'RESULTS_APPROVED' : 'RESULTS_RETURNED', { actor: cmd.actor, comment: cmd.comment });
      await project();
      return withUnits(noUnits);
    },
    { validator: validated(validateApproval) },
  );

  wf.setHandler(assessmentQuery, () => view);

  // ---- the end-of-February watchdog ----------------------------------------------------------

  const finishByProgress = { remindersSent: 0, escalationLevel: carried?.finishByLevel ?? 0 };
  const watchdog = climb(def.finishByEscalation ?? DEFAULT_LADDERS.finishBy, due.finishBy, () => view.status !== 'ACTIVE', async (rung, n) => {
    if (!view.overdue) {
      view.overdue = true;
      wf.upsertSearchAttributes([{ key: SA.overdue, value: true }]);
    }
    const sent = await notify({
      caseId: id,
      kind: 'ESCALATION',
      dedupeKey: n === 1 ? `${id}:finish-by` : `${id}:finish-by:${n}`,
      ...rungUnits(rung, responsible), // by default the leading group one level up too, if there is one
      roles: rung.roles,
      title: `考核超期：${year}年度${def.name}未在次年2月底前完成`,
      body: `${plan.assessor.name}${year}年度${def.name}应于 ${due.finishBy} 前完成，现已超期（003 篇二 第六条）。`,
    });
    record('OVERDUE', { data: { finishBy: due.finishBy, rung: n, label: rung.label, recipients: sent.recipients } });
    await project();
  }, finishByProgress);

  // ---- the steps ------------------------------------------------------------------------------

  const system: Actor = { personId: 'system', name: '系统（考核日程）', orgUnitId: input.assessorUnitId, role: 'LEADER' };
  const resumeAt = carried?.view.step;
  if (!carried) {
    record('STARTED', { data: { year, units: plan.units.map((u) => u.id), due } });
    setStep('self_summary', due.selfSummary);
    const children = await Promise.all(
      plan.units.map(async (u) => {
        const caseId = wf.uuid4();
        unitView(u.id)!.selfSummaryCaseId = caseId;
        touch(u.id);
        const definition = selfSummaryFor(selfSummary, u.level as OrgLevel, due.selfSummary, year, def.name);
        const childInput: ProcedureInput = {
          caseId,
          year,
          definition,
          subject: { type: 'unit', id: u.id, name: u.name },
          orgPath: u.orgPath,
          startedBy: system,
        };
        return wf.startChild<typeof procedureWorkflow>('procedureWorkflow', {
          workflowId: selfSummaryIdOf(u.id),
          taskQueue: TASK_QUEUE,
          args: [childInput],
          typedSearchAttributes: [
            { key: SA.procedureType, value: 'self-summary' },
            { key: SA.orgPath, value: Object.values(u.orgPath) },
          ],
        });
      }),
    );
    await project();
    await Promise.all(
      children.map(async (child, i) => {
        const result = await child.result();
        const u = view.units[i];
        u.selfSummarySubmitted = result.status === 'COMPLETED';
        touch(u.unitId);
        record('SELF_SUMMARY_CLOSED', { data: { unitId: u.unitId, status: result.status } });
        await project();
      }),
    );

    setStep('third_party_evaluation', due.thirdPartyEvaluation);
    await project();
  }
  if (!resumeAt || resumeAt === 'third_party_evaluation') {
    await step(() => view.units.every((u) => u.evaluation), due.thirdPartyEvaluation, '第三方评估', carried?.stepLevel);

    setStep('aggregation');
    const aggregate = await aggregateAssessment({ assessmentId: id, year, unitIds: plan.units.map((u) => u.id) });
    record('DATA_AGGREGATED', { data: aggregate });
    await project();
  }

  // a run continued while grading or approving goes on waiting there
  let resuming = resumeAt === 'comprehensive_evaluation' || resumeAt === 'approval' ? resumeAt : undefined;
  for (;;) {
    if (!resuming) {
      setStep('comprehensive_evaluation', due.comprehensiveEvaluation);
      await project();
    }
    if (resuming !== 'approval') {
      await step(() => view.units.every((u) => u.grade), due.comprehensiveEvaluation, '综合评价', resuming ? carried?.stepLevel : 0);
      setStep('approval', due.approval);
      approval = 'pending';
      await project();
    }
    await step(() => approval !== 'pending', due.approval, '领导小组审定', resuming === 'approval' ? carried?.stepLevel : 0);
    resuming = undefined;
    if (approvalState() === 'approved') break;
    for (const u of view.units) {
      u.grade = undefined;
      u.problems = [];
    }
    touch(...view.units.map((u) => u.unitId));
  }

  setStep('feedback');
  const withProblems = view.units.filter((u) => u.problems.length > 0);
  const issuedAt = Date.now();
  const phases = timetable(issuedAt, def.rectification.phases);
  // 限期整改: the interview's deadline is the close of the phase that needs every item done
  const final = def.rectification.phases.find((p) => p.deliverable === 'all_items') ?? def.rectification.phases[def.rectification.phases.length - 1];
  const feedback = await issueFeedback({
    rectifyBy: phases[final.key].closesAt,
    assessmentId: id,
    year,
    assessorName: plan.assessor.name,
    results: view.units.map((u) => ({ unitId: u.unitId, grade: u.grade!, problems: u.problems })),
    rectifications: Object.fromEntries(withProblems.map((u) => [u.unitId, rectificationIdOf(u.unitId)])),
  });
  for (const u of withProblems) {
    const unit = plan.units.find((x) => x.id === u.unitId)!;
    const rectificationId = rectificationIdOf(u.unitId);
    await wf.startChild<typeof rectificationWorkflow>('rectificationWorkflow', {
      workflowId: rectificationId,
      taskQueue: TASK_QUEUE,
      parentClosePolicy: 'ABANDON', // rectification outlives the assessment
      args: [
        {
          rectificationId,
          issuedAt: new Date(issuedAt).toISOString(),
          assessmentId: id,
          year,
          unit: { id: unit.id, name: unit.name, orgPath: unit.orgPath },
          problems: u.problems.map((p, n) => ({ seq: n + 1, ...p })),
          phases: def.rectification.phases,
          overdueItemsForLevelUp: def.rectification.overdueItemsForLevelUp,
          ...(def.rectification.escalation ? { escalation: def.rectification.escalation } : {}),
        },
      ],
    });
    u.rectificationId = rectificationId;
    touch(u.unitId);
  }
  touch(...view.units.map((u) => u.unitId)); // every unit has had its feedback
  record('FEEDBACK_ISSUED', { data: feedback });
  view.status = 'COMPLETED';
  setStep('done');
  await watchdog;
  await wf.condition(wf.allHandlersFinished);
  await project();
  return withUnits(noUnits);
}
