/**
 * Procedure definitions as the API serves them: every version (a summary), the newest of a
 * procedure and profile, and publishing a new version, which the central leading group does for the
 * national definitions and a province for its own profile.
 */
import type { Db } from '../../lib/prisma';
import { DefinitionConflictError, DefinitionError, type DefinitionStore } from '../../definitions';
import type { ProcedureDefinition, ProcedureType } from '../../workflows/procedure/definition';
import { assertCentralAdmin, assertProvincialAdmin, type Principal } from '../auth';
import { ApiError, forbidden, notFound } from '../errors';

export class DefinitionService {
  constructor(private readonly deps: { db: Db; definitions: DefinitionStore }) {}

  /** Every version, shipped and published, of one procedure type or all, in a stable order. */
  async list(procedureType?: ProcedureType) {
    const all = (await this.deps.definitions.all()).filter((d) => !procedureType || d.procedureType === procedureType);
    return {
      items: all
        .sort((a, b) => a.procedureType.localeCompare(b.procedureType) || a.profile.localeCompare(b.profile) || a.version - b.version)
        .map((d) => ({ id: d.id, procedureType: d.procedureType, profile: d.profile, version: d.version, name: d.name, stages: d.stages.map((s) => ({ key: s.key, name: s.name, kind: s.kind, level: s.level })) })),
    };
  }

  /** The newest version for a profile (the national one when the profile has none). */
  async latest(procedureType: ProcedureType, profile: string): Promise<ProcedureDefinition> {
    try {
      return await this.deps.definitions.latest(procedureType, profile);
    } catch (err) {
      // a type whose definition is built in code (the assessment's self-summary) has none to show
      if (err instanceof DefinitionError) throw notFound(`definition of ${procedureType}`);
      throw err;
    }
  }

  /**
   * Publishes a new version of a definition. The national definitions run in every province without
   * a variant of its own: only the central leading group (its deputy in charge or main leader)
   * publishes them. A province publishes its own profile only; one that runs the national
   * definitions has none to publish. The definition must keep its procedure's mandatory stages.
   * Who publishes is checked before the document is read.
   */
  async publish(me: Principal, document: unknown): Promise<ProcedureDefinition> {
    const profile = (document as { profile?: unknown } | undefined)?.profile;
    if (me.orgLevel === 'CENTRAL') {
      assertCentralAdmin(me);
      if (profile !== 'national') throw forbidden('the central leading group publishes the national definitions ("national"); a province publishes its own profile');
    } else {
      assertProvincialAdmin(me);
      if (profile === 'national') throw forbidden('only the central leading group (its deputy in charge or main leader) may publish the national definitions');
      const province = await this.deps.db.orgUnit.findUniqueOrThrow({ where: { id: me.orgUnitId } });
      if (!province.profile || province.profile === 'national') {
        throw forbidden('your province runs the national definitions: it has no profile of its own to publish');
      }
      if (profile !== province.profile) throw forbidden(`you may publish only for your province's profile "${province.profile}"`);
    }
    try {
      return await this.deps.definitions.publish(document, me.personId);
    } catch (err) {
      if (err instanceof DefinitionError) {
        throw new ApiError(400, 'ValidationError', 'invalid procedure definition', err.issues.map((i) => ({ ...i, path: ['body', i.path].filter(Boolean).join('.') })));
      }
      if (err instanceof DefinitionConflictError) throw new ApiError(409, 'VersionConflict', err.message);
      throw err;
    }
  }
}
