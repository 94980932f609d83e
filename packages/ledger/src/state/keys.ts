// The key registry (DESIGN.md "Keys", "Bodies" — org.register / org.keys, "The operator"):
// which key of an org may sign the entry at which seq, and which keys an event may add or
// revoke. Plain functions over plain records, so that the verifier (packages/verify) can
// share them instead of re-implementing the rules.
import { sha256 } from '@noble/hashes/sha2.js';
import { reject, type Rejection } from '../errors.ts';
import type { OrgKeyInfo, ParsedVerifierKey } from './types.ts';
import { b64decode, bytesToHex } from './util.ts';

export interface KeyRec {
  key: string;
  keyId: string;
  publicKey: Uint8Array;
  addedSeq: number;
  revokedSeq?: number;
  /** the poster of the org.keys that added it (absent for keys of the registration) */
  addedBy?: string;
}

/** An org's keys: in order added; revoked ones stay (their ids stay taken). */
export interface KeyRing {
  readonly keys: readonly KeyRec[];
  readonly byKeyId: ReadonlyMap<string, KeyRec>;
}

export interface KeyRules {
  isWeakKey: (publicKey: Uint8Array) => boolean;
  parse: (key: string) => ParsedVerifierKey | null;
}

/** Strict parse of a verifier key `name+hexid+base64(0x01||pub)` (C2SP signed-note),
 * checking the key id = SHA-256(name || "\n" || 0x01 || pub)[:4]. */
export function parseVerifierKey(key: string): ParsedVerifierKey | null {
  // name+hexid+base64: split at the first two '+' only (base64 may itself hold '+').
  const i = key.indexOf('+');
  const j = i < 0 ? -1 : key.indexOf('+', i + 1);
  if (i < 0 || j < 0) return null;
  const name = key.slice(0, i);
  const keyId = key.slice(i + 1, j);
  const b64 = key.slice(j + 1);
  // signed-note: a name is non-empty, with no whitespace and no '+'.
  if (name === '' || /\s/u.test(name)) return null;
  if (!/^[0-9a-f]{8}$/.test(keyId)) return null;
  const raw = b64decode(b64);
  if (raw === null || raw.length !== 33 || raw[0] !== 0x01) return null;
  const nameBytes = new TextEncoder().encode(name);
  const pre = new Uint8Array(nameBytes.length + 1 + raw.length);
  pre.set(nameBytes, 0);
  pre[nameBytes.length] = 0x0a;
  pre.set(raw, nameBytes.length + 1);
  if (bytesToHex(sha256(pre).subarray(0, 4)) !== keyId) return null;
  return { name, keyId, publicKey: raw.slice(1) };
}

export function keyInfo(k: KeyRec): OrgKeyInfo {
  const o: OrgKeyInfo = { key: k.key, addedSeq: k.addedSeq };
  if (k.revokedSeq !== undefined) o.revokedSeq = k.revokedSeq;
  return o;
}

/** Whether key `k` could sign the entry at `seq`: added before seq (or at seq 0, the
 * operator's bootstrap) and not revoked before seq (a key signs its own revocation, so at
 * the revocation's own seq it is still good). */
export function keyLiveAt(k: KeyRec, seq: number): boolean {
  const added = k.addedSeq < seq || (k.addedSeq === 0 && seq === 0);
  const live = k.revokedSeq === undefined || seq <= k.revokedSeq;
  return added && live;
}

/** The sig's key id (hex), or null when sig is not canonical base64 of 4 + 64 bytes. */
export function sigKeyId(sig: unknown): string | null {
  const raw = typeof sig === 'string' ? b64decode(sig) : null;
  if (raw === null || raw.length !== 68) return null;
  return bytesToHex(raw.subarray(0, 4));
}

/** Entry 0's signer (DESIGN.md "The operator"): the operator's org.register is signed by
 * a key it carries, named for the org; those keys vouch for it. */
export function bootstrapSigner(rules: KeyRules, org: string, keys: readonly string[], keyId: string): { key: string; publicKey: Uint8Array } | undefined {
  for (const k of keys) {
    const p = rules.parse(k);
    if (p && p.name === org && p.keyId === keyId) return { key: k, publicKey: p.publicKey };
  }
  return undefined;
}

/** The signer of an event of `org` at `seq` by key id, or the 401 rejection. */
export function signerAt(ring: KeyRing | undefined, org: string, keyId: string, seq: number): KeyRec | Rejection {
  if (!ring) return reject('unknown_key', `org ${org} is not registered`);
  const k = ring.byKeyId.get(keyId);
  if (!k) return reject('unknown_key', `org ${org} has no key ${keyId}`);
  if (k.revokedSeq !== undefined && k.revokedSeq <= seq) {
    return reject('revoked_key', `key ${keyId} of ${org} was revoked at seq ${k.revokedSeq}`);
  }
  return k;
}

/** Checks keys to add to `orgId` (`ring` when it exists); bad_key on the first problem.
 * The returned records have addedSeq −1 until applied. */
export function checkNewKeys(rules: KeyRules, orgId: string, keys: readonly string[], ring: KeyRing | undefined): Rejection | KeyRec[] {
  const out: KeyRec[] = [];
  const ids = new Map<string, string>(); // key id → key, within this event
  for (const key of keys) {
    const p = rules.parse(key);
    if (!p) return reject('bad_key', `malformed verifier key ${JSON.stringify(key)}`);
    if (p.name !== orgId) return reject('bad_key', `key ${key} is named for ${p.name}, not ${orgId}`);
    if (rules.isWeakKey(p.publicKey)) return reject('bad_key', `key ${key} is a weak Ed25519 public key`);
    const old = ring?.byKeyId.get(p.keyId);
    if (old) {
      if (old.key === key) {
        return old.revokedSeq === undefined
          ? reject('bad_key', `key ${key} is already a current key of ${orgId}`)
          : reject('bad_key', `key ${key} was revoked at seq ${old.revokedSeq} and is never added again`);
      }
      // Signatures name their key by id, so ids must stay unique within an org.
      return reject('bad_key', `key id ${p.keyId} of ${key} collides with ${old.key}`);
    }
    const dup = ids.get(p.keyId);
    if (dup !== undefined) {
      return reject('bad_key', dup === key ? `key ${key} is listed twice` : `key id ${p.keyId} of ${key} collides with ${dup}`);
    }
    ids.set(p.keyId, key);
    out.push({ key, keyId: p.keyId, publicKey: p.publicKey, addedSeq: -1 });
  }
  return out;
}

/** The current keys an org.keys revokes, in order; bad_key on the first problem. */
export function checkRevokes(ring: KeyRing, orgId: string, revoke: readonly string[]): Rejection | KeyRec[] {
  const out: KeyRec[] = [];
  for (const key of revoke) {
    const k = ring.keys.find((x) => x.key === key);
    if (!k || k.revokedSeq !== undefined) return reject('bad_key', `${orgId} has no current key ${key} to revoke`);
    if (out.includes(k)) return reject('bad_key', `key ${key} is revoked twice`);
    out.push(k);
  }
  return out;
}

/** What an org.register or org.keys does to an org's keys, once judged. */
export interface KeyChange {
  add: KeyRec[];
  revoke: KeyRec[];
}

/**
 * org.register's rules (DESIGN.md "Bodies", "The operator"), in "Posting" order after the
 * signature: 403 forbidden (only the operator registers; entry 0 registers the operator
 * itself, with role operator) → 422 already_exists → 422 bad_key (checkNewKeys; at least one
 * key). `operator` is undefined only while judging entry 0. The state machine
 * (kinds/org-register.ts) and the verifier (packages/verify keys.ts) both judge with this.
 */
export function judgeRegister(
  rules: KeyRules,
  a: { poster: string; org: string; roles: readonly string[]; keys: readonly string[]; operator: string | undefined; exists: boolean },
): Rejection | KeyChange {
  if (a.operator === undefined) {
    if (a.poster !== a.org || !a.roles.includes('operator')) return reject('forbidden', 'entry 0 must register the operator org, with role operator');
  } else if (a.poster !== a.operator) {
    return reject('forbidden', `only the operator (${a.operator}) registers organisations`);
  }
  if (a.exists) return reject('already_exists', `org ${a.org} is already registered`);
  const add = checkNewKeys(rules, a.org, a.keys, undefined);
  if (!Array.isArray(add)) return add;
  if (add.length === 0) return reject('bad_key', `org ${a.org} needs at least one key`);
  return { add, revoke: [] };
}

/**
 * org.keys' rules (DESIGN.md "Bodies", "Keys"): 422 unknown_org → 403 forbidden (the org
 * itself or the operator) → 422 bad_key (nothing to do; checkRevokes; checkNewKeys; the org
 * keeps at least one current key). Shared as judgeRegister is.
 */
export function judgeKeyChange(
  rules: KeyRules,
  a: { poster: string; org: string; ring: KeyRing | undefined; add: readonly string[]; revoke: readonly string[]; operator: string | undefined },
): Rejection | KeyChange {
  const ring = a.ring;
  if (!ring) return reject('unknown_org', `org ${a.org} is not registered`);
  if (a.poster !== a.org && a.poster !== a.operator) return reject('forbidden', `only ${a.org} or the operator changes the keys of ${a.org}`);
  if (a.add.length === 0 && a.revoke.length === 0) return reject('bad_key', 'org.keys adds and revokes nothing');
  const revoke = checkRevokes(ring, a.org, a.revoke);
  if (!Array.isArray(revoke)) return revoke;
  const add = checkNewKeys(rules, a.org, a.add, ring);
  if (!Array.isArray(add)) return add;
  if (currentKeyCount(ring) - revoke.length + add.length < 1) return reject('bad_key', `${a.org} must keep at least one key`);
  return { add, revoke };
}

/** Applies a judged change as the entry at `seq` (mutates the ring's records and map). */
export function applyKeyChange(ring: { keys: KeyRec[]; byKeyId: Map<string, KeyRec> }, change: KeyChange, seq: number): void {
  for (const r of change.revoke) ring.byKeyId.get(r.keyId)!.revokedSeq = seq;
  for (const k of change.add) {
    k.addedSeq = seq;
    ring.keys.push(k);
    ring.byKeyId.set(k.keyId, k);
  }
}

export function currentKeyCount(ring: KeyRing): number {
  let n = 0;
  for (const k of ring.keys) if (k.revokedSeq === undefined) n++;
  return n;
}
