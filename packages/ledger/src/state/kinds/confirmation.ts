// confirmation (DESIGN.md "Bodies"; issue 9): the payee or an auditor org says the money of
// a disbursement arrived — never the org that paid it, and at most once per org.
import { reject } from '../../errors.ts';
import { confKey, eventKey, orgKey, type ConfRec, type FactsRec, type OrgRec } from '../codec.ts';
import { donationsOf } from '../util.ts';
import { factsBase, plan, type EventKind } from '../kind.ts';

export const confirmation: EventKind<'confirmation'> = {
  type: 'confirmation',
  names: (ev) => [eventKey(ev.body.disbursement), confKey(ev.body.disbursement)],
  evaluate(cx) {
    const { ev, tx } = cx;
    const b = ev.body;
    const d = tx.get<FactsRec>(eventKey(b.disbursement));
    if (!d || d.type !== 'disbursement') return reject('unknown_disbursement', `no disbursement ${b.disbursement}`);
    const poster = tx.get<OrgRec>(orgKey(ev.org));
    if (!poster) throw new Error(`ledger state: signer org ${ev.org} vanished`);
    // Self-confirmation proves nothing (issue 9): a charity paying itself (payee = its own
    // org id) would confirm as "the payee", an auditor org its own payment as "an auditor".
    // A confirmation is another org's word that the money arrived.
    if (d.org === ev.org) {
      return reject('forbidden', `${ev.org} posted disbursement ${d.id}: the org that made a payment cannot confirm it`);
    }
    const isPayee = d.payee === ev.org; // a registered org id, since ev.org signed
    if (!isPayee && !poster.roles.includes('auditor')) {
      return reject('forbidden', `only the payee or an auditor confirms disbursement ${d.id}`);
    }
    const by = tx.get<ConfRec[]>(confKey(d.id));
    if (by?.some((c) => c.org === ev.org)) {
      return reject('already_exists', `${ev.org} has already confirmed disbursement ${d.id}: one confirmation per org per disbursement`);
    }
    // A reversed disbursement can still be confirmed (DESIGN.md "Bodies").
    return plan([], donationsOf(d.taken), { ...factsBase(cx), type: 'confirmation', disbursement: d.id }, () => {
      const c: ConfRec = { event: ev.id, org: ev.org, seq: cx.seq };
      if (by) tx.edit<ConfRec[]>(confKey(d.id)).push(c);
      else tx.put(confKey(d.id), [c]);
    });
  },
};
