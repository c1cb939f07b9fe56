/**
 * Procedure definitions: the ones shipped under definitions/ (JSON, reviewed with the code) and the
 * ones provincial administrators publish through the API (stored in ProcedureDefinitionVersion).
 * Both are validated with zod. A definition is picked by procedure type and profile (a province's
 * own variant, else "national"); the newest version is used for new cases, and the whole document
 * is handed to the workflow, so a running case keeps the version it started with.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../lib/prisma';
import { Prisma } from '../generated/prisma/client';
import { ProcedureDefinition, ProcedureType, subjectOf, type SubjectSpec } from '../workflows/procedure/definition';
import { AssessmentDefinition } from '../workflows/assessment/definition';

export class DefinitionError extends Error {
  override name = 'DefinitionError';
  constructor(
    message: string,
    readonly issues: Array<{ path: string; message: string }> = [],
  ) {
    super(message);
  }
}

export function parseDefinition(document: unknown, source = 'definition'): ProcedureDefinition {
  const result = ProcedureDefinition.safeParse(document);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new DefinitionError(
      `${source} is not a valid procedure definition: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return result.data;
}

/** Folders that hold other documents than procedure definitions. */
const NOT_PROCEDURES = ['assessment'];

/** Procedure definitions live in folders named after their procedure type: a new folder is a new type. */
function procedureFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !NOT_PROCEDURES.includes(name) && ProcedureType.safeParse(name).success && statSync(join(dir, name)).isDirectory())
    .flatMap((name) => jsonFiles(join(dir, name)));
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsonFiles(path);
    return name.endsWith('.json') ? [path] : [];
  });
}

const keyOf = (d: { procedureType: string; profile: string; version: number }) => `${d.procedureType}/${d.profile}/${d.version}`;

function newest(defs: ProcedureDefinition[], procedureType: ProcedureType, profile: string): ProcedureDefinition | undefined {
  return defs.filter((d) => d.procedureType === procedureType && d.profile === profile).sort((a, b) => b.version - a.version)[0];
}

/** The newest version of a type for a profile, falling back to the national default. */
export function latestOf(defs: ProcedureDefinition[], procedureType: ProcedureType, profile = 'national'): ProcedureDefinition {
  const def = newest(defs, procedureType, profile) ?? newest(defs, procedureType, 'national');
  if (!def) throw new DefinitionError(`no definition for ${procedureType}`);
  return def;
}

/** What a type is about, from its national (or else any) newest definition; undefined for no such type. */
export function subjectOfType(defs: ProcedureDefinition[], procedureType: ProcedureType): SubjectSpec | undefined {
  const ofType = defs.filter((d) => d.procedureType === procedureType).sort((a, b) => b.version - a.version);
  const def = ofType.find((d) => d.profile === 'national') ?? ofType[0];
  return def && subjectOf(def);
}

/** A version that is not newer than the published ones. */
export class DefinitionConflictError extends Error {
  override name = 'DefinitionConflictError';
}

/** The definitions shipped in this folder. */
export class DefinitionRegistry {
  private readonly byKey = new Map<string, ProcedureDefinition>();

  constructor(definitions: ProcedureDefinition[]) {
    for (const def of definitions) {
      if (this.byKey.has(keyOf(def))) throw new DefinitionError(`two definitions for ${keyOf(def)}`);
      this.byKey.set(keyOf(def), def);
    }
  }

  static loadFrom(dir = __dirname): DefinitionRegistry {
    return new DefinitionRegistry(procedureFiles(dir).map((f) => parseDefinition(JSON.parse(readFileSync(f, 'utf8')), f)));
  }

  /** The newest version for a profile, falling back to the national default. */
  latest(procedureType: ProcedureType, profile = 'national'): ProcedureDefinition {
    return latestOf(this.all(), procedureType, profile);
  }

  all(): ProcedureDefinition[] {
    return [...this.byKey.values()];
  }
}

/** Shipped definitions together with the published ones. */
export class DefinitionStore {
  constructor(
    private readonly db: Db,
    private readonly shipped: DefinitionRegistry = DefinitionRegistry.loadFrom(),
  ) {}

  async all(): Promise<ProcedureDefinition[]> {
    const rows = await this.db.procedureDefinitionVersion.findMany();
    return [...this.shipped.all(), ...rows.flatMap((r) => this.stored(r))];
  }

  /**
   * A published version that no longer meets the rules (published before a rule existed: a sub-day
   * deadline, a missing mandatory stage, undeclared figures) is ignored, with a logged error, so
   * that new cases never run it and the other versions stay usable.
   */
  private stored(row: { procedureType: string; profile: string; version: number; document: unknown }): ProcedureDefinition[] {
    try {
      const def = parseDefinition(row.document, `stored definition ${keyOf(row)}`);
      if (keyOf(def) !== keyOf(row)) throw new DefinitionError(`stored definition ${keyOf(row)} holds ${keyOf(def)}`);
      return [def];
    } catch (err) {
      if (!(err instanceof DefinitionError)) throw err;
      console.error(`definitions: ${err.message}; it is ignored`);
      return [];
    }
  }

  /**
   * Published versions already validated, by key and publication instant: a published version is
   * never edited, so each is parsed once per process (a start no longer re-validates every version
   * of its type). A row deleted or published again under the same key is read afresh.
   */
  private readonly parsed = new Map<string, { publishedAt: number; definitions: ProcedureDefinition[] }>();

  /** Every version of one type, shipped and published: the keys in one query, the documents of new ones only. */
  async ofType(procedureType: ProcedureType): Promise<ProcedureDefinition[]> {
    const { rows } = await this.db.sql.query<{ profile: string; version: number; publishedAt: Date }>(
      `SELECT "profile", "version", "publishedAt" AT TIME ZONE 'UTC' AS "publishedAt" FROM "ProcedureDefinitionVersion" WHERE "procedureType" = $1`,
      [procedureType],
    );
    const cacheKey = (r: { profile: string; version: number }) => keyOf({ procedureType, ...r });
    const unseen = rows.filter((r) => this.parsed.get(cacheKey(r))?.publishedAt !== r.publishedAt.getTime());
    if (unseen.length) {
      const documents = await this.db.procedureDefinitionVersion.findMany({
        where: { procedureType, OR: unseen.map((r) => ({ profile: r.profile, version: r.version })) },
      });
      for (const d of documents) this.parsed.set(cacheKey(d), { publishedAt: d.publishedAt.getTime(), definitions: this.stored(d) });
    }
    return [...this.shipped.all().filter((d) => d.procedureType === procedureType), ...rows.flatMap((r) => this.parsed.get(cacheKey(r))?.definitions ?? [])];
  }

  /** The newest version for a profile, falling back to the national default. */
  async latest(procedureType: ProcedureType, profile = 'national'): Promise<ProcedureDefinition> {
    return latestOf(await this.ofType(procedureType), procedureType, profile);
  }

  /** Publishes a new version; it must be newer than every version of its profile. */
  async publish(document: unknown, publishedById: string): Promise<ProcedureDefinition> {
    const def = parseDefinition(document);
    const current = newest(await this.all(), def.procedureType, def.profile);
    if (current && current.version >= def.version) {
      throw new DefinitionConflictError(`version ${def.version} is not newer than ${keyOf(current)}`);
    }
    try {
      await this.db.procedureDefinitionVersion.create({
        data: {
          procedureType: def.procedureType,
          profile: def.profile,
          version: def.version,
          definitionId: def.id,
          document: def as unknown as Prisma.InputJsonValue,
          publishedById,
        },
      });
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
        throw new DefinitionConflictError(`version ${def.version} of ${def.procedureType}/${def.profile} was just published`);
      }
      throw err;
    }
    return def;
  }
}

/**
 * The annual assessment's definition for a profile (definitions/assessment/<profile>.v1.json), else
 * the national one. Shipped with the code only (not published through the API).
 */
export function loadAssessmentDefinition(profile = 'national'): AssessmentDefinition {
  const file = (p: string) => join(__dirname, 'assessment', `${p}.v1.json`);
  let text: string;
  try {
    text = readFileSync(file(profile), 'utf8');
  } catch {
    text = readFileSync(file('national'), 'utf8');
  }
  return AssessmentDefinition.parse(JSON.parse(text));
}
