/**
 * Activities of the procedure engine, built from injected dependencies. Each is idempotent: a
 * retry or a replayed workflow writes nothing twice (unique keys: StepRecord(procedureId, seq),
 * Escalation(procedureId, stageKey, round, rung), Notification.dedupeKey, Procedure.stateSeq).
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Prisma } from '../generated/prisma/client';
import type { Db } from '../lib/prisma';
import type { Notifier } from './notifier';
import type { Actor, CaseView, HistoryEntry, OrgPathByLevel, ProcedureSubject } from '../workflows/procedure/contract';
import type { AUTOMATIC_ACTIONS, Role } from '../workflows/procedure/definition';
import { chinaDate, endOfChinaDate, loadCalendar } from '../lib/calendar';

export interface ProjectCaseInput {
  caseId: string;
  workflowId: string;
  procedureType: string;
  definitionId: string;
  definitionVersion: number;
  profile: string;
  subject: ProcedureSubject;
  orgPath: OrgPathByLevel;
  subjectOrgUnitId: string;
  year: number;
  startedBy: Actor;
  startedAt?: string;
  snapshot: CaseView;
  stateSeq: number;
  entries: HistoryEntry[];
}

export interface NotifyInput {
  caseId: string;
  kind: 'REMINDER' | 'ESCALATION' | 'TASK';
  dedupeKey: string;
  /** older histories hold a single `orgUnitId` */
  orgUnitIds?: string[];
  orgUnitId?: string;
  /** also notify the unit one level above this one (its leading group), if there is one */
  parentOf?: string;
  /** named people, whatever their unit */
  personIds?: string[];
  roles: Role[];
  title: string;
  body: string;
}

export interface Recipient {
  id: string;
  name: string;
  role: Role;
}

export interface AutomaticActionInput {
  action: (typeof AUTOMATIC_ACTIONS)[number];
  caseId: string;
  subject: ProcedureSubject;
  year: number;
}

export interface ComputeDeadlineInput {
  /** ISO instant the stage opened */
  from: string;
  workingDays: number;
}

export interface ReadIndicatorsInput {
  subjectType: string;
  subjectId: string;
  year: number;
  keys: string[];
}

export interface ProcedureActivityDeps {
  db: Db;
  notifier: Notifier;
}

type Tx = Prisma.TransactionClient;

export function createProcedureActivities({ db, notifier }: ProcedureActivityDeps) {
  return {
    /** Writes the workflow's state to its projection rows. Order-safe and idempotent. */
    async projectCase(input: ProjectCaseInput): Promise<void> {
      await db.$transaction(async (tx) => {
        await upsertProcedure(tx, input);
        if (input.entries.length === 0) return;
        await tx.stepRecord.createMany({
          data: input.entries.map((e) => ({
            procedureId: input.caseId,
            seq: e.seq,
            stageKey: e.stageKey,
            stageName: e.stageName,
            action: e.action,
            actorId: e.actor?.personId,
            actorName: e.actor?.name,
            actorOrgUnitId: e.actor?.orgUnitId,
            actorRole: e.actor?.role,
            comment: e.comment,
            attachments: (e.attachments ?? []) as Prisma.InputJsonValue,
            data: (e.data ?? {}) as Prisma.InputJsonValue,
            round: e.round,
            at: new Date(e.at),
          })),
          skipDuplicates: true,
        });
        for (const entry of input.entries) await projectEntry(tx, input, entry);
      });
    },

    /** Notifies everyone holding one of `roles` in `orgUnitId`; one notification per key and person. */
    async notify(input: NotifyInput): Promise<{ recipients: Recipient[] }> {
      const units = input.orgUnitIds ?? (input.orgUnitId ? [input.orgUnitId] : []);
      if (input.parentOf) {
        const unit = await db.orgUnit.findUnique({ where: { id: input.parentOf }, select: { parentId: true } });
        if (unit?.parentId) units.push(unit.parentId);
      }
      const people = await db.person.findMany({
        where: { OR: [{ orgUnitId: { in: units }, role: { in: input.roles } }, { id: { in: input.personIds ?? [] } }] },
        orderBy: { id: 'asc' },
      });
      const recipients = people.map((p) => ({ id: p.id, name: p.name, role: p.role as Role }));
      await notifier.send(
        recipients.map((r) => ({
          dedupeKey: `${input.dedupeKey}:${r.id}`,
          recipientId: r.id,
          procedureId: input.caseId,
          kind: input.kind,
          title: input.title,
          body: input.body,
        })),
      );
      return { recipients };
    },

    /**
     * The end of the n-th official working day after the stage opened (24:00 China time), and
     * whether the count ran through a year whose holiday schedule is not loaded.
     */
    async computeDeadline(input: ComputeDeadlineInput): Promise<{ dueAt: string; provisional: boolean }> {
      // absurd input fails the activity for good (a retry would fail the same way), never spins
      const start = Date.parse(input.from);
      if (!Number.isFinite(start)) throw ApplicationFailure.nonRetryable('computeDeadline: the start is not an ISO instant', 'InvalidInput');
      if (!Number.isInteger(input.workingDays) || input.workingDays < 1) {
        throw ApplicationFailure.nonRetryable('computeDeadline: the number of working days must be a positive whole number', 'InvalidInput');
      }
      const calendar = await loadCalendar(db);
      try {
        const { date, provisional } = calendar.addWorkingDays(chinaDate(start), input.workingDays);
        return { dueAt: endOfChinaDate(date).toISOString(), provisional };
      } catch (err) {
        if (err instanceof RangeError) throw ApplicationFailure.nonRetryable(`computeDeadline: ${err.message}`, 'InvalidInput');
        throw err;
      }
    },

    /** The newest figures of a subject for a year. */
    async readIndicators(input: ReadIndicatorsInput): Promise<{ values: Record<string, number> }> {
      const rows = await db.subjectIndicator.findMany({
        where: { subjectType: input.subjectType, subjectId: input.subjectId, year: input.year, key: { in: input.keys } },
      });
      return { values: Object.fromEntries(rows.map((r) => [r.key, r.value])) };
    },

    /** Runs an automatic stage's action (an allow-listed name, never free input). */
    async runAutomaticAction(input: AutomaticActionInput): Promise<Record<string, unknown>> {
      switch (input.action) {
        case 'markHouseholdExited': {
          // 信息系统脱贫标注: mark once; a retry finds it marked and reports the first marking.
          await db.household.updateMany({
            where: { id: input.subject.id, registryMarkedAt: null },
            data: { status: 'EXITED', exitYear: input.year, registryMarkedAt: new Date(), registryMarkedBy: input.caseId },
          });
          const household = await db.household.findUnique({ where: { id: input.subject.id } });
          if (!household) {
            throw ApplicationFailure.nonRetryable(`household ${input.subject.id} not found`, 'InvalidInput');
          }
          return { registryNo: household.registryNo, registryMarkedAt: household.registryMarkedAt?.toISOString() };
        }
        case 'markVillageExited':
        case 'markCountyExited': {
          await db.orgUnit.updateMany({
            where: { id: input.subject.id, exitYear: null },
            data: { exitYear: input.year, exitCaseId: input.caseId },
          });
          const unit = await db.orgUnit.findUnique({ where: { id: input.subject.id } });
          if (!unit) throw ApplicationFailure.nonRetryable(`org unit ${input.subject.id} not found`, 'InvalidInput');
          return { exitYear: unit.exitYear, exitCaseId: unit.exitCaseId };
        }
        case 'fileWithStateCouncil':
          // 报国务院扶贫开发领导小组备案: the filing is the case's own record, referenced by the case id
          return { filedWith: '国务院扶贫开发领导小组', reference: `备案-${input.year}-${input.caseId}` };
        default: {
          const unknown: never = input.action;
          throw ApplicationFailure.nonRetryable(`unknown automatic action ${String(unknown)}`, 'InvalidInput');
        }
      }
    },
  };
}

export type ProcedureActivities = ReturnType<typeof createProcedureActivities>;

async function upsertProcedure(tx: Tx, input: ProjectCaseInput): Promise<void> {
  const s = input.snapshot;
  const data = {
    status: s.status,
    currentStageKey: s.stage?.key ?? null,
    currentStageName: s.stage?.name ?? null,
    currentStageKind: s.stage?.kind ?? null,
    responsibleOrgUnitId: s.stage?.responsibleOrgUnitId ?? null,
    responsibleRoles: s.stage?.roles ?? [],
    pendingOrgUnitIds: s.stage?.pendingOrgUnitIds ?? (s.stage ? [s.stage.responsibleOrgUnitId] : []),
    blockedReason: s.stage?.blocked ? s.stage.blocked.failures.map((f) => f.reason).join('；') : null,
    dueProvisional: s.stage?.dueProvisional ?? false,
    stageEnteredAt: s.stage ? new Date(s.stage.enteredAt) : null,
    dueAt: s.stage?.dueAt ? new Date(s.stage.dueAt) : null,
    overdue: s.stage?.overdue ?? false,
    escalationLevel: s.stage?.escalationLevel ?? 0,
    closedAt: s.closedAt ? new Date(s.closedAt) : null,
    stateSeq: input.stateSeq,
  };
  const updated = await tx.procedure.updateMany({ where: { id: input.caseId, stateSeq: { lt: input.stateSeq } }, data });
  if (updated.count > 0) return;
  const exists = await tx.procedure.findUnique({ where: { id: input.caseId }, select: { id: true } });
  if (exists) return; // a newer state is already projected
  const subjectUnit = await tx.orgUnit.findUniqueOrThrow({ where: { id: input.subjectOrgUnitId } });
  await tx.procedure.create({
    data: {
      id: input.caseId,
      workflowId: input.workflowId,
      type: input.procedureType,
      definitionId: input.definitionId,
      definitionVersion: input.definitionVersion,
      profile: input.profile,
      subjectType: input.subject.type,
      subjectId: input.subject.id,
      subjectName: input.subject.name,
      householdId: input.subject.type === 'household' ? input.subject.id : null,
      orgUnitId: subjectUnit.id,
      orgPath: subjectUnit.path,
      year: input.year,
      startedById: input.startedBy.personId,
      startedAt: input.startedAt ? new Date(input.startedAt) : new Date(),
      ...data,
    },
  });
}

async function projectEntry(tx: Tx, input: ProjectCaseInput, e: HistoryEntry): Promise<void> {
  const where = { procedureId: input.caseId, stageKey: e.stageKey, round: e.round };
  const data = (e.data ?? {}) as Record<string, unknown>;
  switch (e.action) {
    case 'STARTED':
      if (input.subject.type === 'household') {
        await tx.household.updateMany({ where: { id: input.subject.id, status: 'POOR' }, data: { status: 'EXITING' } });
      }
      return;
    case 'STAGE_ENTERED':
      if (data.kind === 'notice') {
        await tx.publicNotice.upsert({
          where: { procedureId_stageKey_round: where },
          create: {
            ...where,
            orgUnitId: String(data.responsibleOrgUnitId),
            startsAt: new Date(e.at),
            endsAt: new Date(String(data.dueAt)),
            status: 'OPEN',
          },
          update: {},
        });
      }
      return;
    case 'NOTICE_PASSED':
      await tx.publicNotice.updateMany({ where: { ...where, status: 'OPEN' }, data: { status: 'PASSED' } });
      return;
    case 'OBJECTION': {
      const notice = await tx.publicNotice.findUnique({ where: { procedureId_stageKey_round: where } });
      if (!notice) throw new Error(`notice ${e.stageKey}/${e.round} of case ${input.caseId} is not projected yet`);
      await tx.publicNotice.update({ where: { id: notice.id }, data: { status: 'INTERRUPTED' } });
      await tx.objection.upsert({
        where: { id: `${input.caseId}:${e.seq}` },
        create: {
          id: `${input.caseId}:${e.seq}`,
          noticeId: notice.id,
          procedureId: input.caseId,
          objectorName: String(data.objectorName),
          content: e.comment ?? '',
          recordedById: e.actor?.personId ?? '',
          at: new Date(e.at),
        },
        update: {},
      });
      return;
    }
    case 'ESCALATED':
      await tx.escalation.upsert({
        where: { procedureId_stageKey_round_rung: { ...where, rung: Number(data.rung) } },
        create: {
          ...where,
          rung: Number(data.rung),
          label: String(data.label),
          orgUnitId: String(data.orgUnitId),
          stageDueAt: new Date(String(data.dueAt)),
          escalatedAt: new Date(e.at),
        },
        update: {},
      });
      return;
    case 'INDICATORS_SUBMITTED':
      await saveIndicators(tx, input, e, (data.values ?? {}) as Record<string, number>, String(data.source ?? e.stageName));
      return;
    case 'APPROVED':
      if (data.indicators) await saveIndicators(tx, input, e, data.indicators as Record<string, number>, e.stageName);
      await tx.escalation.updateMany({ where: { ...where, resolvedAt: null }, data: { resolvedAt: new Date(e.at) } });
      return;
    case 'REJECTED':
      // the stage is decided: its escalations resolve themselves
      await tx.escalation.updateMany({ where: { ...where, resolvedAt: null }, data: { resolvedAt: new Date(e.at) } });
      return;
    case 'CANCELLED':
      await tx.escalation.updateMany({ where: { procedureId: input.caseId, resolvedAt: null }, data: { resolvedAt: new Date(e.at) } });
      await tx.publicNotice.updateMany({ where: { procedureId: input.caseId, status: 'OPEN' }, data: { status: 'CANCELLED' } });
      if (input.subject.type === 'household') {
        await tx.household.updateMany({ where: { id: input.subject.id, status: 'EXITING' }, data: { status: 'POOR' } });
      }
      return;
    default:
      return;
  }
}

async function saveIndicators(tx: Tx, input: ProjectCaseInput, e: HistoryEntry, values: Record<string, number>, source: string) {
  for (const [key, value] of Object.entries(values)) {
    const id = { subjectType: input.subject.type, subjectId: input.subject.id, year: input.year, key };
    const data = { value, source, enteredById: e.actor?.personId ?? '', caseId: input.caseId, enteredAt: new Date(e.at) };
    // a replayed older entry never overwrites a newer figure
    await tx.subjectIndicator.upsert({ where: { subjectType_subjectId_year_key: id }, create: { ...id, ...data }, update: {} });
    await tx.subjectIndicator.updateMany({ where: { ...id, enteredAt: { lt: data.enteredAt } }, data });
  }
}
