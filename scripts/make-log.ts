// A large, realistic log for the read and audit benchmarks (`pnpm bench http`, `pnpm bench
// audit`), built as fast as this machine allows through the real LogService, and cached.
//   BENCH_ENTRIES (default 1000000)   how many entries (at least)
//   `tsx scripts/make-log.ts [N]`     builds (or finds) the cached log and prints where it is
//
// Where: os.tmpdir()/cotc-bench-log-<state layout>-f<store format>-N, reused when its bench-meta.json says it holds ≥ N
// entries (a half-built directory, without that file, is removed and built again). The
// benchmarks may append to it (the write load of bench http), so it only grows.
//
// What: a few organisations and funds; mostly donations (two channels, CNY 1.00–50.00),
// in rounds of 1000; after each round every campaign fund grants a partner charity's fund
// 80% of what the round brought it plus what was left of round r−W (W = rounds in flight,
// 4), each partner pays a supplier likewise (90%, with an invoice hash), the supplier
// confirms delivery, and every fifth round a field auditor confirms too. FIFO lots make
// nearly every donation's trace donation → transfer → disbursement → confirmation(s), the
// lots at a round's edges split over two grants (two of each hop); only the last W rounds'
// donations are still partly unmoved.
//
// How: events are signed with node:crypto on worker threads, one per core (JCS of these
// ASCII-only objects is JSON with sorted keys); rounds are submitted as arrays of ~1000
// (LogService.submitMany, 8 rounds in flight) and the sequencer group-commits batches of
// 4000. It does not check the signatures again: they are this script's own, made a moment
// before; `cotc audit --data` checks every one (a 20k-entry log audits clean). Through
// LogService (not by writing the store directly) so that the log is exactly what the
// server would have written, whatever the store's record layout (issue 10 changes it).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { generateKey, hex, parseSignerKey } from '@cotc/tlog';
import type { Envelope, UnsignedEvent } from '@cotc/ledger';
import { openDataDir, writeKeyFile } from '../src/log/datadir.ts';
import { LogService } from '../src/log/service.ts';
import { LEVEL_FORMAT } from '../src/storage/level.ts';
import { openStore } from '../src/storage/open.ts';
import { eventSigner } from '../src/crypto/sign-node.ts';

export const DEFAULT_ENTRIES = 1_000_000;
/** donations per round */
export const ROUND = 1000;
const META = 'bench-meta.json';
const KEYS = 'bench-keys.json';

export interface BenchOrg {
  id: string;
  name: string;
  roles: string[];
}
export interface BenchFund {
  id: string;
  owner: string;
  name: string;
  purpose: string;
  /** share of donations (campaign funds), 0 for partner funds */
  weight: number;
  /** the partner fund a campaign fund grants to */
  partner?: string;
  /** who a partner fund pays */
  payee?: string;
}

export const ORGS: BenchOrg[] = [
  { id: 'children-foundation', name: 'Children Foundation', roles: ['charity'] },
  { id: 'elderly-care', name: 'Elderly Care Association', roles: ['charity'] },
  { id: 'yunnan-partner', name: 'Yunnan Rural Schools Partner', roles: ['charity'] },
  { id: 'gansu-partner', name: 'Gansu Villages Partner', roles: ['charity'] },
  { id: 'clearwater-supplies', name: 'Clearwater Supplies Ltd.', roles: ['payee'] },
  { id: 'sunrise-kitchens', name: 'Sunrise Community Kitchens', roles: ['payee'] },
  { id: 'field-auditors', name: 'Independent Field Auditors', roles: ['auditor'] },
];

export const FUNDS: BenchFund[] = [
  { id: 'music-classrooms', owner: 'children-foundation', name: 'Music classrooms', purpose: 'music classrooms for rural schools', weight: 40, partner: 'yunnan-schools' },
  { id: 'water-filters', owner: 'children-foundation', name: 'Water filters', purpose: 'water filters for 236 schools', weight: 25, partner: 'yunnan-schools' },
  { id: 'meals-elderly', owner: 'elderly-care', name: 'Meals for elderly people', purpose: 'meals for elderly people living alone', weight: 20, partner: 'gansu-villages' },
  { id: 'women-training', owner: 'elderly-care', name: 'Training for women', purpose: 'training for women in remote villages', weight: 15, partner: 'gansu-villages' },
  { id: 'yunnan-schools', owner: 'yunnan-partner', name: 'Yunnan schools programme', purpose: 'equipment for rural schools', weight: 0, payee: 'clearwater-supplies' },
  { id: 'gansu-villages', owner: 'gansu-partner', name: 'Gansu villages programme', purpose: 'meals and training in villages', weight: 0, payee: 'sunrise-kitchens' },
];

export interface BenchMeta {
  /** entries the log held when built (it may have grown since) */
  size: number;
  /** entries asked for */
  requested: number;
  rounds: number;
  /** donation ids are `don-` + the index zero-padded to 7 digits, 0 ≤ index < donations */
  donations: number;
  buildSeconds: number;
  builtAt: string;
  machine: string;
}

export interface BenchLog {
  dir: string;
  meta: BenchMeta;
  /** true when this call built it, false when the cache was reused */
  built: boolean;
  seconds: number;
}

export interface MakeLogOptions {
  log?: (line: string) => void;
  /** rounds submitted concurrently (default 4) */
  window?: number;
  /** generator (signing) threads (default: one per core) */
  generators?: number;
  /** events per group commit (default 4000) */
  maxBatch?: number;
}

/** The store's state record layout, in the cache's name: a log built by code with another
 * layout is refused at start ("state at seq 0"), so it is never picked up as this one's.
 * s2: issue 10's typed records (org/, fund/, lot/, event/, rev/, conf/).
 * s3: issue 11's state map (map/ pages and roots, live/<donation>, conf/ as [{event, org, seq}]):
 * a store built before it has no map root and is refused at open. */
export const STATE_LAYOUT = 's3';

export function benchLogDir(entries: number): string {
  // …and the store's format (LEVEL_FORMAT: 2 since issue 10 folded the postings).
  return path.join(os.tmpdir(), `cotc-bench-log-${STATE_LAYOUT}-f${LEVEL_FORMAT}-${entries}`);
}

export function benchEntries(): number {
  const n = Number(process.env.BENCH_ENTRIES ?? DEFAULT_ENTRIES);
  if (!Number.isSafeInteger(n) || n < 2000) throw new Error(`BENCH_ENTRIES: expected an integer ≥ 2000, got ${process.env.BENCH_ENTRIES}`);
  return n;
}

/** The signature check make-log gives the sequencer: every event is its own, just signed. */
const trustOwnSignatures = (): boolean => true;

export const donationId = (i: number) => `don-${String(i).padStart(7, '0')}`;

export function readMeta(dir: string): BenchMeta | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, META), 'utf8')) as BenchMeta;
  } catch {
    return null;
  }
}

/** The org signer keys of a bench log (written mode 0600 beside the store). */
export function readBenchKeys(dir: string): Record<string, string> {
  return JSON.parse(fs.readFileSync(path.join(dir, KEYS), 'utf8'));
}

// The generator, plain JavaScript evaluated in a worker (no TypeScript loader there).
// canon() is RFC 8785 for what it is given: objects of ASCII strings, booleans and small
// integers (JSON.stringify escapes strings as JCS does; keys sorted by UTF-16 code units).
const GENERATOR = `
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const signers = {};
for (const [org, k] of Object.entries(workerData.keys)) {
  signers[org] = { id: Buffer.from(k.id, 'hex'), key: crypto.createPrivateKey({ key: Buffer.concat([PKCS8, Buffer.from(k.seed, 'hex')]), format: 'der', type: 'pkcs8' }) };
}
const funds = workerData.funds;
const campaign = funds.filter((f) => f.weight > 0);
const partners = funds.filter((f) => f.payee);
const owner = Object.fromEntries(funds.map((f) => [f.id, f.owner]));
const totalWeight = campaign.reduce((s, f) => s + f.weight, 0);
const ROUND = workerData.round;
const W = workerData.window;
const remC = {};
const remP = {};
function canon(v) {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']';
  return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canon(v[k])).join(',') + '}';
}
function sign(u) {
  const s = signers[u.org];
  const sig = crypto.sign(null, Buffer.from(canon(u), 'utf8'), s.key);
  u.sig = Buffer.concat([s.id, sig]).toString('base64');
  return u;
}
const sha = (s) => crypto.createHash('sha256').update(s, 'utf8').digest('hex');
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pad = (n, w) => String(n).padStart(w, '0');
const amount = (v) => ({ currency: 'CNY', value: String(v) });
// A round's donations (any worker: they depend on r alone) …
function donations(r, count, first) {
  const rnd = prng(0x9e3779b9 ^ (r * 2654435761));
  const time = new Date().toISOString();
  const out = [];
  const got = {};
  for (let i = 0; i < count; i++) {
    const n = first + i;
    const id = 'don-' + pad(n, 7);
    let x = rnd() * totalWeight;
    let fund = campaign[campaign.length - 1].id;
    for (const f of campaign) if ((x -= f.weight) < 0) { fund = f.id; break; }
    const goods = rnd() < 0.7;
    const u = rnd();
    const value = goods ? 100 + Math.floor(u * u * 4901) : 150 + Math.floor(u * u * 4851);
    const donor = sha('cotc-donor-v1\\n' + id + '\\nbench-receipt-' + n);
    out.push(sign({ v: 1, type: 'donation', id, org: owner[fund], time, body: { fund, amount: amount(value), donor, channel: goods ? 'goods-for-good' : 'steps-for-charity' } }));
    got[fund] = (got[fund] || 0) + value;
  }
  return { events: out, got, time };
}
// … and its grants, payments and confirmations (worker 0 alone, rounds in order: remC and
// remP carry what rounds r−W left over).
function grants(r, got, time) {
  const out = [];
  // Each round grants 80% of what it brought, plus the rest of what round r−W brought, and
  // pays on likewise. The main thread submits round r only after round r−W (and so every
  // round before it) is committed, so whatever order the rounds in flight commit in, no
  // fund is overdrawn, and every fund is drained down to its last W rounds.
  const received = {};
  remC[r] = {};
  for (const f of campaign) {
    const s = got[f.id] || 0;
    const keep = s - Math.floor((s * 80) / 100);
    remC[r][f.id] = keep;
    const v = s - keep + ((remC[r - W] || {})[f.id] || 0);
    delete remC[r - W];
    if (v < 1) continue;
    out.push(sign({ v: 1, type: 'transfer', id: 'r' + pad(r, 5) + '.grant.' + f.id, org: f.owner, time, body: { from: f.id, to: f.partner, amount: amount(v), memo: 'grant of round ' + r + ': ' + f.purpose } }));
    received[f.partner] = (received[f.partner] || 0) + v;
  }
  remP[r] = {};
  for (const p of partners) {
    const s = received[p.id] || 0;
    const keep = s - Math.floor((s * 90) / 100);
    remP[r][p.id] = keep;
    const v = s - keep + ((remP[r - W] || {})[p.id] || 0);
    delete remP[r - W];
    if (v < 1) continue;
    const id = 'r' + pad(r, 5) + '.pay.' + p.id;
    const purpose = p.purpose + ', round ' + r;
    out.push(sign({ v: 1, type: 'disbursement', id, org: p.owner, time, body: { fund: p.id, amount: amount(v), payee: p.payee, purpose, receipts: [{ sha256: sha('invoice ' + id + ' ' + v), name: 'invoice-' + pad(r, 5) + '.pdf' }] } }));
    out.push(sign({ v: 1, type: 'confirmation', id: id + '.confirm', org: p.payee, time, body: { disbursement: id, statement: 'delivered: ' + purpose, evidence: [{ sha256: sha('delivery ' + id), name: 'delivery-note-' + pad(r, 5) + '.pdf' }] } }));
    if (r % 5 === 0) {
      out.push(sign({ v: 1, type: 'confirmation', id: id + '.audit', org: workerData.auditor, time, body: { disbursement: id, statement: 'field visit: ' + purpose + ' verified on site', evidence: [{ sha256: sha('audit ' + id), name: 'field-report-' + pad(r, 5) + '.pdf' }] } }));
    }
  }
  return out;
}
parentPort.on('message', (m) => {
  if (m.kind === 'd') parentPort.postMessage({ key: m.key, ...donations(m.r, m.count, m.first) });
  else parentPort.postMessage({ key: m.key, events: grants(m.r, m.got, m.time) });
});
`;

/**
 * Builds (or reuses) a data directory holding at least `entries` entries. Reuses `dir`
 * when its bench-meta.json says it was built with ≥ entries; otherwise removes it and
 * builds it again.
 */
export async function makeLog(dir: string = benchLogDir(benchEntries()), entries: number = benchEntries(), opts: MakeLogOptions = {}): Promise<BenchLog> {
  const say = opts.log ?? ((line: string) => console.log(line));
  const existing = readMeta(dir);
  if (existing && existing.size >= entries) {
    say(`make-log: reusing ${dir}: ${existing.size.toLocaleString('en-US')} entries, built ${existing.builtAt} in ${existing.buildSeconds.toFixed(1)} s`);
    return { dir, meta: existing, built: false, seconds: existing.buildSeconds };
  }
  if (fs.existsSync(dir)) {
    say(`make-log: ${dir} is incomplete or smaller than ${entries.toLocaleString('en-US')} entries; rebuilding`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const t0 = performance.now();
  const dd = openDataDir(dir);
  const window = opts.window ?? 8;
  const maxBatch = opts.maxBatch ?? 4000;
  // The events are this script's own, signed a moment ago with the keys it registers, so the
  // sequencer does not check their signatures again (that is half the CPU of an ingest on 2
  // cores); `cotc audit --data` checks every one of them afterwards.
  const log = await LogService.open({
    store: await openStore(dd.storePath),
    logKey: dd.logKey,
    operatorKey: dd.operatorKey,
    maxBatch,
    maxQueue: (window + 1) * (ROUND + 20),
    verify: trustOwnSignatures,
  });
  // Signing is most of the generator's work: one generator per core signs rounds' donations
  // in parallel; worker 0 also writes every round's grants, in order.
  const workerData = await setupKeys();
  const workers = Array.from({ length: opts.generators ?? Math.max(1, os.cpus().length) }, () => new Worker(GENERATOR, { eval: true, workerData }));
  try {
    // 1. Organisations and funds, signed here.
    const op = eventSigner(dd.operatorKey);
    const signers = new Map<string, (u: UnsignedEvent) => Envelope>();
    const time = () => new Date().toISOString();
    const submit = async (events: Envelope[]) => {
      // No inclusion proofs: nothing here reads them (the HTTP answers carry one).
      const rs = await log.submitMany(events, { proofs: false });
      rs.forEach((r, i) => {
        if (r.status !== 201) throw new Error(`make-log: ${events[i]!.type} ${events[i]!.id} was refused: ${JSON.stringify(r)}`);
      });
    };
    const keys = readBenchKeys(dir);
    for (const o of ORGS) signers.set(o.id, eventSigner(keys[o.id]!));
    await submit(
      ORGS.map((o) =>
        op({ v: 1, type: 'org.register', id: `${o.id}.register`, org: dd.operator, time: time(), body: { org: o.id, name: o.name, roles: o.roles as never, keys: [parseSignerKey(keys[o.id]!).verifierKey] } }),
      ),
    );
    await submit(
      FUNDS.map((f) => signers.get(f.owner)!({ v: 1, type: 'fund.open', id: `${f.id}.open`, org: f.owner, time: time(), body: { fund: f.id, name: f.name, currency: 'CNY', restricted: true, purpose: f.purpose } })),
    );

    // 2. Rounds: donations generated ahead on every worker, `window` rounds in flight.
    type Reply = { key: string; events: Envelope[]; got?: Record<string, number>; time?: string };
    const pending = new Map<string, { resolve: (m: Reply) => void; reject: (e: unknown) => void }>();
    for (const w of workers) {
      w.on('message', (m: Reply) => {
        pending.get(m.key)?.resolve(m);
        pending.delete(m.key);
      });
      w.on('error', (e) => {
        for (const p of pending.values()) p.reject(e);
        pending.clear();
      });
    }
    const ask = (w: Worker, msg: Record<string, unknown> & { key: string }) =>
      new Promise<Reply>((resolve, reject) => {
        pending.set(msg.key, { resolve, reject });
        w.postMessage(msg);
      });
    // ~8.4 extra entries per round (4 grants, 2 payments, 2 confirmations, 2 audits every fifth round)
    const perRound = ROUND + 8.4;
    let planned = log.size;
    let r = 0;
    /** donations asked for and not yet received */
    let asked = 0;
    const left = () => entries - planned - (asked * perRound) / ROUND;
    const submitted: Array<Promise<void>> = [];
    let lastSay = performance.now();
    let lastSize = log.size;
    const progress = (force = false) => {
      const now = performance.now();
      if (!force && now - lastSay < 5000) return;
      const rateNow = Math.round(((log.size - lastSize) / (now - lastSay)) * 1000);
      say(
        `make-log: ${log.size.toLocaleString('en-US')} / ${entries.toLocaleString('en-US')} entries, ${rateNow.toLocaleString('en-US')}/s now, ${Math.round(((log.size - 14) / (now - t0)) * 1000).toLocaleString('en-US')}/s overall, ${((now - t0) / 1000).toFixed(0)} s, load ${os.loadavg()[0]!.toFixed(2)}`,
      );
      lastSay = now;
      lastSize = log.size;
    };
    let donations = 0;
    const ahead: Array<Promise<Reply & { count: number }>> = [];
    let nextRound = 0;
    const fill = () => {
      while (ahead.length < workers.length && (left() > 0 || (ahead.length === 0 && planned < entries))) {
        const count = Math.max(1, Math.min(ROUND, Math.round((left() / perRound) * ROUND)));
        const rr = nextRound++;
        // Donation ids are contiguous (don-<first+i>), whichever rounds come out short.
        const first = donations;
        donations += count;
        asked += count;
        ahead.push(ask(workers[rr % workers.length]!, { kind: 'd', key: `d${rr}`, r: rr, count, first }).then((m) => ({ ...m, count })));
      }
    };
    fill();
    while (ahead.length > 0) {
      const d = await ahead.shift()!;
      asked -= d.count;
      const g = await ask(workers[0]!, { kind: 'g', key: `g${r}`, r, got: d.got, time: d.time });
      const events = d.events.concat(g.events);
      planned += events.length;
      r++;
      fill();
      // Round r−1 was just received; it may enter once round r−1−W is committed.
      if (r - 1 - window >= 0) await submitted[r - 1 - window];
      submitted.push(submit(events));
      submitted[r - 1]!.catch(() => {}); // awaited below; a failure must not go unhandled meanwhile
      progress();
    }
    await Promise.all(submitted);
    await log.idle();
    progress(true);
    const seconds = (performance.now() - t0) / 1000;
    const meta: BenchMeta = {
      size: log.size,
      requested: entries,
      rounds: r,
      donations,
      buildSeconds: seconds,
      builtAt: new Date().toISOString(),
      machine: `${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, Node ${process.version}`,
    };
    fs.writeFileSync(path.join(dir, META), JSON.stringify(meta, null, 2) + '\n');
    say(`make-log: built ${dir}: ${meta.size.toLocaleString('en-US')} entries (${meta.donations.toLocaleString('en-US')} donations in ${r} rounds) in ${seconds.toFixed(1)} s, ${Math.round(meta.size / seconds).toLocaleString('en-US')} entries/s`);
    return { dir, meta, built: true, seconds };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    await log.close();
  }

  // Keys for every org (files of mode 0600, like the data directory's own keys).
  async function setupKeys() {
    const keys: Record<string, string> = {};
    for (const o of ORGS) keys[o.id] = generateKey(o.id).signerKey;
    writeKeyFile(path.join(dir, KEYS), JSON.stringify(keys));
    const forWorker: Record<string, { seed: string; id: string }> = {};
    for (const [org, k] of Object.entries(keys)) {
      const p = parseSignerKey(k);
      forWorker[org] = { seed: hex(p.seed), id: hex(p.id) };
    }
    return { keys: forWorker, funds: FUNDS, round: ROUND, window, auditor: 'field-auditors' };
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const n = process.argv[2] ? Number(process.argv[2]) : benchEntries();
  const b = await makeLog(benchLogDir(n), n);
  console.log(`make-log: ${b.dir} (${b.meta.size.toLocaleString('en-US')} entries; ${b.built ? 'built' : 'reused'}, build took ${b.seconds.toFixed(1)} s)`);
}
