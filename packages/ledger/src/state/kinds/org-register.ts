// org.register (DESIGN.md "Bodies"): the operator registers an org with its roles and keys;
// entry 0 is the operator registering itself ("The operator"). The rules are keys.ts
// judgeRegister, shared with the verifier.
import { orgKey, type OrgRec } from '../codec.ts';
import { applyKeyChange, judgeRegister } from '../keys.ts';
import { factsBase, plan, type EventKind } from '../kind.ts';

export const orgRegister: EventKind<'org.register'> = {
  type: 'org.register',
  names: (ev) => [orgKey(ev.body.org)],
  evaluate(cx) {
    const { ev, seq, tx } = cx;
    const b = ev.body;
    const boot = cx.operator === undefined;
    // At entry 0 the signer was found among the event's own keys (ledger.ts #checkSignature).
    const change = judgeRegister(cx.rules, { poster: ev.org, org: b.org, roles: b.roles, keys: b.keys, operator: cx.operator, exists: tx.get(orgKey(b.org)) !== undefined });
    if ('ok' in change) return change;
    const p = plan([], [], { ...factsBase(cx), type: 'org.register', subject: b.org }, () => {
      const rec: OrgRec = { id: b.org, name: b.name, roles: [...b.roles], registeredSeq: seq, keys: [], byKeyId: new Map() };
      applyKeyChange(rec, change, seq);
      tx.put(orgKey(b.org), rec);
    });
    if (boot) p.operator = b.org;
    return p;
  },
};
