// The storage interface of the log: everything the sequencer and the read API need from
// a backend, and nothing more (issue 10: "the storage seam narrows to log primitives plus
// typed postings and an opaque state store"). A backend implements three small pieces,
// each a named interface below, and LogStore is their sum:
//   LogPrimitives  the log itself: head, entries, tiles, checkpoints, and the one write
//   Postings       the typed indexes: event id → seq, a donation's trace, recent donations
//   StateStore     the ledger's state records, opaque: keys and values are the record
//                  codec's strings (packages/ledger/src/state/codec.ts), never parsed here
// Backends: level.ts (embedded LevelDB, the default), memory.ts (tests), postgres.ts
// (issue 14); open.ts chooses one from a spec. One conformance suite
// (test/storage/conformance.ts, `conformance(name, makeStore)`) runs against each.
// Their errors are in errors.ts.
//
// The one write is `commit`: a batch's entries, tree tiles, postings, state changes and
// its new signed checkpoint, in ONE atomic, synced write. `commit` resolving means the
// batch is durable; rejecting means it may or may not be (a crash or an I/O error can
// leave either), so after a failed commit the caller must reopen and re-read `head()`
// before it acknowledges anything (see Sequencer.recover). A commit never leaves part of
// a batch: a reader (and a reopened store) sees all of it or none of it.

export interface Head {
  /** number of entries in the log */
  size: number;
  /** the signed checkpoint (C2SP note text) for that size */
  checkpoint: string;
}

export interface TileData {
  l: number;
  n: number;
  /** w concatenated 32-byte hashes, 1 ≤ w ≤ 256 */
  data: Uint8Array;
}

/** What a batch writes to the log itself. */
export interface LogWrites {
  /** the size before this batch; must equal the stored head's size (0 for a new log) */
  fromSize: number;
  /** entry bytes for seq fromSize, fromSize+1, … */
  entries: Uint8Array[];
  /** tiles created or rewritten by this batch (partial tiles replace earlier versions) */
  tiles: TileData[];
  /** the new head; its checkpoint is also kept as checkpointAt(head.size) */
  head: Head;
}

/** What a batch adds to the postings (append-only: a posting is never removed). */
export interface PostingWrites {
  /** event id → seq for each new entry */
  ids: Array<[id: string, seq: number]>;
  /** donation id → seq of an entry in that donation's trace */
  traces: Array<[donation: string, seq: number]>;
  /** seq → donation id, for every new donation (the "recent donations" list) */
  donations: Array<[seq: number, donation: string]>;
}

/** What a batch changes in the state records. */
export interface StateWrites {
  /** state machine records; value null deletes */
  state: Array<[key: string, value: string | null]>;
}

/** One batch: written by LogPrimitives.commit, atomically, all three parts or none. */
export interface CommitBatch extends LogWrites, PostingWrites, StateWrites {}

/** The log: its head, entries, tiles and checkpoints, and the one write. */
export interface LogPrimitives {
  /** Opens the store, creating it if missing. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** The last committed head, or null for a new, empty store. */
  head(): Promise<Head | null>;
  /** Entries start, start+1, … up to start+count-1, stopping at the first that is missing:
   * the answer is always a prefix of the range, so answer[i] is entry start+i. Never
   * skips a gap (a store missing entry k below its head is damaged; the caller, which
   * asked for k and got fewer, says so: StoreCorruptError in LogService, `missing` in
   * the audit). Past the head: what exists below it, possibly nothing. */
  entries(start: number, count: number): Promise<Uint8Array[]>;
  /** Latest stored version of each tile, or undefined. */
  readTiles(tiles: readonly { l: number; n: number }[]): Promise<(Uint8Array | undefined)[]>;
  /** Signed checkpoints published at given sizes (every committed head is kept). */
  checkpointAt(size: number): Promise<string | undefined>;
  /** Atomically and durably applies a batch: its log writes, postings and state writes. */
  commit(batch: CommitBatch): Promise<void>;
}

/** The typed postings (the indexes), each read in pages, never whole. */
export interface Postings {
  /** seq of an event id, or undefined. */
  seqOf(id: string): Promise<number | undefined>;
  /** seqs of the entries in a donation's trace, ascending, at most `limit`; with `after`,
   * only seqs above it (so a long posting list is read in pages). */
  traceSeqs(donation: string, limit: number, after?: number): Promise<number[]>;
  /** newest donations first: [seq, donation id] with seq < before, at most `limit`. */
  recentDonations(limit: number, before?: number): Promise<Array<[number, string]>>;
}

/** The ledger's state records: an opaque, ordered key-value store. */
export interface StateStore {
  /** State records for `keys`, in the same order (undefined where absent): ONE batched
   * read, what the sequencer prefetches for a batch before judging it. */
  getStateRecords(keys: readonly string[]): Promise<(string | undefined)[]>;
  /** One state record, or undefined: getStateRecords([key])[0]. */
  stateRecord(key: string): Promise<string | undefined>;
  /** State records whose keys start with `prefix`, in key order (UTF-8 byte order), from
   * the key `gte` on (inclusive; default the prefix itself), at most `limit` of them
   * (whatever the limit: a backend with a page size of its own reads as many pages as
   * it takes); the front of a fund's queue (codec.ts lotPrefix). */
  stateRange(prefix: string, limit: number, gte?: string): Promise<Array<[string, string]>>;
  /** All state records, in key order (an audit's full comparison; nothing at start-up
   * reads this); a backend reads them in pages, never all at once. */
  stateRecords(): AsyncIterable<[string, string]>;
}

/** What the log needs from a backend: the three pieces above. */
export interface LogStore extends LogPrimitives, Postings, StateStore {}

/** A backend with a versioned schema (PostgreSQL) also has this: on a store not yet
 * opened, apply the migrations it lacks and close again; [from, to] versions. It must
 * refuse a store of a newer schema than this code's. `cotc migrate --store SPEC` calls it
 * (src/storage/open.ts migrateStore); a backend without it has nothing to migrate. */
export interface Migratable {
  migrateOnly(): Promise<[from: number, to: number]>;
}

export function isMigratable(s: LogStore): s is LogStore & Migratable {
  return typeof (s as Partial<Migratable>).migrateOnly === 'function';
}

// The backend's errors live in errors.ts; re-exported here for existing importers.
export { ServiceUnavailableError, StoreCorruptError } from './errors.ts';

export function checkBatch(b: CommitBatch, currentSize: number): void {
  if (b.fromSize !== currentSize) {
    throw new Error(`storage: batch starts at ${b.fromSize} but the log has ${currentSize} entries`);
  }
  if (b.head.size !== b.fromSize + b.entries.length) {
    throw new Error(`storage: head size ${b.head.size} ≠ ${b.fromSize} + ${b.entries.length} entries`);
  }
}
