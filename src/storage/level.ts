// LogStore on embedded LevelDB (`level`, classic-level underneath). Key layout, format
// version 2 (keys UTF-8, values raw bytes unless noted; seq and sizes as 16 lowercase hex
// digits so the byte order is the numeric order):
//   m             format marker {"format":"cotc-level","version":2}      (JSON)
//   h             head {"size", "checkpoint"}                            (JSON)
//   e/<seq>       entry bytes (the Merkle leaf data)
//   t/<l>/<n>     C2SP tile: the latest version (partial tiles are rewritten until full)
//   i/<id>        seq of an event id                                     (decimal)
//   x/<key>/<seq> a posting list's seqs written by one batch, <seq> the last of them
//                 (16 hex digits per seq, ascending): one record per key per batch
//   d/<seq>       up to 64 donations of one batch, <seq> the first one's: lines
//                 "<seq> <donation id>" (seq 16 hex digits), ascending
//   s/<key>       state machine record                                   (JSON)
//   c/<size>      every published checkpoint, by size                    (UTF-8)
// Version 2 (issue 10) folds the postings (x/, d/), which version 1 wrote one record per
// (key, seq) and per donation: 7.6 records per entry became about 4, and LevelDB's batch
// encoding was a third of the sequencer's thread. A version 1 store is refused at open.
//
// A commit is one db.batch with {sync: true}: LevelDB writes it to its log as one record
// and fsyncs before returning, so it is all there after a crash or not at all.
//
// After a failed commit the database handle is never written to again: it is closed and
// reopened first. A failed write (ENOSPC, EIO) can leave a torn record in LevelDB's log
// while the handle goes on accepting (and syncing) later writes behind it; on the next
// open LevelDB drops the torn record AND everything after it, so acknowledged batches
// would vanish at restart (test/faults/disk-full.test.ts shows it: hundreds lost). A
// reopen replays the log up to the torn record, writes what it holds to a table and
// starts a new log, so the store then says truthfully what is durable. When the reopen
// itself fails (the disk is still full), every call fails fast with ServiceUnavailableError
// and the reopen is retried at most once per REOPEN_RETRY_MS, by the next call.
import { Level } from 'level';
import { checkBatch, type CommitBatch, type Head, type LogStore } from './types.ts';
import { ServiceUnavailableError, StoreCorruptError } from './errors.ts';
import { verifyLevelFiles } from './level-verify.ts';

/** The least time between two attempts to reopen a store whose reopen failed. */
export const REOPEN_RETRY_MS = 500;

const hex16 = (n: number) => n.toString(16).padStart(16, '0');
/** The store format this code reads and writes (see the top of this file). */
export const LEVEL_FORMAT = 2;
/** donations per d/ record at most */
const DONATION_CHUNK = 64;

function parseSeqs(v: Uint8Array, key: string): number[] {
  const s = dec.decode(v);
  if (s.length === 0 || s.length % 16 !== 0) throw new StoreCorruptError(`posting record ${key} is malformed`);
  const out = new Array<number>(s.length / 16);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(16 * i, 16 * i + 16), 16);
  return out;
}
const dec = new TextDecoder('utf-8', { fatal: true });
const enc = new TextEncoder();

export class LevelStore implements LogStore {
  readonly db: Level<string, Uint8Array>;
  #size = 0;
  /** set by a failed commit: the handle must be reopened before it is used again */
  #failed: Error | null = null;
  #reopening: Promise<void> | null = null;
  #lastReopen = 0;
  /** calls in flight (a reopen waits for them) */
  #active = 0;
  #drained: (() => void) | null = null;
  #closed = false;

  /** Check every LevelDB file's CRCs at open (level-verify.ts: ~6 s/GiB, proportional to
   * the store): `serve --verify-store` and `audit --data` ask for it; a plain start-up is
   * O(1) in the log's size and leaves it to LevelDB's own checks on what it reads. */
  readonly verifyFiles: boolean;

  constructor(
    readonly path: string,
    opts: { verifyFiles?: boolean } = {},
  ) {
    if (typeof path !== 'string' || path === '') throw new TypeError('path: expected a directory path');
    this.verifyFiles = opts.verifyFiles ?? false;
    this.db = new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' });
    // abstract-level opens a new database by itself, one microtask after construction. Cancel
    // that (a close() before any open touches no file): only open() opens, after the file
    // checks. Otherwise LevelDB opens a store the checks just refused, drops its damaged log
    // records, rewrites it, and the next start finds it "sound" (test/faults/corrupt.test.ts).
    void this.db.close().catch(() => {});
  }

  /** Opens the store; with verifyFiles, after checking its files (CURRENT, MANIFEST and log
   * record CRCs, every table block's CRC: see level-verify.ts); a failing file is named,
   * never served. */
  async open() {
    this.#closed = false;
    if (this.verifyFiles) verifyLevelFiles(this.path);
    try {
      await this.db.open();
    } catch (e) {
      const cause = ((e as { cause?: Error }).cause ?? e) as Error & { code?: string };
      const msg = `${this.path}: LevelDB could not open the store: ${cause.message}`;
      throw cause.code === 'LEVEL_CORRUPTION' || /corrupt/i.test(cause.message) ? new StoreCorruptError(msg) : new Error(msg, { cause: e });
    }
    await this.#init();
  }

  /** Runs a call on a sound handle: waits for a reopen in progress, or starts one. */
  async #use<T>(f: () => Promise<T>): Promise<T> {
    while (this.#failed || this.#reopening) {
      if (this.#reopening) {
        await this.#reopening.catch(() => {});
        continue;
      }
      if (this.#closed) break;
      if (Date.now() - this.#lastReopen < REOPEN_RETRY_MS) {
        throw new ServiceUnavailableError(`the store is unavailable (${this.#failed!.message}); it is reopened when it can be`);
      }
      await this.#reopen().catch(() => {});
    }
    this.#active++;
    try {
      return await f();
    } finally {
      if (--this.#active === 0) this.#drained?.();
    }
  }

  /** Closes and reopens the handle after a failed commit (see the top of this file). */
  #reopen(): Promise<void> {
    this.#reopening ??= (async () => {
      this.#lastReopen = Date.now();
      try {
        while (this.#active > 0) await new Promise<void>((r) => (this.#drained = r));
        this.#drained = null;
        await this.db.close().catch(() => {});
        await this.db.open();
        await this.#init();
        this.#failed = null;
      } catch (e) {
        this.#failed = e as Error;
        throw e;
      } finally {
        this.#lastReopen = Date.now();
        this.#reopening = null;
      }
    })();
    return this.#reopening;
  }

  async #init() {
    const m = await this.db.get('m');
    if (m === undefined) {
      const h = await this.db.get('h');
      if (h !== undefined) throw new StoreCorruptError('store has a head but no format marker');
      await this.db.put('m', enc.encode(JSON.stringify({ format: 'cotc-level', version: LEVEL_FORMAT })), { sync: true } as never);
    } else {
      const meta = JSON.parse(dec.decode(m));
      if (meta.format === 'cotc-level' && meta.version === 1) {
        throw new StoreCorruptError(`${this.path}: store format version 1 (one record per posting); this code reads version ${LEVEL_FORMAT} (issue 10): rebuild the log into a new data directory from its entries`);
      }
      if (meta.format !== 'cotc-level' || meta.version !== LEVEL_FORMAT) {
        throw new StoreCorruptError(`unknown store format ${dec.decode(m)}`);
      }
    }
    this.#size = (await this.#head())?.size ?? 0;
  }

  async close() {
    this.#closed = true;
    await this.#reopening?.catch(() => {});
    await this.db.close();
  }

  head(): Promise<Head | null> {
    return this.#use(() => this.#head());
  }

  async #head(): Promise<Head | null> {
    const v = await this.db.get('h');
    if (v === undefined) return null;
    let h: Head;
    try {
      h = JSON.parse(dec.decode(v));
    } catch {
      throw new StoreCorruptError('head record is not JSON');
    }
    if (!Number.isSafeInteger(h.size) || h.size < 0 || typeof h.checkpoint !== 'string') {
      throw new StoreCorruptError('head record is malformed');
    }
    return h;
  }

  entries(start: number, count: number): Promise<Uint8Array[]> {
    return this.#use(async () => {
      const out: Uint8Array[] = [];
      if (count <= 0) return out;
      if (count <= 16) {
        // A few entries (a proof or a trace read): point reads are ~10x cheaper than an
        // iterator here. Stop at the first missing one (types.ts), as the iterator does.
        const keys = Array.from({ length: count }, (_, i) => 'e/' + hex16(start + i));
        for (const v of await this.db.getMany(keys)) {
          if (v === undefined) break;
          out.push(v);
        }
        return out;
      }
      // Stop at the first missing one (types.ts: the answer is a prefix of the range, never
      // a run with a gap closed up, which would hand out entry k+1 as entry k).
      for await (const [k, v] of this.db.iterator({ gte: 'e/' + hex16(start), lt: 'e/' + hex16(start + count) })) {
        if (k !== 'e/' + hex16(start + out.length)) break;
        out.push(v);
      }
      return out;
    });
  }

  readTiles(tiles: readonly { l: number; n: number }[]) {
    return this.#use(async () => (tiles.length === 0 ? [] : this.db.getMany(tiles.map((t) => `t/${t.l}/${hex16(t.n)}`))));
  }

  seqOf(id: string) {
    return this.#use(async () => {
      const v = await this.db.get('i/' + id);
      return v === undefined ? undefined : Number(dec.decode(v));
    });
  }

  traceSeqs(donation: string, limit: number, after?: number) {
    return this.#use(async () => {
      const out: number[] = [];
      if (limit <= 0) return out;
      const prefix = `x/${donation}/`;
      // Each record is keyed by its last seq: those keyed above `after` hold every seq above it.
      const range = after === undefined || after < 0 ? { gte: prefix } : { gt: prefix + hex16(after) };
      for await (const [k, v] of this.db.iterator({ ...range, lt: prefix + '\xff', limit })) {
        for (const seq of parseSeqs(v, k)) {
          if (after !== undefined && seq <= after) continue;
          out.push(seq);
          if (out.length === limit) return out;
        }
      }
      return out;
    });
  }

  recentDonations(limit: number, before?: number) {
    return this.#use(async () => {
      const out: Array<[number, string]> = [];
      if (limit <= 0) return out;
      // Each record is keyed by its first seq: those keyed below `before` hold every donation below it.
      const opts = { gte: 'd/', lt: before === undefined ? 'd0' : 'd/' + hex16(before), reverse: true };
      for await (const [k, v] of this.db.iterator(opts)) {
        const lines = dec.decode(v).split('\n');
        for (let i = lines.length - 1; i >= 0; i--) {
          const line = lines[i]!;
          if (line.length < 18 || line[16] !== ' ') throw new StoreCorruptError(`donation list record ${k} is malformed`);
          const seq = parseInt(line.slice(0, 16), 16);
          if (before !== undefined && seq >= before) continue;
          out.push([seq, line.slice(17)]);
          if (out.length === limit) return out;
        }
      }
      return out;
    });
  }

  stateRecord(key: string) {
    return this.#use(async () => {
      const v = await this.db.get('s/' + key);
      return v === undefined ? undefined : dec.decode(v);
    });
  }

  getStateRecords(keys: readonly string[]) {
    return this.#use(async () => {
      if (keys.length === 0) return [];
      const vs = await this.db.getMany(keys.map((k) => 's/' + k));
      return vs.map((v) => (v === undefined ? undefined : dec.decode(v)));
    });
  }

  stateRange(prefix: string, limit: number, gte = prefix) {
    return this.#use(async () => {
      const out: Array<[string, string]> = [];
      if (limit <= 0) return out;
      const from = 's/' + (gte < prefix ? prefix : gte);
      // '\uffff' sorts after every ASCII continuation of the prefix (the codec's keys are ASCII).
      for await (const [k, v] of this.db.iterator({ gte: from, lt: 's/' + prefix + '\uffff', limit })) out.push([k.slice(2), dec.decode(v)]);
      return out;
    });
  }

  async *stateRecords(): AsyncIterable<[string, string]> {
    // Read in pages, each page one call (a reopen never closes an iterator under a reader).
    let after: string | undefined;
    while (true) {
      const page = await this.#use(async () => {
        const out: Array<[string, string]> = [];
        const range = after === undefined ? { gte: 's/', lt: 's0', limit: 1000 } : { gt: after, lt: 's0', limit: 1000 };
        for await (const [k, v] of this.db.iterator(range)) out.push([k, dec.decode(v)]);
        return out;
      });
      for (const [k, v] of page) yield [k.slice(2), v];
      if (page.length < 1000) return;
      after = page[page.length - 1]![0];
    }
  }

  checkpointAt(size: number) {
    return this.#use(async () => {
      const v = await this.db.get('c/' + hex16(size));
      return v === undefined ? undefined : dec.decode(v);
    });
  }

  async commit(b: CommitBatch) {
    const size = b.head.size;
    await this.#use(() => {
      checkBatch(b, this.#size);
      // Built and handed to LevelDB in one synchronous step (classic-level copies every key
      // and value into its WriteBatch before the write runs), so nothing of the batch is
      // held while the write and its fsync run.
      return this.#write(b).catch((e) => {
        // Never write behind a failed write: reopen first (this call is counted, so the
        // reopen runs once it returns; the caller's next call waits for it).
        this.#failed = e as Error;
        this.#lastReopen = 0;
        throw e;
      });
    });
    this.#size = size;
  }

  /** The batch's records (see the top of this file), written with one synced LevelDB batch
   * through classic-level's own batch call: abstract-level's public batch() clones and
   * re-validates every operation (15% of the sequencer's thread at 7.6 records an entry,
   * issue 10); these keys are strings and the values strings or bytes, which is exactly what
   * the binding takes. */
  #write(b: CommitBatch): Promise<void> {
    const ops: Array<{ type: 'put'; key: string; value: Uint8Array | string } | { type: 'del'; key: string }> = [];
    for (let i = 0; i < b.entries.length; i++) ops.push({ type: 'put', key: 'e/' + hex16(b.fromSize + i), value: b.entries[i]! });
    for (const t of b.tiles) ops.push({ type: 'put', key: `t/${t.l}/${hex16(t.n)}`, value: t.data });
    for (const [id, seq] of b.ids) ops.push({ type: 'put', key: 'i/' + id, value: String(seq) });
    // One record per posting key: its seqs, ascending, keyed by the last.
    const postings = new Map<string, { seqs: string; last: number }>();
    for (const [d, seq] of b.traces) {
      const p = postings.get(d);
      if (!p) postings.set(d, { seqs: hex16(seq), last: seq });
      else if (seq > p.last) {
        p.seqs += hex16(seq);
        p.last = seq;
      } else if (seq !== p.last) throw new Error(`storage: postings of ${d} out of order (${seq} after ${p.last})`);
    }
    for (const [d, p] of postings) ops.push({ type: 'put', key: `x/${d}/${hex16(p.last)}`, value: p.seqs });
    for (let i = 0; i < b.donations.length; i += DONATION_CHUNK) {
      const chunk = b.donations.slice(i, i + DONATION_CHUNK);
      ops.push({ type: 'put', key: 'd/' + hex16(chunk[0]![0]), value: chunk.map(([seq, d]) => hex16(seq) + ' ' + d).join('\n') });
    }
    for (const [k, v] of b.state) ops.push(v === null ? { type: 'del', key: 's/' + k } : { type: 'put', key: 's/' + k, value: v });
    ops.push({ type: 'put', key: 'c/' + hex16(b.head.size), value: b.head.checkpoint });
    ops.push({ type: 'put', key: 'h', value: JSON.stringify(b.head) });
    const db = this.db as unknown as { status: string; _batch(ops: unknown[], opts: { sync: boolean }): Promise<void> };
    if (db.status !== 'open') return Promise.reject(new ServiceUnavailableError(`the store is ${db.status}`));
    return db._batch(ops, { sync: true });
  }
}
