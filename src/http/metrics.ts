// Prometheus metrics (GET /metrics), on a registry of their own (never prom-client's
// global one: several servers may run in one process, e.g. the test suites).
//
// Label values come only from bounded sets: the route *pattern* (req.route.path, e.g.
// "/v1/events/:id"), never the URL, since ids would make the label set unbounded (a memory
// leak) and a donation id is semi-private; the method from a fixed list; the status code;
// rejection codes from the ledger's fixed list.
import type { Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What metrics need from the log: its committed size (the tree size gauge). */
export interface SizedLog {
  readonly size: number;
  /** events waiting in the sequencer (LogService.queued) */
  readonly queued?: number;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/** The route pattern a request matched, or "unmatched" (404s, preflights of unknown paths). */
export function routeLabel(req: Request): string {
  const p = (req.route as { path?: unknown } | undefined)?.path;
  return typeof p === 'string' ? (req.baseUrl || '') + p : 'unmatched';
}

export function methodLabel(req: Request): string {
  return METHODS.has(req.method) ? req.method : 'other';
}

// Default process metrics (CPU, memory, event loop lag, GC) are per process: collected
// once, on a registry of their own, and appended to every server's scrape. Collecting them
// per server would start a new event loop monitor and GC observer for each.
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class Metrics {
  readonly registry = new Registry();
  #log: SizedLog | undefined;

  readonly appended = new Counter({
    name: 'cotc_events_appended_total',
    help: 'Entries appended to the log (committed) by this process',
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'cotc_events_rejected_total',
    help: 'Events answered with a rejection, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'cotc_commit_batch_entries',
    help: 'Entries per committed batch (group commit)',
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: 'cotc_commit_duration_seconds',
    help: 'Time to build and durably commit one batch, in seconds',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly ackSeconds = new Histogram({
    name: 'cotc_post_ack_duration_seconds',
    help: 'POST /v1/events: from the request to its answer (after the synced commit), in seconds',
    labelNames: ['status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: 'cotc_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpSeconds = new Histogram({
    name: 'cotc_http_request_duration_seconds',
    help: 'HTTP request duration by method and route pattern, in seconds',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly treeSize = new Gauge({
    name: 'cotc_tree_size',
    help: 'Size of the log (entries in the tree of the latest checkpoint)',
    registers: [this.registry],
    collect: () => {
      if (this.#log) this.treeSize.set(this.#log.size);
    },
  });

  readonly queued = new Gauge({
    name: 'cotc_sequencer_queued_events',
    help: "Events admitted to the sequencer and not yet answered (bounded by maxQueue; beyond it writes answer 503)",
    registers: [this.registry],
    collect: () => {
      if (this.#log && typeof this.#log.queued === 'number') this.queued.set(this.#log.queued);
    },
  });

  /** Sets the log whose size the tree size gauge reports. */
  attach(log: SizedLog): this {
    this.#log = log;
    return this;
  }

  /** LogService's onCommit hook. */
  onCommit = (info: { entries: number; ms: number }): void => {
    this.appended.inc(info.entries);
    this.batchSize.observe(info.entries);
    this.commitSeconds.observe(info.ms / 1000);
  };

  /** Observes one answered request (or one the client gave up on: status "aborted"). */
  onRequest(req: Request, res: Response, ms: number, aborted = false): void {
    const route = routeLabel(req);
    const method = methodLabel(req);
    const status = aborted ? 'aborted' : String(res.statusCode);
    this.httpRequests.inc({ method, route, status });
    this.httpSeconds.observe({ method, route }, ms / 1000);
    if (method === 'POST' && route === '/v1/events') this.ackSeconds.observe({ status }, ms / 1000);
  }

  onRejected(code: string): void {
    this.rejected.inc({ code });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The scrape: this server's metrics, then the process's. */
  async text(): Promise<string> {
    const own = await this.registry.metrics();
    const proc = await processMetrics().metrics();
    return own.endsWith('\n') || own === '' ? own + proc : own + '\n' + proc;
  }
}
