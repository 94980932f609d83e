// verifyBundle for trace bundles of version 2 (docs/wire-format-2.md §11), in the check
// order of §12:
//
//  1. version and shape (unsupported_version, malformed_bundle);
//  2. the checkpoint's signature by the log key (and the witness policy);
//  3. every entry's bytes proven at its index in the checkpoint's tree, then decoded as an
//     entry v2 (§9); adjacent entries chain by prev;
//  4. entry N−1 (N the checkpoint's size) is there and carries `state`: the map root at N
//     (missing_state_root);
//  5. every effect proven into its entry's effects root (§8.3 codes), every state record
//     proven against the map root (§5 codes);
//  6. every event signed by a key whose proven `orgkey/<org>/<keyId>` record makes it
//     current at the entry's seq (key_not_proven, revoked_key, bad_event_signature);
//  7. completeness: the donation's lots replayed through the bundle's entries with the
//     ledger's FIFO rule (replayDonationLots: the state machine's queue code) must be exactly
//     the proven `live/<donation>` (incomplete_trace), and each disbursement's confirmations
//     in the bundle exactly the proven `conf/<d>` (missing_confirmation);
//  8. the trace equals the one the entries imply (trace_mismatch), conserves money
//     (conservation), and v1's semantic checks hold (forbidden, self_confirmation,
//     unauthorised_confirmation, restricted_fund, receipt_mismatch); then consistency with
//     the last trusted checkpoint.
//
// What v1 could not show, v2 does: a hop, an effect, a confirmation or a key revocation left
// out of the bundle changes what the proven records say, so it is reported (§12.7).
import { InclusionBatch, fromHex, hex, leafHash, verifyMapProof } from '@cotc/tlog';
import {
  buildTrace,
  canonicalize,
  checkConservation,
  checkReceipt,
  ID_RE as ID,
  isPlainObject,
  MAX_CLOCK_AHEAD_MS,
  parseOrgKey as parseVerifierKey,
  replayDonationLots,
  signingBytes,
  verifyEffect,
  type Effect,
  type Entry,
  type Envelope,
  type Trace,
  type TraceNode,
} from '@cotc/ledger';
import { checkConsistency, checkpointInfo, needTrusted, openCheckpoint } from '../checkpoint.ts';
import { witnessPolicyOf } from '../witness.ts';
import { sigEngine } from '../sig.ts';
import { decodeBase64, splitSigFast } from '../fast.ts';
import { checkAuthority, type FundInfo } from '../authority.ts';
import type { SignerInfo } from '../keys.ts';
import { failedResult, MAX_BUNDLE_ENTRIES, nodeResults, proofProblem } from '../bundle.ts';
import type { DonationInfo, FlowResult, Problem, ProvenFacts, VerifyCode, VerifyOptions, VerifyResult } from '../types.ts';
import { decodeEntryV2, type EntryV2 } from './entry.ts';
import { confKeyOf, fundRecKey, liveKey, orgKeyKey, orgRecKey, parseConf, parseFund, parseLive, parseOrg, parseOrgKey } from './records.ts';

const MAX_ITEMS = 1_000_000;
const ZERO64 = '0'.repeat(64);
const VALUE = /^[1-9][0-9]{0,18}$/;
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
  entry: EntryV2;
  leaf: Uint8Array;
}

/** A v1-shaped view of a v2 entry (its effects: the bundle's proven effects of this donation), for the code both versions share. */
function asEntry(e: EntryV2, effects: Effect[]): Entry {
  return { seq: e.seq, prev: e.prev, time: e.time, event: e.event, effects } as Entry;
}

function validNode(n: unknown): n is TraceNode {
  return isPlainObject(n) && typeof n.event === 'string' && typeof n.type === 'string' && isIndex(n.index) && (n.fund === undefined || typeof n.fund === 'string') && (n.unspent === undefined || typeof n.unspent === 'string');
}
function validFlow(f: unknown): f is { from: string; to: string; value: string } {
  return isPlainObject(f) && typeof f.from === 'string' && typeof f.to === 'string' && typeof f.value === 'string';
}
function validEffect(x: unknown): x is Effect {
  return isPlainObject(x) && Object.keys(x).length === 3 && typeof x.donation === 'string' && typeof x.via === 'string' && typeof x.value === 'string' && VALUE.test(x.value);
}

export async function verifyV2(bundle: Record<string, unknown>, opts: VerifyOptions): Promise<VerifyResult> {
  const problems: Problem[] = [];
  const add = (code: VerifyCode, message: string, where: { index?: number; event?: string } = {}) => {
    const p: Problem = { code, message };
    if (where.index !== undefined) p.index = where.index;
    if (where.event !== undefined) p.event = where.event;
    problems.push(p);
  };

  // --- 1. Shape.
  const bad = (message: string) => failedResult([{ code: 'malformed_bundle', message }]);
  if (typeof bundle.checkpoint !== 'string') return bad('the bundle has no checkpoint note');
  if (!Array.isArray(bundle.entries)) return bad('the bundle has no list of entries');
  if (!Array.isArray(bundle.effects)) return bad('the bundle has no list of effects (version 2)');
  if (!Array.isArray(bundle.state)) return bad('the bundle has no list of state proofs (version 2)');
  if (bundle.entries.length > MAX_BUNDLE_ENTRIES || bundle.effects.length > MAX_ITEMS || bundle.state.length > MAX_ITEMS) return bad('the bundle holds more entries, effects or state proofs than a bundle can prove');
  const trace = bundle.trace;
  if (!isPlainObject(trace) || typeof trace.donation !== 'string' || !Array.isArray(trace.nodes) || !Array.isArray(trace.flows)) {
    return bad('the bundle has no trace {donation, currency, nodes, flows}');
  }
  if (trace.nodes.length > MAX_BUNDLE_ENTRIES || trace.flows.length > MAX_ITEMS) return bad('the trace has more nodes or flows than a bundle can prove');
  const donationId = trace.donation;
  if (opts.donation !== undefined && donationId !== opts.donation) {
    add('wrong_donation', `the bundle is the trace of ${show(donationId)}, not of ${opts.donation}`, { event: donationId });
  }

  // --- 2. The checkpoint.
  const opened = openCheckpoint(bundle.checkpoint, opts.logKey, witnessPolicyOf(opts));
  problems.push(...opened.problems);
  const cp = opened.checkpoint;

  // --- 3. Entries: bytes, inclusion proof, then decode.
  const byIndex = new Map<number, Proven>();
  const batch = cp !== null ? new InclusionBatch(cp.size, cp.root) : null;
  let last = -1;
  bundle.entries.forEach((e: unknown, i: number) => {
    if (!isPlainObject(e) || !isIndex(e.index) || typeof e.data !== 'string') {
      add('malformed_bundle', `entries[${i}] is not {index, data, proof}`);
      return;
    }
    const index = e.index;
    if (byIndex.has(index) || index === last) {
      add('duplicate_entry', `entry ${index} appears more than once`, { index });
      return;
    }
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
    const d = decodeEntryV2(bytes);
    if (!d.ok) {
      add(d.code, `entry ${index}: ${d.message}`, { index });
      return;
    }
    const entry = d.entry;
    if (entry.seq !== index) {
      add('bad_entry', `the entry at index ${index} says seq ${entry.seq}`, { index, event: entry.event.id });
      return;
    }
    if (Date.parse(entry.event.time) - Date.parse(entry.time) > MAX_CLOCK_AHEAD_MS) {
      add('bad_entry', `event ${entry.event.id} is timed ${entry.event.time}, more than 5 minutes after its entry's time ${entry.time}`, { index, event: entry.event.id });
    }
    byIndex.set(index, { entry, leaf });
  });
  const proven = [...byIndex.values()].sort((a, b) => a.entry.seq - b.entry.seq);
  for (const { entry } of proven) {
    if (entry.seq === 0 && entry.prev !== ZERO64) add('bad_chain', `entry 0 has prev ${entry.prev}, not 64 zeros`, { index: 0, event: entry.event.id });
    const before = byIndex.get(entry.seq - 1);
    if (before && entry.prev !== hex(before.leaf)) add('bad_chain', `entry ${entry.seq} has prev ${entry.prev}, but the leaf hash of entry ${entry.seq - 1} is ${hex(before.leaf)}`, { index: entry.seq, event: entry.event.id });
  }
  const byEvent = new Map<string, EntryV2>();
  for (const { entry } of proven) {
    const other = byEvent.get(entry.event.id);
    if (other) add('bad_entry', `event id ${entry.event.id} is used by entries ${other.seq} and ${entry.seq}`, { index: entry.seq, event: entry.event.id });
    else byEvent.set(entry.event.id, entry);
  }

  // --- 4. The map root: on entry N−1, which every checkpoint's size ends at (§9).
  let mapRoot: Uint8Array | null = null;
  if (cp !== null) {
    const top = byIndex.get(cp.size - 1)?.entry;
    if (cp.size === 0 || !top) add('missing_state_root', `entry ${cp.size - 1}, the last of the checkpoint, is not among the proven entries: the map root is not proven`, { index: Math.max(0, cp.size - 1) });
    else if (!top.state) add('missing_state_root', `entry ${top.seq}, the last of the checkpoint, carries no state root`, { index: top.seq, event: top.event.id });
    else mapRoot = fromHex(top.state.root);
  }

  // --- 5a. Effects: only this donation's lots, each proven into its entry.
  const effectsOf = new Map<number, Array<{ i: number; effect: Effect }>>();
  bundle.effects.forEach((x: unknown, n: number) => {
    if (!isPlainObject(x) || !isIndex(x.index) || !('effect' in x) || !('proof' in x)) {
      add('malformed_bundle', `effects[${n}] is not {index, effect, proof}`);
      return;
    }
    const at = byIndex.get(x.index)?.entry;
    if (!at) {
      add('missing_entry', `effects[${n}] is an effect of entry ${x.index}, which is not among the proven entries`, { index: x.index });
      return;
    }
    const where = { index: at.seq, event: at.event.id };
    if (!validEffect(x.effect)) {
      add('effect_proof_malformed', `effects[${n}] (of entry ${at.seq}) is not {donation, value, via}: ${show(x.effect)}`, where);
      return;
    }
    if (x.effect.donation !== donationId) {
      add('malformed_bundle', `effects[${n}] is a lot of ${show(x.effect.donation)}, not of ${show(donationId)}: a bundle carries only its donation's lots`, where);
      return;
    }
    const r = verifyEffect(x.effect, x.proof, at.effects);
    if (!r.ok) {
      add(r.code, `effect ${show(x.effect)} of entry ${at.seq}: ${r.message}`, where);
      return;
    }
    const i = (x.proof as { index: number }).index;
    const list = effectsOf.get(at.seq) ?? [];
    if (list.some((y) => y.i === i)) {
      add('malformed_bundle', `effect ${i} of entry ${at.seq} appears twice`, where);
      return;
    }
    list.push({ i, effect: { donation: x.effect.donation, via: x.effect.via, value: x.effect.value } });
    effectsOf.set(at.seq, list);
  });
  const mineOf = (seq: number): Effect[] => (effectsOf.get(seq) ?? []).sort((a, b) => a.i - b.i).map((y) => y.effect);

  // --- 5b. State records, each proven (present with its value, or absent) against the map root.
  const state = new Map<string, string | null>();
  bundle.state.forEach((x: unknown, n: number) => {
    if (!isPlainObject(x) || typeof x.key !== 'string' || !(x.value === null || typeof x.value === 'string') || !('proof' in x)) {
      add('malformed_bundle', `state[${n}] is not {key, value: string | null, proof}`);
      return;
    }
    if (state.has(x.key)) {
      add('malformed_bundle', `the state record ${show(x.key)} is proven twice`);
      return;
    }
    if (mapRoot === null) return; // nothing to prove it against (already reported)
    let r;
    try {
      r = verifyMapProof(mapRoot, x.key, x.value, x.proof);
    } catch (e) {
      add('map_proof_malformed', `state[${n}]: ${(e as Error).message}`);
      return;
    }
    if (!r.ok) {
      add(r.code, `the state record ${show(x.key)} is not proven: ${r.message}`);
      return;
    }
    state.set(x.key, x.value);
  });
  const proof = (key: string): string | null | undefined => state.get(key);

  // What the proven records say about orgs and funds (the page shows their names).
  const facts: ProvenFacts = { orgs: {}, funds: {} };
  const funds = new Map<string, FundInfo>();
  const rolesOf = new Map<string, string[]>();
  for (const [key, value] of state) {
    if (value === null) continue;
    const id = key.slice(key.indexOf('/') + 1);
    if (!ID.test(id)) continue; // not a record key of §10 (and never an object's own property name like __proto__)
    if (key.startsWith('org/')) {
      const o = parseOrg(value);
      if (!o) {
        add('malformed_bundle', `the proven record ${key} is not an org record`);
        continue;
      }
      facts.orgs[key.slice(4)] = { name: o.name, roles: o.roles };
      rolesOf.set(key.slice(4), o.roles);
    } else if (key.startsWith('fund/')) {
      const f = parseFund(value);
      if (!f) {
        add('malformed_bundle', `the proven record ${key} is not a fund record`);
        continue;
      }
      facts.funds[key.slice(5)] = { name: f.name, purpose: f.purpose, restricted: f.restricted, owner: f.owner, currency: f.currency };
      funds.set(key.slice(5), { owner: f.owner, restricted: f.restricted, currency: f.currency, seq: f.openedSeq });
    }
  }

  // --- 6. Signatures, by keys the proven orgkey records make current at each seq.
  const engine = await sigEngine(opts.engine ?? 'auto');
  const signers = new Map<number, SignerInfo>();
  const jobs: Array<Promise<void>> = [];
  for (const { entry } of proven) {
    const ev = entry.event;
    const where = { index: entry.seq, event: ev.id };
    const parts = splitSigFast(ev.sig);
    if (parts === null) {
      add('bad_event_signature', `the sig of ${ev.id} is not base64 of a 4-byte key id and a 64-byte signature`, where);
      continue;
    }
    const keyId = hex(parts.keyId);
    const k = orgKeyKey(ev.org, keyId);
    const v = proof(k);
    if (v === undefined) {
      add('key_not_proven', `${ev.id} is signed by key ${keyId} of ${ev.org}, and the bundle proves no record ${k}`, where);
      continue;
    }
    if (v === null) {
      add('key_not_proven', `${ev.id} is signed by key ${keyId} of ${ev.org}, which the map proves ${ev.org} never had`, where);
      continue;
    }
    const rec = parseOrgKey(v);
    const pk = rec ? parseVerifierKey(rec.key) : null;
    if (!rec || !pk || pk.name !== ev.org || pk.keyId !== keyId) {
      add('key_not_proven', `the proven record ${k} is not a key record of key ${keyId} of ${ev.org}: ${show(v)}`, where);
      continue;
    }
    const added = rec.addedSeq < entry.seq || (rec.addedSeq === 0 && entry.seq === 0);
    if (!added) {
      add('key_not_proven', `${ev.id} (seq ${entry.seq}) is signed by key ${keyId} of ${ev.org}, added only at seq ${rec.addedSeq}`, where);
      continue;
    }
    if (rec.revokedSeq !== undefined && entry.seq > rec.revokedSeq) {
      add('revoked_key', `${ev.id} (seq ${entry.seq}) is signed by key ${keyId} of ${ev.org}, revoked at seq ${rec.revokedSeq}`, where);
      continue;
    }
    let msg: Uint8Array;
    try {
      msg = signingBytes(ev);
    } catch (e) {
      add('bad_event_signature', `the signed bytes of ${ev.id} cannot be made: ${(e as Error).message}`, where);
      continue;
    }
    jobs.push(
      engine.verify(pk.publicKey, msg, parts.signature).then((ok) => {
        if (!ok) add('bad_event_signature', `the signature of ${ev.id} does not verify with key ${keyId} of ${ev.org}`, where);
        else {
          const info: SignerInfo = { org: ev.org, key: rec.key };
          if (rec.addedBy !== undefined && rec.addedBy !== ev.org) info.installedBy = 'operator';
          signers.set(entry.seq, info);
        }
      }),
    );
  }
  await Promise.all(jobs);

  // --- 7. Completeness.
  const donEntry = byEvent.get(donationId);
  let donation: DonationInfo | undefined;
  let receipt: VerifyResult['receipt'];
  const v1Entries: Entry[] = proven.map(({ entry }) => asEntry(entry, mineOf(entry.seq)));
  const v1ByEvent = new Map(v1Entries.filter((e) => byEvent.get(e.event.id)?.seq === e.seq).map((e) => [e.event.id, e]));
  let recomputed: Trace | null = null;
  if (!donEntry || (donEntry.event.type !== 'donation' && donEntry.event.type !== 'gift.batch')) {
    add('not_in_log', `the donation ${show(donationId)} is not among the bundle's proven entries`, { event: donationId });
  } else {
    const d = donEntry.event as Envelope<'donation'>;
    if (d.type === 'donation') {
      donation = { id: d.id, org: d.org, fund: d.body.fund, amount: { ...d.body.amount }, channel: d.body.channel, time: d.time, index: donEntry.seq };
      if (opts.receiptSecret === undefined) receipt = 'not_given';
      else if (checkReceipt(d, opts.receiptSecret)) receipt = 'matched';
      else {
        receipt = 'mismatch';
        add('receipt_mismatch', `the receipt secret does not open the donor commitment of ${d.id}: this is not your donation, or the secret is mistyped`, { index: donEntry.seq, event: d.id });
      }
    } else {
      const g = donEntry.event as Envelope<'gift.batch'>;
      donation = { id: g.id, org: g.org, fund: g.body.fund, amount: { ...g.body.amount }, channel: `gift batch of ${g.body.count}`, time: g.time, index: donEntry.seq };
      receipt = 'not_given';
    }

    // Money of the donation moved before it existed cannot be replayed.
    for (const seq of effectsOf.keys()) {
      if (seq <= donEntry.seq) add('bad_effects', `entry ${seq} moves money of ${donationId}, which is logged only at seq ${donEntry.seq}`, { index: seq });
    }
    const steps = v1Entries.filter((e) => e.seq >= donEntry.seq && (e.seq === donEntry.seq || e.effects.length > 0));
    const replay = replayDonationLots(donationId, steps, (id) => byEvent.get(id)?.event);
    const liveRec = proof(liveKey(donationId));
    if (!replay.ok) {
      add('incomplete_trace', `the donation's lots cannot be replayed through the bundle's entries: ${replay.message}`, replay.seq >= 0 ? { index: replay.seq, event: replay.event } : { event: replay.event });
    } else if (liveRec === undefined) {
      add('incomplete_trace', `the bundle proves no record ${liveKey(donationId)}: where the donation's money is now is not proven`, { event: donationId });
    } else {
      const live = parseLive(liveRec);
      if (live === null) add('incomplete_trace', `the proven record ${liveKey(donationId)} is not a list of lots sorted by fund and position: ${show(liveRec)}`, { event: donationId });
      else {
        // Both sides by fund (ids are ASCII: code-unit order is byte order), lots in queue order.
        const mine = [...replay.lots].map((l, i) => ({ ...l, i })).sort((a, b) => (a.fund < b.fund ? -1 : a.fund > b.fund ? 1 : a.i - b.i));
        const n = Math.max(mine.length, live.length);
        for (let i = 0; i < n; i++) {
          const a = mine[i];
          const b = live[i];
          const viaSeq = a ? byEvent.get(a.via)?.seq : undefined;
          if (a && b && a.fund === b.fund && a.via === b.via && a.value === b.value && viaSeq === b.viaSeq) continue;
          const said = b ? `${b.value} in fund ${b.fund} via ${b.via} (seq ${b.viaSeq})` : 'nothing more';
          const got = a ? `${a.value} in fund ${a.fund} via ${a.via}` : 'nothing more';
          add('incomplete_trace', `the bundle's entries leave ${got} of ${donationId} as lot ${i + 1}, the proven ${liveKey(donationId)} says ${said}: a hop, an effect or a lot is left out`, { event: b && !byEvent.has(b.via) ? b.via : donationId });
          break;
        }
      }
    }

    // Confirmations: exactly the proven conf/<d> of every disbursement of the donation's money.
    for (const e of steps) {
      if (e.event.type !== 'disbursement') continue;
      const key = confKeyOf(e.event.id);
      const where = { index: e.seq, event: e.event.id };
      const rec = proof(key);
      if (rec === undefined) {
        add('missing_confirmation', `the bundle proves no record ${key}: the confirmations of ${e.event.id} are not proven`, where);
        continue;
      }
      const list = parseConf(rec);
      if (list === null) {
        add('missing_confirmation', `the proven record ${key} is not a list of confirmations: ${show(rec)}`, where);
        continue;
      }
      const inBundle = v1Entries.filter((c) => c.event.type === 'confirmation' && (c.event as Envelope<'confirmation'>).body.disbursement === e.event.id);
      for (const c of list) {
        const got = byEvent.get(c.event);
        if (!got || got.seq !== c.seq || got.event.org !== c.org || got.event.type !== 'confirmation') {
          add('missing_confirmation', `${e.event.id} was confirmed by ${c.event} of ${c.org} at seq ${c.seq} (proven ${key}), which is not among the bundle's proven entries`, { index: c.seq, event: c.event });
        }
      }
      for (const c of inBundle) {
        if (!list.some((x) => x.event === c.event.id)) add('missing_confirmation', `${c.event.id} confirms ${e.event.id}, but the proven ${key} does not list it`, { index: c.seq, event: c.event.id });
      }
    }

    // --- 8. The trace, from the proven effects.
    try {
      recomputed = buildTrace(donationId, v1Entries.filter((e) => e.seq >= donEntry.seq || e.effects.length === 0));
    } catch (err) {
      add('trace_mismatch', `the trace cannot be rebuilt from the proven entries: ${(err as Error).message}`, { event: donationId });
    }
  }

  // Each entry moves no more of this donation than its own amount.
  for (const e of v1Entries) {
    if (!e.effects.length) continue;
    const amt = (e.event.body as { amount?: { value?: unknown } }).amount?.value;
    let sum = 0n;
    for (const x of e.effects) sum += BigInt(x.value);
    if (typeof amt === 'string' && VALUE.test(amt) && sum > BigInt(amt)) add('bad_effects', `${e.event.id} moves ${sum} of ${donationId}, more than its amount ${amt}`, { index: e.seq, event: e.event.id });
  }

  if (recomputed !== null) {
    const r = recomputed;
    let same = false;
    try {
      same = canonicalize(trace) === canonicalize(r);
    } catch {
      same = false;
    }
    if (!same) add('trace_mismatch', traceDiff(trace, r), { event: r.donation });
    const amount = donEntry ? (donEntry.event as Envelope<'donation'>).body.amount.value : undefined;
    for (const m of checkConservation(r, amount)) add('conservation', m, { event: r.donation });
  }

  // v1's semantic checks on the proven entries, with proven roles and fund headers.
  const roles = { roles: (org: string) => rolesOf.get(org) };
  problems.push(...checkAuthority(v1Entries, v1ByEvent, roles, funds));
  for (const e of v1Entries) {
    // A confirmation whose signer's roles are not proven cannot be judged: say so (§11: org/<org> of every signer).
    if (e.event.type !== 'confirmation' || rolesOf.has(e.event.org)) continue;
    const d = v1ByEvent.get((e.event as Envelope<'confirmation'>).body.disbursement);
    if (d && d.event.type === 'disbursement' && (d.event as Envelope<'disbursement'>).body.payee !== e.event.org) {
      add('unauthorised_confirmation', `${e.event.id} is signed by ${e.event.org}, not the payee, and the bundle proves no roles of ${e.event.org} (org/${e.event.org})`, { index: e.seq, event: e.event.id });
    }
  }

  // Who may post registrations and key changes (DESIGN.md "Bodies"), by the proven roles:
  // an org.register only the operator, an org.keys the org itself or the operator.
  for (const e of v1Entries) {
    const ev = e.event;
    if (ev.type !== 'org.register' && ev.type !== 'org.keys') continue;
    const subject = (ev.body as { org: string }).org;
    if (ev.type === 'org.keys' && ev.org === subject) continue;
    if (e.seq === 0 && ev.type === 'org.register' && subject === ev.org) continue; // the operator's own registration (DESIGN.md "The operator")
    const r = rolesOf.get(ev.org);
    if (r === undefined) add('forbidden', `${ev.id} (a ${ev.type} for ${subject}) is posted by ${ev.org}, and the bundle proves no roles of ${ev.org} (org/${ev.org})`, { index: e.seq, event: ev.id });
    else if (!r.includes('operator')) add('forbidden', `${ev.id} (a ${ev.type} for ${subject}) is posted by ${ev.org}, which is not the operator`, { index: e.seq, event: ev.id });
  }

  // Consistency with what this client saw before.
  const trusted = needTrusted(opts.trusted);
  if (cp !== null) problems.push(...(await checkConsistency(trusted, cp, opts.consistency)));

  const cpOk = cp !== null && !opened.problems.length;
  const registered = { registered: (org: string) => typeof proof(orgRecKey(org)) === 'string' };
  const nodes = nodeResults(trace.nodes as unknown[], recomputed, v1ByEvent, signers, problems, cpOk, funds, registered);
  const flows: FlowResult[] = [];
  const flowKey = (f: { from: string; to: string }) => JSON.stringify([f.from, f.to]);
  const listed = new Set<string>();
  const traceProblems = problems.filter((p) => p.code === 'trace_mismatch').map((p) => p.message);
  for (const f of recomputed?.flows ?? []) {
    listed.add(flowKey(f));
    flows.push({ from: f.from, to: f.to, value: f.value, ok: cpOk && !problems.some((p) => p.event === f.to), problems: problems.filter((p) => p.event === f.to).map((p) => p.message) });
  }
  for (const f of trace.flows as unknown[]) {
    if (!validFlow(f) || listed.has(flowKey(f))) continue;
    listed.add(flowKey(f));
    flows.push({ from: f.from, to: f.to, value: f.value, ok: false, problems: traceProblems.length ? traceProblems : ['not verified'] });
  }
  const result: VerifyResult = { ok: problems.length === 0, checkpoint: cp ? checkpointInfo(cp) : null, problems, nodes, flows, version: 2, proven: facts };
  if (opened.witnesses) result.witnesses = opened.witnesses;
  if (donation) result.donation = donation;
  if (receipt) result.receipt = receipt;
  result.operatorSigned = v1Entries.filter((e) => signers.get(e.seq)?.installedBy === 'operator').map((e) => e.event.id);
  return result;
}

/** The first difference between the bundle's trace and the recomputed one, in words. */
function traceDiff(trace: Record<string, unknown>, r: Trace): string {
  if (trace.currency !== r.currency) return `the trace says currency ${show(trace.currency)}, the donation is in ${r.currency}`;
  const nodes = trace.nodes as unknown[];
  const flows = trace.flows as unknown[];
  const want = new Map(r.nodes.map((n) => [n.event, n]));
  for (const n of nodes) {
    if (!validNode(n)) return `a trace node is not {event, type, index, fund?, unspent?}: ${show(n)}`;
    const w = want.get(n.event);
    if (!w) return `the trace includes ${n.event}, which the proven entries and effects do not put in the trace of ${r.donation}`;
    if (canonicalize(n) !== canonicalize(w)) return `the trace says ${show(n)}, the proven entries say ${show(w)}`;
  }
  const have = new Set(nodes.filter(validNode).map((n) => n.event));
  for (const n of r.nodes) if (!have.has(n.event)) return `the trace leaves out ${n.type} ${n.event} (seq ${n.index}), which the proven entries put in it`;
  const wantF = new Map(r.flows.map((f) => [JSON.stringify([f.from, f.to]), f]));
  for (const f of flows) {
    if (!validFlow(f)) return `a trace flow is not {from, to, value}: ${show(f)}`;
    const w = wantF.get(JSON.stringify([f.from, f.to]));
    if (!w) return `the flow ${f.from} → ${f.to} of ${show(f.value)} is not implied by the proven effects`;
    if (w.value !== f.value) return `the flow ${f.from} → ${f.to} carries ${w.value} by the proven effects, not ${show(f.value)}`;
  }
  if (flows.length !== r.flows.length) return `the trace has ${flows.length} flows, the proven effects imply ${r.flows.length}`;
  return 'the trace differs from the one the proven entries imply (order of nodes or flows, or extra fields)';
}
