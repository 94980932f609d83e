// Per-client rate limits on writes (POST /v1/events): token buckets keyed by the client's
// address, answering 429 `rate_limited` with Retry-After (DESIGN.md "Posting"; README
// "Limits").
//
// Two buckets per client, both charged on every POST /v1/events:
// - requests: 1 token per request, taken before the body is read, so a flood of
//   (possibly garbage, possibly 2 MiB) bodies is refused without reading them;
// - events: 1 token per envelope judged (1 for a single event, N for an array of N),
//   taken once the body has parsed and the array's size is known. An array larger than
//   the burst costs the whole burst (it waits for a full bucket) so that a maximal batch
//   can always pass eventually, whatever the configuration.
// A refused request costs nothing more and appends nothing.
//
// The client is req.socket.remoteAddress (IPv4-mapped IPv6 written as IPv4; IPv6 grouped
// by its prefix, /56 by default: one subscriber often holds a whole /56 — RIPE-690
// recommends /56 or /48 per customer — so a /64 key gave one subscriber 256 buckets;
// `ipv6Prefix` sets it, 32 to 128). X-Forwarded-For is ignored unless
// `trustForwardedFor` is set (only behind a reverse proxy that appends the address it
// saw): then the rightmost entry, the one our proxy wrote, is the client.
//
// Memory is bounded: at most `maxClients` buckets, least recently used evicted first, so
// a flood of addresses costs a fixed amount of memory (an evicted client starts again
// with a full bucket, which gives it no more than a new address would).
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from './errors.ts';

export interface RateLimitOptions {
  /** events per second per client, sustained (default 2000) */
  eventsPerSecond?: number;
  /** events a client may post at once after being idle (default 20000) */
  eventBurst?: number;
  /** POST requests per second per client, sustained (default 2000) */
  requestsPerSecond?: number;
  /** POST requests at once after being idle (default 20000) */
  requestBurst?: number;
  /** how many clients' buckets are kept (LRU; default 10000) */
  maxClients?: number;
  /** key clients by the rightmost X-Forwarded-For entry (only behind a trusted proxy; default false) */
  trustForwardedFor?: boolean;
  /** IPv6 clients share a bucket per prefix of this length, 32 to 128 (default 56) */
  ipv6Prefix?: number;
  /** clock in milliseconds (tests) */
  now?: () => number;
}

export const RATE_LIMIT_DEFAULTS = {
  eventsPerSecond: 2000,
  eventBurst: 20_000,
  requestsPerSecond: 2000,
  requestBurst: 20_000,
  maxClients: 10_000,
  trustForwardedFor: false,
  ipv6Prefix: 56,
} as const;

interface Bucket {
  tokens: number;
  at: number; // ms of the last refill
}

interface Client {
  requests: Bucket;
  events: Bucket;
}

function positive(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new TypeError(`rateLimit.${name}: expected a positive number, got ${String(v)}`);
  return v;
}

/** The bucket key of an address: IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6 by its
 * first `ipv6Prefix` bits (the rest zeroed), written `<groups>::/<prefix>`. */
export function clientKey(address: string | undefined, ipv6Prefix: number = RATE_LIMIT_DEFAULTS.ipv6Prefix): string {
  if (!address) return 'unknown';
  let a = address.trim().toLowerCase();
  if (a.startsWith('[') && a.includes(']')) a = a.slice(1, a.indexOf(']'));
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  if (a.startsWith('::ffff:') && a.includes('.')) return a.slice(7);
  if (!a.includes(':')) return a;
  // Expand '::' into eight 16-bit groups (an embedded dotted IPv4 tail counts as two).
  const [head, tail] = a.includes('::') ? (a.split('::') as [string, string]) : [a, undefined];
  const split = (x: string) => {
    const gs = x ? x.split(':') : [];
    const last = gs[gs.length - 1];
    if (last && last.includes('.')) {
      const o = last.split('.').map((n) => Number(n) & 255);
      gs.splice(gs.length - 1, 1, (((o[0] ?? 0) << 8) | (o[1] ?? 0)).toString(16), (((o[2] ?? 0) << 8) | (o[3] ?? 0)).toString(16));
    }
    return gs;
  };
  const h = split(head);
  const t = tail === undefined ? [] : split(tail);
  const groups = tail === undefined ? h : [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  const words = groups.slice(0, 8).map((g) => parseInt(g || '0', 16) & 0xffff);
  while (words.length < 8) words.push(0);
  const keep = Math.ceil(ipv6Prefix / 16);
  const out = words.slice(0, keep);
  const rest = ipv6Prefix % 16;
  if (rest) out[keep - 1] = out[keep - 1]! & ((0xffff << (16 - rest)) & 0xffff);
  return out.map((w) => w.toString(16)).join(':') + (keep < 8 ? '::' : '') + '/' + ipv6Prefix;
}

export class RateLimiter {
  readonly eventsPerSecond: number;
  readonly eventBurst: number;
  readonly requestsPerSecond: number;
  readonly requestBurst: number;
  readonly maxClients: number;
  readonly trustForwardedFor: boolean;
  readonly ipv6Prefix: number;
  readonly #now: () => number;
  // Map iteration order is insertion order: re-inserting on use keeps the LRU at the front.
  readonly #clients = new Map<string, Client>();

  constructor(opts: RateLimitOptions = {}) {
    const o = { ...RATE_LIMIT_DEFAULTS, ...opts };
    this.eventsPerSecond = positive(o.eventsPerSecond, 'eventsPerSecond');
    this.eventBurst = positive(o.eventBurst, 'eventBurst');
    this.requestsPerSecond = positive(o.requestsPerSecond, 'requestsPerSecond');
    this.requestBurst = positive(o.requestBurst, 'requestBurst');
    this.maxClients = Math.floor(positive(o.maxClients, 'maxClients'));
    this.trustForwardedFor = o.trustForwardedFor === true;
    const p = o.ipv6Prefix;
    if (!Number.isInteger(p) || p < 32 || p > 128) throw new TypeError(`rateLimit.ipv6Prefix: expected an integer from 32 to 128, got ${String(p)}`);
    this.ipv6Prefix = p;
    this.#now = opts.now ?? (() => performance.now());
  }

  /** How many clients have a bucket now (at most maxClients). */
  get size(): number {
    return this.#clients.size;
  }

  /** The key of the client that sent req. */
  keyOf(req: Request): string {
    if (this.trustForwardedFor) {
      const xff = req.headers['x-forwarded-for'];
      const list = (Array.isArray(xff) ? xff.join(',') : (xff ?? '')).split(',').map((s) => s.trim()).filter(Boolean);
      if (list.length > 0) return clientKey(list[list.length - 1], this.ipv6Prefix);
    }
    return clientKey(req.socket.remoteAddress, this.ipv6Prefix);
  }

  #client(key: string): Client {
    let c = this.#clients.get(key);
    if (c) {
      this.#clients.delete(key);
    } else {
      const at = this.#now();
      c = { requests: { tokens: this.requestBurst, at }, events: { tokens: this.eventBurst, at } };
      while (this.#clients.size >= this.maxClients) this.#clients.delete(this.#clients.keys().next().value!);
    }
    this.#clients.set(key, c);
    return c;
  }

  /** Takes `cost` tokens; 0 when granted, else the seconds to wait (≥ 1) and nothing is taken. */
  #take(b: Bucket, cost: number, rate: number, burst: number): number {
    const now = this.#now();
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    const need = Math.min(cost, burst);
    if (b.tokens >= need) {
      b.tokens -= need;
      return 0;
    }
    return Math.max(1, Math.ceil((need - b.tokens) / rate));
  }

  /** One request by `key`: 0 if allowed, else Retry-After seconds. */
  takeRequest(key: string): number {
    return this.#take(this.#client(key).requests, 1, this.requestsPerSecond, this.requestBurst);
  }

  /** `n` events by `key`: 0 if allowed, else Retry-After seconds. */
  takeEvents(key: string, n: number): number {
    return this.#take(this.#client(key).events, Math.max(1, n), this.eventsPerSecond, this.eventBurst);
  }

  /** Throws the 429 answer (with Retry-After set on res) unless the request is allowed. */
  chargeRequest(req: Request, res: Response): void {
    refuse(res, this.takeRequest(this.keyOf(req)), 'requests', this.requestsPerSecond);
  }

  /** Throws the 429 answer (with Retry-After set on res) unless `n` more events are allowed. */
  chargeEvents(req: Request, res: Response, n: number): void {
    refuse(res, this.takeEvents(this.keyOf(req), n), 'events', this.eventsPerSecond);
  }

  /** Express middleware charging one request (use on write routes). */
  middleware() {
    return (req: Request, res: Response, next: NextFunction) => {
      try {
        this.chargeRequest(req, res);
        next();
      } catch (e) {
        next(e);
      }
    };
  }
}

function refuse(res: Response, wait: number, what: string, rate: number): void {
  if (wait === 0) return;
  res.set('Retry-After', String(wait));
  throw new HttpError(429, 'rate_limited', `too many ${what} from this client (limit ${rate}/s); retry after ${wait} s`);
}
