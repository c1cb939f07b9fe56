/**
 * A populated world for the route-wide suites (authorization matrix, fuzz): two provinces under one
 * central leading group on the real stack, and one of everything the routes act on — an overdue
 * household-exit case in village 1, an assessment at its comprehensive evaluation, a rectification
 * with a planned item, the duties of every leader, a token, notifications — plus the principals
 * (a person of each unit and role) to call the routes as.
 */
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../api/app';
import { hashToken, newToken } from '../../lib/tokens';
import type { DemoTree, DemoUnit } from '../../lib/demo';
import type { Db } from '../../lib/prisma';
import { loadAssessmentDefinition } from '../../definitions';
import { chinaYear } from '../../workflows/assessment/definition';
import { rectificationWorkflowId, type RectificationInput } from '../../workflows/assessment/contract';
import { TASK_QUEUE } from '../../workflows/procedure/contract';
import type { OrgLevel, Role } from '../../workflows/procedure/definition';
import { eventually, startStack, type ServerKind, type Stack } from './stack';

export interface Principal {
  /** e.g. "p1.village1.STAFF" */
  name: string;
  /** 1: the main province, 2: another province */
  province: 1 | 2;
  unit: DemoUnit;
  role: Role;
  token: string;
  personId: string;
  level: OrgLevel;
  orgUnitId: string;
  orgPath: string;
  /** what the person sees: an industry department sees its parent unit's scope */
  scopePath: string;
  department?: string;
}

export interface World {
  s: Stack;
  /** an app over the stack whose failed-authentication limit does not get in the way of a suite */
  app: Express;
  t1: DemoTree;
  t2: DemoTree;
  /** the province profiles of t1 and t2 */
  profiles: { t1: string; t2: string };
  principals: Principal[];
  /** the assessed year (China time of the Temporal server's clock) */
  year: number;
  /** household-exit case in t1's village 1 at village_appraisal (overdue on the time-skipping server) */
  caseId: string;
  /** households of village 1 with no case */
  freshHouseholds: string[];
  /** t1 province's assessment, at comprehensive_evaluation; assessed units */
  assessmentId: string;
  assessedUnitIds: string[];
  /** a rectification of t1's first county with item 1 (lead: the county; responsible: the county and township 1) */
  rectificationId: string;
  /** a notification to village 1's staff member */
  notificationId: string;
}

/** A person of every unit and role of both trees (t2: its province, county, township 1, village 1). */
export function principalsOf(t1: DemoTree, t2: DemoTree): Principal[] {
  const units: Array<[1 | 2, string, DemoUnit]> = [
    [1, 'central', t1.central!],
    [1, 'province', t1.province],
    [1, 'city', t1.city],
    [1, 'county', t1.county],
    [1, 'county2', t1.counties[1]],
    [1, 'education', t1.departments[0]],
    [1, 'township1', t1.townships[0]],
    [1, 'township2', t1.townships[1]],
    [1, 'village1', t1.villages[0]],
    [1, 'village2', t1.villages[1]],
    [1, 'village3', t1.villages[2]],
    [2, 'province', t2.province],
    [2, 'county', t2.county],
    [2, 'township1', t2.townships[0]],
    [2, 'village1', t2.villages[0]],
  ];
  const parentPath = (path: string) => path.replace(/[^/]+\/$/, '');
  return units.flatMap(([province, label, unit]) =>
    (['STAFF', 'DEPUTY', 'LEADER'] as Role[]).map((role) => ({
      name: `p${province}.${label}.${role}`,
      province,
      unit,
      role,
      token: unit.tokens[role],
      personId: unit.people[role],
      level: unit.level,
      orgUnitId: unit.id,
      orgPath: unit.path,
      scopePath: unit.department ? parentPath(unit.path) : unit.path,
      ...(unit.department ? { department: unit.department } : {}),
    })),
  );
}

/** A fresh bearer token of a person, straight into the store (for requests that revoke their own token). */
export async function issueToken(db: Db, personId: string, label = 'suite token'): Promise<{ token: string; id: string }> {
  const token = newToken();
  const row = await db.apiToken.create({ data: { tokenHash: hashToken(token), personId, label, expiresAt: new Date(Date.now() + 86_400_000) } });
  return { token, id: row.id };
}

const as = (app: Express, token: string) => ({
  get: (path: string) => request(app).get(path).set('Authorization', `Bearer ${token}`),
  post: (path: string, body: object = {}) => request(app).post(path).set('Authorization', `Bearer ${token}`).send(body),
});

async function ok(res: Promise<request.Response>, status: number | number[], what: string): Promise<request.Response> {
  const r = await res;
  if (!(Array.isArray(status) ? status : [status]).includes(r.status)) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

/**
 * Builds the world. `tag` names the trees; the main province gets a profile of its own (so a
 * definition it publishes touches no other test), the other runs national. On the time-skipping
 * server the case is left to run past its deadline (overdue, escalated); on the dev server (which
 * has schedules, as production does) it is not.
 */
export async function buildWorld(tag: string, { server = 'time-skipping' }: { server?: ServerKind } = {}): Promise<World> {
  const profile = `${tag}${Math.random().toString(36).slice(2, 8)}`.toLowerCase().replace(/[^a-z0-9-]/g, '');
  const s = await startStack(server, {
    tag,
    central: true,
    profile,
    counties: 2,
    townships: 2,
    villagesPerTownship: 2,
    householdsPerVillage: 4,
  });
  const t1 = s.tree;
  const t2 = await s.addTree({ tag: `${tag}b`, central: t1.central!, provinceName: '吉林省', townships: 1, villagesPerTownship: 1, householdsPerVillage: 2 });
  const app = createApp({ db: s.db, temporal: s.env.client, decisionWaitMs: 10_000, authFailuresPerMinute: 1_000_000 });
  const village1 = t1.villages[0];
  const [caseHousehold, ...freshHouseholds] = t1.households.filter((h) => h.villageId === village1.id).map((h) => h.id);

  // a household-exit case in village 1, left to run past its first deadline (overdue, escalated)
  const year = chinaYear(await s.env.currentTimeMs());
  const started = await ok(as(app, village1.tokens.STAFF).post('/procedures/household-exit', { householdId: caseHousehold, year }), 201, 'start the case');
  const caseId: string = started.body.caseId;
  if (server === 'time-skipping') {
    const live = await eventually(async () => (await as(app, village1.tokens.STAFF).get(`/procedures/${caseId}`)).body.live?.dueAt as string | undefined, 30_000);
    await s.env.sleep(Date.parse(live) - (await s.env.currentTimeMs()) + 3_600_000);
    await eventually(() => s.db.procedure.findFirst({ where: { id: caseId, overdue: true } }), 30_000);
  }

  // t1 province's assessment of its city and counties, up to the comprehensive evaluation
  const province = t1.province;
  const assessmentYear = chinaYear(await s.env.currentTimeMs());
  const assessment = await ok(as(app, province.tokens.LEADER).post('/assessments', { year: assessmentYear }), 201, 'start the assessment');
  const assessmentId: string = assessment.body.id;
  const assessed = [t1.city, ...t1.counties];
  for (const unit of assessed) {
    const row = await eventually(() => s.db.procedure.findFirst({ where: { type: 'self-summary', subjectId: unit.id, year: assessmentYear } }), 30_000);
    await ok(
      as(app, unit.tokens.DEPUTY).post(`/procedures/${row.id}/sign-off`, {
        stageKey: 'self_summary',
        decision: 'approve',
        comment: `${assessmentYear}年度脱贫攻坚工作总结`,
        indicators: { poverty_reduction: 1200 },
        attachments: [{ name: '总结报告.pdf', uri: 'https://docs.example.gov.cn/summary.pdf' }],
      }),
      200,
      `self-summary of ${unit.name}`,
    );
  }
  const step = (expected: string) => eventually(async () => (await s.db.assessment.findUnique({ where: { id: assessmentId } }))?.step === expected, 30_000);
  await step('third_party_evaluation');
  for (const unit of assessed) {
    await ok(
      as(app, province.tokens.STAFF).post(`/assessments/${assessmentId}/evaluations`, {
        unitId: unit.id,
        values: { identification_accuracy: 0.97, satisfaction: 0.93 },
        source: '第三方评估机构',
      }),
      200,
      `evaluation of ${unit.name}`,
    );
  }
  await step('comprehensive_evaluation');

  // a rectification of the first county (started as an assessment's feedback starts it), with its plan
  const county = t1.county;
  const def = loadAssessmentDefinition();
  const rectificationId = rectificationWorkflowId(province.id, county.id, assessmentYear);
  const orgPath = { CENTRAL: t1.central!.id, PROVINCE: province.id, CITY: t1.city.id, COUNTY: county.id };
  const input: RectificationInput = {
    rectificationId,
    year: assessmentYear,
    unit: { id: county.id, name: county.name, orgPath },
    problems: [{ seq: 1, type: 'funds_violation', label: '违反扶贫资金管理使用规定', description: '扶贫资金滞留' }],
    phases: def.rectification.phases,
    overdueItemsForLevelUp: def.rectification.overdueItemsForLevelUp,
  };
  await s.env.client.workflow.start('rectificationWorkflow', { taskQueue: TASK_QUEUE, workflowId: rectificationId, args: [input] });
  await eventually(() => s.db.rectification.findUnique({ where: { id: rectificationId } }), 30_000);
  await ok(
    as(app, county.tokens.LEADER).post(`/rectifications/${rectificationId}/plan`, {
      items: [{ problemSeq: 1, leadUnitId: county.id, responsibleUnitIds: [county.id, t1.townships[0].id], measures: '清理滞留资金', deadline: { standing: true } }],
    }),
    200,
    'rectification plan',
  );

  // every leader's duties in both provinces
  for (const t of [t1, t2]) await ok(as(app, t.province.tokens.LEADER).post('/admin/duties/ensure'), 200, 'ensure duties');
  const expectedDuties = await s.db.person.count({ where: { role: 'LEADER', orgUnit: { department: null, path: { startsWith: t1.province.path } } } });
  await eventually(async () => (await s.db.duty.count({ where: { unitPath: { startsWith: t1.province.path }, kind: 'responsibility_letter' } })) >= expectedDuties, 30_000);

  const notification = await eventually(() => s.db.notification.findFirst({ where: { recipientId: village1.people.STAFF, procedureId: caseId } }), 30_000);

  return {
    s,
    app,
    t1,
    t2,
    profiles: { t1: profile, t2: 'national' },
    principals: principalsOf(t1, t2),
    year: assessmentYear,
    caseId,
    freshHouseholds,
    assessmentId,
    assessedUnitIds: assessed.map((u) => u.id),
    rectificationId,
    notificationId: notification.id,
  };
}

/**
 * Rows every test shares (the official calendar, published definitions): taken before a suite that
 * may write them (an authorization bug, a fuzzed request an administrator may send) and put back
 * after it, so that no other test runs on a changed calendar or definition.
 */
export async function preserveSharedRows(db: Db): Promise<() => Promise<void>> {
  const calendar = await db.calendarYear.findMany();
  const definitions = await db.procedureDefinitionVersion.findMany({ select: { procedureType: true, profile: true, version: true } });
  const known = new Set(definitions.map((d) => `${d.procedureType}/${d.profile}/${d.version}`));
  return async () => {
    const now = await db.procedureDefinitionVersion.findMany({ select: { procedureType: true, profile: true, version: true } });
    for (const d of now.filter((d) => !known.has(`${d.procedureType}/${d.profile}/${d.version}`))) {
      await db.procedureDefinitionVersion.delete({ where: { procedureType_profile_version: d } });
    }
    await db.calendarYear.deleteMany({ where: { year: { notIn: calendar.map((c) => c.year) } } });
    for (const c of calendar) {
      await db.calendarYear.update({ where: { year: c.year }, data: { source: c.source, document: c.document ?? {}, loadedById: c.loadedById, loadedAt: c.loadedAt } });
    }
  };
}
