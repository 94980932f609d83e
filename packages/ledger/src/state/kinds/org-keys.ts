// org.keys (DESIGN.md "Bodies", "Keys"): the org itself or the operator adds and revokes
// keys; an org always keeps at least one current key. The rules are keys.ts judgeKeyChange,
// shared with the verifier.
import { orgKey, type OrgRec } from '../codec.ts';
import { applyKeyChange, judgeKeyChange } from '../keys.ts';
import { factsBase, plan, type EventKind } from '../kind.ts';

export const orgKeys: EventKind<'org.keys'> = {
  type: 'org.keys',
  names: (ev) => [orgKey(ev.body.org)],
  evaluate(cx) {
    const { ev, seq, tx } = cx;
    const b = ev.body;
    const change = judgeKeyChange(cx.rules, { poster: ev.org, org: b.org, ring: tx.get<OrgRec>(orgKey(b.org)), add: b.add, revoke: b.revoke, operator: cx.operator });
    if ('ok' in change) return change;
    return plan([], [], { ...factsBase(cx), type: 'org.keys', subject: b.org }, () => {
      // Who added a key, so that a proof of it shows an operator-installed one (§10).
      for (const k of change.add) k.addedBy = ev.org;
      applyKeyChange(tx.edit<OrgRec>(orgKey(b.org)), change, seq);
    });
  },
};
