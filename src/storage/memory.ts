// In-memory LogStore for tests: the same contract as level.ts (types.ts), nothing durable.
import { checkBatch, type CommitBatch, type Head, type LogStore } from './types.ts';

export class MemoryStore implements LogStore {
  #head: Head | null = null;
  #entries: Uint8Array[] = [];
  #tiles = new Map<string, Uint8Array>();
  #ids = new Map<string, number>();
  #traces = new Map<string, number[]>();
  #donations: Array<[number, string]> = [];
  #state = new Map<string, string>();
  #checkpoints = new Map<number, string>();

  async open() {}
  async close() {}
  async head() {
    return this.#head;
  }
  async entries(start: number, count: number) {
    return this.#entries.slice(start, start + count);
  }
  async readTiles(tiles: readonly { l: number; n: number }[]) {
    return tiles.map((t) => this.#tiles.get(`${t.l}/${t.n}`));
  }
  async seqOf(id: string) {
    return this.#ids.get(id);
  }
  async traceSeqs(donation: string, limit: number, after = -1) {
    const l = this.#traces.get(donation) ?? [];
    let lo = 0;
    let hi = l.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (l[mid]! <= after) lo = mid + 1;
      else hi = mid;
    }
    return l.slice(lo, lo + limit);
  }
  async recentDonations(limit: number, before = Infinity) {
    const out: Array<[number, string]> = [];
    for (let i = this.#donations.length - 1; i >= 0 && out.length < limit; i--) {
      if (this.#donations[i]![0] < before) out.push(this.#donations[i]!);
    }
    return out;
  }
  async stateRecord(key: string) {
    return this.#state.get(key);
  }
  async getStateRecords(keys: readonly string[]) {
    return keys.map((k) => this.#state.get(k));
  }
  async stateRange(prefix: string, limit: number, gte = prefix) {
    const from = gte < prefix ? prefix : gte;
    const out: Array<[string, string]> = [];
    // Tests only: a sort per call is fine (the key order is UTF-16 order here, equal to
    // UTF-8 byte order for the ASCII keys the codec writes).
    for (const k of [...this.#state.keys()].sort()) {
      if (out.length >= limit) break;
      if (k >= from && k.startsWith(prefix)) out.push([k, this.#state.get(k)!]);
    }
    return out;
  }
  async *stateRecords(): AsyncIterable<[string, string]> {
    yield* [...this.#state.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  }
  async checkpointAt(size: number) {
    return this.#checkpoints.get(size);
  }
  async commit(b: CommitBatch) {
    checkBatch(b, this.#head?.size ?? 0);
    // Read all of the batch before changing anything, as a transaction would: a batch that
    // throws while it is read (FaultyStore 'fail-midway') leaves the store as it was.
    const entries = b.entries.map((e) => e.slice());
    const tiles = b.tiles.map((t) => [`${t.l}/${t.n}`, t.data.slice()] as const);
    const ids = [...b.ids];
    const traces = [...b.traces];
    const donations = [...b.donations];
    const state = [...b.state];
    const head = { ...b.head };
    this.#entries.push(...entries);
    for (const [k, data] of tiles) this.#tiles.set(k, data);
    for (const [id, seq] of ids) this.#ids.set(id, seq);
    for (const [d, seq] of traces) {
      const l = this.#traces.get(d) ?? [];
      l.push(seq);
      this.#traces.set(d, l);
    }
    this.#donations.push(...donations);
    for (const [k, v] of state) {
      if (v === null) this.#state.delete(k);
      else this.#state.set(k, v);
    }
    this.#checkpoints.set(head.size, head.checkpoint);
    this.#head = head;
  }
}
