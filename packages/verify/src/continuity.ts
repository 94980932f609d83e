// Fund continuity (DESIGN.md "FIFO" and "Entries"): `effects` are the one part of an entry
// no organisation signs, so a log operator holding only the log key can rewrite them and
// re-sign the checkpoint. Sums and conservation alone let such a rewrite make a donation
// "paid" by an unrelated, confirmed payment from another fund. What the signed events do
// fix is where each event draws money from, so every lot an event takes is checked against
// the bundle's own proven entries:
//
// - a lot {donation d, via V} taken by a transfer or disbursement must be money that V put
//   into the fund that event draws from (a transfer's `from`, a disbursement's `fund`): V is
//   d itself (into d's fund), a transfer of d's money (into its `to`), or a reversal of a
//   transfer or disbursement (back into the source fund), logged before the taker;
// - no more of it than V brought there, minus what earlier takers of (d, V) took;
// - a refund takes the donation's own lot, whole: exactly [{d, d, amount}], while nothing
//   else has taken from it;
// - the reversal of a transfer or disbursement returns exactly the lots that event took, in
//   order ((donation, value) as in its effects, via = the reversed event), from where that
//   event put them, once.
//
// Each (donation, via) hop is tracked as a pool: its fund and what is left of it. Pools of
// the trace's own donation are complete (the bundle holds every entry that names it);
// pools of other donations that share a proven hop are checked as far as the bundle shows
// them (a taker outside the bundle only makes a pool look fuller, so nothing honest fails).
// Lots whose via is not among the proven entries are left to the flow checks (missing_entry).
import type { Entry, Envelope } from '@cotc/ledger';

export interface ContinuityProblem {
  code: 'bad_continuity';
  message: string;
  index: number;
  event: string;
}

interface Pool {
  /** The fund this hop's lots of the donation are in; null: paid out (only its reversal takes them back). */
  fund: string | null;
  left: bigint;
}

const key = (donation: string, via: string) => `${donation}\u0000${via}`;

/** Where the money an event puts into a fund goes, as its signed body says. */
function describeFund(fund: string | null): string {
  return fund === null ? 'paid out' : `in fund ${fund}`;
}

/**
 * The continuity problems of `entries` (proven, in increasing seq order). `byEvent` maps
 * event ids to those entries. Effects must already be well-formed (validateEntryShape).
 */
export function checkContinuity(entries: readonly Entry[], byEvent: ReadonlyMap<string, Entry>): ContinuityProblem[] {
  const out: ContinuityProblem[] = [];
  const pools = new Map<string, Pool>();
  for (const entry of entries) {
    const ev = entry.event;
    const fail = (message: string) => out.push({ code: 'bad_continuity', message, index: entry.seq, event: ev.id });
    switch (ev.type) {
      case 'donation':
      case 'gift.batch': {
        const b = (ev as Envelope<'donation' | 'gift.batch'>).body;
        pools.set(key(ev.id, ev.id), { fund: b.fund, left: BigInt(b.amount.value) });
        break;
      }
      case 'transfer':
      case 'disbursement': {
        const source = ev.type === 'transfer' ? (ev as Envelope<'transfer'>).body.from : (ev as Envelope<'disbursement'>).body.fund;
        const brought = new Map<string, bigint>();
        for (const x of entry.effects) {
          const v = BigInt(x.value);
          brought.set(x.donation, (brought.get(x.donation) ?? 0n) + v);
          const via = byEvent.get(x.via);
          if (via === undefined) continue; // not proven: the flow checks say so for the trace's donation
          if (via.seq >= entry.seq) {
            fail(`${ev.id} takes ${v} of ${x.donation} that came via ${x.via}, which is logged only at seq ${via.seq}`);
            continue;
          }
          const pool = pools.get(key(x.donation, x.via));
          if (pool === undefined) {
            fail(`${ev.id} takes ${v} of ${x.donation} via ${x.via}, but ${x.via} (a ${via.event.type}) brought no money of ${x.donation} into any fund`);
            continue;
          }
          if (pool.fund !== source) {
            fail(`${ev.id} draws from fund ${source}, but its lot of ${v} of ${x.donation} via ${x.via} is money ${x.via} put ${describeFund(pool.fund)}`);
            continue;
          }
          if (v > pool.left) {
            fail(`${ev.id} takes ${v} of ${x.donation} via ${x.via} from fund ${source}, but only ${pool.left} of it was left there`);
            pool.left = 0n;
            continue;
          }
          pool.left -= v;
        }
        // What this event moved is now in its destination (a transfer) or paid out (a disbursement).
        const dest = ev.type === 'transfer' ? (ev as Envelope<'transfer'>).body.to : null;
        for (const [d, v] of brought) pools.set(key(d, ev.id), { fund: dest, left: v });
        break;
      }
      case 'reversal': {
        const target = byEvent.get((ev as Envelope<'reversal'>).body.event);
        if (target === undefined || target.seq >= entry.seq) break; // reported elsewhere (missing_entry / bad_effects)
        const t = target.event;
        if (t.type === 'donation' || t.type === 'gift.batch') {
          const amount = (t as Envelope<'donation' | 'gift.batch'>).body.amount.value;
          const e = entry.effects;
          if (e.length !== 1 || e[0]!.donation !== t.id || e[0]!.via !== t.id || e[0]!.value !== amount) {
            fail(`${ev.id} refunds ${t.id}, so it takes exactly that donation's own lot of ${amount} (via ${t.id}); its effects say otherwise`);
            break;
          }
          const pool = pools.get(key(t.id, t.id))!;
          if (pool.left !== BigInt(amount)) {
            fail(`${ev.id} refunds ${t.id}, but only ${pool.left} of its ${amount} was still in its own lot: a refund needs the whole lot`);
          }
          pool.left = 0n;
          break;
        }
        if (t.type !== 'transfer' && t.type !== 'disbursement') {
          if (entry.effects.length) fail(`${ev.id} reverses a ${t.type}, which moves no money, yet it moves money`);
          break;
        }
        const want = target.effects;
        const got = entry.effects;
        const same = want.length === got.length && want.every((w, i) => w.donation === got[i]!.donation && w.value === got[i]!.value && got[i]!.via === t.id);
        if (!same) {
          fail(`${ev.id} reverses ${t.id}, so it returns exactly the lots ${t.id} took, in order, each via ${t.id}; its effects say otherwise`);
        }
        // Taken back from where the reversed event put them: a transfer's destination, or paid out.
        const from = t.type === 'transfer' ? (t as Envelope<'transfer'>).body.to : null;
        const back = t.type === 'transfer' ? (t as Envelope<'transfer'>).body.from : (t as Envelope<'disbursement'>).body.fund;
        const returned = new Map<string, bigint>();
        for (const x of got) {
          if (x.via !== t.id) continue; // bad_effects already
          const v = BigInt(x.value);
          const pool = pools.get(key(x.donation, t.id));
          if (pool === undefined) {
            if (same) fail(`${ev.id} returns ${v} of ${x.donation}, which ${t.id} never moved`);
            continue;
          }
          if (pool.fund !== from || v > pool.left) {
            fail(`${ev.id} returns ${v} of ${x.donation} via ${t.id}, but only ${pool.fund === from ? pool.left : 0n} of it was still ${describeFund(from)}: ${t.id} has moved on or was reversed before`);
            pool.left = 0n;
            continue;
          }
          pool.left -= v;
          returned.set(x.donation, (returned.get(x.donation) ?? 0n) + v);
        }
        for (const [d, v] of returned) pools.set(key(d, ev.id), { fund: back, left: v });
        break;
      }
      default:
        break; // events that move no money (their effects must be empty: bad_effects)
    }
  }
  return out;
}
