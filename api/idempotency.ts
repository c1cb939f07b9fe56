/**
 * Idempotency-Key support for unsafe requests: the first request with a key runs and its response
 * is stored; a repeat with the same key, route and body replays that response, whatever happened
 * in between. For decisions the key is also the Temporal update id, so even a request retried
 * after an API crash takes effect once.
 */
import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Db } from '../lib/prisma';
import { Prisma } from '../generated/prisma/client';
import { ApiError, RETRY_AFTER_SECONDS, badRequest, sendError } from './errors';
import { principalOf } from './auth';

/**
 * A first request still marked in progress after this long has ended without storing its answer
 * (its process died, or the database was down when it tried): every request is answered within
 * the app's request deadline (`requestDeadlineMs` in app settings), so a retry may take over once
 * that has passed. Taking over is safe: a decision is resent under the same `person:key` update
 * id, and a start finds its case through the workflow memo.
 */
const DEFAULT_IN_PROGRESS_TTL_MS = 60_000;
const staleAfterMs = (req: Request) => {
  const deadline = req.app.get('requestDeadlineMs');
  return typeof deadline === 'number' ? deadline + 1_000 : DEFAULT_IN_PROGRESS_TTL_MS;
};

function inProgressAnswer(res: Response): ApiError {
  res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
  return new ApiError(409, 'RequestInProgress', 'a request with this Idempotency-Key is in progress; repeat it after Retry-After');
}

declare module 'express-serve-static-core' {
  interface Request {
    idempotencyKey?: string;
  }
}

export function idempotent(db: Db): RequestHandler {
  return async (req, res, next) => {
    const key = req.header('idempotency-key');
    if (key === undefined) return next();
    if (!/^[A-Za-z0-9_.:-]{8,128}$/.test(key)) {
      throw badRequest('Idempotency-Key must be 8–128 characters of [A-Za-z0-9_.:-]', [{ path: 'header.Idempotency-Key' }]);
    }
    const me = principalOf(req);
    const route = `${req.method} ${req.baseUrl}${req.path}`;
    const requestHash = createHash('sha256').update(JSON.stringify(req.body ?? null)).digest('hex');
    const id = { personId_key: { personId: me.personId, key } };

    try {
      await db.idempotencyRecord.create({ data: { personId: me.personId, key, route, requestHash } });
    } catch (err) {
      if (!(err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002')) throw err;
      const prior = await db.idempotencyRecord.findUnique({ where: id });
      if (!prior) throw inProgressAnswer(res);
      if (prior.route !== route || prior.requestHash !== requestHash) {
        throw new ApiError(422, 'IdempotencyKeyReused', 'this Idempotency-Key was used for a different request');
      }
      if (prior.statusCode !== null) {
        res.setHeader('Idempotent-Replayed', 'true');
        res.status(prior.statusCode).json(prior.responseBody);
        return;
      }
      // The first request is still running, or died with its process: take over once it is stale.
      const takeover = await db.idempotencyRecord.updateMany({
        where: { personId: me.personId, key, statusCode: null, createdAt: { lt: new Date(Date.now() - staleAfterMs(req)) } },
        data: { createdAt: new Date() },
      });
      if (takeover.count === 0) throw inProgressAnswer(res);
    }

    req.idempotencyKey = key;
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      const status = res.statusCode;
      const done =
        status >= 500
          ? db.idempotencyRecord.deleteMany({ where: { personId: me.personId, key } }) // let a retry run again
          : db.idempotencyRecord.update({ where: id, data: { statusCode: status, responseBody: body as Prisma.InputJsonValue } });
      done.then(
        () => {
          // the request deadline may have answered meanwhile: the outcome is stored for the retry
          if (!res.headersSent) json(body);
        },
        (err: unknown) => {
          // The outcome could not be stored (database down): answer 503, never the outcome
          // unrecorded. The record stays in progress, so a retry with the key runs once it is
          // stale, and a decision resent under the same key is the same Temporal update.
          if (res.headersSent) return;
          res.json = json;
          sendError(err, req, res);
        },
      );
      return res;
    };
    next();
  };
}
