// `pnpm bench audit`: the auditor (src/audit/) on cached logs of each size in BENCH_SIZES
// (default 10k and 1M, built once by scripts/make-log.ts), every run in a child process
// of its own (so its peak RSS is its own), all from the data directory's store:
//   ceiling     Ed25519 verify on every core (node:crypto workers), this run, this machine
//   A           a full replay without signature checks
//   B           a full replay with every signature, of the log up to its checkpoint nearest
//               below 99% of it, saving the replayed state
//   C / D       the resume: the audit of the whole log after B (the last ~1%), from B's
//               saved state; C as `cotc audit --data` (it then compares every state record
//               of the store with the replayed ones), D without that comparison (as an
//               audit of a server)
// Every run recomputes every hash, the chain, the state and the effects.
//   BENCH_SIZES (default 10000,1000000)  log sizes (the cached log may have grown: the sizes
//                                        replayed are printed on every row)
//   BENCH_AUDIT_PROF=DIR                 write a CPU profile of every run (node --cpu-prof) to DIR
//   BENCH_AUDIT_HTTP=1                   add a full replay from a server over HTTP (smallest size)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSignerKey } from '@cotc/tlog';
import { audit, type AuditSource } from '../src/audit/audit.ts';
import { serverSource, storeSource } from '../src/audit/sources.ts';
import { LedgerClient } from '../src/client/client.ts';
import { readKeyFile } from '../src/log/datadir.ts';
import { startServer } from '../src/server.ts';
import { LevelStore } from '../src/storage/level.ts';
import { benchDonations, forkChild, loadavg, machine, rate, signatureCeiling, table } from './bench-util.ts';
import { benchLogDir, makeLog, readBenchKeys } from './make-log.ts';

type Run = {
  /** audit up to the checkpoint nearest below this fraction of the log (1 = the head) */
  upTo: number;
  signatures: boolean;
  compareState: boolean;
  /** saved states (kept for a resume); none: a temporary one */
  stateDir?: string;
  http?: boolean;
};
type Done = { type: 'done'; ok: boolean; problems: string; size: number; replayed: number; resumedFrom: number; seconds: number; maxRssMiB: number; cpuSeconds: number };

const hex16 = (n: number) => n.toString(16).padStart(16, '0');

async function child(): Promise<void> {
  const dir = process.env.COTC_BENCH_DIR!;
  const run = JSON.parse(process.env.COTC_BENCH_RUN!) as Run;
  const logKey = parseSignerKey(readKeyFile(path.join(dir, 'log.key'))).verifierKey;
  let close = async () => {};
  let src: AuditSource;
  if (run.http) {
    const s = await startServer(dir, { port: 0, host: '127.0.0.1', quiet: true });
    close = () => s.close();
    src = serverSource(new LedgerClient(s.url));
  } else {
    const store = new LevelStore(path.join(dir, 'store'));
    src = await storeSource(store);
    close = () => store.close();
    if (!run.compareState) delete src.stateRecords;
    if (run.upTo < 1) {
      // The checkpoint of the last batch at or below that fraction (every head is kept, c/<size>).
      const head = (await store.head())!;
      const want = Math.floor(head.size * run.upTo);
      let at = 0;
      for await (const k of store.db.keys({ gte: 'c/', lte: 'c/' + hex16(want), reverse: true, limit: 1 })) at = parseInt(k.slice(2), 16);
      const text = await store.checkpointAt(at);
      if (!text) throw new Error(`no checkpoint at ${at}`);
      src.checkpoint = async () => text;
    }
  }
  try {
    const u0 = process.cpuUsage();
    const r = await audit(src, { logKey, signatures: run.signatures, stateDir: run.stateDir, pageSize: run.http ? 1000 : 4000 });
    const u = process.cpuUsage(u0);
    process.send!({
      type: 'done',
      ok: r.ok,
      problems: JSON.stringify(r.problems.slice(0, 3)),
      size: r.size,
      replayed: r.replayed,
      resumedFrom: r.resumed?.from ?? 0,
      seconds: r.seconds,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      cpuSeconds: (u.user + u.system) / 1e6,
    } satisfies Done);
  } finally {
    await close();
  }
}

async function inChild(dir: string, run: Run): Promise<Done> {
  const prof = process.env.BENCH_AUDIT_PROF;
  const execArgv = prof ? [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${path.resolve(prof)}`] : process.execArgv;
  const c = forkChild<Done>(fileURLToPath(import.meta.url), { COTC_BENCH_AUDIT_ROLE: 'audit', COTC_BENCH_DIR: dir, COTC_BENCH_RUN: JSON.stringify(run) }, execArgv);
  const m = await c.next('done');
  if (c.exited() === undefined) await new Promise((r) => c.child.once('exit', r));
  if (!m.ok) throw new Error(`audit of ${dir} found problems: ${m.problems}`);
  return m;
}

async function benchMain(): Promise<void> {
  const sizes = (process.env.BENCH_SIZES ?? '10000,1000000').split(',').map(Number);
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`# pnpm bench audit — logs of ${sizes.map(fmt).join(', ')} entries\n`);
  console.log(`machine: ${machine()}`);
  console.log(`load average at start (1/5/15 min): ${loadavg()}\n`);
  const rows: Array<Array<string | number>> = [];
  const summary: Array<Array<string | number>> = [];
  for (const n of sizes) {
    const { dir } = await makeLog(benchLogDir(n), n, { log: (l) => process.stderr.write(l + '\n') });
    const keys = readBenchKeys(dir);
    process.stderr.write(`  ${fmt(n)}: signature ceiling …\n`);
    const ceil = await signatureCeiling(parseSignerKey(keys['children-foundation']!).publicKey, benchDonations(keys, 20000, `a${Date.now().toString(36)}`));
    rows.push([fmt(n), `ceiling: Ed25519 verify, ${ceil.cores} cores (1 core)`, '', `${fmt(ceil.all)} (${fmt(ceil.one)})`, '', '', '', os.loadavg()[0]!.toFixed(2)]);
    const add = (label: string, m: Done) => {
      const eps = m.replayed / m.seconds;
      rows.push([fmt(n), label, `${fmt(m.resumedFrom)} → ${fmt(m.size)}`, fmt(eps), m.seconds.toFixed(2), m.cpuSeconds.toFixed(1), fmt(m.maxRssMiB), os.loadavg()[0]!.toFixed(2)]);
      return eps;
    };
    process.stderr.write(`  ${fmt(n)}: A, full replay without signatures …\n`);
    const a = add('A full replay, no signatures', await inChild(dir, { upTo: 1, signatures: false, compareState: false }));
    const saved = fs.mkdtempSync(path.join(os.tmpdir(), 'cotc-bench-audit-'));
    try {
      process.stderr.write(`  ${fmt(n)}: B, full replay with signatures to ~99% …\n`);
      const b = add('B full replay, every signature (to ~99%)', await inChild(dir, { upTo: 0.99, signatures: true, compareState: false, stateDir: saved }));
      const copy = saved + '-copy';
      fs.cpSync(saved, copy, { recursive: true });
      process.stderr.write(`  ${fmt(n)}: C and D, resume …\n`);
      const c = await inChild(dir, { upTo: 1, signatures: true, compareState: true, stateDir: saved });
      add('C resume to the head, + state comparison (audit --data)', c);
      const d = await inChild(dir, { upTo: 1, signatures: true, compareState: false, stateDir: copy });
      add('D resume to the head, no state comparison', d);
      fs.rmSync(copy, { recursive: true, force: true });
      summary.push([fmt(n), fmt(a), `${fmt(b)} (${(b / ceil.all).toFixed(2)} of ${fmt(ceil.all)})`, `${c.seconds.toFixed(1)} s / ${d.seconds.toFixed(1)} s for ${fmt(c.replayed)} entries`]);
    } finally {
      fs.rmSync(saved, { recursive: true, force: true });
    }
    if (process.env.BENCH_AUDIT_HTTP === '1' && n === sizes[0]) {
      process.stderr.write(`  ${fmt(n)}: over HTTP …\n`);
      add('full replay from a server over HTTP (same process), every signature', await inChild(dir, { upTo: 1, signatures: true, compareState: false, http: true }));
    }
  }
  console.log(table(['log', 'run', 'entries (from → to)', 'entries/s', 'seconds', 'CPU s', 'peak RSS MiB', 'load (1 min)'], rows));
  console.log('');
  console.log(table(['log', 'replay, no signatures (target ≥ 100,000/s)', 'every signature (target ≥ 0.8 of the ceiling)', 'resume of the last ~1%: C / D'], summary));
  console.log(`\nload average at end (1/5/15 min): ${loadavg()}`);
}

if (process.env.COTC_BENCH_AUDIT_ROLE === 'audit') await child();
else await benchMain();
