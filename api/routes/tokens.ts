/**
 * Bearer tokens: a person lists, issues and revokes their own; a deputy in charge or main leader
 * revokes the tokens of people in units under theirs. zod parse → service → answer.
 */
import { Router } from 'express';
import { z } from 'zod';
import { principalOf } from '../auth';
import type { TokenService } from '../services/tokens';
import { parse } from '../validate';

export const IssueTokenBody = z
  .object({
    label: z.string().trim().min(1).max(100),
    /** 1 to 365 days; 30 by default */
    expiresInDays: z.number().int().min(1).max(365).default(30),
  })
  .strict();
export const TokenParams = z.object({ id: z.string().uuid() }).strict();

export function tokenRoutes(service: TokenService): Router {
  const r = Router();

  r.get('/tokens', async (req, res) => {
    res.json(await service.list(principalOf(req), req.tokenId));
  });

  r.post('/tokens', async (req, res) => {
    const me = principalOf(req);
    const body = parse(IssueTokenBody, req.body, 'body');
    res.status(201).json(await service.issue(me, body, req.tokenId));
  });

  /** Logout: revokes the token this request carries. */
  r.delete('/tokens/current', async (req, res) => {
    await service.revokeCurrent(principalOf(req), req.tokenId);
    res.status(204).end();
  });

  r.delete('/tokens/:id', async (req, res) => {
    const me = principalOf(req);
    const { id } = parse(TokenParams, req.params, 'params');
    await service.revoke(me, id);
    res.status(204).end();
  });

  return r;
}
