/**
 * Activities of the annual assessment and of rectification: preparing a year's run from the
 * database, projecting workflow state to rows (idempotent: order-safe by state sequence, audit
 * events keyed by (case, seq)), aggregating figures, and issuing feedback.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Prisma } from '../generated/prisma/client';
import type { Db } from '../lib/prisma';
import type { Notifier } from './notifier';
import { DefinitionStore, loadAssessmentDefinition } from '../definitions';
import type { AssessmentPlan } from '../workflows/assessment/contract';
import type { OrgLevel } from '../workflows/procedure/definition';
import type { OrgPathByLevel } from '../workflows/procedure/contract';


async function orgPathOf(db: Db | Prisma.TransactionClient, path: string): Promise<OrgPathByLevel> {
  const ids = path.split('/').filter(Boolean);
  const units = await db.orgUnit.findMany({ where: { id: { in: ids } } });
  return Object.fromEntries(units.map((u) => [u.level as OrgLevel, u.id]));
}

export function createAssessmentActivities({ db, notifier }: { db: Db; notifier: Notifier }) {
  const definitions = new DefinitionStore(db);
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
      // the province's self-summary variant if it published one, else the national one
      const selfSummary = await definitions.latest('self-summary', province.profile ?? 'national');
      const levels = definition.assessed[assessor.level as OrgLevel];
      if (!levels) throw ApplicationFailure.nonRetryable(`a ${assessor.level} unit assesses no one`, 'InvalidInput');
      const assessed = await db.orgUnit.findMany({
        where: { path: { startsWith: assessor.path }, level: { in: levels }, department: null, NOT: { id: assessor.id } },
        orderBy: { id: 'asc' },
      });
      return {
        definition,
        selfSummary,
        assessor: { id: assessor.id, name: assessor.name, path: assessor.path, orgPath: await orgPathOf(db, assessor.path) },
        units: await Promise.all(assessed.map(async (u) => ({ id: u.id, name: u.name, level: u.level, orgPath: await orgPathOf(db, u.path) }))),
      };
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

  };
}

export type AssessmentActivities = ReturnType<typeof createAssessmentActivities>;
