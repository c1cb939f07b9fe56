/**
 * Bearer-token authentication: a token maps to one person (hashed in ApiToken, never stored in
 * clear). Authorization is by org unit: a person acts within their unit and the units under it.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Db } from '../lib/prisma';
import type { OrgLevel, Role } from '../workflows/procedure/definition';
import type { Actor } from '../workflows/procedure/contract';
import { ApiError, forbidden } from './errors';

export interface Principal {
  personId: string;
  name: string;
  title: string;
  role: Role;
  orgUnitId: string;
  orgUnitName: string;
  orgLevel: OrgLevel;
  /** materialised path of the person's unit: "/<province>/.../<unit>/" */
  orgPath: string;
  /** what the person may see: their unit's path, or for an industry department its parent's */
  scopePath: string;
  /** the unit is an industry department (行业部门) */
  department: string | null;
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
export const newToken = () => randomBytes(24).toString('base64url');

export function authenticate(db: Db): RequestHandler {
  return async (req, res, next) => {
    const header = req.header('authorization') ?? '';
    const match = /^Bearer\s+([A-Za-z0-9._~+/=-]{16,200})$/.exec(header);
    if (!match) throw new ApiError(401, 'Unauthenticated', 'a bearer token is required');
    const token = await db.apiToken.findUnique({
      where: { tokenHash: hashToken(match[1]) },
      include: { person: { include: { orgUnit: { include: { parent: true } } } } },
    });
    if (!token || token.revokedAt) throw new ApiError(401, 'Unauthenticated', 'unknown or revoked token');
    const { person } = token;
    req.principal = {
      personId: person.id,
      name: person.name,
      title: person.title,
      role: person.role as Role,
      orgUnitId: person.orgUnitId,
      orgUnitName: person.orgUnit.name,
      orgLevel: person.orgUnit.level as OrgLevel,
      orgPath: person.orgUnit.path,
      scopePath: person.orgUnit.department && person.orgUnit.parent ? person.orgUnit.parent.path : person.orgUnit.path,
      department: person.orgUnit.department,
    };
    next();
  };
}

/** The caller as the actor recorded on a decision. */
export const actorOf = (me: Principal): Actor => ({ personId: me.personId, name: me.name, orgUnitId: me.orgUnitId, role: me.role });

export function principalOf(req: { principal?: Principal }): Principal {
  if (!req.principal) throw new ApiError(401, 'Unauthenticated', 'a bearer token is required');
  return req.principal;
}

/** True if `path` (an org unit's or a case's) lies within the principal's unit. */
export const inScope = (me: Principal, path: string) => path.startsWith(me.scopePath);

export function assertInScope(me: Principal, path: string): void {
  if (!inScope(me, path)) throw forbidden('this case or record is outside your org unit');
}

/** Provincial administrators: the deputy in charge or main leader of a province's office. */
export function assertProvincialAdmin(me: Principal): void {
  if (me.orgLevel !== 'PROVINCE' || me.department || me.role === 'STAFF') {
    throw forbidden('only a provincial deputy in charge or main leader may do this');
  }
}
