// The auditor's replay with the ledger state on disk (issue 10): the same state machine the
// sequencer runs (packages/ledger/src/state/), over the auditor's own LevelDB
// (saved-state.ts), judged a page at a time as the sequencer judges a batch: the records a
// page names are prefetched in one batched read, each event is applied to the page's
// overlay (loading what evaluation asks for and judging it again), and the page's changes
// are written with the replay's progress in one LevelDB batch, then adopted. Memory is the
// state machine's bounded cache, a page, and the O(log n) tree frontier.
//
// Per entry (DESIGN.md "Entries"; the checks and their names are packages/ledger's
// Replayer's): the one-pass checks of entry-check.ts, then the state machine (key current
// at that seq, the rules), then the effects it recomputes against the logged ones; only
// then does the entry join the chain and the tree. Signatures are checked on worker
// threads (VerifyPool) while the page is judged: the state machine is told "valid" at
// once, and the page is committed only after every one of its signatures is known good,
// so a bad signature stops the replay at its seq and nothing after it is kept.
import { LedgerState, NeedRecords, canonicalize, splitSig, type Envelope, type ReplayProblem } from '@cotc/ledger';
import { hex, isWeakPublicKey } from '@cotc/tlog';
import { verifyStrictNode } from '../crypto/ed25519-node.ts';
import type { VerifyPool } from '../crypto/verify-pool.ts';
import { checkEntry, effectsMatch, loggedEffects, type CheckedEntry } from './entry-check.ts';
import { Frontier } from './frontier.ts';
import type { SavedProgress, SavedState, VerifiedCheckpoint } from './saved-state.ts';

const ZERO = '0'.repeat(64);

/** What the replay tells its watcher of each accepted entry (audit.ts OperatorKeyWatch). */
export interface EntryWatch {
  seeEvent(seq: number, event: Envelope): void;
  readonly found: ReadonlyArray<{ seq: number }>;
  snapshot(): SavedProgress['watch'];
}

export interface DiskReplayOptions {
  signatures: boolean;
  /** worker threads for signatures; null verifies inline (node:crypto) */
  pool: VerifyPool | null;
  watch: EntryWatch;
  /** decoded records kept in memory between pages (StoreStateOptions.cacheRecords) */
  cacheRecords?: number;
}

export class DiskReplay {
  readonly #saved: SavedState;
  readonly #state: LedgerState;
  readonly #o: DiskReplayOptions;
  #frontier: Frontier;
  #prev: string;
  #size: number;
  #problem: ReplayProblem | null = null;
  #seenSize: number;
  #verified: VerifiedCheckpoint[];
  /** how many of watch.found are on disk */
  #foundSaved: number;

  private constructor(saved: SavedState, state: LedgerState, o: DiskReplayOptions) {
    this.#saved = saved;
    this.#state = state;
    this.#o = o;
    const p = saved.progress;
    this.#frontier = p ? Frontier.fromJSON(p.frontier) : new Frontier();
    this.#prev = p?.prev ?? ZERO;
    this.#size = p?.size ?? 0;
    this.#seenSize = p?.seenSize ?? 0;
    this.#verified = p?.verified ?? [];
    this.#foundSaved = o.watch.found.length;
  }

  /** A replay continuing from the saved state's progress (from entry 0 for a new one).
   * Throws when the saved records do not match the saved progress. */
  static async open(saved: SavedState, o: DiskReplayOptions): Promise<DiskReplay> {
    const state = await LedgerState.open(saved.source, { isWeakKey: isWeakPublicKey, cacheRecords: o.cacheRecords ?? 100_000 });
    const r = new DiskReplay(saved, state, o);
    const p = saved.progress;
    if (p) {
      if (state.size !== p.size) throw new Error(`the saved state records are of ${state.size} entries, its progress says ${p.size}`);
      if (hex(r.#frontier.root()) !== p.root) throw new Error('the saved tree frontier does not give the saved root');
    }
    return r;
  }

  get size(): number {
    return this.#size;
  }
  get prev(): string {
    return this.#prev;
  }
  get problem(): ReplayProblem | null {
    return this.#problem;
  }
  root(): Uint8Array {
    return this.#frontier.root();
  }

  /** Replays the next entries (seq = this.size on); the first problem stops it. What was
   * replayed before the page that holds the problem stays saved. */
  async push(page: readonly Uint8Array[]): Promise<ReplayProblem | null> {
    if (this.#problem) return this.#problem;
    const start = this.#size;
    const checked: CheckedEntry[] = [];
    let problem: ReplayProblem | null = null;
    let prev = this.#prev;
    for (let i = 0; i < page.length; i++) {
      const c = checkEntry(page[i]!, start + i, prev);
      if (!('leaf' in c)) {
        problem = c;
        break;
      }
      checked.push(c);
      prev = c.leafHex;
    }
    const state = this.#state;
    const frontier = this.#frontier.clone();
    /** by seq: an event judged again after a load asks for its signature again */
    const sigs = new Map<number, Promise<{ seq: number; ok: boolean; id: string }>>();
    let accepted = 0;
    try {
      await state.prefetch(checked.map((c) => c.event));
      for (const c of checked) {
        let p = this.#apply(c, page[c.seq - start]!, sigs);
        // Evaluation reached past what is loaded (a take beyond the front window): load it
        // and judge the event again, as the sequencer does (src/log/service.ts).
        while (p instanceof NeedRecords) {
          await state.load(p);
          p = this.#apply(c, page[c.seq - start]!, sigs);
        }
        if (p) {
          problem = p;
          break;
        }
        this.#o.watch.seeEvent(c.seq, c.event);
        frontier.append(c.leaf);
        accepted++;
      }
      // A bad signature before the first other problem is the first problem; so is one of
      // the entry that has it, unless its bytes were not canonical (checked before the
      // state machine, which checks the signature before the rest).
      for (const s of await Promise.all(sigs.values())) {
        if (!s.ok && (problem === null || s.seq < problem.seq || (s.seq === problem.seq && problem.check !== 'encoding'))) {
          problem = { seq: s.seq, check: 'signature', message: `signature of ${s.id} does not verify` };
          break;
        }
      }
      if (problem) {
        state.drop();
        this.#problem = problem;
        // Entries before it were good; the tree and chain say how far (nothing is saved).
        this.#size = problem.seq;
        return problem;
      }
      // The live/<donation> records (docs/wire-format-2.md §10), as the sequencer derives them.
      await state.finish();
      const changes = state.takeChanges();
      this.#frontier = frontier;
      this.#prev = checked.length ? checked[checked.length - 1]!.leafHex : this.#prev;
      this.#size = start + accepted;
      await this.#save(changes, false);
      state.adopt();
      return null;
    } catch (e) {
      state.drop();
      throw e;
    }
  }

  /** Judges and applies one checked entry: a problem, null, or the records to load first. */
  #apply(c: CheckedEntry, data: Uint8Array, sigs: Map<number, Promise<{ seq: number; ok: boolean; id: string }>>): ReplayProblem | NeedRecords | null {
    const ev = c.event;
    let sigFailure: string | null = null;
    const pool = this.#o.pool;
    const ctx = {
      seq: c.seq,
      contentHash: c.contentHash,
      verify: (pub: Uint8Array) => {
        if (!this.#o.signatures) return true;
        const s = splitSig(ev.sig);
        if (s === null) {
          sigFailure = `signature of ${ev.id} does not verify`;
          return false;
        }
        if (pool) {
          if (!sigs.has(c.seq)) sigs.set(c.seq, pool.verify(pub, c.signing, s.signature).then((ok) => ({ seq: c.seq, ok, id: ev.id })));
          return true;
        }
        const ok = verifyStrictNode(pub, c.signing, s.signature);
        if (!ok) sigFailure = `signature of ${ev.id} does not verify`;
        return ok;
      },
    };
    let r;
    for (;;) {
      try {
        r = this.#state.apply(ev, ctx);
        break;
      } catch (e) {
        if (e instanceof NeedRecords) return e;
        throw e;
      }
    }
    if (!r.ok) {
      const enc = this.#encodingProblem(c, data);
      if (enc) return enc;
      if (sigFailure) return { seq: c.seq, check: 'signature', message: sigFailure };
      return { seq: c.seq, check: 'rejected', message: `the state machine rejects ${ev.id}: ${r.code}: ${r.message}` };
    }
    if ('duplicate' in r) return this.#encodingProblem(c, data) ?? { seq: c.seq, check: 'rejected', message: `${ev.id} was already logged at seq ${r.duplicate.seq}` };
    if (!effectsMatch(c, r.effects)) {
      return this.#encodingProblem(c, data) ?? { seq: c.seq, check: 'effects', message: `logged effects ${canonicalize(loggedEffects(data))} differ from recomputed ${canonicalize(r.effects)}` };
    }
    return null;
  }

  /** The logged effects were not in canonical form (what the whole-entry check of the
   * Replayer names first). */
  #encodingProblem(c: CheckedEntry, data: Uint8Array): ReplayProblem | null {
    let canon: string;
    try {
      canon = canonicalize(loggedEffects(data));
    } catch (e) {
      return { seq: c.seq, check: 'encoding', message: `entry is not canonicalizable: ${(e as Error).message}` };
    }
    return canon === c.effectsText ? null : { seq: c.seq, check: 'encoding', message: 'entry bytes are not in canonical form (RFC 8785)' };
  }

  async #progress(): Promise<SavedProgress> {
    return {
      size: this.#size,
      prev: this.#prev,
      frontier: this.#frontier.toJSON(),
      root: hex(this.#frontier.root()),
      signatures: this.#o.signatures && (this.#saved.progress?.signatures ?? true),
      seenSize: this.#seenSize,
      verified: this.#verified,
      watch: this.#o.watch.snapshot(),
      at: new Date().toISOString(),
    };
  }

  async #save(changes: Array<[string, string | null]>, sync: boolean): Promise<void> {
    const found = this.#o.watch.found.slice(this.#foundSaved);
    await this.#saved.commit(changes, await this.#progress(), found, sync);
    this.#foundSaved += found.length;
  }

  /** Notes a signed checkpoint seen (for a later rollback's message). */
  seen(size: number): void {
    this.#seenSize = Math.max(this.#seenSize, size);
  }

  /** Records a verified checkpoint (the replay is at its size, its root is the replayed
   * root) and writes everything durably: the point the next audit resumes from. */
  async verified(size: number, root: string): Promise<void> {
    if (size !== this.#size) throw new Error(`replay: checkpoint ${size} recorded as verified at size ${this.#size}`);
    const at = new Date().toISOString();
    this.#verified = [...this.#verified.filter((v) => v.size !== size), { size, root, at }].slice(-16);
    await this.#save([], true);
  }
}
