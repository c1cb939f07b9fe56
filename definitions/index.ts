/**
 * The procedure definitions shipped with the system: JSON documents under definitions/, validated
 * with zod when loaded. A definition is picked by procedure type and profile (a province's own
 * variant, else "national"); the newest version is used for new cases, and the whole document is
 * handed to the workflow so a running case keeps its version.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ProcedureDefinition, type ProcedureType } from '../workflows/procedure/definition';

export class DefinitionError extends Error {
  override name = 'DefinitionError';
}

export function parseDefinition(document: unknown, source = 'definition'): ProcedureDefinition {
  const result = ProcedureDefinition.safeParse(document);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new DefinitionError(`${source} is not a valid procedure definition: ${issues}`);
  }
  return result.data;
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsonFiles(path);
    return name.endsWith('.json') ? [path] : [];
  });
}

export class DefinitionRegistry {
  private readonly byKey = new Map<string, ProcedureDefinition>();

  constructor(definitions: ProcedureDefinition[]) {
    for (const def of definitions) {
      const key = `${def.procedureType}/${def.profile}/${def.version}`;
      if (this.byKey.has(key)) throw new DefinitionError(`two definitions for ${key}`);
      this.byKey.set(key, def);
    }
  }

  static loadFrom(dir = __dirname): DefinitionRegistry {
    return new DefinitionRegistry(jsonFiles(dir).map((f) => parseDefinition(JSON.parse(readFileSync(f, 'utf8')), f)));
  }

  /** The newest version for a profile, falling back to the national default. */
  latest(procedureType: ProcedureType, profile = 'national'): ProcedureDefinition {
    const pick = (p: string) =>
      [...this.byKey.values()]
        .filter((d) => d.procedureType === procedureType && d.profile === p)
        .sort((a, b) => b.version - a.version)[0];
    const def = pick(profile) ?? pick('national');
    if (!def) throw new DefinitionError(`no definition for ${procedureType}`);
    return def;
  }

  all(): ProcedureDefinition[] {
    return [...this.byKey.values()];
  }
}
