/**
 * Every HTTP route the API serves, in one table: method, Express path, the zod schemas its params,
 * query and body are validated with (the very objects the route modules parse with), and who may
 * call it. The OpenAPI document is generated from this table; the authorization matrix
 * (test/authz-matrix.test.ts) and the fuzz suite (test/fuzz.test.ts) run over it, and a test fails
 * when a route is registered on the app without an entry here, or an entry names no route.
 */
import type { Express } from 'express';
import type { z } from 'zod';
import { ApprovalBody, EvaluationBody, ItemActionBody, PlanBody, ReportBody, ResultsBody } from '../../workflows/assessment/contract';
import { DutyRecordBody } from '../../workflows/duty/contract';
import { CancelBody, IndicatorsBody, ObjectionBody, SignOffBody } from '../../workflows/procedure/contract';
import { ProcedureDefinition, type Role } from '../../workflows/procedure/definition';
import { YearSchedule } from '../../lib/calendar';
import { AddWorkingDaysQuery, CalendarYearParams, DefinitionParams, DefinitionsQuery } from './admin';
import { AssessmentsQuery, Id as AssessmentParams, ItemParams, ScheduleBody, StartAssessmentBody } from './assessments';
import { DutiesQuery } from './duties';
import {
  BatchParams,
  CaseParams,
  HouseholdQuery,
  NotificationParams,
  NotificationQuery,
  OverdueQuery,
  Paging,
  ProcedureTypeParams,
  StartProcedure,
  StartVillageExits,
} from './procedures';
import { IssueTokenBody, TokenParams } from './tokens';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * Who may call a route. Every rule but `public` needs a valid bearer token (401 otherwise).
 *
 * - `public`: no person token (liveness, readiness; /metrics has its own scrape token or loopback rule).
 * - `any`: any signed-in person; the data is the same for everyone (definitions, calendar).
 * - `self`: any signed-in person, acting on or reading only their own records (their profile,
 *   inbox, notifications, tokens, duties); another person's record is answered as not found.
 * - `scope`: the target lies in the caller's unit or a unit under it (an industry department sees
 *   what its parent unit sees). A `list` is filtered to that scope instead of refused.
 * - `starter`: `scope`, and the caller's level and role are among the definition's `startedBy`.
 * - `decision`: `scope`, then the workflow's update validator admits only `decidedBy` (the unit and
 *   roles its current step waits on): 403 WrongOrgUnit / WrongRole for anyone else.
 * - `owner`: the token's owner, or a deputy in charge or main leader of a unit above the owner's.
 * - `assessor`: a deputy in charge or main leader of the central leading group, a province or a
 *   city (no industry department); acts on the caller's own unit's assessment.
 * - `provincialAdmin`: a deputy in charge or main leader of a province.
 * - `centralAdmin`: a deputy in charge or main leader of the central leading group.
 * - `profileAdmin`: publishes a definition for a profile: `national` only by a central
 *   administrator, a province's own profile by that province's administrators.
 */
export type Auth = 'public' | 'any' | 'self' | 'scope' | 'starter' | 'decision' | 'owner' | 'assessor' | 'provincialAdmin' | 'centralAdmin' | 'profileAdmin';

/** What a route acts on: the org unit of the thing named in its path, query or body decides. */
export type Target = 'case' | 'subject' | 'household' | 'village' | 'county' | 'assessment' | 'rectification' | 'rectificationItem' | 'notification' | 'token';

/** Who the workflow admits to a decision (its update validator). */
export type DecidedBy =
  /** the responsible unit and roles of the case's current stage (a branch's department) */
  | 'stage'
  /** a unit on the case's org path: the subject's unit or one above it */
  | 'caseUnits'
  /** the assessing unit */
  | 'assessorUnit'
  /** the rectified unit */
  | 'rectifiedUnit'
  /** a responsible unit of the item */
  | 'responsibleUnits'
  /** the item's lead unit */
  | 'leadUnit';

export interface Access {
  auth: Auth;
  target?: Target;
  /** answer to a caller outside the target's scope: 403, or 404 where even existence must not leak */
  outside?: 403 | 404;
  /** a list answered with what lies in the caller's scope (or is their own), never refused */
  list?: true;
  decidedBy?: DecidedBy;
  /** roles required on top of the rule */
  roles?: Role[];
  /** 中文说明 */
  zh: string;
  en: string;
}

export type Module = 'health' | 'procedures' | 'admin' | 'assessments' | 'duties' | 'supervision' | 'tokens';

export interface RouteEntry {
  method: Method;
  /** the Express path, e.g. /procedures/:caseId/sign-off */
  path: string;
  module: Module;
  summary: string;
  params?: z.ZodTypeAny;
  query?: z.ZodTypeAny;
  body?: z.ZodTypeAny;
  /** accepts an Idempotency-Key header (a repeat replays the first response) */
  idempotent?: true;
  /** statuses of success */
  success: number[];
  access: Access;
}

const ANY: Access = { auth: 'any', zh: '任何已登录人员', en: 'anyone signed in' };
const SELF: Access = { auth: 'self', list: true, zh: '本人：只返回本人的数据', en: 'the caller: only their own records' };
const SCOPED_LIST: Access = { auth: 'scope', list: true, zh: '本单位及下级单位范围内的数据', en: 'what lies in the caller’s unit and the units under it' };
const ASSESSOR: Access = {
  auth: 'assessor',
  roles: ['DEPUTY', 'LEADER'],
  zh: '国务院扶贫开发领导小组、省、市的分管负责人或主要负责人（本单位的考核）',
  en: 'a deputy in charge or main leader of the central leading group, a province or a city (their own unit’s assessment)',
};

export const ROUTES: readonly RouteEntry[] = [
  // ---- health (api/app.ts) ------------------------------------------------------------------
  { method: 'GET', path: '/healthz', module: 'health', summary: 'liveness: the process answers', success: [200], access: { auth: 'public', zh: '无需登录', en: 'no token' } },
  {
    method: 'GET',
    path: '/readyz',
    module: 'health',
    summary: 'readiness: the database and Temporal answer within 2 s (503 naming which does not)',
    success: [200],
    access: { auth: 'public', zh: '无需登录', en: 'no token' },
  },
  {
    method: 'GET',
    path: '/metrics',
    module: 'health',
    summary: 'Prometheus metrics (text exposition): HTTP requests by route pattern, the process, open/overdue/escalated cases',
    success: [200],
    access: {
      auth: 'public',
      zh: '无需人员令牌：设置 METRICS_TOKEN 时须携带该抓取令牌（否则 401），未设置时仅限本机回环地址（否则 403）',
      en: 'no person token: the scrape token METRICS_TOKEN when set (401 without it), else loopback clients only (403)',
    },
  },

  // ---- procedures (api/routes/procedures.ts) -----------------------------------------------
  { method: 'GET', path: '/me', module: 'procedures', summary: 'the signed-in person', success: [200], access: SELF },
  {
    method: 'POST',
    path: '/procedures/:procedureType',
    module: 'procedures',
    summary: 'start a case of any procedure type (household-exit, village-exit, county-exit, annual-inspection, …): the subject is what the type’s definition names',
    params: ProcedureTypeParams,
    body: StartProcedure,
    idempotent: true,
    success: [201, 202],
    access: { auth: 'starter', target: 'subject', outside: 403, zh: '主体所在单位及其上级单位，按定义的发起人', en: 'the subject’s unit or a unit above it, as the definition’s startedBy says' },
  },
  {
    method: 'POST',
    path: '/procedures/household-exit/bulk',
    module: 'procedures',
    summary: 'start household exits for a village’s list as one batch (202; its progress at /procedures/batches/:batchId)',
    body: StartVillageExits,
    idempotent: true,
    success: [202],
    access: { auth: 'starter', target: 'village', outside: 403, zh: '该村及其上级单位，按定义的发起人', en: 'the village or a unit above it, as the definition’s startedBy says' },
  },
  {
    method: 'GET',
    path: '/procedures/batches/:batchId',
    module: 'procedures',
    summary: 'a bulk start’s progress: households started, already open, not eligible',
    params: BatchParams,
    success: [200],
    access: { auth: 'scope', target: 'village', outside: 403, zh: '该村及其上级单位', en: 'the village or a unit above it' },
  },
  {
    method: 'GET',
    path: '/procedures/:caseId',
    module: 'procedures',
    summary: 'one case with its audit trail, notices, objections and escalations',
    params: CaseParams,
    success: [200],
    access: { auth: 'scope', target: 'case', outside: 403, zh: '案件所在单位及其上级单位', en: 'the case’s unit or a unit above it' },
  },
  {
    method: 'POST',
    path: '/procedures/:caseId/sign-off',
    module: 'procedures',
    summary: 'sign (approve or reject) the current stage',
    params: CaseParams,
    body: SignOffBody,
    idempotent: true,
    success: [200],
    access: {
      auth: 'decision',
      target: 'case',
      outside: 403,
      decidedBy: 'stage',
      zh: '当前环节的责任单位及定义规定的角色（并联环节为对应行业部门）',
      en: 'the current stage’s responsible unit in the roles the definition names (a parallel branch: its department)',
    },
  },
  {
    method: 'POST',
    path: '/procedures/:caseId/objections',
    module: 'procedures',
    summary: 'record an objection (异议) during a public notice',
    params: CaseParams,
    body: ObjectionBody,
    idempotent: true,
    success: [201],
    access: { auth: 'decision', target: 'case', outside: 403, decidedBy: 'caseUnits', zh: '公示期间，案件所在单位及其上级单位', en: 'while a notice is open: a unit of the case' },
  },
  {
    method: 'POST',
    path: '/procedures/:caseId/indicators',
    module: 'procedures',
    summary: 'enter or correct indicator figures; re-runs a blocked check',
    params: CaseParams,
    body: IndicatorsBody,
    idempotent: true,
    success: [200],
    access: {
      auth: 'decision',
      target: 'case',
      outside: 403,
      decidedBy: 'caseUnits',
      zh: '案件的单位中，定义规定录入该指标的层级',
      en: 'a unit of the case at the level the definition names for each figure',
    },
  },
  {
    method: 'POST',
    path: '/procedures/:caseId/cancel',
    module: 'procedures',
    summary: 'cancel (终止) a case',
    params: CaseParams,
    body: CancelBody,
    idempotent: true,
    success: [200],
    access: {
      auth: 'decision',
      target: 'case',
      outside: 403,
      decidedBy: 'caseUnits',
      roles: ['DEPUTY', 'LEADER'],
      zh: '案件单位的分管负责人或主要负责人（按定义的终止权限）',
      en: 'a deputy in charge or main leader of a unit of the case (as the definition’s cancellation rights say)',
    },
  },
  { method: 'GET', path: '/inbox', module: 'procedures', summary: 'cases waiting on my unit and role', query: Paging, success: [200], access: SELF },
  {
    method: 'GET',
    path: '/supervision/overdue',
    module: 'supervision',
    summary: 'overdue, blocked or stale cases under my unit',
    query: OverdueQuery,
    success: [200],
    access: SCOPED_LIST,
  },
  { method: 'GET', path: '/notifications', module: 'procedures', summary: 'my notifications', query: NotificationQuery, success: [200], access: SELF },
  {
    method: 'POST',
    path: '/notifications/:id/read',
    module: 'procedures',
    summary: 'mark one of my notifications read',
    params: NotificationParams,
    success: [204],
    access: { auth: 'self', target: 'notification', outside: 404, zh: '通知的收件人本人', en: 'the notification’s recipient' },
  },
  {
    method: 'GET',
    path: '/households',
    module: 'procedures',
    summary: '建档立卡 households under my unit (or of one village)',
    query: HouseholdQuery,
    success: [200],
    access: { auth: 'scope', list: true, target: 'village', outside: 403, zh: '本单位范围内的户；指定的村须在范围内', en: 'households in the caller’s scope; a named village must lie in it' },
  },

  // ---- definitions and calendar (api/routes/admin.ts) -----------------------------------------
  { method: 'GET', path: '/definitions', module: 'admin', summary: 'every definition version', query: DefinitionsQuery, success: [200], access: ANY },
  {
    method: 'GET',
    path: '/definitions/:procedureType/:profile',
    module: 'admin',
    summary: 'the newest definition of a profile (national as fallback)',
    params: DefinitionParams,
    success: [200],
    access: ANY,
  },
  {
    method: 'POST',
    path: '/admin/definitions',
    module: 'admin',
    summary: 'publish a new definition version',
    body: ProcedureDefinition,
    success: [201],
    access: {
      auth: 'profileAdmin',
      roles: ['DEPUTY', 'LEADER'],
      zh: '全国定义（national）由国务院扶贫开发领导小组负责人发布；省的定义由该省分管负责人或主要负责人发布',
      en: 'national: a central deputy in charge or main leader; a province’s profile: that province’s deputy in charge or main leader',
    },
  },
  {
    method: 'GET',
    path: '/calendar/add-working-days',
    module: 'admin',
    summary: 'the date n official working days after a date',
    query: AddWorkingDaysQuery,
    success: [200],
    access: ANY,
  },
  { method: 'GET', path: '/calendar/:year', module: 'admin', summary: 'a year’s official holiday schedule', params: CalendarYearParams, success: [200], access: ANY },
  {
    method: 'PUT',
    path: '/admin/calendar/:year',
    module: 'admin',
    summary: 'load a year’s official holiday schedule (国务院办公厅 部分节假日安排)',
    params: CalendarYearParams,
    body: YearSchedule,
    success: [200],
    access: {
      auth: 'centralAdmin',
      roles: ['DEPUTY', 'LEADER'],
      zh: '国务院扶贫开发领导小组的分管负责人或主要负责人（全国统一的节假日安排）',
      en: 'a deputy in charge or main leader of the central leading group (the calendar is national)',
    },
  },

  // ---- assessments and rectification (api/routes/assessments.ts) ------------------------------
  { method: 'POST', path: '/assessments', module: 'assessments', summary: 'start this year’s assessment by hand', body: StartAssessmentBody, idempotent: true, success: [201], access: ASSESSOR },
  { method: 'PUT', path: '/admin/assessment-schedule', module: 'assessments', summary: 'create or move the December schedule', body: ScheduleBody, success: [200], access: ASSESSOR },
  { method: 'GET', path: '/assessments', module: 'assessments', summary: 'assessments run under my unit, and my unit’s grades', query: AssessmentsQuery, success: [200], access: SCOPED_LIST },
  {
    method: 'GET',
    path: '/assessments/:id',
    module: 'assessments',
    summary: 'one assessment (an assessed unit outside the assessor’s scope reads its own part)',
    params: AssessmentParams,
    success: [200],
    access: {
      auth: 'scope',
      target: 'assessment',
      outside: 403,
      zh: '考核单位及其上级单位读全部；被考核单位只读本单位部分',
      en: 'the assessing unit and units above it read all of it; an assessed unit reads its own part',
    },
  },
  {
    method: 'POST',
    path: '/assessments/:id/evaluations',
    module: 'assessments',
    summary: '第三方评估: figures for one assessed unit',
    params: AssessmentParams,
    body: EvaluationBody,
    idempotent: true,
    success: [200],
    access: { auth: 'decision', target: 'assessment', outside: 403, decidedBy: 'assessorUnit', zh: '考核单位（评估环节）', en: 'the assessing unit (at the evaluation step)' },
  },
  {
    method: 'POST',
    path: '/assessments/:id/results',
    module: 'assessments',
    summary: '综合评价: grades and problems of every assessed unit',
    params: AssessmentParams,
    body: ResultsBody,
    idempotent: true,
    success: [200],
    access: {
      auth: 'decision',
      target: 'assessment',
      outside: 403,
      decidedBy: 'assessorUnit',
      roles: ['DEPUTY', 'LEADER'],
      zh: '考核单位的分管负责人或主要负责人',
      en: 'the assessing unit’s deputy in charge or main leader',
    },
  },
  {
    method: 'POST',
    path: '/assessments/:id/approval',
    module: 'assessments',
    summary: '领导小组审定: approve or return the results',
    params: AssessmentParams,
    body: ApprovalBody,
    idempotent: true,
    success: [200],
    access: { auth: 'decision', target: 'assessment', outside: 403, decidedBy: 'assessorUnit', roles: ['LEADER'], zh: '考核单位的主要负责人', en: 'the assessing unit’s main leader' },
  },
  { method: 'GET', path: '/rectifications/mine', module: 'assessments', summary: 'rectification items waiting on my unit', success: [200], access: SELF },
  {
    method: 'GET',
    path: '/rectifications/:id',
    module: 'assessments',
    summary: 'one rectification with its items and events',
    params: AssessmentParams,
    success: [200],
    access: {
      auth: 'scope',
      target: 'rectification',
      outside: 403,
      zh: '整改单位及其上级单位，以及牵头、责任单位',
      en: 'the rectified unit and units above it, and its items’ lead and responsible units',
    },
  },
  {
    method: 'POST',
    path: '/rectifications/:id/plan',
    module: 'assessments',
    summary: '整改方案: an item per problem',
    params: AssessmentParams,
    body: PlanBody,
    idempotent: true,
    success: [200],
    access: {
      auth: 'decision',
      target: 'rectification',
      outside: 403,
      decidedBy: 'rectifiedUnit',
      roles: ['DEPUTY', 'LEADER'],
      zh: '整改单位的分管负责人或主要负责人',
      en: 'the rectified unit’s deputy in charge or main leader',
    },
  },
  {
    method: 'POST',
    path: '/rectifications/:id/report',
    module: 'assessments',
    summary: '整改报告',
    params: AssessmentParams,
    body: ReportBody,
    idempotent: true,
    success: [200],
    access: {
      auth: 'decision',
      target: 'rectification',
      outside: 403,
      decidedBy: 'rectifiedUnit',
      roles: ['DEPUTY', 'LEADER'],
      zh: '整改单位的分管负责人或主要负责人',
      en: 'the rectified unit’s deputy in charge or main leader',
    },
  },
  {
    method: 'POST',
    path: '/rectifications/:id/items/:seq/progress',
    module: 'assessments',
    summary: 'report progress on an item',
    params: ItemParams,
    body: ItemActionBody,
    idempotent: true,
    success: [200],
    access: { auth: 'decision', target: 'rectificationItem', outside: 403, decidedBy: 'responsibleUnits', zh: '该项的责任单位', en: 'a responsible unit of the item' },
  },
  {
    method: 'POST',
    path: '/rectifications/:id/items/:seq/close',
    module: 'assessments',
    summary: 'close my unit’s part of an item, with evidence',
    params: ItemParams,
    body: ItemActionBody,
    idempotent: true,
    success: [200],
    access: { auth: 'decision', target: 'rectificationItem', outside: 403, decidedBy: 'responsibleUnits', zh: '该项的责任单位', en: 'a responsible unit of the item' },
  },
  {
    method: 'POST',
    path: '/rectifications/:id/items/:seq/confirm',
    module: 'assessments',
    summary: 'confirm an item every responsible unit closed',
    params: ItemParams,
    body: ItemActionBody,
    idempotent: true,
    success: [200],
    access: { auth: 'decision', target: 'rectificationItem', outside: 403, decidedBy: 'leadUnit', zh: '该项的牵头单位', en: 'the item’s lead unit' },
  },

  // ---- duties (api/routes/duties.ts) -------------------------------------------------------
  {
    method: 'POST',
    path: '/admin/duties/ensure',
    module: 'duties',
    summary: 'start the duty workflows of everyone in my province',
    success: [200],
    access: { auth: 'provincialAdmin', roles: ['DEPUTY', 'LEADER'], zh: '省的分管负责人或主要负责人', en: 'a province’s deputy in charge or main leader' },
  },
  {
    method: 'POST',
    path: '/duties/visits',
    module: 'duties',
    summary: 'record one of my village visits (004 art. 19)',
    body: DutyRecordBody,
    idempotent: true,
    success: [201],
    access: { auth: 'self', target: 'village', outside: 403, zh: '本人的走访任务；所访村须在本单位范围内', en: 'the caller’s own visit duty; the village must lie in their scope' },
  },
  {
    method: 'POST',
    path: '/duties/letters',
    module: 'duties',
    summary: 'record my yearly responsibility letter (责任书)',
    body: DutyRecordBody,
    idempotent: true,
    success: [201],
    access: { auth: 'self', zh: '本人的责任书任务', en: 'the caller’s own letter duty' },
  },
  { method: 'GET', path: '/duties', module: 'duties', summary: 'duties under my unit', query: DutiesQuery, success: [200], access: SCOPED_LIST },

  // ---- supervision (api/routes/supervision.ts) --------------------------------------------
  { method: 'GET', path: '/supervision/summary', module: 'supervision', summary: 'per unit under mine: overdue and blocked cases, overdue items, missed duties', success: [200], access: SCOPED_LIST },

  // ---- tokens (api/routes/tokens.ts) -------------------------------------------------------
  { method: 'GET', path: '/tokens', module: 'tokens', summary: 'my tokens', success: [200], access: SELF },
  { method: 'POST', path: '/tokens', module: 'tokens', summary: 'issue myself a token (shown once)', body: IssueTokenBody, success: [201], access: SELF },
  { method: 'DELETE', path: '/tokens/current', module: 'tokens', summary: 'log out: revoke the token of this request', success: [204], access: SELF },
  {
    method: 'DELETE',
    path: '/tokens/:id',
    module: 'tokens',
    summary: 'revoke a token',
    params: TokenParams,
    success: [204],
    access: {
      auth: 'owner',
      target: 'token',
      outside: 404,
      zh: '令牌持有人本人，或其上级单位的分管负责人、主要负责人',
      en: 'its owner, or a deputy in charge or main leader of a unit above the owner’s',
    },
  },
];

export const routeKey = (r: { method: string; path: string }) => `${r.method.toUpperCase()} ${r.path}`;

/** The entry of a route, by method and Express path. */
export function routeOf(method: Method, path: string): RouteEntry {
  const found = ROUTES.find((r) => r.method === method && r.path === path);
  if (!found) throw new Error(`no route ${method} ${path} in the catalog`);
  return found;
}

interface Layer {
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
}

/**
 * The routes registered on an app, by walking Express 5's router stack and every nested router's
 * (a router mounted at a path prefixes its routes with it).
 */
export function registeredRoutes(app: Express): Array<{ method: Method; path: string }> {
  const found: Array<{ method: Method; path: string }> = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        if (typeof layer.route.path !== 'string') throw new Error(`a route path that is not a string: ${String(layer.route.path)}`);
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (!on) continue;
          if (method === '_all') throw new Error(`app.all() on ${layer.route.path}: list its methods`);
          found.push({ method: method.toUpperCase() as Method, path: `${prefix}${layer.route.path}` });
        }
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath.replace(/\/$/, '') : '';
        walk(layer.handle.stack, `${prefix}${mount}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return found;
}
