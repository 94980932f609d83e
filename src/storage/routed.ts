// One LogStore over two databases (issue 14 §2, `serve --store-read postgres://replica`):
// commits always go to the primary; reads go to the streaming replica while this process
// is a reader, to the primary while it sequences (its own new head is on the primary
// first). Every read of one call goes to one side, and a reader takes its head from the
// side it reads (LogService.follow), so it never serves a head whose entries, tiles or
// state the side it reads from does not hold.
import type { CommitBatch, Head, LogStore } from './types.ts';

export class RoutedStore implements LogStore {
  #reads: LogStore;

  constructor(
    readonly primary: LogStore,
    readonly replica: LogStore,
  ) {
    this.#reads = replica;
  }

  /** Which side reads go to now. */
  get readsFrom(): 'primary' | 'replica' {
    return this.#reads === this.primary ? 'primary' : 'replica';
  }

  /** Reads from the primary (a process about to sequence) or the replica (a reader). */
  route(to: 'primary' | 'replica'): void {
    this.#reads = to === 'primary' ? this.primary : this.replica;
  }

  async open() {
    await this.primary.open();
    await this.replica.open();
  }
  async close() {
    await Promise.allSettled([this.primary.close(), this.replica.close()]);
  }
  head(): Promise<Head | null> {
    return this.#reads.head();
  }
  entries(start: number, count: number) {
    return this.#reads.entries(start, count);
  }
  readTiles(tiles: readonly { l: number; n: number }[]) {
    return this.#reads.readTiles(tiles);
  }
  seqOf(id: string) {
    return this.#reads.seqOf(id);
  }
  traceSeqs(donation: string, limit: number, after?: number) {
    return this.#reads.traceSeqs(donation, limit, after);
  }
  recentDonations(limit: number, before?: number) {
    return this.#reads.recentDonations(limit, before);
  }
  stateRecord(key: string) {
    return this.#reads.stateRecord(key);
  }
  getStateRecords(keys: readonly string[]) {
    return this.#reads.getStateRecords(keys);
  }
  stateRange(prefix: string, limit: number, gte?: string) {
    return this.#reads.stateRange(prefix, limit, gte);
  }
  stateRecords() {
    return this.#reads.stateRecords();
  }
  checkpointAt(size: number) {
    return this.#reads.checkpointAt(size);
  }
  commit(b: CommitBatch) {
    return this.primary.commit(b);
  }
}
