// `pnpm bench verify-v2`: issue 11's "verification of the demo's largest trace in headless
// Chromium < 200 ms" and "a typical trace bundle (the demo's median) ≤ 10 KB", for trace
// bundles of wire format 2 (docs/wire-format-2.md §11). The demo (`cotc demo`, 3,000
// donations) is created in a temporary directory; its events, as signed, are logged again as
// a v2 log (test/helpers/v2-log.ts: the ledger's state machine, effects committed, the map
// root on each batch's last entry, batches of 64 events); the largest and the median trace
// are bundled both ways. Baseline in the same run: the v1 bundle of the same donation as the
// server builds it today (src/log/bundle.ts), verified the same way.
//   --donations N   demo size (default 3000)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromUtf8 } from '@cotc/tlog';
import type { Entry, Envelope } from '@cotc/ledger';
import { verifyBundle } from '@cotc/verify';
import { createDemo } from '../src/demo/demo.ts';
import { openLog } from '../src/server.ts';
import { traceBundle } from '../src/log/bundle.ts';
import { V2Log } from '../test/helpers/v2-log.ts';
import { startHarness } from '../test/verify/browser-harness.ts';
import type { LargeBundle } from '../test/verify/large.ts';
import { machine, table } from './bench-util.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? dflt : Number(process.argv[i + 1]);
};
const donations = arg('--donations', 3000);
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' / ');
const BATCH = 64;

console.log(`# verifyBundle on the demo's traces, wire format 2 vs 1 (${donations} donations)\n`);
console.log(machine());
console.log(`load average at start (1/5/15 min): ${load()}\n`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cotc-bench-v2-'));
try {
  const t0 = performance.now();
  await createDemo(path.join(dir, 'demo'), { donations });
  const log = await openLog(path.join(dir, 'demo'));
  const size = log.size;
  const entries: Entry[] = (await log.entries(0, size)).map((b) => JSON.parse(fromUtf8(b)));
  process.stderr.write(`  demo of ${size} entries in ${Math.round(performance.now() - t0)} ms\n`);

  // The same events, as signed, logged again in wire format 2.
  const t1 = performance.now();
  const v2 = await V2Log.create({ genesis: entries[0]!.event as Envelope, origin: 'bench.cotc.example/v2' });
  for (let i = 1; i < entries.length; i += BATCH) await v2.batch(entries.slice(i, i + BATCH).map((e) => e.event as Envelope));
  process.stderr.write(`  v2 log of ${v2.size} entries (${v2.records.size} state records) in ${Math.round(performance.now() - t1)} ms\n`);

  // Trace sizes: the entries whose effects name each donation.
  const hops = new Map<string, number>();
  for (const e of entries) {
    if (e.event.type === 'donation') hops.set(e.event.id, 1);
    for (const d of new Set(e.effects.map((x) => x.donation))) hops.set(d, (hops.get(d) ?? 0) + 1);
  }
  const ranked = [...hops].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  const median = ranked[Math.floor(ranked.length / 2)]![0];
  const largest = ranked[ranked.length - 1]![0];

  const bundles = new Map<string, LargeBundle>();
  const rows: Array<Array<string | number>> = [];
  for (const [label, id] of [['largest', largest], ['median', median]] as const) {
    const b1 = await traceBundle(log, id);
    const b2 = await v2.bundle(id);
    bundles.set(`${label}-v1`, { logKey: log.verifierKey, donation: id, bundle: b1 as never });
    bundles.set(`${label}-v2`, { logKey: v2.logKey, donation: id, bundle: b2 as never });
    rows.push([label, id, b2.trace.nodes.length, b1 ? JSON.stringify(b1).length : 0, JSON.stringify(b2).length]);
  }
  console.log(table(['trace', 'donation', 'nodes', 'v1 bundle bytes', 'v2 bundle bytes'], rows));

  // Node, then Chromium: best of 7 after warm-up.
  const timing: Array<Array<string | number>> = [];
  const h = await startHarness(bundles);
  try {
    for (const name of bundles.keys()) {
      const b = bundles.get(name)!;
      let node = Infinity;
      for (let i = 0; i < 7; i++) {
        const s = performance.now();
        const r = await verifyBundle(b.bundle, { logKey: b.logKey, donation: b.donation, engine: 'webcrypto' });
        node = Math.min(node, performance.now() - s);
        if (!r.ok) throw new Error(`bench: ${name} does not verify in node: ${JSON.stringify(r.problems.slice(0, 3))}`);
      }
      let chrome = Infinity;
      for (let i = 0; i < 8; i++) {
        const r = await h.verify(name, 'auto');
        if (!r.ok) throw new Error(`bench: ${name} does not verify in Chromium: ${JSON.stringify(r.problems)}`);
        if (i > 0) chrome = Math.min(chrome, r.ms);
      }
      timing.push([name, node.toFixed(1), chrome.toFixed(1)]);
    }
  } finally {
    await h.close();
  }
  console.log(`\nverifyBundle, best of 7 (ms; Chromium ${h.version}, WebCrypto Ed25519):\n`);
  console.log(table(['bundle', 'node (webcrypto)', 'headless Chromium'], timing));
  const v2ms = Number(timing.find((r) => r[0] === 'largest-v2')![2]);
  const v1ms = Number(timing.find((r) => r[0] === 'largest-v1')![2]);
  console.log(`\nlargest trace in Chromium: v2 ${v2ms.toFixed(1)} ms (target < 200 ms), ${(v2ms / v1ms).toFixed(2)}× the v1 bundle of the same donation in this run`);
  console.log(`load average at end (1/5/15 min): ${load()}`);
  await log.close();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
