// fund.open (DESIGN.md "Bodies"): an org opens a fund it owns, with an empty queue.
import { reject } from '../../errors.ts';
import { fundKey, type FundRec } from '../codec.ts';
import { factsBase, plan, type EventKind } from '../kind.ts';

export const fundOpen: EventKind<'fund.open'> = {
  type: 'fund.open',
  names: (ev) => [fundKey(ev.body.fund)],
  evaluate(cx) {
    const { ev, seq, tx } = cx;
    const b = ev.body;
    if (tx.get(fundKey(b.fund))) return reject('already_exists', `fund ${b.fund} already exists`);
    return plan([], [], { ...factsBase(cx), type: 'fund.open', subject: b.fund }, () => {
      const f: FundRec = {
        id: b.fund,
        owner: ev.org,
        name: b.name,
        currency: b.currency,
        restricted: b.restricted,
        purpose: b.purpose,
        openedSeq: seq,
        balance: 0n,
        head: 0,
        tail: 0,
        count: 0,
      };
      tx.put(fundKey(b.fund), f);
    });
  },
};
