// The result types of @cotc/verify. Codes are stable strings: the CLI and the donor page
// switch on them, messages are for people.
import type { Amount, DocHash, TraceNodeType } from '@cotc/ledger';

/** Why a bundle, checkpoint or consistency proof was found wanting. */
export type VerifyCode =
  /** The bundle is not of the wire format (not an object, wrong version, fields of the wrong type, too large). */
  | 'malformed_bundle'
  /** The checkpoint note is not signed by the log key (bad signature, or signed by another key only). */
  | 'bad_checkpoint_signature'
  /** The checkpoint note or its text is malformed, or its origin is not the log key's name. */
  | 'bad_checkpoint'
  /** A witness key the caller listed did not cosign the checkpoint. */
  | 'missing_witness'
  /** Fewer witnesses of the policy than its quorum validly cosigned the checkpoint (timestamps in the future do not count). */
  | 'witness_quorum'
  /** An entry's data is not canonical base64, UTF-8, I-JSON or RFC 8785 canonical JSON. */
  | 'bad_entry_encoding'
  /** An entry's content is not a valid entry: wrong shape, seq ≠ index, a repeated event id, an event timed after its entry. */
  | 'bad_entry'
  /** Two adjacent entries of the bundle do not chain: prev ≠ the leaf hash of the entry before. */
  | 'bad_chain'
  /** An inclusion proof does not verify against the checkpoint (or is for another index or tree size). */
  | 'bad_inclusion_proof'
  /** Entries are not in increasing index order. */
  | 'entry_out_of_order'
  /** The same index appears twice among the entries. */
  | 'duplicate_entry'
  /** An entry the bundle must hold is not there (entry 0, an event the trace names, the source of a flow). */
  | 'missing_entry'
  /** An event's signature does not verify with the key its key id names. */
  | 'bad_event_signature'
  /** An event is signed by a key (or an org) that no earlier proven org.register/org.keys vouches for. */
  | 'unknown_key'
  /** An event is signed by a key revoked before it. */
  | 'revoked_key'
  /** A key change or registration by someone not allowed to make it (DESIGN.md "Bodies"). */
  | 'forbidden'
  /** A key change the ledger refuses (DESIGN.md "Keys"): a malformed, weak or misnamed key, a key id already used, a revoke of a key the org lacks, nothing to change, or an org left without keys. */
  | 'bad_key'
  /** An org.register of an org a proven entry already registered. */
  | 'already_exists'
  /** An org.keys for an org that no proven org.register registers before it. */
  | 'unknown_org'
  /** An amount above 2^63−1. */
  | 'bad_amount'
  /** An entry's effects cannot be right: they do not sum to the event's amount, or name the wrong hop. */
  | 'bad_effects'
  /** The bundle's trace differs from the one the proven entries imply. */
  | 'trace_mismatch'
  /** The trace breaks a conservation rule. */
  | 'conservation'
  /** The receipt secret does not open the donation's donor commitment. */
  | 'receipt_mismatch'
  /** The checkpoint is not consistent with the trusted one (a fork, or a rewritten log). */
  | 'inconsistent_checkpoint'
  /** The checkpoint is older (smaller) than the trusted one. */
  | 'rollback'
  /** A consistency proof was needed but could not be had (no callback, or it failed). */
  | 'consistency_unavailable'
  /** The donation is not among the bundle's proven entries. */
  | 'not_in_log'
  /** The bundle is about another donation than the one asked for. */
  | 'wrong_donation'
  /**
   * Money moved that the bundle's own proven entries do not put where the event draws from
   * (DESIGN.md "FIFO", "Entries"): a transfer or disbursement takes a lot that its `via` never
   * brought into the fund it draws from (a transfer's `from`, a disbursement's `fund`), or more
   * of it than that hop brought there and later hops left; a refund takes anything but the
   * donation's own whole lot; a reversal returns other lots than the reversed event took. The
   * one part of an entry no organisation signs is its effects: this is how rewritten ones show.
   */
  | 'bad_continuity'
  /** A confirmation by an org that is neither the disbursement's payee (a registered org id) nor an auditor. */
  | 'unauthorised_confirmation'
  /** A confirmation signed by the org that posted the disbursement: a charity vouching for itself proves nothing. */
  | 'self_confirmation'
  /** Money left a restricted fund other than by disbursement or by transfer to another restricted fund. */
  | 'restricted_fund'
  /** Trace pages that do not make one bundle: different checkpoints, entries that overlap or go backwards, a page after the last. */
  | 'bad_pages'
  // --- Wire format 2 (docs/wire-format-2.md §12, §14).
  /** A bundle, entry or read of a format version this verifier does not implement (§2). */
  | 'unsupported_version'
  /** Entry N−1 of the checkpoint is not in the bundle, or carries no `state` map root (§9). */
  | 'missing_state_root'
  /** An event is signed by a key no proven `orgkey/<org>/<keyId>` record makes current at its seq (absent, proven absent, or added later). */
  | 'key_not_proven'
  /** The donation's lots replayed through the bundle's entries (FIFO) are not exactly the proven `live/<donation>`: a hop, an effect or a lot is left out (§12 step 7). */
  | 'incomplete_trace'
  /** The bundle's confirmations of a disbursement are not exactly the proven `conf/<disbursement>` (§12 step 7). */
  | 'missing_confirmation'
  /** A map proof (§5 codes). */
  | 'map_proof_malformed'
  | 'map_proof_noncanonical'
  | 'map_key_absent'
  | 'map_key_present'
  | 'map_leaf_off_path'
  | 'map_root_mismatch'
  /** An effect proof (§8.3 codes). */
  | 'effect_proof_malformed'
  | 'effect_index_out_of_range'
  | 'effect_root_mismatch'
  /** A proven read (§13) is about another record than the one asked for, or its value is not that record's shape. */
  | 'wrong_record';

export interface Problem {
  code: VerifyCode;
  message: string;
  /** The entry index (seq) the problem is about, when it is about one. */
  index?: number;
  /** The event id the problem is about, when it is about one. */
  event?: string;
}

/** Bad arguments from the caller (never bad bundles: those are Problems). */
export type VerifyErrorCode = 'bad_log_key' | 'bad_witness_key' | 'bad_argument';

export class VerifyError extends Error {
  readonly code: VerifyErrorCode;
  constructor(code: VerifyErrorCode, message: string) {
    super(message);
    this.name = 'VerifyError';
    this.code = code;
  }
}

/** A checkpoint the caller saw and verified before (e.g. from its TrustState). */
export interface TrustedCheckpoint {
  size: number;
  /** Lowercase hex root hash. */
  root: string;
  /** The signed note it came from (kept for the record; not re-verified). */
  text?: string;
}

export interface CheckpointInfo {
  origin: string;
  size: number;
  /** Lowercase hex root hash. */
  root: string;
}

export interface NodeResult {
  event: string;
  type: TraceNodeType;
  index: number;
  /** No problem about this node or its entry, and the checkpoint verified. */
  ok: boolean;
  problems: string[];
  /**
   * Who signed the event (verified), and with which verifier key. `installedBy: 'operator'`
   * when that key was added to the org by an org.keys the log operator posted, not the org
   * itself: the operator, not the org, may hold it (absent otherwise).
   */
  signer?: { org: string; key: string; installedBy?: 'operator' };
  /** A transfer between two funds of one owner, by the bundle's proven fund.open entries. */
  internal?: true;
  /** A disbursement whose payee is an org id that the bundle's proven org.register entries register (else free text). */
  payeeRegistered?: true;
  /** How much of this donation the node got (for the donation, its amount), a decimal string. */
  amount?: string;
  /** The event's own amount (a transfer or disbursement may carry several donations' money). */
  eventAmount?: Amount;
  /** Where this node's money is (nodes that hold money), as the proven entries say. */
  fund?: string;
  unspent?: string;
  /** A transfer's source fund, a disbursement's fund. */
  from?: string;
  payee?: string;
  purpose?: string;
  memo?: string;
  receipts?: DocHash[];
  /** A confirmation's statement and evidence, and the disbursement it confirms. */
  statement?: string;
  evidence?: DocHash[];
  confirms?: string;
  /** A reversal's target and reason. */
  reverses?: string;
  reason?: string;
  /** The poster's time and the sequencer's time. */
  time?: string;
  loggedAt?: string;
}

export interface FlowResult {
  from: string;
  to: string;
  value: string;
  ok: boolean;
  problems: string[];
}

export interface DonationInfo {
  id: string;
  org: string;
  fund: string;
  amount: Amount;
  channel: string;
  time: string;
  index: number;
}

export interface VerifyResult {
  ok: boolean;
  /** The checkpoint, once its signature verified; null when it did not. */
  checkpoint: CheckpointInfo | null;
  problems: Problem[];
  /** The trace's nodes in index order: the bundle's, plus any the proven entries imply that it left out. */
  nodes: NodeResult[];
  /** The flows the proven entries imply, plus any the bundle claims that they do not (ok false). */
  flows: FlowResult[];
  donation?: DonationInfo;
  /** Set when the donation itself is proven. */
  receipt?: 'matched' | 'mismatch' | 'not_given';
  /**
   * Event ids (in index order) of the bundle's entries signed with a key the log operator
   * installed for the signing org (see NodeResult.signer.installedBy). Always set by verifyBundle.
   */
  operatorSigned?: string[];
  /** Who of the witness policy cosigned the checkpoint (set when witnesses were given and the log's signature verified). */
  witnesses?: import('./witness.ts').WitnessReport;
  /** The bundle's format version, when it was one this verifier reads (2 sets it). */
  version?: 2;
  /** Version 2: what the bundle's proven state records say about orgs and funds (names for the page). */
  proven?: ProvenFacts;
}

/** Org and fund facts from proven `org/<org>` and `fund/<fund>` records (wire format 2, §10). */
export interface ProvenFacts {
  orgs: Record<string, { name: string; roles: string[] }>;
  funds: Record<string, { name: string; purpose: string; restricted: boolean; owner: string; currency: string }>;
}

export interface VerifyOptions {
  /** The log's signed-note verifier key (name+hexid+base64): the one thing trusted. */
  logKey: string;
  /** The donation asked for; when given, a bundle about another one is refused. */
  donation?: string;
  /** The donor's receipt secret; checked against the donation's donor commitment. */
  receiptSecret?: string;
  /** Witness verifier keys (cosignature/v1, or Ed25519 note keys): at least witnessQuorum of them must have cosigned the checkpoint. */
  witnessKeys?: string[];
  /** How many of witnessKeys must have cosigned (default: all of them). */
  witnessQuorum?: number;
  /** Cosignatures timestamped more than this far in the future are refused (seconds; default 300). */
  witnessSkewSeconds?: number;
  /** Now, in ms since the epoch (default Date.now()): for cosignature timestamps. */
  now?: number;
  /** The last checkpoint this client trusted for this log. */
  trusted?: TrustedCheckpoint | null;
  /**
   * Which Ed25519 engine does the curve work: 'auto' (default) WebCrypto where the runtime
   * has Ed25519, else noble; both behind the same strict checks, with the same answers.
   */
  engine?: 'auto' | 'webcrypto' | 'noble';
  /** Fetches a consistency proof (lowercase hex hashes, RFC 9162 order) from size `from` to `to`. */
  consistency?: (from: number, to: number) => Promise<string[]>;
}
