// donation (DESIGN.md "Bodies", "FIFO"): the fund's owner records a gift; it becomes one
// lot at the back of the fund's queue, via the donation itself.
import { reject } from '../../errors.ts';
import { MAX_VALUE } from '../types.ts';
import { parseValue } from '../util.ts';
import { append, getFund } from '../queue.ts';
import { fundKey } from '../codec.ts';
import { factsBase, plan, type EventKind } from '../kind.ts';

export const donation: EventKind<'donation'> = {
  type: 'donation',
  names: (ev) => [fundKey(ev.body.fund)],
  evaluate(cx) {
    const { ev, tx } = cx;
    const b = ev.body;
    const f = getFund(tx, b.fund);
    if (!f) return reject('unknown_fund', `fund ${b.fund} does not exist`);
    if (f.owner !== ev.org) return reject('forbidden', `only ${f.owner} records donations to ${f.id}`);
    if (b.amount.currency !== f.currency) {
      return reject('currency_mismatch', `fund ${f.id} holds ${f.currency}, not ${b.amount.currency}`);
    }
    const value = parseValue(b.amount.value);
    if (value === null) return reject('bad_amount', `amount ${b.amount.value} is not an integer in 1..2^63-1`);
    if (f.balance + value > MAX_VALUE) return reject('bad_amount', `the balance of ${f.id} would exceed 2^63-1`);
    const pos = f.tail;
    return plan([], [ev.id], { ...factsBase(cx), type: 'donation', fund: f.id, value: value.toString(), pos }, () => {
      if (append(tx, f.id, ev.id, ev.id, value) !== pos) throw new Error(`ledger state: donation ${ev.id} not appended at ${pos}`);
    });
  },
};
