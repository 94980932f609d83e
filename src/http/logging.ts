// Request logs with pino: one line per answered request (method, route pattern, status,
// duration, bytes, a server-side request id). Never the URL (query strings may carry
// secrets, paths carry ids), never a body, never a client-chosen header value: a donation
// id is semi-private and a receipt secret is a secret.
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import { methodLabel, routeLabel } from './metrics.ts';

export type LogLevel = Level | 'silent';
const LEVELS = new Set<string>(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * The level to log at: an explicit one wins; else silent when `quiet` or NODE_ENV=test
 * (test output stays clean); else COTC_LOG_LEVEL; else info.
 */
export function resolveLogLevel(opts: { logLevel?: string; quiet?: boolean } = {}, env: NodeJS.ProcessEnv = process.env): LogLevel {
  const pick = (v: string | undefined, what: string): LogLevel | undefined => {
    if (v === undefined || v === '') return undefined;
    if (!LEVELS.has(v)) throw new Error(`${what}: unknown log level ${JSON.stringify(v)} (one of ${[...LEVELS].join(', ')})`);
    return v as LogLevel;
  };
  const explicit = pick(opts.logLevel, 'logLevel');
  if (explicit) return explicit;
  if (opts.quiet || env.NODE_ENV === 'test') return 'silent';
  return pick(env.COTC_LOG_LEVEL, 'COTC_LOG_LEVEL') ?? 'info';
}

export function createLogger(opts: { level?: LogLevel; destination?: DestinationStream } = {}): Logger {
  const options = { level: opts.level ?? 'info', base: { service: 'cotc' } };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

const REQUEST_ID = Symbol('cotc.requestId');

/** Gives the request a server-side id (never the client's X-Request-Id) and echoes it. */
export function assignRequestId(req: Request, res: Response): string {
  const id = randomUUID();
  (req as unknown as Record<symbol, string>)[REQUEST_ID] = id;
  res.setHeader('X-Request-Id', id);
  return id;
}

export function requestId(req: Request): string | undefined {
  return (req as unknown as Record<symbol, string | undefined>)[REQUEST_ID];
}

function bytesOut(res: Response): number {
  const n = Number(res.getHeader('content-length'));
  return Number.isFinite(n) ? n : 0;
}

/** Logs one answered (or aborted) request. */
export function logRequest(logger: Logger, req: Request, res: Response, ms: number, aborted = false): void {
  const status = res.statusCode;
  const line = {
    reqId: requestId(req),
    method: methodLabel(req),
    route: routeLabel(req),
    status,
    ms: Math.round(ms * 1000) / 1000,
    bytes: aborted ? 0 : bytesOut(res),
    ...(aborted ? { aborted: true } : {}),
  };
  if (status >= 500) logger.error(line, 'request');
  else logger.info(line, 'request');
}
