// `cotc witness`: the HTTP face of a witness (C2SP tlog-witness v1.0.0 §HTTP Interface; the
// submission and monitoring prefixes are both the root here). Same limits as the log's API:
// per-client request rate (src/http/ratelimit.ts), a body cap, socket timeouts.
//   POST /add-checkpoint   §add-checkpoint
//   GET  /v1/witness       {"name", "key"}: the witness's cosignature/v1 verifier key
//   GET  /v1/witness/logs  [{"origin", "size"}]: the logs it witnesses and the size it last cosigned
//   GET  /healthz
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { HttpError, sendError } from '../http/errors.ts';
import { MAX_HEADER_BYTES, SERVER_TIMEOUTS } from '../http/limits.ts';
import { RateLimiter, type RateLimitOptions } from '../http/ratelimit.ts';
import { securityHeaders } from '../http/app.ts';
import { MAX_ADD_CHECKPOINT_BYTES, Witness, type WitnessOptions } from './witness.ts';

export interface WitnessServerOptions extends WitnessOptions {
  port?: number;
  host?: string;
  rateLimit?: RateLimitOptions | false;
  /** runs inside the add-checkpoint handler, before the answer is sent (crash tests) */
  onAdd?: () => void;
}

export interface RunningWitness {
  url: string;
  witness: Witness;
  server: http.Server;
  close(): Promise<void>;
}

export function createWitnessApp(witness: Witness, opts: { rateLimiter?: RateLimiter | null; onAdd?: () => void } = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(securityHeaders);
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/v1/witness', (_req, res) => {
    res.set('Access-Control-Allow-Origin', '*').json({ name: witness.name, key: witness.verifierKey });
  });
  app.get('/v1/witness/logs', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ logs: witness.logs() });
  });
  app.post(
    '/add-checkpoint',
    (req, res, next) => {
      try {
        opts.rateLimiter?.chargeRequest(req, res);
        next();
      } catch (e) {
        next(e);
      }
    },
    express.raw({ type: () => true, limit: MAX_ADD_CHECKPOINT_BYTES }),
    (req, res) => {
      const body: Uint8Array = Buffer.isBuffer(req.body) ? req.body : new Uint8Array(0);
      const a = witness.addCheckpoint(body);
      opts.onAdd?.();
      // end(), not send(): send() would add a charset too.
      res.status(a.status).setHeader('Content-Type', a.contentType); // setHeader: express's set() adds a charset to text/*
      res.setHeader('Cache-Control', 'no-store');
      res.end(Buffer.from(a.body, 'utf8'));
    },
  );
  app.use((req, res) => sendError(res, 404, 'not_found', `no route ${req.method} ${req.path}`));
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (!req.complete) res.setHeader('Connection', 'close');
    if (err instanceof HttpError) return sendError(res, err.status, err.code, err.message);
    const e = err as { type?: string; status?: number; message?: string };
    if (e?.type === 'entity.too.large') return sendError(res, 413, 'too_large', `body over ${MAX_ADD_CHECKPOINT_BYTES} bytes`);
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return sendError(res, e.status, 'bad_request', e.message ?? 'bad request');
    sendError(res, 500, 'internal', 'internal error');
  });
  return app;
}

export async function startWitness(opts: WitnessServerOptions): Promise<RunningWitness> {
  const witness = new Witness(opts);
  const rateLimiter = opts.rateLimit === false ? null : new RateLimiter(opts.rateLimit);
  const app = createWitnessApp(witness, { rateLimiter, onAdd: opts.onAdd });
  const t = SERVER_TIMEOUTS;
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES, connectionsCheckingInterval: t.checkIntervalMs }, app);
  server.headersTimeout = t.headersMs;
  server.requestTimeout = t.requestMs;
  server.keepAliveTimeout = t.keepAliveMs;
  server.maxHeadersCount = 100;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 7380, opts.host ?? '127.0.0.1', () => resolve());
    });
  } catch (e) {
    witness.close();
    throw e;
  }
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    witness,
    server,
    async close() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      witness.close();
    },
  };
}
