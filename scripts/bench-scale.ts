// `pnpm bench scale`: issue 10's figures, for each log size, each beside its target.
//   --sizes 10k,1M,10M      log sizes (default 10k,1M,10M); k and M suffixes
//   --mixed-seconds 60      seconds of mixed load (reads + ~1,000 writes/s) before the RSS
//   --ingest 20000          events appended per ingest row (in process, and again over HTTP)
//   --cache DIR             where the logs are built and kept (default os.tmpdir()); a log is
//                           reused when its bench-meta.json says it is big enough (make-log);
//                           logs up to 2M entries are copied before the rows that append
//   BENCH_DURATION, BENCH_CONNECTIONS as for `pnpm bench http`
//
// For each size: build (or reuse) the log with make-log; the two-core signature-verify
// ceiling on the ingest's events; durable in-process ingest (LogService, signatures on a
// VerifyPool) and HTTP ingest (arrays of 1000) appended to that log; the storage path alone
// vs hypercore with its write-ahead log fsynced; a server child (bench-http's server role):
// start-up to /healthz 200, RSS after start, cold event + proof reads, trace bundle reads
// alone and under writes vs express answering a constant of the same bytes, RSS after the
// mixed load; the auditor's replay without and with signatures (each in a child, for its
// peak RSS).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseSignerKey } from '@cotc/tlog';
import type { Envelope } from '@cotc/ledger';
import { audit } from '../src/audit/audit.ts';
import { storeSource } from '../src/audit/sources.ts';
import { VerifyPool } from '../src/crypto/verify-pool.ts';
import { openDataDir, readKeyFile } from '../src/log/datadir.ts';
import { LogService } from '../src/log/service.ts';
import { startServer } from '../src/server.ts';
import { openStore } from '../src/storage/open.ts';
import {
  benchDonations,
  cannon,
  forkChild,
  loadavg,
  machine,
  measure,
  rate,
  rssOf,
  sampleReads,
  signatureCeiling,
  startWriter,
  storageOnly,
  table,
  type Measured,
} from './bench-util.ts';
import { benchLogDir, donationId, makeLog, readBenchKeys, type BenchMeta } from './make-log.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));

function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s.trim());
  if (!m) throw new Error(`--sizes: expected sizes like 10k,1M,10M, got ${JSON.stringify(s)}`);
  const n = Number(m[1]) * (m[2]!.toLowerCase() === 'k' ? 1e3 : m[2]!.toLowerCase() === 'm' ? 1e6 : 1);
  if (!Number.isSafeInteger(n) || n < 2000) throw new Error(`--sizes: each size must be an integer ≥ 2000, got ${s}`);
  return n;
}

function args() {
  // `tsx scripts/bench.ts scale …` or `tsx scripts/bench-scale.ts …`
  const off = process.argv[2] === 'scale' ? 3 : 2;
  const argv = process.argv.slice(off);
  const get = (name: string) => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${name}: expected a value`);
    return v;
  };
  const num = (name: string, d: number) => {
    const v = get(name);
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}: expected a positive number, got ${v}`);
    return n;
  };
  return {
    sizes: (get('--sizes') ?? '10k,1M,10M').split(',').map(parseSize),
    mixedSeconds: num('--mixed-seconds', 60),
    ingest: Math.round(num('--ingest', 20_000)),
    cache: get('--cache') ?? os.tmpdir(),
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (a: number, b: number) => (a / b).toFixed(2);

/** Arrays of 1000 from `clients` concurrent submitters; throws on any refusal. */
async function drive(events: Envelope[], clients: number, post: (chunk: Envelope[]) => Promise<Array<{ status: number }>>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < events.length) {
        const chunk = events.slice(next, next + 1000);
        next += 1000;
        const rs = await post(chunk);
        // 200: the identical event already appended (a retried post, see httpIngest)
        const bad = rs.find((r) => r.status !== 201 && r.status !== 200);
        if (bad) throw new Error(`ingest refused: ${JSON.stringify(bad).slice(0, 300)}`);
      }
    }),
  );
  return rate(events.length, performance.now() - t0);
}

async function inProcessIngest(dir: string, events: Envelope[]) {
  const dd = openDataDir(dir);
  const pool = new VerifyPool(os.cpus().length);
  const t0 = performance.now();
  const log = await LogService.open({ store: await openStore(dd.storePath), logKey: dd.logKey, pool });
  const openMs = performance.now() - t0;
  try {
    // A warm-up (the sequencer's code compiled, its caches filled), not counted.
    const warm = Math.min(2000, Math.floor(events.length / 5));
    await drive(events.slice(0, warm), 2, (c) => log.submitMany(c));
    const eps = await drive(events.slice(warm), 4, (c) => log.submitMany(c));
    return { eps, openMs, size: log.size };
  } finally {
    await log.close();
    await pool.close();
  }
}

async function httpIngest(dir: string, events: Envelope[]) {
  // Raw throughput from one client: the per-client write limits off (as bench ledger).
  const s = await startServer(dir, { port: 0, host: '127.0.0.1', quiet: true, rateLimit: false });
  try {
    return await drive(events, 4, async (chunk) => {
      const body = JSON.stringify(chunk);
      const post = async () => (await (await fetch(s.url + '/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json()) as Array<{ status: number }>;
      // One retry on a network error: on a loaded machine a reply can outlast the server's
      // keep-alive, and the client reuses a socket the server has just closed (as in bench
      // audit). Posting the same events again is safe: the log answers 200 for those it has.
      try {
        return await post();
      } catch (e) {
        process.stderr.write(`  HTTP ingest: ${(e as Error).message}; retrying the array once\n`);
        return post();
      }
    });
  } finally {
    await s.close();
  }
}

/** hypercore (the dev dependency pinned for this row only), appending the same 700-byte
 * entries in batches, its RocksDB write-ahead log fsynced after every append (hypercore
 * itself does not sync it: durability is what LevelStore's commit pays for). */
async function hypercoreOnly(dir: string, total: number, batch: number): Promise<number | string> {
  let Hypercore: new (dir: string) => { ready(): Promise<void>; append(b: Buffer[]): Promise<unknown>; close(): Promise<void> };
  try {
    Hypercore = createRequire(import.meta.url)('hypercore');
  } catch (e) {
    return `hypercore not installed (${(e as Error).message.split('\n')[0]})`;
  }
  const core = new Hypercore(dir);
  await core.ready();
  const wal = path.join(dir, 'db');
  const syncWal = async () => {
    const logs = fs.readdirSync(wal).filter((f) => f.endsWith('.log')).sort();
    const f = await fs.promises.open(path.join(wal, logs[logs.length - 1]!), 'r');
    try {
      await f.sync();
    } finally {
      await f.close();
    }
  };
  const entry = Buffer.alloc(700, 97);
  let size = 0;
  const t0 = performance.now();
  while (size < total) {
    const n = Math.min(batch, total - size);
    const b: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const e = Buffer.from(entry);
      e.write(String(size + i), 0);
      b.push(e);
    }
    await core.append(b);
    await syncWal();
    size += n;
  }
  const eps = rate(total, performance.now() - t0);
  await core.close();
  return eps;
}

type AuditMsg = { type: 'audited'; ok: boolean; problems: string; size: number; seconds: number; maxRssMiB: number };

async function auditChild(): Promise<void> {
  const dir = process.env.COTC_BENCH_DIR!;
  const signatures = process.env.COTC_BENCH_SIGS === '1';
  const logKey = parseSignerKey(readKeyFile(path.join(dir, 'log.key'))).verifierKey;
  const store = await openStore(path.join(dir, 'store'));
  const src = await storeSource(store);
  try {
    const r = await audit(src, { logKey, signatures });
    process.send!({ type: 'audited', ok: r.ok, problems: JSON.stringify(r.problems.slice(0, 3)), size: r.size, seconds: r.seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024 } satisfies AuditMsg);
  } finally {
    await store.close();
  }
}

async function runAudit(dir: string, signatures: boolean): Promise<AuditMsg> {
  const c = forkChild<AuditMsg>(fileURLToPath(import.meta.url), { COTC_BENCH_SCALE_ROLE: 'audit', COTC_BENCH_DIR: dir, COTC_BENCH_SIGS: signatures ? '1' : '0' });
  const m = await c.next('audited');
  if (c.exited() === undefined) await new Promise((r) => c.child.once('exit', r));
  if (!m.ok) throw new Error(`audit of ${dir} found problems: ${m.problems}`);
  return m;
}

type FromServer = { type: 'ready'; url: string; size: number } | { type: 'ceiling'; express: string; plain: string } | { type: 'stopped' };

async function serverFigures(dir: string, meta: BenchMeta, mixedSeconds: number) {
  const t0 = performance.now();
  // bench-http's server role: startServer(dir, quiet) and, on request, the ceiling apps.
  const c = forkChild<FromServer>(path.join(HERE, 'bench-http.ts'), { COTC_BENCH_HTTP_ROLE: 'server', COTC_BENCH_DIR: dir });
  try {
    const ready = await c.next('ready');
    const base = ready.url;
    for (;;) {
      const r = await fetch(base + '/healthz').catch(() => null);
      if (r?.status === 200) break;
      await new Promise((res) => setTimeout(res, 5));
    }
    const startMs = performance.now() - t0;
    const rssStart = rssOf(c.child.pid!).rss;

    // Event + proof reads of ids never read before, first (nothing has warmed the server yet).
    const picked: string[] = [];
    const step = 7919; // a prime: walks the donations in a scattered order, each once
    const n = Math.min(meta.donations, 30_000);
    for (let k = 0; k < n; k++) picked.push(`/v1/events/${donationId((k * step) % meta.donations)}`);
    const cold = await cannon(base, picked, 30, { once: true });

    const { traces, events } = await sampleReads(base, meta.rounds, ready.size);
    if (traces.length === 0) throw new Error('no multi-hop trace found in the log');
    const median = <T extends { bytes: number }>(xs: T[]) => [...xs].sort((a, b) => a.bytes - b.bytes)[Math.floor(xs.length / 2)]!;
    const mt = median(traces);
    const me = median(events);
    c.child.send({ type: 'ceiling', bodies: { trace: { json: mt.body }, event: { json: me.body } } });
    const ceil = await c.next('ceiling');
    const tracePaths = traces.map((t) => t.path);
    const trace = await measure(base, tracePaths);
    const keys = readBenchKeys(dir);
    const writer = startWriter(base, keys, 1000, 14 + mixedSeconds + 6);
    writer.start();
    const traceW = await measure(base, tracePaths);
    // The mixed load: trace and event reads in rotation, under the same writes.
    const mixPaths = tracePaths.flatMap((p, i) => [p, events[i % events.length]!.path]);
    const mixed = await cannon(base, mixPaths, mixedSeconds);
    const w = await writer.stop();
    const rssMixed = rssOf(c.child.pid!);
    const exTrace = await measure(ceil.express, ['/trace']);
    const exEvent = await measure(ceil.express, ['/event']);
    return { startMs, rssStart, rssMixed, cold, trace, traceW, mixed, w, exTrace, exEvent, traceBytes: mt.bytes, eventBytes: me.bytes, entriesPerBundle: mt.entries };
  } finally {
    c.child.send({ type: 'stop' });
    await Promise.race([c.next('stopped').catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
    if (c.exited() === undefined) await new Promise((r) => c.child.once('exit', r));
  }
}

async function benchMain(): Promise<void> {
  const o = args();
  console.log(`# pnpm bench scale — sizes ${o.sizes.map(fmt).join(', ')}\n`);
  console.log(`machine: ${machine()}`);
  console.log(`load average at start (1/5/15 min): ${loadavg()}`);
  console.log(`ingest rows: ${fmt(o.ingest)} events each, arrays of 1000, 4 concurrent submitters; mixed load ${o.mixedSeconds} s\n`);
  const cores = os.cpus().length;
  for (const n of o.sizes) {
    const cached = path.join(o.cache, path.basename(benchLogDir(n)));
    const built = await makeLog(cached, n, { log: (l) => process.stderr.write(l + '\n') });
    const meta = built.meta;
    // The ingest rows append: up to 2M entries they append to a copy, so that the figures are
    // for the log's own size and the cached log stays as built; above that, to the log itself
    // (its growth is then under 1%), which only grows.
    const work = meta.size <= 2_000_000 ? fs.mkdtempSync(path.join(o.cache, `cotc-bench-scale-${n}-`)) : null;
    if (work) fs.cpSync(cached, work, { recursive: true });
    const dir = work ?? cached;
    try {
      const keys = readBenchKeys(dir);
      const pub = parseSignerKey(keys['children-foundation']!).publicKey;
      const tag = `s${Date.now().toString(36)}`;
      const evA = benchDonations(keys, o.ingest, tag + 'a');
      const evB = benchDonations(keys, o.ingest, tag + 'b');
      process.stderr.write(`  ${fmt(n)}: signature ceiling, ingest …\n`);
      const ceil = await signatureCeiling(pub, evA);
      const ing = await inProcessIngest(dir, evA);
      const http = await httpIngest(dir, evB);
      process.stderr.write(`  ${fmt(n)}: storage path vs hypercore …\n`);
      const tmp = fs.mkdtempSync(path.join(o.cache, 'cotc-bench-scale-'));
      let store: { total: number; commitOnly: number };
      let hyper: number | string;
      try {
        const total = 100_000;
        store = await storageOnly(path.join(tmp, 'level'), total, 1000);
        hyper = await hypercoreOnly(path.join(tmp, 'hypercore'), total, 1000);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
      process.stderr.write(`  ${fmt(n)}: server (start-up, reads, ${o.mixedSeconds} s mixed load) …\n`);
      const s = await serverFigures(dir, meta, o.mixedSeconds);
      process.stderr.write(`  ${fmt(n)}: audit without / with signatures …\n`);
      const a0 = await runAudit(dir, false);
      const a1 = await runAudit(dir, true);
      const a0r = rate(a0.size, a0.seconds * 1000);
      const a1r = rate(a1.size, a1.seconds * 1000);
      const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
      const rows: Array<Array<string | number>> = [
        [`two-core signature-verify ceiling (${cores} workers, node:crypto)`, `${fmt(ceil.all)}/s (one core ${fmt(ceil.one)}/s)`, '', ''],
        ['durable in-process ingest, signatures on workers', `${fmt(ing.eps)} events/s, ${ratio(ing.eps, ceil.all)} of the ceiling`, '≥ 9,000 events/s and ≥ 0.6', mark(ing.eps >= 9000 && ing.eps / ceil.all >= 0.6)],
        ['HTTP ingest, arrays of 1000, vs in-process', `${fmt(http)} events/s, ${ratio(http, ing.eps)}×`, '≥ 0.8×', mark(http / ing.eps >= 0.8)],
        [
          'storage path alone, synced batches of 1000, vs hypercore (WAL fsynced)',
          typeof hyper === 'number' ? `${fmt(store.total)} vs ${fmt(hyper)} entries/s, ${ratio(store.total, hyper)}×` : `${fmt(store.total)} entries/s; ${hyper}`,
          '≥ 1.0×',
          typeof hyper === 'number' ? mark(store.total >= hyper) : 'not measured',
        ],
        ['server RSS after start / after mixed load', `${fmt(s.rssStart)} / ${fmt(s.rssMixed.rss)} MiB (peak ${fmt(s.rssMixed.peak)})`, '< 300 MB (10M log)', mark(s.rssMixed.peak < 300)],
        ['start-up to /healthz 200 (child process, incl. Node + tsx boot) / LogService.open', `${fmt(s.startMs)} ms / ${fmt(ing.openMs)} ms`, '< 1 s', mark(s.startMs < 1000)],
        ['audit replay without / with every signature', `${fmt(a0r)} / ${fmt(a1r)} entries/s (${ratio(a1r, ceil.all)} of the ceiling)`, '≥ 100,000/s / ≥ 0.8', mark(a0r >= 100_000 && a1r / ceil.all >= 0.8)],
        ['audit peak memory (RSS) without / with signatures', `${fmt(a0.maxRssMiB)} / ${fmt(a1.maxRssMiB)} MiB`, '< 500 MB (10M log)', mark(Math.max(a0.maxRssMiB, a1.maxRssMiB) < 500)],
        [
          `trace bundle reads (${(s.traceBytes / 1024).toFixed(1)} KiB median, ${s.entriesPerBundle} entries) vs express constant`,
          `${fmt(s.trace.rps)} vs ${fmt(s.exTrace.rps)} req/s, ${ratio(s.trace.rps, s.exTrace.rps)}`,
          '≥ 0.5',
          mark(s.trace.rps / s.exTrace.rps >= 0.5),
        ],
        [
          `trace bundle reads under writes (${fmt(s.w.eps)} writes/s achieved)`,
          `${fmt(s.traceW.rps)} req/s, ${ratio(s.traceW.rps, s.exTrace.rps)}`,
          '≥ 0.35',
          mark(s.traceW.rps / s.exTrace.rps >= 0.35),
        ],
        [
          `event + proof reads, ids never read before (${fmt(s.cold.rps)} req/s over ${fmt(Math.min(meta.donations, 30_000))} ids) vs express constant (${(s.eventBytes / 1024).toFixed(1)} KiB)`,
          `${fmt(s.cold.rps)} vs ${fmt(s.exEvent.rps)} req/s, ${ratio(s.cold.rps, s.exEvent.rps)}`,
          '≥ 0.6',
          mark(s.cold.rps / s.exEvent.rps >= 0.6),
        ],
        [`mixed load (${o.mixedSeconds} s, trace + event reads under writes)`, `${fmt(s.mixed.rps)} req/s, p99 ${s.mixed.p99} ms`, '', ''],
      ];
      const bad = [s.cold, s.trace, s.traceW, s.mixed, s.exTrace, s.exEvent].reduce((t, m: Measured) => t + m.bad, 0);
      console.log(`## log of ${fmt(meta.size)} entries (asked ${fmt(n)}; ${built.built ? `built in ${built.seconds.toFixed(0)} s` : 'reused'}; ${fmt(ing.size - o.ingest)} when the ingest began${work ? ', a copy' : ''}) — load ${loadavg()}\n`);
      console.log(table(['figure', 'measured', 'target', ''], rows));
      if (bad > 0) console.log(`\nwarning: ${bad} non-2xx answers, errors or timeouts in the read rows`);
      console.log();
    } finally {
      if (work) fs.rmSync(work, { recursive: true, force: true });
    }
  }
  console.log(`load average at end (1/5/15 min): ${loadavg()}`);
}

if (process.env.COTC_BENCH_SCALE_ROLE === 'audit') await auditChild();
else await benchMain();
