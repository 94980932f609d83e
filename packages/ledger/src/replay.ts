// Replay: the auditor's core (DESIGN.md "The log", "Entries"; RFC 9162 §2.1.1). Feeds the
// log's entries, from entry 0, through the same state machine the sequencer ran, and
// checks for each: canonical bytes, entry shape, seq, the hash chain (`prev`), the event's
// schema and signature by a key current at that seq, that the state machine accepts it,
// and that the `effects` it recomputes are exactly the logged ones. It keeps the Merkle
// tree's right frontier (O(log n) hashes), so the root at every size is at hand without
// storing the tree. The first problem stops the replay: everything after it is suspect.
import { sha256 } from '@noble/hashes/sha2.js';
import { hex, leafHash, nodeHash, emptyRoot, verifyStrict, isWeakPublicKey } from '@cotc/tlog';
import { CanonicalError, canonicalBytes, canonicalize, parseIJsonBytes } from './canonical.ts';
import { MAX_CLOCK_AHEAD_MS } from './limits.ts';
import { validateEntryShape, validateEnvelope } from './schema.ts';
import { signingBytes, splitSig } from './signature.ts';
import { LedgerState } from './state.ts';
import type { Entry } from './types.ts';

export type ReplayCheck = 'encoding' | 'shape' | 'seq' | 'chain' | 'event' | 'signature' | 'rejected' | 'effects';

export interface ReplayProblem {
  seq: number;
  check: ReplayCheck;
  message: string;
}

export interface ReplayOptions {
  /** Check every event signature (strict RFC 8032). Default true; off only to measure. */
  signatures?: boolean;
  /** Ed25519 verification; tlog's verifyStrict by default (a server may pass node:crypto's). */
  verify?: (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array) => boolean;
}

const ZERO = '0'.repeat(64);

export class Replayer {
  readonly state: LedgerState;
  #size = 0;
  #prev = ZERO;
  // frontier[i] = root of a perfect subtree of 2^levels[i] leaves, left to right.
  #frontier: Uint8Array[] = [];
  #levels: number[] = [];
  #problem: ReplayProblem | null = null;
  readonly #signatures: boolean;
  readonly #verify: NonNullable<ReplayOptions['verify']>;

  constructor(opts: ReplayOptions = {}) {
    this.state = new LedgerState({ isWeakKey: isWeakPublicKey });
    this.#signatures = opts.signatures ?? true;
    this.#verify = opts.verify ?? verifyStrict;
  }

  get size(): number {
    return this.#size;
  }
  /** The first problem found, if any (replay stops there). */
  get problem(): ReplayProblem | null {
    return this.#problem;
  }
  /** Hex leaf hash of the last entry replayed. */
  get lastLeaf(): string {
    return this.#prev;
  }

  /** The Merkle root of the entries replayed so far (RFC 9162 MTH). */
  root(): Uint8Array {
    if (this.#frontier.length === 0) return emptyRoot();
    let h = this.#frontier[this.#frontier.length - 1]!;
    for (let i = this.#frontier.length - 2; i >= 0; i--) h = nodeHash(this.#frontier[i]!, h);
    return h;
  }

  #fail(check: ReplayCheck, message: string): ReplayProblem {
    this.#problem = { seq: this.#size, check, message };
    return this.#problem;
  }

  /** Replays the next entry (index = this.size). Returns the problem, or null. */
  push(data: Uint8Array): ReplayProblem | null {
    if (this.#problem) return this.#problem;
    if (!(data instanceof Uint8Array)) throw new TypeError('data: expected Uint8Array entry bytes');
    const seq = this.#size;
    let parsed: unknown;
    try {
      parsed = parseIJsonBytes(data);
    } catch (e) {
      return this.#fail('encoding', `entry bytes are not I-JSON: ${(e as Error).message}`);
    }
    let canon: Uint8Array;
    try {
      canon = canonicalBytes(parsed);
    } catch (e) {
      return this.#fail('encoding', `entry is not canonicalizable: ${(e as Error).message}`);
    }
    if (hex(canon) !== hex(data)) return this.#fail('encoding', 'entry bytes are not in canonical form (RFC 8785)');
    const shape = validateEntryShape(parsed);
    if (!shape.ok) return this.#fail('shape', shape.message);
    const entry: Entry = shape.entry;
    if (entry.seq !== seq) return this.#fail('seq', `entry says seq ${entry.seq} at index ${seq}`);
    if (entry.prev !== this.#prev) return this.#fail('chain', `prev is ${entry.prev}, the leaf hash of entry ${seq - 1} is ${this.#prev}`);
    const ev = validateEnvelope(entry.event);
    if (!ev.ok) return this.#fail('event', ev.message);
    const event = ev.event;
    // The sequencer refuses events more than MAX_CLOCK_AHEAD_MS (5 minutes) ahead of its
    // clock (DESIGN.md "Event envelope"), and its clock is the entry's time.
    if (Date.parse(event.time) - Date.parse(entry.time) > MAX_CLOCK_AHEAD_MS) {
      return this.#fail('event', `event time ${event.time} is more than ${MAX_CLOCK_AHEAD_MS / 60_000} minutes after the entry time ${entry.time}`);
    }
    let sigFailure: string | null = null;
    const r = this.state.apply(event, {
      seq,
      contentHash: hex(sha256(canonicalBytes(event))),
      verify: (pub) => {
        if (!this.#signatures) return true;
        const s = splitSig(event.sig);
        const ok = s !== null && this.#verify(pub, signingBytes(event), s.signature);
        if (!ok) sigFailure = `signature of ${event.id} does not verify`;
        return ok;
      },
    });
    if (!r.ok) {
      if (sigFailure) return this.#fail('signature', sigFailure);
      return this.#fail('rejected', `the state machine rejects ${event.id}: ${r.code}: ${r.message}`);
    }
    if ('duplicate' in r) return this.#fail('rejected', `${event.id} was already logged at seq ${r.duplicate.seq}`);
    const want = canonicalize(r.effects);
    const got = canonicalize(entry.effects);
    if (want !== got) return this.#fail('effects', `logged effects ${got} differ from recomputed ${want}`);
    // Only now is the entry accepted: extend the chain and the tree frontier.
    const leaf = leafHash(data);
    let h = leaf;
    let level = 0;
    while (this.#levels.length > 0 && this.#levels[this.#levels.length - 1] === level) {
      h = nodeHash(this.#frontier.pop()!, h);
      this.#levels.pop();
      level++;
    }
    this.#frontier.push(h);
    this.#levels.push(level);
    this.#prev = hex(leaf);
    this.#size++;
    return null;
  }
}

export { CanonicalError };

/** Replays a whole log from entry 0: the first problem (or null), the size replayed, the
 * root of the replayed tree and the rebuilt state. */
export function replay(entries: Iterable<Uint8Array>, opts: ReplayOptions = {}): { problem: ReplayProblem | null; size: number; root: Uint8Array; state: LedgerState } {
  const r = new Replayer(opts);
  for (const e of entries) if (r.push(e)) break;
  return { problem: r.problem, size: r.size, root: r.root(), state: r.state };
}
