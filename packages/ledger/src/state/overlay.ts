// Copy-on-write views of the state's records (the same idea as the log's hash overlay,
// src/log/hashcache.ts). The committed records sit at the bottom (Committed: a complete
// in-memory set, or a bounded cache of what was loaded from the store); a batch is judged
// on an Overlay over them, each event on an Overlay over the batch's, so that an event
// that fails — or that needs a record not loaded yet — leaves nothing behind. The batch's
// overlay is adopted into the committed records only once the store's commit resolved.
import { cloneRecord } from './codec.ts';

/** A record, null (known to be absent), or undefined (not loaded: ask the store). */
export type Peeked = unknown | null | undefined;

export interface RecordReader {
  peek(key: string): Peeked;
}

/** Evaluation needs records that are not loaded (the caller loads them and re-evaluates
 * the event): point keys, and the front of fund queues from a position. */
export class NeedRecords extends Error {
  constructor(
    readonly keys: string[],
    /** the live lots of `fund` at positions [from, to) (to: the queue's tail as the event
     * sees it), read from `from` on in key order */
    readonly ranges: Array<{ fund: string; from: number; to: number }> = [],
  ) {
    super(`ledger state: records not loaded: ${keys.slice(0, 3).join(', ')}${keys.length > 3 ? ', …' : ''}`);
    this.name = 'NeedRecords';
  }
}

/** The committed records, decoded. `complete`: what is not here does not exist (an
 * in-memory state); otherwise this is a bounded cache of what was loaded from the store
 * (null: known absent) and what is not here is not loaded. Only committed values ever
 * enter it: records read from the store between commits, and a batch's overlay once its
 * commit resolved. */
export class Committed implements RecordReader {
  /** the records (a complete state), or the current generation of the cache */
  map = new Map<string, unknown | null>();
  /** The cache's previous generation: a hit moves its record back into `map`; trim() drops
   * it whole. Two generations instead of moving every hit to the end of one Map (a delete
   * and a set per read: 12% of the sequencer's thread, issue 10): records read since the
   * last rotation always stay, the least recently used go first, nothing is moved per hit. */
  #old = new Map<string, unknown | null>();
  constructor(
    public complete: boolean,
    /** at most this many records are kept (least recently used first out); `meta` always stays */
    readonly max = Infinity,
  ) {}
  peek(key: string): Peeked {
    const v = this.map.get(key);
    if (v !== undefined) return v;
    if (this.complete) return null;
    const o = this.#old.get(key);
    if (o !== undefined) {
      this.map.set(key, o);
      return o;
    }
    return undefined;
  }
  set(key: string, v: unknown | null): void {
    if (v === null && this.complete) {
      this.map.delete(key);
      return;
    }
    // A stale copy in the old generation is shadowed by this one and dropped with it.
    this.map.set(key, v);
  }
  /** Bounds the cache (between batches only): once the current generation holds half the
   * bound, it becomes the old one and the previous old one is dropped. */
  trim(): void {
    if (this.complete || this.map.size <= this.max / 2) return;
    const meta = this.map.get('meta');
    this.#old = this.map;
    this.map = new Map();
    if (meta !== undefined) this.map.set('meta', meta);
  }
}

export class Overlay implements RecordReader {
  /** key → record or null (deleted), in order of first change */
  readonly changes = new Map<string, unknown | null>();
  constructor(readonly base: RecordReader) {}

  peek(key: string): Peeked {
    const v = this.changes.get(key);
    return v !== undefined ? v : this.base.peek(key);
  }

  /** The record, or undefined when absent; throws NeedRecords when not loaded. */
  get<T>(key: string): T | undefined {
    const v = this.peek(key);
    if (v === undefined) throw new NeedRecords([key]);
    return v === null ? undefined : (v as T);
  }

  /** Like get, for a record that must exist (an impossible state otherwise). */
  must<T>(key: string): T {
    const v = this.get<T>(key);
    if (v === undefined) throw new Error(`ledger state: record ${key} is missing`);
    return v;
  }

  put(key: string, v: unknown | null): void {
    this.changes.set(key, v);
  }

  /** A copy of the record this overlay owns and may change in place. */
  edit<T>(key: string): T {
    const own = this.changes.get(key);
    if (own !== undefined && own !== null) return own as T;
    const v = cloneRecord(key, this.must<T>(key));
    this.changes.set(key, v);
    return v;
  }

  /** Moves this overlay's changes onto `to` (an event's onto its batch's). */
  mergeInto(to: Overlay, touched?: (key: string) => void): void {
    for (const [k, v] of this.changes) {
      to.changes.set(k, v);
      touched?.(k);
    }
    this.changes.clear();
  }
}
