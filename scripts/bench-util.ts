// Shared bits for benchmarks: machine description, percentiles, table printing, the
// signature and HTTP-framework ceilings, the storage path alone, autocannon, a background
// writer and child processes.
import os from 'node:os';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { fork, type ChildProcess } from 'node:child_process';
import express, { type NextFunction, type Request, type Response } from 'express';
import { canonicalBytes, donorCommitment, splitSig, type Envelope, type UnsignedEvent } from '@cotc/ledger';
import { leafHash, MemoryHashStore, newTiles, readTileData, storedHashes, storedHashIndex } from '@cotc/tlog';
import { verifyStrictNode } from '../src/crypto/ed25519-node.ts';
import { eventSigner } from '../src/crypto/sign-node.ts';
import { donationId, ROUND } from './make-log.ts';
import { securityHeaders } from '../src/http/app.ts';
import { openStore } from '../src/storage/open.ts';

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const fmt = (x: string | number) => (typeof x === 'number' ? (Number.isInteger(x) ? x.toLocaleString('en-US') : x.toFixed(2)) : x);
  const lines = [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`];
  for (const r of rows) lines.push(`| ${r.map(fmt).join(' | ')} |`);
  return lines.join('\n');
}

export function rate(n: number, ms: number): number {
  return Math.round((n / ms) * 1000);
}

// ---- shared by bench-ledger, bench-http and bench-scale (moved here, not copied) -------

export const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(' / ');

/** This machine's Ed25519 verify ceiling on these events (all signed by the key `pub`):
 * one core (verifyStrictNode) and every core (node:crypto in one worker per core). */
export async function signatureCeiling(pub: Uint8Array, events: Envelope[], sampleSize = 20000): Promise<{ one: number; all: number; cores: number }> {
  const sample = events.slice(0, sampleSize);
  const msgs = sample.map((e) => {
    const { sig: _s, ...u } = e;
    return { m: canonicalBytes(u), s: splitSig(e.sig)!.signature };
  });
  let t = performance.now();
  for (const x of msgs) if (!verifyStrictNode(pub, x.m, x.s)) throw new Error('bad sig in bench');
  const one = rate(msgs.length, performance.now() - t);
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const crypto = require('node:crypto');
    const key = crypto.createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(workerData.pub)]), format: 'der', type: 'spki' });
    let ok = 0;
    for (const x of workerData.msgs) if (crypto.verify(null, Buffer.from(x.m), key, Buffer.from(x.s))) ok++;
    parentPort.postMessage(ok);`;
  const cores = os.cpus().length;
  t = performance.now();
  await Promise.all(
    Array.from({ length: cores }, () => new Promise((res, rej) => {
      const w = new Worker(code, { eval: true, workerData: { pub, msgs } });
      w.once('message', res);
      w.once('error', rej);
    })),
  );
  const all = rate(msgs.length * cores, performance.now() - t);
  return { one, all, cores };
}

/** The storage path alone: `total` synthetic 700-byte entries (with their tiles, an id and
 * a trace posting each) committed to a new store in `dir` (a directory: LevelDB; any spec src/storage/open.ts takes), in synced batches. */
export async function storageOnly(dir: string, total: number, batch: number): Promise<{ total: number; commitOnly: number }> {
  const store = await openStore(dir);
  await store.open();
  const entry = new Uint8Array(700).fill(97);
  const mem = new MemoryHashStore();
  let size = 0;
  let commitMs = 0;
  const t0 = performance.now();
  while (size < total) {
    const n = Math.min(batch, total - size);
    const entries: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const e = entry.slice();
      e.set(new TextEncoder().encode(String(size + i)), 0);
      entries.push(e);
      const hs = await storedHashes(size + i, leafHash(e), mem);
      mem.writeHashes(storedHashIndex(0, size + i), hs);
    }
    const tiles = await Promise.all(newTiles(size, size + n).map(async (t) => ({ l: t.l, n: t.n, data: await readTileData(t, mem) })));
    const t = performance.now();
    await store.commit({
      fromSize: size,
      entries,
      tiles,
      ids: entries.map((_, i) => [`id-${size + i}`, size + i]),
      traces: entries.map((_, i) => [`d:id-${size + i}`, size + i]),
      donations: [],
      state: [],
      head: { size: size + n, checkpoint: `checkpoint ${size + n}\n` },
    });
    commitMs += performance.now() - t;
    size += n;
  }
  const ms = performance.now() - t0;
  await store.close();
  return { total: rate(total, ms), commitOnly: rate(total, commitMs) };
}

/** The framework's ceiling: the same express setup as src/http/app.ts (settings, a request
 * observer on finish/close, security headers, CORS on reads) answering one constant body
 * per path, and plain node:http answering the same constants. */
export async function ceilingServers(bodies: Record<string, { json?: unknown; text?: string }>): Promise<{ express: string; plain: string; close: () => void }> {
  const extra: http.Server[] = [];
  const listen = (server: http.Server) =>
    new Promise<string>((resolve) => {
      server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
      server.keepAliveTimeout = 5_000;
      extra.push(server);
    });
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  let observed = 0;
  app.use((_req: Request, res: Response, next: NextFunction) => {
    const t0 = performance.now();
    let seen = false;
    const observe = () => {
      if (seen) return;
      seen = true;
      observed += performance.now() - t0;
    };
    res.on('finish', observe);
    res.on('close', observe);
    next();
  });
  app.use(securityHeaders);
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD') res.set('Access-Control-Allow-Origin', '*');
    next();
  });
  for (const [name, b] of Object.entries(bodies)) {
    if (b.text !== undefined) app.get('/' + name, (_req, res) => void res.type('text/plain; charset=utf-8').send(b.text));
    else app.get('/' + name, (_req, res) => void res.json(b.json));
  }
  // Plain node:http: the same bodies, serialised per request as res.json does.
  const plain = http.createServer((req, res) => {
    const b = bodies[(req.url ?? '/').slice(1)];
    if (!b) {
      res.writeHead(404).end();
      return;
    }
    if (b.text !== undefined) res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(b.text);
    else res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(b.json));
  });
  const e = await listen(http.createServer(app));
  const p = await listen(plain);
  void observed;
  return {
    express: e,
    plain: p,
    close() {
      for (const x of extra) {
        x.closeAllConnections();
        x.close();
      }
    },
  };
}

// ---- autocannon ------------------------------------------------------------------------

interface Autocannon {
  (opts: Record<string, unknown>): Promise<AcResult>;
}
interface AcResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  throughput: { average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export const DURATION = Number(process.env.BENCH_DURATION ?? 10);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
export const WARMUP = 2;

export interface Measured {
  rps: number;
  p50: number;
  p99: number;
  mbps: number;
  bad: number;
  load: number;
}

/** autocannon over `paths` in rotation; with `once`, each path is asked at most once (the
 * run ends when they are used up, or after `duration`). */
export async function cannon(url: string, paths: string[], duration = DURATION, opts: { once?: boolean } = {}): Promise<Measured> {
  let i = 0;
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    ...(opts.once ? { amount: paths.length } : {}),
    requests: [
      {
        setupRequest: (req: { path: string }) => {
          req.path = paths[i++ % paths.length]!;
          return req;
        },
      },
    ],
  });
  if (process.env.BENCH_DEBUG) console.error(JSON.stringify({ ...r, latency: undefined, requests: r.requests, statusCodeStats: (r as unknown as { statusCodeStats: unknown }).statusCodeStats }).slice(0, 1500));
  return {
    rps: Math.round(r.requests.total / r.duration),
    p50: r.latency.p50,
    p99: r.latency.p99,
    mbps: r.throughput.average / 2 ** 20,
    bad: r.non2xx + r.errors + r.timeouts,
    load: os.loadavg()[0]!,
  };
}

export async function measure(url: string, paths: string[]): Promise<Measured> {
  await cannon(url, paths, WARMUP);
  return cannon(url, paths);
}

/** n signed donations to the bench log's music-classrooms fund (children-foundation's
 * bench key), ids `w-<tag>-<i>`, never seen by the log before. */
export function benchDonations(keys: Record<string, string>, n: number, tag: string): Envelope[] {
  const sign = eventSigner(keys['children-foundation']!) as (u: UnsignedEvent) => Envelope;
  const time = new Date().toISOString();
  const evs: Envelope[] = [];
  for (let i = 0; i < n; i++) {
    const id = `w-${tag}-${i}`;
    evs.push(
      sign({ v: 1, type: 'donation', id, org: 'children-foundation', time, body: { fund: 'music-classrooms', amount: { currency: 'CNY', value: String(100 + ((i * 7) % 4900)) }, donor: donorCommitment(id, 'w' + i), channel: 'goods-for-good' } }),
    );
  }
  return evs;
}

/** A writer posting arrays of signed donations (to the bench log's music-classrooms fund,
 * signed with its bench key) at a steady rate, in the background. */
export function startWriter(base: string, keys: Record<string, string>, rate: number, seconds: number) {
  const per = 100;
  const tickMs = (per / rate) * 1000;
  const total = Math.ceil((rate * seconds) / per) * per;
  const all = benchDonations(keys, total, Date.now().toString(36));
  const batches: string[] = [];
  for (let b = 0; b < total / per; b++) batches.push(JSON.stringify(all.slice(b * per, (b + 1) * per)));
  let next = 0;
  let accepted = 0;
  let refused = 0;
  let inflight = 0;
  let skipped = 0;
  const acks: number[] = [];
  let t0 = 0;
  let stopped = false;
  const done: Array<Promise<void>> = [];
  const post = async (body: string) => {
    inflight++;
    const t = performance.now();
    try {
      const r = await fetch(base + '/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const j = (await r.json()) as Array<{ status: number }>;
      for (const x of j) if (x.status === 201) accepted++;
      else refused++;
      acks.push(performance.now() - t);
    } catch {
      refused += per;
    } finally {
      inflight--;
    }
  };
  let timer: NodeJS.Timeout | undefined;
  return {
    prepared: total,
    start() {
      t0 = performance.now();
      let due = 0;
      timer = setInterval(() => {
        // Keep to the schedule: post every batch that is due, at most 8 arrays in flight.
        due = Math.floor((performance.now() - t0) / tickMs) + 1;
        while (next < due && next < batches.length && !stopped) {
          if (inflight >= 8) {
            skipped++;
            next++;
            continue;
          }
          done.push(post(batches[next++]!));
        }
      }, Math.max(5, tickMs / 2));
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      const ms = performance.now() - t0;
      await Promise.all(done);
      acks.sort((a, b) => a - b);
      return { eps: Math.round((accepted / ms) * 1000), accepted, refused, skipped, p50: percentile(acks, 50), p99: percentile(acks, 99), exhausted: next >= batches.length };
    },
  };
}

export interface TraceSample {
  path: string;
  bytes: number;
  entries: number;
  nodes: number;
  hops: string;
  body: unknown;
}
export interface EventSample {
  path: string;
  bytes: number;
  type: string;
  body: unknown;
}

/** Read samples from a bench log's server: up to 200 donations whose money has moved (a
 * trace with a transfer and a disbursement: rounds drained, see make-log) and 500 events at
 * uniformly random positions of the log (so mostly donations, as in the log). */
export async function sampleReads(base: string, rounds: number, size: number): Promise<{ traces: TraceSample[]; events: EventSample[] }> {
  const movedBelow = Math.max(ROUND, (rounds - 6) * ROUND);
  let seed = 20201231;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const traces: TraceSample[] = [];
  for (let tries = 0; traces.length < 200 && tries < 600; tries++) {
    const id = donationId(Math.floor(rnd() * movedBelow));
    const r = await fetch(`${base}/v1/donations/${id}/trace`);
    const text = await r.text();
    if (r.status !== 200) continue;
    const b = JSON.parse(text) as { entries: unknown[]; trace: { nodes: Array<{ type: string }> } };
    const types = b.trace.nodes.map((n) => n.type);
    if (!types.includes('transfer') || !types.includes('disbursement')) continue;
    traces.push({ path: `/v1/donations/${id}/trace`, bytes: Buffer.byteLength(text), entries: b.entries.length, nodes: types.length, hops: types.join('→'), body: b });
  }
  const events: EventSample[] = [];
  for (let k = 0; k < 500; k++) {
    const seq = Math.floor(rnd() * size);
    const e = (await (await fetch(`${base}/v1/entries?start=${seq}&limit=1`)).json()) as { entries: Array<{ data: string }> };
    const entry = JSON.parse(Buffer.from(e.entries[0]!.data, 'base64').toString('utf8')) as { event: { id: string; type: string } };
    const r = await fetch(`${base}/v1/events/${entry.event.id}`);
    const text = await r.text();
    if (r.status !== 200) throw new Error(`GET /v1/events/${entry.event.id}: ${r.status}`);
    events.push({ path: `/v1/events/${entry.event.id}`, bytes: Buffer.byteLength(text), type: entry.event.type, body: JSON.parse(text) });
  }
  return { traces, events };
}

/** A child process speaking typed messages: `next(type)` waits for the next one of a type. */
export function forkChild<M extends { type: string }>(file: string, env: Record<string, string>, execArgv: string[] = process.execArgv): { child: ChildProcess; next: <T extends M['type']>(type: T) => Promise<Extract<M, { type: T }>>; exited: () => number | null | undefined } {
  const child = fork(file, [], { execArgv, env: { ...process.env, ...env }, stdio: 'inherit' });
  const inbox: M[] = [];
  const waiters: Array<() => void> = [];
  let exited: number | null | undefined;
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  child.on('message', (m: M) => {
    inbox.push(m);
    wake();
  });
  child.once('exit', (code) => {
    exited = code;
    wake();
  });
  const next = async <T extends M['type']>(type: T): Promise<Extract<M, { type: T }>> => {
    for (;;) {
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) return inbox.splice(i, 1)[0] as Extract<M, { type: T }>;
      if (exited !== undefined) throw new Error(`the child process exited (${exited})`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { child, next, exited: () => exited };
}

/** Resident set size (and its peak) of a process, from /proc (Linux), in MiB. */
export function rssOf(pid: number): { rss: number; peak: number } {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) / 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}
