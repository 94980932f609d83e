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
import { MAX_VALUE } from '../types.ts';
import { parseValue } from '../util.ts';
import { append, getFund } from '../queue.ts';
import { fundKey, orgKey, type OrgRec } from '../codec.ts';
import { factsBase, plan, type EventKind } from '../kind.ts';

export const giftBatch: EventKind<'gift.batch'> = {
  type: 'gift.batch',
  names: (ev) => [fundKey(ev.body.fund)],
  evaluate(cx) {
    const { ev, tx } = cx;
    const b = ev.body;
    const f = getFund(tx, b.fund);
    if (!f) return reject('unknown_fund', `fund ${b.fund} does not exist`);
    if (f.owner !== ev.org) {
      const poster = tx.get<OrgRec>(orgKey(ev.org));
      if (!poster?.roles.includes('platform')) {
        return reject('forbidden', `only ${f.owner} or an org with the platform role posts gift batches into ${f.id}`);
      }
    }
    if (b.amount.currency !== f.currency) {
      return reject('currency_mismatch', `fund ${f.id} holds ${f.currency}, not ${b.amount.currency}`);
    }
    const value = parseValue(b.amount.value);
    if (value === null) return reject('bad_amount', `amount ${b.amount.value} is not an integer in 1..2^63-1`);
    // Every gift is at least 1 minor unit (docs/gifts.md "Hashes"): count gifts sum to at least count.
    if (value < BigInt(b.count)) return reject('bad_amount', `${b.count} gifts of at least 1 each cannot total ${b.amount.value}`);
    if (f.balance + value > MAX_VALUE) return reject('bad_amount', `the balance of ${f.id} would exceed 2^63-1`);
    const pos = f.tail;
    const facts = { ...factsBase(cx), type: 'gift.batch' as const, fund: f.id, value: value.toString(), pos, count: b.count, root: b.root };
    return plan([], [ev.id], facts, () => {
      if (append(tx, f.id, ev.id, ev.id, value) !== pos) throw new Error(`ledger state: gift batch ${ev.id} not appended at ${pos}`);
    });
  },
};
