// disbursement (DESIGN.md "Bodies", "FIFO"): the fund's owner pays a payee; the lots it
// takes from the front leave the ledger, and its facts keep them (a reversal returns them).
import { reject } from '../../errors.ts';
import { formatAmount } from '../../amount.ts';
import { donationsOf, parseValue } from '../util.ts';
import { commitTake, getFund, planTake, takesToEffects } from '../queue.ts';
import { fundKey } from '../codec.ts';
import { factsBase, plan, type EventKind } from '../kind.ts';

export const disbursement: EventKind<'disbursement'> = {
  type: 'disbursement',
  names: (ev) => [fundKey(ev.body.fund)],
  follows: (ev) => ({ keys: [], fronts: [ev.body.fund] }),
  evaluate(cx) {
    const { ev, tx } = cx;
    const b = ev.body;
    const f = getFund(tx, b.fund);
    if (!f) return reject('unknown_fund', `fund ${b.fund} does not exist`);
    if (f.owner !== ev.org) return reject('forbidden', `only ${f.owner} disburses from ${f.id}`);
    if (b.amount.currency !== f.currency) {
      return reject('currency_mismatch', `fund ${f.id} holds ${f.currency}, not ${b.amount.currency}`);
    }
    const value = parseValue(b.amount.value);
    if (value === null) return reject('bad_amount', `amount ${b.amount.value} is not an integer in 1..2^63-1`);
    if (value > f.balance) return reject('overdraft', `fund ${f.id} holds ${formatAmount({ currency: f.currency, value: f.balance.toString() })}, less than ${formatAmount(b.amount)}`);
    const takes = planTake(tx, f, value);
    const effects = takesToEffects(takes);
    const facts = {
      ...factsBase(cx),
      type: 'disbursement' as const,
      fund: f.id,
      payee: b.payee,
      value: value.toString(),
      taken: effects.map((e) => ({ ...e })),
    };
    return plan(effects, donationsOf(effects), facts, () => commitTake(tx, f.id, takes));
  },
};
