/**
 * Bearer tokens: a person lists, issues and revokes their own; a deputy in charge or main leader
 * revokes the tokens of people in units under theirs (a lost phone, a person who left). A token is
 * shown once, when issued; only its hash is stored. Every token expires.
 */
import type { Db } from '../../lib/prisma';
import { hashToken, newToken } from '../../lib/tokens';
import { inScope, type Principal } from '../auth';
import { forbidden, notFound } from '../errors';

type TokenRow = { id: string; label: string; createdAt: Date; expiresAt: Date | null; revokedAt: Date | null };

/** A token as its owner sees it (never its value, never its hash); `current` marks the one in use. */
const view = (t: TokenRow, current?: string) => ({
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

export class TokenService {
  constructor(private readonly deps: { db: Db }) {}

  /** My tokens, newest first (at most 200); `currentTokenId` is the one this request carries. */
  async list(me: Principal, currentTokenId?: string) {
    const tokens = await this.deps.db.apiToken.findMany({ where: { personId: me.personId }, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take: 200 });
    return { items: tokens.map((t) => view(t, currentTokenId)) };
  }

  /** Issues me a token; its value is in this answer only. */
  async issue(me: Principal, body: { label: string; expiresInDays: number }, currentTokenId?: string) {
    const token = newToken();
    const row = await this.deps.db.apiToken.create({
      data: { tokenHash: hashToken(token), label: body.label, personId: me.personId, expiresAt: new Date(Date.now() + body.expiresInDays * 86_400_000) },
    });
    return { ...view(row, currentTokenId), token };
  }

  /** Logout: revokes the token this request carries. */
  async revokeCurrent(me: Principal, currentTokenId?: string): Promise<void> {
    // without a token there is nothing to revoke (and never an update without an id in its filter)
    if (!currentTokenId) return;
    await this.deps.db.apiToken.updateMany({ where: { id: currentTokenId, revokedAt: null }, data: { revokedAt: new Date(), revokedById: me.personId } });
  }

  /** Revokes a token: the owner's own, or one of a person in a unit under the caller's. */
  async revoke(me: Principal, id: string): Promise<void> {
    const { db } = this.deps;
    const token = await db.apiToken.findUnique({ where: { id }, include: { person: { include: { orgUnit: { select: { path: true } } } } } });
    if (!token) throw notFound(`token ${id}`);
    if (!mayRevokeFor(me, token.personId, token.person.orgUnit.path)) {
      // another unit's tokens are not even confirmed to exist
      if (!inScope(me, token.person.orgUnit.path)) throw notFound(`token ${id}`);
      throw forbidden('only the owner, or a deputy in charge or main leader of a unit above the owner, may revoke a token');
    }
    await db.apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date(), revokedById: me.personId } });
  }
}
