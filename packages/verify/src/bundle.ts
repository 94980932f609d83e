// verifyBundle: checks a trace bundle (DESIGN.md "Wire formats (version 1)": "Trace
// bundle", "Entries", "Proofs", "Keys") from the bytes up, trusting only the log's key:
//
//  1. the checkpoint note is signed by the log key, parses, and its origin is the key's name;
//  2. every entry's data is canonical base64; its leaf hash (of the bytes given) is proven
//     at its index in the checkpoint's tree; then the bytes parse as I-JSON, are RFC 8785
//     canonical, have the entry's shape, and seq = index; adjacent entries chain by prev;
//  3. every event is signed by a key the bundle's own proven org.register / org.keys
//     entries vouch for at that seq (keys.ts, the state machine's rule exactly);
//  4. every entry's effects add up (to the event's amount; a reversal's to its target's);
//  5. the trace is recomputed with the ledger's buildTrace from the proven entries and must
//     equal the bundle's, node for node and flow for flow, and conserve money;
//  6. the receipt secret, when given, opens the donation's donor commitment;
//  7. the checkpoint is consistent with the last one trusted (no fork, no rollback).
//
// Everything wrong with the bundle is a Problem; only bad arguments throw (VerifyError).
// What a bundle cannot show: entries the server left out altogether (a later hop of the
// money, a revocation of a key). The auditor's full replay catches those.
import { InclusionBatch, equalBytes, fromHex, hex, leafHash, type Checkpoint } from '@cotc/tlog';
import { decodeBase64, signingBytesFromEntry, splitSigFast } from './fast.ts';
import {
  buildTrace,
  canonicalBytes,
  canonicalize,
  checkConservation,
  ID_RE as ID,
  isPlainObject,
  MAX_CLOCK_AHEAD_MS,
  MAX_VALUE,
  signingBytes,
  checkReceipt,
  parseIJsonBytes,
  validateEntryShape,
  type Entry,
  type Envelope,
  type Trace,
  type TraceNode,
} from '@cotc/ledger';
import { checkConsistency, checkpointInfo, needLogKey, needTrusted, needWitnessKeys, openCheckpoint } from './checkpoint.ts';
import { witnessPolicyOf } from './witness.ts';
import { KeyHistory, learnCandidateKeys, type SignerInfo } from './keys.ts';
import { sigEngine, webCryptoEngine, type SigEngine } from './sig.ts';
import { checkContinuity } from './continuity.ts';
import { verifyV2 } from './v2/bundle.ts';
import { checkAuthority, fundsOf, isInternalTransfer, type FundInfo } from './authority.ts';
import {
  VerifyError,
  type DonationInfo,
  type FlowResult,
  type NodeResult,
  type Problem,
  type VerifyCode,
  type VerifyOptions,
  type VerifyResult,
} from './types.ts';

/** More entries than this is not a bundle a server of ours sends (it caps them at 10,000). */
export const MAX_BUNDLE_ENTRIES = 100_000;
/** Flows are bounded by the lots the entries' effects list; this bounds the work on a hostile trace. */
const MAX_TRACE_FLOWS = 1_000_000;
const ZERO64 = '0'.repeat(64);
const NODE_TYPES = new Set(['donation', 'gift.batch', 'transfer', 'disbursement', 'reversal', 'confirmation']);


const isIndex = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const show = (x: unknown): string => {
  try {
    const s = JSON.stringify(x);
    if (s === undefined) return String(x);
    return s.length > 80 ? s.slice(0, 77) + '...' : s;
  } catch {
    return '(unprintable)';
  }
};

interface Proven {
  entry: Entry;
  leaf: Uint8Array;
  bytes: Uint8Array;
}

/** The trace node shapes we accept from a bundle (anything else is malformed). */
function validNode(n: unknown): n is TraceNode {
  if (!isPlainObject(n)) return false;
  if (typeof n.event !== 'string' || typeof n.type !== 'string' || !isIndex(n.index)) return false;
  if (n.fund !== undefined && typeof n.fund !== 'string') return false;
  if (n.unspent !== undefined && typeof n.unspent !== 'string') return false;
  return true;
}
function validFlow(f: unknown): f is { from: string; to: string; value: string } {
  return isPlainObject(f) && typeof f.from === 'string' && typeof f.to === 'string' && typeof f.value === 'string';
}

const HEX_HASH = /^[0-9a-f]{64}$/;

export function proofProblem(p: unknown, index: number, cp: Checkpoint, leaf: Uint8Array, batch: InclusionBatch): string | null {
  if (!isPlainObject(p)) return `entry ${index} has no inclusion proof`;
  if (p.index !== index) return `the inclusion proof of entry ${index} is for index ${show(p.index)}`;
  if (p.size !== cp.size) return `the inclusion proof of entry ${index} is for a tree of ${show(p.size)} entries, the checkpoint's has ${cp.size}`;
  const hs = p.hashes;
  if (!Array.isArray(hs) || hs.length > 64) return `the inclusion proof of entry ${index} has no list of hashes`;
  for (const h of hs) {
    if (typeof h === 'string' && HEX_HASH.test(h)) continue;
    let b: Uint8Array;
    try {
      b = fromHex(h as string);
    } catch {
      return `the inclusion proof of entry ${index} holds ${show(h)}, not a lowercase hex hash`;
    }
    return `the inclusion proof of entry ${index} holds a hash of ${b.length} bytes`;
  }
  // One tree, many proofs: InclusionBatch reuses the node hashes neighbouring paths share.
  if (!batch.verify(leaf, index, hs)) {
    return `entry ${index} is not proven: its bytes and inclusion proof do not lead to the checkpoint's root`;
  }
  return null;
}

function amountOf(ev: Envelope): bigint | null {
  const b = ev.body as { amount?: { value: string } };
  return ev.type === 'donation' || ev.type === 'gift.batch' || ev.type === 'transfer' || ev.type === 'disbursement' ? BigInt(b.amount!.value) : null;
}

/**
 * Event signatures checked early: each entry's signature is handed to the engine as soon as
 * the entry is proven and parsed, with every key the entries so far could vouch for (org.
 * register / org.keys come before what they vouch for), so WebCrypto works on them while
 * the rest of the bundle is parsed and hashed. KeyHistory then applies the order-dependent
 * rule with these answers, and verifies itself (noble) any signature not among them.
 */
class EarlySignatures {
  readonly #engine: SigEngine;
  readonly #candidates = new Map<string, Map<string, Uint8Array[]>>();
  readonly #out = new Map<number, Map<string, boolean>>();
  readonly #jobs: Promise<void>[] = [];

  constructor(engine: SigEngine) {
    this.#engine = engine;
  }

  readonly #later: Array<[Entry, Uint8Array]> = [];

  add(e: Entry, bytes: Uint8Array): void {
    learnCandidateKeys(this.#candidates, e); // entry 0 is signed by a key it registers
    if (!this.#schedule(e, bytes)) this.#later.push([e, bytes]);
  }

  /** False when no key known so far has the sig's key id (tried again at the end). */
  #schedule(e: Entry, bytes: Uint8Array): boolean {
    const parts = splitSigFast(e.event.sig);
    if (parts === null) return true;
    const pubs = this.#candidates.get(e.event.org)?.get(hex(parts.keyId));
    if (!pubs) return false;
    // The signed bytes, cut out of the entry's proven canonical bytes (fast.ts), else serialised.
    let msg: Uint8Array | null = signingBytesFromEntry(bytes, e);
    try {
      msg ??= signingBytes(e.event);
    } catch {
      return true;
    }
    const m = this.#out.get(e.seq) ?? new Map<string, boolean>();
    this.#out.set(e.seq, m);
    for (const pub of pubs) this.#jobs.push(this.#engine.verify(pub, msg, parts.signature).then((ok) => void m.set(hex(pub), ok)));
    return true;
  }

  async done(): Promise<Map<number, Map<string, boolean>>> {
    // Entries signed by a key an entry later in the bundle adds (a bundle out of order, or a
    // key used before it is added): precomputed too, so that KeyHistory never falls back to
    // noble for thousands of them.
    for (const [e, bytes] of this.#later) this.#schedule(e, bytes);
    this.#later.length = 0;
    await Promise.all(this.#jobs);
    return this.#out;
  }
}

export function failedResult(problems: Problem[]): VerifyResult {
  return { ok: false, checkpoint: null, problems, nodes: [], flows: [], operatorSigned: [] };
}

/**
 * Verifies a trace bundle, trusting only `opts.logKey`. Never throws on a bad bundle (its
 * problems are in the result); throws VerifyError only for bad options.
 */
export async function verifyBundle(bundle: unknown, opts: VerifyOptions): Promise<VerifyResult> {
  if (!isPlainObject(opts as unknown)) throw new VerifyError('bad_argument', 'opts: expected {logKey, ...}');
  needLogKey(opts.logKey);
  needWitnessKeys(opts.witnessKeys);
  witnessPolicyOf(opts); // checks witnessQuorum, now, witnessSkewSeconds
  needTrusted(opts.trusted);
  if (opts.receiptSecret !== undefined && (typeof opts.receiptSecret !== 'string' || opts.receiptSecret === '')) {
    throw new VerifyError('bad_argument', 'receiptSecret: expected a non-empty string');
  }
  if (opts.donation !== undefined && (typeof opts.donation !== 'string' || !ID.test(opts.donation))) {
    throw new VerifyError('bad_argument', 'donation: expected an event id');
  }
  if (opts.engine !== undefined && opts.engine !== 'auto' && opts.engine !== 'webcrypto' && opts.engine !== 'noble') {
    throw new VerifyError('bad_argument', "engine: expected 'auto', 'webcrypto' or 'noble'");
  }
  if (opts.consistency !== undefined && typeof opts.consistency !== 'function') {
    throw new VerifyError('bad_argument', 'consistency: expected a function (from, to) => Promise<string[]>');
  }
  if (opts.engine === 'webcrypto' && (await webCryptoEngine()) === null) {
    throw new VerifyError('bad_argument', "engine: 'webcrypto' asked for, but this runtime has no WebCrypto Ed25519");
  }
  try {
    return await verify(bundle, opts);
  } catch (e) {
    // A bug of ours, or a value no JSON parser makes (a Proxy, a getter): still not a throw.
    return failedResult([{ code: 'malformed_bundle', message: `the bundle could not be verified: ${(e as Error)?.message ?? String(e)}` }]);
  }
}

async function verify(bundle: unknown, opts: VerifyOptions): Promise<VerifyResult> {
  const problems: Problem[] = [];
  const add = (code: VerifyCode, message: string, where: { index?: number; event?: string } = {}) => {
    const p: Problem = { code, message };
    if (where.index !== undefined) p.index = where.index;
    if (where.event !== undefined) p.event = where.event;
    problems.push(p);
  };

  // --- The bundle's outer shape.
  if (!isPlainObject(bundle)) return failedResult([{ code: 'malformed_bundle', message: 'the bundle is not a JSON object' }]);
  if (bundle.version === 2) return verifyV2(bundle, opts);
  if (bundle.version !== 1) {
    // docs/wire-format-2.md §2: a version this verifier does not implement.
    if (typeof bundle.version === 'number' && Number.isSafeInteger(bundle.version)) return failedResult([{ code: 'unsupported_version', message: `bundle version ${bundle.version}: this verifier reads versions 1 and 2` }]);
    return failedResult([{ code: 'malformed_bundle', message: `unknown bundle version ${show(bundle.version)} (this verifier reads versions 1 and 2)` }]);
  }
  if (typeof bundle.checkpoint !== 'string') return failedResult([{ code: 'malformed_bundle', message: 'the bundle has no checkpoint note' }]);
  if (!Array.isArray(bundle.entries)) return failedResult([{ code: 'malformed_bundle', message: 'the bundle has no list of entries' }]);
  if (bundle.entries.length > MAX_BUNDLE_ENTRIES) return failedResult([{ code: 'malformed_bundle', message: `the bundle has ${bundle.entries.length} entries, more than ${MAX_BUNDLE_ENTRIES}` }]);
  const trace = bundle.trace;
  if (!isPlainObject(trace) || typeof trace.donation !== 'string' || !Array.isArray(trace.nodes) || !Array.isArray(trace.flows)) {
    return failedResult([{ code: 'malformed_bundle', message: 'the bundle has no trace {donation, currency, nodes, flows}' }]);
  }
  if (trace.nodes.length > MAX_BUNDLE_ENTRIES || trace.flows.length > MAX_TRACE_FLOWS) {
    return failedResult([{ code: 'malformed_bundle', message: `the trace has ${trace.nodes.length} nodes and ${trace.flows.length} flows, more than a bundle can prove` }]);
  }

  // --- 1. The checkpoint.
  const opened = openCheckpoint(bundle.checkpoint, opts.logKey, witnessPolicyOf(opts));
  problems.push(...opened.problems);
  const cp = opened.checkpoint;

  // --- 2. Entries: bytes, proof, parse, shape.
  const byIndex = new Map<number, Proven>();
  const early = new EarlySignatures(await sigEngine(opts.engine ?? 'auto'));
  const batch = cp !== null ? new InclusionBatch(cp.size, cp.root) : null;
  const seen = new Set<number>();
  let last = -1;
  bundle.entries.forEach((e: unknown, i: number) => {
    if (!isPlainObject(e) || !isIndex(e.index) || typeof e.data !== 'string') {
      add('malformed_bundle', `entries[${i}] is not {index, data, proof}`);
      return;
    }
    const index = e.index;
    if (seen.has(index)) {
      add('duplicate_entry', `entry ${index} appears more than once`, { index });
      return;
    }
    seen.add(index);
    if (index < last) add('entry_out_of_order', `entry ${index} comes after entry ${last}: entries must be in increasing index order`, { index });
    last = Math.max(last, index);
    let bytes: Uint8Array;
    try {
      bytes = decodeBase64(e.data);
    } catch {
      add('bad_entry_encoding', `the data of entry ${index} is not canonical standard base64`, { index });
      return;
    }
    const leaf = leafHash(bytes);
    if (cp !== null) {
      const pp = proofProblem(e.proof, index, cp, leaf, batch!);
      if (pp !== null) {
        add('bad_inclusion_proof', pp, { index });
        return;
      }
    }
    let parsed: unknown;
    try {
      parsed = parseIJsonBytes(bytes);
    } catch (err) {
      add('bad_entry_encoding', `entry ${index} is not I-JSON: ${(err as Error).message}`, { index });
      return;
    }
    let canonical: Uint8Array;
    try {
      canonical = canonicalBytes(parsed);
    } catch (err) {
      add('bad_entry_encoding', `entry ${index} cannot be canonicalized: ${(err as Error).message}`, { index });
      return;
    }
    if (!equalBytes(canonical, bytes)) {
      add('bad_entry_encoding', `entry ${index} is not in RFC 8785 canonical form`, { index });
      return;
    }
    const shape = validateEntryShape(parsed);
    if (!shape.ok) {
      add('bad_entry', `entry ${index} is not an entry: ${shape.message}`, { index });
      return;
    }
    const entry = shape.entry;
    const event = entry.event.id;
    if (entry.seq !== index) {
      add('bad_entry', `the entry at index ${index} says seq ${entry.seq}`, { index, event });
      return;
    }
    if (Date.parse(entry.event.time) - Date.parse(entry.time) > MAX_CLOCK_AHEAD_MS) {
      add('bad_entry', `event ${event} is timed ${entry.event.time}, more than 5 minutes after its entry's time ${entry.time}`, { index, event });
    }
    byIndex.set(index, { entry, leaf, bytes });
    early.add(entry, bytes);
  });

  const proven = [...byIndex.values()].sort((a, b) => a.entry.seq - b.entry.seq);
  const entries = proven.map((p) => p.entry);
  if (!byIndex.has(0)) add('missing_entry', 'entry 0 (the registration of the operator) is not among the proven entries', { index: 0 });

  // The hash chain, where the bundle holds neighbours.
  for (let i = 0; i < proven.length; i++) {
    const { entry } = proven[i]!;
    if (entry.seq === 0 && entry.prev !== ZERO64) add('bad_chain', `entry 0 has prev ${entry.prev}, not 64 zeros`, { index: 0, event: entry.event.id });
    const before = byIndex.get(entry.seq - 1);
    if (before && entry.prev !== hex(before.leaf)) {
      add('bad_chain', `entry ${entry.seq} has prev ${entry.prev}, but the leaf hash of entry ${entry.seq - 1} is ${hex(before.leaf)}`, { index: entry.seq, event: entry.event.id });
    }
  }

  // Event ids are unique in a log.
  const byEvent = new Map<string, Entry>();
  for (const entry of entries) {
    const other = byEvent.get(entry.event.id);
    if (other) add('bad_entry', `event id ${entry.event.id} is used by entries ${other.seq} and ${entry.seq}`, { index: entry.seq, event: entry.event.id });
    else byEvent.set(entry.event.id, entry);
  }

  // --- 3. Signatures, by keys the bundle's own entries vouch for. The curve work is done
  // first, all at once (sig.ts: WebCrypto runs it off the main thread, in parallel), for
  // every key the entries could vouch for; KeyHistory then applies the order-dependent rule.
  const keys = new KeyHistory(problems, await early.done());
  const signers = new Map<number, SignerInfo>();
  for (const entry of entries) {
    const s = keys.check(entry);
    if (s) signers.set(entry.seq, s);
  }

  // --- 4. Amounts and effects.
  for (const entry of entries) {
    const ev = entry.event;
    const where = { index: entry.seq, event: ev.id };
    const amount = amountOf(ev);
    if (amount !== null && amount > MAX_VALUE) add('bad_amount', `${ev.id}: amount ${amount} is above 2^63-1`, where);
    let sum = 0n;
    for (const x of entry.effects) {
      const v = BigInt(x.value);
      if (v > MAX_VALUE) add('bad_amount', `${ev.id}: an effect of ${v} is above 2^63-1`, where);
      sum += v;
    }
    if (ev.type === 'transfer' || ev.type === 'disbursement') {
      if (sum !== amount) add('bad_effects', `${ev.id} moves ${amount} but its effects take lots of ${sum}`, where);
    } else if (ev.type === 'reversal') {
      const target = byEvent.get((ev as Envelope<'reversal'>).body.event);
      if (target) {
        const ta = amountOf(target.event);
        if (entry.effects.some((x) => x.via !== target.event.id)) add('bad_effects', `${ev.id} reverses ${target.event.id} but moves lots that did not come via it`, where);
        if (ta !== null && sum !== ta) add('bad_effects', `${ev.id} reverses ${target.event.id} of ${ta} but its effects move ${sum}`, where);
        if (target.seq >= entry.seq) add('bad_effects', `${ev.id} reverses ${target.event.id}, which comes after it`, where);
      }
    } else if (entry.effects.length !== 0) {
      add('bad_effects', `a ${ev.type} moves no money, but ${ev.id} has effects`, where);
    }
  }

  // --- 4b. Fund continuity: effects are the one part of an entry no org signs, so each lot
  // taken must be money the bundle's proven entries put where the event draws from.
  problems.push(...checkContinuity(entries, byEvent));

  // --- 4c. Who confirms, who moves a fund's money, and where restricted money goes.
  const funds = fundsOf(entries);
  problems.push(...checkAuthority(entries, byEvent, keys, funds));

  // --- 5. The trace.
  const donationId = trace.donation;
  if (opts.donation !== undefined && donationId !== opts.donation) {
    add('wrong_donation', `the bundle is the trace of ${show(donationId)}, not of ${opts.donation}`, { event: donationId });
  }
  const donEntry = byEvent.get(donationId);
  let donation: DonationInfo | undefined;
  let receipt: VerifyResult['receipt'];
  let recomputed: Trace | null = null;
  const flowProblems = new Map<string, string[]>();
  const flowKey = (from: string, to: string) => JSON.stringify([from, to]);
  const flowProblem = (from: string, to: string, code: VerifyCode, message: string) => {
    add(code, message, { event: to });
    const k = flowKey(from, to);
    flowProblems.set(k, [...(flowProblems.get(k) ?? []), message]);
  };
  if (donEntry && donEntry.event.type === 'gift.batch') {
    // issue 15: the trace of a gift batch (one lot, like a donation); a gift's receipt is
    // checked against its gift record by gift.ts, not here.
    const d = donEntry.event as Envelope<'gift.batch'>;
    donation = { id: d.id, org: d.org, fund: d.body.fund, amount: { ...d.body.amount }, channel: `gift batch of ${d.body.count}`, time: d.time, index: donEntry.seq };
    receipt = 'not_given';
  }
  if (!donEntry || (donEntry.event.type !== 'donation' && donEntry.event.type !== 'gift.batch')) {
    add('not_in_log', `the donation ${show(donationId)} is not among the bundle's proven entries`, { event: donationId });
  } else {
    const d = donEntry.event as Envelope<'donation'>;
    if (donEntry.event.type === 'donation') {
      donation = { id: d.id, org: d.org, fund: d.body.fund, amount: { ...d.body.amount }, channel: d.body.channel, time: d.time, index: donEntry.seq };
      if (opts.receiptSecret === undefined) {
        receipt = 'not_given';
      } else if (checkReceipt(d, opts.receiptSecret)) {
        receipt = 'matched';
      } else {
        receipt = 'mismatch';
        add('receipt_mismatch', `the receipt secret does not open the donor commitment of ${d.id}: this is not your donation, or the secret is mistyped`, { index: donEntry.seq, event: d.id });
      }
    }

    // Entries buildTrace cannot place: money of the donation moved before it existed, or
    // a reversal whose target is missing. They are reported and left out.
    const usable = entries.filter((e) => {
      const names = e.effects.some((x) => x.donation === donationId);
      if (!names) return true;
      if (e.seq < donEntry.seq) {
        add('bad_effects', `${e.event.id} at seq ${e.seq} moves money of ${donationId}, which is logged only at seq ${donEntry.seq}`, { index: e.seq, event: e.event.id });
        return false;
      }
      if (e.event.type === 'reversal') {
        const t = (e.event as Envelope<'reversal'>).body.event;
        if (!byEvent.has(t)) {
          add('missing_entry', `${e.event.id} reverses ${t}, which is not among the proven entries`, { index: e.seq, event: e.event.id });
          return false;
        }
      }
      return true;
    });
    try {
      recomputed = buildTrace(donationId, usable.map((e) => ({ seq: e.seq, event: e.event, effects: e.effects })));
    } catch (err) {
      add('trace_mismatch', `the trace cannot be rebuilt from the proven entries: ${(err as Error).message}`, { event: donationId });
    }
  }

  if (recomputed !== null) {
    const r = recomputed;
    if (trace.currency !== r.currency) add('trace_mismatch', `the trace says currency ${show(trace.currency)}, the donation is in ${r.currency}`, { event: r.donation });
    const rNodes = new Map(r.nodes.map((n) => [n.event, n]));
    const claimed = new Set<string>();
    let lastIndex = -1;
    for (const n of trace.nodes as unknown[]) {
      if (!validNode(n)) {
        add('malformed_bundle', `a trace node is not {event, type, index, fund?, unspent?}: ${show(n)}`);
        continue;
      }
      const where = { index: n.index, event: n.event };
      if (claimed.has(n.event)) add('trace_mismatch', `the trace lists ${n.event} twice`, where);
      claimed.add(n.event);
      if (n.index <= lastIndex) add('trace_mismatch', `the trace's nodes are not in index order at ${n.event}`, where);
      lastIndex = Math.max(lastIndex, n.index);
      const entry = byEvent.get(n.event);
      if (!entry) {
        add('missing_entry', `the trace names ${show(n.event)}, which is not among the proven entries`, where);
        continue;
      }
      if (entry.event.type !== n.type) add('trace_mismatch', `the trace says ${n.event} is a ${show(n.type)}, its entry says ${entry.event.type}`, { index: entry.seq, event: n.event });
      if (entry.seq !== n.index) add('trace_mismatch', `the trace puts ${n.event} at index ${n.index}, its entry is at ${entry.seq}`, { index: entry.seq, event: n.event });
      const want = rNodes.get(n.event);
      if (!want) {
        add('trace_mismatch', `the trace includes ${n.event}, but its entry neither moves money of ${r.donation} nor confirms a disbursement of it`, { index: entry.seq, event: n.event });
        continue;
      }
      if (n.fund !== want.fund) add('trace_mismatch', `the trace says ${n.event} holds money in fund ${show(n.fund ?? null)}, the entries say ${show(want.fund ?? null)}`, where);
      if (n.unspent !== want.unspent) add('trace_mismatch', `the trace says ${show(n.unspent ?? null)} of ${r.donation} is unspent at ${n.event}, the entries say ${show(want.unspent ?? null)}`, where);
    }
    for (const n of r.nodes) {
      if (!claimed.has(n.event)) add('trace_mismatch', `the trace leaves out ${n.type} ${n.event} (seq ${n.index}), which the proven entries put in it`, { index: n.index, event: n.event });
    }

    const rFlows = new Map(r.flows.map((f) => [flowKey(f.from, f.to), f]));
    const claimedFlows = new Set<string>();
    for (const f of trace.flows as unknown[]) {
      if (!validFlow(f)) {
        add('malformed_bundle', `a trace flow is not {from, to, value}: ${show(f)}`);
        continue;
      }
      const k = flowKey(f.from, f.to);
      if (claimedFlows.has(k)) flowProblem(f.from, f.to, 'trace_mismatch', `the trace lists the flow ${f.from} → ${f.to} twice`);
      claimedFlows.add(k);
      const want = rFlows.get(k);
      if (!want) flowProblem(f.from, f.to, 'trace_mismatch', `the flow ${f.from} → ${f.to} of ${show(f.value)} is not implied by the entries' effects`);
      else if (want.value !== f.value) flowProblem(f.from, f.to, 'trace_mismatch', `the flow ${f.from} → ${f.to} carries ${want.value} by the entries' effects, not ${show(f.value)}`);
    }
    for (const f of r.flows) {
      if (!claimedFlows.has(flowKey(f.from, f.to))) flowProblem(f.from, f.to, 'trace_mismatch', `the trace leaves out the flow ${f.from} → ${f.to} of ${f.value}`);
      if (!byEvent.has(f.from)) flowProblem(f.from, f.to, 'missing_entry', `${f.to} moves money of ${r.donation} that came via ${f.from}, which is not among the proven entries`);
    }

    // Anything else (order of flows, extra fields): the bundle's trace is exactly the recomputed one or it is not.
    let same = false;
    try {
      same = canonicalize(trace) === canonicalize(r);
    } catch {
      same = false;
    }
    if (!same && !problems.some((p) => p.code === 'trace_mismatch' || p.code === 'malformed_bundle')) {
      add('trace_mismatch', 'the trace differs from the one the proven entries imply (order of nodes or flows, or extra fields)', { event: r.donation });
    }

    const amount = donEntry ? BigInt((donEntry.event as Envelope<'donation'>).body.amount.value) : undefined;
    // checkConservation names the node in its message; attach the problem to that node.
    const nodeIds = [...r.nodes.map((n) => n.event), ...(trace.nodes as unknown[]).filter(validNode).map((n) => n.event)];
    const about = (m: string) => {
      const words = new Set<string>();
      for (const w of m.split(/\s+/)) {
        words.add(w);
        words.add(w.replace(/[:,]+$/, ''));
      }
      const id = nodeIds.find((x) => words.has(x));
      return id === undefined ? {} : { event: id };
    };
    const seenMsgs = new Set<string>();
    for (const m of checkConservation(r, amount)) {
      seenMsgs.add(m);
      add('conservation', m, about(m));
    }
    if (!same && trace.nodes.every(validNode) && trace.flows.every(validFlow)) {
      try {
        for (const m of checkConservation(trace as unknown as Trace, amount)) {
          if (!seenMsgs.has(m)) add('conservation', `in the bundle's trace: ${m}`, about(m));
        }
      } catch {
        // the bundle's trace is already reported as mismatched
      }
    }
  }

  // --- 7. Consistency with what this client saw before.
  const trusted = needTrusted(opts.trusted);
  if (cp !== null) problems.push(...(await checkConsistency(trusted, cp, opts.consistency)));

  // --- The per-node and per-flow view.
  const cpOk = cp !== null && !opened.problems.length;
  const nodes = nodeResults(trace.nodes as unknown[], recomputed, byEvent, signers, problems, cpOk, funds, keys);
  const flows: FlowResult[] = [];
  const listed = new Set<string>();
  for (const f of recomputed?.flows ?? []) {
    const k = flowKey(f.from, f.to);
    listed.add(k);
    const ps = flowProblems.get(k) ?? [];
    flows.push({ from: f.from, to: f.to, value: f.value, ok: cpOk && ps.length === 0, problems: ps });
  }
  for (const f of trace.flows as unknown[]) {
    if (!validFlow(f)) continue;
    const k = flowKey(f.from, f.to);
    if (listed.has(k)) continue;
    listed.add(k);
    flows.push({ from: f.from, to: f.to, value: f.value, ok: false, problems: flowProblems.get(k) ?? ['not verified'] });
  }

  const result: VerifyResult = { ok: problems.length === 0, checkpoint: cp ? checkpointInfo(cp) : null, problems, nodes, flows };
  if (opened.witnesses) result.witnesses = opened.witnesses;
  if (donation) result.donation = donation;
  if (receipt) result.receipt = receipt;
  result.operatorSigned = entries.filter((e) => signers.get(e.seq)?.installedBy === 'operator').map((e) => e.event.id);
  return result;
}

export function nodeResults(
  claimed: unknown[],
  recomputed: Trace | null,
  byEvent: Map<string, Entry>,
  signers: Map<number, SignerInfo>,
  problems: Problem[],
  cpOk: boolean,
  funds: ReadonlyMap<string, FundInfo>,
  keys: { registered(org: string): boolean },
): NodeResult[] {
  const truth = new Map((recomputed?.nodes ?? []).map((n) => [n.event, n]));
  const inflow = new Map<string, bigint>();
  for (const f of recomputed?.flows ?? []) inflow.set(f.to, (inflow.get(f.to) ?? 0n) + BigInt(f.value));
  const ids: string[] = [];
  const fromBundle = new Map<string, TraceNode>();
  for (const n of claimed) {
    if (!validNode(n) || fromBundle.has(n.event)) continue;
    fromBundle.set(n.event, n);
    ids.push(n.event);
  }
  for (const n of recomputed?.nodes ?? []) if (!fromBundle.has(n.event)) ids.push(n.event);

  // Problems by event and by index (hostile bundles can hold many of both: stay linear).
  const byEventP = new Map<string, Problem[]>();
  const byIndexP = new Map<number, Problem[]>();
  for (const p of problems) {
    if (p.code === 'receipt_mismatch') continue; // about the donor, not the path
    if (p.event !== undefined) byEventP.set(p.event, [...(byEventP.get(p.event) ?? []), p]);
    if (p.index !== undefined) byIndexP.set(p.index, [...(byIndexP.get(p.index) ?? []), p]);
  }

  const out: NodeResult[] = ids.map((id) => {
    const entry = byEvent.get(id);
    const t = truth.get(id);
    const b = fromBundle.get(id);
    const index = entry?.seq ?? t?.index ?? b!.index;
    const type = (entry && NODE_TYPES.has(entry.event.type) ? entry.event.type : (t?.type ?? b!.type)) as NodeResult['type'];
    const mine = new Set(byEventP.get(id) ?? []);
    for (const p of byIndexP.get(index) ?? []) if (p.event === undefined || entry === undefined) mine.add(p);
    const msgs = [...mine].map((p) => p.message);
    if (!entry) {
      if (!msgs.length) msgs.push(`${id} is not among the proven entries`);
    } else if (!cpOk) {
      msgs.push('not proven: the checkpoint did not verify');
    }
    if (recomputed === null && !msgs.length) msgs.push('not checked: the trace could not be rebuilt from the proven entries');
    const node: NodeResult = { event: id, type, index, ok: cpOk && entry !== undefined && msgs.length === 0, problems: msgs };
    if (entry) {
      const s = signers.get(entry.seq);
      if (s) {
        node.signer = { org: s.org, key: s.key };
        if (s.installedBy === 'operator') node.signer.installedBy = 'operator';
      }
      node.time = entry.event.time;
      node.loggedAt = entry.time;
      const ev = entry.event;
      switch (ev.type) {
        case 'donation':
        case 'gift.batch':
          node.amount = ev.body.amount.value;
          node.eventAmount = { ...ev.body.amount };
          break;
        case 'transfer':
          node.eventAmount = { ...ev.body.amount };
          node.from = ev.body.from;
          node.memo = ev.body.memo;
          if (isInternalTransfer(ev, funds)) node.internal = true;
          break;
        case 'disbursement':
          node.eventAmount = { ...ev.body.amount };
          node.from = ev.body.fund;
          node.payee = ev.body.payee;
          if (keys.registered(ev.body.payee)) node.payeeRegistered = true;
          node.purpose = ev.body.purpose;
          node.receipts = ev.body.receipts.map((r) => ({ sha256: r.sha256, name: r.name }));
          break;
        case 'confirmation':
          node.confirms = ev.body.disbursement;
          node.statement = ev.body.statement;
          node.evidence = ev.body.evidence.map((r) => ({ sha256: r.sha256, name: r.name }));
          break;
        case 'reversal':
          node.reverses = ev.body.event;
          node.reason = ev.body.reason;
          break;
        default:
          break;
      }
    }
    if (node.amount === undefined && inflow.has(id)) node.amount = inflow.get(id)!.toString();
    const src = t ?? (entry ? undefined : b);
    if (src?.fund !== undefined) node.fund = src.fund;
    if (src?.unspent !== undefined) node.unspent = src.unspent;
    return node;
  });
  return out.sort((a, b) => a.index - b.index);
}
