// A kind that credits a fund with one lot (DESIGN.md "Bodies", "FIFO"): a donation, and a
// gift batch (issue 15: one lot for all its gifts). Both check, in "Posting" order, that the
// fund exists (422 unknown_fund), that the poster may credit it (403 forbidden: the kind's
// rule), the currency (422 currency_mismatch), the amount (422 bad_amount: 1..2^63−1, the
// kind's own bounds, the fund's balance staying within 2^63−1), and then append one lot at
// the back of the fund's queue, via the event itself.
import { reject, type Rejection } from '../errors.ts';
import { MAX_VALUE, type EventFacts } from './types.ts';
import { parseValue } from './util.ts';
import { append, getFund } from './queue.ts';
import type { FundRec } from './codec.ts';
import { plan, type Cx, type Evaluation } from './kind.ts';

export interface OneLotCredit {
  /** The kind's rule for who may credit fund `f`: a 403 forbidden rejection, or null. */
  forbidden(f: FundRec): Rejection | null;
  /** The kind's own amount bounds past 1..2^63−1 (a 422 bad_amount rejection), or null. */
  checkValue?(value: bigint): Rejection | null;
  /** The event's facts once accepted; `pos` is its lot's place in the fund's queue. */
  facts(f: FundRec, value: bigint, pos: number): EventFacts;
  /** What the event is called in the impossible-state error ("donation", "gift batch"). */
  what: string;
}

export function creditOneLot(cx: Cx<'donation' | 'gift.batch'>, kind: OneLotCredit): Evaluation {
  const { ev, tx } = cx;
  const b = ev.body;
  const f = getFund(tx, b.fund);
  if (!f) return reject('unknown_fund', `fund ${b.fund} does not exist`);
  const no = kind.forbidden(f);
  if (no) return no;
  if (b.amount.currency !== f.currency) {
    return reject('currency_mismatch', `fund ${f.id} holds ${f.currency}, not ${b.amount.currency}`);
  }
  const value = parseValue(b.amount.value);
  if (value === null) return reject('bad_amount', `amount ${b.amount.value} is not an integer in 1..2^63-1`);
  const bad = kind.checkValue?.(value);
  if (bad) return bad;
  if (f.balance + value > MAX_VALUE) return reject('bad_amount', `the balance of ${f.id} would exceed 2^63-1`);
  const pos = f.tail;
  return plan([], [ev.id], kind.facts(f, value, pos), () => {
    if (append(tx, f.id, ev.id, ev.id, value) !== pos) throw new Error(`ledger state: ${kind.what} ${ev.id} not appended at ${pos}`);
  });
}
