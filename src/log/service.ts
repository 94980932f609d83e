// The log service: a thin facade over the sequencer (sequencer.ts: bounded queue, batch,
// judge on the overlay, commit, recover) and the reader (reader.ts: head, proofs, entries,
// funds, organisations), which share the store and the cached tiles (tilecache.ts).
// DESIGN.md "The log", "Durability", "Posting", "Reading".
import { createHash, createHmac } from 'node:crypto';
import { parseVerifierKey, isWeakPublicKey } from '@cotc/tlog';
import { LedgerState, type Entry } from '@cotc/ledger';
import type { Head, LogStore } from '../storage/types.ts';
import { LogReader } from './reader.ts';
import { Sequencer, type Acked, type Failed, type SequencerOptions, type SubmitOptions, type Proof, type SubmitResult } from './sequencer.ts';
import { TileCache } from './tilecache.ts';

// Re-exported: callers (src/http/app.ts, tests, scripts) import them from here.
export { ServiceUnavailableError } from '../storage/errors.ts';
export { MAX_QUEUE, QueueFullError, type Accepted, type Acked, type Failed, type Proof, type SubmitOptions, type SubmitResult } from './sequencer.ts';

export interface ServiceOptions extends Omit<SequencerOptions, 'tiles'> {
  /** operator signer key string, used once, to write entry 0 of a new log */
  operatorKey?: string;
  /** tree tiles kept in memory (default 2048, 8 KiB each when full) */
  maxTiles?: number;
}

export class LogService {
  readonly store: LogStore;
  readonly origin: string;
  readonly verifierKey: string;
  readonly #logKey: string;
  readonly #seq: Sequencer;
  readonly #reader: LogReader;

  private constructor(opts: ServiceOptions) {
    this.store = opts.store;
    this.#logKey = opts.logKey;
    const tiles = new TileCache({ readTiles: (t) => this.store.readTiles(t) }, opts.maxTiles);
    this.#seq = new Sequencer({ ...opts, tiles });
    this.#reader = new LogReader(opts.store, tiles, () => this.#seq.head);
    this.origin = this.#seq.origin;
    this.verifierKey = this.#seq.verifierKey;
  }

  /** Opens the log on a store: checks the stored tree against the last checkpoint (O(1) in
   * the log's size); on a new store, writes entry 0 (the operator's self-registration). */
  static async open(opts: ServiceOptions): Promise<LogService> {
    const s = new LogService(opts);
    await s.store.open();
    await s.#seq.load();
    if (s.#seq.head.size === 0) {
      if (!opts.operatorKey) throw new Error('operatorKey: a new log needs the operator key to write entry 0');
      await s.#seq.genesis(opts.operatorKey);
    }
    return s;
  }

  static newState(): LedgerState {
    return new LedgerState({ isWeakKey: isWeakPublicKey });
  }

  get size(): number {
    return this.#seq.head.size;
  }
  /** The checkpoint reads serve (the published one when a publisher set it). */
  get checkpoint(): string {
    return this.head().checkpoint;
  }
  /** The state machine over the store's records (a bounded cache of them in memory).
   * Read-only use: while a batch is judged its reads see the batch's overlay, which is
   * adopted after the commit resolves and dropped if it fails. */
  get state(): LedgerState {
    return this.#seq.state;
  }
  /** Every org.register/org.keys entry is below this size (see Sequencer.orgsChangedBelow). */
  get orgsChangedBelow(): number {
    return this.#seq.orgsChangedBelow;
  }
  get broken(): Error | null {
    return this.#seq.broken;
  }
  /** Events admitted to the sequencer and not yet answered (at most maxQueue, unless one
   * submission larger than that was admitted alone). */
  get queued(): number {
    return this.#seq.queued;
  }

  /** A MAC of `text` under a key derived from the log key (never the key itself): it
   * tells this log's own opaque cursors from forged or foreign ones. */
  mac(text: string): Uint8Array {
    this.#macKey ??= createHash('sha256').update('cotc-cursor-mac-v1\n').update(this.#logKey).digest();
    return new Uint8Array(createHmac('sha256', this.#macKey).update(text).digest());
  }
  #macKey?: Buffer;

  // ---- writes (sequencer.ts) ------------------------------------------------------

  /** Submits one envelope (already parsed from I-JSON). Resolves once it is durably
   * appended, or with its rejection. */
  async submit(value: unknown): Promise<SubmitResult> {
    return (await this.#seq.submitMany([value]))[0]!;
  }

  /** Submits envelopes to be judged in this order (a posted array); see Sequencer. With
   * `proofs: false` the acknowledgements carry no inclusion proof (nothing builds one). */
  submitMany(values: readonly unknown[]): Promise<SubmitResult[]>;
  submitMany(values: readonly unknown[], opts: { proofs: false }): Promise<Array<Acked | Failed>>;
  submitMany(values: readonly unknown[], opts?: SubmitOptions): Promise<SubmitResult[]>;
  submitMany(values: readonly unknown[], opts?: SubmitOptions): Promise<Array<SubmitResult | Acked>> {
    return this.#seq.submitMany(values, opts);
  }

  /** Resolves when no batch is queued or running. */
  idle(): Promise<void> {
    return this.#seq.idle();
  }

  /** Re-reads the committed head and state after a failure; throws if the store still fails. */
  recover(): Promise<void> {
    return this.#seq.recover();
  }

  async close(): Promise<void> {
    await this.#seq.close();
    await this.store.close();
  }

  // ---- reads (reader.ts) ----------------------------------------------------------

  head(): Head {
    return this.#reader.head();
  }
  committedHead(): Head {
    return this.#seq.head;
  }
  /** A reader's refresh of the head another process commits (see Sequencer.follow). */
  follow(): Promise<boolean> {
    return this.#seq.follow();
  }
  setPublished(h: Head | null): void {
    this.#reader.setPublished(h);
  }
  proveInclusion(index: number, size: number): Promise<Proof> {
    return this.#reader.proveInclusion(index, size);
  }
  proveConsistency(from: number, to: number): Promise<Proof> {
    return this.#reader.proveConsistency(from, to);
  }
  leafHashAt(seq: number): Promise<string> {
    return this.#reader.leafHashAt(seq);
  }
  entries(start: number, count: number): Promise<Uint8Array[]> {
    return this.#reader.entries(start, count);
  }
  entryOf(id: string): Promise<{ seq: number; data: Uint8Array } | undefined> {
    return this.#reader.entryOf(id);
  }
  fund(id: string) {
    return this.#reader.fund(id);
  }
  org(id: string) {
    return this.#reader.org(id);
  }

  /** Parses stored entry bytes (trusted: they were canonical when written). */
  static parseEntry(data: Uint8Array): Entry {
    return LogReader.parseEntry(data);
  }
}

export { parseVerifierKey };
