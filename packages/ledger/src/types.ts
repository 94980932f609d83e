// The event model of DESIGN.md "Wire formats (version 1)": the envelope, the bodies,
// the entry and its effects. Types only; the JSON Schemas in ../schemas are normative.

export type Role = 'operator' | 'platform' | 'charity' | 'payee' | 'auditor';
export const ROLES: readonly Role[] = ['operator', 'platform', 'charity', 'payee', 'auditor'];

export type EventType =
  | 'org.register'
  | 'org.keys'
  | 'fund.open'
  | 'donation'
  | 'transfer'
  | 'disbursement'
  | 'confirmation'
  | 'reversal'
  | 'gift.batch';

export const EVENT_TYPES: readonly EventType[] = [
  'org.register',
  'org.keys',
  'fund.open',
  'donation',
  'transfer',
  'disbursement',
  'confirmation',
  'reversal',
  'gift.batch',
];

/** Minor units as an integer string, ^[1-9][0-9]{0,18}$, at most 2^63-1. */
export interface Amount {
  currency: string;
  value: string;
}

export interface DocHash {
  sha256: string;
  name: string;
}

export interface OrgRegisterBody {
  org: string;
  name: string;
  roles: Role[];
  keys: string[];
}
export interface OrgKeysBody {
  org: string;
  add: string[];
  revoke: string[];
}
export interface FundOpenBody {
  fund: string;
  name: string;
  currency: string;
  restricted: boolean;
  purpose: string;
}
export interface DonationBody {
  fund: string;
  amount: Amount;
  donor: string;
  channel: string;
}
export interface TransferBody {
  from: string;
  to: string;
  amount: Amount;
  memo: string;
}
export interface DisbursementBody {
  fund: string;
  amount: Amount;
  payee: string;
  purpose: string;
  receipts: DocHash[];
}
export interface ConfirmationBody {
  disbursement: string;
  statement: string;
  evidence: DocHash[];
}
export interface ReversalBody {
  event: string;
  reason: string;
}

/** A batch of micro-donations (issue 15, docs/gifts.md): `count` gifts into `fund`, committed by
 * the root of their Merkle sum tree; `amount` is the batch total (the root's sum). */
export interface GiftBatchBody {
  fund: string;
  amount: Amount;
  count: number;
  root: string;
}

export interface BodyByType {
  'org.register': OrgRegisterBody;
  'org.keys': OrgKeysBody;
  'fund.open': FundOpenBody;
  donation: DonationBody;
  transfer: TransferBody;
  disbursement: DisbursementBody;
  confirmation: ConfirmationBody;
  reversal: ReversalBody;
  'gift.batch': GiftBatchBody;
}

/** The envelope without its signature: what is signed (canonical JSON, UTF-8). */
export type UnsignedEvent<T extends EventType = EventType> = {
  [K in T]: { v: 1; type: K; id: string; org: string; time: string; body: BodyByType[K] };
}[T];

/** The envelope as posted: sig = base64(key id (4 bytes) || Ed25519 signature (64 bytes)). */
export type Envelope<T extends EventType = EventType> = UnsignedEvent<T> & { sig: string };

/** One lot an event moved (DESIGN.md "Entries"). value is an integer string. */
export interface Effect {
  donation: string;
  via: string;
  value: string;
}

/** The logged entry; its canonical JSON bytes are the Merkle leaf. */
export interface Entry {
  seq: number;
  prev: string; // hex leaf hash of entry seq-1, 64 zeros for seq 0
  time: string; // sequencer clock, RFC 3339 UTC ending in Z
  event: Envelope;
  effects: Effect[];
}

/** The trace graph of one donation (DESIGN.md "Trace bundle"); integers are decimal strings. */
export type TraceNodeType = 'donation' | 'gift.batch' | 'transfer' | 'disbursement' | 'reversal' | 'confirmation';

export interface TraceNode {
  event: string;
  type: TraceNodeType;
  index: number;
  /** Present exactly on nodes that hold money: donation, transfer, reversal of a disbursement or transfer. */
  fund?: string;
  unspent?: string;
}

export interface Flow {
  from: string;
  to: string;
  value: string;
}

export interface Trace {
  donation: string;
  currency: string;
  nodes: TraceNode[];
  flows: Flow[];
}
