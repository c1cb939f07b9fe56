/**
 * Structured logs: one JSON object a line on stdout (pino), for the API and the worker alike. The
 * level comes from LOG_LEVEL (lib/config.ts); under jest or NODE_ENV=test it defaults to silent.
 * Nothing here reads headers or bodies: callers log the fields they choose.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `info`, or `silent` when tests run (NODE_ENV=test, or a jest worker and the processes it spawns). */
export function defaultLogLevel(env: NodeJS.ProcessEnv = process.env): LogLevel {
  return env.NODE_ENV === 'test' || env.JEST_WORKER_ID !== undefined ? 'silent' : 'info';
}

/** A JSON-lines logger: `{"level":"info","time":"…","pid":…,"hostname":"…",…,"msg":"…"}`; stdout unless a destination is given. */
export function createLogger(level: LogLevel = defaultLogLevel(), destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * A process's ready line ("API listening …", "worker polling …"): scripts and tests wait for it,
 * so it is written as a plain line when the level is silent.
 */
export function announce(log: Logger, msg: string, fields: Record<string, unknown> = {}): void {
  if (log.isLevelEnabled('info')) log.info(fields, msg);
  else process.stdout.write(`${msg}\n`);
}

/** A process that cannot start or go on: logged, and written to stderr when the level is silent. */
export function logFatal(log: Logger, err: unknown, msg: string): void {
  if (log.isLevelEnabled('fatal')) log.fatal({ err }, msg);
  else console.error(msg, err);
}
