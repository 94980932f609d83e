// The log service: the sequencer (group commit of validated, signature-checked events)
// and the consistent reads the API serves. DESIGN.md "The log", "Durability", "Posting".
//
// Writes: submit() validates each envelope (schema, clock skew) and checks its signature
// against the key its org holds right now, concurrently, outside the sequencer; the
// sequencer then takes everything queued (up to maxBatch events), judges the events in
// order with the state machine (each seeing those accepted before it), builds the
// entries, the new tree hashes and tiles, signs a checkpoint, and commits it all in one
// atomic, synced write. Only then does anyone get an answer.
//
// Reads never wait for a commit: they use the last committed head (size + checkpoint),
// taken synchronously, and read only what that head covers.
import { createHash, createHmac } from 'node:crypto';
import {
  formatCheckpoint,
  hex,
  inclusionProof,
  consistencyProof,
  leafHash,
  newTiles,
  openNote,
  parseCheckpoint,
  parseSignerKey,
  parseVerifierKey,
  readTileData,
  signNote,
  storedHashes,
  storedHashIndex,
  treeHash,
  equalBytes,
  type TileReader,
} from '@cotc/tlog';
import {
  canonicalBytes,
  LedgerState,
  NeedRecords,
  fundInfoFromRecord,
  orgInfoFromRecord,
  fundKey,
  orgKey,
  parseIJsonBytes,
  reject,
  signEvent,
  splitSig,
  validateEnvelope,
  type Effect,
  type Entry,
  type Envelope,
  type Rejection,
  type RecordSource,
  type UnsignedEvent,
} from '@cotc/ledger';
import { verifyStrictNode } from '../crypto/ed25519-node.ts';
import type { VerifyPool } from '../crypto/verify-pool.ts';
import type { CommitBatch, Head, LogStore, TileData } from '../storage/types.ts';
import { ServiceUnavailableError, StoreCorruptError } from '../storage/errors.ts';
// Re-exported: callers (src/http/app.ts, tests) import it from here.
export { ServiceUnavailableError } from '../storage/errors.ts';
import { CachedHashReader, OverlayHashReader } from './hashcache.ts';
import { isWeakPublicKey } from '@cotc/tlog';

export const MAX_FUTURE_MS = 5 * 60 * 1000;
const ZERO_HASH = '0'.repeat(64);
const LEAF_PREFIX = new Uint8Array([0]);

export interface Proof {
  index: number;
  size: number;
  hashes: string[];
}

export type Accepted = { status: 200 | 201; seq: number; leafHash: string; proof: Proof; checkpoint: string };
export type Failed = { status: number; error: { code: string; message: string } };
export type SubmitResult = Accepted | Failed;

/** The sequencer's queue is full (Tessera's pushback): nothing was taken; retry after
 * `retryAfter` seconds. HTTP answers 503 `unavailable` with a Retry-After header. */
export class QueueFullError extends ServiceUnavailableError {
  constructor(
    message: string,
    readonly retryAfter: number,
  ) {
    super(message);
    this.name = 'QueueFullError';
  }
}

/** Default bound on events admitted to the sequencer and not yet answered (being
 * validated, signature-checked, queued or in the batch being committed). */
export const MAX_QUEUE = 20_000;

interface Pending {
  event: Envelope;
  contentHash: string;
  /** key string → signature verdict, precomputed outside the sequencer */
  verdicts: Map<string, boolean>;
  signing: Uint8Array;
  signature: Uint8Array | null;
  resolve: (r: SubmitResult) => void;
}

export interface ServiceOptions {
  store: LogStore;
  /** log signer key string (its name is the checkpoint origin) */
  logKey: string;
  /** operator signer key string, used once, to write entry 0 of a new log */
  operatorKey?: string;
  maxBatch?: number;
  /** events admitted and not yet answered, at most (default MAX_QUEUE); a submission that
   * would pass it is refused whole with QueueFullError, unless nothing is admitted at all */
  maxQueue?: number;
  now?: () => Date;
  /** signature check; node:crypto by default (same answers as tlog's verifyStrict) */
  verify?: (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array) => boolean;
  /** verifies signatures on worker threads (recommended on a server) */
  pool?: VerifyPool;
  /** observes each commit (metrics) */
  onCommit?: (info: { entries: number; ms: number }) => void;
}

const sha256hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function toProof(index: number, size: number, hashes: Uint8Array[]): Proof {
  return { index, size, hashes: hashes.map(hex) };
}

function failed(r: Rejection): Failed {
  return { status: r.status, error: { code: r.code, message: r.message } };
}

export class LogService {
  readonly store: LogStore;
  readonly origin: string;
  readonly verifierKey: string;
  readonly #logKey: string;
  readonly #verify: (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array) => boolean;
  readonly #now: () => Date;
  readonly #maxBatch: number;
  readonly #maxQueue: number;
  /** events admitted by submitMany and not yet answered */
  #admitted = 0;
  readonly #onCommit?: ServiceOptions['onCommit'];
  readonly #pool?: VerifyPool;
  #state!: LedgerState;
  #head: Head = { size: 0, checkpoint: '' };
  /** What reads serve when a witness publisher is attached (src/log/publisher.ts): a
   * committed checkpoint with its cosignatures; null: the committed head. */
  #published: Head | null = null;
  #prev = ZERO_HASH;
  #hashes: CachedHashReader;
  #queue: Pending[] = [];
  #running = false;
  #broken: Error | null = null;
  #closed = false;
  #idle: Array<() => void> = [];

  private constructor(opts: ServiceOptions) {
    this.store = opts.store;
    this.#logKey = opts.logKey;
    const k = parseSignerKey(opts.logKey, 'logKey');
    this.origin = k.name;
    this.verifierKey = k.verifierKey;
    this.#verify = opts.verify ?? verifyStrictNode;
    this.#now = opts.now ?? (() => new Date());
    this.#maxBatch = opts.maxBatch ?? 1000;
    this.#maxQueue = opts.maxQueue ?? MAX_QUEUE;
    if (!Number.isSafeInteger(this.#maxQueue) || this.#maxQueue < 1) throw new TypeError(`maxQueue: expected a positive integer, got ${opts.maxQueue}`);
    this.#onCommit = opts.onCommit;
    this.#pool = opts.pool;
    const tiles: TileReader = { readTiles: (t) => this.store.readTiles(t) };
    this.#hashes = new CachedHashReader(tiles);
  }

  /** Opens the log on a store: checks the stored tree against the last checkpoint and
   * loads the state; on a new store, writes entry 0 (the operator's self-registration). */
  static async open(opts: ServiceOptions): Promise<LogService> {
    const s = new LogService(opts);
    await s.store.open();
    await s.#load();
    if (s.#head.size === 0) {
      if (!opts.operatorKey) throw new Error('operatorKey: a new log needs the operator key to write entry 0');
      await s.#genesis(opts.operatorKey);
    }
    return s;
  }

  /** The store's state records as the state machine reads them. */
  #source(): RecordSource {
    const store = this.store;
    return { getMany: (keys) => store.getStateRecords(keys), range: (prefix, limit, gte) => store.stateRange(prefix, limit, gte) };
  }

  static newState(): LedgerState {
    return new LedgerState({ isWeakKey: isWeakPublicKey });
  }

  async #load(): Promise<void> {
    const head = await this.store.head();
    this.#hashes.clear();
    if (!head) {
      this.#state = await LedgerState.open(this.#source(), { isWeakKey: isWeakPublicKey });
      if (this.#state.size !== 0) throw new StoreCorruptError(`a store with no head holds state at seq ${this.#state.size}`);
      this.#head = { size: 0, checkpoint: '' };
      this.#prev = ZERO_HASH;
      return;
    }
    // The checkpoint must be ours, and the stored tree must hash to its root.
    let cp;
    try {
      cp = parseCheckpoint(openNote(head.checkpoint, [this.verifierKey]).text);
    } catch (e) {
      throw new StoreCorruptError(`head checkpoint does not verify with the log key: ${(e as Error).message}`, head.size);
    }
    if (cp.origin !== this.origin || cp.size !== head.size) {
      throw new StoreCorruptError(`head checkpoint names ${cp.origin} size ${cp.size}, head says ${head.size}`, head.size);
    }
    const root = await treeHash(head.size, this.#hashes);
    if (!equalBytes(root, cp.root)) {
      throw new StoreCorruptError(`tree hashes do not match the last checkpoint's root at size ${head.size}`, head.size);
    }
    const [last] = await this.store.entries(head.size - 1, 1);
    if (!last) throw new StoreCorruptError(`entry ${head.size - 1} is missing`, head.size - 1);
    const lastLeaf = leafHash(last);
    const [stored] = await this.#hashes.readHashes([storedHashIndex(0, head.size - 1)]);
    if (!equalBytes(lastLeaf, stored!)) {
      throw new StoreCorruptError(`entry ${head.size - 1} does not hash to its leaf in the tree`, head.size - 1);
    }
    // The state stays in the store: read its meta record only (O(1) in the log's size; the
    // full comparison of every record is `cotc audit --data`).
    try {
      this.#state = await LedgerState.open(this.#source(), { isWeakKey: isWeakPublicKey });
    } catch (e) {
      throw new StoreCorruptError(`state records do not read back: ${(e as Error).message}`, head.size);
    }
    if (this.#state.size !== head.size) {
      throw new StoreCorruptError(`state is at seq ${this.#state.size}, the log at ${head.size}`, head.size);
    }
    this.#head = head;
    this.#prev = hex(lastLeaf);
  }

  async #genesis(operatorKey: string): Promise<void> {
    const op = parseSignerKey(operatorKey, 'operatorKey');
    const unsigned: UnsignedEvent<'org.register'> = {
      v: 1,
      type: 'org.register',
      id: `${op.name}.register`,
      org: op.name,
      time: this.#now().toISOString(),
      body: { org: op.name, name: 'Log operator', roles: ['operator'], keys: [op.verifierKey] },
    };
    const r = await this.submit(signEvent(unsigned, operatorKey));
    if (r.status !== 201) throw new Error(`entry 0 was refused: ${JSON.stringify(r)}`);
  }

  get size(): number {
    return this.#head.size;
  }
  /** The checkpoint reads serve (the published one when a publisher set it). */
  get checkpoint(): string {
    return this.head().checkpoint;
  }
  /** The state machine over the store's records (a bounded cache of them in memory).
   * Read-only use: while a batch is judged its reads see the batch's overlay, which is
   * adopted after the commit resolves and dropped if it fails. */
  get state(): LedgerState {
    return this.#state;
  }
  get broken(): Error | null {
    return this.#broken;
  }
  /** Events admitted to the sequencer and not yet answered (at most maxQueue, unless one
   * submission larger than that was admitted alone). */
  get queued(): number {
    return this.#admitted;
  }

  /** A MAC of `text` under a key derived from the log key (never the key itself): it
   * tells this log's own opaque cursors from forged or foreign ones. */
  mac(text: string): Uint8Array {
    this.#macKey ??= createHash('sha256').update('cotc-cursor-mac-v1\n').update(this.#logKey).digest();
    return new Uint8Array(createHmac('sha256', this.#macKey).update(text).digest());
  }
  #macKey?: Buffer;

  // ---- writes -------------------------------------------------------------------

  /** Submits one envelope (already parsed from I-JSON). Resolves once it is durably
   * appended, or with its rejection. */
  async submit(value: unknown): Promise<SubmitResult> {
    return (await this.submitMany([value]))[0]!;
  }

  /**
   * Submits envelopes that must be judged in this order (a posted array): each is
   * validated and its signature checked (on worker threads when a pool is given) against
   * the key its org holds now; then all enter the sequencer's queue together, in order.
   * The sequencer re-checks a signature only if the key it finds current differs.
   */
  async submitMany(values: readonly unknown[]): Promise<SubmitResult[]> {
    if (this.#closed) throw new ServiceUnavailableError('the log is closed');
    // A bounded queue (like Tessera's pushback): past maxQueue, refuse the whole submission
    // before any work, never build an unbounded backlog. A submission alone is always
    // admitted, so an array larger than the bound can still pass when the log is idle.
    if (this.#admitted > 0 && this.#admitted + values.length > this.#maxQueue) {
      throw new QueueFullError(`the sequencer's queue is full (${this.#admitted} events waiting, at most ${this.#maxQueue}); retry later`, 1);
    }
    this.#admitted += values.length;
    try {
      return await this.#submitMany(values);
    } finally {
      this.#admitted -= values.length;
    }
  }

  async #submitMany(values: readonly unknown[]): Promise<SubmitResult[]> {
    const results = new Array<SubmitResult | undefined>(values.length);
    const pending: Array<{ i: number; p: Pending }> = [];
    const checks: Promise<void>[] = [];
    const now = this.#now().getTime();
    values.forEach((value, i) => {
      const v = validateEnvelope(value);
      if (!v.ok) {
        results[i] = failed(v);
        return;
      }
      const event = v.event;
      if (Date.parse(event.time) - now > MAX_FUTURE_MS) {
        results[i] = failed(reject('schema', `/time: ${event.time} is more than 5 minutes ahead of the server clock`));
        return;
      }
      const { sig: _s, ...unsigned } = event;
      const signing = canonicalBytes(unsigned);
      const split = splitSig(event.sig);
      const p: Pending = {
        event,
        contentHash: sha256hex(canonicalBytes(event)),
        verdicts: new Map(),
        signing,
        signature: split?.signature ?? null,
        resolve: () => {},
      };
      const key = split ? this.#state.keyAt(event.org, hex(split.keyId), this.#state.size) : undefined;
      if (key && p.signature) {
        if (this.#pool) checks.push(this.#pool.verify(key.publicKey, signing, p.signature).then((ok) => void p.verdicts.set(key.key, ok)));
        else p.verdicts.set(key.key, this.#verify(key.publicKey, signing, p.signature));
      }
      pending.push({ i, p });
    });
    if (checks.length) await Promise.all(checks);
    if (this.#closed) throw new ServiceUnavailableError('the log is closed');
    const done = pending.map(
      ({ i, p }) =>
        new Promise<void>((resolve) => {
          p.resolve = (r) => {
            results[i] = r;
            resolve();
          };
          this.#queue.push(p);
        }),
    );
    if (pending.length) this.#kick();
    await Promise.all(done);
    return results as SubmitResult[];
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = true;
    queueMicrotask(() => void this.#loop());
  }

  async #loop(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        if (this.#broken) {
          // Re-read the store (a LevelStore reopens first); `broken` stays set, and /healthz
          // 503, until a batch commits.
          try {
            await this.#load();
          } catch (e) {
            this.#broken = e as Error;
            for (const p of batch) p.resolve(unavailable(e));
            continue;
          }
        }
        await this.#runBatch(batch);
      }
    } finally {
      this.#running = false;
      if (this.#queue.length > 0) this.#kick();
      else for (const f of this.#idle.splice(0)) f();
    }
  }

  /** Resolves when no batch is queued or running. */
  idle(): Promise<void> {
    if (!this.#running && this.#queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  async #runBatch(batch: Pending[]): Promise<void> {
    const t0 = performance.now();
    const fromSize = this.#head.size;
    const time = this.#now().toISOString();
    const entries: Uint8Array[] = [];
    const leaves: Uint8Array[] = [];
    const ids: Array<[string, number]> = [];
    const index: Array<[string, number]> = [];
    const donations: Array<[number, string]> = [];
    const results: Array<{ p: Pending; seq?: number; dupSeq?: number; fail?: Failed }> = [];
    let prev = this.#prev;
    try {
      // What the batch names, in one batched read (then what those records point at).
      await this.#state.prefetch(batch.map((p) => p.event));
    } catch (e) {
      // The store does not answer: nothing was judged; writes stay refused (and /healthz
      // says so) until the store is re-read.
      this.#state.drop();
      this.#broken = e as Error;
      for (const p of batch) p.resolve(unavailable(e));
      return;
    }
    for (const p of batch) {
      const seq = fromSize + entries.length;
      const ctx = {
        seq,
        contentHash: p.contentHash,
        verify: (pub: Uint8Array, keyString: string) => {
          const known = p.verdicts.get(keyString);
          if (known !== undefined) return known;
          const ok = p.signature !== null && this.#verify(pub, p.signing, p.signature);
          p.verdicts.set(keyString, ok);
          return ok;
        },
      };
      let r;
      for (;;) {
        try {
          r = this.#state.apply(p.event, ctx);
          break;
        } catch (e) {
          if (!(e instanceof NeedRecords)) throw e;
          // Evaluation reached past what is loaded (a take beyond the front window): load
          // it and judge this event again; the event's own overlay was discarded.
          try {
            await this.#state.load(e);
          } catch (e2) {
            this.#state.drop();
            this.#broken = e2 as Error;
            for (const x of results) x.p.resolve(x.fail ?? unavailable(e2));
            for (const q of batch.slice(batch.indexOf(p))) q.resolve(unavailable(e2));
            return;
          }
        }
      }
      if (!r.ok) {
        results.push({ p, fail: failed(r) });
        continue;
      }
      if ('duplicate' in r) {
        results.push({ p, dupSeq: r.duplicate.seq });
        continue;
      }
      const entry: Entry = { seq, prev, time, event: p.event, effects: r.effects as Effect[] };
      const bytes = canonicalBytes(entry);
      // RFC 9162 leaf hash, SHA-256(0x00 || entry), with node:crypto on the hot path.
      const leaf = new Uint8Array(createHash('sha256').update(LEAF_PREFIX).update(bytes).digest());
      prev = hex(leaf);
      entries.push(bytes);
      leaves.push(leaf);
      ids.push([p.event.id, seq]);
      for (const d of r.donations) index.push(['d:' + d, seq]);
      if (p.event.type === 'donation') donations.push([seq, p.event.id]);
      if (p.event.type === 'org.register' || p.event.type === 'org.keys') index.push(['o:' + p.event.body.org, seq]);
      results.push({ p, seq });
    }
    const state = this.#state.takeChanges();
    if (entries.length === 0) {
      if (state.length !== 0) throw new Error('sequencer: state changed by a batch that appended nothing');
      await this.#answer(results);
      return;
    }
    const toSize = fromSize + entries.length;
    let batchHashes: Uint8Array[] = [];
    let tiles: TileData[] = [];
    let head: Head;
    try {
      // New stored hashes, laid over the committed ones while the batch is in flight.
      const overlay = new OverlayHashReader(this.#hashes);
      for (let i = 0; i < leaves.length; i++) {
        const n = fromSize + i;
        const hs = await storedHashes(n, leaves[i]!, overlay);
        const at = storedHashIndex(0, n);
        hs.forEach((h, j) => overlay.added.set(at + j, h));
        batchHashes.push(...hs);
      }
      tiles = await Promise.all(newTiles(fromSize, toSize).map(async (t) => ({ l: t.l, n: t.n, data: await readTileData(t, overlay) })));
      const root = await treeHash(toSize, overlay);
      head = { size: toSize, checkpoint: signNote(formatCheckpoint({ origin: this.origin, size: toSize, root }), this.#logKey) };
    } catch (e) {
      // Nothing was written: roll the state machine back to the committed state.
      await this.#rollback(e);
      for (const x of results) x.p.resolve(x.fail ?? unavailable(e));
      return;
    }
    const commit: CommitBatch = { fromSize, entries, tiles, ids, traces: index, donations, state, head };
    try {
      await this.store.commit(commit);
    } catch (e) {
      // Failed: persisted or not? Ask the store. Until it answers, nothing is acknowledged.
      let persisted = false;
      try {
        const h = await this.store.head();
        persisted = h !== null && h.size === toSize && h.checkpoint === head.checkpoint;
        if (!persisted && (h?.size ?? 0) !== fromSize) throw new Error(`store head at ${h?.size} after a failed commit from ${fromSize}`);
      } catch (e2) {
        this.#broken = e2 as Error;
        for (const x of results) x.p.resolve(x.fail ?? unavailable(e));
        return;
      }
      if (!persisted) {
        await this.#rollback(e);
        // Writes stay refused (and /healthz says so) until a batch commits again: the next
        // batch first recovers (re-reads the store, which a LevelStore reopens first).
        this.#broken ??= e as Error;
        for (const x of results) x.p.resolve(x.fail ?? unavailable(e));
        return;
      }
    }
    // Durable: only now do the batch's records become the committed state.
    this.#state.adopt();
    this.#hashes.remember(storedHashIndex(0, fromSize), batchHashes);
    this.#broken = null;
    this.#head = head;
    this.#prev = prev;
    this.#onCommit?.({ entries: entries.length, ms: performance.now() - t0 });
    await this.#answer(results);
  }

  /** Nothing of the batch is durable: drop its overlay, so the state is the committed one
   * again (no reload), and ask the store whether it still answers. */
  async #rollback(cause: unknown): Promise<void> {
    this.#state.drop();
    try {
      await this.store.head();
      this.#broken = null;
    } catch (e) {
      this.#broken = e as Error;
      void cause;
    }
  }

  /** Re-reads the committed head and state after a failure; throws if the store still fails. */
  async recover(): Promise<void> {
    try {
      await this.#load();
      this.#broken = null;
    } catch (e) {
      this.#broken = e as Error;
      throw e;
    }
  }

  async #answer(results: Array<{ p: Pending; seq?: number; dupSeq?: number; fail?: Failed }>): Promise<void> {
    const size = this.#head.size;
    const checkpoint = this.#head.checkpoint;
    for (const x of results) {
      if (x.fail) {
        x.p.resolve(x.fail);
        continue;
      }
      const seq = (x.seq ?? x.dupSeq)!;
      try {
        const [leaf] = await this.#hashes.readHashes([storedHashIndex(0, seq)]);
        const proof = toProof(seq, size, await inclusionProof(seq, size, this.#hashes));
        x.p.resolve({ status: x.seq !== undefined ? 201 : 200, seq, leafHash: hex(leaf!), proof, checkpoint });
      } catch (e) {
        x.p.resolve(unavailable(e));
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.idle();
    await this.store.close();
  }

  // ---- reads ---------------------------------------------------------------------

  /** The head reads serve, read synchronously (a consistent snapshot): the published
   * (witnessed) one when a publisher set it, else the committed head. */
  head(): Head {
    return this.#published ?? this.#head;
  }

  /** The sequencer's latest committed head, whatever is published (the publisher reads it). */
  committedHead(): Head {
    return this.#head;
  }

  /** A reader's refresh (another process sequences: src/log/leader.ts): adopts the store's
   * committed head when it is newer than the one served, only after its checkpoint verifies
   * with the log key and the tree this store holds hashes to its root and holds its last
   * entry, so no read is ever served for a head whose tiles or entries the store (a
   * streaming replica, say) cannot give yet. The state is not reloaded (a reader judges
   * nothing; a process that takes over sequencing calls recover()). Never on a process that
   * sequences. True when the head moved. */
  async follow(): Promise<boolean> {
    const head = await this.store.head();
    if (!head || head.size <= this.#head.size) return false;
    let cp;
    try {
      cp = parseCheckpoint(openNote(head.checkpoint, [this.verifierKey]).text);
    } catch (e) {
      throw new StoreCorruptError(`head checkpoint does not verify with the log key: ${(e as Error).message}`, head.size);
    }
    if (cp.origin !== this.origin || cp.size !== head.size) {
      throw new StoreCorruptError(`head checkpoint names ${cp.origin} size ${cp.size}, head says ${head.size}`, head.size);
    }
    const root = await treeHash(head.size, this.#hashes);
    if (!equalBytes(root, cp.root)) throw new StoreCorruptError(`tree hashes do not match the checkpoint's root at size ${head.size}`, head.size);
    const [last] = await this.store.entries(head.size - 1, 1);
    if (!last) throw new StoreCorruptError(`entry ${head.size - 1} is missing`, head.size - 1);
    // Another call may have adopted a newer head meanwhile: never go back.
    if (head.size <= this.#head.size) return false;
    this.#head = head;
    this.#prev = hex(leafHash(last));
    return true;
  }

  /** Makes reads serve `h` (a committed size's checkpoint, cosigned by witnesses), or the
   * committed head again (null). Reads then prove against h.size: every answer's proofs
   * are against the checkpoint it carries. */
  setPublished(h: Head | null): void {
    if (h !== null && (!Number.isSafeInteger(h.size) || h.size < 1 || h.size > this.#head.size || typeof h.checkpoint !== 'string')) {
      throw new RangeError(`setPublished: size ${h?.size} is not a committed size (head ${this.#head.size})`);
    }
    this.#published = h;
  }

  async proveInclusion(index: number, size: number): Promise<Proof> {
    return toProof(index, size, await inclusionProof(index, size, this.#hashes));
  }

  async proveConsistency(from: number, to: number): Promise<Proof> {
    const hs = await consistencyProof(from, to, this.#hashes);
    return { index: 0, size: to, hashes: hs.map(hex) } as Proof;
  }

  async leafHashAt(seq: number): Promise<string> {
    const [h] = await this.#hashes.readHashes([storedHashIndex(0, seq)]);
    return hex(h!);
  }

  async entries(start: number, count: number): Promise<Uint8Array[]> {
    const size = this.#head.size;
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

function unavailable(e: unknown): Failed {
  return { status: 503, error: { code: 'unavailable', message: `the log could not commit: ${(e as Error)?.message ?? e}` } };
}

export { parseVerifierKey };
