/**
 * Issue 7, evidence: the authorization matrix. Every route of the catalog (api/routes/catalog.ts)
 * is called on the real stack as a person of each unit and role of two provinces: the expected
 * answer comes from the route's rule in the catalog — a caller the rule refuses (the wrong unit, the
 * wrong level, the wrong role, another province) gets 403, or 404 where even existence must not
 * leak, and nothing changes; a caller of a `self` or list route gets only their own or in-scope
 * data. A route registered on the app without a catalog entry, or without a fixture here, fails.
 */
import request from 'supertest';
import { ROUTES, registeredRoutes, routeKey, type Access, type RouteEntry } from '../api/routes/catalog';
import { dutyWorkflowId } from '../workflows/duty/contract';
import { DefinitionRegistry } from '../definitions';
import type { OrgLevel, Role } from '../workflows/procedure/definition';
import { eventually } from './helpers/stack';
import { buildWorld, issueToken, preserveSharedRows, type Principal, type World } from './helpers/world';

let w: World;
let restoreShared: (() => Promise<void>) | undefined;
beforeAll(async () => {
  w = await buildWorld('authz');
  restoreShared = await preserveSharedRows(w.s.db);
  today = new Date((await w.s.env.currentTimeMs()) + 8 * 3_600_000).toISOString().slice(0, 10);
  await settled();
}, 300_000);
afterAll(async () => {
  await restoreShared?.();
  await w?.s.stop();
  const byCategory = Object.entries(counts.denied)
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  console.log(
    `authz matrix: ${counts.routes} routes × ${w?.principals.length ?? 0} principals: ${counts.total} route × principal checks ` +
      `(${counts.deniedTotal} refused as expected — ${byCategory}; ${counts.own} own/in-scope data checks; ${counts.unauthenticated} unauthenticated); ` +
      `${counts.skipped} allowed or step-dependent pairs not called`,
  );
});

const counts = { routes: 0, total: 0, deniedTotal: 0, own: 0, unauthenticated: 0, skipped: 0, denied: {} as Record<string, number> };

// ---- the rules of the catalog, as expectations ------------------------------------------------

const ROLES: Role[] = ['STAFF', 'DEPUTY', 'LEADER'];

/** What a route acts on, as the rule needs it. */
interface TargetCtx {
  /** org path of the target's unit */
  path?: string;
  /** units that pass the service's check although outside the path's scope (assessed units, an item's units) */
  readers?: string[];
  /** decisions: the units and roles the workflow admits now; undefined: the step is not this route's (in-scope callers meet a 409 first) */
  awaited?: { unitIds: string[]; roles: Role[] };
  /** starts: the definition's startedBy (null: anyone in scope) */
  startedBy?: { levels: OrgLevel[]; roles: Role[] } | null;
  /** the owner of a token or notification */
  ownerPersonId?: string;
  /** a definition's profile being published */
  profile?: string;
}

type Verdict = { allow: true } | { deny: 403 | 404 } | { unknown: true };
const ALLOW: Verdict = { allow: true };
const UNKNOWN: Verdict = { unknown: true };
const isDeny = (v: Verdict): v is { deny: 403 | 404 } => 'deny' in v;

/** The catalog's rule applied to a caller. `unknown` where only the live state can tell (never asserted). */
function verdict(access: Access, p: Principal, t: TargetCtx, profiles: World['profiles']): Verdict {
  const inScope = (path: string) => path.startsWith(p.scopePath);
  const outside: Verdict = { deny: access.outside ?? 403 };
  const forbidden: Verdict = { deny: 403 };
  const roleOk = !access.roles || access.roles.includes(p.role);
  const leaderAt = (levels: OrgLevel[]) => levels.includes(p.level) && !p.department && roleOk;
  switch (access.auth) {
    case 'public':
    case 'any':
      return ALLOW;
    case 'self':
      if (access.target === 'notification') return p.personId === t.ownerPersonId ? ALLOW : outside;
      if (t.path !== undefined && !inScope(t.path)) return outside;
      return ALLOW;
    case 'scope':
      if (t.path === undefined) return ALLOW; // a list: checked for its contents
      return inScope(t.path) || t.readers?.includes(p.orgUnitId) ? ALLOW : outside;
    case 'starter':
      if (!inScope(t.path!)) return outside;
      if (t.startedBy && (p.department || !t.startedBy.levels.includes(p.level) || !t.startedBy.roles.includes(p.role))) return forbidden;
      return ALLOW;
    case 'decision':
      if (!inScope(t.path!) && !t.readers?.includes(p.orgUnitId)) return outside;
      if (!t.awaited) return UNKNOWN;
      return t.awaited.unitIds.includes(p.orgUnitId) && t.awaited.roles.includes(p.role) && roleOk ? ALLOW : forbidden;
    case 'owner':
      if (p.personId === t.ownerPersonId) return ALLOW;
      if (!inScope(t.path!)) return outside;
      if (p.role === 'STAFF' || p.department || t.path === p.orgPath) return forbidden;
      return ALLOW;
    case 'assessor':
      return leaderAt(['CENTRAL', 'PROVINCE', 'CITY']) ? ALLOW : forbidden;
    case 'provincialAdmin':
      return leaderAt(['PROVINCE']) ? ALLOW : forbidden;
    case 'centralAdmin':
      return leaderAt(['CENTRAL']) ? ALLOW : forbidden;
    case 'profileAdmin': {
      if (leaderAt(['CENTRAL'])) return t.profile === 'national' ? ALLOW : UNKNOWN;
      const own = p.province === 1 ? profiles.t1 : profiles.t2;
      return leaderAt(['PROVINCE']) && t.profile !== 'national' && t.profile === own ? ALLOW : forbidden;
    }
  }
}

/** Why a refused caller is refused, for the count: another province, the wrong role, unit or level. */
function category(access: Access, p: Principal, t: TargetCtx, targetLevel: OrgLevel | undefined): string {
  if (p.province === 2) return 'another province';
  if (ROLES.some((role) => role !== p.role && 'allow' in verdict(access, { ...p, role }, t, w.profiles))) return 'wrong role';
  return targetLevel === p.level ? 'wrong unit' : 'wrong level';
}

// ---- fixtures: one concrete request (or a few) per route ----------------------------------------

interface Fixture {
  label?: string;
  path: string;
  body?: object;
  target?: TargetCtx;
  /** checks the answer to a caller the rule allows (self, lists, reads); such callers are called only when given */
  check?: (p: Principal, res: request.Response) => Promise<void> | void;
}

const db = () => w.s.db;
/** today in China on the Temporal server's clock (skipped ahead): a date in every duty's current period */
let today = '';
const chinaToday = () => today;
const village1 = () => w.t1.villages[0];
const unitIdsOf = (path: string) => path.split('/').filter(Boolean);
const within = async (p: Principal, unitId: string) => (await db().orgUnit.findUniqueOrThrow({ where: { id: unitId } })).path.startsWith(p.scopePath);

async function caseTarget(): Promise<TargetCtx & { live: { key: string; responsibleOrgUnitId: string; roles: Role[] } }> {
  const row = await db().procedure.findUniqueOrThrow({ where: { id: w.caseId } });
  const res = await request(w.app).get(`/procedures/${w.caseId}`).set('Authorization', `Bearer ${w.t1.province.tokens.LEADER}`);
  expect(res.status).toBe(200);
  return { path: row.orgPath, live: res.body.live };
}

const startedByOf = (type: string): TargetCtx['startedBy'] => DefinitionRegistry.loadFrom().latest(type as never, w.profiles.t1).startedBy ?? null;

async function rectificationItem() {
  return db().rectificationItem.findUniqueOrThrow({ where: { rectificationId_seq: { rectificationId: w.rectificationId, seq: 1 } } });
}

const FIXTURES: Record<string, () => Promise<Fixture[]>> = {
  'GET /healthz': async () => [{ path: '/healthz', check: (_p, res) => expect(res.body).toEqual({ ok: true }) }],
  'GET /readyz': async () => [{ path: '/readyz', check: (_p, res) => expect(res.body.ok).toBe(true) }],
  // no METRICS_TOKEN here: served to loopback clients (test/metrics.test.ts covers the token and other addresses)
  'GET /metrics': async () => [{ path: '/metrics', check: (_p, res) => expect(res.text).toContain('# TYPE http_requests_total counter') }],
  'GET /me': async () => [{ path: '/me', check: (p, res) => expect(res.body).toMatchObject({ personId: p.personId, orgUnitId: p.orgUnitId, role: p.role }) }],
  // one route for every type: the exits (with the field names they took before) and an inspection
  'POST /procedures/:procedureType': async () => [
    { label: 'household-exit', path: '/procedures/household-exit', body: { householdId: w.freshHouseholds[0], year: w.year }, target: { path: village1().path, startedBy: startedByOf('household-exit') } },
    { label: 'village-exit', path: '/procedures/village-exit', body: { villageId: village1().id, year: w.year }, target: { path: village1().path, startedBy: startedByOf('village-exit') } },
    { label: 'county-exit', path: '/procedures/county-exit', body: { countyId: w.t1.county.id, year: w.year }, target: { path: w.t1.county.path, startedBy: startedByOf('county-exit') } },
    { label: 'annual-inspection', path: '/procedures/annual-inspection', body: { subjectId: w.t1.county.id, year: w.year }, target: { path: w.t1.county.path, startedBy: startedByOf('annual-inspection') } },
  ],
  'POST /procedures/household-exit/bulk': async () => [
    {
      path: '/procedures/household-exit/bulk',
      body: { villageId: village1().id, year: w.year, householdIds: [w.freshHouseholds[1]] },
      target: { path: village1().path, startedBy: startedByOf('household-exit') },
    },
  ],
  'GET /procedures/batches/:batchId': async () => {
    // a batch of the village's own staff, of the household the bulk start's fixture names
    const started = await request(w.app)
      .post('/procedures/household-exit/bulk')
      .set('Authorization', `Bearer ${village1().tokens.STAFF}`)
      .send({ villageId: village1().id, year: w.year, householdIds: [w.freshHouseholds[1]] });
    expect(started.status).toBe(202);
    const { batchId } = started.body as { batchId: string };
    // the batch works after its answer: let it finish, and its case's one opening write land,
    // before the matrix compares the database around refused calls
    const done = await eventually(async () => {
      const res = await request(w.app).get(`/procedures/batches/${batchId}`).set('Authorization', `Bearer ${village1().tokens.STAFF}`);
      return res.body.status === 'COMPLETED' && (res.body as { results: Array<{ outcome: string; caseId?: string }> });
    });
    for (const r of done.results) if (r.caseId) await eventually(() => db().procedure.findUnique({ where: { id: r.caseId } }));
    return [{ path: `/procedures/batches/${batchId}`, target: { path: village1().path }, check: (_p, res) => expect(res.body.batchId).toBe(batchId) }];
  },
  'GET /procedures/:caseId': async () => {
    const t = await caseTarget();
    return [{ path: `/procedures/${w.caseId}`, target: t, check: (_p, res) => expect(res.body.id).toBe(w.caseId) }];
  },
  'POST /procedures/:caseId/sign-off': async () => {
    const t = await caseTarget();
    return [
      {
        path: `/procedures/${w.caseId}/sign-off`,
        body: { stageKey: t.live.key, decision: 'approve' },
        target: { ...t, awaited: { unitIds: [t.live.responsibleOrgUnitId], roles: t.live.roles } },
      },
    ];
  },
  'POST /procedures/:caseId/objections': async () => {
    const t = await caseTarget();
    return [{ path: `/procedures/${w.caseId}/objections`, body: { objectorName: '村民甲', content: '收入核算有误' }, target: { ...t, awaited: { unitIds: unitIdsOf(t.path!), roles: ROLES } } }];
  },
  'POST /procedures/:caseId/indicators': async () => {
    const t = await caseTarget();
    return [{ path: `/procedures/${w.caseId}/indicators`, body: { values: { incidence_rate: 0.01 }, source: '统计年报' }, target: { ...t, awaited: { unitIds: unitIdsOf(t.path!), roles: ROLES } } }];
  },
  'POST /procedures/:caseId/cancel': async () => {
    const t = await caseTarget();
    return [{ path: `/procedures/${w.caseId}/cancel`, body: { reason: '户主申请暂缓退出' }, target: { ...t, awaited: { unitIds: unitIdsOf(t.path!), roles: ROLES } } }];
  },
  'GET /inbox': async () => [
    {
      path: '/inbox',
      check: (p, res) => {
        for (const item of res.body.items) expect(item.pendingOrgUnitIds).toContain(p.orgUnitId);
        const ids = res.body.items.map((i: { caseId: string }) => i.caseId);
        if (p.orgUnitId === village1().id) expect(ids).toContain(w.caseId);
        else expect(ids).not.toContain(w.caseId);
      },
    },
  ],
  'GET /supervision/overdue': async () => [
    {
      path: '/supervision/overdue',
      check: async (p, res) => {
        const ids: string[] = res.body.items.map((i: { caseId: string }) => i.caseId);
        const rows = await db().procedure.findMany({ where: { id: { in: ids } }, select: { orgPath: true } });
        for (const r of rows) expect(r.orgPath.startsWith(p.scopePath)).toBe(true);
        expect(ids.includes(w.caseId)).toBe(village1().path.startsWith(p.scopePath));
      },
    },
  ],
  'GET /notifications': async () => [
    {
      path: '/notifications',
      check: (p, res) => {
        for (const n of res.body.items) expect(n.recipientId).toBe(p.personId);
        if (p.personId === village1().people.STAFF) expect(res.body.items.map((n: { id: string }) => n.id)).toContain(w.notificationId);
      },
    },
  ],
  'POST /notifications/:id/read': async () => [{ path: `/notifications/${w.notificationId}/read`, target: { ownerPersonId: village1().people.STAFF } }],
  'GET /households': async () => [
    {
      label: 'list',
      path: '/households',
      check: async (p, res) => {
        for (const h of res.body.items) expect(await within(p, h.villageId)).toBe(true);
      },
    },
    { label: 'one village', path: `/households?villageId=${village1().id}`, target: { path: village1().path } },
  ],
  'GET /definitions': async () => [{ path: '/definitions', check: (_p, res) => expect(res.body.items.length).toBeGreaterThan(0) }],
  'GET /definitions/:procedureType/:profile': async () => [
    { path: `/definitions/household-exit/${w.profiles.t1}`, check: (_p, res) => expect(res.body.procedureType).toBe('household-exit') },
  ],
  'POST /admin/definitions': async () => {
    const shipped = DefinitionRegistry.loadFrom().latest('household-exit', 'national');
    return [
      { label: 'national', path: '/admin/definitions', body: { ...shipped, version: 9_000 }, target: { profile: 'national' } },
      { label: 'a province’s profile', path: '/admin/definitions', body: { ...shipped, profile: w.profiles.t1, version: 9_000 }, target: { profile: w.profiles.t1 } },
    ];
  },
  'GET /calendar/add-working-days': async () => [{ path: '/calendar/add-working-days?from=2026-03-02&days=5', check: (_p, res) => expect(res.body.date).toMatch(/^\d{4}-\d{2}-\d{2}$/) }],
  'GET /calendar/:year': async () => [{ path: '/calendar/2026', check: (_p, res) => expect(res.body.year).toBe(2026) }],
  'PUT /admin/calendar/:year': async () => [
    { path: '/admin/calendar/2099', body: { year: 2099, source: '国办发明电〔2098〕1号', holidays: [{ name: '元旦', from: '2099-01-01', to: '2099-01-01' }], workdays: [] } },
  ],
  'POST /assessments': async () => [{ path: '/assessments', body: { year: w.year + 1 } }],
  'PUT /admin/assessment-schedule': async () => [{ path: '/admin/assessment-schedule', body: { day: 15 } }],
  'GET /assessments': async () => [
    {
      path: '/assessments',
      check: (p, res) => {
        for (const a of res.body.items) expect(a.assessorPath.startsWith(p.scopePath)).toBe(true);
        expect(res.body.items.some((a: { id: string }) => a.id === w.assessmentId)).toBe(w.t1.province.path.startsWith(p.scopePath));
      },
    },
  ],
  'GET /assessments/:id': async () => [
    {
      path: `/assessments/${encodeURIComponent(w.assessmentId)}`,
      target: { path: w.t1.province.path, readers: w.assessedUnitIds },
      check: (p, res) => {
        // an assessed unit outside the assessor's scope reads its own part only
        if (!w.t1.province.path.startsWith(p.scopePath)) expect(res.body.units.map((u: { unitId: string }) => u.unitId)).toEqual([p.orgUnitId]);
      },
    },
  ],
  'POST /assessments/:id/evaluations': async () => [
    {
      path: `/assessments/${encodeURIComponent(w.assessmentId)}/evaluations`,
      body: { unitId: w.t1.county.id, values: { identification_accuracy: 0.9, satisfaction: 0.9 }, source: '第三方评估机构' },
      target: { path: w.t1.province.path }, // at the comprehensive evaluation: in-scope callers get 409 WrongStage
    },
  ],
  'POST /assessments/:id/results': async () => [
    {
      path: `/assessments/${encodeURIComponent(w.assessmentId)}/results`,
      body: { results: w.assessedUnitIds.map((unitId) => ({ unitId, grade: '好', problems: [] })) },
      target: { path: w.t1.province.path, awaited: { unitIds: [w.t1.province.id], roles: ROLES } },
    },
  ],
  'POST /assessments/:id/approval': async () => [
    { path: `/assessments/${encodeURIComponent(w.assessmentId)}/approval`, body: { decision: 'approve' }, target: { path: w.t1.province.path } },
  ],
  'GET /rectifications/mine': async () => [
    {
      path: '/rectifications/mine',
      check: (p, res) => {
        for (const i of res.body.items) expect(i.leadUnitId === p.orgUnitId || i.responsibleUnitIds.includes(p.orgUnitId)).toBe(true);
        const mine = [w.t1.county.id, w.t1.townships[0].id].includes(p.orgUnitId);
        expect(res.body.items.some((i: { rectificationId: string }) => i.rectificationId === w.rectificationId)).toBe(mine);
      },
    },
  ],
  'GET /rectifications/:id': async () => {
    const item = await rectificationItem();
    return [{ path: `/rectifications/${encodeURIComponent(w.rectificationId)}`, target: { path: w.t1.county.path, readers: [item.leadUnitId, ...item.responsibleUnitIds] } }];
  },
  'POST /rectifications/:id/plan': async () => {
    const item = await rectificationItem();
    return [
      {
        path: `/rectifications/${encodeURIComponent(w.rectificationId)}/plan`,
        body: { items: [{ problemSeq: 1, leadUnitId: w.t1.county.id, responsibleUnitIds: [w.t1.county.id], measures: '另拟方案', deadline: { standing: true } }] },
        target: { path: w.t1.county.path, readers: [item.leadUnitId, ...item.responsibleUnitIds], awaited: { unitIds: [w.t1.county.id], roles: ROLES } },
      },
    ];
  },
  'POST /rectifications/:id/report': async () => {
    const item = await rectificationItem();
    return [
      {
        path: `/rectifications/${encodeURIComponent(w.rectificationId)}/report`,
        body: { summary: '整改报告' },
        target: { path: w.t1.county.path, readers: [item.leadUnitId, ...item.responsibleUnitIds], awaited: { unitIds: [w.t1.county.id], roles: ROLES } },
      },
    ];
  },
  ...Object.fromEntries(
    (['progress', 'close', 'confirm'] as const).map((action) => [
      `POST /rectifications/:id/items/:seq/${action}`,
      async (): Promise<Fixture[]> => {
        const item = await rectificationItem();
        const decides = action === 'confirm' ? [item.leadUnitId] : item.responsibleUnitIds;
        return [
          {
            path: `/rectifications/${encodeURIComponent(w.rectificationId)}/items/1/${action}`,
            body: { note: '进展', attachments: [{ name: '台账.xlsx', uri: 'https://docs.example.gov.cn/ledger.xlsx' }] },
            target: { path: w.t1.county.path, readers: [item.leadUnitId, ...item.responsibleUnitIds], awaited: { unitIds: decides, roles: ROLES } },
          },
        ];
      },
    ]),
  ),
  'POST /admin/duties/ensure': async () => [{ path: '/admin/duties/ensure' }],
  'POST /duties/visits': async () => [{ path: '/duties/visits', body: { date: chinaToday(), villageId: village1().id }, target: { path: village1().path } }],
  'POST /duties/letters': async () => [
    {
      path: '/duties/letters',
      body: { date: chinaToday() },
      check: async (p, res) => {
        const duty = await db().duty.findUnique({ where: { id: dutyWorkflowId('responsibility_letter', p.personId) } });
        if (duty) {
          expect(res.status).toBe(201);
          expect(res.body).toMatchObject({ personId: p.personId, dutyId: duty.id });
        } else {
          expect(res.status).toBe(404);
        }
      },
    },
  ],
  'GET /duties': async () => [
    {
      path: '/duties',
      check: (p, res) => {
        for (const d of res.body.items) expect(d.unitPath.startsWith(p.scopePath)).toBe(true);
      },
    },
  ],
  'GET /supervision/summary': async () => [
    {
      path: '/supervision/summary',
      check: async (p, res) => {
        for (const u of res.body.units) expect(await within(p, u.unitId)).toBe(true);
        expect(res.body.units.some((u: { unitId: string; overdueCases: number }) => u.unitId === village1().id && u.overdueCases > 0)).toBe(village1().path.startsWith(p.scopePath));
      },
    },
  ],
  'GET /tokens': async () => [
    {
      path: '/tokens',
      check: async (p, res) => {
        const own = new Set((await db().apiToken.findMany({ where: { personId: p.personId }, select: { id: true } })).map((t) => t.id));
        expect(res.body.items.length).toBeGreaterThan(0);
        for (const t of res.body.items) expect(own.has(t.id)).toBe(true);
        expect(res.body.items.filter((t: { current: boolean }) => t.current)).toHaveLength(1);
      },
    },
  ],
  'POST /tokens': async () => [
    {
      path: '/tokens',
      body: { label: '矩阵测试', expiresInDays: 1 },
      check: async (p, res) => {
        expect(res.status).toBe(201);
        const me = await request(w.app).get('/me').set('Authorization', `Bearer ${res.body.token}`);
        expect(me.body.personId).toBe(p.personId);
        await db().apiToken.update({ where: { id: res.body.id }, data: { revokedAt: new Date() } });
      },
    },
  ],
  'DELETE /tokens/current': async () => [{ path: '/tokens/current', check: () => undefined }], // run separately: it revokes the caller's own token
  'DELETE /tokens/:id': async () => {
    const owner = village1().people.STAFF;
    const { id } = await issueToken(db(), owner, 'to be revoked');
    return [{ path: `/tokens/${id}`, target: { path: village1().path, ownerPersonId: owner } }];
  },
};

// ---- the state a refused request must leave as it was -------------------------------------------

async function snapshot() {
  const d = db();
  const [procedures, events, read, tokens, revoked, definitions, calendar, duties, records, items, assessments, households, exited] = await Promise.all([
    d.procedure.findMany({ select: { id: true, status: true, currentStageKey: true, stateSeq: true }, orderBy: { id: 'asc' } }),
    d.caseEvent.count(),
    d.notification.count({ where: { readAt: { not: null } } }),
    d.apiToken.count(),
    d.apiToken.count({ where: { revokedAt: { not: null } } }),
    d.procedureDefinitionVersion.count(),
    d.calendarYear.findMany({ select: { year: true, loadedAt: true }, orderBy: { year: 'asc' } }),
    d.duty.count(),
    d.dutyRecord.count(),
    d.rectificationItem.findMany({ select: { rectificationId: true, seq: true, status: true, closedUnitIds: true, measures: true }, orderBy: [{ rectificationId: 'asc' }, { seq: 'asc' }] }),
    d.assessment.findMany({ select: { id: true, step: true, status: true }, orderBy: { id: 'asc' } }),
    d.household.groupBy({ by: ['status'], _count: true, orderBy: { status: 'asc' } }),
    d.orgUnit.count({ where: { exitYear: { not: null } } }),
  ]);
  return { procedures, events, read, tokens, revoked, definitions, calendar, duties, records, items, assessments, households, exited };
}

/** Waits until the world stops changing by itself (projections of the setup landing). */
async function settled() {
  let last = JSON.stringify(await snapshot());
  await eventually(async () => {
    await new Promise((r) => setTimeout(r, 700));
    const now = JSON.stringify(await snapshot());
    const same = now === last;
    last = now;
    return same;
  }, 60_000);
}

// ---- the suite ----------------------------------------------------------------------------------

const call = (route: RouteEntry, path: string, token: string | undefined, body?: object) => {
  let req = request(w.app)[route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'](path);
  if (token) req = req.set('Authorization', `Bearer ${token}`);
  return route.method === 'GET' ? req : req.send(body ?? {});
};

const targetLevel = (t: TargetCtx | undefined): OrgLevel | undefined => {
  const id = t?.path ? unitIdsOf(t.path).at(-1) : undefined;
  return id ? (w.t1.units.get(id)?.level ?? w.t2.units.get(id)?.level) : undefined;
};

test('every route registered on the app has a catalog entry, and every entry is a registered route', () => {
  const registered = registeredRoutes(w.app).map(routeKey).sort();
  const catalogued = ROUTES.map(routeKey).sort();
  expect(registered.filter((r) => !catalogued.includes(r))).toEqual([]);
  expect(catalogued.filter((r) => !registered.includes(r))).toEqual([]);
  expect(new Set(catalogued).size).toBe(catalogued.length);
});

test('every catalogued route has a fixture in this matrix', () => {
  expect(ROUTES.map(routeKey).filter((k) => !FIXTURES[k])).toEqual([]);
});

test('without a token, or with an unknown one, every route but the public ones answers 401', async () => {
  for (const route of ROUTES) {
    if (route.access.auth === 'public') continue;
    const [fixture] = await FIXTURES[routeKey(route)]();
    for (const token of [undefined, 'not-a-token-of-anyone-0123456789']) {
      const res = await call(route, fixture.path, token, fixture.body);
      expect({ route: routeKey(route), status: res.status, code: res.body?.error?.code }).toEqual({ route: routeKey(route), status: 401, code: 'Unauthenticated' });
      counts.unauthenticated++;
      counts.total++;
    }
  }
});

describe.each(ROUTES.map((r) => [routeKey(r), r] as const))('%s', (key, route) => {
  test('callers the rule refuses get its status and change nothing; allowed callers get their own or in-scope data', async () => {
    counts.routes++;
    const refused: string[] = [];
    for (const fixture of await FIXTURES[key]()) {
      const target = fixture.target ?? {};
      const before = await snapshot();
      for (const p of w.principals) {
        const v = verdict(route.access, p, target, w.profiles);
        if (!isDeny(v)) continue;
        const res = await call(route, fixture.path, p.token, fixture.body);
        // 403 from the API's own check (Forbidden) or from the workflow's validator (WrongOrgUnit, WrongRole)
        const codes = v.deny === 404 ? ['NotFound'] : ['Forbidden', 'WrongOrgUnit', 'WrongRole'];
        expect({ principal: p.name, variant: fixture.label, status: res.status, code: res.body?.error?.code }).toEqual({
          principal: p.name,
          variant: fixture.label,
          status: v.deny,
          code: codes.includes(res.body?.error?.code) ? res.body.error.code : codes.join('|'),
        });
        const why = category(route.access, p, target, targetLevel(target));
        counts.denied[why] = (counts.denied[why] ?? 0) + 1;
        counts.deniedTotal++;
        counts.total++;
        refused.push(why);
      }
      expect(await snapshot()).toEqual(before);

      if (key === 'DELETE /tokens/current') {
        // logging out revokes the token of the request, no other
        for (const p of w.principals) {
          const { token, id } = await issueToken(db(), p.personId, 'logout');
          expect((await call(route, fixture.path, token)).status).toBe(204);
          expect((await db().apiToken.findUniqueOrThrow({ where: { id } })).revokedAt).not.toBeNull();
          expect((await request(w.app).get('/me').set('Authorization', `Bearer ${token}`)).status).toBe(401);
          expect((await request(w.app).get('/me').set('Authorization', `Bearer ${p.token}`)).status).toBe(200);
          counts.own++;
          counts.total++;
        }
        continue;
      }
      if (!fixture.check) {
        counts.skipped += w.principals.filter((p) => !isDeny(verdict(route.access, p, target, w.profiles))).length;
        continue;
      }
      for (const p of w.principals) {
        const v = verdict(route.access, p, target, w.profiles);
        if (isDeny(v)) continue;
        if ('unknown' in v) {
          counts.skipped++;
          continue;
        }
        const token = route.access.auth === 'public' ? undefined : p.token;
        const res = await call(route, fixture.path, token, fixture.body);
        if (key !== 'POST /duties/letters' && key !== 'POST /tokens') expect({ principal: p.name, status: res.status }).toEqual({ principal: p.name, status: route.success[0] });
        await fixture.check(p, res);
        counts.own++;
        counts.total++;
        if (route.access.auth === 'public') break; // no caller to vary
      }
    }
    // a rule that refuses someone is tested on another province and on the wrong unit or level
    const refuses = !['public', 'any'].includes(route.access.auth) && !(route.access.auth === 'self' && !route.access.target) && !route.access.list;
    const refusesOtherProvince = !['assessor', 'provincialAdmin'].includes(route.access.auth);
    if (refuses) {
      if (refusesOtherProvince) expect(refused).toContain('another province');
      expect(refused.some((c) => c === 'wrong unit' || c === 'wrong level')).toBe(true);
    }
  });
});

test('the notification’s recipient marks it read, after every refused attempt left it unread', async () => {
  const route = ROUTES.find((r) => routeKey(r) === 'POST /notifications/:id/read')!;
  expect((await db().notification.findUniqueOrThrow({ where: { id: w.notificationId } })).readAt).toBeNull();
  expect((await call(route, `/notifications/${w.notificationId}/read`, village1().tokens.STAFF)).status).toBe(204);
  expect((await db().notification.findUniqueOrThrow({ where: { id: w.notificationId } })).readAt).not.toBeNull();
  counts.own++;
  counts.total++;
});
