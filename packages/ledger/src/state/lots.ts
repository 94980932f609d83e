// One donation's lots replayed forward (docs/wire-format-2.md §12 step 7, "Completeness"):
// the verifier of a v2 trace bundle sees only this donation's lots of each entry (the
// bundle's proven effects), never the other donations' lots that share its funds. FIFO as
// DESIGN.md states it still decides exactly which of THIS donation's lots an event takes:
// a prefix of a fund's queue, restricted to one donation's lots, is a prefix of that
// donation's own sub-queue (the last one possibly split), lots appended go behind all of
// them, lots returned go in front of all of them. So the sub-queues are run with the very
// queue code the state machine runs (queue.ts: planTake, commitTake, append, prepend,
// removeLot) over an in-memory Overlay holding only this donation's lots: one FIFO rule,
// written once. Queue positions here are relative (a sub-queue's own), so callers compare
// lots by fund, order in the fund, value, via; never by absolute position.
import type { Effect, Envelope } from '../types.ts';
import { fundKey, lotKey, type FundRec, type LotRec } from './codec.ts';
import { Committed, Overlay } from './overlay.ts';
import { append, commitTake, getLot, planTake, prepend, removeLot, takesToEffects } from './queue.ts';

/** One hop as the replay sees it: the event, its seq, and ITS effects that name the donation, in effect order. */
export interface LotStep {
  seq: number;
  event: Envelope;
  effects: readonly Effect[];
}

/** A lot of the donation where the replay left it (queue order within its fund). */
export interface ReplayedLot {
  fund: string;
  via: string;
  value: string;
}

export type LotReplay = { ok: true; lots: ReplayedLot[] } | { ok: false; seq: number; event: string; message: string };

const sameEffects = (a: readonly Effect[], b: readonly Effect[]) =>
  a.length === b.length && a.every((x, i) => x.donation === b[i]!.donation && x.via === b[i]!.via && x.value === b[i]!.value);
const show = (e: readonly Effect[]) => JSON.stringify(e.map((x) => ({ via: x.via, value: x.value })));

/**
 * Replays `donation`'s lots through `steps` (in seq order; steps that move none of its money
 * are ignored). `targets` answers a reversal's target by event id (its entry must be among
 * the steps' entries, the caller checks). Returns the lots left, fund by fund (funds in
 * first-touched order, lots in queue order), or the first step whose effects are not what
 * FIFO takes from the lots the steps before it put there.
 */
export function replayDonationLots(
  donation: string,
  steps: readonly LotStep[],
  targets: (id: string) => Envelope | undefined,
): LotReplay {
  try {
    return replay(donation, steps, targets);
  } catch (e) {
    // The queue code throws only on states FIFO cannot reach: say so as a failed replay.
    return { ok: false, seq: -1, event: donation, message: `the lots of ${donation} cannot be replayed: ${(e as Error).message}` };
  }
}

function replay(donation: string, steps: readonly LotStep[], targets: (id: string) => Envelope | undefined): LotReplay {
  const tx = new Overlay(new Committed(true));
  const funds: string[] = [];
  const fund = (id: string): FundRec => {
    const f = tx.get<FundRec>(fundKey(id));
    if (f) return f;
    const rec: FundRec = { id, owner: '', name: '', currency: '', restricted: false, purpose: '', openedSeq: 0, balance: 0n, head: 0, tail: 0, count: 0 };
    tx.put(fundKey(id), rec);
    funds.push(id);
    return rec;
  };
  const lotsOf = (f: FundRec): LotRec[] => {
    const out: LotRec[] = [];
    for (let p = f.head; p < f.tail; p++) {
      const l = getLot(tx, f.id, p);
      if (l) out.push(l);
    }
    return out;
  };
  // What each disbursement took of the donation: its reversal returns exactly that.
  const taken = new Map<string, Effect[]>();
  let last = -1;
  for (const s of steps) {
    const ev = s.event;
    const fail = (message: string): LotReplay => ({ ok: false, seq: s.seq, event: ev.id, message });
    if (!(s.seq > last)) return fail(`steps are not in increasing seq order at ${s.seq}`);
    last = s.seq;
    const mine = s.effects.filter((x) => x.donation === donation);
    if (mine.length !== s.effects.length) return fail(`${ev.id} is given effects of other donations than ${donation}`);
    let sum = 0n;
    for (const x of mine) {
      if (!/^[1-9][0-9]{0,18}$/.test(x.value)) return fail(`${ev.id} has an effect of value ${JSON.stringify(x.value)}`);
      sum += BigInt(x.value);
    }
    if (ev.id === donation) {
      if (ev.type !== 'donation' && ev.type !== 'gift.batch') return fail(`${donation} is a ${ev.type}, not a donation`);
      if (mine.length) return fail(`the donation ${donation} itself has effects`);
      const b = (ev as Envelope<'donation'>).body;
      append(tx, fund(b.fund).id, donation, donation, BigInt(b.amount.value));
      continue;
    }
    if (mine.length === 0) continue;
    if (ev.type === 'transfer' || ev.type === 'disbursement') {
      const from = ev.type === 'transfer' ? (ev as Envelope<'transfer'>).body.from : (ev as Envelope<'disbursement'>).body.fund;
      const f = fund(from);
      if (sum > f.balance) return fail(`${ev.id} takes ${sum} of ${donation} from fund ${from}, where the hops before it left ${f.balance}`);
      const takes = planTake(tx, f, sum);
      const want = takesToEffects(takes);
      if (!sameEffects(want, mine)) return fail(`${ev.id} takes ${show(mine)} of ${donation} from fund ${from}; FIFO takes ${show(want)} of the lots the hops before it left there`);
      commitTake(tx, from, takes);
      if (ev.type === 'disbursement') taken.set(ev.id, want);
      if (ev.type === 'transfer') {
        const to = fund((ev as Envelope<'transfer'>).body.to).id;
        for (const t of takes) append(tx, to, donation, ev.id, t.take);
      }
      continue;
    }
    if (ev.type === 'reversal') {
      const targetId = (ev as Envelope<'reversal'>).body.event;
      const t = targets(targetId);
      if (!t) return fail(`${ev.id} reverses ${targetId}, which is not given`);
      if (t.id === donation) {
        // A refund: the donation's own lot, whole, wherever it is in its fund.
        const f = fund((t as Envelope<'donation'>).body.fund);
        const lot = lotsOf(f).find((l) => l.via === donation);
        const want: Effect[] = lot ? [{ donation, via: donation, value: lot.value.toString() }] : [];
        if (!lot || !sameEffects(want, mine) || lot.value !== BigInt((t as Envelope<'donation'>).body.amount.value)) {
          return fail(`${ev.id} refunds ${show(mine)} of ${donation}; the hops before it left ${show(want)} of its own lot`);
        }
        removeLot(tx, lot);
        continue;
      }
      if (t.type === 'transfer') {
        // The lots via the transfer in its destination go back to the front of its source.
        const tb = (t as Envelope<'transfer'>).body;
        const lots = lotsOf(fund(tb.to)).filter((l) => l.via === t.id);
        const want: Effect[] = lots.map((l) => ({ donation, via: t.id, value: l.value.toString() }));
        if (!sameEffects(want, mine)) return fail(`${ev.id} returns ${show(mine)} of ${donation}; the lots via ${t.id} in ${tb.to} are ${show(want)}`);
        for (const l of lots) removeLot(tx, l);
        prepend(tx, fund(tb.from).id, lots.map((l) => ({ donation, value: l.value })), ev.id);
        continue;
      }
      if (t.type === 'disbursement') {
        // The lots it took go back to the front of its fund, in their order.
        const want: Effect[] = (taken.get(t.id) ?? []).map((x) => ({ donation, via: t.id, value: x.value }));
        if (!sameEffects(want, mine)) return fail(`${ev.id} returns ${show(mine)} of ${donation}; ${t.id} took ${show(want)} of it`);
        prepend(tx, fund((t as Envelope<'disbursement'>).body.fund).id, mine.map((x) => ({ donation, value: BigInt(x.value) })), ev.id);
        continue;
      }
      return fail(`${ev.id} reverses a ${t.type}, which moves no money`);
    }
    return fail(`a ${ev.type} moves no money, but ${ev.id} has effects of ${donation}`);
  }
  const out: ReplayedLot[] = [];
  for (const id of funds) {
    for (const l of lotsOf(tx.must<FundRec>(fundKey(id)))) out.push({ fund: id, via: l.via, value: l.value.toString() });
  }
  return { ok: true, lots: out };
}

