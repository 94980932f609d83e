// The HTTP API of DESIGN.md "The HTTP API" and "Wire formats (version 1)", on express 5.
// createApp never listens; `cotc serve` and the tests do (tests on 127.0.0.1 port 0).
import express, { type NextFunction, type Request, type Response } from 'express';
import { base64 } from '@cotc/tlog';
import { CanonicalError, ID_RE, isPlainObject, parseIJsonBytes } from '@cotc/ledger';
import { LogService, QueueFullError, ServiceUnavailableError, type Failed, type SubmitResult } from '../log/service.ts';
import { BadCursorError, tracePage } from '../log/bundle.ts';
import { readJsonBody } from './body.ts';
import { HttpError, badRequest, notFound, sendError } from './errors.ts';
import { MAX_BATCH, MAX_BODY_BYTES, MAX_PAGE, PREFLIGHT_MAX_AGE, READ_LIMITS, type ReadLimits } from './limits.ts';
import { Metrics, routeLabel } from './metrics.ts';
import { assignRequestId, createLogger, logRequest, requestId } from './logging.ts';
import { openApiDocument } from './openapi.ts';
import { CHECKPOINT_CACHE, tileRouter } from './tiles.ts';
import type { RateLimiter } from './ratelimit.ts';
import type { Logger } from 'pino';

export { MAX_BATCH, MAX_BODY_BYTES, MAX_PAGE };

export interface AppDeps {
  log: LogService;
  /** extra routes and middleware (metrics, the donor page), installed before the 404 */
  extend?: (app: express.Express) => void;
  /** observes each answered request (besides the built-in request log and metrics) */
  onRequest?: (req: Request, res: Response, ms: number) => void;
  /** GET /metrics; wire `metrics.onCommit` into LogService's onCommit to count appends
   * (startServer does). Default: a fresh Metrics that sees requests and the tree size only. */
  metrics?: Metrics;
  /** request logs, one line per request (default: silent) */
  logger?: Logger;
  /** per-client limits on POST /v1/events (429 rate_limited); none when absent */
  rateLimiter?: RateLimiter;
  /** byte caps on read answers (default READ_LIMITS in limits.ts) */
  readLimits?: Partial<ReadLimits>;
  /** many servers on one database (src/log/leader.ts): this process's role, said by
   * /healthz and /v1/log; a reader refuses writes (503 `unavailable`, Retry-After) */
  leadership?: { role: 'sequencer' | 'reader'; writeRefusal(): Error | null };
  /** a check of a posted event before it is submitted (the gift batch store: a gift.batch
   * needs its batch file, src/gifts/precheck.ts); a Failed answers for that event */
  precheck?: (value: unknown) => Failed | null | Promise<Failed | null>;
}

const CURSOR_MAX = 256;

function intParam(q: unknown, name: string, def: number | undefined, min: number, max: number): number {
  if (q === undefined) {
    if (def === undefined) throw badRequest(`${name}: required`);
    return def;
  }
  if (typeof q !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(q)) throw badRequest(`${name}: expected a decimal integer`);
  const n = Number(q);
  if (n < min || n > max) throw badRequest(`${name}: ${n} is out of range ${min}..${max}`);
  return n;
}

function idParam(v: unknown, name: string): string {
  if (typeof v !== 'string' || !ID_RE.test(v)) throw badRequest(`${name}: not a valid id`);
  return v;
}

export function securityHeaders(_req: Request, res: Response, next: NextFunction) {
  res.set({
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src *; frame-ancestors 'none'",
  });
  next();
}

export function createApp(deps: AppDeps): express.Express {
  const { log } = deps;
  const metrics = deps.metrics ?? new Metrics().attach(log);
  const logger = deps.logger ?? createLogger({ level: 'silent' });
  const limits: ReadLimits = { ...READ_LIMITS, ...deps.readLimits };
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new TypeError(`readLimits.${k}: expected a positive integer, got ${v}`);
  }
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use((req, res, next) => {
    const t0 = performance.now();
    assignRequestId(req, res);
    let seen = false;
    const observe = (aborted: boolean) => {
      if (seen) return;
      seen = true;
      const ms = performance.now() - t0;
      try {
        metrics.onRequest(req, res, ms, aborted);
        logRequest(logger, req, res, ms, aborted);
        if (!aborted) deps.onRequest?.(req, res, ms);
      } catch (e) {
        logger.error({ err: e, reqId: requestId(req) }, 'request observer failed');
      }
    };
    res.on('finish', () => observe(false));
    res.on('close', () => observe(!res.writableFinished));
    next();
  });
  app.use(securityHeaders);
  // Read endpoints may be fetched from any origin (a static verifier page hosted elsewhere).
  app.use((req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') res.set('Access-Control-Allow-Origin', '*');
    next();
  });

  app.get('/healthz', (_req, res) => {
    if (log.broken) return sendError(res, 503, 'unavailable', 'the store is failing; writes are refused until it recovers');
    res.json({ ok: true, size: log.size, ...(deps.leadership ? { role: deps.leadership.role } : {}) });
  });

  app.get('/checkpoint', (_req, res) => {
    // C2SP tlog-tiles "Checkpoints": mutable, no caching beyond a few seconds.
    res.set('Cache-Control', CHECKPOINT_CACHE).type('text/plain; charset=utf-8').send(log.checkpoint);
  });

  app.get('/v1/log', (_req, res) => {
    res.json({ origin: log.origin, size: log.size, key: log.verifierKey, ...(deps.leadership ? { role: deps.leadership.role } : {}) });
  });

  app.post('/v1/events', async (req, res) => {
    deps.rateLimiter?.chargeRequest(req, res);
    const refusal = deps.leadership?.writeRefusal();
    if (refusal) throw refusal;
    const body = await readJsonBody(req);
    let value: unknown;
    try {
      value = parseIJsonBytes(body);
    } catch (e) {
      throw new HttpError(400, 'schema', e instanceof CanonicalError ? e.message : `body is not I-JSON: ${(e as Error).message}`);
    }
    if (Array.isArray(value)) {
      if (value.length < 1 || value.length > MAX_BATCH) throw new HttpError(400, 'schema', `an array of events must hold 1 to ${MAX_BATCH}, got ${value.length}`);
      if (!value.every(isPlainObject)) {
        throw new HttpError(400, 'schema', 'every element of an array of events must be an object');
      }
      deps.rateLimiter?.chargeEvents(req, res, value.length);
      // Judged in array order, each seeing those accepted before it (DESIGN.md "Posting").
      const pre = deps.precheck ? await Promise.all(value.map((v) => deps.precheck!(v))) : [];
      const results = pre.some((p) => p !== null) ? await submitChecked(log, value, pre) : await log.submitMany(value);
      for (const r of results) if ('error' in r) metrics.onRejected(r.error.code);
      res.status(200).json(results.map(arrayResult));
      return;
    }
    deps.rateLimiter?.chargeEvents(req, res, 1);
    const r = (await deps.precheck?.(value)) ?? (await log.submit(value));
    if ('error' in r) metrics.onRejected(r.error.code);
    res.status(r.status).json(singleResult(r));
  });

  app.get('/v1/events/:id', async (req, res) => {
    const id = idParam(req.params.id, 'id');
    const e = await log.entryOf(id);
    // The head is read after the lookup: an entry the store already holds but the head does
    // not cover yet (its batch is between the store write and the head update) is not
    // readable yet, like every other read (proving it against the older head would throw).
    const { size, checkpoint } = log.head();
    if (!e || e.seq >= size) throw notFound(`no event ${id} in the log`);
    const proof = await log.proveInclusion(e.seq, size);
    res.json({ entry: { index: e.seq, data: base64(e.data) }, proof, checkpoint });
  });

  app.get('/v1/donations', async (req, res) => {
    const limit = intParam(req.query.limit, 'limit', 20, 1, MAX_PAGE);
    // `before`: list only donations at indexes below it (the next page starts below the
    // last index of this one, which `next` gives when the page is full).
    const before = intParam(req.query.before, 'before', Number.MAX_SAFE_INTEGER, 1, Number.MAX_SAFE_INTEGER);
    const list = await log.store.recentDonations(limit, before === Number.MAX_SAFE_INTEGER ? undefined : before);
    const size = log.size; // after the read: what the head covers now
    const out = [];
    for (const [seq, id] of list) {
      if (seq >= size) continue; // not covered by the committed head yet
      const [data] = await log.store.entries(seq, 1);
      const entry = LogService.parseEntry(data!);
      const body = entry.event.body as { fund: string; amount: { currency: string; value: string } };
      out.push({ id, fund: body.fund, amount: body.amount, index: seq });
    }
    const last = list[list.length - 1];
    res.json(list.length === limit && last ? { donations: out, next: last[0] } : { donations: out });
  });

  app.get('/v1/donations/:id/trace', async (req, res) => {
    const id = idParam(req.params.id, 'id');
    const c = req.query.cursor;
    if (c !== undefined && (typeof c !== 'string' || c.length === 0 || c.length > CURSOR_MAX)) throw badRequest('cursor: not a trace cursor of this server');
    let page;
    try {
      page = await tracePage(log, id, c, { pageBytes: limits.tracePageBytes });
    } catch (e) {
      if (e instanceof BadCursorError) throw badRequest(e.message);
      throw e;
    }
    if (!page) throw notFound(`no donation ${id} in the log`);
    res.type('application/json; charset=utf-8').send(page.body);
  });

  app.get('/v1/proofs/consistency', async (req, res) => {
    const size = log.size;
    const to = intParam(req.query.to, 'to', size, 1, size);
    const from = intParam(req.query.from, 'from', undefined, 1, to);
    const p = await log.proveConsistency(from, to);
    res.json({ from, to, hashes: p.hashes });
  });

  app.get('/v1/entries', async (req, res) => {
    const start = intParam(req.query.start, 'start', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(req.query.limit, 'limit', 100, 1, MAX_PAGE);
    // At most entriesPageBytes of entries (at least one): read in slices, so a page of
    // huge entries is never all in memory; a page cut short says where to continue.
    const out: string[] = [];
    let bytes = 0;
    let at = start;
    let cut = false;
    const end = Math.min(start + limit, log.size);
    while (at < end && !cut) {
      const es = await log.entries(at, Math.min(16, end - at));
      if (es.length === 0) break;
      for (const d of es) {
        const item = `{"index":${at},"data":"${base64(d)}"}`;
        if (out.length > 0 && bytes + item.length + 1 > limits.entriesPageBytes) {
          cut = true;
          break;
        }
        out.push(item);
        bytes += item.length + 1;
        at++;
      }
    }
    res.type('application/json; charset=utf-8').send(`{"entries":[${out.join(',')}]${cut ? `,"next":${at}` : ''}}`);
  });

  app.get('/v1/funds/:id', async (req, res) => {
    const id = idParam(req.params.id, 'id');
    const f = await log.fund(id);
    if (!f) throw notFound(`no fund ${id}`);
    res.json(f);
  });

  app.get('/v1/orgs/:id', async (req, res) => {
    const id = idParam(req.params.id, 'id');
    // Keys in pages of MAX_PAGE (an org may rotate its key any number of times): `start`
    // is the first key's position in the org's key history; `next` says where to go on.
    const start = intParam(req.query.start, 'start', 0, 0, Number.MAX_SAFE_INTEGER);
    const o = await log.org(id);
    if (!o) throw notFound(`no organisation ${id}`);
    const keys = o.keys.slice(start, start + MAX_PAGE);
    const more = start + keys.length < o.keys.length;
    res.json(more ? { ...o, keys, next: start + keys.length } : { ...o, keys });
  });

  app.use(tileRouter(log)); // C2SP tlog-tiles: /tile/<L>/<N>[.p/<W>], /tile/entries/<N>[.p/<W>]

  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });

  app.get('/metrics', async (_req, res) => {
    const body = await metrics.text();
    res.set('Cache-Control', 'no-store').type(metrics.contentType).send(body);
  });

  deps.extend?.(app);

  // OPTIONS on every route path: Allow lists its methods; on paths with GET it is also a
  // CORS preflight answer (reads from any origin, cached for a day). Writes stay same-origin.
  const methodsByPath = new Map<string, Set<string>>();
  for (const layer of (app.router as unknown as { stack: Array<{ route?: { path: unknown; methods: Record<string, boolean> } }> }).stack) {
    if (!layer.route || typeof layer.route.path !== 'string') continue;
    const set = methodsByPath.get(layer.route.path) ?? new Set<string>();
    for (const [m, on] of Object.entries(layer.route.methods)) if (on && m !== '_all') set.add(m.toUpperCase());
    methodsByPath.set(layer.route.path, set);
  }
  for (const [path, methods] of methodsByPath) {
    if (methods.has('OPTIONS')) continue;
    if (methods.has('GET')) methods.add('HEAD');
    methods.add('OPTIONS');
    const allow = [...methods].sort().join(', ');
    const readable = methods.has('GET');
    app.options(path, (_req, res) => {
      res.set('Allow', allow);
      if (readable) {
        res.set({
          'Access-Control-Allow-Origin': '*',
          'Access-Control-Allow-Methods': 'GET, HEAD',
          'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE),
        });
      }
      res.status(204).end();
    });
  }

  app.use((req, res) => sendError(res, 404, 'not_found', `no route ${req.method} ${req.path}`));
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (err instanceof HttpError) {
      if (req.method === 'POST' && routeLabel(req) === '/v1/events') metrics.onRejected(err.code);
      // Refused before the whole body arrived (413, 415, 429): close the connection after the
      // answer, rather than let node drain an upload nobody will use (up to requestTimeout).
      if (!req.complete) res.setHeader('Connection', 'close');
      return sendError(res, err.status, err.code, err.message);
    }
    if (err instanceof QueueFullError) {
      res.set('Retry-After', String(err.retryAfter));
      if (req.method === 'POST' && routeLabel(req) === '/v1/events') metrics.onRejected('unavailable');
    }
    if (err instanceof ServiceUnavailableError) return sendError(res, 503, 'unavailable', err.message);
    const e = err as { status?: number; type?: string; message?: string };
    if (e?.type === 'entity.too.large') return sendError(res, 413, 'too_large', 'body too large');
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return sendError(res, e.status, 'bad_request', e.message ?? 'bad request');
    logger.error({ err, reqId: requestId(req), route: routeLabel(req) }, 'internal error');
    sendError(res, 500, 'internal', 'internal error');
  });
  return app;
}

/** Submits the elements no precheck failed, and answers each in order. */
async function submitChecked(log: LogService, value: unknown[], pre: Array<Failed | null>): Promise<SubmitResult[]> {
  const passed = value.filter((_, i) => pre[i] === null);
  const done = passed.length ? await log.submitMany(passed) : [];
  let k = 0;
  return pre.map((p) => p ?? done[k++]!);
}

function singleResult(r: SubmitResult) {
  if ('error' in r) return { error: r.error };
  const { status: _s, ...rest } = r;
  return rest;
}

function arrayResult(r: SubmitResult) {
  return r;
}
