// `pnpm bench map`: the state map (issue 11) on LevelDB — update cost per batch of 1000
// changes, proof size, proof generation from the store, verification — at map sizes given
// by --sizes (default 10k,1M; 10M with --sizes 10k,1M,10M), after a comparison of the node
// strides at --compare (default 100k). Baseline in the same run: raw SHA-256 of a 65-byte
// node preimage (noble, as packages/tlog hashes, and node:crypto). Prints markdown tables
// and the load average (2-core machine shared with other processes: ratios mean more than
// absolute figures).
//
// The store is a LevelStore (src/storage/level.ts) read through mapNodesFromRecords
// (getStateRecords: one getMany per tree level); each batch's records are committed as the
// sequencer would, in one synced db.batch (a state-only CommitBatch).
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  MapPageCache,
  emptyMapRoot,
  mapNodesFromRecords,
  proveMap,
  updateMap,
  mapPath,
  verifyMapProofHashes,
  type MapRoot,
  type MapStride,
} from '@cotc/tlog';
import { LevelStore } from '../src/storage/level.ts';
import { loadavg, machine, rate, table } from './bench-util.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}
const parseSize = (s: string) => {
  const m = /^(\d+)([kKmM]?)$/.exec(s.trim());
  if (!m) throw new Error(`bad size ${s}`);
  return Number(m[1]) * (m[2]!.toLowerCase() === 'k' ? 1e3 : m[2]!.toLowerCase() === 'm' ? 1e6 : 1);
};
const label = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));
const SIZES = arg('--sizes', '10k,1M').split(',').map(parseSize);
const COMPARE = parseSize(arg('--compare', '100k'));
const STRIDES = arg('--strides', '1,2,4,8').split(',').map(Number) as MapStride[];
const BUILD_BATCH = parseSize(arg('--build-batch', '20k'));
const BATCH = 1000;
const BATCHES = Number(arg('--batches', '20'));
const PROOF_KEYS = Number(arg('--proofs', '20000'));

const keyOf = (i: number) => `lot/fund-${i % 997}/p${String(i).padStart(15, '0')}`;
const valueOf = (i: number, v: number) => `{"donation":"don-${i}","via":"tr-${v}","value":"${(i * 7919) % 100000}"}`;

function shaBaseline(): { noble: number; node: number } {
  const buf = new Uint8Array(65).fill(3);
  const n = 200_000;
  let t = performance.now();
  for (let i = 0; i < n; i++) {
    buf[1] = i & 255;
    sha256(buf);
  }
  const noble = rate(n, performance.now() - t);
  t = performance.now();
  for (let i = 0; i < n; i++) {
    buf[1] = i & 255;
    createHash('sha256').update(buf).digest();
  }
  return { noble, node: rate(n, performance.now() - t) };
}

interface Built {
  store: LevelStore;
  dir: string;
  root: MapRoot;
  size: number;
  buildMs: number;
  version: number;
}

async function commit(store: LevelStore, writes: Array<[string, string | null]>): Promise<void> {
  await store.commit({ fromSize: 0, entries: [], tiles: [], ids: [], traces: [], donations: [], state: writes, head: { size: 0, checkpoint: 'bench-map' } });
}

async function build(size: number, stride: MapStride): Promise<Built> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cotc-bench-map-'));
  const store = new LevelStore(dir);
  await store.open();
  const nodes = mapNodesFromRecords(store);
  let root = emptyMapRoot();
  let version = 0;
  const t = performance.now();
  for (let lo = 0; lo < size; lo += BUILD_BATCH) {
    const changes: Array<[string, string]> = [];
    for (let i = lo; i < Math.min(size, lo + BUILD_BATCH); i++) changes.push([keyOf(i), valueOf(i, 0)]);
    const u = await updateMap(nodes, root, ++version, changes, { stride });
    await commit(store, u.writes);
    root = u.root;
    if (size >= 1e6 && (lo / BUILD_BATCH) % 50 === 49) process.stderr.write(`  built ${label(lo + BUILD_BATCH)} of ${label(size)} (stride ${stride}) in ${((performance.now() - t) / 1000).toFixed(0)} s\n`);
  }
  return { store, dir, root, size, buildMs: performance.now() - t, version };
}

interface Figures {
  updateMs: number;
  commitMs: number;
  records: number;
  bytes: number;
  reads: number;
  proofBytes: number;
  siblings: number;
  proveCold: number;
  proveWarm: number;
  verify: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(b: Built, stride: MapStride): Promise<Figures> {
  const nodes = mapNodesFromRecords(b.store);
  let next = b.size;
  const up: number[] = [];
  const cm: number[] = [];
  const recs: number[] = [];
  const bytes: number[] = [];
  const reads: number[] = [];
  let rnd = 12345;
  const rand = (n: number) => ((rnd = (rnd * 1103515245 + 12345) % 2 ** 31), rnd % n);
  for (let k = 0; k < BATCHES; k++) {
    // 1000 changes: 500 new records, 300 changed, 200 deleted (a donation batch: new lots,
    // lots split or moved, lots spent).
    const changes: Array<[string, string | null]> = [];
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) changes.push([keyOf(next), valueOf(next++, 0)]);
    while (changes.length < BATCH) {
      const i = rand(b.size);
      if (seen.has(i)) continue;
      seen.add(i);
      changes.push([keyOf(i), changes.length < 800 ? valueOf(i, b.version + 1) : null]);
    }
    let t = performance.now();
    const u = await updateMap(nodes, b.root, ++b.version, changes, { stride });
    up.push(performance.now() - t);
    t = performance.now();
    await commit(b.store, u.writes);
    cm.push(performance.now() - t);
    recs.push(u.writes.length);
    bytes.push(u.writes.reduce((n, [key, v]) => n + key.length + v.length, 0));
    reads.push(u.reads);
    b.root = u.root;
    // Deleted keys stay deleted; the sampler may pick them again (then a no-op delete or a
    // re-insert), as a live ledger would.
  }
  // Proofs: PROOF_KEYS random keys (present and absent), in runs of 1000 (one call per run).
  const keys = Array.from({ length: PROOF_KEYS }, () => keyOf(rand(next)));
  const run = async (cache?: MapPageCache) => {
    const out = [];
    const t = performance.now();
    for (let i = 0; i < keys.length; i += 1000) out.push(...(await proveMap(nodes, b.root, keys.slice(i, i + 1000), { stride, cache })));
    return { ms: performance.now() - t, out };
  };
  const cold = await run();
  const cache = new MapPageCache(200_000);
  await run(cache); // fill
  const warm = await run(cache);
  let sz = 0;
  let sib = 0;
  for (const p of warm.out) {
    sz += JSON.stringify(p.proof).length;
    sib += p.proof.siblings.length;
  }
  // Verification (what a client does), against the proven value hash (the bench keeps no
  // values; verifyMapProof hashes the value first, one SHA-256 more).
  const sample = warm.out.slice(0, 5000);
  const t = performance.now();
  let ok = 0;
  for (const p of sample) if (verifyMapProofHashes(b.root.hash, mapPath(p.key), p.valueHash, p.proof).ok) ok++;
  const verify = rate(sample.length, performance.now() - t);
  if (ok !== sample.length) throw new Error(`bench: ${ok} proofs verified of ${sample.length}`);
  return {
    updateMs: median(up),
    commitMs: median(cm),
    records: median(recs),
    bytes: median(bytes),
    reads: median(reads),
    proofBytes: Math.round(sz / warm.out.length),
    siblings: sib / warm.out.length,
    proveCold: rate(keys.length, cold.ms),
    proveWarm: rate(keys.length, warm.ms),
    verify,
  };
}


async function drop(b: Built) {
  await b.store.close();
  fs.rmSync(b.dir, { recursive: true, force: true });
}

const loadStart = loadavg();
const sha = shaBaseline();
console.log(`Machine: ${machine()}`);
console.log(`Load average at start: ${loadStart}`);
console.log(`Baseline SHA-256 of a 65-byte node: noble ${sha.noble.toLocaleString('en-US')}/s, node:crypto ${sha.node.toLocaleString('en-US')}/s\n`);

const cmpRows: Array<Array<string | number>> = [];
for (const s of STRIDES) {
  const b = await build(COMPARE, s);
  const f = await measure(b, s);
  cmpRows.push([s, 2 ** s, (b.buildMs / 1000).toFixed(1), f.updateMs, f.commitMs, f.reads, f.records, Math.round(f.bytes / 1024), f.proofBytes, f.proveCold, f.proveWarm]);
  await drop(b);
}
console.log(`Strides at ${label(COMPARE)} records (batches of ${BATCH} changes: 500 new, 300 changed, 200 deleted; medians of ${BATCHES}):\n`);
console.log(table(['stride', 'arity', `build ${label(COMPARE)} s`, 'update ms/batch', 'commit ms/batch', 'reads/batch', 'records/batch', 'KiB/batch', 'proof bytes', 'proofs/s cold', 'proofs/s cached'], cmpRows));

const stride = Number(arg('--stride', '4')) as MapStride;
const headers = ['records', 'build s', 'update ms/batch', 'commit ms/batch', 'reads/batch', 'records/batch', 'KiB/batch', 'siblings/proof', 'proof bytes (JSON)', 'proofs/s cold', 'proofs/s cached', 'verify/s', 'update in SHA-256 ops', 'cached proof in SHA-256 ops'];
console.log(`\nStride ${stride} (${2 ** stride}-ary pages) by map size (each row printed when measured; load average then in the last column):\n`);
console.log(table([...headers, 'load'], []));
for (const n of SIZES) {
  const b = await build(n, stride);
  const f = await measure(b, stride);
  const row = [label(n), (b.buildMs / 1000).toFixed(1), f.updateMs, f.commitMs, f.reads, f.records, Math.round(f.bytes / 1024), f.siblings.toFixed(1), f.proofBytes, f.proveCold, f.proveWarm, f.verify, Math.round((f.updateMs / 1000) * sha.noble), (sha.noble / f.proveWarm).toFixed(1), os.loadavg()[0]!.toFixed(1)];
  console.log(table([...headers, 'load'], [row]).split('\n')[2]);
  await drop(b);
}
console.log('\n(The SHA-256 columns divide by the baseline measured in this run, so they hold on a loaded machine: an update costing N SHA-256 ops takes N / (ops/s) seconds on any machine with that hashing speed.)');
console.log(`\nLoad average at end: ${loadavg()}`);
