// `pnpm bench verify`: how long @cotc/verify's verifyBundle takes on maximal honest trace
// bundles of 100, 1,000 and 10,000 entries (test/verify/large.ts: one donation paid out in
// many disbursements, with transfers and confirmations), in Node with each signature engine
// (noble's verifyStrict; WebCrypto's Ed25519 behind the same strict byte checks) and in
// headless Chromium (Debian's /usr/bin/chromium). The baseline in the same run is the raw
// signature ceiling: the bundle's signatures through WebCrypto verify alone, nothing else.
// Issue 9's target: 10,000 entries in under 2 s in Chromium, cost linear in entries.
//   --quick   sizes 100 and 1,000 only      --full   also noble in Chromium at 10,000
import os from 'node:os';
import { verifyBundle } from '@cotc/verify';
import { largeBundle, type LargeBundle } from '../test/verify/large.ts';
import { signaturesOf, startHarness } from '../test/verify/browser-harness.ts';
import { machine, table } from './bench-util.ts';

const quick = process.argv.includes('--quick');
const full = process.argv.includes('--full');
const sizes = quick ? [100, 1000] : [100, 1000, 10_000];
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' / ');

async function nodeMs(b: LargeBundle, engine: 'noble' | 'webcrypto', runs: number): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = await verifyBundle(b.bundle, { logKey: b.logKey, donation: b.donation, engine });
    const ms = performance.now() - t0;
    if (!r.ok) throw new Error(`bench: the ${b.bundle.entries.length}-entry bundle does not verify: ${JSON.stringify(r.problems.slice(0, 3))}`);
    best = Math.min(best, ms);
  }
  return best;
}

async function nodeRaw(b: LargeBundle): Promise<number> {
  const subtle = globalThis.crypto.subtle;
  const sigs = signaturesOf(b);
  const keys = new Map<string, CryptoKey>();
  for (const s of sigs) if (!keys.has(s.pub)) keys.set(s.pub, await subtle.importKey('raw', Buffer.from(s.pub, 'hex'), { name: 'Ed25519' }, false, ['verify']));
  const items = sigs.map((s) => [keys.get(s.pub)!, Buffer.from(s.sig, 'base64'), Buffer.from(s.msg, 'base64')] as const);
  const t0 = performance.now();
  const oks = await Promise.all(items.map(([k, sig, msg]) => subtle.verify({ name: 'Ed25519' }, k, sig, msg)));
  const ms = performance.now() - t0;
  if (!oks.every(Boolean)) throw new Error('bench: a raw signature failed');
  return ms;
}

console.log(`# verifyBundle: trace bundles of ${sizes.map((n) => n.toLocaleString('en-US')).join(' / ')} entries\n`);
console.log(machine());
console.log(`load average at start (1/5/15 min): ${load()}\n`);

const bundles = new Map<string, LargeBundle>();
for (const n of sizes) {
  const t0 = performance.now();
  bundles.set(String(n), await largeBundle(n));
  process.stderr.write(`  built the ${n}-entry bundle in ${Math.round(performance.now() - t0)} ms\n`);
}

const rows: Array<Array<string | number>> = [];
const h = await startHarness(bundles);
try {
  // Warm-up (JIT, WebCrypto's key cache) on the smallest bundle, in both places.
  await nodeMs(bundles.get(String(sizes[0]))!, 'webcrypto', 2);
  await nodeMs(bundles.get(String(sizes[0]))!, 'noble', 1);
  await h.verify(String(sizes[0]), 'auto');
  for (const n of sizes) {
    const b = bundles.get(String(n))!;
    const name = String(n);
    const noble = await nodeMs(b, 'noble', 1);
    const web = await nodeMs(b, 'webcrypto', 3);
    const raw = await nodeRaw(b);
    let best = Infinity;
    let engine = '';
    for (let i = 0; i < 3; i++) {
      const r = await h.verify(name, 'auto');
      if (!r.ok) throw new Error(`bench: Chromium says the ${n}-entry bundle does not verify: ${JSON.stringify(r.problems)}`);
      best = Math.min(best, r.ms);
      engine = r.engine;
    }
    const chromeNoble = n < 10_000 || full ? (await h.verify(name, 'noble')).ms : NaN;
    const chromeRaw = (await h.raw(name)).ms;
    rows.push([
      n,
      Math.round(noble),
      Math.round(web),
      Math.round(raw),
      `${Math.round(best)} (${engine})`,
      Number.isNaN(chromeNoble) ? '— (--full)' : Math.round(chromeNoble),
      Math.round(chromeRaw),
      Math.round((best / n) * 1000),
      load().split(' / ')[0]!,
    ]);
    process.stderr.write(`  ${n}: done, load ${load()}\n`);
  }
  console.log(`Chromium ${h.version} (headless); best of 3 runs for WebCrypto, one for noble; ms of verifyBundle alone (JSON parse not counted)\n`);
} finally {
  await h.close();
}

console.log(
  table(
    ['entries', 'node noble ms', 'node WebCrypto ms', 'node raw sigs ms (ceiling)', 'Chromium ms (engine)', 'Chromium noble ms', 'Chromium raw sigs ms (ceiling)', 'Chromium µs/entry', 'load (1 min)'],
    rows,
  ),
);
console.log(`\nload average at end (1/5/15 min): ${load()} (on ${os.cpus().length} cores)`);
