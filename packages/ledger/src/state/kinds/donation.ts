// donation (DESIGN.md "Bodies", "FIFO"): the fund's owner records a gift; it becomes one
// lot at the back of the fund's queue, via the donation itself (../credit.ts).
import { reject } from '../../errors.ts';
import { fundKey } from '../codec.ts';
import { creditOneLot } from '../credit.ts';
import { factsBase, type EventKind } from '../kind.ts';

export const donation: EventKind<'donation'> = {
  type: 'donation',
  names: (ev) => [fundKey(ev.body.fund)],
  evaluate: (cx) =>
    creditOneLot(cx, {
      what: 'donation',
      forbidden: (f) => (f.owner === cx.ev.org ? null : reject('forbidden', `only ${f.owner} records donations to ${f.id}`)),
      facts: (f, value, pos) => ({ ...factsBase(cx), type: 'donation', fund: f.id, value: value.toString(), pos }),
    }),
};
