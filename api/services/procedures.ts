/**
 * Procedure cases: starting them, deciding their stages, reading them. The workflow owns each
 * case; this service authorises the caller, sends commands as updates, and reads the projection.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Client, WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, WorkflowUpdateRPCTimeoutOrCancelledError, type WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import { Prisma } from '../../generated/prisma/client';
import type { Db } from '../../lib/prisma';
import { latestOf, subjectOfType, type DefinitionStore } from '../../definitions';
import {
  type Actor,
  CancelBody,
  CaseSummary,
  CaseView,
  IndicatorsBody,
  ProcedureSubject,
  ObjectionBody,
  OrgPathByLevel,
  ProcedureInput,
  SA,
  SignOffBody,
  TASK_QUEUE,
  cancelUpdate,
  indicatorsUpdate,
  objectionUpdate,
  openedUpdate,
  procedureWorkflowId,
  signOffUpdate,
  statusQuery,
} from '../../workflows/procedure/contract';
import { subjectOf, subjectTypeOf, type OrgLevel, type ProcedureDefinition, type ProcedureType, type SubjectSpec } from '../../workflows/procedure/definition';
import type { procedureWorkflow } from '../../workflows/procedure/workflow';
import { BATCH_MAX_HOUSEHOLDS, batchProgressQuery, batchWorkflowId, type BatchInput, type BatchProgress } from '../../workflows/batch/contract';
import type { householdExitBatchWorkflow } from '../../workflows/batch/workflow';
import { Principal, actorOf, assertInScope } from '../auth';
import { noteTemporal, requestMemo } from '../request-context';
import { DEFAULT_DECISION_WAIT_MS, decideOn } from './decide';
import { readJournal } from './journal';
import { likePrefix } from './sql';
import { ApiError, forbidden, notFound, unavailable } from '../errors';

export interface ProcedureServiceDeps {
  db: Db;
  temporal: Client;
  definitions: DefinitionStore;
  /** how long a request waits for a new case to open or a decision to be taken (default 30 s) */
  decisionWaitMs?: number;
  /** handed to each new case: it continues as new at a stage boundary past this many history events */
  historyBoundEvents?: number;
}

export type StartResult =
  | { outcome: 'started'; caseId: string; workflowId: string; case: CaseSummary }
  /** started durably, but no worker opened it within the wait (workers busy or down): it opens when one does */
  | { outcome: 'started'; caseId: string; workflowId: string; pending: true }
  | { outcome: 'already_open'; workflowId: string; caseId?: string }
  | { outcome: 'not_eligible'; reason: string };

/** How long reading a case waits for the workflow's live view before answering from the projection. */
const LIVE_QUERY_MS = 2_000;

interface Subject {
  subject: ProcedureSubject;
  /** the org unit the subject belongs to (a household's village) or is (a village, a county) */
  unitPath: string;
  /** why it cannot start, if so */
  ineligible?: string;
}

/** A household as a case's subject, and why it cannot start if so. */
function householdSubject(spec: SubjectSpec, h: { id: string; headName: string; registryNo: string; status: string }): { subject: ProcedureSubject; ineligible?: string } {
  return {
    subject: { type: subjectTypeOf(spec) as ProcedureSubject['type'], id: h.id, name: `${h.headName}户 (${h.registryNo})` },
    ineligible: spec.notExited && h.status === 'EXITED' ? 'household has already exited' : undefined,
  };
}

/** 409 when a parallel group of the definition has no industry department unit to answer it. */
function assertDepartments(definition: ProcedureDefinition, departments: Record<string, string>): void {
  const missing = definition.stages.flatMap((s) => (s.kind === 'parallel' ? s.branches.filter((b) => !departments[b.department]) : []));
  if (missing.length) {
    throw new ApiError(409, 'MissingDepartments', `no industry department unit for: ${missing.map((b) => `${b.department} (${b.name})`).join(', ')}`);
  }
}

/** A UUID-shaped id derived from `text` (the same caller and Idempotency-Key give the same batch). */
function uuidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export class ProcedureService {
  constructor(private readonly deps: ProcedureServiceDeps) {}

  private get waitMs() {
    return this.deps.decisionWaitMs ?? DEFAULT_DECISION_WAIT_MS;
  }

  /** The subject a definition names (`subject: {kind, level}`): a household, or an org unit of the level. */
  private async resolveSubject(spec: SubjectSpec, subjectId: string): Promise<Subject> {
    const { db } = this.deps;
    const type = subjectTypeOf(spec) as ProcedureSubject['type'];
    if (spec.kind === 'household') {
      // the household with its village's path: one statement on every start
      const { rows } = await db.sql.query<{ id: string; headName: string; registryNo: string; status: string; villagePath: string }>(
        `SELECT h."id", h."headName", h."registryNo", h."status", v."path" AS "villagePath"
           FROM "Household" h JOIN "OrgUnit" v ON v."id" = h."villageId" WHERE h."id" = $1`,
        [subjectId],
      );
      const household = rows[0];
      if (!household) throw notFound(`household ${subjectId}`);
      return { ...householdSubject(spec, household), unitPath: household.villagePath };
    }
    const unit = await db.orgUnit.findUnique({ where: { id: subjectId } });
    if (!unit || unit.level !== spec.level || unit.department) throw notFound(`${type} ${subjectId}`);
    return {
      subject: { type, id: unit.id, name: unit.name },
      unitPath: unit.path,
      ineligible: spec.notExited && unit.exitYear !== null ? `${type} exited in ${unit.exitYear}` : undefined,
    };
  }

  /** The subject's units by level, its province's profile and region, and the industry departments. */
  private async orgContext(unitPath: string) {
    const ids = unitPath.split('/').filter(Boolean);
    const { rows: units } = await this.deps.db.sql.query<{ id: string; level: string; parentId: string | null; department: string | null; profile: string | null; western: boolean }>(
      `SELECT "id", "level", "parentId", "department", "profile", "western" FROM "OrgUnit"
        WHERE "id" = ANY($1::text[]) OR ("parentId" = ANY($1::text[]) AND "department" IS NOT NULL)`,
      [ids],
    );
    const byLevel: OrgPathByLevel = {};
    const departments: Record<string, string> = {};
    // the department nearest the subject wins (a county's education bureau over the city's)
    const depth = (u: { parentId: string | null }) => ids.indexOf(u.parentId ?? '');
    for (const u of [...units].sort((a, b) => depth(b) - depth(a))) {
      if (!u.department) byLevel[u.level as OrgLevel] = u.id;
      else departments[u.department] ??= u.id;
    }
    const province = units.find((u) => u.level === 'PROVINCE' && !u.department);
    return { byLevel, departments, profile: province?.profile ?? 'national', western: province?.western ?? false };
  }

  /**
   * What every case of `procedureType` for a subject under `unitPath` starts with — the profile's
   * definition, the units by level, the industry departments, the region — once `me` may start one.
   */
  private async caseTemplate(me: Principal, procedureType: ProcedureType, versions: ProcedureDefinition[], spec: SubjectSpec, unitPath: string) {
    const { byLevel, departments, profile, western } = await this.orgContext(unitPath);
    const definition = latestOf(versions, procedureType, profile);
    const own = subjectOf(definition);
    if (own.kind !== spec.kind || own.level !== spec.level) {
      throw new ApiError(409, 'DefinitionMismatch', `the ${profile} ${procedureType} definition names another subject (${own.kind} at ${own.level})`);
    }
    if (definition.startedByAssessment) throw forbidden(`a ${definition.name} case is started by the annual assessment, one per assessed unit`);
    if (definition.startedBy && (!definition.startedBy.levels.includes(me.orgLevel) || !definition.startedBy.roles.includes(me.role) || me.department)) {
      throw forbidden(`a ${definition.name} case is started by ${definition.startedBy.roles.join('/')} at ${definition.startedBy.levels.join('/')} level`);
    }
    return { definition, byLevel, departments, western };
  }

  /** Starts a case of a procedure for one subject (a household, a village or a county). */
  async start(me: Principal, procedureType: ProcedureType, subjectId: string, year: number, comment?: string, idempotencyKey?: string): Promise<StartResult> {
    const { temporal, definitions, db } = this.deps;
    // every profile of a type names the same subject: the type's national (or any) definition says which
    const versions = await definitions.ofType(procedureType);
    const spec = subjectOfType(versions, procedureType);
    if (!spec) throw notFound(`procedure type ${procedureType}`);
    const { subject, unitPath, ineligible } = await this.resolveSubject(spec, subjectId);
    assertInScope(me, unitPath);
    const { definition, byLevel, departments, western } = await this.caseTemplate(me, procedureType, versions, spec, unitPath);
    if (ineligible) return { outcome: 'not_eligible', reason: ineligible };
    assertDepartments(definition, departments);
    const workflowId = procedureWorkflowId(definition.procedureType, subject.id, year);
    noteTemporal(workflowId);
    const caseId = randomUUID();
    // who started it with which Idempotency-Key: a retry after the API died mid-request finds its own case
    const startKey = idempotencyKey ? `${me.personId}:${idempotencyKey}` : undefined;
    const input: ProcedureInput = {
      caseId,
      year,
      definition,
      subject,
      orgPath: byLevel,
      startedBy: actorOf(me),
      comment,
      western,
      departments,
      ...(this.deps.historyBoundEvents ? { historyBound: this.deps.historyBoundEvents } : {}),
    };
    const startOperation = new WithStartWorkflowOperation<typeof procedureWorkflow>('procedureWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      // the request that started it (X-Request-Id): one case followed from the API's log line to its history
      memo: { caseId, ...(startKey ? { startKey } : {}), ...requestMemo() },
      typedSearchAttributes: [
        { key: SA.procedureType, value: definition.procedureType },
        { key: SA.orgPath, value: Object.values(byLevel) },
      ],
    });
    try {
      // one call (update-with-start): the case starts and its first workflow task takes the `opened`
      // update, which returns once the new case is projected, so it can be read and signed at once.
      // Bounded: with Temporal down the client would retry until the request deadline.
      const view = await temporal.withDeadline(Date.now() + this.waitMs, () => temporal.workflow.executeUpdateWithStart(openedUpdate, { startWorkflowOperation: startOperation }));
      return { outcome: 'started', caseId, workflowId, case: view };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        if (startKey) {
          const handle = temporal.workflow.getHandle(workflowId);
          const { memo } = await handle.describe();
          if (memo?.startKey === startKey) return this.opened(handle, String(memo.caseId));
        }
        const open = await db.procedure.findFirst({ where: { workflowId, status: 'ACTIVE' }, select: { id: true } });
        return { outcome: 'already_open', workflowId, caseId: open?.id };
      }
      if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
        // no worker opened it within the wait: if it started durably, it opens when one does
        await this.assertStartedAs(workflowId, caseId);
        return { outcome: 'started', caseId, workflowId, pending: true };
      }
      throw err;
    }
  }

  /** A start whose answer did not come in time may not have happened: 503 unless `workflowId` runs the case `caseId`. */
  private async assertStartedAs(workflowId: string, caseId: string): Promise<void> {
    const { temporal } = this.deps;
    const memo = await temporal
      .withDeadline(Date.now() + LIVE_QUERY_MS, () => temporal.workflow.getHandle(workflowId).describe())
      .then((d) => d.memo)
      .catch(() => undefined);
    if (memo?.caseId !== caseId) throw unavailable('temporal');
  }

  /** The started case once the workflow has projected it, or `pending` when no worker did so within the wait. */
  private async opened(handle: WorkflowHandle, caseId: string): Promise<StartResult> {
    const workflowId = handle.workflowId;
    try {
      const view = await handle.client.withDeadline(Date.now() + this.waitMs, () => handle.executeUpdate(openedUpdate));
      return { outcome: 'started', caseId, workflowId, case: view };
    } catch (err) {
      if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return { outcome: 'started', caseId, workflowId, pending: true };
      throw err;
    }
  }

  /**
   * Starts household exits for a village's list (every household still poor, or the ones named)
   * as one durable batch (workflows/batch/): answered at once with the batch, whose progress
   * `batch()` reads. The caller's right to start is checked here, once for the village; the batch
   * answers each household started, already open or not eligible. With an Idempotency-Key the
   * batch's id follows from the caller and the key, so a repeat finds the same batch.
   */
  async startVillageHouseholdExits(me: Principal, villageId: string, year: number, householdIds?: string[], idempotencyKey?: string) {
    const { db, temporal, definitions } = this.deps;
    const village = await db.orgUnit.findUnique({ where: { id: villageId } });
    if (!village || village.level !== 'VILLAGE') throw notFound(`village ${villageId}`);
    assertInScope(me, village.path);
    const households = await db.household.findMany({
      where: { villageId, ...(householdIds ? { id: { in: householdIds } } : { status: 'POOR' }) },
      select: { id: true, headName: true, registryNo: true, status: true },
      orderBy: { registryNo: 'asc' },
      take: BATCH_MAX_HOUSEHOLDS + 1,
    });
    if (households.length > BATCH_MAX_HOUSEHOLDS) {
      throw new ApiError(400, 'BadRequest', `more than ${BATCH_MAX_HOUSEHOLDS} households are still poor in this village: start them in named lists (householdIds)`, [{ path: 'householdIds' }]);
    }
    const unknown = (householdIds ?? []).filter((id) => !households.some((h) => h.id === id));
    if (unknown.length) throw new ApiError(400, 'BadRequest', 'households not in this village', unknown.map((id) => ({ path: 'householdIds', id })));
    const versions = await definitions.ofType('household-exit');
    const spec = subjectOfType(versions, 'household-exit');
    if (!spec || spec.kind !== 'household') throw notFound('procedure type household-exit');
    const { definition, byLevel, departments, western } = await this.caseTemplate(me, 'household-exit', versions, spec, village.path);
    assertDepartments(definition, departments);

    const batchId = idempotencyKey ? uuidFrom(`${me.personId}:${idempotencyKey}`) : randomUUID();
    const workflowId = batchWorkflowId(batchId);
    noteTemporal(workflowId);
    const input: BatchInput = {
      batchId,
      villageId,
      year,
      common: {
        year,
        definition,
        orgPath: byLevel,
        startedBy: actorOf(me),
        western,
        departments,
        ...(this.deps.historyBoundEvents ? { historyBound: this.deps.historyBoundEvents } : {}),
      },
      households: households.map((h) => householdSubject(spec, h)),
      memo: requestMemo(),
    };
    try {
      await temporal.withDeadline(Date.now() + this.waitMs, () =>
        temporal.workflow.start<typeof householdExitBatchWorkflow>('householdExitBatchWorkflow', {
          taskQueue: TASK_QUEUE,
          workflowId,
          args: [input],
          workflowIdConflictPolicy: 'FAIL',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          memo: { villageId, villagePath: village.path, ...requestMemo() },
        }),
      );
    } catch (err) {
      // the same caller and key: that batch (a repeat after the API died before it answered)
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    return { batchId, villageId, year, status: 'RUNNING' as const, total: households.length, progress: `/procedures/batches/${batchId}` };
  }

  /** A bulk start's progress, for whoever may see its village (404 for a batch that never was). */
  async batch(me: Principal, batchId: string): Promise<BatchProgress> {
    const { temporal } = this.deps;
    const handle = temporal.workflow.getHandle<typeof householdExitBatchWorkflow>(batchWorkflowId(batchId));
    const bounded = <T>(fn: () => Promise<T>) => temporal.withDeadline(Date.now() + this.waitMs, fn);
    const description = await bounded(() => handle.describe()).catch((err: unknown) => {
      throw err instanceof WorkflowNotFoundError ? notFound(`batch ${batchId}`) : err;
    });
    const villagePath = description.memo?.villagePath;
    if (typeof villagePath !== 'string') throw notFound(`batch ${batchId}`);
    assertInScope(me, villagePath);
    // by its query, finished or not (a worker replays a closed batch to answer); not by `result()`,
    // a long poll that on the time-skipping test server also lets the tests' clock run ahead
    return bounded(() => handle.query(batchProgressQuery));
  }

  /** A decision by `me` on a case in their scope (see decideOn: a closed case answers 409 or the first outcome). */
  private async decideOn<Cmd extends { actor: Actor }>(
    me: Principal,
    caseId: string,
    update: UpdateDefinition<CaseSummary, [Cmd]>,
    body: Omit<Cmd, 'actor'>,
    idempotencyKey?: string,
  ): Promise<CaseSummary> {
    const row = await caseRoute(this.deps.db, caseId);
    if (!row) throw notFound(`case ${caseId}`);
    assertInScope(me, row.orgPath);
    const target = { handle: this.deps.temporal.workflow.getHandle(row.workflowId), open: row.status === 'ACTIVE', closedMessage: `case is ${row.status.toLowerCase()}` };
    return decideOn(target, update, me, body, idempotencyKey, this.waitMs);
  }

  signOff(me: Principal, caseId: string, body: SignOffBody, idempotencyKey?: string): Promise<CaseSummary> {
    return this.decideOn(me, caseId, signOffUpdate, body, idempotencyKey);
  }

  raiseObjection(me: Principal, caseId: string, body: ObjectionBody, idempotencyKey?: string): Promise<CaseSummary> {
    return this.decideOn(me, caseId, objectionUpdate, body, idempotencyKey);
  }

  submitIndicators(me: Principal, caseId: string, body: IndicatorsBody, idempotencyKey?: string): Promise<CaseSummary> {
    return this.decideOn(me, caseId, indicatorsUpdate, body, idempotencyKey);
  }

  cancel(me: Principal, caseId: string, body: CancelBody, idempotencyKey?: string): Promise<CaseSummary> {
    return this.decideOn(me, caseId, cancelUpdate, body, idempotencyKey);
  }

  /** One case with its full audit trail, notices, objections and escalations. */
  async get(me: Principal, caseId: string) {
    const { db, temporal } = this.deps;
    const row = await db.procedure.findUnique({
      where: { id: caseId },
      include: {
        notices: { orderBy: [{ startsAt: 'asc' }], include: { objections: { orderBy: { at: 'asc' } } } },
        escalations: { orderBy: [{ escalatedAt: 'asc' }, { rung: 'asc' }] },
      },
    });
    if (!row) throw notFound(`case ${caseId}`);
    assertInScope(me, row.orgPath);
    let live: CaseView['stage'] | null = null;
    if (row.status === 'ACTIVE') {
      // the workflow is the source of truth; the projection answers if Temporal does not within 2 s
      const handle = temporal.workflow.getHandle(row.workflowId);
      live = await temporal
        .withDeadline(Date.now() + LIVE_QUERY_MS, () => handle.query(statusQuery))
        .then((v) => v.stage ?? null)
        .catch(() => null);
    }
    const units = await this.unitNames([row.orgUnitId, row.responsibleOrgUnitId, ...row.escalations.map((e) => e.orgUnitId)]);
    const history = await readJournal(this.deps.db, 'procedure', caseId);
    const { notices, escalations, ...procedure } = row;
    return {
      ...procedure,
      orgUnitName: units.get(row.orgUnitId),
      responsibleOrgUnitName: row.responsibleOrgUnitId ? units.get(row.responsibleOrgUnitId) : null,
      live,
      history: history.map(({ caseId: procedureId, ...entry }) => ({ ...entry, procedureId })),
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
      where: { status: 'ACTIVE', pendingOrgUnitIds: { has: me.orgUnitId }, responsibleRoles: { has: me.role } },
      orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
      take: limit,
    });
    return rows.map(summary);
  }

  /**
   * Overdue or stuck cases anywhere under my unit: where they stand, who must act, since when.
   * Active cases under my scope that are due before now, marked overdue, blocked or (with
   * `staleDays`) in their stage since before then, due first: their ids from PostgreSQL, then the rows.
   */
  async overdue(me: Principal, staleDays: number | undefined, limit: number) {
    const now = new Date();
    const stale = staleDays !== undefined ? new Date(now.getTime() - staleDays * 86_400_000) : undefined;
    const ids = (await this.deps.db.$queryRaw<Array<{ id: string }>>(lateCaseIds(me.scopePath, now, staleDays, stale, limit))).map((r) => r.id);
    const found = await this.deps.db.procedure.findMany({
      where: { id: { in: ids } },
      include: { escalations: { where: { resolvedAt: null }, orderBy: { rung: 'desc' }, take: 1 } },
    });
    const byId = new Map(found.map((r) => [r.id, r]));
    const rows = ids.flatMap((id) => byId.get(id) ?? []);
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

/** Where a decision goes: the case's workflow, its scope and whether it is open (one statement per decision). */
async function caseRoute(db: Db, caseId: string): Promise<{ orgPath: string; status: string; workflowId: string } | undefined> {
  const { rows } = await db.sql.query<{ orgPath: string; status: string; workflowId: string }>(
    'SELECT "orgPath", "status", "workflowId" FROM "Procedure" WHERE "id" = $1',
    [caseId],
  );
  return rows[0];
}

/**
 * The ids of `overdue`'s page, in its order: one ordered, limited branch per reason a case is late,
 * so that each reads an index of its own in due order or by scope and stops early (one OR over the
 * four reasons reads every active case of a county that has none). The indexes are the partial ones
 * of migration 20261124031001_supervision_indexes: test/supervision-indexes.test.ts checks the plans.
 */
function lateCaseIds(scopePath: string, now: Date, staleDays: number | undefined, stale: Date | undefined, limit: number): Prisma.Sql {
  const branch = (reason: Prisma.Sql) =>
    Prisma.sql`(SELECT "id", "dueAt" FROM "Procedure" WHERE "status" = 'ACTIVE' AND "orgPath" LIKE ${likePrefix(scopePath)} AND ${reason} ORDER BY "dueAt", "id" LIMIT ${limit})`;
  const branches = [
    branch(Prisma.sql`"dueAt" < ${now}`),
    branch(Prisma.sql`("overdue" OR "blockedReason" IS NOT NULL)`),
    ...(stale
      ? [
          // stale and not yet due (stale and past due is the first branch): the stage runs longer than
          // staleDays, which the stage-length index lets the planner see is rare
          branch(Prisma.sql`"stageEnteredAt" < ${stale} AND "dueAt" >= ${now} AND "dueAt" - "stageEnteredAt" > make_interval(days => ${staleDays}::int)`),
          branch(Prisma.sql`"stageEnteredAt" < ${stale} AND "dueAt" IS NULL`),
        ]
      : []),
  ];
  return Prisma.sql`SELECT "id" FROM (${Prisma.join(branches, ' UNION ')}) AS late ORDER BY "dueAt", "id" LIMIT ${limit}`;
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
  dueProvisional: boolean;
  pendingOrgUnitIds: string[];
  blockedReason: string | null;
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
    dueProvisional: r.dueProvisional,
    overdue: r.overdue,
    escalationLevel: r.escalationLevel,
    pendingOrgUnitIds: r.pendingOrgUnitIds,
    blockedReason: r.blockedReason,
  };
}
