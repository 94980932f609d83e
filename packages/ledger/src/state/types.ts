// The state machine's public types (DESIGN.md "The events", "Posting"): what the server,
// the auditor and the tests see. The records behind them are in codec.ts.
import type { Rejection } from '../errors.ts';
import type { Effect, Role } from '../types.ts';

export { MAX_VALUE } from '../limits.ts';

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

/** What later events need to know about an accepted event (the `event/<id>` record).
 * Lots never move, so facts also say where an event put lots: a donation's lot position,
 * a transfer's range in its destination, a reversal's prepended range. Refunds and
 * transfer reversals read those positions instead of an in-memory index. */
interface FactsBase {
  id: string;
  seq: number;
  org: string;
  hash: string;
}
/** Half-open [first, end) range of queue positions. */
export type PosRange = [first: number, end: number];
export type EventFacts = FactsBase &
  (
    | { type: 'org.register' | 'org.keys'; subject: string } // the org registered or changed
    | { type: 'fund.open'; subject: string } // the fund opened
    | { type: 'donation'; fund: string; value: string; pos: number; reversedBy?: string }
    | { type: 'gift.batch'; fund: string; value: string; pos: number; count: number; root: string; reversedBy?: string }
    | { type: 'transfer'; from: string; to: string; value: string; range: PosRange; reversedBy?: string }
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
    | { type: 'reversal'; target: string; targetType: 'donation' | 'gift.batch' | 'transfer' | 'disbursement'; range?: PosRange }
  );
