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
import { inPgTransaction, projectProcedure, saveEntries, viaPrisma, writeNotifications } from './sql-projection';
import { writeIfNewer } from './stale-write';

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

export function createProjectionActivities({ db, notificationsSent }: { db: Db; notificationsSent?: NotificationCounter }) {
  async function projectJournal(input: ProjectionInput): Promise<void> {
    if (input.caseType === 'procedure') {
      // the hot path (every decision of every case): its statements in SQL on the pg pool, one transaction
      const created = await inPgTransaction(db.sql, async (sql) => {
        const { entries, created } = await writeNotifications(sql, input.caseId, input.entries, input.notifications ?? []);
        await saveEntries(sql, 'procedure', input.caseId, entries);
        await projectProcedure(sql, input.caseId, input.stateSeq, entries, input.case);
        return created;
      });
      for (const [kind, count] of created) notificationsSent?.(kind, count);
      return;
    }
    await db.$transaction(async (tx) => {
      await saveEntries(viaPrisma(tx), input.caseType, input.caseId, input.entries);
      await projectCaseRow(tx, input);
    });
  }

  function projectCaseRow(tx: Tx, input: Exclude<ProjectionInput, { caseType: 'procedure' }>): Promise<void> {
    switch (input.caseType) {
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
