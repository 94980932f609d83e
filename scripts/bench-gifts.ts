// `pnpm bench gifts` (issue 15): micro-donation batches.
//  - SHA-256 ceiling (node:crypto, same input sizes as a gift leaf and a sum-tree node), in
//    gifts/s: a tree of n gifts costs n leaf hashes + n−1 node hashes;
//  - batch building per core: sumTreeOfGifts (check + canonical + hash + tree), node:crypto
//    and @noble/hashes (the browser's), and GiftStore.put (the same, plus the file, fsynced);
//  - posting a batch of --gifts (default 10^5) end to end over HTTP: POST /v1/batches (the
//    JSON body), sign the gift.batch event, POST /v1/events until it answers 201;
//  - gift proofs: in process (sumProof) and served (GET /v1/batches/:id/gifts/:n, autocannon);
//  - storage per gift (the batch file) and per batch (its log entry).
// Prints markdown tables and the load average (a shared 2-core machine: ratios from the same
// run mean more than absolute figures).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKey, hex } from '@cotc/tlog';
import {
  LEAF_TAG, NODE_TAG, giftCanonical, giftDonorCommitment, nobleSha256, signEvent, sumProof, sumTreeOfGifts, verifyGiftProof, type GiftRecord,
} from '@cotc/ledger';
import { nodeSha256 } from '../src/gifts/hash.ts';
import { GiftStore } from '../src/gifts/store.ts';
import { startServer } from '../src/server.ts';
import { cannon, loadavg, machine, rate, table } from './bench-util.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}
const N = Number(arg('--gifts', '100000'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cotc-bench-gifts-'));
const now = () => performance.now();

function makeGifts(n: number, batch: string): GiftRecord[] {
  const out: GiftRecord[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const steps = i % 2 === 1;
    out[i] = {
      amount: String(1 + (i % 97)),
      channel: steps ? 'steps-for-charity' : 'goods-for-good',
      // a commitment of the real shape, without a secret per gift (the bench's own secret)
      donor: i < 1000 ? giftDonorCommitment(batch, i, `bench-secret-${i}`) : hex(nodeSha256(new TextEncoder().encode(`${batch}/${i}`))),
      measure: steps ? `steps:${1000 + (i % 20000)}` : `item:sku-${100000 + (i % 900000)}`,
    };
  }
  return out;
}

console.log(`# pnpm bench gifts (${machine()})\n`);
console.log(`load average at start: ${loadavg()}\n`);

const gifts = makeGifts(N, 'bench-batch');
const leafLen = LEAF_TAG.length + Buffer.byteLength(giftCanonical(gifts[1]!));
const nodeLen = NODE_TAG.length + 80;

// ---- SHA-256 ceiling --------------------------------------------------------------------
function hashRate(len: number, h: (d: Uint8Array) => Uint8Array, ms = 1500): number {
  const buf = new Uint8Array(len).fill(7);
  let n = 0;
  const t0 = now();
  while (now() - t0 < ms) {
    for (let i = 0; i < 2000; i++) h(buf);
    n += 2000;
  }
  return rate(n, now() - t0);
}
const leafNode = hashRate(leafLen, nodeSha256);
const nodeNode = hashRate(nodeLen, nodeSha256);
const ceilingNode = Math.round(1 / (1 / leafNode + 1 / nodeNode));
const leafNoble = hashRate(leafLen, nobleSha256, 800);
const nodeNoble = hashRate(nodeLen, nobleSha256, 800);
const ceilingNoble = Math.round(1 / (1 / leafNoble + 1 / nodeNoble));

// ---- batch building ------------------------------------------------------------------
function best<T>(runs: number, f: () => T): { ms: number; value: T } {
  let bestMs = Infinity;
  let value: T | undefined;
  for (let r = 0; r < runs; r++) {
    const t0 = now();
    value = f();
    bestMs = Math.min(bestMs, now() - t0);
  }
  return { ms: bestMs, value: value! };
}
const buildNode = best(3, () => sumTreeOfGifts(gifts, nodeSha256));
const buildNoble = best(1, () => sumTreeOfGifts(gifts, nobleSha256));
const store = new GiftStore(path.join(tmp, 'store'));
let k = 0;
const putRun = best(2, () => store.put(makeGiftsShifted(k++)));
function makeGiftsShifted(shift: number): GiftRecord[] {
  // a different batch each run (content-addressed: the same one would not be written again)
  return gifts.map((g, i) => (i === 0 ? { ...g, amount: String(1000 + shift) } : g));
}
const fileBytes = putRun.value.bytes;

console.log('## Batch building, one core\n');
console.log(table(['what', `${N.toLocaleString('en-US')} gifts`, 'gifts/s', 'of the SHA-256 ceiling'], [
  ['SHA-256 ceiling, node:crypto (leaf ' + leafLen + ' B + node ' + nodeLen + ' B per gift)', '', ceilingNode, '100 %'],
  ['sumTreeOfGifts, node:crypto', `${buildNode.ms.toFixed(0)} ms`, rate(N, buildNode.ms), `${((rate(N, buildNode.ms) / ceilingNode) * 100).toFixed(0)} %`],
  ['GiftStore.put (+ file written, fsynced)', `${putRun.ms.toFixed(0)} ms`, rate(N, putRun.ms), `${((rate(N, putRun.ms) / ceilingNode) * 100).toFixed(0)} %`],
  ['SHA-256 ceiling, @noble/hashes (browser)', '', ceilingNoble, ''],
  ['sumTreeOfGifts, @noble/hashes', `${buildNoble.ms.toFixed(0)} ms`, rate(N, buildNoble.ms), `${((rate(N, buildNoble.ms) / ceilingNoble) * 100).toFixed(0)} % of noble's`],
]));
console.log(`\nhashes/s: node:crypto leaf ${leafNode.toLocaleString('en-US')}, node ${nodeNode.toLocaleString('en-US')}; noble leaf ${leafNoble.toLocaleString('en-US')}, node ${nodeNoble.toLocaleString('en-US')}. load average: ${loadavg()}\n`);

// ---- proofs in process ---------------------------------------------------------------
const tree = buildNode.value;
const proofRun = best(1, () => {
  let x = 0;
  for (let i = 0; i < 100000; i++) x += sumProof(tree, (i * 7919) % N).path.length;
  return x;
});
const rootHex = hex(tree.root);
const total = tree.total.toString();
const verifyRun = best(1, () => {
  let ok = 0;
  for (let i = 0; i < 5000; i++) {
    const j = (i * 7919) % N;
    if (verifyGiftProof({ record: gifts[j], proof: sumProof(tree, j), root: rootHex, total, count: N }).ok) ok++;
  }
  return ok;
});
if (verifyRun.value !== 5000) throw new Error('a gift proof did not verify');

// ---- end to end over HTTP ---------------------------------------------------------------
const dir = path.join(tmp, 'server');
// Longer request and keep-alive timeouts than serve's 30 s / 5 s: on a loaded machine making the next 15 MB batch in this
// same process takes longer than 5 s, and fetch would reuse a socket the server has closed (ECONNRESET).
const s = await startServer(dir, { port: 0, host: '127.0.0.1', quiet: true, rateLimit: false, timeouts: { requestMs: 300_000, keepAliveMs: 300_000 } });
const opKey = fs.readFileSync(path.join(dir, 'operator.key'), 'utf8').trim();
const plat = generateKey('bench-platform');
const ch = generateKey('bench-charity');
const T = () => new Date().toISOString();
const sign = (org: string, key: string, type: string, id: string, body: unknown) => signEvent({ v: 1, type, id, org, time: T(), body } as never, key);
async function post(url: string, body: string) {
  const r = await fetch(s.url + url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const j = await r.json();
  if (r.status >= 300) throw new Error(`${url}: ${r.status} ${JSON.stringify(j).slice(0, 300)}`);
  return j as Record<string, any>;
}
await post('/v1/events', JSON.stringify([
  sign('operator', opKey, 'org.register', 'reg-plat', { org: 'bench-platform', name: 'Platform', roles: ['platform'], keys: [plat.verifierKey] }),
  sign('operator', opKey, 'org.register', 'reg-ch', { org: 'bench-charity', name: 'Charity', roles: ['charity'], keys: [ch.verifierKey] }),
]));
await post('/v1/events', JSON.stringify(sign('bench-charity', ch.signerKey, 'fund.open', 'open-f', { fund: 'steps', name: 'Steps', currency: 'CNY', restricted: false, purpose: 'meals' })));
const e2e: number[] = [];
let bodyBytes = 0;
let entryBytes = 0;
const BATCHES = 3;
for (let b = 0; b < BATCHES; b++) {
  const id = `day-${b}`;
  const batchGifts = makeGifts(N, id);
  const t0 = now();
  const body = JSON.stringify({ gifts: batchGifts });
  bodyBytes = body.length;
  const st = await post('/v1/batches', body);
  const r = await post('/v1/events', JSON.stringify(sign('bench-platform', plat.signerKey, 'gift.batch', id, { fund: 'steps', amount: { currency: 'CNY', value: st.total }, count: st.count, root: st.root })));
  e2e.push(now() - t0);
  if (typeof r.seq !== 'number') throw new Error('no seq');
  const ev = await (await fetch(`${s.url}/v1/events/${id}`)).json();
  entryBytes = Buffer.from(ev.entry.data, 'base64').length;
}
e2e.sort((a, b) => a - b);

// ---- proofs served ------------------------------------------------------------------------
const paths: string[] = [];
for (let i = 0; i < 2000; i++) paths.push(`/v1/batches/day-${i % BATCHES}/gifts/${(i * 7919) % N}`);
await cannon(s.url, paths, 2);
const served = await cannon(s.url, paths, Number(process.env.BENCH_DURATION ?? 8));
const oneAnswer = await (await fetch(s.url + paths[1])).text();
await s.close();

console.log(`## Posting a batch of ${N.toLocaleString('en-US')} gifts end to end, and serving gift proofs\n`);
console.log(table(['what', 'figure'], [
  [`POST /v1/batches (${(bodyBytes / 2 ** 20).toFixed(1)} MiB JSON) + sign + POST /v1/events → 201, best of ${BATCHES}`, `${e2e[0]!.toFixed(0)} ms`],
  [`the same, worst of ${BATCHES}`, `${e2e[e2e.length - 1]!.toFixed(0)} ms`],
  ['gift proofs built in process (sumProof), per s', rate(100000, proofRun.ms)],
  ['gift proofs verified (verifyGiftProof, @noble/hashes), per s', rate(5000, verifyRun.ms)],
  [`gift proofs served (GET /v1/batches/:id/gifts/:n, ${process.env.BENCH_CONNECTIONS ?? 32} connections), per s`, served.rps],
  ['  p50 / p99 latency (ms)', `${served.p50} / ${served.p99}`],
  ['  non-2xx or errors', served.bad],
  ['one gift answer (bytes)', Buffer.byteLength(oneAnswer)],
  ['batch file per gift (bytes)', (fileBytes / N).toFixed(1)],
  ['log entry per batch (bytes)', entryBytes],
]));
console.log(`\nload average at the end: ${loadavg()}`);
fs.rmSync(tmp, { recursive: true, force: true });
