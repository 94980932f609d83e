// A LogStore wrapper that injects the two failures every backend can have (after
// Sunlight/Tessera's fakes): a commit that fails and was not persisted, and one that
// fails although it was persisted (the write landed but the acknowledgement was lost).
// Also a store whose every call fails (the disk is gone) until healed.
import type { CommitBatch, LogStore } from './types.ts';

export type Fault = 'fail-not-persisted' | 'fail-persisted' | 'down';

export class FaultyStore implements LogStore {
  #faults: Fault[] = [];
  #down = false;
  commits = 0;

  constructor(readonly inner: LogStore) {}

  /** Queues a fault for the next commit ('down': every call fails until heal()). */
  inject(f: Fault): void {
    if (f === 'down') this.#down = true;
    else this.#faults.push(f);
  }
  heal(): void {
    this.#down = false;
  }

  #check() {
    if (this.#down) throw new Error('injected: store unavailable (EIO)');
  }

  async open() {
    return this.inner.open();
  }
  async close() {
    return this.inner.close();
  }
  async head() {
    this.#check();
    return this.inner.head();
  }
  async entries(s: number, c: number) {
    this.#check();
    return this.inner.entries(s, c);
  }
  async readTiles(t: readonly { l: number; n: number }[]) {
    this.#check();
    return this.inner.readTiles(t);
  }
  async seqOf(id: string) {
    this.#check();
    return this.inner.seqOf(id);
  }
  async traceSeqs(d: string, l: number, a?: number) {
    this.#check();
    return this.inner.traceSeqs(d, l, a);
  }
  async recentDonations(l: number, b?: number) {
    this.#check();
    return this.inner.recentDonations(l, b);
  }
  async stateRecord(k: string) {
    this.#check();
    return this.inner.stateRecord(k);
  }
  async getStateRecords(k: readonly string[]) {
    this.#check();
    return this.inner.getStateRecords(k);
  }
  async stateRange(p: string, l: number, g?: string) {
    this.#check();
    return this.inner.stateRange(p, l, g);
  }
  stateRecords() {
    this.#check();
    return this.inner.stateRecords();
  }
  async checkpointAt(n: number) {
    this.#check();
    return this.inner.checkpointAt(n);
  }
  async commit(b: CommitBatch) {
    this.#check();
    this.commits++;
    const f = this.#faults.shift();
    if (f === 'fail-not-persisted') throw new Error('injected: commit failed, not persisted');
    await this.inner.commit(b);
    if (f === 'fail-persisted') throw new Error('injected: commit failed after persisting');
  }
}
