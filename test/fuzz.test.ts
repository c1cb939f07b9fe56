/**
 * Issue 7, evidence: property-based fuzzing of every route in the catalog (api/routes/catalog.ts).
 * Requests are generated from each route's own zod schemas (zod-fast-check; own arbitraries where
 * a schema is a regex or a refinement it cannot invert), with real ids mixed in so that requests get
 * past the lookups, and with hostile values mixed into every part of the request: NUL, lone
 * surrogates, bidi marks, 100k-character strings, extreme dates and numbers, wrong types, deep
 * nesting, hostile keys, path segments, query strings and headers (Idempotency-Key, Content-Type,
 * Content-Encoding, Authorization), sent with the token of a person who may call the route as well
 * as wrong ones. The API runs in its own process, so that even a request that blocks it fails a
 * property instead of the suite. For every request:
 *
 * - the status is never 5xx, except 503 with Retry-After — and nothing is down here, so not even
 *   that: a 503 on a healthy stack is a request stuck (a decision no worker can finish);
 * - the answer is JSON (204 aside), errors in the `{error: {code, message}}` envelope, with no
 *   hostile character in it and no 32 kB echo of the input;
 * - it arrives within the per-request deadline (10 s);
 * - afterwards /healthz answers and the worker is still RUNNING;
 * and at the end every case, assessment and rectification of the world still answers its query.
 *
 * FUZZ_RUNS sets the requests per route (default 10: about a minute on two CPUs), FUZZ_SEED the seed;
 * FUZZ_SHRINK=1 shrinks a counterexample before reporting it.
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { validateHeaderValue } from 'node:http';
import fc from 'fast-check';
import { ZodFastCheck } from 'zod-fast-check';
import { z } from 'zod';
import { ROUTES, routeKey, type RouteEntry } from '../api/routes/catalog';
import { Id as BodyId } from '../api/routes/procedures';
import { DefinitionRegistry } from '../definitions';
import { loadAssessmentDefinition } from '../definitions';
import { IsoDate } from '../lib/dates';
import { findTextProblems } from '../workflows/shared/text';
import { DutyRecordBody } from '../workflows/duty/contract';
import { Attachment, SignOffBody, IndicatorsBody, TASK_QUEUE, statusQuery } from '../workflows/procedure/contract';
import { EvaluationBody, PlanBody, ResultsBody, assessmentQuery, rectificationQuery, rectificationWorkflowId, type RectificationInput } from '../workflows/assessment/contract';
import { ProcedureDefinition } from '../workflows/procedure/definition';
import { YearSchedule } from '../lib/calendar';
import { eventually } from './helpers/stack';
import { startApiProcess, sendRaw, type ApiProcess, type RawResponse } from './helpers/api-process';
import { buildWorld, issueToken, preserveSharedRows, type Principal, type World } from './helpers/world';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_123);
const RUNS = Number(process.env.FUZZ_RUNS ?? 10);
const DEADLINE_MS = 10_000;

let w: World;
let api: ApiProcess;
let restoreShared: (() => Promise<void>) | undefined;
/** a rectification with no plan yet (so that fuzzed plans reach the workflow) */
let openRectificationId: string;
const stats = { requests: 0, dateRequests: 0, byStatus: {} as Record<number, number>, fallbacks: new Set<string>(), slowest: 0 };

const startApi = () => startApiProcess(w.s.env, { decisionWaitMs: 8_000, requestDeadlineMs: 9_500, authFailuresPerMinute: 1_000_000 });

beforeAll(async () => {
  // the dev server: schedules (PUT /admin/assessment-schedule) and update outcomes as in production
  w = await buildWorld('fuzz', { server: 'dev' });
  restoreShared = await preserveSharedRows(w.s.db);
  // a second rectification, of the second county, still waiting for its plan
  const county2 = w.t1.counties[1];
  openRectificationId = rectificationWorkflowId(w.t1.province.id, county2.id, w.year);
  const def = loadAssessmentDefinition();
  const input: RectificationInput = {
    rectificationId: openRectificationId,
    year: w.year,
    unit: { id: county2.id, name: county2.name, orgPath: { CENTRAL: w.t1.central!.id, PROVINCE: w.t1.province.id, CITY: w.t1.city.id, COUNTY: county2.id } },
    problems: [{ seq: 1, type: 'exit_fraud', label: '数字脱贫', description: '个别村存在“数字脱贫”' }],
    phases: def.rectification.phases,
    overdueItemsForLevelUp: def.rectification.overdueItemsForLevelUp,
  };
  await w.s.env.client.workflow.start('rectificationWorkflow', { taskQueue: TASK_QUEUE, workflowId: openRectificationId, args: [input] });
  await eventually(() => w.s.db.rectification.findUnique({ where: { id: openRectificationId } }), 30_000);
  api = await startApi();
}, 300_000);

afterAll(async () => {
  await api?.kill();
  await restoreShared?.();
  await w?.s.stop();
  const statuses = Object.entries(stats.byStatus)
    .map(([s, n]) => `${s}×${n}`)
    .join(' ');
  console.log(
    `fuzz: ${stats.requests} generated requests over ${ROUTES.length} routes (seed ${SEED}, ${RUNS} runs per route and method) and ${stats.dateRequests} impossible-date requests; ` +
      `statuses ${statuses}; slowest ${stats.slowest} ms` +
      (stats.fallbacks.size ? `; own arbitraries for ${[...stats.fallbacks].join(', ')}` : ''),
  );
});

// ---- hostile values ---------------------------------------------------------------------------

const LONG = 'A'.repeat(100_000);
const LONG_CJK = '贫'.repeat(100_000); // 300 kB as UTF-8: over the 256 kB body limit
const HOSTILE_STRINGS = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\udfffy',
  '\ud800\ud800',
  '\u202e',
  'abc\u202edcba',
  '\u200f',
  '\u2066x\u2069',
  '\u0007',
  '\u001b[31m',
  '\r\n',
  '\ufeff',
  '\uffff',
  '😀',
  LONG,
  LONG_CJK,
  '0000-01-01',
  '9999-12-31',
  '2026-02-30',
  '2025-02-29',
  '+275760-09-13',
  '-271821-04-20',
  '1e308',
  '-0',
  String(2 ** 53),
  'NaN',
  'Infinity',
  '-Infinity',
  '__proto__',
  'constructor',
  'toString',
  '../../../etc/passwd',
  '%00',
  "' OR '1'='1",
  '<script>alert(1)</script>',
  'javascript:alert(1)',
  '',
  ' ',
  'null',
];
/** hostile strings short enough for a URL (Node refuses request heads over 16 kB itself, without a body) */
const SHORT_HOSTILE = HOSTILE_STRINGS.filter((s) => s.length < 1_000).concat(['B'.repeat(4_000)]);
const HOSTILE_NUMBERS = [1e308, -1e308, -0, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 5e-324, 0, -1, 0.5, 1e21, 2 ** 31, 2 ** 32];
const WRONG_TYPES: unknown[] = [null, true, false, [], {}, [null], '', [[[]]], 0];
const nest = (depth: number, asArray: boolean): unknown => {
  let v: unknown = 'deep';
  for (let i = 0; i < depth; i++) v = asArray ? [v] : { a: v };
  return v;
};
const HOSTILE_OBJECTS: unknown[] = [
  JSON.parse('{"\\u0000": 1}'),
  JSON.parse('{"__proto__": {"admin": true, "role": "LEADER"}}'),
  JSON.parse('{"constructor": {"prototype": {"admin": true}}}'),
  JSON.parse('{"a\\ud800": "x"}'),
  JSON.parse('{"\\u202e": "x"}'),
  { ['k'.repeat(10_000)]: 1 },
];
const HOSTILE_KEYS = ['\u0000', '__proto__', 'constructor', 'prototype', 'a\ud800', '\u202e', '', 'toString', 'hasOwnProperty', 'x'.repeat(5_000)];

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS) },
  { weight: 2, arbitrary: fc.constantFrom(...WRONG_TYPES) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(33, 200, 3_000), fc.boolean()).map(([d, a]) => nest(d, a)) },
  { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_OBJECTS) },
);

/** Sets a property as data, even "__proto__". */
const put = (o: Record<string, unknown>, k: string, v: unknown) => Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });

function nodesOf(v: unknown, path: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(path);
  if (out.length > 500 || path.length > 40) return out;
  if (Array.isArray(v)) v.forEach((x, i) => nodesOf(x, [...path, i], out));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) nodesOf((v as Record<string, unknown>)[k], [...path, k], out);
  return out;
}

function updateAt(v: unknown, path: Array<string | number>, f: (old: unknown) => unknown): unknown {
  if (path.length === 0) return f(v);
  const [head, ...rest] = path;
  if (Array.isArray(v)) {
    const copy = [...v];
    copy[head as number] = updateAt(copy[head as number], rest, f);
    return copy;
  }
  const copy: Record<string, unknown> = {};
  for (const k of Object.keys(v as object)) put(copy, k, (v as Record<string, unknown>)[k]);
  put(copy, String(head), updateAt(copy[String(head)], rest, f));
  return copy;
}

type Mutation = { kind: 'replace' | 'addKey' | 'drop' | 'nest'; at: number; value: unknown; key: string };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('replace', 'replace', 'replace', 'addKey', 'drop', 'nest') as fc.Arbitrary<Mutation['kind']>,
  at: fc.nat(),
  value: hostileValue,
  key: fc.constantFrom(...HOSTILE_KEYS),
});

function mutate(base: unknown, m: Mutation): unknown {
  const nodes = nodesOf(base);
  const path = nodes[m.at % nodes.length];
  switch (m.kind) {
    case 'replace':
      return updateAt(base, path, () => m.value);
    case 'nest':
      return updateAt(base, path, (old) => ({ a: nest(40, true), old }));
    case 'drop': {
      if (path.length === 0) return undefined;
      const parent = path.slice(0, -1);
      const last = path[path.length - 1];
      return updateAt(base, parent, (p) => {
        if (Array.isArray(p)) return p.filter((_, i) => i !== last);
        const copy: Record<string, unknown> = {};
        for (const k of Object.keys(p as object)) if (k !== last) put(copy, k, (p as Record<string, unknown>)[k]);
        return copy;
      });
    }
    case 'addKey':
      return updateAt(base, path, (old) => {
        const copy: Record<string, unknown> = {};
        if (old && typeof old === 'object' && !Array.isArray(old)) for (const k of Object.keys(old)) put(copy, k, (old as Record<string, unknown>)[k]);
        put(copy, m.key, m.value);
        return copy;
      });
  }
}

/** Percent-encodes every byte of a string's UTF-8 (a lone surrogate as its WTF-8 bytes, which no decoder accepts). */
function encodeLoose(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    const bytes =
      cp < 0x80
        ? [cp]
        : cp < 0x800
          ? [0xc0 | (cp >> 6), 0x80 | (cp & 63)]
          : cp < 0x10000
            ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)]
            : [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
    for (const b of bytes) out += /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) && b < 0x80 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const HOSTILE_SEGMENTS = [
  '%00',
  '%ED%A0%80',
  '%ED%BF%BF',
  '%FF',
  '%C0%AF',
  '%E2%80%AE',
  '..',
  '%2e%2e',
  '%2F',
  '%2F..%2F..%2Fetc',
  '%',
  '%zz',
  '__proto__',
  'constructor',
  '9999-12-31',
  '1e308',
  'NaN',
  '-0',
  'Infinity',
  '%20',
  '+',
  'a'.repeat(4_000),
  encodeURIComponent('贫'.repeat(500)),
];

const RAW_QUERIES = [
  'limit=1&limit=2',
  'limit=%00',
  'limit',
  '&&&',
  '=',
  'limit=%',
  'limit=%ED%A0%80',
  'from=9999-12-31&days=2',
  'from=2026-02-30&days=1',
  'from=%2B275760-09-13&days=1',
  'from=0000-01-01&days=1000',
  'from=2100-12-31&days=1000',
  'days=1e308&from=2026-01-01',
  'year=-0',
  'year=NaN',
  'staleDays=Infinity',
  'unread=TRUE',
  '__proto__=x',
  'constructor[prototype][x]=1',
  'villageId=%00',
  `villageId=${'v'.repeat(4_000)}`,
  'procedureType=%E2%80%AE',
];

const RAW_BODIES: Array<string | Buffer> = [
  '{',
  '{"a":',
  'null',
  '[]',
  '"x"',
  '1e999',
  '{"a":1}{"b":2}',
  '\ufeff{}',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '{"\\u0000":1}',
  '{"__proto__":{"x":1}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '{"a":1,"a":2}',
  Buffer.from([0xff, 0xfe, 0xfd]),
  Buffer.from('{"comment":"\xed\xa0\x80"}', 'latin1'),
  '['.repeat(100_000) + ']'.repeat(100_000),
  `{"a":"${'1'.repeat(300_000)}"}`,
];

// gzip of 50 MB of zeros: 50 kB on the wire
const GZIP_BOMB = gzipSync(Buffer.alloc(50_000_000));

// ---- arbitraries from the schemas -------------------------------------------------------------

type Zod = z.ZodTypeAny;
/** Every string schema with a regex under a schema (zod-fast-check cannot generate them). */
function regexStrings(schema: Zod, seen = new Set<Zod>(), out: z.ZodString[] = []): z.ZodString[] {
  if (!schema || seen.has(schema)) return out;
  seen.add(schema);
  const def = schema._def as Record<string, unknown> & { typeName?: string };
  switch (def.typeName) {
    case 'ZodString':
      if ((def.checks as Array<{ kind: string }>).some((c) => c.kind === 'regex')) out.push(schema as z.ZodString);
      break;
    case 'ZodObject':
      for (const s of Object.values((schema as z.AnyZodObject).shape)) regexStrings(s as Zod, seen, out);
      break;
    case 'ZodArray':
      regexStrings(def.type as Zod, seen, out);
      break;
    case 'ZodOptional':
    case 'ZodNullable':
    case 'ZodDefault':
      regexStrings(def.innerType as Zod, seen, out);
      break;
    case 'ZodEffects':
      regexStrings(def.schema as Zod, seen, out);
      break;
    case 'ZodUnion':
    case 'ZodDiscriminatedUnion':
      for (const o of def.options as Zod[]) regexStrings(o, seen, out);
      break;
    case 'ZodRecord':
      regexStrings(def.keyType as Zod, seen, out);
      regexStrings(def.valueType as Zod, seen, out);
      break;
  }
  return out;
}

function regexOf(s: z.ZodString): RegExp {
  return ((s._def.checks as Array<{ kind: string; regex?: RegExp }>).find((c) => c.kind === 'regex')!.regex as RegExp) ?? /^$/;
}

const isoDate = (d: Date) => d.toISOString().slice(0, 10);
/** dates: real ones in range, and ones of the right shape that are not (9999-12-31, 2026-02-30, 0000-01-01) */
const DAY_MS = 86_400_000;
/** dates that do not exist, or lie outside 2000–2100 */
const BAD_DATES = ['2026-02-30', '2026-09-31', '2025-02-29', '9999-12-31', '0000-01-01', '1999-12-31', '2101-01-01', '+275760-09-13', '2026-13-01', '2026-00-10', '2026-1-1'];
const dateLike = fc.oneof(
  // the last weeks: a duty's period, a plan's deadline
  { weight: 4, arbitrary: fc.integer({ min: -40, max: 60 }).map((d) => isoDate(new Date(Date.now() + d * DAY_MS))) },
  { weight: 2, arbitrary: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z'), noInvalidDate: true }).map(isoDate) },
  { weight: 2, arbitrary: fc.constantFrom(...BAD_DATES) },
);

/** zod-fast-check with the overrides a route needs: regex strings, dates, real ids and keys. */
function schemaArbitraries(route: RouteEntry): ZodFastCheck {
  const t1 = w.t1;
  const t2 = w.t2;
  const ownHouseholds = t1.households.filter((h) => h.villageId === t1.villages[0].id).map((h) => h.id);
  const anyIds = [...t1.households, ...t2.households].map((h) => h.id).concat([...t1.villages, ...t2.villages, ...t1.counties, t2.county].map((u) => u.id));
  const likely: Record<string, string[]> = {
    '/procedures/household-exit': ownHouseholds,
    '/procedures/village-exit': t1.villages.map((v) => v.id),
    '/procedures/county-exit': t1.counties.map((c) => c.id),
    '/procedures/household-exit/bulk': [t1.villages[0].id, ...ownHouseholds],
  };
  const realIds = likely[route.path] ?? anyIds;
  const assessed = w.assessedUnitIds;
  const grades = loadAssessmentDefinition().grades;
  const problemTypes = loadAssessmentDefinition().problemTypes.map((p) => p.key);
  const shipped = DefinitionRegistry.loadFrom().all();
  const stageKeys = [...new Set(shipped.flatMap((d) => d.stages.map((s) => s.key)))];
  const units = [t1.counties[1], t1.counties[1], t1.county, t1.townships[0], t1.villages[0], t2.county];

  let zfc = ZodFastCheck();
  for (const route of ROUTES) for (const s of [route.params, route.query, route.body]) if (s) for (const str of regexStrings(s)) zfc = zfc.override(str, fc.stringMatching(regexOf(str)).filter((x) => str.safeParse(x).success));
  return zfc
    .override(IsoDate, dateLike)
    .override(DutyRecordBody.shape.date, dateLike)
    .override(DutyRecordBody.shape.villageId, fc.option(fc.constantFrom(...[...t1.villages, ...t2.villages].map((v) => v.id)), { nil: undefined }))
    .override(
      Attachment,
      fc.record(
        {
          name: fc.constantFrom('证明.pdf', '台账.xlsx', 'a'),
          uri: fc.oneof(fc.constantFrom('https://docs.example.gov.cn/a.pdf', 'http://10.0.0.1/x'), fc.webUrl({ validSchemes: ['https'] })),
          sha256: fc.option(fc.stringMatching(/^[a-f0-9]{64}$/), { nil: undefined }),
        },
        { requiredKeys: ['name', 'uri'] },
      ),
    )
    .override(BodyId, fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...realIds) }, { weight: 2, arbitrary: fc.constantFrom(...anyIds) }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 100 }) }))
    .override(
      SignOffBody.shape.stageKey,
      fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('village_appraisal', 'village_verification', 'self_summary') },
        { weight: 2, arbitrary: fc.constantFrom(...stageKeys) },
        { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 64 }) },
      ),
    )
    .override(SignOffBody.shape.confirmations, fc.subarray(['household_acknowledged', 'x']))
    .override(IndicatorsBody.shape.values, fc.dictionary(fc.constantFrom('incidence_rate', 'poverty_reduction', 'public_approval', 'wrongful_exit_rate'), fc.double({ min: -2, max: 2, noNaN: true }), { minKeys: 1, maxKeys: 4 }))
    .override(EvaluationBody.shape.unitId, fc.constantFrom(...assessed, t2.county.id))
    .override(
      ResultsBody.shape.results,
      fc.shuffledSubarray(assessed, { minLength: 1 }).chain((ids) =>
        fc.tuple(...ids.map((unitId) => fc.record({ unitId: fc.constant(unitId), grade: fc.constantFrom(...grades, 'A'), problems: fc.array(fc.record({ type: fc.constantFrom(...problemTypes, 'other'), description: fc.constantFrom('问题') }), { maxLength: 3 }) }))),
      ),
    )
    .override(
      PlanBody.shape.items,
      fc.array(
        fc.record({
          problemSeq: fc.constantFrom(1, 2),
          leadUnitId: fc.constantFrom(...units.map((u) => u.id)),
          responsibleUnitIds: fc.oneof(fc.constant([t1.counties[1].id]), fc.subarray([...new Set(units.map((u) => u.id))], { minLength: 1 })),
          measures: fc.constantFrom('整改'),
          deadline: fc.oneof(fc.record({ date: dateLike }), fc.record({ workingDays: fc.integer({ min: 1, max: 500 }) }), fc.constant({ standing: true as const })),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    )
    .override(
      ProcedureDefinition,
      fc.record({ base: fc.constantFrom(...shipped), profile: fc.constantFrom('national', w.profiles.t1, 'jilin'), version: fc.integer({ min: 1, max: 10_000 }), m: fc.option(mutation, { nil: undefined }) }).map(({ base, profile, version, m }) => {
        const doc = { ...JSON.parse(JSON.stringify(base)), profile, version };
        return m ? mutate(doc, m) : doc;
      }) as fc.Arbitrary<never>,
    )
    .override(
      YearSchedule,
      fc
        .record({ year: fc.integer({ min: 2000, max: 2100 }), from: fc.nat({ max: 380 }), length: fc.integer({ min: 1, max: 40 }), work: fc.nat({ max: 380 }) })
        .map(({ year, from, length, work }) => {
          const day = (n: number) => isoDate(new Date(Date.UTC(year - 1, 11, 1) + n * 86_400_000));
          return { year, source: `国办发明电〔${year - 1}〕1号`, holidays: [{ name: '春节', from: day(from), to: day(from + length - 1) }], workdays: [{ date: day(work), for: '春节' }] };
        }) as fc.Arbitrary<never>,
    );
}

/** Valid-shaped values of a schema, or (where even the overrides cannot) any JSON. */
function inputOf(zfc: ZodFastCheck, schema: Zod, label: string): fc.Arbitrary<unknown> {
  try {
    const arb = zfc.inputOf(schema);
    fc.sample(arb, { numRuns: 3, seed: SEED });
    return arb;
  } catch {
    stats.fallbacks.add(label);
    return fc.jsonValue({ maxDepth: 3 });
  }
}

/**
 * Bodies that a route accepts on the world as it is (the case's current stage, the open
 * rectification's unit, a date in the duty's period): so that fuzzed requests, and mutations of
 * them, reach the workflows and the projections, not only validation.
 */
const REALISTIC: Record<string, () => fc.Arbitrary<unknown>> = {
  'POST /procedures/:caseId/sign-off': () =>
    fc.record(
      {
        stageKey: fc.constantFrom('village_appraisal', 'village_verification'),
        decision: fc.constantFrom('approve', 'approve', 'reject'),
        confirmations: fc.constant(['household_acknowledged']),
        comment: fc.constantFrom('同意', '核实无误'),
      },
      { requiredKeys: ['stageKey', 'decision', 'confirmations'] },
    ),
  'POST /procedures/:caseId/indicators': () => fc.record({ values: fc.record({ incidence_rate: fc.double({ min: -1, max: 2, noNaN: true }) }), source: fc.constant('统计年报') }),
  'POST /rectifications/:id/plan': () =>
    fc.record({
      items: fc.tuple(
        fc.record({
          problemSeq: fc.constant(1),
          leadUnitId: fc.constant(w.t1.counties[1].id),
          responsibleUnitIds: fc.constant([w.t1.counties[1].id]),
          measures: fc.constant('逐村核查退出真实性'),
          deadline: fc.oneof(fc.record({ date: dateLike }), fc.record({ workingDays: fc.integer({ min: 1, max: 500 }) }), fc.constant({ standing: true })),
        }),
      ),
    }),
  ...Object.fromEntries(
    ['progress', 'close'].map((action) => [
      `POST /rectifications/:id/items/:seq/${action}`,
      () => fc.record({ note: fc.constantFrom('已完成', '进展过半'), attachments: fc.constant([{ name: '台账.xlsx', uri: 'https://docs.example.gov.cn/ledger.xlsx' }]) }),
    ]),
  ),
  'POST /duties/visits': () => fc.record({ date: fc.integer({ min: 0, max: 40 }).map((d) => isoDate(new Date(Date.now() + 8 * 3_600_000 - d * DAY_MS))), villageId: fc.constantFrom(...w.t1.villages.map((v) => v.id)) }),
  'POST /duties/letters': () => fc.record({ date: fc.integer({ min: 0, max: 40 }).map((d) => isoDate(new Date(Date.now() + 8 * 3_600_000 - d * DAY_MS))), note: fc.constantFrom('签订责任书') }),
};

// ---- who calls ----------------------------------------------------------------------------------

const find = (name: string) => w.principals.find((p) => p.name === name)!;

/** People the route's rule lets in (so that requests reach validation and the services). */
function insiders(route: RouteEntry): Principal[] {
  const names = (...n: string[]) => n.map(find);
  switch (route.access.auth) {
    case 'assessor':
    case 'provincialAdmin':
      return names('p1.province.LEADER', 'p1.province.DEPUTY');
    case 'centralAdmin':
      return names('p1.central.LEADER');
    case 'profileAdmin':
      return names('p1.central.LEADER', 'p1.province.LEADER');
    case 'starter':
      return route.access.target === 'county' ? names('p1.county.LEADER') : route.access.target === 'village' && route.path.endsWith('village-exit') ? names('p1.township1.STAFF', 'p1.county.DEPUTY') : names('p1.village1.STAFF');
    case 'decision':
      if (route.access.target === 'case') return names('p1.village1.STAFF', 'p1.village1.DEPUTY', 'p1.county.LEADER');
      if (route.access.target === 'assessment') return names('p1.province.LEADER', 'p1.province.DEPUTY', 'p1.province.STAFF');
      return names('p1.county.LEADER', 'p1.county2.LEADER', 'p1.county.STAFF', 'p1.township1.STAFF');
    case 'owner':
      return names('p1.village1.STAFF', 'p1.township1.LEADER');
    default:
      return names('p1.village1.STAFF', 'p1.township1.DEPUTY', 'p1.county.LEADER', 'p1.province.LEADER');
  }
}
const outsiders = () => ['p2.village1.STAFF', 'p1.village2.STAFF', 'p2.province.LEADER', 'p1.education.DEPUTY'].map(find);

/** a person by name (short counterexamples), no token, or a raw Authorization header */
type Auth = { kind: 'person'; who: string } | { kind: 'none' } | { kind: 'raw'; header: string };
/** `arb` one time in `of`, else undefined */
const rarely = <T>(arb: fc.Arbitrary<T>, of: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: of - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

const GARBAGE_AUTH = ['Bearer ', 'Bearer a', `Bearer ${'a'.repeat(5_000)}`, 'Basic dXNlcjpwYXNz', 'Bearer a.b.c.d.e.f.g.h', 'bearer abcdefghijklmnopqrstuvwxyz', 'Bearer \xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1\xf0', 'Bearer ../../../../../../etc', 'Token x'];

// ---- one request --------------------------------------------------------------------------------

interface Spec {
  method: string;
  target: string;
  auth: Auth;
  body?: { kind: 'json'; value: unknown } | { kind: 'raw'; bytes: string | Buffer };
  contentType?: string;
  encoding?: 'gzip' | 'gzip-garbage' | 'br-garbage' | 'deflate-garbage' | 'unknown' | 'bomb';
  idempotencyKey?: string;
}

/** Requests of a route (with `methods`: sent with those methods instead of its own). */
function requestArbitrary(route: RouteEntry, zfc: ZodFastCheck, real: Record<string, string[]>, methods?: string[]): fc.Arbitrary<Spec> {
  const key = routeKey(route);
  const paramNames = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
  const generatedParams = route.params ? inputOf(zfc, route.params, `${key} params`) : fc.constant({});
  const segment = (name: string) =>
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...(real[name] ?? ['x'])).map(encodeURIComponent) },
      { weight: 3, arbitrary: generatedParams.map((p) => encodeLoose(String((p as Record<string, unknown>)[name] ?? ''))) },
      { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_SEGMENTS) },
      { weight: 2, arbitrary: fc.constantFrom(...SHORT_HOSTILE).map(encodeLoose) },
    );
  const path = fc.tuple(...paramNames.map(segment)).map((values) => {
    let p = route.path;
    paramNames.forEach((n, i) => (p = p.replace(`:${n}`, values[i] || 'x')));
    return p;
  });
  const queryKeys = route.query ? Object.keys(((route.query as z.AnyZodObject).shape ?? {}) as object) : [];
  const generatedQuery = route.query ? inputOf(zfc, route.query, `${key} query`).map((q) => Object.entries((q ?? {}) as object).map(([k, v]) => `${encodeLoose(k)}=${encodeLoose(String(v))}`)) : fc.constant([] as string[]);
  const hostilePair = fc.tuple(fc.constantFrom(...queryKeys, '__proto__', 'constructor', 'limit[]', 'a[b]', '\u0000', 'x'), fc.constantFrom(...SHORT_HOSTILE)).map(([k, v]) => `${encodeLoose(k)}=${encodeLoose(v)}`);
  const query = fc.oneof(
    { weight: 5, arbitrary: generatedQuery.map((pairs) => pairs.join('&')) },
    { weight: 3, arbitrary: fc.tuple(generatedQuery, fc.array(hostilePair, { minLength: 1, maxLength: 3 })).map(([a, b]) => [...a, ...b].join('&')) },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_QUERIES) },
  );
  const generated = route.body ? inputOf(zfc, route.body, `${key} body`) : fc.constant({});
  const realistic = REALISTIC[key]?.();
  const valid = realistic ? fc.oneof({ weight: 1, arbitrary: generated }, { weight: 2, arbitrary: realistic }) : generated;
  const body = fc.oneof(
    { weight: 6, arbitrary: valid.map((value) => ({ kind: 'json' as const, value })) },
    { weight: 4, arbitrary: fc.tuple(valid, mutation).map(([v, m]) => ({ kind: 'json' as const, value: mutate(v, m) })) },
    { weight: 1, arbitrary: hostileValue.map((value) => ({ kind: 'json' as const, value })) },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_BODIES).map((bytes) => ({ kind: 'raw' as const, bytes })) },
  );
  const people = [...insiders(route), ...outsiders()];
  const auth: fc.Arbitrary<Auth> = fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...insiders(route)).map((p) => ({ kind: 'person' as const, who: p.name })) },
    { weight: 3, arbitrary: fc.constantFrom(...people).map((p) => ({ kind: 'person' as const, who: p.name })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
    { weight: 1, arbitrary: fc.constantFrom(...GARBAGE_AUTH).map((header) => ({ kind: 'raw' as const, header })) },
  );
  return fc.record(
    {
      method: methods ? fc.constantFrom(...methods) : fc.constant(route.method as string),
      target: fc.tuple(path, rarely(query, 2)).map(([p, q]) => (q ? `${p}?${q}` : p)),
      auth,
      body: route.method === 'GET' ? rarely(body, 8) : body,
      contentType: rarely(
        fc.constantFrom('application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=\xff', '', 'application/vnd.api+json', 'application/json, text/html'),
        8,
      ),
      encoding: rarely(fc.constantFrom('gzip', 'gzip-garbage', 'br-garbage', 'deflate-garbage', 'unknown', 'bomb') as fc.Arbitrary<NonNullable<Spec['encoding']>>, 8),
      idempotencyKey: rarely(
        fc.oneof(
          fc.stringMatching(/^[A-Za-z0-9_.:-]{8,40}$/),
          fc.constantFrom('fuzz-shared-key-0001', '', 'short', 'k'.repeat(200), '../../../../', 'key with spaces', '\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8', 'a:b:c:d:e:f'),
        ),
        3,
      ),
    },
    { requiredKeys: ['method', 'target', 'auth'] },
  ) as fc.Arbitrary<Spec>;
}

const headerSafe = (value: string, fallback: string) => {
  try {
    validateHeaderValue('x', value);
    return value;
  } catch {
    return fallback;
  }
};

/** The bytes and headers of a spec (a DELETE authenticates with a fresh token: it may revoke the one it carries). */
async function render(spec: Spec, route: RouteEntry) {
  const headers: Record<string, string> = {};
  if (spec.auth.kind === 'person') {
    const who = find(spec.auth.who);
    const token = route.method === 'DELETE' || spec.method === 'DELETE' ? (await issueToken(w.s.db, who.personId, 'fuzz')).token : who.token;
    headers.Authorization = `Bearer ${token}`;
  } else if (spec.auth.kind === 'raw') {
    headers.Authorization = headerSafe(spec.auth.header, 'Bearer x');
  }
  let bytes: Buffer | undefined;
  if (spec.body) {
    bytes = spec.body.kind === 'json' ? Buffer.from(JSON.stringify(spec.body.value) ?? 'undefined', 'utf8') : Buffer.isBuffer(spec.body.bytes) ? spec.body.bytes : Buffer.from(spec.body.bytes, 'utf8');
    headers['Content-Type'] = headerSafe(spec.contentType ?? 'application/json', 'application/json');
    switch (spec.encoding) {
      case 'gzip':
        bytes = gzipSync(bytes);
        headers['Content-Encoding'] = 'gzip';
        break;
      case 'gzip-garbage':
        headers['Content-Encoding'] = 'gzip';
        break;
      case 'br-garbage':
        headers['Content-Encoding'] = 'br';
        bytes = Buffer.concat([brotliCompressSync(bytes).subarray(0, 3), bytes]);
        break;
      case 'deflate-garbage':
        headers['Content-Encoding'] = 'deflate';
        bytes = deflateSync(bytes).subarray(0, Math.max(1, Math.floor(bytes.length / 3)));
        break;
      case 'unknown':
        headers['Content-Encoding'] = 'x-compress-9';
        break;
      case 'bomb':
        headers['Content-Encoding'] = 'gzip';
        bytes = GZIP_BOMB;
        break;
    }
  }
  if (spec.idempotencyKey !== undefined) headers['Idempotency-Key'] = headerSafe(spec.idempotencyKey, 'fuzz-key-latin1-ÿ');
  return { headers, bytes };
}

const HOSTILE_IN_ANSWER = (value: unknown) => findTextProblems(value, 1);

/** The properties every answer has. */
function checkAnswer(spec: Spec, res: RawResponse) {
  const where = `${spec.method} ${spec.target.slice(0, 300)} → ${res.status} ${res.text.slice(0, 300)}`;
  if (res.status >= 500) {
    if (res.status !== 503 || !res.headers['retry-after']) throw new Error(`5xx without 503 + Retry-After: ${where}`);
    // 503 is for outages; nothing is down here, so a 503 is a request stuck on a healthy stack (a decision no worker can finish)
    throw new Error(`503 while the database, Temporal and the worker are up: ${where}`);
  }
  if (res.status === 204 || spec.method === 'HEAD' || (spec.method === 'OPTIONS' && res.text === '')) return;
  // GET /metrics (to loopback, without METRICS_TOKEN) answers in Prometheus's text format
  if (res.status === 200 && spec.method === 'GET' && /^\/metrics\/?(\?|$)/i.test(spec.target)) {
    if (!/^text\/plain;.*\bversion=0\.0\.4\b/.test(String(res.headers['content-type'] ?? ''))) throw new Error(`metrics not in the exposition format (${res.headers['content-type']}): ${where}`);
    return;
  }
  if (!/^application\/json\b/.test(String(res.headers['content-type'] ?? ''))) throw new Error(`not JSON (${res.headers['content-type']}): ${where}`);
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    throw new Error(`body is not JSON: ${where}`);
  }
  if (res.status >= 400) {
    const error = (body as { error?: { code?: unknown; message?: unknown } })?.error;
    if (typeof error?.code !== 'string' || typeof error?.message !== 'string') throw new Error(`error without the {error:{code,message}} envelope: ${where}`);
    if (res.text.length > 32_768) throw new Error(`an error answer of ${res.text.length} characters (an echo of the input?): ${where}`);
  }
  const hostile = HOSTILE_IN_ANSWER(body);
  if (hostile.length) throw new Error(`a hostile character in the answer at ${hostile[0].path.join('.')}: ${where}`);
}

async function healthy() {
  const res = await sendRaw(api.port, { method: 'GET', target: '/healthz' }, 2_000);
  if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`);
  const state = w.s.workerState();
  if (state !== 'RUNNING') throw new Error(`the worker is ${state}`);
}

// ---- the suite ----------------------------------------------------------------------------------

beforeEach(async () => {
  // a route whose property failed must not take the next routes down with it
  const ok = api.alive() && (await healthy().then(() => true, () => false));
  if (!ok) {
    await api.kill();
    api = await startApi();
  }
});

/** Real ids for a route's path parameters, so that requests get past the lookups. */
async function realParams(route: RouteEntry): Promise<Record<string, string[]>> {
  const tokenIds = await Promise.all([0, 1, 2].map(() => issueToken(w.s.db, find('p1.village1.STAFF').personId, 'fuzz target').then((t) => t.id)));
  const caseIds = (await w.s.db.procedure.findMany({ where: { orgPath: { startsWith: w.t1.province.path }, type: 'household-exit' }, select: { id: true }, take: 5 })).map((c) => c.id);
  return {
    caseId: caseIds,
    id: route.path.startsWith('/notifications')
      ? [w.notificationId]
      : route.path.startsWith('/tokens')
        ? tokenIds
        : route.path.startsWith('/rectifications')
          ? [w.rectificationId, openRectificationId, openRectificationId]
          : [w.assessmentId],
    seq: ['1', '2'],
    procedureType: ['household-exit', 'village-exit', 'county-exit'],
    profile: ['national', w.profiles.t1, 'jilin'],
    year: ['2026', '2099', String(w.year)],
  };
}

/** Runs the properties over `runs` generated requests of a route. */
async function fuzzRoute(route: RouteEntry, runs: number, methods?: string[]) {
  const key = routeKey(route);
  const arbitrary = requestArbitrary(route, schemaArbitraries(route), await realParams(route), methods);
  await fc.assert(
    fc.asyncProperty(arbitrary, async (spec) => {
      const { headers, bytes } = await render(spec, route);
      const res = await sendRaw(api.port, { method: spec.method, target: spec.target, headers, body: bytes }, DEADLINE_MS);
      stats.requests++;
      stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
      stats.slowest = Math.max(stats.slowest, res.ms);
      checkAnswer(spec, res);
      await healthy();
    }),
    { seed: SEED ^ hash(`${key}${methods ? ' other methods' : ''}`), numRuns: runs, endOnFailure: process.env.FUZZ_SHRINK !== '1' },
  );
}

test.each(ROUTES.map((r) => [routeKey(r), r] as const))('%s: never 5xx, always the JSON envelope, answered in time, worker and API alive', async (_key, route) => {
  await fuzzRoute(route, RUNS);
});

test('every route path with methods it does not serve (OPTIONS, HEAD, PATCH, …): the same properties', async () => {
  for (const route of ROUTES) {
    const others = ['OPTIONS', 'HEAD', 'PATCH', 'PUT', 'DELETE', 'POST', 'GET'].filter((m) => m !== route.method);
    await fuzzRoute(route, Math.max(2, Math.ceil(RUNS / 4)), others);
  }
});

/** Paths (arrays as "*") of the date fields ("YYYY-MM-DD") of a schema. */
function dateFields(schema: Zod | undefined, path: string[] = [], out: string[][] = []): string[][] {
  if (!schema) return out;
  if (schema === IsoDate) {
    out.push(path);
    return out;
  }
  const def = schema._def as Record<string, unknown> & { typeName?: string };
  switch (def.typeName) {
    case 'ZodString':
      if ((def.checks as Array<{ kind: string; regex?: RegExp }>).some((c) => c.kind === 'regex' && /\\d\{4\}-\\d\{2\}-\\d\{2\}/.test(c.regex!.source))) out.push(path);
      return out;
    case 'ZodObject':
      for (const [k, v] of Object.entries((schema as z.AnyZodObject).shape)) dateFields(v as Zod, [...path, k], out);
      return out;
    case 'ZodArray':
      return dateFields(def.type as Zod, [...path, '*'], out);
    case 'ZodOptional':
    case 'ZodNullable':
    case 'ZodDefault':
      return dateFields(def.innerType as Zod, path, out);
    case 'ZodEffects':
      return dateFields(def.schema as Zod, path, out);
    case 'ZodUnion':
    case 'ZodDiscriminatedUnion':
      for (const o of def.options as Zod[]) dateFields(o, path, out);
      return out;
    default:
      return out;
  }
}

/** For each date field of the catalog: a request valid but for that date, and who sends it. */
const DATE_REQUESTS: Record<string, (date: string) => { target: string; body?: object; who: string }> = {
  'GET /calendar/add-working-days query.from': (date) => ({ target: `/calendar/add-working-days?from=${encodeLoose(date)}&days=1`, who: 'p1.village1.STAFF' }),
  'PUT /admin/calendar/:year body.holidays.*.from': (date) => ({
    target: '/admin/calendar/2099',
    body: { year: 2099, source: '国办发明电〔2098〕1号', holidays: [{ name: '元旦', from: date, to: '2099-01-01' }], workdays: [] },
    who: 'p1.central.LEADER',
  }),
  'PUT /admin/calendar/:year body.holidays.*.to': (date) => ({
    target: '/admin/calendar/2099',
    body: { year: 2099, source: '国办发明电〔2098〕1号', holidays: [{ name: '元旦', from: '2099-01-01', to: date }], workdays: [] },
    who: 'p1.central.LEADER',
  }),
  'PUT /admin/calendar/:year body.workdays.*.date': (date) => ({
    target: '/admin/calendar/2099',
    body: { year: 2099, source: '国办发明电〔2098〕1号', holidays: [], workdays: [{ date, for: '元旦' }] },
    who: 'p1.central.LEADER',
  }),
  'POST /rectifications/:id/plan body.items.*.deadline.date': (date) => ({
    target: `/rectifications/${encodeURIComponent(openRectificationId)}/plan`,
    body: { items: [{ problemSeq: 1, leadUnitId: w.t1.counties[1].id, responsibleUnitIds: [w.t1.counties[1].id], measures: '整改', deadline: { date } }] },
    who: 'p1.county2.LEADER',
  }),
  'POST /duties/visits body.date': (date) => ({ target: '/duties/visits', body: { date, villageId: w.t1.villages[0].id }, who: 'p1.township1.DEPUTY' }),
  'POST /duties/letters body.date': (date) => ({ target: '/duties/letters', body: { date }, who: 'p1.village1.LEADER' }),
};

test('every date field of every route refuses, at the edge with its path, a date that does not exist or lies outside 2000–2100', async () => {
  const fields = ROUTES.flatMap((route) =>
    (['params', 'query', 'body'] as const).flatMap((part) => dateFields(route[part]).map((path) => ({ route, key: `${routeKey(route)} ${[part, ...path].join('.')}`, part, path }))),
  );
  expect(fields.map((f) => f.key).filter((k) => !DATE_REQUESTS[k])).toEqual([]);
  const accepted: string[] = [];
  for (const { route, key, part, path } of fields) {
    const field = [part, ...path.map((p) => (p === '*' ? '0' : p))].join('.');
    for (const date of BAD_DATES) {
      const { target, body, who } = DATE_REQUESTS[key](date);
      const headers: Record<string, string> = { Authorization: `Bearer ${find(who).token}` };
      if (body) headers['Content-Type'] = 'application/json';
      const res = await sendRaw(api.port, { method: route.method, target, headers, body: body ? Buffer.from(JSON.stringify(body)) : undefined }, DEADLINE_MS);
      stats.dateRequests++;
      const details = (JSON.parse(res.text)?.error?.details ?? []) as Array<{ path: string }>;
      const named = details.some((d) => d.path === field || (field.startsWith(`${d.path}.`) && d.path !== part));
      if (res.status !== 400 || !named) accepted.push(`${route.method} ${target.slice(0, 80)} ${field}=${JSON.stringify(date)} → ${res.status} ${res.text.slice(0, 160)}`);
    }
  }
  expect(accepted).toEqual([]);
});

test('after the fuzz: every case, assessment and rectification answers its query, and no workflow retries an activity that keeps failing (a locked case)', async () => {
  const client = w.s.env.client;
  const within = <T>(p: () => Promise<T>) => client.withDeadline(Date.now() + 5_000, p);
  const cases = await w.s.db.procedure.findMany({ where: { status: 'ACTIVE', orgPath: { startsWith: w.t1.province.path } }, select: { workflowId: true } });
  for (const c of cases) await within(() => client.workflow.getHandle(c.workflowId).query(statusQuery));
  await within(() => client.workflow.getHandle(w.assessmentId).query(assessmentQuery));
  for (const id of [w.rectificationId, openRectificationId]) await within(() => client.workflow.getHandle(id).query(rectificationQuery));
  // a projection that can never be stored is retried for ever: its case takes no further decision
  const stuck: string[] = [];
  for await (const run of client.workflow.list({ query: 'ExecutionStatus="Running"' })) {
    const described = await client.workflow.getHandle(run.workflowId, run.runId).describe();
    for (const a of described.raw.pendingActivities ?? []) {
      if ((a.attempt ?? 0) >= 3) stuck.push(`${run.workflowId}: ${a.activityType?.name} attempt ${a.attempt}: ${a.lastFailure?.message?.slice(-200)}`);
    }
  }
  expect(stuck).toEqual([]);
  await healthy();
});

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}
