/**
 * Procedure cases: starting them, deciding their stages, reading them. The workflow owns each
 * case; this service authorises the caller, sends commands as updates, and reads the projection.
 */
import { randomUUID } from 'node:crypto';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Db } from '../../lib/prisma';
import type { DefinitionRegistry } from '../../definitions';
import {
  Actor,
  CancelBody,
  CaseView,
  ObjectionBody,
  OrgPathByLevel,
  ProcedureInput,
  SA,
  SignOffBody,
  TASK_QUEUE,
  cancelUpdate,
  objectionUpdate,
  openedUpdate,
  procedureWorkflowId,
  signOffUpdate,
  statusQuery,
} from '../../workflows/procedure/contract';
import type { OrgLevel } from '../../workflows/procedure/definition';
import type { procedureWorkflow } from '../../workflows/procedure/workflow';
import { Principal, assertInScope } from '../auth';
import { ApiError, conflict, fromTemporal, notFound } from '../errors';

export interface ProcedureServiceDeps {
  db: Db;
  temporal: Client;
  definitions: DefinitionRegistry;
}

export type StartResult =
  | { outcome: 'started'; caseId: string; workflowId: string; case: CaseView }
  | { outcome: 'already_open'; workflowId: string; caseId?: string }
  | { outcome: 'not_eligible'; reason: string };

const actorOf = (me: Principal): Actor => ({ personId: me.personId, name: me.name, orgUnitId: me.orgUnitId, role: me.role });

/** The year in China (UTC+8): a household exits within a calendar year. */
export const currentYear = (now = Date.now()) => new Date(now + 8 * 3600_000).getUTCFullYear();

export class ProcedureService {
  constructor(private readonly deps: ProcedureServiceDeps) {}

  private async orgPathByLevel(unitPath: string): Promise<{ byLevel: OrgPathByLevel; profile: string }> {
    const ids = unitPath.split('/').filter(Boolean);
    const units = await this.deps.db.orgUnit.findMany({ where: { id: { in: ids } } });
    const byLevel: OrgPathByLevel = {};
    for (const u of units) byLevel[u.level as OrgLevel] = u.id;
    const province = units.find((u) => u.level === 'PROVINCE');
    return { byLevel, profile: province?.profile ?? 'national' };
  }

  /** Starts a household exit (贫困户退出) for one household. */
  async startHouseholdExit(me: Principal, householdId: string, year: number, comment?: string): Promise<StartResult> {
    const { db, temporal, definitions } = this.deps;
    const household = await db.household.findUnique({ where: { id: householdId } });
    if (!household) throw notFound(`household ${householdId}`);
    const village = await db.orgUnit.findUniqueOrThrow({ where: { id: household.villageId } });
    assertInScope(me, village.path);
    if (household.status === 'EXITED') return { outcome: 'not_eligible', reason: 'household has already exited' };

    const { byLevel, profile } = await this.orgPathByLevel(village.path);
    const definition = definitions.latest('household-exit', profile);
    const workflowId = procedureWorkflowId(definition.procedureType, household.id, year);
    const caseId = randomUUID();
    const input: ProcedureInput = {
      caseId,
      year,
      definition,
      subject: { type: 'household', id: household.id, name: `${household.headName}户 (${household.registryNo})` },
      orgPath: byLevel,
      startedBy: actorOf(me),
      comment,
    };
    try {
      const handle = await temporal.workflow.start<typeof procedureWorkflow>('procedureWorkflow', {
        taskQueue: TASK_QUEUE,
        workflowId,
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        memo: { caseId },
        typedSearchAttributes: [
          { key: SA.procedureType, value: definition.procedureType },
          { key: SA.orgPath, value: Object.values(byLevel) },
        ],
      });
      // returns once the workflow has projected the new case, so it can be read and signed at once
      const view = await handle.executeUpdate(openedUpdate);
      return { outcome: 'started', caseId, workflowId, case: view };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        const open = await db.procedure.findFirst({ where: { workflowId, status: 'ACTIVE' }, select: { id: true } });
        return { outcome: 'already_open', workflowId, caseId: open?.id };
      }
      throw err;
    }
  }

  /** Starts household exits for a village's list (every household still poor, or the ones named). */
  async startVillageHouseholdExits(me: Principal, villageId: string, year: number, householdIds?: string[]) {
    const { db } = this.deps;
    const village = await db.orgUnit.findUnique({ where: { id: villageId } });
    if (!village || village.level !== 'VILLAGE') throw notFound(`village ${villageId}`);
    assertInScope(me, village.path);
    const households = await db.household.findMany({
      where: { villageId, ...(householdIds ? { id: { in: householdIds } } : { status: 'POOR' }) },
      orderBy: { registryNo: 'asc' },
    });
    const unknown = (householdIds ?? []).filter((id) => !households.some((h) => h.id === id));
    if (unknown.length) throw new ApiError(400, 'BadRequest', 'households not in this village', unknown.map((id) => ({ path: 'householdIds', id })));
    const results: Array<{ householdId: string } & StartResult> = [];
    // a few at a time: each start waits for its first projection
    const queue = [...households];
    const workers = Array.from({ length: 4 }, async () => {
      for (let h = queue.shift(); h; h = queue.shift()) {
        results.push({ householdId: h.id, ...(await this.startHouseholdExit(me, h.id, year)) });
      }
    });
    await Promise.all(workers);
    results.sort((a, b) => a.householdId.localeCompare(b.householdId));
    const count = (o: StartResult['outcome']) => results.filter((r) => r.outcome === o).length;
    return {
      villageId,
      year,
      started: count('started'),
      alreadyOpen: count('already_open'),
      notEligible: count('not_eligible'),
      results: results.map((r) => (r.outcome === 'started' ? { householdId: r.householdId, outcome: r.outcome, caseId: r.caseId, workflowId: r.workflowId } : r)),
    };
  }

  private async openCase(me: Principal, caseId: string) {
    const row = await this.deps.db.procedure.findUnique({ where: { id: caseId } });
    if (!row) throw notFound(`case ${caseId}`);
    assertInScope(me, row.orgPath);
    if (row.status !== 'ACTIVE') throw conflict('CaseClosed', `case is ${row.status.toLowerCase()}`);
    return { row, handle: this.deps.temporal.workflow.getHandle(row.workflowId) };
  }

  async signOff(me: Principal, caseId: string, body: SignOffBody, idempotencyKey?: string): Promise<CaseView> {
    const { handle } = await this.openCase(me, caseId);
    return handle
      .executeUpdate(signOffUpdate, { args: [{ ...body, actor: actorOf(me) }], updateId: idempotencyKey ?? randomUUID() })
      .catch(fromTemporal);
  }

  async raiseObjection(me: Principal, caseId: string, body: ObjectionBody, idempotencyKey?: string): Promise<CaseView> {
    const { handle } = await this.openCase(me, caseId);
    return handle
      .executeUpdate(objectionUpdate, { args: [{ ...body, actor: actorOf(me) }], updateId: idempotencyKey ?? randomUUID() })
      .catch(fromTemporal);
  }

  async cancel(me: Principal, caseId: string, body: CancelBody, idempotencyKey?: string): Promise<CaseView> {
    const { handle } = await this.openCase(me, caseId);
    return handle
      .executeUpdate(cancelUpdate, { args: [{ ...body, actor: actorOf(me) }], updateId: idempotencyKey ?? randomUUID() })
      .catch(fromTemporal);
  }

  /** One case with its full audit trail, notices, objections and escalations. */
  async get(me: Principal, caseId: string) {
    const { db, temporal } = this.deps;
    const row = await db.procedure.findUnique({
      where: { id: caseId },
      include: {
        steps: { orderBy: { seq: 'asc' } },
        notices: { orderBy: [{ startsAt: 'asc' }], include: { objections: { orderBy: { at: 'asc' } } } },
        escalations: { orderBy: [{ escalatedAt: 'asc' }, { rung: 'asc' }] },
      },
    });
    if (!row) throw notFound(`case ${caseId}`);
    assertInScope(me, row.orgPath);
    let live: CaseView['stage'] | null = null;
    if (row.status === 'ACTIVE') {
      // the workflow is the source of truth; the projection answers if Temporal is unreachable
      live = await temporal.workflow
        .getHandle(row.workflowId)
        .query(statusQuery)
        .then((v) => v.stage ?? null)
        .catch(() => null);
    }
    const units = await this.unitNames([row.orgUnitId, row.responsibleOrgUnitId, ...row.escalations.map((e) => e.orgUnitId)]);
    const { steps, notices, escalations, ...procedure } = row;
    return {
      ...procedure,
      orgUnitName: units.get(row.orgUnitId),
      responsibleOrgUnitName: row.responsibleOrgUnitId ? units.get(row.responsibleOrgUnitId) : null,
      live,
      history: steps,
      notices,
      escalations: escalations.map((e) => ({ ...e, orgUnitName: units.get(e.orgUnitId) })),
    };
  }

  private async unitNames(ids: Array<string | null>): Promise<Map<string, string>> {
    const wanted = [...new Set(ids.filter((x): x is string => !!x))];
    const units = await this.deps.db.orgUnit.findMany({ where: { id: { in: wanted } }, select: { id: true, name: true } });
    return new Map(units.map((u) => [u.id, u.name]));
  }

  /** Cases waiting on my unit and my role, due first. */
  async inbox(me: Principal, limit: number) {
    const rows = await this.deps.db.procedure.findMany({
      where: { status: 'ACTIVE', responsibleOrgUnitId: me.orgUnitId, responsibleRoles: { has: me.role }, currentStageKind: 'signoff' },
      orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
      take: limit,
    });
    return rows.map(summary);
  }

  /** Overdue or stuck cases anywhere under my unit: where they stand, who must act, since when. */
  async overdue(me: Principal, staleDays: number | undefined, limit: number) {
    const now = new Date();
    const stale = staleDays !== undefined ? new Date(now.getTime() - staleDays * 86_400_000) : undefined;
    const rows = await this.deps.db.procedure.findMany({
      where: {
        status: 'ACTIVE',
        orgPath: { startsWith: me.orgPath },
        OR: [{ overdue: true }, { dueAt: { lt: now } }, ...(stale ? [{ stageEnteredAt: { lt: stale } }] : [])],
      },
      orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
      take: limit,
      include: { escalations: { where: { resolvedAt: null }, orderBy: { rung: 'desc' }, take: 1 } },
    });
    const units = await this.unitNames(rows.flatMap((r) => [r.responsibleOrgUnitId, r.orgUnitId]));
    return rows.map((r) => ({
      ...summary(r),
      orgUnitName: units.get(r.orgUnitId),
      responsibleOrgUnitName: r.responsibleOrgUnitId ? units.get(r.responsibleOrgUnitId) : null,
      daysOverdue: r.dueAt ? Math.max(0, Math.floor((now.getTime() - r.dueAt.getTime()) / 86_400_000)) : 0,
      latestEscalation: r.escalations[0] ?? null,
    }));
  }
}

function summary(r: {
  id: string;
  type: string;
  subjectName: string;
  year: number;
  currentStageKey: string | null;
  currentStageName: string | null;
  responsibleOrgUnitId: string | null;
  dueAt: Date | null;
  overdue: boolean;
  escalationLevel: number;
  stageEnteredAt: Date | null;
}) {
  return {
    caseId: r.id,
    type: r.type,
    subjectName: r.subjectName,
    year: r.year,
    stageKey: r.currentStageKey,
    stageName: r.currentStageName,
    responsibleOrgUnitId: r.responsibleOrgUnitId,
    stageEnteredAt: r.stageEnteredAt,
    dueAt: r.dueAt,
    overdue: r.overdue,
    escalationLevel: r.escalationLevel,
  };
}
