/**
 * Activities of the procedure engine, built from injected dependencies. Each is idempotent: a
 * retry or a replayed workflow does nothing twice (Notification.dedupeKey; the registry is marked
 * once). The projection of every kind of case is activities/projection.ts.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../lib/prisma';
import type { Notifier } from './notifier';
import type { ProcedureSubject } from '../workflows/procedure/contract';
import type { AUTOMATIC_ACTIONS, Role } from '../workflows/procedure/definition';
import { chinaDate, endOfChinaDate, loadCalendar } from '../lib/calendar';

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

export function createProcedureActivities({ db, notifier }: ProcedureActivityDeps) {
  return {
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
