// `pnpm bench store` (issue 14 §5): the PostgreSQL backend against LevelDB, in one run.
//   1. durable ingest: BENCH_STORE_EVENTS (default 20,000) signed donations through the
//      real LogService (arrays of 1000, 8 in flight, batches of up to 1000 events), on
//      LevelDB (sync writes) and on PostgreSQL (one transaction per batch, synchronous_commit
//      on, fsync on): events/s, each acknowledged only once durable;
//   2. proof reads: GET /v1/events/:id (entry + inclusion proof + checkpoint) over HTTP
//      under autocannon, on one LevelDB server, and on PostgreSQL with 1, 2 and 3 reader
//      processes beside the sequencer (one autocannon per reader, run together, summed);
//   3. takeover: the time from SIGKILL of the sequencer until another process says it
//      sequences (/healthz polled every 20 ms), BENCH_STORE_KILLS (default 5) times.
// PostgreSQL: COTC_PG_URL when set, else a throwaway cluster (test/helpers/postgres.ts).
//   BENCH_DURATION (default 10) s per read row after a 2 s warm-up; BENCH_CONNECTIONS (32)
//   connections per autocannon.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { Envelope } from '@cotc/ledger';
import { openDataDir } from '../src/log/datadir.ts';
import { LogService } from '../src/log/service.ts';
import { LevelStore } from '../src/storage/level.ts';
import { PgStore } from '../src/storage/postgres.ts';
import type { LogStore } from '../src/storage/types.ts';
import { cannon, CONNECTIONS, DURATION, loadavg, machine, table, WARMUP, type Measured } from './bench-util.ts';
import { cny, donor, ev, type Org } from '../test/helpers/events.ts';
import { freshDatabase, startCluster, type PgCluster } from '../test/helpers/postgres.ts';
import { kill, startChild } from '../test/helpers/child.ts';

const EVENTS = Number(process.env.BENCH_STORE_EVENTS ?? 20_000);
const KILLS = Number(process.env.BENCH_STORE_KILLS ?? 5);
const here = path.dirname(fileURLToPath(import.meta.url));
const serveChild = path.join(here, '..', 'test', 'helpers', 'serve-child.ts');

console.log(`# pnpm bench store — PostgreSQL vs LevelDB\n`);
console.log(`machine: ${machine()}`);
console.log(`load average at start (1/5/15 min): ${loadavg()}\n`);

let own: PgCluster | null = null;
const pgUrl = process.env.COTC_PG_URL ?? (own = await startCluster()).url;
const servers = { url: pgUrl, replicaUrl: null };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cotc-bench-store-'));
const procs: ChildProcess[] = [];
try {
  // ---- the events: one fund, EVENTS donations, signed once, posted to both backends ----
  const keysDir = path.join(tmp, 'keys');
  const dd = openDataDir(keysDir, { origin: 'bench.example/store' });
  const op: Org = { id: dd.operator, signerKey: dd.operatorKey, verifierKey: '' };
  const fund = ev(op, 'fund.open', { fund: 'bench', name: 'Bench fund', currency: 'CNY', restricted: false, purpose: 'benchmarking' }, 'bench-fund');
  const t0 = performance.now();
  const donations: Envelope[] = Array.from({ length: EVENTS }, (_, i) => ev(op, 'donation', { fund: 'bench', amount: cny(100 + (i % 4900)), donor: donor(`d${i}`), channel: 'bench' }, `d-${i}`));
  console.log(`signed ${EVENTS.toLocaleString('en-US')} donations in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

  const ingest = async (store: LogStore) => {
    const log = await LogService.open({ store, logKey: dd.logKey, operatorKey: dd.operatorKey, maxBatch: 1000 });
    if ((await log.submit(fund)).status !== 201) throw new Error('fund.open refused');
    const arrays: Envelope[][] = [];
    for (let i = 0; i < donations.length; i += 1000) arrays.push(donations.slice(i, i + 1000));
    const s = performance.now();
    let next = 0;
    let ok = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < arrays.length) {
          for (const r of await log.submitMany(arrays[next++]!)) if (r.status === 201) ok++;
        }
      }),
    );
    const ms = performance.now() - s;
    const size = log.size;
    await log.close();
    if (ok !== EVENTS) throw new Error(`only ${ok} of ${EVENTS} appended`);
    return { eps: Math.round((EVENTS / ms) * 1000), size, load: os.loadavg()[0]! };
  };
  const levelDir = path.join(tmp, 'level');
  fs.cpSync(keysDir, levelDir, { recursive: true });
  process.stderr.write('  ingest: LevelDB …\n');
  const lv = await ingest(new LevelStore(path.join(levelDir, 'store')));
  const db = await freshDatabase(servers);
  process.stderr.write('  ingest: PostgreSQL …\n');
  const pgi = await ingest(new PgStore(db.url));
  console.log(table(
    ['durable ingest (LogService, in process)', 'events', 'events/s', 'vs LevelDB', 'load (1 min)'],
    [
      ['LevelDB (one synced write per batch)', EVENTS, lv.eps, '1.00', lv.load.toFixed(2)],
      ['PostgreSQL (one transaction per batch, synchronous_commit on)', EVENTS, pgi.eps, (pgi.eps / lv.eps).toFixed(2), pgi.load.toFixed(2)],
    ],
  ));
  console.log();

  // ---- proof reads over HTTP ----
  const start = async (dir: string, opts: object) => {
    const c = await startChild(serveChild, [dir, JSON.stringify({ rateLimit: false, web: false, ...opts })], 'server', 120_000);
    procs.push(c.proc);
    return c;
  };
  const paths = Array.from({ length: 500 }, (_, i) => `/v1/events/d-${Math.floor((i * 7919) % EVENTS)}`);
  const rows: Array<Array<string | number>> = [];
  const read = async (label: string, urls: string[], base?: number) => {
    process.stderr.write(`  reads: ${label} …\n`);
    await Promise.all(urls.map((u) => cannon(u, paths, WARMUP)));
    const ms: Measured[] = await Promise.all(urls.map((u) => cannon(u, paths, DURATION)));
    const rps = ms.reduce((a, m) => a + m.rps, 0);
    const bad = ms.reduce((a, m) => a + m.bad, 0);
    const p99 = Math.max(...ms.map((m) => m.p99));
    rows.push([label, urls.length, rps, base ? (rps / base).toFixed(2) : '1.00', p99, bad, os.loadavg()[0]!.toFixed(2)]);
    return rps;
  };
  const level = await start(levelDir, {});
  const lrps = await read('LevelDB, one server', [level.url]);
  await kill(level.proc);
  const pgDir = path.join(tmp, 'pg');
  fs.cpSync(keysDir, pgDir, { recursive: true });
  const seqr = await start(pgDir, { store: db.url });
  await read('PostgreSQL, the sequencer alone', [seqr.url], lrps);
  const readers: string[] = [];
  for (let k = 1; k <= 3; k++) {
    readers.push((await start(pgDir, { store: db.url })).url);
    await read(`PostgreSQL, ${k} reader process${k > 1 ? 'es' : ''}`, [...readers], lrps);
  }
  console.log(`autocannon: ${CONNECTIONS} connections per server, ${DURATION} s per row after a ${WARMUP} s warm-up, loopback; GET /v1/events/:id over 500 ids`);
  console.log(table(['proof reads (GET /v1/events/:id)', 'servers read', 'req/s (sum)', 'vs LevelDB', 'p99 ms (worst)', 'non-2xx/errors', 'load (1 min)'], rows));
  console.log();

  // ---- takeover after SIGKILL ----
  const all = [seqr.url, ...readers].map((url, i) => ({ url, proc: procs[procs.length - 4 + i]! }));
  const roleOf = async (u: string) => {
    try {
      const r = await fetch(u + '/healthz', { signal: AbortSignal.timeout(2000) });
      return r.ok ? ((await r.json()) as { role: string }).role : null;
    } catch {
      return null;
    }
  };
  const takeovers: number[] = [];
  for (let k = 0; k < KILLS; k++) {
    process.stderr.write(`  takeover ${k + 1}/${KILLS} …\n`);
    let s = -1;
    while (s < 0) {
      for (let i = 0; i < all.length; i++) if ((await roleOf(all[i]!.url)) === 'sequencer') s = i;
    }
    const t = performance.now();
    await kill(all[s]!.proc);
    const others = all.filter((_, i) => i !== s);
    let found = false;
    while (!found) {
      for (const o of others) if ((await roleOf(o.url)) === 'sequencer') found = true;
      if (!found) await new Promise((r) => setTimeout(r, 20));
    }
    takeovers.push(performance.now() - t);
    const c = await start(pgDir, { store: db.url });
    all[s] = { url: c.url, proc: c.proc };
  }
  takeovers.sort((a, b) => a - b);
  console.log(
    `takeover after SIGKILL of the sequencer (4 processes, election tick 200 ms, lease 3 s), ${KILLS} kills: ` +
      `median ${Math.round(takeovers[takeovers.length >> 1]!)} ms, max ${Math.round(takeovers[takeovers.length - 1]!)} ms`,
  );
  console.log(`\nload average at end (1/5/15 min): ${loadavg()}`);
} finally {
  for (const p of procs) await kill(p);
  own?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
