// Which keys could sign at which seq, from the bundle's own proven org.register and
// org.keys entries, exactly as the ledger's state machine decides it (LedgerState
// #checkSignature, DESIGN.md "Keys", "Bodies", "The operator"):
// - entry 0 is the operator's org.register, signed by a key it carries (named for the org);
// - afterwards an event of org O at seq s is signed by a key of O with the sig's key id,
//   added by an entry before s and not revoked by an entry before s. A key may sign its
//   own revocation: the org.keys at seq r that revokes it is checked before it applies.
// - org.register is posted by the operator; org.keys by the org itself or the operator.
// Key changes apply only from entries whose signature verified.
import { hex, parseVerifierKey, verifyStrict } from '@cotc/tlog';
import { verifyEventSignature, type Entry, type Envelope } from '@cotc/ledger';
import { splitSigFast } from './fast.ts';
import type { Problem } from './types.ts';

interface KeyRec {
  key: string;
  id: Uint8Array;
  publicKey: Uint8Array;
  addedSeq: number;
  revokedSeq?: number;
  /** Added by an org.keys the operator posted for another org (DESIGN.md "Bodies": org.keys "that org, or the operator"). */
  byOperator: boolean;
}

interface OrgRec {
  id: string;
  registeredSeq: number;
  roles: readonly string[];
  keys: KeyRec[];
  byId: Map<string, KeyRec>;
}

export interface SignerInfo {
  org: string;
  key: string;
  installedBy?: 'operator';
}

function parseKey(key: string): { name: string; id: Uint8Array; publicKey: Uint8Array } | null {
  try {
    return parseVerifierKey(key);
  } catch {
    return null;
  }
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
    let signer: { key: string; id: Uint8Array; publicKey: Uint8Array } | undefined;
    if (entry.seq === 0) {
      if (ev.type !== 'org.register' || ev.body.org !== ev.org || !ev.body.roles.includes('operator')) {
        return this.#fail('forbidden', entry, `entry 0 must be the operator's own org.register with role operator, not a ${ev.type} of ${ev.org}`);
      }
      for (const k of ev.body.keys) {
        const p = parseKey(k);
        if (p && p.name === ev.org && hex(p.id) === keyId) {
          signer = { key: k, id: p.id, publicKey: p.publicKey };
          break;
        }
      }
      if (!signer) return this.#fail('unknown_key', entry, `entry 0 is not signed by a key it registers (key id ${keyId})`);
    } else {
      const org = this.#orgs.get(ev.org);
      if (!org) return this.#fail('unknown_key', entry, `${ev.id} is signed for ${ev.org}, which no proven org.register before seq ${entry.seq} registers`);
      const k = org.byId.get(keyId);
      if (!k) return this.#fail('unknown_key', entry, `${ev.id} is signed with key ${keyId}, which no proven entry before seq ${entry.seq} gave ${ev.org}`);
      if (k.revokedSeq !== undefined && k.revokedSeq <= entry.seq) {
        return this.#fail('revoked_key', entry, `${ev.id} is signed with key ${keyId} of ${ev.org}, revoked at seq ${k.revokedSeq}`);
      }
      signer = k;
    }
    const known = this.#pre?.get(entry.seq)?.get(hex(signer.publicKey));
    const valid = known ?? verifyEventSignature(ev, { id: signer.id, publicKey: signer.publicKey }, verifyStrict);
    if (!valid) {
      return this.#fail('bad_event_signature', entry, `the signature of ${ev.id} does not verify with key ${keyId} of ${ev.org}`);
    }
    this.#apply(entry);
    const info: SignerInfo = { org: ev.org, key: signer.key };
    if ((signer as Partial<KeyRec>).byOperator === true) info.installedBy = 'operator';
    return info;
  }

  #apply(entry: Entry): void {
    const ev = entry.event;
    if (ev.type === 'org.register') this.#register(entry, ev as Envelope<'org.register'>);
    else if (ev.type === 'org.keys') this.#keys(entry, ev as Envelope<'org.keys'>);
  }

  #newKeys(entry: Entry, orgId: string, keys: readonly string[], org: OrgRec | undefined, byOperator = false): KeyRec[] | null {
    const out: KeyRec[] = [];
    const seen = new Set<string>();
    for (const key of keys) {
      const p = parseKey(key);
      if (!p) return this.#fail('forbidden', entry, `${entry.event.id} adds a malformed or weak key to ${orgId}`);
      if (p.name !== orgId) return this.#fail('forbidden', entry, `${entry.event.id} adds a key named for ${p.name} to ${orgId}`);
      const id = hex(p.id);
      if (seen.has(id) || org?.byId.has(id)) return this.#fail('forbidden', entry, `${entry.event.id} adds key id ${id} to ${orgId}, which it already has (or had)`);
      seen.add(id);
      out.push({ key, id: p.id, publicKey: p.publicKey, addedSeq: entry.seq, byOperator });
    }
    return out;
  }

  #register(entry: Entry, ev: Envelope<'org.register'>): void {
    const b = ev.body;
    if (entry.seq !== 0 && ev.org !== this.#operator) {
      this.#fail('forbidden', entry, `${ev.id} registers ${b.org} but is posted by ${ev.org}, not the operator ${this.#operator ?? '(unknown: entry 0 is not proven)'}`);
      return;
    }
    if (this.#orgs.has(b.org)) {
      this.#fail('forbidden', entry, `${ev.id} registers ${b.org} again`);
      return;
    }
    const keys = this.#newKeys(entry, b.org, b.keys, undefined);
    if (keys === null) return;
    const rec: OrgRec = { id: b.org, registeredSeq: entry.seq, roles: [...b.roles], keys, byId: new Map(keys.map((k) => [hex(k.id), k])) };
    this.#orgs.set(b.org, rec);
    if (entry.seq === 0) this.#operator = b.org;
  }

  #keys(entry: Entry, ev: Envelope<'org.keys'>): void {
    const b = ev.body;
    const org = this.#orgs.get(b.org);
    if (!org) {
      this.#fail('forbidden', entry, `${ev.id} changes the keys of ${b.org}, which no proven org.register registers before it`);
      return;
    }
    if (ev.org !== b.org && ev.org !== this.#operator) {
      this.#fail('forbidden', entry, `${ev.id} changes the keys of ${b.org} but is posted by ${ev.org}`);
      return;
    }
    const revoke: KeyRec[] = [];
    for (const key of b.revoke) {
      const k = org.keys.find((x) => x.key === key);
      if (!k || k.revokedSeq !== undefined || revoke.includes(k)) {
        this.#fail('forbidden', entry, `${ev.id} revokes a key ${b.org} does not currently have`);
        return;
      }
      revoke.push(k);
    }
    // A key the operator adds to another org is the operator's word, not the org's: the
    // operator may hold it and sign as that org (shown as such: NodeResult.signer.installedBy).
    const add = this.#newKeys(entry, b.org, b.add, org, ev.org === this.#operator && ev.org !== b.org);
    if (add === null) return;
    for (const k of revoke) k.revokedSeq = entry.seq;
    for (const k of add) {
      org.keys.push(k);
      org.byId.set(hex(k.id), k);
    }
  }
}
