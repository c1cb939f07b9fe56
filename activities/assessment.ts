/**
 * Activities of the annual assessment and of rectification: preparing a year's run from the
 * database, projecting workflow state to rows (idempotent: order-safe by state sequence, audit
 * events keyed by (case, seq)), aggregating figures, and issuing feedback.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Prisma } from '../generated/prisma/client';
import type { Db } from '../lib/prisma';
import type { Notifier } from './notifier';
import { AssessmentDefinition } from '../workflows/assessment/definition';
import type { AssessmentPlan, AssessmentView, CaseEventEntry, RectificationView } from '../workflows/assessment/contract';
import type { DutyView } from '../workflows/duty/contract';
import type { OrgLevel } from '../workflows/procedure/definition';
import type { OrgPathByLevel } from '../workflows/procedure/contract';

export function loadAssessmentDefinition(profile = 'national'): AssessmentDefinition {
  const dir = join(__dirname, '..', 'definitions', 'assessment');
  const file = (p: string) => join(dir, `${p}.v1.json`);
  let text: string;
  try {
    text = readFileSync(file(profile), 'utf8');
  } catch {
    text = readFileSync(file('national'), 'utf8');
  }
  return AssessmentDefinition.parse(JSON.parse(text));
}

async function orgPathOf(db: Db | Prisma.TransactionClient, path: string): Promise<OrgPathByLevel> {
  const ids = path.split('/').filter(Boolean);
  const units = await db.orgUnit.findMany({ where: { id: { in: ids } } });
  return Object.fromEntries(units.map((u) => [u.level as OrgLevel, u.id]));
}

async function saveEvents(tx: Prisma.TransactionClient, caseType: string, caseId: string, events: CaseEventEntry[]) {
  if (!events.length) return;
  await tx.caseEvent.createMany({
    data: events.map((e) => ({
      caseType,
      caseId,
      seq: e.seq,
      action: e.action,
      actorId: e.actor?.personId,
      actorName: e.actor?.name,
      comment: e.comment,
      data: (e.data ?? {}) as Prisma.InputJsonValue,
      at: new Date(e.at),
    })),
    skipDuplicates: true,
  });
}

export function createAssessmentActivities({ db, notifier }: { db: Db; notifier: Notifier }) {
  return {
    /**
     * The year's units and calendar. One run per assessing unit and year is Temporal's to keep:
     * every run of a year has the id `assessment:<assessor>:<year>` (see the workflow).
     */
    async prepareAssessment(input: { assessorUnitId: string; year: number }): Promise<AssessmentPlan> {
      const assessor = await db.orgUnit.findUnique({ where: { id: input.assessorUnitId } });
      if (!assessor) throw ApplicationFailure.nonRetryable(`org unit ${input.assessorUnitId} not found`, 'InvalidInput');
      const provinceId = assessor.path.split('/').filter(Boolean)[0];
      const province = await db.orgUnit.findUniqueOrThrow({ where: { id: provinceId } });
      const definition = loadAssessmentDefinition(province.profile ?? 'national');
      const levels = definition.assessed[assessor.level as OrgLevel];
      if (!levels) throw ApplicationFailure.nonRetryable(`a ${assessor.level} unit assesses no one`, 'InvalidInput');
      const assessed = await db.orgUnit.findMany({
        where: { path: { startsWith: assessor.path }, level: { in: levels }, department: null, NOT: { id: assessor.id } },
        orderBy: { id: 'asc' },
      });
      return {
        definition,
        assessor: { id: assessor.id, name: assessor.name, path: assessor.path, orgPath: await orgPathOf(db, assessor.path) },
        units: await Promise.all(assessed.map(async (u) => ({ id: u.id, name: u.name, level: u.level, orgPath: await orgPathOf(db, u.path) }))),
      };
    },

    async projectAssessment(input: { view: AssessmentView; workflowId: string; stateSeq: number; events: CaseEventEntry[] }): Promise<void> {
      const { view } = input;
      await db.$transaction(async (tx) => {
        const data = {
          status: view.status,
          step: view.step,
          stepDueAt: view.stepDueAt ? new Date(view.stepDueAt) : null,
          overdue: view.overdue,
          completedAt: view.status === 'COMPLETED' ? new Date() : null,
          stateSeq: input.stateSeq,
        };
        const updated = await tx.assessment.updateMany({ where: { id: view.id, stateSeq: { lt: input.stateSeq } }, data });
        if (updated.count === 0 && !(await tx.assessment.findUnique({ where: { id: view.id }, select: { id: true } }))) {
          const assessor = await tx.orgUnit.findUniqueOrThrow({ where: { id: view.assessorUnitId } });
          await tx.assessment.create({
            data: {
              id: view.id,
              workflowId: input.workflowId,
              year: view.year,
              assessorUnitId: view.assessorUnitId,
              assessorPath: assessor.path,
              definitionVersion: 1,
              finishBy: new Date(view.finishBy),
              startedAt: new Date(),
              ...data,
            },
          });
        } else if (updated.count === 0) {
          return; // a newer state is already projected
        }
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
        await saveEvents(tx, 'assessment', view.id, input.events);
      });
    },

    /** 数据汇总: the self-summary figures and the evaluation figures per unit. */
    async aggregateAssessment(input: { assessmentId: string; year: number; unitIds: string[] }) {
      const figures = await db.subjectIndicator.findMany({ where: { subjectType: 'unit', subjectId: { in: input.unitIds }, year: input.year } });
      const units = await db.assessmentUnit.findMany({ where: { assessmentId: input.assessmentId } });
      return {
        units: Object.fromEntries(
          input.unitIds.map((id) => [
            id,
            {
              selfSummary: Object.fromEntries(figures.filter((f) => f.subjectId === id).map((f) => [f.key, f.value])),
              evaluation: units.find((u) => u.unitId === id)?.evaluation ?? null,
            },
          ]),
        ),
      };
    },

    /** 沟通反馈: tells each unit its grade; units with problems get an interview (约谈) record. */
    async issueFeedback(input: {
      rectifyBy: string;
      assessmentId: string;
      year: number;
      assessorName: string;
      results: Array<{ unitId: string; grade: string; problems: Array<{ type: string; label: string; description: string }> }>;
      rectifications: Record<string, string>;
    }) {
      const interviews: Array<{ unitId: string; interviewId: string; addresseeIds: string[] }> = [];
      for (const r of input.results) {
        const leaders = await db.person.findMany({ where: { orgUnitId: r.unitId, role: 'LEADER' }, orderBy: { id: 'asc' } });
        const everyone = await db.person.findMany({ where: { orgUnitId: r.unitId, role: { in: ['LEADER', 'DEPUTY'] } }, orderBy: { id: 'asc' } });
        await notifier.send(
          everyone.map((p) => ({
            dedupeKey: `${input.assessmentId}:feedback:${p.id}`,
            recipientId: p.id,
            procedureId: input.assessmentId,
            kind: 'INFO' as const,
            title: `${input.year}年度考核结果反馈：${r.grade}`,
            body: `${input.assessorName}反馈：考核等次为「${r.grade}」${r.problems.length ? `，发现问题 ${r.problems.length} 个，请按要求限期整改。` : '。'}`,
          })),
        );
        if (!r.problems.length) continue;
        const interviewId = `${input.assessmentId}:interview:${r.unitId}`;
        const addresseeIds = leaders.map((p) => p.id);
        await db.interview.upsert({
          where: { id: interviewId },
          create: {
            id: interviewId,
            assessmentId: input.assessmentId,
            unitId: r.unitId,
            year: input.year,
            addresseeIds,
            reason: r.problems.map((p) => `${p.label}：${p.description}`).join('；'),
            rectifyBy: new Date(input.rectifyBy),
            rectificationId: input.rectifications[r.unitId],
            createdAt: new Date(),
          },
          update: {},
        });
        await notifier.send(
          leaders.map((p) => ({
            dedupeKey: `${interviewId}:${p.id}`,
            recipientId: p.id,
            procedureId: input.assessmentId,
            kind: 'INFO' as const,
            title: `约谈通知：${input.year}年度考核发现问题`,
            body: `依据 003 篇二 第八条，对主要负责人进行约谈，并限期整改：${r.problems.map((p) => p.label).join('、')}。`,
          })),
        );
        interviews.push({ unitId: r.unitId, interviewId, addresseeIds });
      }
      return { interviews };
    },

    async projectRectification(input: { view: RectificationView; unitName: string; assessmentId?: string; stateSeq: number; events: CaseEventEntry[] }) {
      const { view } = input;
      await db.$transaction(async (tx) => {
        const data = {
          status: view.status,
          phase: view.phase,
          timetable: view.timetable as unknown as Prisma.InputJsonValue,
          planSubmittedAt: view.planSubmittedAt ? new Date(view.planSubmittedAt) : null,
          reportSubmittedAt: view.reportSubmittedAt ? new Date(view.reportSubmittedAt) : null,
          overdue: view.overdue,
          stateSeq: input.stateSeq,
        };
        const updated = await tx.rectification.updateMany({ where: { id: view.id, stateSeq: { lt: input.stateSeq } }, data });
        if (updated.count === 0) {
          if (await tx.rectification.findUnique({ where: { id: view.id }, select: { id: true } })) return;
          const unit = await tx.orgUnit.findUniqueOrThrow({ where: { id: view.unitId } });
          await tx.rectification.create({
            data: { id: view.id, unitId: view.unitId, unitPath: unit.path, year: view.year, assessmentId: input.assessmentId, issuedAt: new Date(view.issuedAt), ...data },
          });
        }
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
        await saveEvents(tx, 'rectification', view.id, input.events);
      });
    },

    async projectDuty(input: {
      view: DutyView;
      orgUnitId: string;
      stateSeq: number;
      events: CaseEventEntry[];
      records: Array<{ id: string; date: string; villageId?: string; note?: string; at: string }>;
    }) {
      const { view } = input;
      await db.$transaction(async (tx) => {
        const data = {
          periodStart: new Date(view.periodStart),
          periodEnd: new Date(view.periodEnd),
          count: view.count,
          missed: view.missed,
          missedPeriods: view.missedPeriods ?? 0,
          lastMissedAt: view.lastMissedAt ? new Date(view.lastMissedAt) : null,
          stateSeq: input.stateSeq,
        };
        // a new period (continue-as-new) starts its sequence again: the period start orders runs
        const updated = await tx.duty.updateMany({
          where: { id: view.dutyId, OR: [{ periodStart: { lt: data.periodStart } }, { periodStart: data.periodStart, stateSeq: { lt: input.stateSeq } }] },
          data,
        });
        if (updated.count === 0 && !(await tx.duty.findUnique({ where: { id: view.dutyId }, select: { id: true } }))) {
          const unit = await tx.orgUnit.findUniqueOrThrow({ where: { id: input.orgUnitId } });
          await tx.duty.create({
            data: { id: view.dutyId, personId: view.personId, orgUnitId: unit.id, unitPath: unit.path, kind: view.kind, period: view.period, required: view.required, ...data },
          });
        }
        for (const r of input.records) {
          await tx.dutyRecord.upsert({
            where: { id: r.id },
            create: { id: r.id, dutyId: view.dutyId, personId: view.personId, date: new Date(`${r.date}T00:00:00+08:00`), villageId: r.villageId, note: r.note, recordedAt: new Date(r.at) },
            update: {},
          });
        }
        // events of each period are kept apart by the period in the case id
        await saveEvents(tx, 'duty', `${view.dutyId}@${view.periodStart.slice(0, 10)}`, input.events);
      });
    },
  };
}

export type AssessmentActivities = ReturnType<typeof createAssessmentActivities>;
