/**
 * Typed errors of the API. A service throws an ApiError carrying its HTTP status; the error
 * middleware turns it into `{ error: { code, message, details? } }`. Anything else is logged and
 * answered with a generic 500: raw error text and stacks never reach a client.
 */
import type { ErrorRequestHandler } from 'express';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ZodError } from 'zod';
import { FailureType } from '../workflows/procedure/contract';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details?: unknown) => new ApiError(400, 'BadRequest', message, details);
export const notFound = (what: string) => new ApiError(404, 'NotFound', `${what} not found`);
export const forbidden = (message = 'outside your org unit') => new ApiError(403, 'Forbidden', message);
export const conflict = (code: string, message: string, details?: unknown) => new ApiError(409, code, message, details);
/** Seconds a client should wait before repeating a request whose decision is still pending. */
export const RETRY_AFTER_SECONDS = 5;
export const decisionPending = () =>
  new ApiError(
    503,
    'DecisionPending',
    'no worker took the decision up in time (workers busy or down); it may still take effect: repeat the request with the same Idempotency-Key for its outcome',
  );

const STATUS_OF_FAILURE: Record<FailureType, number> = {
  InvalidInput: 400,
  MissingConfirmation: 400,
  MissingIndicators: 400,
  NotRejectable: 400,
  WrongOrgUnit: 403,
  WrongRole: 403,
  WrongStage: 409,
  AlreadyDecided: 409,
  CaseClosed: 409,
  NoticeNotOpen: 409,
};

/** Translates a refused decision (a validator's ApplicationFailure) into an ApiError. */
export function fromTemporal(err: unknown): never {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const type = err.cause.type as FailureType | undefined;
    if (type && type in STATUS_OF_FAILURE) throw new ApiError(STATUS_OF_FAILURE[type], type, err.cause.message);
  }
  if (err instanceof WorkflowNotFoundError) throw conflict(FailureType.CaseClosed, 'case is closed');
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) throw decisionPending();
  throw err;
}

export function zodDetails(err: ZodError) {
  return err.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code }));
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  if (err instanceof ApiError) {
    if (err.status === 503) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    res.status(err.status).json({ error: { code: err.code, message: err.message, details: err.details } });
    return;
  }
  if (err instanceof ZodError) {
    res.status(400).json({ error: { code: 'ValidationError', message: 'invalid request', details: zodDetails(err) } });
    return;
  }
  // body-parser: malformed JSON, body too large, wrong charset
  const status = typeof err?.status === 'number' ? err.status : typeof err?.statusCode === 'number' ? err.statusCode : 500;
  if (status >= 400 && status < 500 && err?.type) {
    res.status(status).json({ error: { code: status === 413 ? 'PayloadTooLarge' : 'MalformedBody', message: 'request body could not be read' } });
    return;
  }
  console.error(`unhandled error on ${req.method} ${req.path}`, err);
  res.status(500).json({ error: { code: 'InternalError', message: 'internal error' } });
};
