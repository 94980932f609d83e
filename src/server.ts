// Starting and stopping the server on a data directory: its keys, and its store (embedded
// LevelDB under DIR/store unless `store` names another, src/storage/open.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { DestinationStream, Logger } from 'pino';
import { openDataDir, refuseNewKeyForExistingStore } from './log/datadir.ts';
import { LogService, type ServiceOptions } from './log/service.ts';
import { openStore, parseStoreSpec } from './storage/open.ts';
import { VerifyPool } from './crypto/verify-pool.ts';
import { createApp, type AppDeps } from './http/app.ts';
import { MAX_HEADER_BYTES, SERVER_TIMEOUTS } from './http/limits.ts';
import { RateLimiter, type RateLimitOptions } from './http/ratelimit.ts';
import { Metrics } from './http/metrics.ts';
import { createLogger, resolveLogLevel, type LogLevel } from './http/logging.ts';
import { mountWeb } from './web/serve.ts';
import { Publisher, type PublisherOptions, type WitnessEndpoint } from './log/publisher.ts';
import type { Leadership } from './log/leader.ts';
import { GiftStore } from './gifts/store.ts';
import { giftPrecheck, mountGiftRoutes } from './gifts/routes.ts';

export interface RunningServer {
  url: string;
  log: LogService;
  server: http.Server;
  /** the express app (its router lists the routes) */
  app: Express;
  metrics: Metrics;
  logger: Logger;
  /** the per-client write limits (null when turned off) */
  rateLimiter: RateLimiter | null;
  /** the witness publisher (null without --witness) */
  publisher: Publisher | null;
  /** the election, with a PostgreSQL store (src/log/leader.ts); null on LevelDB */
  leadership: Leadership | null;
  close(): Promise<void>;
}

export interface OpenLogOptions {
  origin?: string;
  operator?: string;
  maxBatch?: number;
  /** events admitted to the sequencer and not yet answered, at most (default MAX_QUEUE in
   * src/log/service.ts); beyond it writes answer 503 `unavailable` with Retry-After */
  maxQueue?: number;
  /** observes each batch commit (metrics) */
  onCommit?: ServiceOptions['onCommit'];
  /** signature verification threads (default: one per core; 0 = inline) */
  verifyThreads?: number;
  /** check every LevelDB file's CRCs before opening (`serve --verify-store`; proportional
   * to the store, ~6 s/GiB: a plain start-up is O(1) in the log's size) */
  verifyStore?: boolean;
  /** where the log is stored (src/storage/open.ts: a LevelDB directory, postgres://…);
   * default DIR/store. With it, DIR holds only the key files (DESIGN.md `serve --store`). */
  store?: string;
  /** with a PostgreSQL store: a streaming replica that reads go to while this process is
   * a reader (`serve --store-read postgres://…`) */
  storeRead?: string;
  /** election timing (src/log/leader.ts; tests shorten it) */
  leader?: { intervalMs?: number; leaseMs?: number };
}

export interface StartOptions extends OpenLogOptions {
  port?: number;
  host?: string;
  extend?: AppDeps['extend'];
  /** serve the donor page (GET /, /donations/:id, /log, /assets/*; default true) */
  web?: boolean;
  onRequest?: AppDeps['onRequest'];
  /** request log level; default: silent when `quiet` or NODE_ENV=test, else env
   * COTC_LOG_LEVEL, else info */
  logLevel?: LogLevel;
  quiet?: boolean;
  /** where request logs go (default: stdout) */
  logDestination?: DestinationStream;
  /** per-client limits on POST /v1/events (src/http/ratelimit.ts); false turns them off */
  rateLimit?: RateLimitOptions | false;
  /** socket timeouts in ms (defaults: SERVER_TIMEOUTS in src/http/limits.ts) */
  timeouts?: Partial<typeof SERVER_TIMEOUTS>;
  /** witnesses to push checkpoints to (src/log/publisher.ts); reads then serve the cosigned checkpoint */
  witnesses?: WitnessEndpoint[];
  /** cosignatures needed before a checkpoint is published (default: all witnesses) */
  quorum?: number;
  /** how often a checkpoint is published to witnesses, ms (default 10 s) */
  checkpointIntervalMs?: number;
  /** the publisher's other options (timeouts, events) */
  publisherOptions?: Omit<PublisherOptions, 'log' | 'witnesses' | 'quorum' | 'intervalMs'>;
  /** byte caps on read answers (defaults: READ_LIMITS in src/http/limits.ts) */
  readLimits?: AppDeps['readLimits'];
  /** serve micro-donation batches (POST /v1/batches, GET /v1/batches/...; files under DIR/batches; default true) */
  gifts?: boolean;
}

export async function openLog(dir: string, opts: OpenLogOptions & { pool?: VerifyPool } = {}): Promise<LogService> {
  if (opts.store !== undefined) await refuseNewKeyForExistingStore(dir, opts.store);
  const dd = openDataDir(dir, opts);
  return LogService.open({
    pool: opts.pool,
    store: await openStore(opts.store ?? dd.storePath, { verifyFiles: opts.verifyStore ?? false }),
    logKey: dd.logKey,
    operatorKey: dd.operatorKey,
    maxBatch: opts.maxBatch,
    maxQueue: opts.maxQueue,
    onCommit: opts.onCommit,
  });
}

/** The log on PostgreSQL, one of many servers on one database (src/log/leader.ts). */
async function openPgLog(dir: string, opts: OpenLogOptions & { pool?: VerifyPool }, logger: Logger) {
  const url = opts.store!;
  await refuseNewKeyForExistingStore(dir, url);
  const dd = openDataDir(dir, opts);
  const { openLedLog } = await import('./log/leader.ts');
  return openLedLog(
    { store: url, storeRead: opts.storeRead, logKey: dd.logKey, operatorKey: dd.operatorKey, leader: opts.leader, onRole: (role, why) => logger.info({ role, why }, 'role') },
    (store, operatorKey) => LogService.open({ pool: opts.pool, store, logKey: dd.logKey, operatorKey, maxBatch: opts.maxBatch, maxQueue: opts.maxQueue, onCommit: opts.onCommit }),
  );
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
  let leadership: Leadership | null = null;
  try {
    // A PostgreSQL store may be shared by many servers: one sequences (src/log/leader.ts).
    if (opts.store !== undefined && parseStoreSpec(opts.store).kind === 'postgres') ({ log, leadership } = await openPgLog(dir, { ...opts, onCommit, pool }, logger));
    else log = await openLog(dir, { ...opts, onCommit, pool });
  } catch (e) {
    await pool.close();
    throw e;
  }
  metrics.attach(log);
  const publisher = opts.witnesses && opts.witnesses.length > 0
    ? new Publisher({ ...opts.publisherOptions, log, witnesses: opts.witnesses, quorum: opts.quorum, intervalMs: opts.checkpointIntervalMs })
    : null;
  const rateLimiter = opts.rateLimit === false ? null : new RateLimiter(opts.rateLimit);
  const gifts = opts.gifts === false ? null : new GiftStore(dir);
  const extend: AppDeps['extend'] = (app) => {
    if (gifts) mountGiftRoutes(app, { log, store: gifts });
    if (opts.web !== false) mountWeb(app, { onError: (err) => logger.error({ err }, 'the donor page could not be built') });
    opts.extend?.(app);
  };
  const app = createApp({ log, extend, onRequest: opts.onRequest, metrics, logger, rateLimiter: rateLimiter ?? undefined, readLimits: opts.readLimits, leadership: leadership ?? undefined, precheck: gifts ? giftPrecheck(gifts, log) : undefined });
  const t = { ...SERVER_TIMEOUTS, ...opts.timeouts };
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES, connectionsCheckingInterval: t.checkIntervalMs }, app);
  // Slow clients must not hold sockets forever (headers within 10 s, whole request 30 s;
  // node checks every checkIntervalMs, so that is the slack on both).
  server.headersTimeout = t.headersMs;
  server.requestTimeout = t.requestMs;
  server.keepAliveTimeout = t.keepAliveMs;
  server.maxHeadersCount = 100;
  // What node refuses before express sees it (headers over 16 KiB, malformed HTTP, a timeout)
  // is answered in our error shape too, and CONNECT (which node would just drop) as a 404.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => answerClientError(err, socket));
  server.on('connect', (_req, socket) => socket.end(rawError(404, 'not_found', 'no route CONNECT')));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  logger.info({ origin: log.origin, size: log.size, url }, 'listening');
  publisher?.start();
  return {
    url,
    log,
    server,
    app,
    metrics,
    logger,
    rateLimiter,
    publisher,
    leadership,
    async close() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await publisher?.stop();
      await leadership?.stop();
      await log.close();
      await pool.close();
      logger.flush?.();
    },
  };
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', `request headers over ${MAX_HEADER_BYTES} bytes`],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'too_large', 'chunk extensions too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'timeout', 'the request took too long to arrive'],
};

function rawError(status: number, code: string, message: string): string {
  const body = JSON.stringify({ error: { code, message } });
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** node's default clientError answer (a bare status line) in our JSON error shape, on the
 * same terms: only when no answer to this connection has started. */
function answerClientError(err: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
  const inFlight = (socket as unknown as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, code, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'bad_request', 'malformed HTTP request'];
  socket.end(rawError(status, code, message));
}
