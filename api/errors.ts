/**
 * Typed errors of the API. A service throws an ApiError carrying its HTTP status; the error
 * middleware turns it into `{ error: { code, message, details? } }`. Anything else is logged and
 * answered with a generic 500: raw error text and stacks never reach a client.
 */
import type { ErrorRequestHandler, Request, Response } from 'express';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, isGrpcServiceError } from '@temporalio/client';
import { ZodError } from 'zod';
import { Prisma } from '../generated/prisma/client';
import { FailureType } from '../workflows/shared/refuse';

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

/** Prisma error codes (and driver-adapter error kinds) that mean the database is out of reach. */
const DB_UNAVAILABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037']);
const DB_UNAVAILABLE_KINDS = new Set(['DatabaseNotReachable', 'DatabaseDoesNotExist', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TransactionWriteConflict']);
/** PostgreSQL SQLSTATE classes: 08 connection exception, 57P admin/crash shutdown, 53 insufficient resources. */
const PG_UNAVAILABLE = /^(08|57P|53)/;

/** True if `err` says PostgreSQL is down, restarting or out of connections (answer 503, not 500). */
/** What the pg driver adapter says about a failed query: an error kind, or PostgreSQL's SQLSTATE. */
type AdapterCause = { kind?: string; originalCode?: string; code?: string };

export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof Prisma.PrismaClientInitializationError) return true;
  if (err instanceof Prisma.PrismaClientKnownRequestError && DB_UNAVAILABLE_CODES.has(err.code)) return true;
  const e = err as { name?: string; code?: unknown; cause?: AdapterCause; meta?: { driverAdapterError?: { cause?: AdapterCause } } } | undefined;
  const cause = e?.meta?.driverAdapterError?.cause ?? (e?.name === 'DriverAdapterError' ? e.cause : undefined);
  if (cause?.kind && DB_UNAVAILABLE_KINDS.has(cause.kind)) return true;
  const sqlState = cause?.originalCode ?? cause?.code;
  if (typeof sqlState === 'string' && PG_UNAVAILABLE.test(sqlState)) return true;
  // the pg driver's own errors (the hot paths query its pool directly): socket errors, PostgreSQL's
  // SQLSTATE, a connection that ended or could not be had in time
  if (typeof e?.code === 'string' && (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(e.code) || PG_UNAVAILABLE.test(e.code))) return true;
  const message = (err as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && /^(Connection terminated|timeout exceeded when trying to connect)/.test(message);
}

/** gRPC status codes: 4 DEADLINE_EXCEEDED, 14 UNAVAILABLE, 8 RESOURCE_EXHAUSTED. */
const GRPC_UNAVAILABLE = new Set([4, 8, 14]);

/** True if `err` says the Temporal frontend is down or did not answer in time. */
export function isTemporalUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e) && GRPC_UNAVAILABLE.has(e.code)) return true;
  }
  return false;
}

export const unavailable = (what: 'database' | 'temporal') =>
  new ApiError(
    503,
    what === 'database' ? 'DatabaseUnavailable' : 'TemporalUnavailable',
    what === 'database' ? 'the database is not reachable; try again shortly' : 'the workflow service is not reachable; try again shortly',
  );

/** The one place a thrown error becomes a response: always the JSON envelope, never a stack. */
export function sendError(err: unknown, req: Request, res: Response): void {
  if (res.headersSent) return; // the request deadline answered already
  const apiError = toApiError(err);
  if (apiError.status === 500) console.error(`unhandled error on ${req.method} ${req.path}`, err);
  if ((apiError.status === 503 || apiError.status === 429) && !res.getHeader('Retry-After')) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
  res.status(apiError.status).json({ error: { code: apiError.code, message: apiError.message, details: apiError.details } });
}

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ZodError) return new ApiError(400, 'ValidationError', 'invalid request', zodDetails(err));
  if (isDatabaseUnavailable(err)) return unavailable('database');
  if (isTemporalUnavailable(err)) return unavailable('temporal');
  // body-parser: malformed JSON, a broken or unsupported Content-Encoding, too large, wrong charset
  const e = err as { status?: unknown; statusCode?: unknown; type?: unknown };
  const status = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code = status === 413 ? 'PayloadTooLarge' : status === 415 ? 'UnsupportedMediaType' : 'MalformedBody';
    return new ApiError(status, code, 'request body could not be read');
  }
  return new ApiError(500, 'InternalError', 'internal error');
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  sendError(err, req, res);
};
