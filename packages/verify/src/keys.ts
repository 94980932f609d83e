// Which keys could sign at which seq, from the bundle's own proven org.register and
// org.keys entries, exactly as the ledger's state machine decides it (LedgerState
// #checkSignature, DESIGN.md "Keys", "Bodies", "The operator"):
// - entry 0 is the operator's org.register, signed by a key it carries (named for the org);
// - afterwards an event of org O at seq s is signed by a key of O with the sig's key id,
//   added by an entry before s and not revoked by an entry before s. A key may sign its
//   own revocation: the org.keys at seq r that revokes it is checked before it applies.
// - org.register is posted by the operator; org.keys by the org itself or the operator.
// Key changes apply only from entries whose signature verified.
// The rules themselves are the ledger's (packages/ledger/src/state/keys.ts: bootstrapSigner,
// signerAt, judgeRegister, judgeKeyChange, applyKeyChange), so the verifier cannot decide a
// key question differently from the state machine that accepted the entry; a differential
// property (test/verify/keys-differential.test.ts) holds the two to each other. A rule the
// ledger refuses with a code is reported with the same code.
import { fromHex, hex, isWeakPublicKey, verifyStrict } from '@cotc/tlog';
import {
  applyKeyChange,
  bootstrapSigner,
  judgeKeyChange,
  judgeRegister,
  parseOrgKey,
  signerAt,
  verifyEventSignature,
  type Entry,
  type Envelope,
  type KeyRec,
  type KeyRules,
} from '@cotc/ledger';
import { splitSigFast } from './fast.ts';
import type { Problem } from './types.ts';

interface OrgRec {
  id: string;
  registeredSeq: number;
  roles: readonly string[];
  keys: KeyRec[];
  byKeyId: Map<string, KeyRec>;
}

export interface SignerInfo {
  org: string;
  key: string;
  installedBy?: 'operator';
}

/** The ledger's key rules with tlog's weak-key check, as the server and the auditor use. */
export const KEY_RULES: KeyRules = { isWeakKey: isWeakPublicKey, parse: parseOrgKey };

function parseKey(key: string): { name: string; id: Uint8Array; publicKey: Uint8Array } | null {
  const p = parseOrgKey(key);
  return p ? { name: p.name, id: fromHex(p.keyId), publicKey: p.publicKey } : null;
}

/**
 * Every key the entries could vouch for, by org and key id, whatever the order: the
 * candidates whose signatures are worth computing ahead, in parallel (the order-dependent
 * rule is still KeyHistory's). Normally one key per (org, key id).
 */
export function candidateKeys(entries: readonly Entry[]): Map<string, Map<string, Uint8Array[]>> {
  const out = new Map<string, Map<string, Uint8Array[]>>();
  for (const e of entries) learnCandidateKeys(out, e);
  return out;
}

/** Adds the keys `e` registers or adds (if any) to `into` (see candidateKeys). */
export function learnCandidateKeys(into: Map<string, Map<string, Uint8Array[]>>, e: Entry): void {
  const put = (org: string, key: string) => {
    const p = parseKey(key);
    if (!p || p.name !== org) return;
    let byId = into.get(org);
    if (!byId) into.set(org, (byId = new Map()));
    const id = hex(p.id);
    const l = byId.get(id) ?? [];
    if (!l.some((k) => hex(k) === hex(p.publicKey))) l.push(p.publicKey);
    byId.set(id, l);
  };
  if (e.event.type === 'org.register') for (const k of (e.event as Envelope<'org.register'>).body.keys) put((e.event as Envelope<'org.register'>).body.org, k);
  else if (e.event.type === 'org.keys') for (const k of (e.event as Envelope<'org.keys'>).body.add) put((e.event as Envelope<'org.keys'>).body.org, k);
}

export class KeyHistory {
  readonly #orgs = new Map<string, OrgRec>();
  /** Keys the operator added to another org (DESIGN.md "Bodies": org.keys "that org, or the operator"). */
  readonly #byOperator = new Set<KeyRec>();
  #operator: string | undefined;
  readonly #problems: Problem[];
  readonly #pre: ReadonlyMap<number, ReadonlyMap<string, boolean>> | undefined;

  /**
   * `pre`: signature answers already computed (sig.ts, in parallel), by entry seq and the
   * candidate key's hex public key; a signature not among them is verified here (noble).
   */
  constructor(problems: Problem[], pre?: ReadonlyMap<number, ReadonlyMap<string, boolean>>) {
    this.#problems = problems;
    this.#pre = pre;
  }

  get operator(): string | undefined {
    return this.#operator;
  }

  /** The roles of `org` by its proven org.register, or undefined when none is proven. */
  roles(org: string): readonly string[] | undefined {
    return this.#orgs.get(org)?.roles;
  }

  /** True when a proven org.register registers `org`. */
  registered(org: string): boolean {
    return this.#orgs.has(org);
  }

  #fail(code: Problem['code'], entry: Entry, message: string): null {
    this.#problems.push({ code, message, index: entry.seq, event: entry.event.id });
    return null;
  }

  /**
   * Checks the signature of `entry` (entries must come in increasing seq order, each
   * proven) and, when it verifies, applies its key changes. Returns the signer or null.
   */
  check(entry: Entry): SignerInfo | null {
    const ev = entry.event;
    const parts = splitSigFast(ev.sig);
    if (parts === null) return this.#fail('bad_event_signature', entry, `the sig of ${ev.id} is not base64 of a 4-byte key id and a 64-byte signature`);
    const keyId = hex(parts.keyId);
    let signer: { key: string; publicKey: Uint8Array; rec?: KeyRec } | undefined;
    if (entry.seq === 0) {
      // DESIGN.md "The operator": entry 0 is the operator's org.register, signed by a key it carries.
      if (ev.type === 'org.register' && ev.body.org === ev.org) signer = bootstrapSigner(KEY_RULES, ev.org, ev.body.keys, keyId);
      if (!signer) return this.#fail('unknown_key', entry, `entry 0 must be the operator's own org.register, signed by a key it registers (key id ${keyId})`);
    } else {
      const k = signerAt(this.#orgs.get(ev.org), ev.org, keyId, entry.seq);
      if ('ok' in k) {
        const code = k.code === 'revoked_key' ? 'revoked_key' : 'unknown_key';
        return this.#fail(code, entry, `${ev.id}: ${k.message} (by the proven entries before seq ${entry.seq})`);
      }
      signer = { key: k.key, publicKey: k.publicKey, rec: k };
    }
    const known = this.#pre?.get(entry.seq)?.get(hex(signer.publicKey));
    const valid = known ?? verifyEventSignature(ev, { id: parts.keyId, publicKey: signer.publicKey }, verifyStrict);
    if (!valid) {
      return this.#fail('bad_event_signature', entry, `the signature of ${ev.id} does not verify with key ${keyId} of ${ev.org}`);
    }
    this.#apply(entry);
    const info: SignerInfo = { org: ev.org, key: signer.key };
    if (signer.rec && this.#byOperator.has(signer.rec)) info.installedBy = 'operator';
    return info;
  }

  #apply(entry: Entry): void {
    const ev = entry.event;
    if (ev.type === 'org.register') this.#register(entry, ev as Envelope<'org.register'>);
    else if (ev.type === 'org.keys') this.#keys(entry, ev as Envelope<'org.keys'>);
  }

  /** A key rule the proven entry breaks: the ledger's own code (forbidden, already_exists, unknown_org, bad_key). */
  #refused(entry: Entry, r: { code: string; message: string }): void {
    const code = r.code === 'forbidden' || r.code === 'already_exists' || r.code === 'unknown_org' || r.code === 'bad_key' ? r.code : 'forbidden';
    this.#fail(code, entry, `${entry.event.id} (seq ${entry.seq}) breaks a key rule the ledger enforces: ${r.message}`);
  }

  #register(entry: Entry, ev: Envelope<'org.register'>): void {
    const b = ev.body;
    const change = judgeRegister(KEY_RULES, { poster: ev.org, org: b.org, roles: b.roles, keys: b.keys, operator: entry.seq === 0 ? undefined : (this.#operator ?? ''), exists: this.#orgs.has(b.org) });
    if ('ok' in change) return this.#refused(entry, change);
    const rec: OrgRec = { id: b.org, registeredSeq: entry.seq, roles: [...b.roles], keys: [], byKeyId: new Map() };
    applyKeyChange(rec, change, entry.seq);
    this.#orgs.set(b.org, rec);
    if (entry.seq === 0) this.#operator = b.org;
  }

  #keys(entry: Entry, ev: Envelope<'org.keys'>): void {
    const b = ev.body;
    const org = this.#orgs.get(b.org);
    const change = judgeKeyChange(KEY_RULES, { poster: ev.org, org: b.org, ring: org, add: b.add, revoke: b.revoke, operator: this.#operator });
    if ('ok' in change) return this.#refused(entry, change);
    applyKeyChange(org!, change, entry.seq);
    // A key the operator adds to another org is the operator's word, not the org's: the
    // operator may hold it and sign as that org (shown as such: NodeResult.signer.installedBy).
    if (ev.org === this.#operator && ev.org !== b.org) for (const k of change.add) this.#byOperator.add(k);
  }
}
