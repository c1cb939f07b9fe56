/**
 * Layering: dependencies point one way.
 *
 *     api/routes ─▶ api (services, auth, errors) ─┐
 *     worker, scripts ─▶ activities ──────────────┼─▶ definitions ─▶ workflows ─▶ lib ─▶ (generated Prisma client)
 *                                                 └──────────────────────────────▲
 *
 * - lib/ is the bottom layer: it imports nothing of ours but lib/ (and the generated Prisma client).
 * - workflows/ imports workflows/ and lib/ only, and only the *types* of the activities it proxies
 *   (`proxyActivities<…>`: erased at compile time, never bundled). Every module the workflow bundle
 *   reaches is deterministic: no Node built-in, no Prisma, no Temporal client/worker/activity code.
 * - definitions/ (the definition store and loaders) imports workflows/ (the schemas) and lib/.
 * - activities/ imports definitions/, workflows/, lib/: never api/, worker/, scripts/.
 * - api/ imports definitions/, workflows/, lib/: never activities/ (a loader the API needs lives in
 *   definitions/ or lib/), worker/, scripts/. Route modules are imported by api/app.ts (which mounts
 *   them) and by each other (the route catalog) only, and hold no database or Temporal logic of
 *   their own: a route parses, calls a service, answers.
 * - worker/ imports anything but api/ and scripts/; scripts/ anything but route modules.
 * - Nothing outside test/ imports test/.
 *
 * Imports are read with the TypeScript parser: `import`, `import type`, `export … from`,
 * `import('…')` in types and expressions, and `require('…')`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(__dirname, '..');
const SCANNED = ['lib', 'workflows', 'definitions', 'activities', 'api', 'worker', 'scripts'];

type Layer = 'lib' | 'workflows' | 'definitions' | 'activities' | 'api' | 'api/routes' | 'worker' | 'scripts' | 'generated' | 'test' | 'other';

/** One import of one file: `to` is a repository path (resolved) or a package name. */
interface Edge {
  from: string;
  to: string;
  /** `to` is a file of this repository (else a package) */
  ours: boolean;
  /** erased at compile time (`import type`, `export type`, `import('…').T`) */
  typeOnly: boolean;
  line: number;
}

/** Who may import whom. A layer not listed under `may` is forbidden, types included. */
const RULES: Array<{ from: Layer; may: Layer[]; typesOnly?: Layer[] }> = [
  { from: 'lib', may: ['lib', 'generated'] },
  { from: 'workflows', may: ['workflows', 'lib'], typesOnly: ['activities'] },
  { from: 'definitions', may: ['definitions', 'workflows', 'lib', 'generated'] },
  { from: 'activities', may: ['activities', 'definitions', 'workflows', 'lib', 'generated'] },
  { from: 'api', may: ['api', 'api/routes', 'definitions', 'workflows', 'lib', 'generated'] },
  { from: 'api/routes', may: ['api/routes', 'api', 'definitions', 'workflows', 'lib', 'generated'] },
  { from: 'worker', may: ['worker', 'activities', 'definitions', 'workflows', 'lib', 'generated'] },
  { from: 'scripts', may: ['scripts', 'api', 'worker', 'activities', 'definitions', 'workflows', 'lib', 'generated'] },
];

/** Of the api/ modules outside routes/, only the one that mounts the routes imports them. */
const MOUNTS_ROUTES = ['api/app.ts'];

/** Packages the workflow bundle may contain (besides our own deterministic modules). */
const WORKFLOW_PACKAGES = ['@temporalio/workflow', '@temporalio/common', 'zod'];

// ---- reading imports -------------------------------------------------------------------------

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return name === 'node_modules' ? [] : tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const isPackage = (spec: string) => !spec.startsWith('.') && !spec.startsWith('/');

/** A relative specifier as the repository path it names (`../lib/dates` → `lib/dates.ts`). */
function resolveSpec(from: string, spec: string): string {
  if (isPackage(spec)) return spec;
  const base = resolve(ROOT, dirname(from), spec);
  const found = [base, `${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p) && statSync(p).isFile());
  return relative(ROOT, found ?? base);
}

/** Every import of a TypeScript source, in any of its forms. */
export function importsOf(file: string, text: string): Edge[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const edges: Edge[] = [];
  const add = (spec: ts.Node | undefined, typeOnly: boolean) => {
    if (!spec || !ts.isStringLiteralLike(spec)) return;
    const line = source.getLineAndCharacterOfPosition(spec.getStart()).line + 1;
    edges.push({ from: file, to: resolveSpec(file, spec.text), ours: !isPackage(spec.text), typeOnly, line });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      // `import type { A }`, or `import { type A, type B }` (elided whole)
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier, typeOnly);
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) add(node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

function layerOf(path: string): Layer {
  if (path.startsWith('api/routes/')) return 'api/routes';
  const top = path.split('/')[0];
  return (['lib', 'workflows', 'definitions', 'activities', 'api', 'worker', 'scripts', 'generated', 'test'] as const).find((l) => l === top) ?? 'other';
}

const FILES = SCANNED.flatMap(tsFiles).sort();
const SOURCES = new Map(FILES.map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));
const EDGES = FILES.flatMap((f) => importsOf(f, SOURCES.get(f)!));
const OURS = EDGES.filter((e) => e.ours);

const show = (e: Edge) => `${e.from}:${e.line} → ${e.to}${e.typeOnly ? ' (types)' : ''}`;

/** The imports breaking a rule, as `file:line → target` lines. */
function wrongWay(): string[] {
  return OURS.filter((e) => {
    const rule = RULES.find((r) => r.from === layerOf(e.from));
    if (!rule) return false;
    const to = layerOf(e.to);
    if (to === 'api/routes' && layerOf(e.from) === 'api' && !MOUNTS_ROUTES.includes(e.from)) return true;
    return !rule.may.includes(to) && !(e.typeOnly && rule.typesOnly?.includes(to));
  }).map(show);
}

// ---- the rules -------------------------------------------------------------------------------

test('the scanner reads every form of import, and tells types from values', () => {
  const text = [
    "import a from '../lib/calendar';",
    "import type { B } from '../activities/procedure';",
    "import { type C, type D } from '../api/errors';",
    "import { type E, F } from '../api/auth';",
    "export * from '../definitions';",
    "export type { G } from '../worker/worker';",
    "type H = import('../scripts/seed').H;",
    "const i = require('../generated/prisma/client');",
    "void import('node:fs');",
  ].join('\n');
  const edges = importsOf('workflows/probe.ts', text).map((e) => [e.to, e.typeOnly, e.line]);
  expect(edges).toEqual([
    ['lib/calendar.ts', false, 1],
    ['activities/procedure.ts', true, 2],
    ['api/errors.ts', true, 3],
    ['api/auth.ts', false, 4],
    ['definitions/index.ts', false, 5],
    ['worker/worker.ts', true, 6],
    ['scripts/seed.ts', true, 7],
    ['generated/prisma/client.ts', false, 8],
    ['node:fs', false, 9],
  ]);
  // and it sees the repository: every scanned layer has files and imports
  for (const dir of SCANNED) expect(OURS.some((e) => e.from.startsWith(`${dir}/`))).toBe(true);
});

test('every import points down the layers (lib ← workflows ← definitions ← activities ← api / worker / scripts)', () => {
  expect(wrongWay()).toEqual([]);
});

test('route modules hold no database or Temporal logic: they parse, call a service and answer', () => {
  const routes = FILES.filter((f) => layerOf(f) === 'api/routes');
  const problems = routes.flatMap((file) => {
    const found: string[] = [];
    for (const e of EDGES.filter((x) => x.from === file && !x.typeOnly)) {
      if (e.to === 'lib/prisma.ts' || e.to.startsWith('generated/') || e.to === '@temporalio/client') found.push(`${show(e)}: a route imports no database or Temporal client`);
    }
    const source = ts.createSourceFile(file, SOURCES.get(file)!, ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node) => {
      // `db.household.findMany(…)`, `temporal.workflow.start(…)`: a service's work
      if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && ['db', 'temporal'].includes(node.expression.text)) {
        found.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.getText()}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
  });
  expect(problems).toEqual([]);
});

test('the workflow bundle reaches only deterministic modules (no Node built-ins, Prisma, clients or workers)', () => {
  const nodeBuiltins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  const reached = new Set<string>();
  const problems: string[] = [];
  const walk = (file: string) => {
    if (reached.has(file)) return;
    reached.add(file);
    for (const e of EDGES.filter((x) => x.from === file && !x.typeOnly)) {
      if (e.ours) {
        if (layerOf(e.to) !== 'workflows' && layerOf(e.to) !== 'lib') problems.push(`${show(e)}: outside workflows/ and lib/`);
        else if (SOURCES.has(e.to)) walk(e.to);
        else problems.push(`${show(e)}: not a module of the repository`);
      } else if (nodeBuiltins.has(e.to)) problems.push(`${show(e)}: a Node built-in`);
      else if (!WORKFLOW_PACKAGES.includes(e.to)) problems.push(`${show(e)}: a package outside ${WORKFLOW_PACKAGES.join(', ')}`);
    }
  };
  walk('workflows/index.ts');
  expect(problems).toEqual([]);
  // the walk crossed the workflows and into the pure modules of lib/ they share
  expect([...reached]).toEqual(expect.arrayContaining(['workflows/procedure/workflow.ts', 'lib/dates.ts']));
});

test('nothing outside test/ imports test/', () => {
  expect(OURS.filter((e) => layerOf(e.to) === 'test').map(show)).toEqual([]);
});
