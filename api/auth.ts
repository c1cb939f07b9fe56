/**
 * Bearer-token authentication: a token maps to one person (hashed in ApiToken, never stored in
 * clear). Authorization is by org unit: a person acts within their unit and the units under it.
 */
import { hashToken } from '../lib/tokens';
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
    /** the ApiToken row the request authenticated with */
    tokenId?: string;
  }
}


/**
 * Counts failed authentications per client address in a sliding minute; past the limit the address
 * is answered 429 without the token being looked up (guessing tokens gets slow). Per process:
 * behind N API processes the effective limit is N times this.
 */
export class AuthFailureLimiter {
  private readonly failures = new Map<string, number[]>();
  constructor(
    private readonly perMinute = 30,
    private readonly maxClients = 10_000,
  ) {}

  private recent(client: string, now: number): number[] {
    const times = (this.failures.get(client) ?? []).filter((t) => now - t < 60_000);
    if (times.length) this.failures.set(client, times);
    else this.failures.delete(client);
    return times;
  }

  /** Seconds to wait if the client is over the limit, else 0. */
  blockedFor(client: string, now = Date.now()): number {
    const times = this.recent(client, now);
    return times.length >= this.perMinute ? Math.max(1, Math.ceil((times[0] + 60_000 - now) / 1000)) : 0;
  }

  fail(client: string, now = Date.now()): void {
    if (!this.failures.has(client) && this.failures.size >= this.maxClients) {
      // bounded memory: forget the oldest client
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    this.failures.set(client, [...this.recent(client, now), now].slice(-this.perMinute));
  }
}

export function authenticate(db: Db, limiter = new AuthFailureLimiter()): RequestHandler {
  return async (req, res, next) => {
    const client = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const wait = limiter.blockedFor(client);
    if (wait > 0) {
      res.setHeader('Retry-After', String(wait));
      throw new ApiError(429, 'TooManyFailedAttempts', 'too many failed authentications from this address; wait and try again');
    }
    const refuse = (message: string) => {
      limiter.fail(client);
      return new ApiError(401, 'Unauthenticated', message);
    };
    const header = req.header('authorization') ?? '';
    const match = /^Bearer\s+([A-Za-z0-9._~+/=-]{16,200})$/.exec(header);
    if (!match) throw refuse('a bearer token is required');
    const token = await findToken(db, hashToken(match[1]));
    if (!token || token.revokedAt) throw refuse('unknown or revoked token');
    if (token.expiresAt && token.expiresAt.getTime() <= Date.now()) throw refuse('token expired');
    req.tokenId = token.id;
    req.principal = token.principal;
    next();
  };
}

/** A token's row joined with its person and unit: the principal's fields, with the parent's path for scope. */
type TokenRow = Omit<Principal, 'scopePath'> & { id: string; expiresAt: Date | null; revokedAt: Date | null; parentPath: string | null };

/**
 * A token with its person, the person's unit and that unit's parent: one statement on every
 * request (as Prisma's `include` it was four queries and ~3 ms of CPU). Prisma's DateTime columns
 * hold UTC without a zone: read as timestamptz so that pg gives the instant whatever the process's
 * time zone.
 */
async function findToken(db: Db, tokenHash: string): Promise<{ id: string; expiresAt: Date | null; revokedAt: Date | null; principal: Principal } | null> {
  const { rows } = await db.sql.query<TokenRow>(
    `SELECT t."id", t."expiresAt" AT TIME ZONE 'UTC' AS "expiresAt", t."revokedAt" AT TIME ZONE 'UTC' AS "revokedAt",
            p."id" AS "personId", p."name", p."title", p."role", p."orgUnitId",
            u."name" AS "orgUnitName", u."level" AS "orgLevel", u."path" AS "orgPath", u."department", parent."path" AS "parentPath"
       FROM "ApiToken" t
       JOIN "Person" p ON p."id" = t."personId"
       JOIN "OrgUnit" u ON u."id" = p."orgUnitId"
       LEFT JOIN "OrgUnit" parent ON parent."id" = u."parentId"
      WHERE t."tokenHash" = $1`,
    [tokenHash],
  );
  if (!rows[0]) return null;
  const { id, expiresAt, revokedAt, parentPath, ...person } = rows[0];
  return { id, expiresAt, revokedAt, principal: { ...person, scopePath: person.department && parentPath ? parentPath : person.orgPath } };
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

/**
 * National administrators: the deputy in charge or main leader of the central leading group
 * (国务院扶贫开发领导小组). Only they change what every province runs: the national definitions and
 * the official holiday calendar.
 */
export function assertCentralAdmin(me: Principal): void {
  if (me.orgLevel !== 'CENTRAL' || me.department || me.role === 'STAFF') {
    throw forbidden('only a deputy in charge or main leader of the central leading group may do this');
  }
}

/** Provincial administrators: the deputy in charge or main leader of a province's office. */
export function assertProvincialAdmin(me: Principal): void {
  if (me.orgLevel !== 'PROVINCE' || me.department || me.role === 'STAFF') {
    throw forbidden('only a provincial deputy in charge or main leader may do this');
  }
}
