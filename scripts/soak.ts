// `pnpm soak`: a bounded soak test of the ledger over HTTP on the loopback interface.
//
//   pnpm soak [--seconds 60] [--write-rate 40] [--read-rate 40] [--clients 8]
//             [--server URL --operator-key FILE] [--json]
//
// Starts a real server (startServer) on a new temporary data directory on 127.0.0.1, or
// uses a running one (--server, with the operator's key file to register the soak's
// organisations). Sets up two organisations and three funds, then for --seconds runs, at
// steady target rates:
//   writes (--write-rate events/s): signed donations (single, and batches of 5–20 posted as
//     one array), transfers between funds, disbursements — each signed by its fund's owner;
//   reads (--read-rate requests/s): trace bundles, events with their inclusion proofs
//     (/v1/events/:id), /checkpoint, consistency proofs.
// At most --clients requests are in flight for writes, and as many for reads. Every
// acknowledgement (201/200 with seq, leaf hash, inclusion proof and checkpoint) is recorded;
// one read in ten is fully verified as it comes (trace bundles with @cotc/verify).
// At the end, every acknowledged event is fetched back and checked (same index, same leaf
// hash, same event and signature; the inclusion proof verifies against the signed
// checkpoint), every acknowledgement's own proof is verified against the checkpoint it came
// with, and the final tree is proven consistent with every checkpoint handed out.
// Prints a markdown table (or JSON with --json). Exit status 1 on any error or lost
// acknowledgement.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromBase64, fromHex, hex, leafHash, openNote, parseCheckpoint, verifyConsistency, verifyInclusion, generateKey, parseSignerKey, type Checkpoint } from '@cotc/tlog';
import { donorCommitment, parseIJsonBytes, type BodyByType, type Envelope, type EventType, type UnsignedEvent } from '@cotc/ledger';
import { verifyBundle } from '@cotc/verify';
import { eventSigner } from '../src/crypto/sign-node.ts';

export interface SoakOptions {
  seconds?: number;
  /** target write rate, events per second (a batch counts each of its events) */
  writeRate?: number;
  /** target read rate, requests per second */
  readRate?: number;
  /** requests in flight at most, for writes and (separately) for reads */
  clients?: number;
  /** a running server; otherwise one is started in this process on a temp data dir */
  server?: string;
  /** the operator's signer key (needed with `server`) */
  operatorKey?: string;
  /** progress lines */
  log?: (line: string) => void;
}

type Kind = 'donation' | 'donation batch' | 'transfer' | 'disbursement' | 'trace' | 'event + proof' | 'checkpoint' | 'consistency';
const WRITE_KINDS: Kind[] = ['donation', 'donation batch', 'transfer', 'disbursement'];
const READ_KINDS: Kind[] = ['trace', 'event + proof', 'checkpoint', 'consistency'];

export interface Memory {
  rss: number;
  heapUsed: number;
}

export interface SoakResult {
  url: string;
  inProcess: boolean;
  seconds: number;
  target: { writeRate: number; readRate: number; clients: number };
  writeEvents: number;
  writeRequests: number;
  reads: number;
  latency: Record<string, { n: number; p50: number; p99: number; max: number }>;
  errors: Record<string, number>;
  errorSamples: string[];
  acknowledged: number;
  lost: number;
  lostSamples: string[];
  checkpointsChecked: number;
  verifiedReads: number;
  memory: { source: string; start: Memory; middle: Memory; end: Memory };
  finalSize: number;
  verifySeconds: number;
}

interface Ack {
  id: string;
  seq: number;
  leafHash: string;
  sig: string;
  proof: { index: number; size: number; hashes: string[] };
  checkpoint: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function runSoak(opts: SoakOptions = {}): Promise<SoakResult> {
  const seconds = opts.seconds ?? 60;
  const writeRate = opts.writeRate ?? 40;
  const readRate = opts.readRate ?? 40;
  const clients = opts.clients ?? 8;
  const say = opts.log ?? (() => {});
  if (!(seconds > 0 && seconds <= 24 * 3600)) throw new RangeError('seconds: expected 0 < s ≤ 86400');
  if (!(writeRate >= 0 && readRate >= 0 && writeRate + readRate > 0)) throw new RangeError('rates: expected ≥ 0, not both 0');
  if (!(Number.isInteger(clients) && clients >= 1 && clients <= 256)) throw new RangeError('clients: expected 1..256');

  // ---- the server -------------------------------------------------------------------
  let url: string;
  let operatorKey: string;
  let close = async () => {};
  let tmp: string | undefined;
  const inProcess = !opts.server;
  if (opts.server) {
    const u = new URL(opts.server);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) throw new Error(`--server: loopback only (127.0.0.1, localhost, [::1]), got ${u.hostname}`);
    if (!opts.operatorKey) throw new Error('--server needs --operator-key FILE (the operator registers the soak organisations)');
    url = opts.server.replace(/\/+$/, '');
    operatorKey = opts.operatorKey;
  } else {
    const { startServer } = await import('../src/server.ts');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cotc-soak-'));
    const s = await startServer(tmp, { port: 0, host: '127.0.0.1', logLevel: 'silent' });
    url = s.url;
    operatorKey = fs.readFileSync(path.join(tmp, 'operator.key'), 'utf8').trim();
    close = async () => {
      await s.close();
      fs.rmSync(tmp!, { recursive: true, force: true });
    };
  }
  say(`soak: server ${url}${inProcess ? ` (in this process, data dir ${tmp})` : ''}`);

  try {
    return await soak(url, operatorKey, inProcess, { seconds, writeRate, readRate, clients, say });
  } finally {
    await close();
  }
}

async function soak(
  url: string,
  operatorKey: string,
  inProcess: boolean,
  o: { seconds: number; writeRate: number; readRate: number; clients: number; say: (s: string) => void },
): Promise<SoakResult> {
  const latencies = new Map<Kind, number[]>([...WRITE_KINDS, ...READ_KINDS].map((k) => [k, []]));
  const errors: Record<string, number> = {};
  const errorSamples: string[] = [];
  const error = (key: string, what: string) => {
    errors[key] = (errors[key] ?? 0) + 1;
    if (errorSamples.length < 20) errorSamples.push(`${key}: ${what}`.slice(0, 300));
  };

  async function request(method: 'GET' | 'POST', p: string, body?: unknown): Promise<{ status: number; text: string } | null> {
    try {
      const r = await fetch(url + p, {
        method,
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: r.status, text: await r.text() };
    } catch (e) {
      error('network', `${method} ${p}: ${(e as Error).message}`);
      return null;
    }
  }
  /** A GET for the final verification: a connection the server closed under us (an idle
   * keep-alive socket) is retried, up to 3 times; that is not an error of the server's. */
  async function getRetry(p: string): Promise<{ status: number; text: string } | null> {
    for (let i = 0; ; i++) {
      try {
        const r = await fetch(url + p);
        return { status: r.status, text: await r.text() };
      } catch (e) {
        if (i >= 3) {
          error('network', `GET ${p}: ${(e as Error).message} (after 3 retries)`);
          return null;
        }
        await sleep(50 * (i + 1));
      }
    }
  }
  async function getJson<T>(p: string): Promise<T> {
    const r = await request('GET', p);
    if (!r || r.status !== 200) throw new Error(`GET ${p}: ${r?.status} ${r?.text.slice(0, 200)}`);
    return JSON.parse(r.text) as T;
  }

  const logInfo = await getJson<{ origin: string; size: number; key: string }>('/v1/log');
  const logKey = logInfo.key;
  const opened = new Map<string, Checkpoint>();
  const openCp = (text: string): Checkpoint => {
    let c = opened.get(text);
    if (!c) {
      c = parseCheckpoint(openNote(text, [logKey]).text);
      if (c.origin !== logInfo.origin) throw new Error(`checkpoint of origin ${c.origin}, expected ${logInfo.origin}`);
      if (opened.size > 50_000) opened.clear();
      opened.set(text, c);
    }
    return c;
  };

  // ---- setup: two organisations, three funds ---------------------------------------
  const run = Date.now().toString(36) + Math.floor(Math.random() * 1296).toString(36);
  const opName = parseOpName(operatorKey);
  const signers = new Map<string, (u: UnsignedEvent) => Envelope>([[opName, eventSigner(operatorKey)]]);
  const charity = `soak-${run}-charity`;
  const partner = `soak-${run}-partner`;
  const keys = new Map<string, string>();
  for (const org of [charity, partner]) {
    const k = generateKey(org);
    signers.set(org, eventSigner(k.signerKey));
    keys.set(org, k.verifierKey);
  }
  let counter = 0;
  const nextId = (p: string) => `soak-${run}-${p}-${(counter++).toString(36)}`;
  const sign = <T extends EventType>(org: string, type: T, body: BodyByType[T], id = nextId(type.replace('.', '-'))): Envelope =>
    signers.get(org)!({ v: 1, type, id, org, time: new Date().toISOString(), body } as UnsignedEvent);

  const C1 = `soak-${run}-c1`;
  const C2 = `soak-${run}-c2`;
  const P1 = `soak-${run}-p1`;
  const setup: Envelope[][] = [
    [
      sign(opName, 'org.register', { org: charity, name: 'Soak charity', roles: ['charity'], keys: [keys.get(charity)!] }),
      sign(opName, 'org.register', { org: partner, name: 'Soak partner', roles: ['charity'], keys: [keys.get(partner)!] }),
    ],
    [
      sign(charity, 'fund.open', { fund: C1, name: 'Soak campaign 1', currency: 'CNY', restricted: false, purpose: 'soak testing' }),
      sign(charity, 'fund.open', { fund: C2, name: 'Soak campaign 2', currency: 'CNY', restricted: true, purpose: 'soak testing' }),
      sign(partner, 'fund.open', { fund: P1, name: 'Soak partner fund', currency: 'CNY', restricted: true, purpose: 'soak testing' }),
    ],
  ];
  for (const batch of setup) {
    const r = await request('POST', '/v1/events', batch);
    const body = r && JSON.parse(r.text);
    if (!r || r.status !== 200 || !body.every((x: { status: number }) => x.status === 201)) throw new Error(`soak setup failed: ${r?.status} ${r?.text.slice(0, 500)}`);
  }

  // ---- state of the load generator ---------------------------------------------------
  const acks = new Map<string, Ack>();
  const ackIds: string[] = [];
  const donations: string[] = []; // acknowledged donation ids
  const checkpoints = new Set<string>(); // every checkpoint handed out (note text)
  const avail = new Map<string, number>([
    [C1, 0],
    [C2, 0],
    [P1, 0],
  ]); // fen acknowledged in, minus what is reserved by transfers/disbursements in flight
  const owner = new Map([
    [C1, charity],
    [C2, charity],
    [P1, partner],
  ]);
  let writeEvents = 0;
  let writeRequests = 0;
  let reads = 0;
  let verifiedReads = 0;
  let writesInFlight = 0;
  let readsInFlight = 0;
  const rnd = (a: number, b: number) => a + Math.floor(Math.random() * (b - a + 1));
  const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

  const record = (e: Envelope, x: { seq: number; leafHash: string; proof: Ack['proof']; checkpoint: string }) => {
    if (!acks.has(e.id)) ackIds.push(e.id);
    acks.set(e.id, { id: e.id, seq: x.seq, leafHash: x.leafHash, sig: e.sig, proof: x.proof, checkpoint: x.checkpoint });
    checkpoints.add(x.checkpoint);
  };

  const donation = (): { ev: Envelope; fund: string; value: number } => {
    const fund = Math.random() < 0.7 ? C1 : C2;
    const value = rnd(100, 5000);
    const id = nextId('don');
    return { ev: sign(charity, 'donation', { fund, amount: { currency: 'CNY', value: String(value) }, donor: donorCommitment(id, 'soak-secret-' + id), channel: 'soak' }, id), fund, value };
  };

  async function write(kind: Kind): Promise<void> {
    const t0 = performance.now();
    if (kind === 'donation batch') {
      const ds = Array.from({ length: rnd(5, 20) }, donation);
      writeEvents += ds.length;
      writeRequests++;
      const r = await request('POST', '/v1/events', ds.map((d) => d.ev));
      if (!r) return;
      latencies.get(kind)!.push(performance.now() - t0);
      if (r.status !== 200) return error(String(r.status), `${kind}: ${r.text.slice(0, 200)}`);
      const body = JSON.parse(r.text) as Array<{ status: number; seq: number; leafHash: string; proof: Ack['proof']; checkpoint: string; error?: { code: string } }>;
      body.forEach((x, i) => {
        const d = ds[i]!;
        if (x.status === 201 || x.status === 200) {
          record(d.ev, x);
          donations.push(d.ev.id);
          avail.set(d.fund, avail.get(d.fund)! + d.value);
        } else error(`${x.status} ${x.error?.code}`, `${kind} element ${d.ev.id}: ${JSON.stringify(x).slice(0, 200)}`);
      });
      return;
    }
    let ev: Envelope;
    let onOk = () => {};
    let onFail = () => {};
    if (kind === 'donation') {
      const d = donation();
      ev = d.ev;
      onOk = () => {
        donations.push(d.ev.id);
        avail.set(d.fund, avail.get(d.fund)! + d.value);
      };
    } else if (kind === 'transfer') {
      const from = avail.get(C1)! >= avail.get(C2)! ? C1 : C2;
      const to = from === C2 || Math.random() < 0.75 ? P1 : C2;
      const value = Math.min(avail.get(from)!, rnd(1000, 4000));
      avail.set(from, avail.get(from)! - value);
      ev = sign(owner.get(from)!, 'transfer', { from, to, amount: { currency: 'CNY', value: String(value) }, memo: 'soak allocation' });
      onOk = () => void avail.set(to, avail.get(to)! + value);
      onFail = () => void avail.set(from, avail.get(from)! + value);
    } else {
      const fund = avail.get(P1)! >= avail.get(C2)! ? P1 : C2;
      const value = Math.min(avail.get(fund)!, rnd(500, 3000));
      avail.set(fund, avail.get(fund)! - value);
      const invoice = { sha256: hex(new Uint8Array(32).map(() => rnd(0, 255))), name: 'invoice.pdf' };
      ev = sign(owner.get(fund)!, 'disbursement', { fund, amount: { currency: 'CNY', value: String(value) }, payee: 'soak-supplier', purpose: 'soak supplies', receipts: [invoice] });
      onFail = () => void avail.set(fund, avail.get(fund)! + value);
    }
    writeEvents++;
    writeRequests++;
    const r = await request('POST', '/v1/events', ev);
    if (!r) return onFail();
    latencies.get(kind)!.push(performance.now() - t0);
    if (r.status !== 201 && r.status !== 200) {
      onFail();
      return error(`${r.status} ${safeCode(r.text)}`, `${kind} ${ev.id}: ${r.text.slice(0, 200)}`);
    }
    record(ev, JSON.parse(r.text));
    onOk();
  }

  function chooseWrite(): Kind {
    const x = Math.random();
    const spendable = Math.max(avail.get(C1)!, avail.get(C2)!);
    if (x < 0.2 && spendable >= 1000) return 'transfer';
    if (x < 0.35 && Math.max(avail.get(P1)!, avail.get(C2)!) >= 500) return 'disbursement';
    if (x < 0.45) return 'donation batch';
    return 'donation';
  }

  let readCount = 0;
  async function read(kind: Kind): Promise<void> {
    const t0 = performance.now();
    const full = readCount++ % 10 === 0; // one read in ten fully verified
    reads++;
    try {
      if (kind === 'trace') {
        const id = pick(donations);
        const r = await request('GET', `/v1/donations/${id}/trace`);
        if (!r) return;
        latencies.get(kind)!.push(performance.now() - t0);
        if (r.status !== 200) return error(`${r.status} ${safeCode(r.text)}`, `trace ${id}`);
        if (full) {
          const v = await verifyBundle(JSON.parse(r.text), { logKey, donation: id, receiptSecret: 'soak-secret-' + id });
          if (!v.ok) return error('verify', `trace ${id}: ${v.problems.map((p) => p.message).join('; ').slice(0, 200)}`);
          verifiedReads++;
        }
      } else if (kind === 'event + proof') {
        const id = ackIds[ackIds.length - 1 - Math.floor(Math.random() * Math.min(1000, ackIds.length))]!;
        const r = await request('GET', `/v1/events/${id}`);
        if (!r) return;
        latencies.get(kind)!.push(performance.now() - t0);
        if (r.status !== 200) return error(`${r.status} ${safeCode(r.text)}`, `event ${id}`);
        if (full) {
          const problem = checkEvent(JSON.parse(r.text), acks.get(id)!);
          if (problem) return error('verify', problem);
          verifiedReads++;
        }
      } else if (kind === 'checkpoint') {
        const r = await request('GET', '/checkpoint');
        if (!r) return;
        latencies.get(kind)!.push(performance.now() - t0);
        if (r.status !== 200) return error(`${r.status}`, 'checkpoint');
        checkpoints.add(r.text);
        if (full) {
          openCp(r.text);
          verifiedReads++;
        }
      } else {
        const cps = [...checkpoints];
        const a = openCp(pick(cps.slice(-200)));
        const b = openCp(pick(cps.slice(-200)));
        const [from, to] = a.size <= b.size ? [a, b] : [b, a];
        if (from.size === 0) return;
        const r = await request('GET', `/v1/proofs/consistency?from=${from.size}&to=${to.size}`);
        if (!r) return;
        latencies.get(kind)!.push(performance.now() - t0);
        if (r.status !== 200) return error(`${r.status} ${safeCode(r.text)}`, `consistency ${from.size}→${to.size}`);
        if (full) {
          const hs = (JSON.parse(r.text) as { hashes: string[] }).hashes.map((h) => fromHex(h));
          if (!verifyConsistency(from.size, to.size, hs, from.root, to.root)) return error('verify', `consistency ${from.size}→${to.size} does not verify`);
          verifiedReads++;
        }
      }
    } catch (e) {
      error('client', `${kind}: ${(e as Error).message}`);
    }
  }

  /** A problem with GET /v1/events/:id's answer for an acknowledged event, or null. */
  function checkEvent(body: { entry: { index: number; data: string }; proof: Ack['proof']; checkpoint: string }, ack: Ack): string | null {
    const data = fromBase64(body.entry.data);
    const leaf = leafHash(data);
    if (body.entry.index !== ack.seq) return `${ack.id}: acknowledged at ${ack.seq}, served at ${body.entry.index}`;
    if (hex(leaf) !== ack.leafHash) return `${ack.id}: leaf hash ${hex(leaf)} ≠ acknowledged ${ack.leafHash}`;
    const entry = parseIJsonBytes(data) as { event: Envelope };
    if (entry.event.id !== ack.id || entry.event.sig !== ack.sig) return `${ack.id}: the entry holds another event`;
    const cp = openCp(body.checkpoint);
    if (body.proof.index !== ack.seq || body.proof.size !== cp.size) return `${ack.id}: proof for ${body.proof.index}/${body.proof.size}, checkpoint size ${cp.size}`;
    if (!verifyInclusion(leaf, ack.seq, cp.size, body.proof.hashes.map((h) => fromHex(h)), cp.root)) return `${ack.id}: inclusion proof does not verify`;
    return null;
  }

  // ---- memory -------------------------------------------------------------------------
  const memSource = inProcess
    ? 'process.memoryUsage() of this process (server and load generator share it)'
    : 'the server /metrics (process_resident_memory_bytes, nodejs_heap_size_used_bytes)';
  async function memory(): Promise<Memory> {
    if (inProcess) {
      const m = process.memoryUsage();
      return { rss: m.rss, heapUsed: m.heapUsed };
    }
    const r = await request('GET', '/metrics');
    const num = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(r?.text ?? '')?.[1] ?? NaN);
    return { rss: num('process_resident_memory_bytes'), heapUsed: num('nodejs_heap_size_used_bytes') };
  }

  // ---- the timed run -----------------------------------------------------------------
  // Seed a few donations so reads and spending have something to work on.
  await write('donation batch');
  const memStart = await memory();
  let memMiddle: Memory | undefined;
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const t0 = performance.now();
  const end = t0 + o.seconds * 1000;
  let nextReport = t0 + 10_000;
  o.say(`soak: ${o.seconds} s, target ${o.writeRate} write events/s and ${o.readRate} reads/s, ${o.clients} clients each`);
  let writeEventsAtStart = writeEvents;
  let writeRequestsAtStart = writeRequests;
  while (true) {
    const now = performance.now();
    if (now >= end) break;
    const elapsed = (now - t0) / 1000;
    if (!memMiddle && elapsed >= o.seconds / 2) memMiddle = await memory();
    while (writeEvents - writeEventsAtStart < o.writeRate * elapsed && writesInFlight < o.clients) {
      writesInFlight++;
      track(write(chooseWrite()).finally(() => writesInFlight--));
    }
    while (reads < o.readRate * elapsed && readsInFlight < o.clients && donations.length > 0) {
      readsInFlight++;
      track(read(READ_KINDS[reads % READ_KINDS.length]!).finally(() => readsInFlight--));
    }
    if (now >= nextReport) {
      nextReport += 10_000;
      o.say(`soak: ${elapsed.toFixed(0)} s, ${writeEvents - writeEventsAtStart} write events, ${reads} reads, ${acks.size} acknowledged, errors ${JSON.stringify(errors)}`);
    }
    await sleep(5);
  }
  await Promise.all([...pending]);
  const wall = (performance.now() - t0) / 1000;
  const memEnd = await memory();
  memMiddle ??= memEnd;

  // ---- verification: zero lost acknowledgements -----------------------------------
  const v0 = performance.now();
  o.say(`soak: verifying ${acks.size} acknowledgements and ${checkpoints.size} checkpoints`);
  let lost = 0;
  const lostSamples: string[] = [];
  const lose = (s: string) => {
    lost++;
    if (lostSamples.length < 20) lostSamples.push(s);
  };
  const all = [...acks.values()];
  // Each acknowledgement's own proof, against the checkpoint it came with.
  for (const [i, a] of all.entries()) {
    if (i % 200 === 0) await new Promise((r) => setImmediate(r)); // let the server breathe
    const cp = openCp(a.checkpoint);
    const ok = a.proof.index === a.seq && a.proof.size === cp.size && verifyInclusion(fromHex(a.leafHash), a.seq, cp.size, a.proof.hashes.map((h) => fromHex(h)), cp.root);
    if (!ok) error('verify', `${a.id}: the acknowledgement's proof does not verify against its checkpoint`);
  }
  // Every acknowledged event, fetched back.
  await pool(all, 16, async (a) => {
    const r = await getRetry(`/v1/events/${a.id}`);
    if (!r) return lose(`${a.id}: no answer`);
    if (r.status !== 200) return lose(`${a.id}: GET answered ${r.status} ${r.text.slice(0, 100)}`);
    const problem = checkEvent(JSON.parse(r.text), a);
    if (problem) lose(problem);
  });
  // The final tree, consistent with every checkpoint handed out.
  const finalText = await getRetry('/checkpoint');
  const final = openCp(finalText!.text);
  const sizes = new Map<number, Checkpoint>();
  for (const t of checkpoints) {
    const c = openCp(t);
    const seen = sizes.get(c.size);
    if (seen && !equal(seen.root, c.root)) error('verify', `two checkpoints of size ${c.size} with different roots`);
    sizes.set(c.size, c);
  }
  await pool([...sizes.values()], 16, async (c) => {
    if (c.size > final.size) return error('verify', `checkpoint ${c.size} handed out, the log is at ${final.size}`);
    if (c.size === 0 || c.size === final.size) return;
    const r = await getRetry(`/v1/proofs/consistency?from=${c.size}&to=${final.size}`);
    if (!r) return;
    if (r.status !== 200) return error(`${r.status}`, `consistency ${c.size}→${final.size}`);
    const hs = (JSON.parse(r.text) as { hashes: string[] }).hashes.map((h) => fromHex(h));
    if (!verifyConsistency(c.size, final.size, hs, c.root, final.root)) error('verify', `the log is not consistent with checkpoint ${c.size}`);
  });

  const latency: SoakResult['latency'] = {};
  for (const [k, xs] of latencies) {
    const s = xs.slice().sort((a, b) => a - b);
    latency[k] = { n: s.length, p50: quantile(s, 0.5), p99: quantile(s, 0.99), max: s[s.length - 1] ?? NaN };
  }
  return {
    url,
    inProcess,
    seconds: wall,
    target: { writeRate: o.writeRate, readRate: o.readRate, clients: o.clients },
    writeEvents: writeEvents - writeEventsAtStart,
    writeRequests: writeRequests - writeRequestsAtStart,
    reads,
    latency,
    errors,
    errorSamples,
    acknowledged: acks.size,
    lost,
    lostSamples,
    checkpointsChecked: sizes.size,
    verifiedReads,
    memory: { source: memSource, start: memStart, middle: memMiddle, end: memEnd },
    finalSize: final.size,
    verifySeconds: (performance.now() - v0) / 1000,
  };
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function safeCode(text: string): string {
  try {
    return String(JSON.parse(text)?.error?.code ?? '');
  } catch {
    return '';
  }
}

function parseOpName(signerKey: string): string {
  return parseSignerKey(signerKey, 'operator key').name;
}

async function pool<T>(xs: T[], n: number, f: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < xs.length) await f(xs[i++]!);
    }),
  );
}

const mb = (n: number) => (Number.isFinite(n) ? `${(n / 2 ** 20).toFixed(1)} MiB` : 'n/a');
const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : '–');

export function formatSoak(r: SoakResult): string {
  const lines: string[] = [];
  const row = (...cells: string[]) => lines.push(`| ${cells.join(' | ')} |`);
  row('measure', 'value');
  row('---', '---');
  row('server', `${r.url}${r.inProcess ? ' (in process, new temp data dir)' : ''}`);
  row('duration', `${r.seconds.toFixed(1)} s (then ${r.verifySeconds.toFixed(1)} s verifying)`);
  row('target', `${r.target.writeRate} write events/s, ${r.target.readRate} reads/s, ≤ ${r.target.clients} requests in flight for each`);
  row('writes/s achieved', `${(r.writeEvents / r.seconds).toFixed(1)} events/s in ${(r.writeRequests / r.seconds).toFixed(1)} requests/s (${r.writeEvents} events)`);
  row('reads/s achieved', `${(r.reads / r.seconds).toFixed(1)} (${r.reads} reads, ${r.verifiedReads} fully verified as they came)`);
  row('acknowledged events', String(r.acknowledged));
  row('lost acknowledgements', `**${r.lost}** (every acknowledged event fetched back and its inclusion proof verified)${r.lostSamples.length ? ': ' + r.lostSamples.join('; ') : ''}`);
  row('checkpoints proven consistent with the final one', `${r.checkpointsChecked} (final size ${r.finalSize})`);
  const errs = Object.entries(r.errors);
  row('errors (count by status)', errs.length === 0 ? '**0**' : errs.map(([k, v]) => `${k}: ${v}`).join(', '));
  const m = r.memory;
  row('memory source', m.source);
  row('RSS start / middle / end', `${mb(m.start.rss)} / ${mb(m.middle.rss)} / ${mb(m.end.rss)} (growth ${mb(m.end.rss - m.start.rss)})`);
  row('heap used start / middle / end', `${mb(m.start.heapUsed)} / ${mb(m.middle.heapUsed)} / ${mb(m.end.heapUsed)} (growth ${mb(m.end.heapUsed - m.start.heapUsed)})`);
  lines.push('');
  lines.push('| kind | requests | p50 | p99 | max |');
  lines.push('| --- | ---: | ---: | ---: | ---: |');
  for (const [k, l] of Object.entries(r.latency)) lines.push(`| ${k} | ${l.n} | ${ms(l.p50)} | ${ms(l.p99)} | ${ms(l.max)} |`);
  if (r.errorSamples.length) {
    lines.push('');
    lines.push('Error samples:');
    for (const s of r.errorSamples) lines.push(`- ${s}`);
  }
  return lines.join('\n');
}

// ---- the command line ------------------------------------------------------------------
function parseArgs(argv: string[]): SoakOptions & { json: boolean } {
  const out: SoakOptions & { json: boolean } = { json: false };
  const num = (name: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n)) throw new Error(`${name}: expected a number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[i + 1];
    switch (a) {
      case '--seconds':
        out.seconds = num(a, v), i++;
        break;
      case '--write-rate':
        out.writeRate = num(a, v), i++;
        break;
      case '--read-rate':
        out.readRate = num(a, v), i++;
        break;
      case '--clients':
        out.clients = num(a, v), i++;
        break;
      case '--server':
        out.server = v, i++;
        break;
      case '--operator-key':
        out.operatorKey = fs.readFileSync(v ?? '', 'utf8').trim(), i++;
        break;
      case '--json':
        out.json = true;
        break;
      case '--':
        break;
      default:
        throw new Error(`unknown option ${a} (options: --seconds --write-rate --read-rate --clients --server URL --operator-key FILE --json)`);
    }
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`soak: ${(e as Error).message}`);
    process.exit(2);
  }
  const r = await runSoak({ ...args, log: (s) => console.error(s) });
  console.log(args.json ? JSON.stringify(r, null, 2) : formatSoak(r));
  process.exit(r.lost === 0 && Object.keys(r.errors).length === 0 ? 0 : 1);
}
