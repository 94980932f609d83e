// org.register (DESIGN.md "Bodies"): the operator registers an org with its roles and keys;
// entry 0 is the operator registering itself ("The operator").
import { reject } from '../../errors.ts';
import { orgKey, type OrgRec } from '../codec.ts';
import { checkNewKeys } from '../keys.ts';
import { factsBase, plan, type EventKind } from '../kind.ts';

export const orgRegister: EventKind<'org.register'> = {
  type: 'org.register',
  names: (ev) => [orgKey(ev.body.org)],
  evaluate(cx) {
    const { ev, seq, tx } = cx;
    const b = ev.body;
    const boot = cx.operator === undefined;
    if (boot) {
      // Entry 0's signer was found among its own keys, so ev.org === b.org here.
      if (!b.roles.includes('operator')) return reject('forbidden', 'entry 0 must register the operator org, with role operator');
    } else if (ev.org !== cx.operator) {
      return reject('forbidden', `only the operator (${cx.operator}) registers organisations`);
    }
    if (tx.get(orgKey(b.org))) return reject('already_exists', `org ${b.org} is already registered`);
    const keys = checkNewKeys(cx.rules, b.org, b.keys, undefined);
    if (!Array.isArray(keys)) return keys;
    if (keys.length === 0) return reject('bad_key', `org ${b.org} needs at least one key`);
    const p = plan([], [], { ...factsBase(cx), type: 'org.register', subject: b.org }, () => {
      const rec: OrgRec = { id: b.org, name: b.name, roles: [...b.roles], registeredSeq: seq, keys: [], byKeyId: new Map() };
      for (const k of keys) {
        k.addedSeq = seq;
        rec.keys.push(k);
        rec.byKeyId.set(k.keyId, k);
      }
      tx.put(orgKey(b.org), rec);
    });
    if (boot) p.operator = b.org;
    return p;
  },
};
