// Verifying one gift of a micro-donation batch (issue 15, docs/gifts.md): the nested proof
// gift → batch total → log → checkpoint, and the gift's share of every hop of the batch's
// money. Run after verifyBundle verified the batch's trace bundle (log → checkpoint, every
// hop); this checks the rest, offline:
//  1. the gift answer's batch entry is byte for byte the batch entry the bundle proved;
//  2. the gift record and its sum-tree proof lead to the root and the total that entry's
//     gift.batch event commits to, for its count (verifyGiftProof, stable problem codes);
//  3. with a receipt (index, secret), the secret opens the record's donor commitment;
//  4. the gift's share of every flow and of what is unspent at every hop, by the rule of
//     docs/gifts.md "Shares" (the units each hop moved, read off the proven effects, and the
//     sum-tree descent computed from this gift's own path).
import {
  batchUnits, checkGiftReceipt, flowKey, fromBase64Entry, giftUnits, shareOf, verifyGiftProof,
  type Entry, type Envelope, type GiftStep,
} from './gift-deps.ts';

export type GiftCheckCode =
  | 'malformed_gift' // the gift answer is not {batch, gift: {index, record}, proof, entry}
  | 'batch_mismatch' // its batch entry is not the one the trace bundle proved, or not a gift.batch
  | 'receipt_mismatch' // the secret does not open the gift's donor commitment (or another index)
  | 'bad_units' // the proven effects move units of the batch a hop does not hold
  | 'bad_record' | 'bad_index' | 'bad_path' | 'bad_path_length' | 'bad_sum' | 'sum_overflow' | 'root_mismatch' | 'total_mismatch';

export interface GiftShare {
  from: string;
  to: string;
  /** the hop's value (the batch's flow) and this gift's share of it, integer strings */
  value: string;
  share: string;
}
export interface GiftHeld {
  event: string;
  fund?: string;
  unspent: string;
  share: string;
}
export interface GiftResult {
  ok: boolean;
  problems: Array<{ code: GiftCheckCode; message: string }>;
  batch?: { id: string; fund: string; currency: string; total: string; count: number; root: string; index: number };
  gift?: { index: number; amount: string; channel: string; measure: string; donor: string };
  receipt: 'matched' | 'mismatch' | 'not_given';
  /** gift → batch total: the leaf and each node up to the root */
  steps: GiftStep[];
  shares: GiftShare[];
  held: GiftHeld[];
}

export interface GiftVerifyInput {
  /** the answer of GET /v1/batches/:id/gifts/:n */
  answer: unknown;
  /** the batch's trace bundle, already verified by verifyBundle with ok true */
  bundle: { entries?: Array<{ index: number; data: string }>; trace?: { nodes?: Array<{ event: string; fund?: string; unspent?: string }>; flows?: Array<{ from: string; to: string; value: string }> } };
  batchId: string;
  /** the donor's receipt: the index and the secret */
  receipt?: { index: number; secret: string };
}

export function verifyGift(input: GiftVerifyInput): GiftResult {
  const out: GiftResult = { ok: false, problems: [], receipt: 'not_given', steps: [], shares: [], held: [] };
  const fail = (code: GiftCheckCode, message: string): GiftResult => {
    out.problems.push({ code, message });
    return out;
  };
  const a = input.answer as { gift?: { index?: unknown; record?: unknown }; proof?: unknown; entry?: { index?: unknown; data?: unknown } } | null;
  if (typeof a !== 'object' || a === null || typeof a.gift !== 'object' || a.gift === null || typeof a.entry !== 'object' || a.entry === null || typeof a.proof !== 'object') {
    return fail('malformed_gift', 'the gift answer is not {"batch", "gift": {"index", "record"}, "proof", "entry"}');
  }
  // 1. the batch entry, as the bundle proved it
  const proven = (input.bundle.entries ?? []).find((e) => e.index === a.entry!.index);
  if (!proven || proven.data !== a.entry.data) return fail('batch_mismatch', `the gift answer's batch entry is not the entry ${String(a.entry.index)} the trace bundle proved`);
  const entries: Entry[] = [];
  // Version 2 (docs/wire-format-2.md §11): an entry commits to its effects; the bundle's
  // proven effects of this batch stand in for them (the units are this batch's only).
  const v2 = (input.bundle as { version?: unknown }).version === 2;
  const provenEffects = new Map<number, Array<{ i: number; e: Entry['effects'][number] }>>();
  if (v2) {
    for (const x of (input.bundle as { effects?: Array<{ index: number; effect: Entry['effects'][number]; proof: { index: number } }> }).effects ?? []) {
      provenEffects.set(x.index, [...(provenEffects.get(x.index) ?? []), { i: x.proof.index, e: x.effect }]);
    }
  }
  for (const e of input.bundle.entries ?? []) {
    const parsed = fromBase64Entry(e.data);
    if (!parsed) continue;
    if (v2) parsed.effects = (provenEffects.get(parsed.seq) ?? []).sort((x, y) => x.i - y.i).map((y) => y.e);
    entries.push(parsed);
  }
  const batchEntry = entries.find((e) => e.seq === a.entry!.index);
  if (!batchEntry || batchEntry.event.type !== 'gift.batch' || batchEntry.event.id !== input.batchId) {
    return fail('batch_mismatch', `entry ${String(a.entry.index)} is not the gift.batch ${input.batchId}`);
  }
  const ev = batchEntry.event as Envelope<'gift.batch'>;
  const b = ev.body;
  out.batch = { id: ev.id, fund: b.fund, currency: b.amount.currency, total: b.amount.value, count: b.count, root: b.root, index: batchEntry.seq };

  // 2. gift → batch total
  const v = verifyGiftProof({ record: a.gift.record, proof: a.proof as never, root: b.root, total: b.amount.value, count: b.count });
  out.steps = v.steps;
  if (!v.ok) return fail(v.problem.code, v.problem.message);
  const index = (a.proof as { index: number }).index;
  if (a.gift.index !== index) return fail('malformed_gift', `the answer names gift ${String(a.gift.index)} but proves gift ${index}`);
  const r = a.gift.record as { amount: string; channel: string; measure: string; donor: string };
  out.gift = { index, amount: r.amount, channel: r.channel, measure: r.measure, donor: r.donor };

  // 3. the receipt
  if (input.receipt) {
    if (input.receipt.index !== index) {
      out.receipt = 'mismatch';
      fail('receipt_mismatch', `the receipt is for gift ${input.receipt.index}, this is gift ${index}`);
    } else if (checkGiftReceipt(input.batchId, index, input.receipt.secret, r)) {
      out.receipt = 'matched';
    } else {
      out.receipt = 'mismatch';
      fail('receipt_mismatch', `the receipt secret does not open the donor commitment of gift ${index} of ${input.batchId}: not your gift, or a mistyped secret`);
    }
  }

  // 4. shares of every hop
  const units = batchUnits(input.batchId, BigInt(b.amount.value), entries);
  if (typeof units === 'string') return fail('bad_units', units);
  const total = BigInt(b.amount.value);
  const mine = (x: bigint) => giftUnits(x, v.splits, total);
  for (const f of input.bundle.trace?.flows ?? []) {
    const ranges = units.flows.get(flowKey(f.from, f.to)) ?? [];
    out.shares.push({ from: f.from, to: f.to, value: f.value, share: shareOf(ranges, mine).toString() });
  }
  for (const n of input.bundle.trace?.nodes ?? []) {
    if (n.unspent === undefined) continue;
    const h: GiftHeld = { event: n.event, unspent: n.unspent, share: shareOf(units.held.get(n.event) ?? [], mine).toString() };
    if (n.fund !== undefined) h.fund = n.fund;
    out.held.push(h);
  }
  out.ok = out.problems.length === 0;
  return out;
}

/** The gift's lines for a terminal: gift → batch total → log → checkpoint, then its share of every hop. */
export function formatGift(g: GiftResult, say: (s: unknown) => string): string[] {
  const lines: string[] = [];
  if (!g.batch || !g.gift) return lines;
  const c = say(g.batch.currency);
  lines.push(`gift ${g.gift.index} of batch ${say(g.batch.id)}: ${say(g.gift.amount)} ${c} (${say(g.gift.channel)}, ${say(g.gift.measure)})`);
  for (const s of g.steps) {
    lines.push(`  ${s.side === 'leaf' ? 'leaf' : `level ${s.level} (${s.side})`}: hash ${s.hash.slice(0, 16)}… sum ${s.sum}`);
  }
  lines.push(`  = the batch's root ${say(g.batch.root).slice(0, 16)}… and total ${say(g.batch.total)} ${c} of ${g.batch.count} gifts, in log entry ${g.batch.index}, proven in the checkpoint`);
  lines.push('  its share of every hop:');
  for (const s of g.shares) lines.push(`    ${say(s.from)} → ${say(s.to)}: ${s.share} of ${s.value} ${c}`);
  for (const h of g.held) if (h.share !== '0') lines.push(`    still in ${say(h.fund ?? h.event)} (by ${say(h.event)}): ${h.share} of ${h.unspent} ${c}`);
  return lines;
}

