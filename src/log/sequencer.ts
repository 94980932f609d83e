// The sequencer: a bounded queue of validated, signature-checked events, group-committed in
// batches (DESIGN.md "The log", "Durability", "Posting").
//
// submitMany() validates each envelope (schema, clock skew), serialises it once
// (encode.ts) and checks its signature against the key its org holds right now,
// concurrently, outside the sequencer. The sequencer then takes what is queued (up to
// maxBatch events) and judges the events in order with the state machine on a
// copy-on-write overlay of the committed state (each event seeing those accepted before
// it); builds the entries, integrates their leaf hashes into the tree (one pure call,
// packages/tlog integrate.ts), signs a checkpoint, and commits it all in one atomic, synced
// write. Only after the commit resolves is the overlay adopted, and only then does anyone
// get an answer: its inclusion proof is built at answer time from the cached tiles
// (tilecache.ts), not inside the batch. A failed commit drops the overlay (no reload).
//
// Nothing of a batch but what the answers need (a resolve, a seq, a leaf hash) lives
// through the fsync: the batch's events, entry bytes and records are let go once the store
// has taken them.
import { hash } from 'node:crypto';
import {
  edgeTiles,
  emptyMapRoot,
  equalBytes,
  formatCheckpoint,
  integrate,
  mapNodesFromRecords,
  MapPageCache,
  openNote,
  parseCheckpoint,
  parseSignerKey,
  readMapRoot,
  signNote,
  treeHash,
  updateMap,
  isWeakPublicKey,
  type MapRoot,
  type TileBytes,
} from '@cotc/tlog';
import {
  LedgerState,
  MAX_CLOCK_AHEAD_MS,
  NeedRecords,
  mapChangesOf,
  reject,
  signEvent,
  splitSig,
  validateEnvelope,
  type Effect,
  type Envelope,
  type Rejection,
  type RecordSource,
  type UnsignedEvent,
} from '@cotc/ledger';
import { verifyStrictNode } from '../crypto/ed25519-node.ts';
import type { VerifyPool } from '../crypto/verify-pool.ts';
import type { CommitBatch, Head, LogStore } from '../storage/types.ts';
import { ServiceUnavailableError, StoreCorruptError } from '../storage/errors.ts';
import { entryText, eventText } from './encode.ts';
import { sha256, type TileCache } from './tilecache.ts';

const ZERO_HASH = '0'.repeat(64);

export interface Proof {
  index: number;
  size: number;
  hashes: string[];
}

export type Accepted = { status: 200 | 201; seq: number; leafHash: string; proof: Proof; checkpoint: string };
export type Failed = { status: number; error: { code: string; message: string } };
export type SubmitResult = Accepted | Failed;
/** An acknowledgement without its inclusion proof (submitMany with `proofs: false`: an
 * in-process caller that does not ask for one, e.g. scripts/make-log.ts). */
export type Acked = Omit<Accepted, 'proof'>;
export interface SubmitOptions {
  /** build each acknowledgement's inclusion proof (default true; HTTP answers carry one) */
  proofs?: boolean;
}

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
  /** canonical JSON of the event (encode.ts), embedded as is in its entry */
  text: string;
  contentHash: string;
  /** key string → signature verdict, precomputed outside the sequencer */
  verdicts: Map<string, boolean>;
  signing: Uint8Array;
  signature: Uint8Array | null;
  proof: boolean;
  resolve: (r: SubmitResult) => void;
}

/** What an answer needs, all that outlives the judging of a batch. */
interface Answer {
  resolve: (r: SubmitResult) => void;
  proof: boolean;
  fail?: Failed;
  seq?: number;
  dupSeq?: number;
  leaf?: string;
}

export interface SequencerOptions {
  store: LogStore;
  /** the log's tiles, shared with the reader */
  tiles: TileCache;
  /** log signer key string (its name is the checkpoint origin) */
  logKey: string;
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

function failed(r: Rejection): Failed {
  return { status: r.status, error: { code: r.code, message: r.message } };
}

function unavailable(e: unknown): Failed {
  return { status: 503, error: { code: 'unavailable', message: `the log could not commit: ${(e as Error)?.message ?? e}` } };
}

const LEAF_PREFIX = '\0';

export class Sequencer {
  readonly store: LogStore;
  readonly origin: string;
  readonly verifierKey: string;
  readonly #logKey: string;
  readonly #tiles: TileCache;
  readonly #verify: (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array) => boolean;
  readonly #now: () => Date;
  readonly #maxBatch: number;
  readonly #maxQueue: number;
  /** events admitted by submitMany and not yet answered */
  #admitted = 0;
  readonly #onCommit?: SequencerOptions['onCommit'];
  readonly #pool?: VerifyPool;
  #state!: LedgerState;
  #head: Head = { size: 0, checkpoint: '' };
  #prev = ZERO_HASH;
  /** the state map's committed root (docs/wire-format-2.md §6, §10): version = head size */
  #map: MapRoot = emptyMapRoot();
  /** decoded map pages read from the store (immutable, so never stale) */
  readonly #mapPages = new MapPageCache();
  /** the size after the last committed org.register/org.keys (the head size at load) */
  #orgsChanged = 0;
  #queue: Pending[] = [];
  #running = false;
  #broken: Error | null = null;
  #closed = false;
  #idle: Array<() => void> = [];

  constructor(opts: SequencerOptions) {
    this.store = opts.store;
    this.#tiles = opts.tiles;
    this.#logKey = opts.logKey;
    const k = parseSignerKey(opts.logKey, 'logKey');
    this.origin = k.name;
    this.verifierKey = k.verifierKey;
    this.#verify = opts.verify ?? verifyStrictNode;
    this.#now = opts.now ?? (() => new Date());
    this.#maxBatch = opts.maxBatch ?? 1000;
    this.#maxQueue = opts.maxQueue ?? MAX_QUEUE;
    if (!Number.isSafeInteger(this.#maxQueue) || this.#maxQueue < 1) throw new TypeError(`maxQueue: expected a positive integer, got ${opts.maxQueue}`);
    if (!Number.isSafeInteger(this.#maxBatch) || this.#maxBatch < 1) throw new TypeError(`maxBatch: expected a positive integer, got ${opts.maxBatch}`);
    this.#onCommit = opts.onCommit;
    this.#pool = opts.pool;
  }

  get head(): Head {
    return this.#head;
  }
  get state(): LedgerState {
    return this.#state;
  }
  /** Every org.register and org.keys entry of the log is below this size (as far as this
   * process knows: at load, the head's size): an org's key index read at any size at or
   * above it is the same at every committed size (the signer lookups of bundle.ts). */
  get orgsChangedBelow(): number {
    return this.#orgsChanged;
  }
  /** The state map's root at the head (docs/wire-format-2.md §10). */
  get mapRoot(): MapRoot {
    return this.#map;
  }
  get mapPages(): MapPageCache {
    return this.#mapPages;
  }
  get broken(): Error | null {
    return this.#broken;
  }
  get queued(): number {
    return this.#admitted;
  }
  get closed(): boolean {
    return this.#closed;
  }

  /** The store's state records as the state machine reads them. */
  #source(): RecordSource {
    const store = this.store;
    return { getMany: (keys) => store.getStateRecords(keys), range: (prefix, limit, gte) => store.stateRange(prefix, limit, gte) };
  }

  /** Reads the committed head and checks it, O(1) in the log's size: the checkpoint is
   * ours, the stored tiles hash to its root, the last entry hashes to its leaf, the state
   * is at the same size. The full check is `cotc audit --data`. */
  async load(): Promise<void> {
    const head = await this.store.head();
    this.#tiles.clear();
    if (!head) {
      this.#state = await LedgerState.open(this.#source(), { isWeakKey: isWeakPublicKey });
      if (this.#state.size !== 0) throw new StoreCorruptError(`a store with no head holds state at seq ${this.#state.size}`);
      this.#head = { size: 0, checkpoint: '' };
      this.#prev = ZERO_HASH;
      this.#map = emptyMapRoot();
      this.#orgsChanged = 0;
      return;
    }
    const lastLeaf = await this.#checkHead(head);
    try {
      this.#state = await LedgerState.open(this.#source(), { isWeakKey: isWeakPublicKey });
    } catch (e) {
      throw new StoreCorruptError(`state records do not read back: ${(e as Error).message}`, head.size);
    }
    if (this.#state.size !== head.size) {
      throw new StoreCorruptError(`state is at seq ${this.#state.size}, the log at ${head.size}`, head.size);
    }
    let map;
    try {
      map = await readMapRoot(mapNodesFromRecords(this.store), head.size);
    } catch (e) {
      throw new StoreCorruptError(`the state map's root at size ${head.size} does not read back: ${(e as Error).message}`, head.size);
    }
    if (!map) throw new StoreCorruptError(`the state map has no root at size ${head.size}`, head.size);
    this.#map = map;
    this.#head = head;
    this.#prev = lastLeaf;
    this.#orgsChanged = head.size;
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
    const lastLeaf = await this.#checkHead(head);
    // Another call may have adopted a newer head meanwhile: never go back.
    if (head.size <= this.#head.size) return false;
    this.#head = head;
    this.#prev = lastLeaf;
    return true;
  }

  /** The head check of load() and follow(), O(1) in the log's size: the checkpoint verifies
   * with the log key and names this log and the head's size, the tree the store's tiles
   * hold hashes to its root, and the last entry is stored and hashes to the tree's last
   * leaf. Returns that leaf hash (hex); throws StoreCorruptError naming the failed check. */
  async #checkHead(head: Head): Promise<string> {
    let cp;
    try {
      cp = parseCheckpoint(openNote(head.checkpoint, [this.verifierKey]).text);
    } catch (e) {
      throw new StoreCorruptError(`head checkpoint does not verify with the log key: ${(e as Error).message}`, head.size);
    }
    if (cp.origin !== this.origin || cp.size !== head.size) {
      throw new StoreCorruptError(`head checkpoint names ${cp.origin} size ${cp.size}, head says ${head.size}`, head.size);
    }
    const root = await treeHash(head.size, this.#tiles);
    if (!equalBytes(root, cp.root)) {
      throw new StoreCorruptError(`tree hashes do not match the checkpoint's root at size ${head.size}`, head.size);
    }
    const [last] = await this.store.entries(head.size - 1, 1);
    if (!last) throw new StoreCorruptError(`entry ${head.size - 1} is missing`, head.size - 1);
    const lastLeaf = hash('sha256', Buffer.concat([Buffer.from(LEAF_PREFIX), last]), 'hex');
    if (lastLeaf !== (await this.#tiles.leafHex(head.size - 1))) {
      throw new StoreCorruptError(`entry ${head.size - 1} does not hash to its leaf in the tree`, head.size - 1);
    }
    return lastLeaf;
  }

  /** Writes entry 0 of a new log: the operator's self-registration. */
  async genesis(operatorKey: string): Promise<void> {
    const op = parseSignerKey(operatorKey, 'operatorKey');
    const unsigned: UnsignedEvent<'org.register'> = {
      v: 1,
      type: 'org.register',
      id: `${op.name}.register`,
      org: op.name,
      time: this.#now().toISOString(),
      body: { org: op.name, name: 'Log operator', roles: ['operator'], keys: [op.verifierKey] },
    };
    const [r] = await this.submitMany([signEvent(unsigned, operatorKey)]);
    if (r!.status !== 201) throw new Error(`entry 0 was refused: ${JSON.stringify(r)}`);
  }

  /** Re-reads the committed head and state after a failure; throws if the store still fails. */
  async recover(): Promise<void> {
    try {
      await this.load();
      this.#broken = null;
    } catch (e) {
      this.#broken = e as Error;
      throw e;
    }
  }

  /**
   * Submits envelopes that must be judged in this order (a posted array): each is
   * validated and its signature checked (on worker threads when a pool is given) against
   * the key its org holds now; then all enter the sequencer's queue together, in order.
   * The sequencer re-checks a signature only if the key it finds current differs.
   */
  async submitMany(values: readonly unknown[], opts: SubmitOptions = {}): Promise<SubmitResult[]> {
    if (this.#closed) throw new ServiceUnavailableError('the log is closed');
    // A bounded queue (like Tessera's pushback): past maxQueue, refuse the whole submission
    // before any work, never build an unbounded backlog. A submission alone is always
    // admitted, so an array larger than the bound can still pass when the log is idle.
    if (this.#admitted > 0 && this.#admitted + values.length > this.#maxQueue) {
      throw new QueueFullError(`the sequencer's queue is full (${this.#admitted} events waiting, at most ${this.#maxQueue}); retry later`, 1);
    }
    this.#admitted += values.length;
    try {
      return await this.#submitMany(values, opts.proofs !== false);
    } finally {
      this.#admitted -= values.length;
    }
  }

  async #submitMany(values: readonly unknown[], proof: boolean): Promise<SubmitResult[]> {
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
      if (Date.parse(event.time) - now > MAX_CLOCK_AHEAD_MS) {
        results[i] = failed(reject('schema', `/time: ${event.time} is more than ${MAX_CLOCK_AHEAD_MS / 60_000} minutes ahead of the server clock`));
        return;
      }
      const text = eventText(event);
      const signing = Buffer.from(text.signing, 'utf8');
      const split = splitSig(event.sig);
      const p: Pending = {
        event,
        text: text.event,
        contentHash: hash('sha256', text.event, 'hex'),
        verdicts: new Map(),
        signing,
        signature: split?.signature ?? null,
        proof,
        resolve: () => {},
      };
      const key = split ? this.#state.keyAt(event.org, Buffer.from(split.keyId).toString('hex'), this.#state.size) : undefined;
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
        if (this.#broken) {
          // Re-read the store (a LevelStore reopens first); `broken` stays set, and /healthz
          // 503, until a batch commits.
          try {
            await this.load();
          } catch (e) {
            this.#broken = e as Error;
            for (const p of this.#queue.splice(0, this.#maxBatch)) p.resolve(unavailable(e));
            continue;
          }
        }
        // The batch array is #runBatch's alone: it empties it once judged.
        await this.#runBatch(this.#queue.splice(0, this.#maxBatch));
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
    let edge: TileBytes[];
    try {
      // What the batch names, in one batched read (then what those records point at), and
      // the tree's right-edge tiles (cached after the first batch).
      [, edge] = await Promise.all([this.#state.prefetch(batch.map((p) => p.event)), this.#tiles.tiles(edgeTiles(fromSize))]);
    } catch (e) {
      // The store does not answer: nothing was judged; writes stay refused (and /healthz
      // says so) until the store is re-read.
      this.#state.drop();
      this.#broken = e as Error;
      for (const p of batch) p.resolve(unavailable(e));
      return;
    }
    const answers: Answer[] = [];
    const judged = await this.#judge(batch, fromSize, answers);
    batch.length = 0;
    if (!judged) return;
    const { entries, leaves, ids, traces, donations, prev, orgsChanged } = judged;
    if (entries.length === 0) {
      if (this.#state.takeChanges().length !== 0) throw new Error('sequencer: state changed by a batch that appended nothing');
      await this.#answer(answers);
      return;
    }
    const toSize = fromSize + entries.length;
    let head: Head;
    let tiles: TileBytes[];
    let state: Array<[string, string | null]>;
    let map: MapRoot;
    try {
      // The state map, once per batch (docs/wire-format-2.md §6, §10): the batch's record
      // changes as map records, applied to the committed root as version toSize; its pages
      // and root go into the same atomic commit as the records they hash.
      await this.#state.finish();
      state = this.#state.takeChanges();
      const update = await updateMap(mapNodesFromRecords(this.store), this.#map, toSize, mapChangesOf(state, (k) => this.#state.committedRecord(k)), { cache: this.#mapPages });
      map = update.root;
      for (const w of update.writes) state.push(w);
    } catch (e) {
      // A read failed (or the state is not what the map holds): nothing was written.
      await this.#rollback(e);
      this.#broken ??= e as Error;
      for (const x of answers) x.resolve(x.fail ?? unavailable(e));
      return;
    }
    try {
      const t = integrate(fromSize, edge, leaves, { sha256 });
      tiles = t.tiles;
      head = { size: toSize, checkpoint: signNote(formatCheckpoint({ origin: this.origin, size: toSize, root: t.root }), this.#logKey) };
    } catch (e) {
      // Nothing was written: roll the state machine back to the committed state.
      await this.#rollback(e);
      for (const x of answers) x.resolve(x.fail ?? unavailable(e));
      return;
    }
    // The store takes the batch's bytes synchronously; nothing here keeps them after.
    const committing = this.#commit({ fromSize, entries, tiles, ids, traces, donations, state, head });
    judged.entries = judged.leaves = judged.ids = judged.traces = judged.donations = [];
    try {
      await committing;
    } catch (e) {
      // Failed: persisted or not? Ask the store. Until it answers, nothing is acknowledged.
      let persisted = false;
      try {
        const h = await this.store.head();
        persisted = h !== null && h.size === toSize && h.checkpoint === head.checkpoint;
        if (!persisted && (h?.size ?? 0) !== fromSize) throw new Error(`store head at ${h?.size} after a failed commit from ${fromSize}`);
      } catch (e2) {
        this.#broken = e2 as Error;
        for (const x of answers) x.resolve(x.fail ?? unavailable(e));
        return;
      }
      if (!persisted) {
        await this.#rollback(e);
        // Writes stay refused (and /healthz says so) until a batch commits again: the next
        // batch first recovers (re-reads the store, which a LevelStore reopens first).
        this.#broken ??= e as Error;
        for (const x of answers) x.resolve(x.fail ?? unavailable(e));
        return;
      }
    }
    // Durable: only now do the batch's records become the committed state.
    this.#state.adopt();
    this.#tiles.put(tiles);
    this.#broken = null;
    this.#head = head;
    this.#prev = prev;
    this.#map = map;
    if (orgsChanged > 0) this.#orgsChanged = orgsChanged;
    this.#onCommit?.({ entries: toSize - fromSize, ms: performance.now() - t0 });
    await this.#answer(answers);
  }

  #commit(b: CommitBatch): Promise<void> {
    return this.store.commit(b);
  }

  /** Judges the batch in order on the state's overlay and builds its entries; false when the
   * store failed meanwhile (every event then answered 503). */
  async #judge(batch: Pending[], fromSize: number, answers: Answer[]) {
    const timeJson = JSON.stringify(this.#now().toISOString());
    const entries: Uint8Array[] = [];
    const leaves: Uint8Array[] = [];
    const ids: Array<[string, number]> = [];
    const traces: Array<[string, number]> = [];
    const donations: Array<[number, string]> = [];
    let prev = this.#prev;
    let orgsChanged = 0;
    for (let b = 0; b < batch.length; b++) {
      const p = batch[b]!;
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
            for (const x of answers) x.resolve(x.fail ?? unavailable(e2));
            for (const q of batch.slice(b)) q.resolve(unavailable(e2));
            return false;
          }
        }
      }
      if (!r.ok) {
        answers.push({ resolve: p.resolve, proof: false, fail: failed(r) });
        continue;
      }
      if ('duplicate' in r) {
        answers.push({ resolve: p.resolve, proof: p.proof, dupSeq: r.duplicate.seq });
        continue;
      }
      // One UTF-8 encoding of the entry, behind the RFC 9162 leaf prefix 0x00: the leaf hash
      // is SHA-256 of the whole, the stored entry the bytes after the prefix.
      const bytes = Buffer.from(LEAF_PREFIX + entryText(seq, prev, timeJson, p.text, r.effects as Effect[]), 'utf8');
      const leaf = hash('sha256', bytes, 'buffer');
      prev = leaf.toString('hex');
      // A plain Uint8Array over the bytes (a Buffer's slice() would share, not copy, them).
      entries.push(new Uint8Array(bytes.buffer, bytes.byteOffset + 1, bytes.length - 1));
      leaves.push(leaf);
      ids.push([p.event.id, seq]);
      for (const d of r.donations) traces.push(['d:' + d, seq]);
      if (p.event.type === 'donation') donations.push([seq, p.event.id]);
      if (p.event.type === 'org.register' || p.event.type === 'org.keys') {
        traces.push(['o:' + p.event.body.org, seq]);
        orgsChanged = seq + 1;
      }
      answers.push({ resolve: p.resolve, proof: p.proof, seq, leaf: prev });
    }
    return { entries, leaves, ids, traces, donations, prev, orgsChanged };
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

  /** Answers a committed batch: each accepted event's inclusion proof against the new head,
   * from the cached tiles (one prover: the batch's proofs share the right edge). */
  async #answer(answers: Answer[]): Promise<void> {
    const { size, checkpoint } = this.#head;
    const prover = this.#tiles.prover(size);
    for (const x of answers) {
      if (x.fail) {
        x.resolve(x.fail);
        continue;
      }
      const seq = (x.seq ?? x.dupSeq)!;
      try {
        const status = x.seq !== undefined ? 201 : 200;
        const leafHash = x.leaf ?? (await this.#tiles.leafHex(seq));
        if (!x.proof) {
          x.resolve({ status, seq, leafHash, checkpoint } as Acked as SubmitResult);
          continue;
        }
        const hashes = await this.#tiles.inclusion(seq, size, prover);
        x.resolve({ status, seq, leafHash, proof: { index: seq, size, hashes }, checkpoint });
      } catch (e) {
        x.resolve(unavailable(e));
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.idle();
  }
}
