/**
 * Bearer tokens: a person lists, issues and revokes their own; a deputy in charge or main leader
 * revokes the tokens of people in units under theirs (a lost phone, a person who left). A token is
 * shown once, when issued; only its hash is stored. Every token expires.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../lib/prisma';
import { hashToken, newToken } from '../../lib/tokens';
import { inScope, principalOf, type Principal } from '../auth';
import { forbidden, notFound } from '../errors';
import { parse } from '../validate';

export const IssueTokenBody = z
  .object({
    label: z.string().trim().min(1).max(100),
    /** 1 to 365 days; 30 by default */
    expiresInDays: z.number().int().min(1).max(365).default(30),
  })
  .strict();
export const TokenParams = z.object({ id: z.string().uuid() }).strict();

const view = (t: { id: string; label: string; createdAt: Date; expiresAt: Date | null; revokedAt: Date | null }, current?: string) => ({
  id: t.id,
  label: t.label,
  createdAt: t.createdAt,
  expiresAt: t.expiresAt,
  revokedAt: t.revokedAt,
  current: t.id === current,
});

/** Whether `me` may revoke a token of a person in the unit at `ownerPath`. */
const mayRevokeFor = (me: Principal, ownerId: string, ownerPath: string) =>
  ownerId === me.personId || (me.role !== 'STAFF' && !me.department && ownerPath !== me.orgPath && inScope(me, ownerPath));

export function tokenRoutes(db: Db): Router {
  const r = Router();

  r.get('/tokens', async (req, res) => {
    const me = principalOf(req);
    const tokens = await db.apiToken.findMany({ where: { personId: me.personId }, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take: 200 });
    res.json({ items: tokens.map((t) => view(t, req.tokenId)) });
  });

  r.post('/tokens', async (req, res) => {
    const me = principalOf(req);
    const body = parse(IssueTokenBody, req.body, 'body');
    const token = newToken();
    const row = await db.apiToken.create({
      data: { tokenHash: hashToken(token), label: body.label, personId: me.personId, expiresAt: new Date(Date.now() + body.expiresInDays * 86_400_000) },
    });
    res.status(201).json({ ...view(row, req.tokenId), token });
  });

  /** Logout: revokes the token this request carries. */
  r.delete('/tokens/current', async (req, res) => {
    const me = principalOf(req);
    await db.apiToken.updateMany({ where: { id: req.tokenId, revokedAt: null }, data: { revokedAt: new Date(), revokedById: me.personId } });
    res.status(204).end();
  });

  r.delete('/tokens/:id', async (req, res) => {
    const me = principalOf(req);
    const { id } = parse(TokenParams, req.params, 'params');
    const token = await db.apiToken.findUnique({ where: { id }, include: { person: { include: { orgUnit: { select: { path: true } } } } } });
    if (!token) throw notFound(`token ${id}`);
    if (!mayRevokeFor(me, token.personId, token.person.orgUnit.path)) {
      // another unit's tokens are not even confirmed to exist
      if (!inScope(me, token.person.orgUnit.path)) throw notFound(`token ${id}`);
      throw forbidden('only the owner, or a deputy in charge or main leader of a unit above the owner, may revoke a token');
    }
    await db.apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date(), revokedById: me.personId } });
    res.status(204).end();
  });

  return r;
}
