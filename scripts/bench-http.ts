// `pnpm bench http`: the hot read endpoints under autocannon, on a log of BENCH_ENTRIES
// entries (default 1M, built once by scripts/make-log.ts and cached), alone and under a
// concurrent write load, against the framework's ceiling measured in the same run: the
// same express 5 setup (same app settings and middleware style) answering a constant
// JSON body of the same size, and plain node:http answering the same constant.
//   BENCH_ENTRIES (default 1000000)  log size
//   BENCH_DURATION (default 10)      seconds per measurement (after a 2 s warm-up)
//   BENCH_CONNECTIONS (default 32)   autocannon connections
//   BENCH_WRITE_RATE (default 1000)  the background writer's target, events/s (arrays of 100)
//   BENCH_CPU_PROF=DIR               write a CPU profile of the server process to DIR
//
// The server (startServer, quiet) and the ceiling apps run in a child process, autocannon
// and the writer in this one, so the load generator does not share the server's event loop.
import { securityHeaders } from '../src/http/app.ts';
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { donorCommitment, type Envelope, type UnsignedEvent } from '@cotc/ledger';
import { startServer } from '../src/server.ts';
import { eventSigner } from '../src/crypto/sign-node.ts';
import { machine, percentile, table } from './bench-util.ts';
import { benchEntries, benchLogDir, donationId, makeLog, readBenchKeys, ROUND } from './make-log.ts';

// ---- the server process -------------------------------------------------------------

type ToChild = { type: 'ceiling'; bodies: Record<string, { json?: unknown; text?: string }> } | { type: 'stop' };
type FromChild = { type: 'ready'; url: string; size: number } | { type: 'ceiling'; express: string; plain: string } | { type: 'stopped' };

async function serverProcess(dir: string): Promise<void> {
  const s = await startServer(dir, { port: 0, host: '127.0.0.1', quiet: true });
  const extra: http.Server[] = [];
  const listen = (server: http.Server) =>
    new Promise<string>((resolve) => {
      server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
      server.keepAliveTimeout = 5_000;
      extra.push(server);
    });
  const send = (m: FromChild) => process.send!(m);
  process.on('message', async (m: ToChild) => {
    if (m.type === 'ceiling') {
      // The ceiling: the same express setup as src/http/app.ts (settings, a request
      // observer on finish/close, security headers, CORS on reads), one constant answer.
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
      for (const [name, b] of Object.entries(m.bodies)) {
        if (b.text !== undefined) app.get('/' + name, (_req, res) => void res.type('text/plain; charset=utf-8').send(b.text));
        else app.get('/' + name, (_req, res) => void res.json(b.json));
      }
      // Plain node:http: the same bodies, serialised per request as res.json does.
      const plain = http.createServer((req, res) => {
        const b = m.bodies[(req.url ?? '/').slice(1)];
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
      send({ type: 'ceiling', express: e, plain: p });
    } else if (m.type === 'stop') {
      for (const x of extra) {
        x.closeAllConnections();
        x.close();
      }
      await s.close();
      send({ type: 'stopped' });
      process.exit(0);
    }
  });
  send({ type: 'ready', url: s.url, size: s.log.size });
}

// ---- the load generator -------------------------------------------------------------

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

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const WRITE_RATE = Number(process.env.BENCH_WRITE_RATE ?? 1000);
const WARMUP = 2;
const load1 = () => os.loadavg()[0]!;

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  mbps: number;
  bad: number;
  load: number;
}

async function cannon(url: string, paths: string[], duration = DURATION): Promise<Measured> {
  let i = 0;
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration,
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
    load: load1(),
  };
}

async function measure(url: string, paths: string[]): Promise<Measured> {
  await cannon(url, paths, WARMUP);
  return cannon(url, paths);
}

/** A writer posting arrays of signed donations at a steady rate, in the background. */
function startWriter(base: string, dir: string, rate: number, seconds: number) {
  const keys = readBenchKeys(dir);
  const sign = eventSigner(keys['children-foundation']!) as (u: UnsignedEvent) => Envelope;
  const tag = Date.now().toString(36);
  const per = 100;
  const tickMs = (per / rate) * 1000;
  const total = Math.ceil((rate * seconds) / per) * per;
  const batches: string[] = [];
  const time = new Date().toISOString();
  for (let b = 0; b < total / per; b++) {
    const evs: Envelope[] = [];
    for (let k = 0; k < per; k++) {
      const id = `w-${tag}-${b * per + k}`;
      evs.push(
        sign({ v: 1, type: 'donation', id, org: 'children-foundation', time, body: { fund: 'music-classrooms', amount: { currency: 'CNY', value: String(100 + ((b * 7 + k) % 4900)) }, donor: donorCommitment(id, 'w' + k), channel: 'goods-for-good' } }),
      );
    }
    batches.push(JSON.stringify(evs));
  }
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

async function benchMain(): Promise<void> {
  const N = benchEntries();
  console.log(`# pnpm bench http — log of ${N.toLocaleString('en-US')} entries\n`);
  console.log(`machine: ${machine()}`);
  console.log(`load average at start (1/5/15 min): ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}\n`);
  const built = await makeLog(benchLogDir(N), N);
  const dir = built.dir;

  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    execArgv: [...process.execArgv, ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])],
    env: { ...process.env, COTC_BENCH_HTTP_ROLE: 'server', COTC_BENCH_DIR: dir },
    stdio: 'inherit',
  });
  const inbox: FromChild[] = [];
  const waiters: Array<() => void> = [];
  let exited: number | null | undefined;
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  child.on('message', (m: FromChild) => {
    inbox.push(m);
    wake();
  });
  child.once('exit', (code) => {
    exited = code;
    wake();
  });
  const next = async <T extends FromChild['type']>(type: T): Promise<Extract<FromChild, { type: T }>> => {
    for (;;) {
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) return inbox.splice(i, 1)[0] as Extract<FromChild, { type: T }>;
      if (exited !== undefined) throw new Error(`the server process exited (${exited})`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  const ready = await next('ready');
  const base = ready.url;
  console.log(`server: ${base}, log size ${ready.size.toLocaleString('en-US')} (data dir ${dir})\n`);

  try {
    // Samples: donations whose money has moved (rounds drained, see make-log), and events
    // at uniformly random positions of the log (so mostly donations, as in the log).
    const meta = built.meta;
    const movedBelow = Math.max(ROUND, (meta.rounds - 6) * ROUND);
    let seed = 20201231;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const traces: Array<{ path: string; bytes: number; entries: number; nodes: number; hops: string; body: unknown }> = [];
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
    const size = ready.size;
    const events: Array<{ path: string; bytes: number; type: string; body: unknown }> = [];
    for (let k = 0; k < 500; k++) {
      const seq = Math.floor(rnd() * size);
      const e = (await (await fetch(`${base}/v1/entries?start=${seq}&limit=1`)).json()) as { entries: Array<{ data: string }> };
      const entry = JSON.parse(Buffer.from(e.entries[0]!.data, 'base64').toString('utf8')) as { event: { id: string; type: string } };
      const r = await fetch(`${base}/v1/events/${entry.event.id}`);
      const text = await r.text();
      if (r.status !== 200) throw new Error(`GET /v1/events/${entry.event.id}: ${r.status}`);
      events.push({ path: `/v1/events/${entry.event.id}`, bytes: Buffer.byteLength(text), type: entry.event.type, body: JSON.parse(text) });
    }
    const checkpoint = await (await fetch(`${base}/checkpoint`)).text();
    const median = <T extends { bytes: number }>(xs: T[]) => [...xs].sort((a, b) => a.bytes - b.bytes)[Math.floor(xs.length / 2)]!;
    const mt = median(traces);
    const me = median(events);
    const stats = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return `median ${percentile(s, 50).toLocaleString('en-US')}, p90 ${percentile(s, 90).toLocaleString('en-US')}, max ${s[s.length - 1]!.toLocaleString('en-US')}`;
    };
    const hopKinds = new Map<string, number>();
    for (const t of traces) hopKinds.set(t.hops, (hopKinds.get(t.hops) ?? 0) + 1);
    console.log(`trace samples: ${traces.length} donations with multi-hop traces; bytes ${stats(traces.map((t) => t.bytes))}; entries per bundle ${stats(traces.map((t) => t.entries))}`);
    console.log(`  shapes: ${[...hopKinds].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, n]) => `${k} ×${n}`).join('; ')}`);
    console.log(`event samples: ${events.length} at random seqs (${events.filter((e) => e.type === 'donation').length} donations); bytes ${stats(events.map((e) => e.bytes))}`);
    console.log(`checkpoint: ${Buffer.byteLength(checkpoint)} bytes\n`);

    child.send({ type: 'ceiling', bodies: { trace: { json: mt.body }, event: { json: me.body }, checkpoint: { text: checkpoint } } } satisfies ToChild);
    const ceil = await next('ceiling');

    const rows: Array<Array<string | number>> = [];
    const tracePaths = traces.map((t) => t.path);
    const eventPaths = events.map((e) => e.path);
    const res: Record<string, Measured> = {};
    const run = async (key: string, url: string, paths: string[]) => {
      process.stderr.write(`  running ${key} …\n`);
      res[key] = await measure(url, paths);
      if (res[key]!.bad > 0) console.log(`warning: ${key}: ${res[key]!.bad} non-2xx answers, errors or timeouts`);
    };
    // Ceilings first and last would bracket drift; run them after the real reads.
    await run('trace', base, tracePaths);
    await run('event', base, eventPaths);
    await run('checkpoint', base, ['/checkpoint']);
    const seconds = 2 * (WARMUP + DURATION) + 6;
    const writer = startWriter(base, dir, WRITE_RATE, seconds);
    writer.start();
    await run('trace+w', base, tracePaths);
    await run('event+w', base, eventPaths);
    const w = await writer.stop();
    for (const k of ['trace', 'event', 'checkpoint'] as const) {
      await run(`express ${k}`, ceil.express, ['/' + k]);
      await run(`node ${k}`, ceil.plain, ['/' + k]);
    }

    const sizeOf = { trace: mt.bytes, event: me.bytes, checkpoint: Buffer.byteLength(checkpoint) };
    const row = (label: string, key: string, ceilKey: 'trace' | 'event' | 'checkpoint', bytes: string) => {
      const m = res[key]!;
      const c = res[`express ${ceilKey}`]!;
      rows.push([label, bytes, m.rps, m.p50, m.p99, m.mbps, key.startsWith('express') ? '1.00' : (m.rps / c.rps).toFixed(2), m.load]);
    };
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    row('GET /v1/donations/:id/trace (200 ids, rotating)', 'trace', 'trace', `${kb(sizeOf.trace)} (median)`);
    row('GET /v1/events/:id (500 ids, rotating)', 'event', 'event', `${kb(sizeOf.event)} (median)`);
    row('GET /checkpoint', 'checkpoint', 'checkpoint', `${sizeOf.checkpoint} B`);
    row(`GET /v1/donations/:id/trace, under writes`, 'trace+w', 'trace', `${kb(sizeOf.trace)} (median)`);
    row(`GET /v1/events/:id, under writes`, 'event+w', 'event', `${kb(sizeOf.event)} (median)`);
    for (const k of ['trace', 'event', 'checkpoint'] as const) {
      row(`ceiling: express 5, constant ${k}-size answer`, `express ${k}`, k, k === 'checkpoint' ? `${sizeOf[k]} B` : kb(sizeOf[k]));
      row(`ceiling: node:http, constant ${k}-size answer`, `node ${k}`, k, k === 'checkpoint' ? `${sizeOf[k]} B` : kb(sizeOf[k]));
    }
    console.log(
      `autocannon: ${CONNECTIONS} connections, ${DURATION} s per row after a ${WARMUP} s warm-up, loopback; server (startServer, quiet) and ceilings in a child process\n`,
    );
    console.log(table(['route', 'answer size', 'req/s', 'p50 ms', 'p99 ms', 'MiB/s', 'vs express ceiling', 'load (1 min)'], rows));
    console.log();
    console.log(
      `background writer during the "under writes" rows: target ${WRITE_RATE.toLocaleString('en-US')} events/s in arrays of 100, achieved ${w.eps.toLocaleString('en-US')} events/s (${w.accepted.toLocaleString('en-US')} appended, ${w.refused} refused, ${w.skipped} arrays skipped with 8 in flight), ack p50 ${w.p50.toFixed(1)} ms, p99 ${w.p99.toFixed(1)} ms`,
    );
    console.log(`\nload average at end (1/5/15 min): ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')} (this benchmark's own two processes count for up to ~2 of it)`);
  } finally {
    child.send({ type: 'stop' } satisfies ToChild);
    await Promise.race([next('stopped').catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
    if (exited === undefined) await new Promise((r) => child.once('exit', r));
  }
}

if (process.env.COTC_BENCH_HTTP_ROLE === 'server') await serverProcess(process.env.COTC_BENCH_DIR!);
else await benchMain();
