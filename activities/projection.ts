/**
 * The one projection activity: every kind of case (procedure, assessment, rectification, duty)
 * hands its journal entries and its snapshot here. Idempotent and order-safe:
 * - entries go to the one audit table, CaseEvent, keyed by (caseType, caseId, seq): a resend
 *   writes nothing twice;
 * - the snapshot row is written only over an older version (`writeIfNewer`, the one stale-write
 *   guard): a projection that lands late never overwrites a newer state. Rows that hang off the
 *   snapshot (assessed units, rectification items, duty records) follow the snapshot's fate.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Prisma } from '../generated/prisma/client';
import type { Db } from '../lib/prisma';
import type { NotificationCounter } from './notifier';
import type { JournalEntry } from '../workflows/shared/journal';
import type { Actor, CaseSummary, CaseView, OrgPathByLevel, ProcedureSubject } from '../workflows/procedure/contract';
import type { AssessmentView, RectificationView } from '../workflows/assessment/contract';
import type { DutyView } from '../workflows/duty/contract';
import type { CaseActions, Role } from '../workflows/procedure/definition';

type Tx = Prisma.TransactionClient;

/** What a procedure case projects besides its entries. */
export interface ProcedureSnapshot {
  /** the entries' effects on the rows around the case read the subject and the year */
  subject: ProcedureSubject;
  year: number;
  snapshot: CaseSummary;
  /** what starting and cancelling the case does to its subject (the definition's allow-listed actions) */
  actions: CaseActions;
  /** what the row is created with: sent until a projection has been confirmed, then never again */
  opening?: ProcedureOpening;
}

export interface ProcedureOpening {
  workflowId: string;
  procedureType: string;
  definitionId: string;
  definitionVersion: number;
  profile: string;
  subjectOrgUnitId: string;
  startedBy: Actor;
  startedAt?: string;
}

/** What workflow code from before the one projection sent (activity `projectCase`). */
export type LegacyProcedureProjection = ProcedureOpening & { caseId: string; stateSeq: number; entries: JournalEntry[]; subject: ProcedureSubject; year: number; snapshot: CaseView; orgPath: OrgPathByLevel };

export interface AssessmentSnapshot {
  view: AssessmentView;
  workflowId: string;
}

export interface RectificationSnapshot {
  view: RectificationView;
  unitName: string;
  assessmentId?: string;
}

export interface DutyRecordRow {
  id: string;
  date: string;
  villageId?: string;
  note?: string;
  at: string;
}

export interface DutySnapshot {
  view: DutyView;
  orgUnitId: string;
  /** the records new since the last confirmed projection */
  records: DutyRecordRow[];
}

/**
 * A notification an entry asks for (a task on stage entry, a reminder, an escalation), written in
 * the projection's own transaction — the outbox the channels deliver from — so that a decision
 * costs one write, not a notification activity and a projection. The people are resolved here:
 * everyone holding one of `roles` in one of `orgUnitIds`; the entry's `data.recipients` names them.
 */
export interface NotificationRequest {
  /** the journal entry it belongs to (REMINDED, ESCALATED, TASK_ASSIGNED) */
  entrySeq: number;
  kind: 'REMINDER' | 'ESCALATION' | 'TASK';
  /** one notification per key and person */
  dedupeKey: string;
  orgUnitIds: string[];
  roles: Role[];
  title: string;
  body: string;
}

interface Journaled {
  /** the journal's key: the case id (a duty's: `<dutyId>@<period start>`) */
  caseId: string;
  /** the version of the snapshot: the seq of the journal's newest entry */
  stateSeq: number;
  /** every entry past the last confirmed projection */
  entries: JournalEntry[];
  /** the notifications those entries ask for (procedure cases; sent again with their entries until confirmed) */
  notifications?: NotificationRequest[];
}

export type ProjectionInput = Journaled &
  (
    | { caseType: 'procedure'; case: ProcedureSnapshot }
    | { caseType: 'assessment'; case: AssessmentSnapshot }
    | { caseType: 'rectification'; case: RectificationSnapshot }
    | { caseType: 'duty'; case: DutySnapshot }
  );

/** One projected version: compared in order, the first differing field decides. */
type Version = Array<[field: string, value: number | Date]>;

/** A where-clause matching rows whose version is older than `version`. */
function olderThan(version: Version): Record<string, unknown> {
  const [[field, value], ...rest] = version;
  if (!rest.length) return { [field]: { lt: value } };
  return { OR: [{ [field]: { lt: value } }, { [field]: value, ...olderThan(rest) }] };
}

/**
 * The stale-write guard: updates the row only if it holds an older version, creates it if there
 * is none. Returns false when a newer version is already projected (the write is dropped).
 */
async function writeIfNewer(
  version: Version,
  table: {
    update: (olderWhere: Record<string, unknown>) => Promise<{ count: number }>;
    exists: () => Promise<boolean>;
    create: () => Promise<unknown>;
  },
): Promise<boolean> {
  if ((await table.update(olderThan(version))).count > 0) return true;
  if (await table.exists()) return false;
  await table.create();
  return true;
}

async function saveEntries(tx: Tx, caseType: string, caseId: string, entries: JournalEntry[]): Promise<void> {
  if (!entries.length) return;
  await tx.caseEvent.createMany({
    data: entries.map((e) => ({
      caseType,
      caseId,
      seq: e.seq,
      action: e.action,
      stageKey: e.stageKey,
      stageName: e.stageName,
      round: e.round,
      actorId: e.actor?.personId,
      actorName: e.actor?.name,
      actorOrgUnitId: e.actor?.orgUnitId,
      actorRole: e.actor?.role,
      comment: e.comment,
      attachments: (e.attachments ?? []) as Prisma.InputJsonValue,
      data: (e.data ?? {}) as Prisma.InputJsonValue,
      at: new Date(e.at),
    })),
    skipDuplicates: true,
  });
}

/**
 * The people each notification goes to, and their notifications written (once per key and person).
 * Returns the entries with `data.recipients` filled in for the entries that asked, and how many
 * notifications of each kind are new (none when a resend finds them written).
 */
async function writeNotifications(tx: Tx, caseId: string, entries: JournalEntry[], requests: NotificationRequest[]): Promise<{ entries: JournalEntry[]; created: Map<string, number> }> {
  const created = new Map<string, number>();
  if (!requests.length) return { entries, created };
  const units = [...new Set(requests.flatMap((r) => r.orgUnitIds))];
  const roles = [...new Set(requests.flatMap((r) => r.roles))];
  const people = await tx.person.findMany({ where: { orgUnitId: { in: units }, role: { in: roles } }, orderBy: { id: 'asc' }, select: { id: true, name: true, role: true, orgUnitId: true } });
  const recipientsOf = new Map<number, Array<{ id: string; name: string; role: Role }>>();
  const rows = requests.flatMap((r) => {
    const to = people.filter((p) => r.orgUnitIds.includes(p.orgUnitId) && r.roles.includes(p.role as Role));
    recipientsOf.set(r.entrySeq, [...(recipientsOf.get(r.entrySeq) ?? []), ...to.map((p) => ({ id: p.id, name: p.name, role: p.role as Role }))]);
    return to.map((p) => ({ dedupeKey: `${r.dedupeKey}:${p.id}`, recipientId: p.id, procedureId: caseId, kind: r.kind, title: r.title, body: r.body, channel: 'in-app' }));
  });
  const { count } = await tx.notification.createMany({ data: rows, skipDuplicates: true });
  // a resend writes none; a partial one (rare) is counted by kind in full
  if (count > 0) for (const row of rows) created.set(row.kind, (created.get(row.kind) ?? 0) + 1);
  return { entries: entries.map((e) => (recipientsOf.has(e.seq) ? { ...e, data: { ...e.data, recipients: recipientsOf.get(e.seq) } } : e)), created };
}

export function createProjectionActivities({ db, notificationsSent }: { db: Db; notificationsSent?: NotificationCounter }) {
  async function projectJournal(input: ProjectionInput): Promise<void> {
    const created = await db.$transaction(async (tx) => {
      const { entries, created } = await writeNotifications(tx, input.caseId, input.entries, input.notifications ?? []);
      await saveEntries(tx, input.caseType, input.caseId, entries);
      await projectCaseRow(tx, input, entries);
      return created;
    });
    for (const [kind, count] of created) notificationsSent?.(kind, count);
  }

  function projectCaseRow(tx: Tx, input: ProjectionInput, entries: JournalEntry[]): Promise<void> {
    switch (input.caseType) {
      case 'procedure':
        return projectProcedure(tx, input.caseId, input.stateSeq, entries, input.case);
      case 'assessment':
        return projectAssessment(tx, input.stateSeq, input.case);
      case 'rectification':
        return projectRectification(tx, input.stateSeq, input.case);
      case 'duty':
        return projectDuty(tx, input.stateSeq, input.case);
      default: {
        const unknown: never = input;
        throw ApplicationFailure.nonRetryable(`unknown case type ${String((unknown as { caseType: unknown }).caseType)}`, 'InvalidInput');
      }
    }
  }

  return {
    projectJournal,

    // Activity names scheduled by workflow code from before the one projection
    // (patch `one-projection`): a task already in flight when a worker is upgraded still lands.
    projectCase: ({ caseId, stateSeq, entries, subject, year, snapshot, orgPath: _orgPath, ...opening }: LegacyProcedureProjection) =>
      projectJournal({
        caseType: 'procedure',
        caseId,
        stateSeq,
        entries,
        // that code tied the household's status to the subject's type
        case: { subject, year, snapshot, opening, actions: subject.type === 'household' ? { onStart: ['markHouseholdExiting'], onCancel: ['restoreHouseholdPoor'] } : { onStart: [], onCancel: [] } },
      }),
    projectAssessment: ({ view, workflowId, stateSeq, events }: AssessmentSnapshot & { stateSeq: number; events: JournalEntry[] }) =>
      projectJournal({ caseType: 'assessment', caseId: view.id, stateSeq, entries: events, case: { view, workflowId } }),
    projectRectification: ({ view, unitName, assessmentId, stateSeq, events }: RectificationSnapshot & { stateSeq: number; events: JournalEntry[] }) =>
      projectJournal({ caseType: 'rectification', caseId: view.id, stateSeq, entries: events, case: { view, unitName, assessmentId } }),
    projectDuty: ({ view, orgUnitId, records, stateSeq, events }: DutySnapshot & { stateSeq: number; events: JournalEntry[] }) =>
      projectJournal({ caseType: 'duty', caseId: dutyJournalId(view), stateSeq, entries: events, case: { view, orgUnitId, records } }),
  };
}

export type ProjectionActivities = ReturnType<typeof createProjectionActivities>;

/** A duty's journal restarts with each period: its entries are kept apart by the period. */
export const dutyJournalId = (view: Pick<DutyView, 'dutyId' | 'periodStart'>) => `${view.dutyId}@${view.periodStart.slice(0, 10)}`;

// ---- procedure ------------------------------------------------------------------------------------

async function projectProcedure(tx: Tx, caseId: string, stateSeq: number, entries: JournalEntry[], input: ProcedureSnapshot): Promise<void> {
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
    stateSeq,
  };
  await writeIfNewer([['stateSeq', stateSeq]], {
    update: (older) => tx.procedure.updateMany({ where: { id: caseId, ...older }, data }),
    exists: async () => !!(await tx.procedure.findUnique({ where: { id: caseId }, select: { id: true } })),
    create: async () => {
      const opening = input.opening;
      // retried: the projection that opened the case is still to land (it carries the opening)
      if (!opening) throw new Error(`case ${caseId} is not opened in the database yet`);
      const subjectUnit = await tx.orgUnit.findUniqueOrThrow({ where: { id: opening.subjectOrgUnitId } });
      return tx.procedure.create({
        data: {
          id: caseId,
          workflowId: opening.workflowId,
          type: opening.procedureType,
          definitionId: opening.definitionId,
          definitionVersion: opening.definitionVersion,
          profile: opening.profile,
          subjectType: input.subject.type,
          subjectId: input.subject.id,
          subjectName: input.subject.name,
          householdId: input.subject.type === 'household' ? input.subject.id : null,
          orgUnitId: subjectUnit.id,
          orgPath: subjectUnit.path,
          year: input.year,
          startedById: opening.startedBy.personId,
          startedAt: opening.startedAt ? new Date(opening.startedAt) : new Date(),
          ...data,
        },
      });
    },
  });
  // the entries' effects on the rows around the case: each is idempotent, so a resend is harmless
  for (const entry of entries) await projectProcedureEntry(tx, caseId, input, entry);
}

async function projectProcedureEntry(tx: Tx, caseId: string, input: ProcedureSnapshot, e: JournalEntry): Promise<void> {
  const where = { procedureId: caseId, stageKey: e.stageKey ?? '', round: e.round ?? 0 };
  const data = (e.data ?? {}) as Record<string, unknown>;
  switch (e.action) {
    case 'STARTED':
      for (const action of input.actions.onStart) await runCaseAction(tx, action, input.subject);
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
      if (!notice) throw new Error(`notice ${e.stageKey}/${e.round} of case ${caseId} is not projected yet`);
      await tx.publicNotice.update({ where: { id: notice.id }, data: { status: 'INTERRUPTED' } });
      await tx.objection.upsert({
        where: { id: `${caseId}:${e.seq}` },
        create: {
          id: `${caseId}:${e.seq}`,
          noticeId: notice.id,
          procedureId: caseId,
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
      await saveIndicators(tx, caseId, input, e, (data.values ?? {}) as Record<string, number>, String(data.source ?? e.stageName));
      return;
    case 'APPROVED':
      if (data.indicators) await saveIndicators(tx, caseId, input, e, data.indicators as Record<string, number>, e.stageName ?? '');
      await tx.escalation.updateMany({ where: { ...where, resolvedAt: null }, data: { resolvedAt: new Date(e.at) } });
      return;
    case 'REJECTED':
      // the stage is decided: its escalations resolve themselves
      await tx.escalation.updateMany({ where: { ...where, resolvedAt: null }, data: { resolvedAt: new Date(e.at) } });
      return;
    case 'CANCELLED':
      await tx.escalation.updateMany({ where: { procedureId: caseId, resolvedAt: null }, data: { resolvedAt: new Date(e.at) } });
      await tx.publicNotice.updateMany({ where: { procedureId: caseId, status: 'OPEN' }, data: { status: 'CANCELLED' } });
      for (const action of input.actions.onCancel) await runCaseAction(tx, action, input.subject);
      return;
    default:
      return;
  }
}

/** A start or cancel action of the definition's allow-list; each is idempotent (a guarded update). */
async function runCaseAction(tx: Tx, action: CaseActions['onStart'][number] | CaseActions['onCancel'][number], subject: ProcedureSubject): Promise<void> {
  switch (action) {
    case 'markHouseholdExiting': // 退出程序启动: the household is under exit
      await tx.household.updateMany({ where: { id: subject.id, status: 'POOR' }, data: { status: 'EXITING' } });
      return;
    case 'restoreHouseholdPoor': // the exit was called off: the household is poor again
      await tx.household.updateMany({ where: { id: subject.id, status: 'EXITING' }, data: { status: 'POOR' } });
      return;
    default: {
      const unknown: never = action;
      throw ApplicationFailure.nonRetryable(`unknown case action ${String(unknown)}`, 'InvalidInput');
    }
  }
}

async function saveIndicators(tx: Tx, caseId: string, input: ProcedureSnapshot, e: JournalEntry, values: Record<string, number>, source: string) {
  for (const [key, value] of Object.entries(values)) {
    const id = { subjectType: input.subject.type, subjectId: input.subject.id, year: input.year, key };
    const data = { value, source, enteredById: e.actor?.personId ?? '', caseId, enteredAt: new Date(e.at) };
    // a replayed older entry never overwrites a newer figure
    await tx.subjectIndicator.upsert({ where: { subjectType_subjectId_year_key: id }, create: { ...id, ...data }, update: {} });
    await tx.subjectIndicator.updateMany({ where: { ...id, enteredAt: { lt: data.enteredAt } }, data });
  }
}

// ---- assessment, rectification, duty -------------------------------------------------------------

async function projectAssessment(tx: Tx, stateSeq: number, { view, workflowId }: AssessmentSnapshot): Promise<void> {
  const data = {
    status: view.status,
    step: view.step,
    stepDueAt: view.stepDueAt ? new Date(view.stepDueAt) : null,
    overdue: view.overdue,
    completedAt: view.status === 'COMPLETED' ? new Date() : null,
    stateSeq,
  };
  const written = await writeIfNewer([['stateSeq', stateSeq]], {
    update: (older) => tx.assessment.updateMany({ where: { id: view.id, ...older }, data }),
    exists: async () => !!(await tx.assessment.findUnique({ where: { id: view.id }, select: { id: true } })),
    create: async () => {
      const assessor = await tx.orgUnit.findUniqueOrThrow({ where: { id: view.assessorUnitId } });
      return tx.assessment.create({
        data: {
          id: view.id,
          workflowId,
          year: view.year,
          assessorUnitId: view.assessorUnitId,
          assessorPath: assessor.path,
          definitionVersion: 1,
          finishBy: new Date(view.finishBy),
          startedAt: new Date(),
          ...data,
        },
      });
    },
  });
  if (!written) return;
  for (const u of view.units) {
    const row = {
      year: view.year,
      selfSummaryCaseId: u.selfSummaryCaseId ?? null,
      selfSummaryAt: u.selfSummarySubmitted ? new Date() : null,
      evaluation: (u.evaluation ?? undefined) as Prisma.InputJsonValue | undefined,
      grade: u.grade ?? null,
      problems: u.problems as unknown as Prisma.InputJsonValue,
      rectificationId: u.rectificationId ?? null,
      feedbackAt: view.step === 'done' ? new Date() : null,
    };
    await tx.assessmentUnit.upsert({
      where: { assessmentId_unitId: { assessmentId: view.id, unitId: u.unitId } },
      create: { assessmentId: view.id, unitId: u.unitId, ...row },
      update: row,
    });
  }
}

async function projectRectification(tx: Tx, stateSeq: number, { view, assessmentId }: RectificationSnapshot): Promise<void> {
  const data = {
    status: view.status,
    phase: view.phase,
    timetable: view.timetable as unknown as Prisma.InputJsonValue,
    planSubmittedAt: view.planSubmittedAt ? new Date(view.planSubmittedAt) : null,
    reportSubmittedAt: view.reportSubmittedAt ? new Date(view.reportSubmittedAt) : null,
    overdue: view.overdue,
    stateSeq,
  };
  const written = await writeIfNewer([['stateSeq', stateSeq]], {
    update: (older) => tx.rectification.updateMany({ where: { id: view.id, ...older }, data }),
    exists: async () => !!(await tx.rectification.findUnique({ where: { id: view.id }, select: { id: true } })),
    create: async () => {
      const unit = await tx.orgUnit.findUniqueOrThrow({ where: { id: view.unitId } });
      return tx.rectification.create({
        data: { id: view.id, unitId: view.unitId, unitPath: unit.path, year: view.year, assessmentId, issuedAt: new Date(view.issuedAt), ...data },
      });
    },
  });
  if (!written) return;
  for (const it of view.items) {
    const row = {
      problemType: it.problemType,
      description: it.description,
      leadUnitId: it.leadUnitId,
      responsibleUnitIds: it.responsibleUnitIds,
      measures: it.measures,
      deadlineKind: it.deadlineKind,
      dueAt: it.dueAt ? new Date(it.dueAt) : null,
      dueProvisional: it.dueProvisional ?? false,
      status: it.status,
      closedUnitIds: it.closedUnitIds,
      overdue: it.overdue,
      evidence: it.evidence as unknown as Prisma.InputJsonValue,
      confirmedAt: it.confirmedAt ? new Date(it.confirmedAt) : null,
    };
    await tx.rectificationItem.upsert({
      where: { rectificationId_seq: { rectificationId: view.id, seq: it.seq } },
      create: { rectificationId: view.id, seq: it.seq, ...row },
      update: row,
    });
  }
}

async function projectDuty(tx: Tx, stateSeq: number, { view, orgUnitId, records }: DutySnapshot): Promise<void> {
  const periodStart = new Date(view.periodStart);
  const data = {
    periodStart,
    periodEnd: new Date(view.periodEnd),
    count: view.count,
    missed: view.missed,
    missedPeriods: view.missedPeriods ?? 0,
    lastMissedAt: view.lastMissedAt ? new Date(view.lastMissedAt) : null,
    stateSeq,
  };
  // each period's run (continue-as-new) starts its journal again: the period orders the runs
  await writeIfNewer(
    [
      ['periodStart', periodStart],
      ['stateSeq', stateSeq],
    ],
    {
      update: (older) => tx.duty.updateMany({ where: { id: view.dutyId, ...older }, data }),
      exists: async () => !!(await tx.duty.findUnique({ where: { id: view.dutyId }, select: { id: true } })),
      create: async () => {
        const unit = await tx.orgUnit.findUniqueOrThrow({ where: { id: orgUnitId } });
        return tx.duty.create({
          data: { id: view.dutyId, personId: view.personId, orgUnitId: unit.id, unitPath: unit.path, kind: view.kind, period: view.period, required: view.required, ...data },
        });
      },
    },
  );
  // a record is a fact of its own (keyed by its update id), whatever the snapshot's fate
  for (const r of records) {
    await tx.dutyRecord.upsert({
      where: { id: r.id },
      create: { id: r.id, dutyId: view.dutyId, personId: view.personId, date: new Date(`${r.date}T00:00:00+08:00`), villageId: r.villageId, note: r.note, recordedAt: new Date(r.at) },
      update: {},
    });
  }
}
