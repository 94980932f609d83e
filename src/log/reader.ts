// The log's reads (DESIGN.md "Reading"): the head, proofs, entries by seq and by id, funds
// and organisations as committed. Reads never wait for a commit: they take the head
// synchronously (the published one when a witness publisher set it, src/log/publisher.ts)
// and read only what that head covers. Tree hashes come from whole cached tiles
// (tilecache.ts), shared with the sequencer, which adds each batch's tiles after commit.
import { consistencyProof } from '@cotc/tlog';
import { fundInfoFromRecord, orgInfoFromRecord, fundKey, orgKey, parseIJsonBytes, type Entry } from '@cotc/ledger';
import type { Head, LogStore } from '../storage/types.ts';
import { StoreCorruptError } from '../storage/errors.ts';
import type { Proof } from './sequencer.ts';
import type { TileCache } from './tilecache.ts';

export class LogReader {
  /** What reads serve when a witness publisher is attached: a committed checkpoint with
   * its cosignatures; null: the committed head. */
  #published: Head | null = null;

  constructor(
    readonly store: LogStore,
    private readonly tiles: TileCache,
    /** the sequencer's latest committed head */
    readonly committedHead: () => Head,
  ) {}

  /** The head reads serve, read synchronously (a consistent snapshot). */
  head(): Head {
    return this.#published ?? this.committedHead();
  }

  /** Makes reads serve `h` (a committed size's checkpoint, cosigned by witnesses), or the
   * committed head again (null). Reads then prove against h.size: every answer's proofs
   * are against the checkpoint it carries. */
  setPublished(h: Head | null): void {
    const committed = this.committedHead().size;
    if (h !== null && (!Number.isSafeInteger(h.size) || h.size < 1 || h.size > committed || typeof h.checkpoint !== 'string')) {
      throw new RangeError(`setPublished: size ${h?.size} is not a committed size (head ${committed})`);
    }
    this.#published = h;
  }

  async proveInclusion(index: number, size: number): Promise<Proof> {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`size: expected a tree size, got ${size}`);
    return { index, size, hashes: await this.tiles.inclusion(index, size) };
  }

  async proveConsistency(from: number, to: number): Promise<Proof> {
    const hs = await consistencyProof(from, to, this.tiles);
    return { index: 0, size: to, hashes: hs.map((h) => Buffer.from(h).toString('hex')) };
  }

  leafHashAt(seq: number): Promise<string> {
    return this.tiles.leafHex(seq);
  }

  async entries(start: number, count: number): Promise<Uint8Array[]> {
    const size = this.committedHead().size;
    if (start >= size) return [];
    return this.store.entries(start, Math.min(count, size - start));
  }

  async entryOf(id: string): Promise<{ seq: number; data: Uint8Array } | undefined> {
    const seq = await this.store.seqOf(id);
    if (seq === undefined) return undefined;
    const [data] = await this.store.entries(seq, 1);
    if (!data) throw new StoreCorruptError(`event ${id} indexed at ${seq} but the entry is missing`, seq);
    return { seq, data };
  }

  /** A fund as committed (read from the store, never from a batch in flight). */
  async fund(id: string) {
    const r = await this.store.stateRecord(fundKey(id));
    if (r === undefined) return undefined;
    const f = fundInfoFromRecord(id, r);
    return { ...f, balance: { currency: f.currency, value: f.balance } };
  }

  /** An organisation as committed, with every key it ever held and when. */
  async org(id: string) {
    const r = await this.store.stateRecord(orgKey(id));
    return r === undefined ? undefined : orgInfoFromRecord(id, r);
  }

  /** Parses stored entry bytes (trusted: they were canonical when written). */
  static parseEntry(data: Uint8Array): Entry {
    return parseIJsonBytes(data) as Entry;
  }
}
