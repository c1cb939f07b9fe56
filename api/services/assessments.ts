/**
 * The annual assessment and rectification: starting and scheduling runs, sending decisions as
 * updates, reading the projection. Authorisation: the assessing unit acts on its assessment, the
 * rectified, lead and responsible units on a rectification; everyone reads within their scope.
 */
import { Client, ScheduleAlreadyRunning, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Db } from '../../lib/prisma';
import { TASK_QUEUE } from '../../workflows/procedure/contract';
import {
  ApprovalCommand,
  EvaluationCommand,
  ItemActionCommand,
  PlanCommand,
  ReportCommand,
  ResultsCommand,
  approvalUpdate,
  assessmentId,
  assessmentQuery,
  assessmentScheduleId,
  assessmentStarterId,
  evaluationUpdate,
  itemUpdate,
  planUpdate,
  reportUpdate,
  resultsUpdate,
} from '../../workflows/assessment/contract';
import type { assessmentWorkflow } from '../../workflows/assessment/workflow';
import { loadAssessmentDefinition } from '../../definitions';
import { Principal, assertInScope, inScope } from '../auth';
import { badRequest, conflict, forbidden, notFound } from '../errors';
import { noteTemporal, requestMemo } from '../request-context';
import { readJournal } from './journal';
import { decideOn, type DecisionTarget } from './decide';

type Without<T> = Omit<T, 'actor'>;

export class AssessmentService {
  constructor(private readonly deps: { db: Db; temporal: Client; decisionWaitMs?: number; historyBoundEvents?: number }) {}

  private assertAssessor(me: Principal) {
    if (!['CENTRAL', 'PROVINCE', 'CITY'].includes(me.orgLevel) || me.department || me.role === 'STAFF') {
      throw forbidden('a central, provincial or city deputy in charge or main leader starts and schedules assessments');
    }
  }

  /** Starts this year's assessment by hand (the schedule does it every December). */
  async start(me: Principal, year: number) {
    this.assertAssessor(me);
    const id = assessmentId(me.orgUnitId, year);
    noteTemporal(id);
    try {
      await this.deps.temporal.workflow.start<typeof assessmentWorkflow>('assessmentWorkflow', {
        taskQueue: TASK_QUEUE,
        workflowId: id,
        args: [{ assessorUnitId: me.orgUnitId, year, ...(this.deps.historyBoundEvents ? { historyBound: this.deps.historyBoundEvents } : {}) }],
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        memo: requestMemo(),
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw conflict('AssessmentExists', `the ${year} assessment already exists`);
      throw err;
    }
    return { id, workflowId: id, year };
  }

  /**
   * Creates or updates the Temporal schedule that starts the unit's assessment each December
   * (day from the definition unless given), in China time.
   */
  async schedule(me: Principal, day?: number) {
    this.assertAssessor(me);
    return ensureAssessmentSchedule(this.deps.temporal, me.orgUnitId, day ?? loadAssessmentDefinition().startsOn.day);
  }

  /** Assessments of a year run by my unit or the units under it, and the grades of my unit. */
  async list(me: Principal, year?: number) {
    const where = year ? { year } : {};
    const runs = await this.deps.db.assessment.findMany({
      where: { ...where, assessorPath: { startsWith: me.scopePath } },
      include: { units: { select: { unitId: true, grade: true, selfSummaryAt: true, rectificationId: true } } },
      orderBy: [{ year: 'desc' }, { id: 'asc' }],
    });
    const grades = await this.deps.db.assessmentUnit.findMany({ where: { ...where, unitId: me.orgUnitId }, orderBy: { year: 'desc' } });
    return { items: runs, myGrades: grades.map((g) => ({ assessmentId: g.assessmentId, year: g.year, grade: g.grade, problems: g.problems })) };
  }

  /**
   * The assessing unit's scope (it and the units above it) reads the whole assessment; an assessed
   * unit outside that scope reads its own part only: its row, the events about it (with the
   * collective ones cut to its part) and its own interview — not another unit's grade or problems.
   */
  async get(me: Principal, id: string) {
    const row = await this.deps.db.assessment.findUnique({ where: { id }, include: { units: { orderBy: { unitId: 'asc' } } } });
    if (!row) throw notFound(`assessment ${id}`);
    const whole = inScope(me, row.assessorPath);
    if (!whole && !row.units.some((u) => u.unitId === me.orgUnitId)) assertInScope(me, row.assessorPath);
    const own = whole ? undefined : me.orgUnitId;
    const live = row.status === 'ACTIVE' ? await this.deps.temporal.workflow.getHandle(row.workflowId).query(assessmentQuery).catch(() => null) : null;
    const events = await readJournal(this.deps.db, 'assessment', id);
    const interviews = await this.deps.db.interview.findMany({ where: { assessmentId: id, ...(own ? { unitId: own } : {}) }, orderBy: { unitId: 'asc' } });
    if (!own) return { ...row, live, events, interviews };
    return {
      ...row,
      units: row.units.filter((u) => u.unitId === own),
      live: live && { ...live, units: live.units.filter((u) => u.unitId === own) },
      events: events.flatMap((e) => ownPartOf(e, own)),
      interviews,
    };
  }

  private async handle(me: Principal, id: string) {
    const row = await this.deps.db.assessment.findUnique({ where: { id } });
    if (!row) throw notFound(`assessment ${id}`);
    assertInScope(me, row.assessorPath);
    return { handle: this.deps.temporal.workflow.getHandle(row.workflowId), open: row.status === 'ACTIVE', closedMessage: 'assessment is completed' };
  }

  async evaluate(me: Principal, id: string, body: Without<EvaluationCommand>, key?: string) {
    return decideOn(await this.handle(me, id), evaluationUpdate, me, body, key, this.deps.decisionWaitMs);
  }

  async results(me: Principal, id: string, body: Without<ResultsCommand>, key?: string) {
    return decideOn(await this.handle(me, id), resultsUpdate, me, body, key, this.deps.decisionWaitMs);
  }

  async approve(me: Principal, id: string, body: Without<ApprovalCommand>, key?: string) {
    return decideOn(await this.handle(me, id), approvalUpdate, me, body, key, this.deps.decisionWaitMs);
  }

  // ---- rectification ------------------------------------------------------------------------

  private async rectification(me: Principal, id: string) {
    const row = await this.deps.db.rectification.findUnique({ where: { id }, include: { items: { orderBy: { seq: 'asc' } } } });
    if (!row) throw notFound(`rectification ${id}`);
    const involved = row.items.some((i) => i.leadUnitId === me.orgUnitId || i.responsibleUnitIds.includes(me.orgUnitId));
    if (!involved) assertInScope(me, row.unitPath);
    return row;
  }

  async getRectification(me: Principal, id: string) {
    const row = await this.rectification(me, id);
    const events = await readJournal(this.deps.db, 'rectification', id);
    return { ...row, events };
  }

  private async rectificationHandle(me: Principal, id: string) {
    return this.activeHandle(await this.rectification(me, id));
  }

  private activeHandle(row: { id: string; status: string }): DecisionTarget {
    return { handle: this.deps.temporal.workflow.getHandle(row.id), open: row.status === 'ACTIVE', closedMessage: 'rectification is completed' };
  }

  async plan(me: Principal, id: string, body: Without<PlanCommand>, key?: string) {
    const row = await this.rectification(me, id);
    const handle = this.activeHandle(row);
    await this.assertUnitsUnder(row.unitPath, body);
    return decideOn(handle, planUpdate, me, body, key, this.deps.decisionWaitMs);
  }

  /**
   * Lead and responsible units are the rectified unit itself or units under it (its departments,
   * townships, villages): a plan cannot hand work to a unit that does not exist or that the
   * rectified unit has no authority over.
   */
  private async assertUnitsUnder(unitPath: string, body: Without<PlanCommand>): Promise<void> {
    const named = body.items.flatMap((item, n) => [
      { path: `items.${n}.leadUnitId`, id: item.leadUnitId },
      ...item.responsibleUnitIds.map((id, k) => ({ path: `items.${n}.responsibleUnitIds.${k}`, id })),
    ]);
    const ids = [...new Set(named.map((u) => u.id))];
    const units = await this.deps.db.orgUnit.findMany({ where: { id: { in: ids } }, select: { id: true, path: true } });
    const pathOf = new Map(units.map((u) => [u.id, u.path]));
    const wrong = named.flatMap(({ path, id }) => {
      const found = pathOf.get(id);
      if (found === undefined) return [{ path, message: `org unit ${id} not found` }];
      if (!found.startsWith(unitPath)) return [{ path, message: `org unit ${id} is not the rectified unit or under it` }];
      return [];
    });
    if (wrong.length) throw badRequest('lead and responsible units must be the rectified unit or lie under it', wrong);
  }

  async item(me: Principal, id: string, body: Without<ItemActionCommand>, key?: string) {
    return decideOn(await this.rectificationHandle(me, id), itemUpdate, me, body, key, this.deps.decisionWaitMs);
  }

  async report(me: Principal, id: string, body: Without<ReportCommand>, key?: string) {
    return decideOn(await this.rectificationHandle(me, id), reportUpdate, me, body, key, this.deps.decisionWaitMs);
  }

  /** Rectification items waiting on my unit: parts to close, items to confirm. */
  async myItems(me: Principal) {
    const items = await this.deps.db.rectificationItem.findMany({
      where: {
        status: { not: 'CONFIRMED' },
        OR: [{ responsibleUnitIds: { has: me.orgUnitId } }, { leadUnitId: me.orgUnitId, status: 'AWAITING_CONFIRMATION' }],
      },
      orderBy: [{ dueAt: 'asc' }, { seq: 'asc' }],
      take: 200,
    });
    return items.filter((i) => i.leadUnitId === me.orgUnitId || !i.closedUnitIds.includes(me.orgUnitId));
  }
}

type AssessmentEvent = { action: string; comment: string | null; data: unknown };

/**
 * An assessment event as an assessed unit outside the assessor's scope reads it: events about
 * another unit are left out, events about every unit are cut to its own part, the assessor's
 * comments on the whole results and the recipients of escalations are withheld, and an event of a
 * kind not listed here is withheld too.
 */
export function ownPartOf<E extends AssessmentEvent>(e: E, unitId: string): E[] {
  const data = (e.data ?? {}) as Record<string, unknown>;
  const cut = (part: Record<string, unknown>, comment: string | null = null): E[] => [{ ...e, data: part, comment }];
  switch (e.action) {
    case 'STEP_OPENED':
      return [e];
    case 'SELF_SUMMARY_CLOSED':
    case 'EVALUATION_ENTERED':
      return data.unitId === unitId ? [e] : [];
    case 'STARTED':
      return cut({ year: data.year, due: data.due, units: [unitId] });
    case 'STEP_OVERDUE':
      return cut({ step: data.step, dueAt: data.dueAt });
    case 'OVERDUE':
      return cut({ finishBy: data.finishBy });
    case 'DATA_AGGREGATED': {
      const units = (data.units ?? {}) as Record<string, unknown>;
      return cut({ units: unitId in units ? { [unitId]: units[unitId] } : {} });
    }
    case 'RESULTS_SUBMITTED':
      return cut({ results: ((data.results ?? []) as Array<{ unitId?: string }>).filter((r) => r.unitId === unitId) });
    case 'RESULTS_APPROVED':
    case 'RESULTS_RETURNED':
      return cut(data);
    case 'FEEDBACK_ISSUED':
      return cut({ interviews: ((data.interviews ?? []) as Array<{ unitId?: string }>).filter((i) => i.unitId === unitId) });
    default:
      return [];
  }
}

/** Creates (or updates) the December schedule of one assessing unit. Idempotent. */
export async function ensureAssessmentSchedule(temporal: Client, assessorUnitId: string, day: number) {
  const scheduleId = assessmentScheduleId(assessorUnitId);
  const spec = { calendars: [{ month: 'DECEMBER' as const, dayOfMonth: day, hour: 9 }], timezone: 'Asia/Shanghai' };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'assessmentWorkflow',
    taskQueue: TASK_QUEUE,
    // a thin starter (no year): it starts `assessment:<assessor>:<year>`, the id a manual start
    // uses, so Temporal keeps one run per year (workflows/assessment/workflow.ts)
    workflowId: assessmentStarterId(assessorUnitId),
    args: [{ assessorUnitId }],
  };
  try {
    await temporal.schedule.create({ scheduleId, spec, action, memo: { kind: 'annual-assessment' } });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await temporal.schedule.getHandle(scheduleId).update((prev) => ({ ...prev, spec, action }));
  }
  return { scheduleId, month: 12, day, hour: 9, timezone: 'Asia/Shanghai' };
}

