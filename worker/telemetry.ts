/**
 * The worker process's Temporal runtime, installed once before any connection: the SDK's logs —
 * the worker's, the activities' (with workflowId, workflowRunId, activityType, attempt) and the
 * native core's, forwarded — as JSON lines through pino; and, when a port is given, the SDK's own
 * Prometheus exporter on 127.0.0.1:<port>/metrics (task slots, poll and task latencies, sticky
 * cache, activity and workflow task outcomes), bound to loopback: it has no authentication.
 */
import type { LogLevel as TemporalLogLevel } from '@temporalio/common';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import type { Logger, LogLevel } from '../lib/log';

const TEMPORAL_LEVEL: Record<LogLevel, TemporalLogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
  silent: 'ERROR',
};

const PINO_LEVEL = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const satisfies Record<TemporalLogLevel, LogLevel>;

/** One SDK log entry as a pino line: its metadata as fields (`error` as pino's `err`), less the activity's task token. */
export function writeEntry(log: Logger, entry: LogEntry): void {
  const { error, taskToken: _taskToken, ...meta } = entry.meta ?? {};
  log[PINO_LEVEL[entry.level]]({ ...meta, ...(error !== undefined ? { err: error } : {}) }, entry.message);
}

export interface RuntimeTelemetry {
  log: Logger;
  level: LogLevel;
  /** serve the SDK's metrics on 127.0.0.1:<port>/metrics */
  metricsPort?: number;
}

/** Installs the process's Temporal runtime (once, before the first NativeConnection). */
export function installRuntime({ log, level, metricsPort }: RuntimeTelemetry): Runtime {
  const quiet = level === 'error' || level === 'fatal' || level === 'silent';
  return Runtime.install({
    logger: new DefaultLogger(TEMPORAL_LEVEL[level], (entry) => writeEntry(log, entry)),
    telemetryOptions: {
      // the native core's own lines go through the same logger (JSON), not straight to the console
      logging: { filter: { core: quiet ? 'ERROR' : 'WARN', other: 'ERROR' }, forward: {} },
      ...(metricsPort ? { metrics: { prometheus: { bindAddress: `127.0.0.1:${metricsPort}` } } } : {}),
    },
  });
}
