// The state map's records (docs/wire-format-2.md §10): what the log commits to, once per
// batch, as (key, value) pairs of RFC 8785 canonical JSON, derived from the state's stored
// records (codec.ts). Pure: the sequencer, the auditor and a snapshot check all derive the
// same pairs from the same records, so the same root.
//
//   meta, fund/<f>, lot/<f>/<pos>, live/<d>, event/<id>, rev/<id>, conf/<d>
//                        the stored record's fields, in RFC 8785 form
//   org/<org>            {"keys": <count>, "name", "registeredSeq", "roles"}
//   orgkey/<org>/<keyId> {"addedBy"?, "addedSeq", "key", "revokedSeq"?}: one key's
//                        history, its own record so that a bundle proves only the keys
//                        that signed it; addedBy: the poster of the org.keys that added it
import { canonicalize } from '../canonical.ts';
import { parseKey } from './codec.ts';

export const orgKeyKey = (org: string, keyId: string) => `orgkey/${org}/${keyId}`;

interface StoredOrg {
  name: string;
  roles: string[];
  registeredSeq: number;
  keys: Array<{ key: string; keyId: string; addedSeq: number; revokedSeq?: number; addedBy?: string }>;
}

function orgKeyValue(k: StoredOrg['keys'][number]): string {
  const o: Record<string, unknown> = { addedSeq: k.addedSeq, key: k.key };
  if (k.revokedSeq !== undefined) o.revokedSeq = k.revokedSeq;
  if (k.addedBy !== undefined) o.addedBy = k.addedBy;
  return canonicalize(o);
}

/** The map records of one stored record (`key` as the codec writes it, `value` its stored
 * text); [] for a record that is not in the map. */
export function mapRecordsOf(key: string, value: string): Array<[string, string]> {
  const k = parseKey(key);
  if (!k) return [];
  if (k.kind === 'org') {
    const o = JSON.parse(value) as StoredOrg;
    const out: Array<[string, string]> = [[key, canonicalize({ keys: o.keys.length, name: o.name, registeredSeq: o.registeredSeq, roles: o.roles })]];
    for (const x of o.keys) out.push([orgKeyKey(k.id, x.keyId), orgKeyValue(x)]);
    return out;
  }
  return [[key, canonicalize(JSON.parse(value))]];
}

/**
 * The map changes of a batch's state changes (LedgerState.takeChanges: key → stored text,
 * or null deleted). `before(key)` is the stored text the batch replaced (undefined when not
 * known): an org's unchanged keys are then left out, so 10,000 rotations by one org cost
 * one orgkey record each, not 10,000.
 */
export function mapChangesOf(changes: Iterable<readonly [string, string | null]>, before: (key: string) => string | null | undefined = () => undefined): Array<[string, string | null]> {
  const out: Array<[string, string | null]> = [];
  for (const [key, value] of changes) {
    const k = parseKey(key);
    if (!k) continue;
    if (value === null) {
      // No org is ever removed (nothing deletes org/ records), so no orgkey either.
      if (k.kind === 'org') throw new Error(`state map: org record ${key} deleted`);
      out.push([key, null]);
      continue;
    }
    if (k.kind === 'org') {
      const old = before(key);
      const had = new Map<string, string>();
      if (typeof old === 'string') for (const x of (JSON.parse(old) as StoredOrg).keys) had.set(x.keyId, orgKeyValue(x));
      const [head, ...keys] = mapRecordsOf(key, value);
      out.push(head!);
      for (const [kk, kv] of keys) if (had.get(kk.slice(kk.lastIndexOf('/') + 1)) !== kv) out.push([kk, kv]);
      continue;
    }
    out.push(...mapRecordsOf(key, value));
  }
  return out;
}

/** Every map record of a whole set of stored records (a snapshot; the from-scratch root). */
export function* mapRecordsOfAll(records: Iterable<readonly [string, string]>): Iterable<[string, string]> {
  for (const [k, v] of records) yield* mapRecordsOf(k, v);
}
