// reversal (DESIGN.md "Bodies", "FIFO"): undoes a donation (a refund: its own lot, still
// whole), a transfer (its lots, all still whole in the destination, back to the front of
// the source) or a disbursement (the lots it took back to the front of its fund), once.
// Lots never move, so the target's facts say where to look: no index of lots by hop.
import { reject } from '../../errors.ts';
import { MAX_VALUE } from '../types.ts';
import type { Effect } from '../../types.ts';
import { eventKey, fundKey, lotKey, revKey, type FactsRec, type LotRec } from '../codec.ts';
import { donationsOf } from '../util.ts';
import { getLot, mustFund, prepend, removeLot } from '../queue.ts';
import { factsBase, plan, type EventKind } from '../kind.ts';

export const reversal: EventKind<'reversal'> = {
  type: 'reversal',
  names: (ev) => [eventKey(ev.body.event), revKey(ev.body.event)],
  follows(ev, peek) {
    const t = peek(eventKey(ev.body.event)) as FactsRec | null | undefined;
    if (t?.type === 'donation' || t?.type === 'gift.batch') return { keys: [lotKey(t.fund, t.pos)] };
    if (t?.type === 'transfer') return { keys: [fundKey(t.from)], ranges: [{ fund: t.to, from: t.range[0], to: t.range[1] }] };
    if (t?.type === 'disbursement') return { keys: [fundKey(t.fund)] };
    return { keys: [] };
  },
  evaluate(cx) {
    const { ev, tx } = cx;
    const b = ev.body;
    const t = tx.get<FactsRec>(eventKey(b.event));
    if (!t) return reject('unknown_event', `no event ${b.event}`);
    if (ev.org !== t.org && ev.org !== cx.operator) {
      return reject('forbidden', `only ${t.org} or the operator reverses ${t.id}`);
    }
    if (t.type !== 'donation' && t.type !== 'gift.batch' && t.type !== 'transfer' && t.type !== 'disbursement') {
      return reject('not_reversible', `a ${t.type} cannot be reversed`);
    }
    const by = tx.get<string>(revKey(t.id));
    if (by !== undefined) return reject('not_reversible', `${t.id} was already reversed by ${by}`);
    const base = { ...factsBase(cx), type: 'reversal' as const, target: t.id, targetType: t.type };
    const mark = () => tx.put(revKey(t.id), ev.id);

    if (t.type === 'donation' || t.type === 'gift.batch') {
      // Refund (of a donation, or of a whole gift batch: FIFO treats the batch as one lot): the donation's own lot (via = the donation) at the position it was put,
      // still whole. A position can be reused by a later prepend, so check the lot's via.
      const lot = getLot(tx, t.fund, t.pos);
      const value = BigInt(t.value);
      if (!lot || lot.via !== t.id || lot.value !== value) {
        return reject('not_reversible', `${t.type === 'donation' ? 'donation' : 'gift batch'} ${t.id} has moved on: its lot no longer holds the whole ${t.value}`);
      }
      const effects: Effect[] = [{ donation: t.id, via: t.id, value: t.value }];
      return plan(effects, [t.id], base, () => {
        removeLot(tx, lot);
        mark();
      });
    }

    if (t.type === 'transfer') {
      // The lots this transfer brought into its destination, all still there and whole:
      // the live lots via it within the range it appended to.
      const lots: LotRec[] = [];
      for (let p = t.range[0]; p < t.range[1]; p++) {
        const l = getLot(tx, t.to, p, t.range[1]);
        if (l && l.via === t.id) lots.push(l);
      }
      let sum = 0n;
      for (const l of lots) sum += l.value;
      const value = BigInt(t.value);
      if (sum !== value) {
        return reject('not_reversible', `transfer ${t.id} has moved on: ${sum} of its ${t.value} remain in ${t.to}`);
      }
      const src = mustFund(tx, t.from);
      if (src.balance + value > MAX_VALUE) return reject('bad_amount', `the balance of ${src.id} would exceed 2^63-1`);
      const effects: Effect[] = lots.map((l) => ({ donation: l.donation, via: t.id, value: l.value.toString() }));
      const facts = { ...base, range: [src.head - lots.length, src.head] as [number, number] };
      return plan(effects, donationsOf(effects), facts, () => {
        for (const l of lots) removeLot(tx, l);
        prepend(tx, src.id, lots.map((l) => ({ donation: l.donation, value: l.value })), ev.id);
        mark();
      });
    }

    // Disbursement: the lots it took go back to the front of its fund, in original order.
    const src = mustFund(tx, t.fund);
    const value = BigInt(t.value);
    if (src.balance + value > MAX_VALUE) return reject('bad_amount', `the balance of ${src.id} would exceed 2^63-1`);
    const effects: Effect[] = t.taken.map((e) => ({ donation: e.donation, via: t.id, value: e.value }));
    const facts = { ...base, range: [src.head - t.taken.length, src.head] as [number, number] };
    return plan(effects, donationsOf(effects), facts, () => {
      prepend(tx, src.id, t.taken.map((e) => ({ donation: e.donation, value: BigInt(e.value) })), ev.id);
      mark();
    });
  },
};
