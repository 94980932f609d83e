// `pnpm bench mirror`: reads of the log's C2SP tlog-tiles (hash tiles, entry bundles), its
// trace bundles and its checkpoint, from the API and from the static mirror (`cotc mirror`)
// served by Debian's nginx, in the same run, under autocannon: requests/s, latency, the
// ratio nginx / API, the load average per row. Also the time of the mirror's first pass
// and of an incremental pass after 1,000 more entries.
//   BENCH_ENTRIES (default 10000)   log size (scripts/make-log.ts, cached)
//   BENCH_DURATION (default 10)     seconds per row (after a 2 s warm-up)
//   BENCH_CONNECTIONS (default 32)  autocannon connections
// One API process (startServer, quiet) and one nginx worker process: one core each.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { entriesPath, hashTilePath, tileWidthAt } from '@cotc/tlog';
import { startServer } from '../src/server.ts';
import { mirrorPass, type PassResult } from '../src/mirror/mirror.ts';
import { startNginx } from '../test/helpers/nginx.ts';
import { CONNECTIONS, DURATION, WARMUP, benchDonations, forkChild, machine, measure, sampleReads, table, type Measured } from './bench-util.ts';
import { benchLogDir, makeLog, readBenchKeys } from './make-log.ts';

type ToChild = { type: 'mirror'; out: string } | { type: 'stop' };
type FromChild = { type: 'ready'; url: string; size: number } | { type: 'mirrored'; r: PassResult } | { type: 'stopped' };

async function serverProcess(dir: string): Promise<void> {
  const s = await startServer(dir, { port: 0, host: '127.0.0.1', quiet: true, rateLimit: false });
  const send = (m: FromChild) => process.send!(m);
  process.on('message', async (m: ToChild) => {
    if (m.type === 'mirror') send({ type: 'mirrored', r: await mirrorPass(s.log, m.out) });
    else {
      await s.close();
      send({ type: 'stopped' });
      process.exit(0);
    }
  });
  send({ type: 'ready', url: s.url, size: s.log.size });
}

async function benchMain(): Promise<void> {
  const N = Number(process.env.BENCH_ENTRIES ?? 10_000);
  console.log(`# pnpm bench mirror — log of ${N.toLocaleString('en-US')} entries\n`);
  console.log(`machine: ${machine()}`);
  console.log(`load average at start (1/5/15 min): ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}\n`);
  const built = await makeLog(benchLogDir(N), N);
  // The bench log is shared with other benches: mirror a copy, so the growth below stays here.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cotc-bench-mirror-'));
  fs.cpSync(built.dir, dir, { recursive: true });
  const out = path.join(dir, 'mirror');
  fs.chmodSync(dir, 0o755);
  const { child, next, exited } = forkChild<FromChild>(fileURLToPath(import.meta.url), { COTC_BENCH_MIRROR_ROLE: 'server', COTC_BENCH_DIR: dir });
  const ready = await next('ready');
  const api = ready.url;
  let ngx: Awaited<ReturnType<typeof startNginx>> | undefined;
  try {
    child.send({ type: 'mirror', out } satisfies ToChild);
    const first = (await next('mirrored')).r;
    console.log(`first mirror pass: ${first.size.toLocaleString('en-US')} entries, ${first.tiles} tiles, ${first.bundles.toLocaleString('en-US')} trace bundles, ${first.records} records: ${first.files.toLocaleString('en-US')} files, ${(first.bytes / 2 ** 20).toFixed(1)} MiB in ${(first.ms / 1000).toFixed(1)} s`);
    // 1,000 more entries, then an incremental pass.
    const evs = benchDonations(readBenchKeys(dir), 1000, `mirror-${Date.now().toString(36)}`);
    for (let i = 0; i < evs.length; i += 500) {
      const r = await fetch(`${api}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(evs.slice(i, i + 500)) });
      if (r.status !== 200) throw new Error(`POST: ${r.status}`);
    }
    child.send({ type: 'mirror', out } satisfies ToChild);
    const second = (await next('mirrored')).r;
    console.log(`incremental pass after 1,000 more entries: ${second.tiles} tiles, ${second.bundles.toLocaleString('en-US')} trace bundles (every bundle carries the new checkpoint), ${second.records} records: ${second.files.toLocaleString('en-US')} files, ${(second.bytes / 2 ** 20).toFixed(1)} MiB in ${(second.ms / 1000).toFixed(1)} s\n`);
    ngx = await startNginx(out);
    const size = second.size;
    const full0 = Array.from({ length: Math.floor(size / 256) }, (_, n) => '/' + hashTilePath(0, n));
    const bundles = Array.from({ length: Math.floor(size / 256) }, (_, n) => '/' + entriesPath(n));
    const lastN = Math.floor(size / 256);
    const partial = ['/' + hashTilePath(0, lastN, tileWidthAt(0, lastN, size))];
    const { traces } = await sampleReads(api, built.meta.rounds, size);
    const tracePaths = traces.map((t) => t.path);
    const bytes = async (p: string) => (await (await fetch(api + p)).arrayBuffer()).byteLength;
    const rows: Array<Array<string | number>> = [];
    const pair = async (label: string, paths: string[]) => {
      const n = await bytes(paths[0]!);
      const size = n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
      process.stderr.write(`  running ${label} …\n`);
      const a: Measured = await measure(api, paths);
      const b: Measured = await measure(ngx!.url, paths);
      for (const [who, m] of [['API', a], ['nginx', b]] as const) {
        if (m.bad > 0) console.log(`warning: ${label} (${who}): ${m.bad} non-2xx answers, errors or timeouts`);
      }
      rows.push([label, size, a.rps, b.rps, (b.rps / a.rps).toFixed(1), `${a.p50} / ${b.p50}`, `${a.p99} / ${b.p99}`, `${a.load.toFixed(1)} / ${b.load.toFixed(1)}`]);
    };
    await pair(`full hash tiles, level 0 (${full0.length}, rotating)`, full0);
    await pair('partial hash tile at the head', partial);
    await pair(`full entry bundles (${bundles.length}, rotating)`, bundles);
    await pair(`trace bundles (${tracePaths.length} multi-hop donations, rotating)`, tracePaths);
    await pair('checkpoint', ['/checkpoint']);
    console.log(`autocannon: ${CONNECTIONS} connections, ${DURATION} s per row after a ${WARMUP} s warm-up, loopback; API: one node process (startServer, quiet); nginx: Debian's, one worker process, sendfile\n`);
    console.log(table(['read', 'answer size', 'API req/s', 'nginx req/s', 'nginx / API', 'p50 ms API / nginx', 'p99 ms API / nginx', 'load (1 min) API / nginx row'], rows));
    console.log(`\nload average at end (1/5/15 min): ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}`);
  } finally {
    await ngx?.stop();
    child.send({ type: 'stop' } satisfies ToChild);
    await Promise.race([next('stopped').catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
    if (exited() === undefined) await new Promise((r) => child.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.env.COTC_BENCH_MIRROR_ROLE === 'server') await serverProcess(process.env.COTC_BENCH_DIR!);
else await benchMain();
