// gift.batch (issue 15, docs/gifts.md): `count` micro-donations into a fund at once, committed
// by the root of their Merkle sum tree; `amount` is their total. Posted by the fund's owner
// (the receiving charity) or by an org with the `platform` role (the e-commerce platform
// that collected the gifts for it). FIFO treats the batch as one lot, via the batch itself,
// exactly as a donation: transfers, disbursements and a refund of the whole batch then
// behave as DESIGN.md "FIFO" says, and the gifts' shares of every hop follow from the
// units each hop moved (gifts/units.ts, gifts/share.ts).
//
// The state machine cannot see the gifts (they are off the log): the server checks, before
// it submits the event, that it stores a batch file with this root, count and total
// (src/gifts/). An auditor with the batch files checks the same (docs/gifts.md).
import { reject } from '../../errors.ts';
import { fundKey, orgKey, type OrgRec } from '../codec.ts';
import { creditOneLot } from '../credit.ts';
import { factsBase, type EventKind } from '../kind.ts';

export const giftBatch: EventKind<'gift.batch'> = {
  type: 'gift.batch',
  names: (ev) => [fundKey(ev.body.fund)],
  evaluate(cx) {
    const { ev, tx } = cx;
    const b = ev.body;
    return creditOneLot(cx, {
      what: 'gift batch',
      forbidden(f) {
        if (f.owner === ev.org || tx.get<OrgRec>(orgKey(ev.org))?.roles.includes('platform')) return null;
        return reject('forbidden', `only ${f.owner} or an org with the platform role posts gift batches into ${f.id}`);
      },
      // Every gift is at least 1 minor unit (docs/gifts.md "Hashes"): count gifts sum to at least count.
      checkValue: (value) => (value < BigInt(b.count) ? reject('bad_amount', `${b.count} gifts of at least 1 each cannot total ${b.amount.value}`) : null),
      facts: (f, value, pos) => ({ ...factsBase(cx), type: 'gift.batch', fund: f.id, value: value.toString(), pos, count: b.count, root: b.root }),
    });
  },
};
