/**
 * Every request, observed once it is answered: its request id (the caller's X-Request-Id if it is a
 * short safe token, else a fresh one; echoed in the response), one JSON log line (method, route
 * pattern, status, duration, request id, the caller's org unit, the workflows and updates it
 * touched — never a header value or a body) and the HTTP metrics.
 */
import type { RequestHandler } from 'express';
import type { Logger } from '../lib/log';
import type { ApiMetrics, RouteLabels } from './metrics';
import { REQUEST_ID_HEADER, newRequestContext, requestIdOf, runInRequest } from './request-context';

export interface ObserveDeps {
  log: Logger;
  metrics: ApiMetrics;
  routes: RouteLabels;
}

/**
 * The first middleware: opens the request's context (the rest of the request runs in it; the body
 * parser keeps it across the body's reads) and observes its answer.
 */
export function observeRequests({ log, metrics, routes }: ObserveDeps): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const context = newRequestContext(requestIdOf(req.header(REQUEST_ID_HEADER)));
    res.locals.requestId = context.requestId;
    res.setHeader(REQUEST_ID_HEADER, context.requestId);
    let observed = false;
    const done = () => {
      if (observed) return;
      observed = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routes.of(req);
      // closed before the answer was sent: the client went away
      const aborted = !res.writableFinished;
      const status = aborted ? 'aborted' : String(res.statusCode);
      metrics.observe(req.method, route, status, seconds);
      const level = aborted || res.statusCode < 400 ? 'info' : res.statusCode < 500 ? 'warn' : 'error';
      log[level](
        {
          requestId: context.requestId,
          method: req.method,
          route,
          status: aborted ? undefined : res.statusCode,
          aborted: aborted || undefined,
          durationMs: Math.round(seconds * 1e4) / 10,
          orgUnitId: req.principal?.orgUnitId,
          workflowIds: context.workflowIds.length ? context.workflowIds : undefined,
          updateIds: context.updateIds.length ? context.updateIds : undefined,
        },
        'request',
      );
    };
    res.once('finish', done);
    res.once('close', done);
    runInRequest(context, next);
  };
}
