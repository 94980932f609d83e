// The ledger state machine of DESIGN.md: "The events" (rules table), "Wire formats (version
// 1)" — "Keys", "Bodies" (who may post, key changes), "The operator", "FIFO", "Entries"
// (effects) — and "Posting" (the check order and codes after 400 `schema`).
//
// Pure and deterministic: the server and every auditor run this same code over the same
// events and must reach the same state and the very same `effects`. Browser-safe: no Node
// built-ins. Money is bigint inside, decimal strings outside. Bad input from a poster is a
// Rejection (returned); a state that cannot arise from valid use is an Error (thrown).

import { sha256 } from '@noble/hashes/sha2.js';
import { reject, type Rejection } from './errors.ts';
import type { Effect, Envelope, Role } from './types.ts';

/** 2^63 − 1: the largest amount and the largest balance (DESIGN.md "Bodies"). */
export const MAX_VALUE = (1n << 63n) - 1n;

// ---------------------------------------------------------------------------------------
// Public types

/** A signed-note verifier key, parsed: `name+hexid+base64(0x01||pub)`. */
export interface ParsedVerifierKey {
  name: string;
  keyId: string; // 8 lowercase hex digits
  publicKey: Uint8Array; // 32 bytes
}

export interface LedgerStateOptions {
  /** Refuses small-order / non-canonical Ed25519 points (DESIGN.md "Keys"). Default: only
   * checks the length is 32; the server and auditor wire tlog's isWeakPublicKey. */
  isWeakKey?: (publicKey: Uint8Array) => boolean;
  /** Strict verifier key parser; returns null when malformed or when the key id does not
   * match. Default: parseVerifierKey below. */
  parseVerifierKey?: (key: string) => ParsedVerifierKey | null;
}

export interface JudgeContext {
  /** The seq the event would get; must be `state.size`. */
  seq: number;
  /** Lowercase hex hash of the event's canonical bytes, `sig` included. */
  contentHash: string;
  /** The caller's Ed25519 check of `event.sig` over the canonical unsigned envelope. */
  verify: (publicKey: Uint8Array, keyString: string) => boolean;
}

export interface Accepted {
  ok: true;
  effects: Effect[];
  /** The donations whose trace this entry belongs to (the server indexes seq under each). */
  donations: string[];
}
export interface Duplicate {
  ok: true;
  duplicate: { seq: number };
}
export type Judgement = Accepted | Duplicate | Rejection;

export interface OrgKeyInfo {
  key: string;
  addedSeq: number;
  revokedSeq?: number;
}
export interface OrgInfo {
  id: string;
  name: string;
  roles: Role[];
  registeredSeq: number;
  keys: OrgKeyInfo[];
}
export interface KeyAtInfo extends OrgKeyInfo {
  keyId: string;
  publicKey: Uint8Array;
}
export interface FundInfo {
  id: string;
  owner: string;
  name: string;
  currency: string;
  restricted: boolean;
  purpose: string;
  balance: string;
  lots: number;
  openedSeq: number;
}
export interface LotInfo {
  donation: string;
  via: string;
  value: string;
}

/** What later events need to know about an accepted event (the event index). */
interface FactsBase {
  id: string;
  seq: number;
  org: string;
  hash: string;
}
export type EventFacts = FactsBase &
  (
    | { type: 'org.register' | 'org.keys'; subject: string } // the org registered or changed
    | { type: 'fund.open'; subject: string } // the fund opened
    | { type: 'donation'; fund: string; value: string; reversedBy?: string }
    | { type: 'transfer'; from: string; to: string; value: string; reversedBy?: string }
    | {
        type: 'disbursement';
        fund: string;
        payee: string;
        value: string;
        /** The lots it took, exactly its effects. */
        taken: Effect[];
        reversedBy?: string;
      }
    | { type: 'confirmation'; disbursement: string }
    | { type: 'reversal'; target: string; targetType: 'donation' | 'transfer' | 'disbursement' }
  );

// ---------------------------------------------------------------------------------------
// Small browser-safe helpers (kept local so this file depends on nothing in progress)

function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
function hexToBytes(h: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(h)) throw new Error(`ledger state: bad hex ${JSON.stringify(h)}`);
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}
function b64encode(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}
/** Standard base64, canonical only (atob is forgiving about padding and whitespace; a
 * re-encoding must give back the very same text, so one key has one string). */
function b64decode(s: string): Uint8Array | null {
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    return null;
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return b64encode(out) === s ? out : null;
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

/** An amount value as bigint, or null when it is not 1..2^63−1 in canonical digits. */
function parseValue(v: string): bigint | null {
  if (typeof v !== 'string' || !/^[1-9][0-9]{0,18}$/.test(v)) return null;
  const n = BigInt(v);
  return n > MAX_VALUE ? null : n;
}

/** The distinct donations named by effects, in order of first appearance. */
function donationsOf(effects: readonly Effect[]): string[] {
  const seen = new Set<string>();
  for (const e of effects) seen.add(e.donation);
  return [...seen];
}

// ---------------------------------------------------------------------------------------
// Internal records

interface KeyRec {
  key: string;
  keyId: string;
  publicKey: Uint8Array;
  addedSeq: number;
  revokedSeq?: number;
}
interface OrgRec {
  id: string;
  name: string;
  roles: Role[];
  registeredSeq: number;
  keys: KeyRec[]; // in order added; revoked ones stay (their ids stay taken)
  byKeyId: Map<string, KeyRec>;
}
/** One lot: an amount of one donation that arrived in `fund` by the hop `via`. The object
 * is the lot's identity: a split lowers `value` in place; removal deletes it from the
 * fund's position map and from the via index. */
interface Lot {
  fund: string;
  pos: number;
  donation: string;
  via: string;
  value: bigint;
}
/** A fund's queue is a map position → lot over [head, tail). Appends take tail++, lots
 * returned to the front take --head, so no lot ever moves and persistence rewrites only
 * the lots an event touches. Gaps (lots removed from the middle by a refund or a transfer
 * reversal) are skipped, each at most once by the head. */
interface FundRec {
  id: string;
  owner: string;
  name: string;
  currency: string;
  restricted: boolean;
  purpose: string;
  openedSeq: number;
  balance: bigint;
  head: number;
  tail: number;
  count: number;
  lots: Map<number, Lot>;
}

interface Plan {
  ok: true;
  effects: Effect[];
  donations: string[];
  facts: EventFacts;
  commit: () => void;
}
type Evaluation = Plan | Duplicate | Rejection;

interface Take {
  lot: Lot;
  take: bigint;
}

// ---------------------------------------------------------------------------------------

export class LedgerState {
  readonly #isWeakKey: (publicKey: Uint8Array) => boolean;
  readonly #parse: (key: string) => ParsedVerifierKey | null;

  #size = 0;
  #operator: string | undefined;
  readonly #orgs = new Map<string, OrgRec>();
  readonly #funds = new Map<string, FundRec>();
  readonly #events = new Map<string, EventFacts>();
  /** via event id → its lots still in a fund (refunds and transfer reversals find their lots
   * here instead of scanning queues). A donation's lots and a transfer's lots each live in
   * one fund only: a lot's via changes whenever it moves. */
  readonly #byVia = new Map<string, Set<Lot>>();
  /** disbursement id → the orgs that confirmed it, in order: at most one confirmation per
   * org per disbursement (issue 9: a payee posting thousands of confirmations of one
   * payment swelled every trace through it). Small: only the payee and auditor orgs can
   * confirm at all. */
  readonly #confirmedBy = new Map<string, string[]>();

  // Records touched since the last takeChanges().
  #dirtyMeta = false;
  readonly #dirtyOrgs = new Set<string>();
  readonly #dirtyFunds = new Set<string>();
  readonly #dirtyLots = new Map<string, { fund: string; pos: number }>();
  readonly #dirtyEvents = new Set<string>();
  readonly #dirtyReversed = new Set<string>();
  readonly #dirtyConfirmed = new Set<string>();

  constructor(opts: LedgerStateOptions = {}) {
    this.#isWeakKey = opts.isWeakKey ?? ((pub) => pub.length !== 32);
    this.#parse = opts.parseVerifierKey ?? parseVerifierKey;
  }

  /** The next seq: the number of entries applied. */
  get size(): number {
    return this.#size;
  }
  /** The operator org (registered by entry 0), once there is one. */
  get operator(): string | undefined {
    return this.#operator;
  }

  /** Judges `event` as the entry at ctx.seq without changing anything. */
  judge(event: Envelope, ctx: JudgeContext): Judgement {
    const r = this.#evaluate(event, ctx);
    if (!r.ok || 'duplicate' in r) return r;
    return { ok: true, effects: r.effects, donations: r.donations };
  }

  /** Judges `event` and, when accepted (and not a duplicate), applies it as entry ctx.seq. */
  apply(event: Envelope, ctx: JudgeContext): Judgement {
    const r = this.#evaluate(event, ctx);
    if (!r.ok || 'duplicate' in r) return r;
    r.commit();
    this.#events.set(r.facts.id, r.facts);
    this.#dirtyEvents.add(r.facts.id);
    this.#size++;
    this.#dirtyMeta = true;
    return { ok: true, effects: r.effects, donations: r.donations };
  }

  // -------------------------------------------------------------------------------------
  // Reads (copies: callers cannot reach the state through them)

  org(id: string): OrgInfo | undefined {
    const o = this.#orgs.get(id);
    if (!o) return undefined;
    return {
      id: o.id,
      name: o.name,
      roles: [...o.roles],
      registeredSeq: o.registeredSeq,
      keys: o.keys.map((k) => keyInfo(k)),
    };
  }

  fund(id: string): FundInfo | undefined {
    const f = this.#funds.get(id);
    if (!f) return undefined;
    return {
      id: f.id,
      owner: f.owner,
      name: f.name,
      currency: f.currency,
      restricted: f.restricted,
      purpose: f.purpose,
      balance: f.balance.toString(),
      lots: f.count,
      openedSeq: f.openedSeq,
    };
  }

  /** A fund's lots in queue order (front first). O(lots). */
  lots(fundId: string): LotInfo[] | undefined {
    const f = this.#funds.get(fundId);
    if (!f) return undefined;
    const out: LotInfo[] = [];
    for (let p = f.head; p < f.tail; p++) {
      const l = f.lots.get(p);
      if (l) out.push({ donation: l.donation, via: l.via, value: l.value.toString() });
    }
    return out;
  }

  /** The orgs that confirmed a disbursement, in the order they did (empty when none). */
  confirmedBy(disbursement: string): string[] {
    return [...(this.#confirmedBy.get(disbursement) ?? [])];
  }

  event(id: string): EventFacts | undefined {
    const e = this.#events.get(id);
    return e ? structuredClone(e) : undefined;
  }

  /** The key of `org` with this key id if it could sign the entry at `seq`: added before
   * seq (or at seq 0, the operator's bootstrap) and not revoked before seq (a key signs its
   * own revocation, so at the revocation's own seq it is still good). */
  keyAt(org: string, keyIdHex: string, seq: number): KeyAtInfo | undefined {
    const k = this.#orgs.get(org)?.byKeyId.get(keyIdHex);
    if (!k) return undefined;
    const added = k.addedSeq < seq || (k.addedSeq === 0 && seq === 0);
    const live = k.revokedSeq === undefined || seq <= k.revokedSeq;
    if (!added || !live) return undefined;
    return { ...keyInfo(k), keyId: k.keyId, publicKey: k.publicKey.slice() };
  }

  // -------------------------------------------------------------------------------------
  // Judging, in DESIGN.md "Posting" order (schema already checked by the caller)

  #evaluate(event: Envelope, ctx: JudgeContext): Evaluation {
    if (ctx.seq !== this.#size) {
      throw new Error(`ledger state: event judged at seq ${ctx.seq} but the next seq is ${this.#size}`);
    }
    // 1. The identical event posted before: idempotent success.
    const prior = this.#events.get(event.id);
    if (prior && prior.hash === ctx.contentHash) return { ok: true, duplicate: { seq: prior.seq } };
    // 2. 401: key and signature.
    const sigErr = this.#checkSignature(event, ctx);
    if (sigErr) return sigErr;
    // 3. 409: the id is used by a different event.
    if (prior) return reject('duplicate_id', `event id ${event.id} is already used (seq ${prior.seq}) by a different event`);
    // 4.–6. per type: 422 unknown_* → 403 forbidden → 422 the rest.
    const seq = ctx.seq;
    switch (event.type) {
      case 'org.register':
        return this.#orgRegister(event as Envelope<'org.register'>, seq, ctx.contentHash);
      case 'org.keys':
        return this.#orgKeys(event as Envelope<'org.keys'>, seq, ctx.contentHash);
      case 'fund.open':
        return this.#fundOpen(event as Envelope<'fund.open'>, seq, ctx.contentHash);
      case 'donation':
        return this.#donation(event as Envelope<'donation'>, seq, ctx.contentHash);
      case 'transfer':
        return this.#transfer(event as Envelope<'transfer'>, seq, ctx.contentHash);
      case 'disbursement':
        return this.#disbursement(event as Envelope<'disbursement'>, seq, ctx.contentHash);
      case 'confirmation':
        return this.#confirmation(event as Envelope<'confirmation'>, seq, ctx.contentHash);
      case 'reversal':
        return this.#reversal(event as Envelope<'reversal'>, seq, ctx.contentHash);
      default:
        // Only reachable when the caller skipped schema validation: still bad input.
        return reject('schema', `unknown event type ${JSON.stringify((event as { type: unknown }).type)}`);
    }
  }

  #checkSignature(event: Envelope, ctx: JudgeContext): Rejection | undefined {
    const raw = typeof event.sig === 'string' ? b64decode(event.sig) : null;
    if (raw === null || raw.length !== 68) {
      return reject('bad_signature', 'sig must be canonical base64 of a 4-byte key id and a 64-byte Ed25519 signature');
    }
    const keyId = bytesToHex(raw.subarray(0, 4));
    let signer: { key: string; publicKey: Uint8Array } | undefined;
    if (this.#operator === undefined) {
      if (this.#size !== 0) throw new Error('ledger state: no operator after entry 0');
      // Bootstrap (DESIGN.md "The operator"): entry 0 registers the operator org, signed by
      // a key it carries; those keys vouch for it. Nothing else can be signed yet.
      if (event.type === 'org.register' && event.body.org === event.org) {
        for (const k of event.body.keys) {
          const p = this.#parse(k);
          if (p && p.name === event.org && p.keyId === keyId) {
            signer = { key: k, publicKey: p.publicKey };
            break;
          }
        }
      }
      if (!signer) {
        return reject('unknown_key', `no key ${keyId} for ${event.org}: entry 0 must be the operator's org.register, signed by a key it carries`);
      }
    } else {
      const org = this.#orgs.get(event.org);
      if (!org) return reject('unknown_key', `org ${event.org} is not registered`);
      const k = org.byKeyId.get(keyId);
      if (!k) return reject('unknown_key', `org ${event.org} has no key ${keyId}`);
      if (k.revokedSeq !== undefined && k.revokedSeq <= ctx.seq) {
        return reject('revoked_key', `key ${keyId} of ${event.org} was revoked at seq ${k.revokedSeq}`);
      }
      signer = k;
    }
    if (!ctx.verify(signer.publicKey, signer.key)) {
      return reject('bad_signature', `signature does not verify with key ${keyId} of ${event.org}`);
    }
    return undefined;
  }

  /** Checks keys to add to `orgId` (`org` when it exists); bad_key on the first problem. */
  #checkNewKeys(orgId: string, keys: readonly string[], org: OrgRec | undefined): Rejection | KeyRec[] {
    const out: KeyRec[] = [];
    const ids = new Map<string, string>(); // key id → key, within this event
    for (const key of keys) {
      const p = this.#parse(key);
      if (!p) return reject('bad_key', `malformed verifier key ${JSON.stringify(key)}`);
      if (p.name !== orgId) return reject('bad_key', `key ${key} is named for ${p.name}, not ${orgId}`);
      if (this.#isWeakKey(p.publicKey)) return reject('bad_key', `key ${key} is a weak Ed25519 public key`);
      const old = org?.byKeyId.get(p.keyId);
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

  #orgRegister(ev: Envelope<'org.register'>, seq: number, hash: string): Evaluation {
    const b = ev.body;
    const boot = this.#operator === undefined;
    if (boot) {
      // Entry 0's signer was found among its own keys, so ev.org === b.org here.
      if (!b.roles.includes('operator')) return reject('forbidden', 'entry 0 must register the operator org, with role operator');
    } else if (ev.org !== this.#operator) {
      return reject('forbidden', `only the operator (${this.#operator}) registers organisations`);
    }
    if (this.#orgs.has(b.org)) return reject('already_exists', `org ${b.org} is already registered`);
    const keys = this.#checkNewKeys(b.org, b.keys, undefined);
    if (!Array.isArray(keys)) return keys;
    if (keys.length === 0) return reject('bad_key', `org ${b.org} needs at least one key`);
    const facts: EventFacts = { id: ev.id, seq, org: ev.org, hash, type: 'org.register', subject: b.org };
    return this.#plan([], [], facts, () => {
      const rec: OrgRec = { id: b.org, name: b.name, roles: [...b.roles], registeredSeq: seq, keys: [], byKeyId: new Map() };
      for (const k of keys) {
        k.addedSeq = seq;
        rec.keys.push(k);
        rec.byKeyId.set(k.keyId, k);
      }
      this.#orgs.set(b.org, rec);
      this.#dirtyOrgs.add(b.org);
      if (boot) this.#operator = b.org;
    });
  }

  #orgKeys(ev: Envelope<'org.keys'>, seq: number, hash: string): Evaluation {
    const b = ev.body;
    const org = this.#orgs.get(b.org);
    if (!org) return reject('unknown_org', `org ${b.org} is not registered`);
    if (ev.org !== b.org && ev.org !== this.#operator) {
      return reject('forbidden', `only ${b.org} or the operator changes the keys of ${b.org}`);
    }
    if (b.add.length === 0 && b.revoke.length === 0) return reject('bad_key', 'org.keys adds and revokes nothing');
    const revoke: KeyRec[] = [];
    for (const key of b.revoke) {
      const k = org.keys.find((x) => x.key === key);
      if (!k || k.revokedSeq !== undefined) return reject('bad_key', `${b.org} has no current key ${key} to revoke`);
      if (revoke.includes(k)) return reject('bad_key', `key ${key} is revoked twice`);
      revoke.push(k);
    }
    const add = this.#checkNewKeys(b.org, b.add, org);
    if (!Array.isArray(add)) return add;
    const current = org.keys.filter((k) => k.revokedSeq === undefined).length;
    if (current - revoke.length + add.length < 1) return reject('bad_key', `${b.org} must keep at least one key`);
    const facts: EventFacts = { id: ev.id, seq, org: ev.org, hash, type: 'org.keys', subject: b.org };
    return this.#plan([], [], facts, () => {
      for (const k of revoke) k.revokedSeq = seq;
      for (const k of add) {
        k.addedSeq = seq;
        org.keys.push(k);
        org.byKeyId.set(k.keyId, k);
      }
      this.#dirtyOrgs.add(b.org);
    });
  }

  #fundOpen(ev: Envelope<'fund.open'>, seq: number, hash: string): Evaluation {
    const b = ev.body;
    if (this.#funds.has(b.fund)) return reject('already_exists', `fund ${b.fund} already exists`);
    const facts: EventFacts = { id: ev.id, seq, org: ev.org, hash, type: 'fund.open', subject: b.fund };
    return this.#plan([], [], facts, () => {
      this.#funds.set(b.fund, {
        id: b.fund,
        owner: ev.org,
        name: b.name,
        currency: b.currency,
        restricted: b.restricted,
        purpose: b.purpose,
        openedSeq: seq,
        balance: 0n,
        head: 0,
        tail: 0,
        count: 0,
        lots: new Map(),
      });
      this.#dirtyFunds.add(b.fund);
    });
  }

  #donation(ev: Envelope<'donation'>, seq: number, hash: string): Evaluation {
    const b = ev.body;
    const f = this.#funds.get(b.fund);
    if (!f) return reject('unknown_fund', `fund ${b.fund} does not exist`);
    if (f.owner !== ev.org) return reject('forbidden', `only ${f.owner} records donations to ${f.id}`);
    if (b.amount.currency !== f.currency) {
      return reject('currency_mismatch', `fund ${f.id} holds ${f.currency}, not ${b.amount.currency}`);
    }
    const value = parseValue(b.amount.value);
    if (value === null) return reject('bad_amount', `amount ${b.amount.value} is not an integer in 1..2^63-1`);
    if (f.balance + value > MAX_VALUE) return reject('bad_amount', `the balance of ${f.id} would exceed 2^63-1`);
    const facts: EventFacts = { id: ev.id, seq, org: ev.org, hash, type: 'donation', fund: f.id, value: value.toString() };
    return this.#plan([], [ev.id], facts, () => {
      this.#append(f, ev.id, ev.id, value);
    });
  }

  #transfer(ev: Envelope<'transfer'>, seq: number, hash: string): Evaluation {
    const b = ev.body;
    const from = this.#funds.get(b.from);
    if (!from) return reject('unknown_fund', `fund ${b.from} does not exist`);
    const to = this.#funds.get(b.to);
    if (!to) return reject('unknown_fund', `fund ${b.to} does not exist`);
    if (from.owner !== ev.org) return reject('forbidden', `only ${from.owner} moves money out of ${from.id}`);
    if (b.amount.currency !== from.currency) {
      return reject('currency_mismatch', `fund ${from.id} holds ${from.currency}, not ${b.amount.currency}`);
    }
    if (to.currency !== from.currency) {
      return reject('currency_mismatch', `fund ${from.id} holds ${from.currency} but ${to.id} holds ${to.currency}`);
    }
    if (from === to) return reject('same_fund', `a transfer's from and to must differ (${from.id})`);
    // A restricted fund's money leaves only by disbursement (for its purpose) or to another
    // restricted fund (issue 9; README "Wire formats", "Restricted funds"): never into a fund
    // free of the restriction. Refunds and reversals return money where it came from.
    if (from.restricted && !to.restricted) {
      return reject('restricted_fund', `fund ${from.id} is restricted to its purpose: its money goes only to disbursements or to restricted funds, not to unrestricted ${to.id}`);
    }
    const value = parseValue(b.amount.value);
    if (value === null) return reject('bad_amount', `amount ${b.amount.value} is not an integer in 1..2^63-1`);
    if (to.balance + value > MAX_VALUE) return reject('bad_amount', `the balance of ${to.id} would exceed 2^63-1`);
    if (value > from.balance) return reject('overdraft', `fund ${from.id} holds ${from.balance}, less than ${value}`);
    const takes = this.#planTake(from, value);
    const effects = takesToEffects(takes);
    const facts: EventFacts = { id: ev.id, seq, org: ev.org, hash, type: 'transfer', from: from.id, to: to.id, value: value.toString() };
    return this.#plan(effects, donationsOf(effects), facts, () => {
      this.#commitTake(from, takes);
      // One lot in per lot out, same order, each now via this transfer: never merged.
      for (const t of takes) this.#append(to, t.lot.donation, ev.id, t.take);
    });
  }

  #disbursement(ev: Envelope<'disbursement'>, seq: number, hash: string): Evaluation {
    const b = ev.body;
    const f = this.#funds.get(b.fund);
    if (!f) return reject('unknown_fund', `fund ${b.fund} does not exist`);
    if (f.owner !== ev.org) return reject('forbidden', `only ${f.owner} disburses from ${f.id}`);
    if (b.amount.currency !== f.currency) {
      return reject('currency_mismatch', `fund ${f.id} holds ${f.currency}, not ${b.amount.currency}`);
    }
    const value = parseValue(b.amount.value);
    if (value === null) return reject('bad_amount', `amount ${b.amount.value} is not an integer in 1..2^63-1`);
    if (value > f.balance) return reject('overdraft', `fund ${f.id} holds ${f.balance}, less than ${value}`);
    const takes = this.#planTake(f, value);
    const effects = takesToEffects(takes);
    const facts: EventFacts = {
      id: ev.id,
      seq,
      org: ev.org,
      hash,
      type: 'disbursement',
      fund: f.id,
      payee: b.payee,
      value: value.toString(),
      taken: effects.map((e) => ({ ...e })),
    };
    return this.#plan(effects, donationsOf(effects), facts, () => {
      this.#commitTake(f, takes);
    });
  }

  #confirmation(ev: Envelope<'confirmation'>, seq: number, hash: string): Evaluation {
    const b = ev.body;
    const d = this.#events.get(b.disbursement);
    if (!d || d.type !== 'disbursement') return reject('unknown_disbursement', `no disbursement ${b.disbursement}`);
    const poster = this.#orgs.get(ev.org);
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
    const by = this.#confirmedBy.get(d.id);
    if (by?.includes(ev.org)) {
      return reject('already_exists', `${ev.org} has already confirmed disbursement ${d.id}: one confirmation per org per disbursement`);
    }
    // A reversed disbursement can still be confirmed (DESIGN.md "Bodies").
    const facts: EventFacts = { id: ev.id, seq, org: ev.org, hash, type: 'confirmation', disbursement: d.id };
    return this.#plan([], donationsOf(d.taken), facts, () => {
      if (by) by.push(ev.org);
      else this.#confirmedBy.set(d.id, [ev.org]);
      this.#dirtyConfirmed.add(d.id);
    });
  }

  #reversal(ev: Envelope<'reversal'>, seq: number, hash: string): Evaluation {
    const b = ev.body;
    const t = this.#events.get(b.event);
    if (!t) return reject('unknown_event', `no event ${b.event}`);
    if (ev.org !== t.org && ev.org !== this.#operator) {
      return reject('forbidden', `only ${t.org} or the operator reverses ${t.id}`);
    }
    if (t.type !== 'donation' && t.type !== 'transfer' && t.type !== 'disbursement') {
      return reject('not_reversible', `a ${t.type} cannot be reversed`);
    }
    if (t.reversedBy !== undefined) return reject('not_reversible', `${t.id} was already reversed by ${t.reversedBy}`);
    const mark = () => {
      t.reversedBy = ev.id;
      this.#dirtyReversed.add(t.id);
    };
    const facts = (): EventFacts => ({ id: ev.id, seq, org: ev.org, hash, type: 'reversal', target: t.id, targetType: t.type });

    if (t.type === 'donation') {
      // Refund: the donation's own lot (via = the donation), wherever it is, still whole.
      const lot = this.#onlyLot(t.id);
      const value = BigInt(t.value);
      if (!lot || lot.value !== value) {
        return reject('not_reversible', `donation ${t.id} has moved on: its lot no longer holds the whole ${t.value}`);
      }
      const effects: Effect[] = [{ donation: t.id, via: t.id, value: t.value }];
      return this.#plan(effects, [t.id], facts(), () => {
        this.#removeLot(lot);
        mark();
      });
    }

    if (t.type === 'transfer') {
      // The lots this transfer brought into its destination, all still there and whole.
      const lots = [...(this.#byVia.get(t.id) ?? [])].sort((x, y) => x.pos - y.pos);
      let sum = 0n;
      for (const l of lots) {
        if (l.fund !== t.to) throw new Error(`ledger state: lot via ${t.id} found in ${l.fund}, not ${t.to}`);
        sum += l.value;
      }
      const value = BigInt(t.value);
      if (sum !== value) {
        return reject('not_reversible', `transfer ${t.id} has moved on: ${sum} of its ${t.value} remain in ${t.to}`);
      }
      const src = this.#mustFund(t.from);
      if (src.balance + value > MAX_VALUE) return reject('bad_amount', `the balance of ${src.id} would exceed 2^63-1`);
      const effects: Effect[] = lots.map((l) => ({ donation: l.donation, via: t.id, value: l.value.toString() }));
      return this.#plan(effects, donationsOf(effects), facts(), () => {
        const items = lots.map((l) => ({ donation: l.donation, value: l.value }));
        for (const l of lots) this.#removeLot(l);
        this.#prepend(src, items, ev.id);
        mark();
      });
    }

    // Disbursement: the lots it took go back to the front of its fund, in original order.
    const src = this.#mustFund(t.fund);
    const value = BigInt(t.value);
    if (src.balance + value > MAX_VALUE) return reject('bad_amount', `the balance of ${src.id} would exceed 2^63-1`);
    const effects: Effect[] = t.taken.map((e) => ({ donation: e.donation, via: t.id, value: e.value }));
    return this.#plan(effects, donationsOf(effects), facts(), () => {
      this.#prepend(
        src,
        t.taken.map((e) => ({ donation: e.donation, value: BigInt(e.value) })),
        ev.id,
      );
      mark();
    });
  }

  #plan(effects: Effect[], donations: string[], facts: EventFacts, commit: () => void): Plan {
    return { ok: true, effects, donations, facts, commit };
  }

  // -------------------------------------------------------------------------------------
  // FIFO queue operations (DESIGN.md "FIFO")

  #mustFund(id: string): FundRec {
    const f = this.#funds.get(id);
    if (!f) throw new Error(`ledger state: fund ${id} named by the event index does not exist`);
    return f;
  }

  #onlyLot(via: string): Lot | undefined {
    const s = this.#byVia.get(via);
    if (!s || s.size === 0) return undefined;
    if (s.size > 1) throw new Error(`ledger state: donation ${via} has ${s.size} lots via itself`);
    return s.values().next().value;
  }

  /** The lots `value` takes from the front of `f`, the last one possibly split. Reads only.
   * Costs the lots taken plus the gaps between them. */
  #planTake(f: FundRec, value: bigint): Take[] {
    const out: Take[] = [];
    let need = value;
    let pos = f.head;
    while (need > 0n) {
      if (pos >= f.tail) throw new Error(`ledger state: fund ${f.id} balance ${f.balance} exceeds its lots`);
      const lot = f.lots.get(pos++);
      if (!lot) continue;
      const take = lot.value < need ? lot.value : need;
      out.push({ lot, take });
      need -= take;
    }
    return out;
  }

  #commitTake(f: FundRec, takes: readonly Take[]): void {
    for (const { lot, take } of takes) {
      if (take === lot.value) {
        this.#removeLot(lot);
      } else {
        lot.value -= take;
        f.balance -= take;
        this.#touchLot(lot);
        this.#dirtyFunds.add(f.id);
      }
    }
  }

  #append(f: FundRec, donation: string, via: string, value: bigint): void {
    this.#insert(f, { fund: f.id, pos: f.tail++, donation, via, value });
  }

  /** Puts lots at the front of `f` in the given order (items[0] ends up first). */
  #prepend(f: FundRec, items: ReadonlyArray<{ donation: string; value: bigint }>, via: string): void {
    for (let i = items.length - 1; i >= 0; i--) {
      const it = items[i]!;
      this.#insert(f, { fund: f.id, pos: --f.head, donation: it.donation, via, value: it.value });
    }
  }

  #insert(f: FundRec, lot: Lot): void {
    if (f.lots.has(lot.pos)) throw new Error(`ledger state: position ${lot.pos} of ${f.id} taken`);
    f.lots.set(lot.pos, lot);
    f.count++;
    f.balance += lot.value;
    if (f.balance > MAX_VALUE) throw new Error(`ledger state: balance of ${f.id} above 2^63-1 after checks`);
    let s = this.#byVia.get(lot.via);
    if (!s) this.#byVia.set(lot.via, (s = new Set()));
    s.add(lot);
    this.#touchLot(lot);
    this.#dirtyFunds.add(f.id);
  }

  #removeLot(lot: Lot): void {
    const f = this.#mustFund(lot.fund);
    if (f.lots.get(lot.pos) !== lot) throw new Error(`ledger state: lot ${lot.fund}/${lot.pos} is not in place`);
    f.lots.delete(lot.pos);
    f.count--;
    f.balance -= lot.value;
    const s = this.#byVia.get(lot.via);
    s?.delete(lot);
    if (s && s.size === 0) this.#byVia.delete(lot.via);
    // Keep head and tail on live lots so walks from the front start at a lot; each position
    // is stepped over at most once, so this stays linear overall.
    while (f.head < f.tail && !f.lots.has(f.head)) f.head++;
    while (f.tail > f.head && !f.lots.has(f.tail - 1)) f.tail--;
    this.#touchLot(lot);
    this.#dirtyFunds.add(f.id);
  }

  #touchLot(lot: Lot): void {
    this.#dirtyLots.set(lotKey(lot.fund, lot.pos), { fund: lot.fund, pos: lot.pos });
  }

  // -------------------------------------------------------------------------------------
  // Persistence. Keys (opaque to the caller, who prefixes them):
  //   meta            {size, operator}
  //   o/<org>         the org with its keys
  //   f/<fund>        the fund header: balance, head, tail, count
  //   l/<fund>/<pos>  one lot {donation, via, value}; positions never move, so an event
  //                   rewrites only the lots it touches
  //   e/<event>       the event index facts, written once
  //   r/<event>       "<reversal id>": the event was reversed
  //   c/<disbursement> ["<org>"…]: the orgs that confirmed it, in order
  // Ids match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$, so '/' never occurs inside one.

  /** The records changed since the last call (value null = delete), in a deterministic order. */
  takeChanges(): Array<[key: string, value: string | null]> {
    const out: Array<[string, string | null]> = [];
    if (this.#dirtyMeta) out.push(['meta', JSON.stringify({ size: this.#size, operator: this.#operator ?? null })]);
    for (const id of this.#dirtyOrgs) {
      const o = this.#orgs.get(id)!;
      out.push([
        `o/${id}`,
        JSON.stringify({
          name: o.name,
          roles: o.roles,
          registeredSeq: o.registeredSeq,
          keys: o.keys.map((k) => ({ ...keyInfo(k), keyId: k.keyId, publicKey: bytesToHex(k.publicKey) })),
        }),
      ]);
    }
    for (const id of this.#dirtyFunds) {
      const f = this.#funds.get(id)!;
      out.push([
        `f/${id}`,
        JSON.stringify({
          owner: f.owner,
          name: f.name,
          currency: f.currency,
          restricted: f.restricted,
          purpose: f.purpose,
          openedSeq: f.openedSeq,
          balance: f.balance.toString(),
          head: f.head,
          tail: f.tail,
          count: f.count,
        }),
      ]);
    }
    for (const [key, { fund, pos }] of this.#dirtyLots) {
      const l = this.#funds.get(fund)!.lots.get(pos);
      out.push([key, l ? JSON.stringify({ donation: l.donation, via: l.via, value: l.value.toString() }) : null]);
    }
    for (const id of this.#dirtyEvents) {
      // reversedBy lives in its own record so reversing a disbursement of 20k lots does
      // not rewrite the record holding those 20k lots.
      const { reversedBy: _r, ...facts } = this.#events.get(id)! as EventFacts & { reversedBy?: string };
      out.push([`e/${id}`, JSON.stringify(facts)]);
    }
    for (const id of this.#dirtyReversed) {
      const f = this.#events.get(id)! as { reversedBy?: string };
      out.push([`r/${id}`, JSON.stringify(f.reversedBy)]);
    }
    for (const id of this.#dirtyConfirmed) out.push([`c/${id}`, JSON.stringify(this.#confirmedBy.get(id))]);
    this.#dirtyMeta = false;
    this.#dirtyOrgs.clear();
    this.#dirtyFunds.clear();
    this.#dirtyLots.clear();
    this.#dirtyEvents.clear();
    this.#dirtyReversed.clear();
    this.#dirtyConfirmed.clear();
    return out;
  }

  /** Rebuilds a state from every record takeChanges() ever produced (deletes applied).
   * Throws on records that do not add up: a corrupt store is not bad input. */
  static restore(records: Iterable<[string, string]>, opts: LedgerStateOptions = {}): LedgerState {
    const s = new LedgerState(opts);
    const lots: Lot[] = [];
    const reversed: Array<[string, string]> = [];
    const confirmed: Array<[string, unknown]> = [];
    let meta = false;
    for (const [key, value] of records) {
      const v = JSON.parse(value);
      if (key === 'meta') {
        s.#size = v.size;
        s.#operator = v.operator ?? undefined;
        meta = true;
      } else if (key.startsWith('o/')) {
        const id = key.slice(2);
        const rec: OrgRec = { id, name: v.name, roles: v.roles, registeredSeq: v.registeredSeq, keys: [], byKeyId: new Map() };
        for (const k of v.keys) {
          const kr: KeyRec = { key: k.key, keyId: k.keyId, publicKey: hexToBytes(k.publicKey), addedSeq: k.addedSeq };
          if (k.revokedSeq !== undefined) kr.revokedSeq = k.revokedSeq;
          rec.keys.push(kr);
          rec.byKeyId.set(kr.keyId, kr);
        }
        s.#orgs.set(id, rec);
      } else if (key.startsWith('f/')) {
        const id = key.slice(2);
        s.#funds.set(id, {
          id,
          owner: v.owner,
          name: v.name,
          currency: v.currency,
          restricted: v.restricted,
          purpose: v.purpose,
          openedSeq: v.openedSeq,
          balance: BigInt(v.balance),
          head: v.head,
          tail: v.tail,
          count: v.count,
          lots: new Map(),
        });
      } else if (key.startsWith('l/')) {
        const slash = key.lastIndexOf('/');
        const pos = Number(key.slice(slash + 1));
        if (slash <= 2 || !Number.isSafeInteger(pos)) throw new Error(`ledger restore: bad lot key ${key}`);
        lots.push({ fund: key.slice(2, slash), pos, donation: v.donation, via: v.via, value: BigInt(v.value) });
      } else if (key.startsWith('e/')) {
        s.#events.set(key.slice(2), v as EventFacts);
      } else if (key.startsWith('r/')) {
        reversed.push([key.slice(2), v]);
      } else if (key.startsWith('c/')) {
        confirmed.push([key.slice(2), v]);
      } else {
        throw new Error(`ledger restore: unknown record ${key}`);
      }
    }
    for (const [id, by] of reversed) {
      const e = s.#events.get(id);
      if (!e || (e.type !== 'donation' && e.type !== 'transfer' && e.type !== 'disbursement') || typeof by !== 'string') {
        throw new Error(`ledger restore: bad reversal record for ${id}`);
      }
      e.reversedBy = by;
    }
    for (const [id, orgs] of confirmed) {
      const e = s.#events.get(id);
      if (!e || e.type !== 'disbursement' || !Array.isArray(orgs) || orgs.length === 0 || orgs.some((o) => typeof o !== 'string') || new Set(orgs).size !== orgs.length) {
        throw new Error(`ledger restore: bad confirmations record for ${id}`);
      }
      s.#confirmedBy.set(id, orgs as string[]);
    }
    if (!meta && (s.#orgs.size || s.#funds.size || s.#events.size || lots.length || confirmed.length)) {
      throw new Error('ledger restore: records without meta');
    }
    // Positions order lots within a fund; the via index is rebuilt in that order.
    lots.sort((a, b) => (a.fund < b.fund ? -1 : a.fund > b.fund ? 1 : a.pos - b.pos));
    const sums = new Map<string, { n: number; sum: bigint }>();
    for (const l of lots) {
      const f = s.#funds.get(l.fund);
      if (!f) throw new Error(`ledger restore: lot of unknown fund ${l.fund}`);
      if (l.pos < f.head || l.pos >= f.tail) throw new Error(`ledger restore: lot ${l.fund}/${l.pos} outside its queue`);
      f.lots.set(l.pos, l);
      let set = s.#byVia.get(l.via);
      if (!set) s.#byVia.set(l.via, (set = new Set()));
      set.add(l);
      const t = sums.get(l.fund) ?? { n: 0, sum: 0n };
      t.n++;
      t.sum += l.value;
      sums.set(l.fund, t);
    }
    for (const f of s.#funds.values()) {
      const t = sums.get(f.id) ?? { n: 0, sum: 0n };
      if (t.n !== f.count || t.sum !== f.balance) {
        throw new Error(`ledger restore: fund ${f.id} says ${f.count} lots / ${f.balance} but holds ${t.n} / ${t.sum}`);
      }
    }
    if (s.#events.size !== s.#size) throw new Error(`ledger restore: ${s.#events.size} events indexed for size ${s.#size}`);
    return s;
  }
}

/** A fund's public view from its stored `f/<id>` record (what takeChanges wrote). */
export function fundInfoFromRecord(id: string, json: string): FundInfo {
  const v = JSON.parse(json);
  return {
    id,
    owner: v.owner,
    name: v.name,
    currency: v.currency,
    restricted: v.restricted,
    purpose: v.purpose,
    balance: v.balance,
    lots: v.count,
    openedSeq: v.openedSeq,
  };
}

/** An org's public view from its stored `o/<id>` record (what takeChanges wrote). */
export function orgInfoFromRecord(id: string, json: string): OrgInfo {
  const v = JSON.parse(json);
  return {
    id,
    name: v.name,
    roles: v.roles,
    registeredSeq: v.registeredSeq,
    keys: v.keys.map((k: { key: string; addedSeq: number; revokedSeq?: number }) => {
      const o: OrgKeyInfo = { key: k.key, addedSeq: k.addedSeq };
      if (k.revokedSeq !== undefined) o.revokedSeq = k.revokedSeq;
      return o;
    }),
  };
}

function keyInfo(k: KeyRec): OrgKeyInfo {
  const o: OrgKeyInfo = { key: k.key, addedSeq: k.addedSeq };
  if (k.revokedSeq !== undefined) o.revokedSeq = k.revokedSeq;
  return o;
}

function takesToEffects(takes: readonly Take[]): Effect[] {
  return takes.map((t) => ({ donation: t.lot.donation, via: t.lot.via, value: t.take.toString() }));
}

function lotKey(fund: string, pos: number): string {
  return `l/${fund}/${pos}`;
}
