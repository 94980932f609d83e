// A LogStore wrapper that injects the failures every backend can have (after
// Sunlight/Tessera's fakes): a commit that fails and was not persisted, one that fails in
// the middle of the backend's own commit (the batch's state records throw half-way
// through as the backend reads them: the backend must leave nothing of the batch), and
// one that fails although it was persisted (the write landed but the acknowledgement was
// lost). Also a store whose every call fails (the disk is gone) until healed. The
// conformance suite (test/storage/conformance.ts) runs each against every backend.
import type { CommitBatch, LogStore } from './types.ts';

export type Fault = 'fail-not-persisted' | 'fail-midway' | 'fail-persisted' | 'down';

/** The error a 'fail-midway' batch throws when the backend reads past its middle. */
export class MidwayFault extends Error {
  constructor(index: number) {
    super(`injected: commit failed midway (reading state record ${index} of the batch)`);
    this.name = 'MidwayFault';
  }
}

/** The batch with its state records throwing from the middle on (a Proxy: whatever way the
 * backend reads them, by index, iterator, map or JSON). At least one record throws. */
function midway(b: CommitBatch): CommitBatch {
  const cut = Math.floor(b.state.length / 2);
  const state = new Proxy(b.state, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && /^[0-9]+$/.test(prop) && Number(prop) >= cut && Number(prop) < target.length) throw new MidwayFault(Number(prop));
      return Reflect.get(target, prop, receiver);
    },
  });
  return { ...b, state };
}

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
    if (f === 'fail-midway') {
      if (b.state.length === 0) throw new TypeError('fail-midway: the batch has no state records to fail in');
      await this.inner.commit(midway(b));
      // The backend committed without reading all of the batch: it dropped writes.
      throw new Error('fail-midway: the backend committed a batch without reading all of its state records');
    }
    await this.inner.commit(b);
    if (f === 'fail-persisted') throw new Error('injected: commit failed after persisting');
  }
}
