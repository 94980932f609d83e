// `pnpm bench ledger`: signed events appended durably through the sequencer, in process
// and over HTTP, against this machine's signature-verification ceiling measured in the
// same run; the time split per stage; and the storage path alone (synced batches).
//   BENCH_EVENTS (default 100000)
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { generateKey, parseSignerKey, base64, hex, leafHash, newTiles, readTileData, storedHashes, storedHashIndex, MemoryHashStore } from '@cotc/tlog';
import { canonicalBytes, donorCommitment, parseIJson, validateEnvelope, type Envelope } from '@cotc/ledger';
import { verifyStrictNode } from '../src/crypto/ed25519-node.ts';
import { eventSigner } from '../src/crypto/sign-node.ts';
import { LogService } from '../src/log/service.ts';
import { openStore } from '../src/storage/open.ts';
import { VerifyPool } from '../src/crypto/verify-pool.ts';
import { startServer } from '../src/server.ts';
import { machine, percentile, rate, signatureCeiling, storageOnly, table } from './bench-util.ts';

const N = Number(process.env.BENCH_EVENTS ?? 100_000);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cotc-bench-'));

/** Fast signing for generating load (node:crypto; the same bytes signEvent would make). */
function signer(signerKey: string): (unsigned: Record<string, unknown>) => Envelope {
  const sign = eventSigner(signerKey);
  return (unsigned) => sign(unsigned as never);
}

function makeEvents(operatorKey: string, n: number, tag: string) {
  const op = signer(operatorKey);
  const ch = generateKey(`charity-${tag}`);
  const sign = signer(ch.signerKey);
  const time = new Date().toISOString();
  const setup = [
    op({ v: 1, type: 'org.register', id: `reg-${tag}`, org: 'operator', time, body: { org: `charity-${tag}`, name: 'Bench charity', roles: ['charity'], keys: [ch.verifierKey] } }),
    sign({ v: 1, type: 'fund.open', id: `fund-${tag}`, org: `charity-${tag}`, time, body: { fund: `f-${tag}`, name: 'Bench fund', currency: 'CNY', restricted: false, purpose: 'benchmarking' } }),
  ];
  const events: Envelope[] = [];
  for (let i = 0; i < n; i++) {
    const id = `don-${tag}-${i}`;
    events.push(sign({ v: 1, type: 'donation', id, org: `charity-${tag}`, time, body: { fund: `f-${tag}`, amount: { currency: 'CNY', value: String(100 + (i % 5000)) }, donor: donorCommitment(id, 's' + i), channel: 'goods-for-good' } }));
  }
  return { setup, events };
}

let benchPub: Uint8Array | null = null;

async function inProcess(concurrency: number, threads: number) {
  const dir = path.join(tmp, `inproc-${concurrency}-${threads}`);
  const pool = threads > 0 ? new VerifyPool(threads) : undefined;
  const opKey = generateKey('operator');
  const log = await LogService.open({ store: await openStore(dir), logKey: generateKey('bench.example/log').signerKey, operatorKey: opKey.signerKey, pool });
  const { setup, events } = makeEvents(opKey.signerKey, N, `p${concurrency}t${threads}`);
  for (const e of setup) if ((await log.submit(e)).status !== 201) throw new Error('setup failed');
  const lat: number[] = [];
  let next = 0;
  let commits = 0;
  const t0 = performance.now();
  const client = async () => {
    while (next < events.length) {
      const e = events[next++]!;
      const t = performance.now();
      const r = await log.submit(e);
      if (r.status !== 201) throw new Error(`rejected: ${JSON.stringify(r)}`);
      lat.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  const ms = performance.now() - t0;
  commits = log.size;
  await log.close();
  await pool?.close();
  lat.sort((a, b) => a - b);
  return { eps: rate(events.length, ms), p50: percentile(lat, 50), p99: percentile(lat, 99), size: commits };
}

function split(events: Envelope[]) {
  const sample = events.slice(0, 20000);
  const texts = sample.map((e) => JSON.stringify(e));
  const stage = (f: (i: number) => void) => {
    const t = performance.now();
    for (let i = 0; i < sample.length; i++) f(i);
    return ((performance.now() - t) * 1000) / sample.length;
  };
  const parsed: unknown[] = [];
  const parse = stage((i) => (parsed[i] = parseIJson(texts[i]!)));
  const schema = stage((i) => validateEnvelope(parsed[i]));
  const canon: Uint8Array[] = [];
  const canonical = stage((i) => (canon[i] = canonicalBytes(sample[i])));
  const sigs = sample.map((e) => Buffer.from(e.sig, 'base64').subarray(4));
  const unsigned = sample.map((e) => {
    const { sig: _s, ...u } = e;
    return canonicalBytes(u);
  });
  const signature = stage((i) => verifyStrictNode(benchPub!, unsigned[i]!, sigs[i]!));
  const hashing = stage((i) => leafHash(canon[i]!));
  return { parse, schema, canonical, signature, hashing };
}

async function overHttp(mode: 'batched' | 'single', concurrency: number, count: number) {
  const dir = path.join(tmp, `http-${mode}-${concurrency}`);
  // Raw throughput from one client: the per-client write limits (src/http/ratelimit.ts) off.
  const s = await startServer(dir, { port: 0, host: '127.0.0.1', quiet: true, rateLimit: false });
  const opKey = fs.readFileSync(path.join(dir, 'operator.key'), 'utf8').trim();
  const { setup, events } = makeEvents(opKey, count, `h${mode}${concurrency}`);
  const post = async (body: unknown) => {
    const r = await fetch(s.url + '/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const j = await r.json();
    if (r.status !== 201 && r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(j).slice(0, 200)}`);
    return j;
  };
  await post(setup);
  const lat: number[] = [];
  let next = 0;
  const size = mode === 'batched' ? 1000 : 1;
  const t0 = performance.now();
  const client = async () => {
    while (next < events.length) {
      const chunk = events.slice(next, next + size);
      next += size;
      const t = performance.now();
      const r = await post(size === 1 ? chunk[0] : chunk);
      if (Array.isArray(r) && !r.every((x: { status: number }) => x.status === 201)) throw new Error('rejected in batch');
      lat.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  const ms = performance.now() - t0;
  await s.close();
  lat.sort((a, b) => a - b);
  return { eps: rate(events.length, ms), p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

console.log(`# pnpm bench ledger — ${N.toLocaleString('en-US')} events\n\nmachine: ${machine()}\n`);
const gen = makeEvents(generateKey('operator').signerKey, 20000, 'ceil');
benchPub = parseSignerKey(generateKey('x').signerKey).publicKey; // replaced below
{
  // The ceiling is measured on the charity key of the generated events.
  const reg = gen.setup[0] as Envelope<'org.register'>;
  const { parseVerifierKey } = await import('@cotc/tlog');
  benchPub = parseVerifierKey(reg.body.keys[0]!).publicKey;
}
const c = await signatureCeiling(benchPub!, gen.events);
const sp = split(gen.events);
console.log(table(['stage (per event, µs)', 'parse', 'schema', 'canonical', 'signature', 'leaf hash'], [['main thread', sp.parse, sp.schema, sp.canonical, sp.signature, sp.hashing]]));
console.log();
const rows: Array<Array<string | number>> = [];
rows.push(['signature ceiling, 1 core (verifyStrictNode)', c.one, '', '', '']);
rows.push([`signature ceiling, ${c.cores} cores (workers)`, c.all, '', '', '']);
for (const [conc, threads] of [[1000, 0], [1000, c.cores], [4000, c.cores]] as const) {
  const r = await inProcess(conc, threads);
  const how = threads === 0 ? 'signatures inline' : `signatures on ${threads} worker threads`;
  rows.push([`in process, ${conc} concurrent submitters, ${how}`, r.eps, r.p50, r.p99, `${((r.eps / c.all) * 100).toFixed(0)}% of ${c.cores}-core ceiling`]);
}
const hb = await overHttp('batched', 4, Math.min(N, 100_000));
rows.push(['HTTP, arrays of 1000, 4 clients', hb.eps, hb.p50, hb.p99, `${((hb.eps / c.all) * 100).toFixed(0)}%`]);
const hs = await overHttp('single', 64, Math.min(N, 20_000));
rows.push(['HTTP, single posts, 64 clients', hs.eps, hs.p50, hs.p99, `${((hs.eps / c.all) * 100).toFixed(0)}%`]);
for (const b of [100, 1000]) {
  const r = await storageOnly(path.join(tmp, `store-${b}`), Math.min(N, 100_000), b);
  rows.push([`storage only, synced batches of ${b}`, r.total, '', '', `commit alone ${r.commitOnly.toLocaleString('en-US')}/s`]);
}
console.log(table(['path', 'events/s', 'p50 ack ms', 'p99 ack ms', 'note'], rows));
fs.rmSync(tmp, { recursive: true, force: true });
