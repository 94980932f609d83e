// Starting and stopping the server on a data directory (embedded LevelDB).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { DestinationStream, Logger } from 'pino';
import { openDataDir } from './log/datadir.ts';
import { LogService, type ServiceOptions } from './log/service.ts';
import { LevelStore } from './storage/level.ts';
import { VerifyPool } from './crypto/verify-pool.ts';
import { createApp, type AppDeps } from './http/app.ts';
import { MAX_HEADER_BYTES } from './http/limits.ts';
import { Metrics } from './http/metrics.ts';
import { createLogger, resolveLogLevel, type LogLevel } from './http/logging.ts';

export interface RunningServer {
  url: string;
  log: LogService;
  server: http.Server;
  /** the express app (its router lists the routes) */
  app: Express;
  metrics: Metrics;
  logger: Logger;
  close(): Promise<void>;
}

export interface OpenLogOptions {
  origin?: string;
  operator?: string;
  maxBatch?: number;
  /** observes each batch commit (metrics) */
  onCommit?: ServiceOptions['onCommit'];
  /** signature verification threads (default: one per core; 0 = inline) */
  verifyThreads?: number;
}

export interface StartOptions extends OpenLogOptions {
  port?: number;
  host?: string;
  extend?: AppDeps['extend'];
  onRequest?: AppDeps['onRequest'];
  /** request log level; default: silent when `quiet` or NODE_ENV=test, else env
   * COTC_LOG_LEVEL, else info */
  logLevel?: LogLevel;
  quiet?: boolean;
  /** where request logs go (default: stdout) */
  logDestination?: DestinationStream;
}

export async function openLog(dir: string, opts: OpenLogOptions & { pool?: VerifyPool } = {}): Promise<LogService> {
  const dd = openDataDir(dir, opts);
  return LogService.open({
    pool: opts.pool,
    store: new LevelStore(dd.storePath),
    logKey: dd.logKey,
    operatorKey: dd.operatorKey,
    maxBatch: opts.maxBatch,
    onCommit: opts.onCommit,
  });
}

export async function startServer(dir: string, opts: StartOptions = {}): Promise<RunningServer> {
  const level = resolveLogLevel(opts);
  const logger = createLogger({ level, destination: opts.logDestination });
  const metrics = new Metrics();
  const onCommit = (info: { entries: number; ms: number }) => {
    metrics.onCommit(info);
    opts.onCommit?.(info);
  };
  const pool = new VerifyPool(opts.verifyThreads);
  let log: LogService;
  try {
    log = await openLog(dir, { ...opts, onCommit, pool });
  } catch (e) {
    await pool.close();
    throw e;
  }
  metrics.attach(log);
  const app = createApp({ log, extend: opts.extend, onRequest: opts.onRequest, metrics, logger });
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, app);
  // Slow clients must not hold sockets forever (headers within 10 s, whole request 30 s).
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 100;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  logger.info({ origin: log.origin, size: log.size, url }, 'listening');
  return {
    url,
    log,
    server,
    app,
    metrics,
    logger,
    async close() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await log.close();
      await pool.close();
      logger.flush?.();
    },
  };
}
