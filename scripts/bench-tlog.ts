// `pnpm bench tlog`: the Merkle log math of @cotc/tlog on a large MemoryTree (BENCH_LEAVES,
// default 1,000,000 leaves) against merkletreejs 0.6.0 configured for RFC 9162 roots
// (pre-hashed leaves, 0x01-prefixed interior nodes, lonely nodes promoted), measured in
// the same run on the same leaves. Prints a markdown table.
//
//   BENCH_LEAVES  tree size (default 1000000)
//   BENCH_PROOFS  proofs generated and verified per measurement (default 20000)
//
// Notes on what is compared: our tree is incremental (each append computes only the
// hashes that leaf completes and stores them); merkletreejs builds all layers at once
// from the full leaf list, so "append" vs "build" both measure leaves/s to a tree with
// its root. We hash with @noble/hashes (pure JS, browser-safe); merkletreejs here uses
// node:crypto (OpenSSL), so the raw hash rates are printed too.
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import { MerkleTree } from 'merkletreejs';
import {
  MemoryTree,
  leafHash,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from '@cotc/tlog';
import { machine, table } from './bench-util.ts';

const N = Number(process.env.BENCH_LEAVES ?? 1_000_000);
const M = Number(process.env.BENCH_PROOFS ?? 20_000);
if (!Number.isSafeInteger(N) || N < 2) throw new Error('BENCH_LEAVES must be an integer ≥ 2');
// merkletreejs keeps every layer as Buffers and rebuilds from scratch: measure it at N
// unless its projected build time (from a 100k-leaf build) is over this budget.
const THEIR_BUDGET_MS = Number(process.env.BENCH_MERKLETREEJS_BUDGET_MS ?? 120_000);

const now = () => performance.now();
const perSec = (n: number, ms: number) => (n / ms) * 1000;
const fmtRate = (x: number) => Math.round(x).toLocaleString('en-US');
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const log = (s: string) => process.stderr.write(`${s}\n`);

// A deterministic random index source (mulberry32), so runs are comparable.
function rng(seed: number) {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const loadAtStart = os.loadavg()[0]!.toFixed(2);

// ---- leaves ----
log(`tlog bench: ${N.toLocaleString('en-US')} leaves, ${M.toLocaleString('en-US')} proofs per measurement`);
const leafData = (i: number) => {
  const b = new Uint8Array(16);
  new DataView(b.buffer).setFloat64(0, i);
  return b;
};
let t0 = now();
const leaves: Uint8Array[] = new Array(N);
for (let i = 0; i < N; i++) leaves[i] = leafHash(leafData(i));
const leafHashMs = now() - t0;

// ---- raw hash rates ----
const a = randomBytes(32);
const b = randomBytes(32);
const H = 300_000;
t0 = now();
for (let i = 0; i < H; i++) nodeHash(a, b);
const nobleRate = perSec(H, now() - t0);
const one = Buffer.from([1]);
t0 = now();
for (let i = 0; i < H; i++) createHash('sha256').update(Buffer.concat([one, a, b])).digest();
const nodeCryptoRate = perSec(H, now() - t0);

// ---- ours ----
interface Ours {
  n: number;
  appendRate: number;
  root: Uint8Array;
  rootRate?: number;
  inclGen: number;
  inclVer: number;
  consGen?: number;
  consVer?: number;
  storedHashes: number;
}

async function measureOurs(n: number, withConsistency: boolean): Promise<Ours> {
  const tree = new MemoryTree();
  let t = now();
  for (let i = 0; i < n; i++) await tree.append(leaves[i]!);
  const appendRate = perSec(n, now() - t);

  const root = await tree.root();

  const pick = rng(1);
  const idx = Array.from({ length: M }, () => pick(n));
  t = now();
  const proofs: Uint8Array[][] = new Array(M);
  for (let k = 0; k < M; k++) proofs[k] = await tree.inclusionProof(idx[k]!);
  const inclGen = perSec(M, now() - t);
  t = now();
  let ok = 0;
  for (let k = 0; k < M; k++) if (verifyInclusion(leaves[idx[k]!]!, idx[k]!, n, proofs[k]!, root)) ok++;
  const inclVer = perSec(M, now() - t);
  if (ok !== M) throw new Error(`ours: ${M - ok} inclusion proofs failed to verify`);

  const out: Ours = { n, appendRate, root, inclGen, inclVer, storedHashes: tree.storedHashCount };
  if (withConsistency) {
    const sizes = Array.from({ length: M }, () => 1 + pick(n - 1));
    const roots1: Uint8Array[] = new Array(M);
    t = now();
    for (let k = 0; k < M; k++) roots1[k] = await tree.root(sizes[k]!);
    out.rootRate = perSec(M, now() - t);
    t = now();
    const cproofs: Uint8Array[][] = new Array(M);
    for (let k = 0; k < M; k++) cproofs[k] = await tree.consistencyProof(sizes[k]!);
    out.consGen = perSec(M, now() - t);
    t = now();
    ok = 0;
    for (let k = 0; k < M; k++) if (verifyConsistency(sizes[k]!, n, cproofs[k]!, roots1[k]!, root)) ok++;
    out.consVer = perSec(M, now() - t);
    if (ok !== M) throw new Error(`ours: ${M - ok} consistency proofs failed to verify`);
  }
  return out;
}

// ---- merkletreejs ----
const sha256 = (x: Buffer) => createHash('sha256').update(x).digest();
const rfcOptions = {
  hashLeaves: false,
  sortPairs: false,
  sortLeaves: false,
  duplicateOdd: false,
  isBitcoinTree: false,
  concatenator: (parts: Buffer[]) => Buffer.concat([one, ...parts]),
};

interface Theirs {
  n: number;
  buildMs: number;
  buildRate: number;
  root: Buffer;
  proofRate: number;
  verifyRate: number;
}

function measureTheirs(n: number): Theirs {
  const bufs = leaves.slice(0, n).map((h) => Buffer.from(h.buffer, h.byteOffset, h.byteLength));
  let t = now();
  const mt = new MerkleTree(bufs, sha256, rfcOptions);
  const buildMs = now() - t;
  const root = mt.getRoot();
  const pick = rng(1);
  const idx = Array.from({ length: M }, () => pick(n));
  t = now();
  const proofs = new Array(M);
  for (let k = 0; k < M; k++) proofs[k] = mt.getProof(bufs[idx[k]!]!, idx[k]!);
  const proofRate = perSec(M, now() - t);
  t = now();
  let ok = 0;
  for (let k = 0; k < M; k++) if (mt.verify(proofs[k], bufs[idx[k]!]!, root)) ok++;
  const verifyRate = perSec(M, now() - t);
  if (ok !== M) throw new Error(`merkletreejs: ${M - ok} proofs failed to verify`);
  return { n, buildMs, buildRate: perSec(n, buildMs), root, proofRate, verifyRate };
}

log('ours: appending …');
const ours = await measureOurs(N, true);
log(`ours: ${fmtRate(ours.appendRate)} appends/s`);

const PROBE = Math.min(N, 100_000);
log(`merkletreejs: probe build at ${PROBE.toLocaleString('en-US')} …`);
let theirs = measureTheirs(PROBE);
const projectedMs = (theirs.buildMs * N) / PROBE;
let theirNote = '';
if (N > PROBE) {
  if (projectedMs <= THEIR_BUDGET_MS) {
    log(`merkletreejs: building at ${N.toLocaleString('en-US')} (projected ${(projectedMs / 1000).toFixed(1)} s) …`);
    theirs = measureTheirs(N);
  } else {
    theirNote = `merkletreejs measured at ${PROBE.toLocaleString('en-US')} leaves (projected ${(projectedMs / 1000).toFixed(0)} s at ${N.toLocaleString('en-US')}, over the ${THEIR_BUDGET_MS / 1000} s budget); ratios use ours at the same size.`;
  }
}
const oursAtTheirs = theirs.n === N ? ours : await measureOurs(theirs.n, false);
if (Buffer.compare(Buffer.from(oursAtTheirs.root), theirs.root) !== 0) {
  throw new Error(`roots differ at ${theirs.n} leaves: ours ${Buffer.from(oursAtTheirs.root).toString('hex')}, merkletreejs ${theirs.root.toString('hex')}`);
}

// ---- report ----
const nStr = N.toLocaleString('en-US');
const tStr = theirs.n.toLocaleString('en-US');
const rows: Array<Array<string | number>> = [
  ['leaf hashes SHA-256(0x00‖data) (noble), /s', nStr, fmtRate(perSec(N, leafHashMs)), '', ''],
  ['appends (MemoryTree.append of a leaf hash), /s', nStr, fmtRate(ours.appendRate), '', ''],
  ['roots of random past sizes (MemoryTree.root(size)), /s', nStr, fmtRate(ours.rootRate!), '', ''],
  ['inclusion proofs generated, /s', nStr, fmtRate(ours.inclGen), '', ''],
  ['inclusion proofs verified, /s', nStr, fmtRate(ours.inclVer), '', ''],
  ['consistency proofs generated, /s', nStr, fmtRate(ours.consGen!), '', ''],
  ['consistency proofs verified, /s', nStr, fmtRate(ours.consVer!), '', ''],
  ['leaves into a tree with its root, /s (ours: appends; merkletreejs: one build)', tStr, fmtRate(oursAtTheirs.appendRate), fmtRate(theirs.buildRate), ratio(oursAtTheirs.appendRate, theirs.buildRate)],
  ['inclusion proofs generated, /s (merkletreejs: getProof)', tStr, fmtRate(oursAtTheirs.inclGen), fmtRate(theirs.proofRate), ratio(oursAtTheirs.inclGen, theirs.proofRate)],
  ['inclusion proofs verified, /s (merkletreejs: verify)', tStr, fmtRate(oursAtTheirs.inclVer), fmtRate(theirs.verifyRate), ratio(oursAtTheirs.inclVer, theirs.verifyRate)],
  ['node hashes SHA-256(0x01‖l‖r), /s (ours: noble; merkletreejs here: node:crypto)', '', fmtRate(nobleRate), fmtRate(nodeCryptoRate), ratio(nobleRate, nodeCryptoRate)],
];
console.log(`### tlog bench (${nStr} leaves, ${M.toLocaleString('en-US')} proofs per row)\n`);
console.log(`Machine: ${machine()}; load average at start ${loadAtStart}, at end ${os.loadavg()[0]!.toFixed(2)} (other processes compete for the cores when this is above ~0)\n`);
console.log(table(['measure', 'leaves', '@cotc/tlog', 'merkletreejs 0.6.0', 'ours/theirs'], rows));
console.log('');
console.log(`- merkletreejs build of ${tStr} leaves: ${(theirs.buildMs / 1000).toFixed(2)} s; its root equals ours (checked in this run).`);
console.log(`- MemoryTree stores ${ours.storedHashes.toLocaleString('en-US')} hashes for ${nStr} leaves (≈2 per leaf); merkletreejs keeps every layer, rebuilt in full on each addLeaf.`);
console.log('- merkletreejs has no consistency proofs.');
if (theirNote) console.log(`- ${theirNote}`);
