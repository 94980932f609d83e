// transfer (DESIGN.md "Bodies", "FIFO"): the source fund's owner moves value to another
// fund of the same currency; the lots it takes from the front arrive at the back of the
// destination one for one, each now via the transfer (never merged).
import { reject } from '../../errors.ts';
import { formatAmount } from '../../amount.ts';
import { MAX_VALUE } from '../types.ts';
import { donationsOf, parseValue } from '../util.ts';
import { append, commitTake, getFund, planTake, takesToEffects } from '../queue.ts';
import { fundKey } from '../codec.ts';
import { factsBase, plan, type EventKind } from '../kind.ts';

export const transfer: EventKind<'transfer'> = {
  type: 'transfer',
  names: (ev) => [fundKey(ev.body.from), fundKey(ev.body.to)],
  follows: (ev) => ({ keys: [], fronts: [ev.body.from] }),
  evaluate(cx) {
    const { ev, tx } = cx;
    const b = ev.body;
    const from = getFund(tx, b.from);
    if (!from) return reject('unknown_fund', `fund ${b.from} does not exist`);
    const to = getFund(tx, b.to);
    if (!to) return reject('unknown_fund', `fund ${b.to} does not exist`);
    if (from.owner !== ev.org) return reject('forbidden', `only ${from.owner} moves money out of ${from.id}`);
    if (b.amount.currency !== from.currency) {
      return reject('currency_mismatch', `fund ${from.id} holds ${from.currency}, not ${b.amount.currency}`);
    }
    if (to.currency !== from.currency) {
      return reject('currency_mismatch', `fund ${from.id} holds ${from.currency} but ${to.id} holds ${to.currency}`);
    }
    if (from.id === to.id) return reject('same_fund', `a transfer's from and to must differ (${from.id})`);
    // A restricted fund's money leaves only by disbursement (for its purpose) or to another
    // restricted fund (issue 9; README "Wire formats", "Restricted funds"): never into a fund
    // free of the restriction. Refunds and reversals return money where it came from.
    if (from.restricted && !to.restricted) {
      return reject('restricted_fund', `fund ${from.id} is restricted to its purpose: its money goes only to disbursements or to restricted funds, not to unrestricted ${to.id}`);
    }
    const value = parseValue(b.amount.value);
    if (value === null) return reject('bad_amount', `amount ${b.amount.value} is not an integer in 1..2^63-1`);
    if (to.balance + value > MAX_VALUE) return reject('bad_amount', `the balance of ${to.id} would exceed 2^63-1`);
    if (value > from.balance) return reject('overdraft', `fund ${from.id} holds ${formatAmount({ currency: from.currency, value: from.balance.toString() })}, less than ${formatAmount(b.amount)}`);
    const takes = planTake(tx, from, value);
    const effects = takesToEffects(takes);
    const first = to.tail;
    const facts = { ...factsBase(cx), type: 'transfer' as const, from: from.id, to: to.id, value: value.toString(), range: [first, first + takes.length] as [number, number] };
    return plan(effects, donationsOf(effects), facts, () => {
      commitTake(tx, from.id, takes);
      for (const t of takes) append(tx, to.id, t.lot.donation, ev.id, t.take);
    });
  },
};
