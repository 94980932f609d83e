// The storage interface of the log: everything the sequencer and the read API need from
// a backend, and nothing more, so that a PostgreSQL backend can follow without touching
// the ledger logic. Backends: level.ts (embedded LevelDB, the default) and memory.ts
// (tests). One conformance suite (test/storage/conformance.test.ts) runs against each.
//
// The one write is `commit`: a batch's entries, tree tiles, indexes, state changes and
// its new signed checkpoint, in ONE atomic, synced write. `commit` resolving means the
// batch is durable; rejecting means it may or may not be (a crash or an I/O error can
// leave either), so after a failed commit the caller must reopen and re-read `head()`
// before it acknowledges anything (see Sequencer.recover).

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

export interface CommitBatch {
  /** the size before this batch; must equal the stored head's size (0 for a new log) */
  fromSize: number;
  /** entry bytes for seq fromSize, fromSize+1, … */
  entries: Uint8Array[];
  /** tiles created or rewritten by this batch (partial tiles replace earlier versions) */
  tiles: TileData[];
  /** event id → seq for each new entry */
  ids: Array<[id: string, seq: number]>;
  /** donation id → seq of an entry in that donation's trace */
  traces: Array<[donation: string, seq: number]>;
  /** seq → donation id, for every new donation (the "recent donations" list) */
  donations: Array<[seq: number, donation: string]>;
  /** state machine records; value null deletes */
  state: Array<[key: string, value: string | null]>;
  /** the new head */
  head: Head;
}

export interface LogStore {
  /** Opens the store, creating it if missing. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** The last committed head, or null for a new, empty store. */
  head(): Promise<Head | null>;
  /** Entries [start, start+count) that exist, in order. */
  entries(start: number, count: number): Promise<Uint8Array[]>;
  /** Latest stored version of each tile, or undefined. */
  readTiles(tiles: readonly { l: number; n: number }[]): Promise<(Uint8Array | undefined)[]>;
  /** seq of an event id, or undefined. */
  seqOf(id: string): Promise<number | undefined>;
  /** seqs of the entries in a donation's trace, ascending; with `after`, only seqs above
   * it (so a long index is read in pages, never whole). */
  traceSeqs(donation: string, limit: number, after?: number): Promise<number[]>;
  /** newest donations first: [seq, donation id] with seq < before. */
  recentDonations(limit: number, before?: number): Promise<Array<[number, string]>>;
  /** One state record, or undefined. */
  stateRecord(key: string): Promise<string | undefined>;
  /** State records for `keys`, in the same order (undefined where absent): ONE batched read,
   * what the sequencer prefetches for a batch before judging it. */
  getStateRecords(keys: readonly string[]): Promise<(string | undefined)[]>;
  /** State records whose keys start with `prefix`, in key order (UTF-8 byte order), from
   * the key `gte` on (inclusive; default the prefix itself), at most `limit` of them (the
   * front of a fund's queue: codec.ts lotPrefix). */
  stateRange(prefix: string, limit: number, gte?: string): Promise<Array<[string, string]>>;
  /** All state records (an audit's full comparison; nothing at start-up reads this). */
  stateRecords(): AsyncIterable<[string, string]>;
  /** Signed checkpoints published at given sizes (every committed head is kept). */
  checkpointAt(size: number): Promise<string | undefined>;
  /** Atomically and durably applies a batch. */
  commit(batch: CommitBatch): Promise<void>;
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
