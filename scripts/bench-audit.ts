// `pnpm bench audit`: the auditor's full replay of a log of BENCH_ENTRIES entries (default
// 1M, built once by scripts/make-log.ts and cached): from the data directory's store with
// and without signature checks, and from a server over HTTP (paged GET /v1/entries) with
// signature checks. Every run recomputes every hash, the chain, the state and the effects.
//   BENCH_ENTRIES (default 1000000)   log size (the cached log may have grown: the size
//                                     replayed is printed on every row)
//   BENCH_AUDIT_HTTP=0                skip the HTTP row
//
// The server runs in a child process (startServer, quiet), as it would on another machine.
import { fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSignerKey } from '@cotc/tlog';
import { audit, type AuditResult } from '../src/audit/audit.ts';
import { serverSource, storeSource } from '../src/audit/sources.ts';
import { LedgerClient } from '../src/client/client.ts';
import { readKeyFile } from '../src/log/datadir.ts';
import { LevelStore } from '../src/storage/level.ts';
import { startServer } from '../src/server.ts';
import { machine, rate, table } from './bench-util.ts';
import { benchEntries, benchLogDir, makeLog } from './make-log.ts';

async function serverProcess(dir: string): Promise<void> {
  const s = await startServer(dir, { port: 0, host: '127.0.0.1', quiet: true });
  process.on('message', async (m: { type: string }) => {
    if (m.type !== 'stop') return;
    await s.close();
    process.exit(0);
  });
  process.send!({ type: 'ready', url: s.url, size: s.log.size });
}

function progress(label: string) {
  let last = 0;
  let t0 = performance.now();
  return (done: number, total: number) => {
    if (done === 0) t0 = performance.now();
    const now = performance.now();
    if (done < total && now - last < 15_000) return;
    last = now;
    const s = (now - t0) / 1000;
    process.stderr.write(`  ${label}: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} entries, ${s.toFixed(0)} s, ${Math.round(done / Math.max(s, 0.001)).toLocaleString('en-US')}/s, load ${os.loadavg()[0]!.toFixed(2)}\n`);
  };
}

async function benchMain(): Promise<void> {
  const N = benchEntries();
  console.log(`# pnpm bench audit — log of ${N.toLocaleString('en-US')} entries\n`);
  console.log(`machine: ${machine()}`);
  console.log(`load average at start (1/5/15 min): ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}\n`);
  const { dir } = await makeLog(benchLogDir(N), N);
  const logKey = parseSignerKey(readKeyFile(path.join(dir, 'log.key'))).verifierKey;
  const rows: Array<Array<string | number>> = [];
  const add = (label: string, r: AuditResult, load: number) => {
    if (!r.ok) throw new Error(`${label}: the audit found problems: ${JSON.stringify(r.problems.slice(0, 3))}`);
    rows.push([label, r.size, rate(r.size, r.seconds * 1000), r.seconds, load]);
  };

  for (const signatures of [false, true]) {
    const label = `data directory (LevelDB), ${signatures ? 'with' : 'without'} signature checks`;
    const store = new LevelStore(path.join(dir, 'store'));
    const src = await storeSource(store);
    try {
      const r = await audit(src, { logKey, signatures, onProgress: progress(label) });
      add(label, r, os.loadavg()[0]!);
    } finally {
      await store.close();
    }
  }

  if (process.env.BENCH_AUDIT_HTTP !== '0') {
    const child = fork(fileURLToPath(import.meta.url), [], { execArgv: process.execArgv, env: { ...process.env, COTC_BENCH_AUDIT_ROLE: 'server', COTC_BENCH_DIR: dir }, stdio: 'inherit' });
    const ready = await new Promise<{ url: string; size: number }>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { url: string; size: number }));
      child.once('exit', (code) => reject(new Error(`the server process exited (${code})`)));
    });
    try {
      const label = 'server over HTTP (GET /v1/entries, pages of 1000), with signature checks';
      // One retry of a page on a network error: the replay of a page is synchronous, and on a
      // loaded machine it can outlast the server's 5 s keep-alive, so the client may reuse a
      // socket the server has just closed ("fetch failed": other side closed).
      const src = serverSource(new LedgerClient(ready.url));
      let retries = 0;
      const entries = src.entries.bind(src);
      src.entries = async (start, limit) => {
        try {
          return await entries(start, limit);
        } catch (e) {
          retries++;
          const cause = (e as { cause?: { cause?: { message?: string }; message?: string } }).cause;
          process.stderr.write(`  page at ${start}: ${(e as Error).message} (${cause?.cause?.message ?? cause?.message ?? 'no cause'}); retrying once\n`);
          return entries(start, limit);
        }
      };
      const r = await audit(src, { logKey, signatures: true, onProgress: progress(label) });
      add(retries ? `${label} (${retries} page${retries > 1 ? 's' : ''} retried after a network error)` : label, r, os.loadavg()[0]!);
    } finally {
      child.send({ type: 'stop' });
      await new Promise((r) => child.once('exit', r));
    }
  }

  console.log(table(['replay source', 'entries', 'entries/s', 'seconds', 'load (1 min) at end'], rows));
  console.log(`\nload average at end (1/5/15 min): ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')} (the audit itself counts for ~1, the HTTP row's server for ~1 more)`);
}

if (process.env.COTC_BENCH_AUDIT_ROLE === 'server') await serverProcess(process.env.COTC_BENCH_DIR!);
else await benchMain();
