// org.keys (DESIGN.md "Bodies", "Keys"): the org itself or the operator adds and revokes
// keys; an org always keeps at least one current key.
import { reject } from '../../errors.ts';
import { orgKey, type OrgRec } from '../codec.ts';
import { checkNewKeys, checkRevokes, currentKeyCount } from '../keys.ts';
import { factsBase, plan, type EventKind } from '../kind.ts';

export const orgKeys: EventKind<'org.keys'> = {
  type: 'org.keys',
  names: (ev) => [orgKey(ev.body.org)],
  evaluate(cx) {
    const { ev, seq, tx } = cx;
    const b = ev.body;
    const org = tx.get<OrgRec>(orgKey(b.org));
    if (!org) return reject('unknown_org', `org ${b.org} is not registered`);
    if (ev.org !== b.org && ev.org !== cx.operator) {
      return reject('forbidden', `only ${b.org} or the operator changes the keys of ${b.org}`);
    }
    if (b.add.length === 0 && b.revoke.length === 0) return reject('bad_key', 'org.keys adds and revokes nothing');
    const revoke = checkRevokes(org, b.org, b.revoke);
    if (!Array.isArray(revoke)) return revoke;
    const add = checkNewKeys(cx.rules, b.org, b.add, org);
    if (!Array.isArray(add)) return add;
    if (currentKeyCount(org) - revoke.length + add.length < 1) return reject('bad_key', `${b.org} must keep at least one key`);
    return plan([], [], { ...factsBase(cx), type: 'org.keys', subject: b.org }, () => {
      const o = tx.edit<OrgRec>(orgKey(b.org));
      for (const r of revoke) o.byKeyId.get(r.keyId)!.revokedSeq = seq;
      for (const k of add) {
        k.addedSeq = seq;
        o.keys.push(k);
        o.byKeyId.set(k.keyId, k);
      }
    });
  },
};
