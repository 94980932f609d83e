// The auditor's own saved state (issue 10, "a fast, incremental auditor"): a LevelDB
// directory per log, named by the log's identity (its origin and key), beside the
// auditor's state file (default under $XDG_STATE_HOME/cotc/audit/). It holds the ledger
// state the replay rebuilt (the state machine's records, exactly as the server's store
// holds them: the replay runs on it with the state on disk, so the auditor's memory is
// flat in the log's size) and, written in the same LevelDB batch as every change of them,
// the replay's progress: the entries replayed, the last leaf hash, the tree frontier and
// the checkpoints verified. So what is on disk is always one consistent point of the
// replay; after a clean audit it is the checkpoint just verified, and the next audit
// resumes from it. Keys (UTF-8):
//   m             {"format":"cotc-audit-state","version":1,"origin","logKey"}   (JSON)
//   p             progress (SavedProgress)                                      (JSON)
//   s/<key>       a state machine record (codec.ts keys and values)             (JSON)
//   o/<seq>       an event signed with an operator-installed key (OperatorSigned) (JSON)
// A directory that fails its checks (LevelDB's file CRCs, a missing or malformed record,
// another log's identity) is refused with a SavedStateError, never reused.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Level } from 'level';
import type { RecordSource } from '@cotc/ledger';
import { verifyLevelFiles } from '../storage/level-verify.ts';
import type { FrontierJSON } from './frontier.ts';

export const SAVED_STATE_FORMAT = 'cotc-audit-state';
export const SAVED_STATE_VERSION = 1;

/** A checkpoint this auditor verified: the replayed tree of `size` entries had this root. */
export interface VerifiedCheckpoint {
  size: number;
  root: string;
  /** when (ISO 8601 UTC) */
  at: string;
}

export interface SavedProgress {
  /** entries replayed: the state records are the state after entries [0, size) */
  size: number;
  /** hex leaf hash of entry size−1 (64 zeros at 0) */
  prev: string;
  frontier: FrontierJSON;
  /** hex root of the frontier (a check of the saved frontier) */
  root: string;
  /** whether the replay checked every signature of [0, size) */
  signatures: boolean;
  /** the largest checkpoint size seen (signed by the log key) while replaying */
  seenSize: number;
  /** last checkpoints verified, newest last (a few) */
  verified: VerifiedCheckpoint[];
  /** the operator-key watch (audit.ts OperatorKeyWatch) */
  watch: { operator: string | null; installed: Array<[string, { key: string; seq: number }]> };
  /** when this was written */
  at: string;
}

/** The saved state cannot be used: damaged, or of another log. */
export class SavedStateError extends Error {
  constructor(
    message: string,
    readonly dir: string,
  ) {
    super(message);
    this.name = 'SavedStateError';
  }
}

/** The directory, under `base`, of the saved state of the log with this origin and key. */
export function savedStateDir(base: string, origin: string, logKey: string): string {
  const id = createHash('sha256').update(`${origin}\n${logKey}`).digest('hex').slice(0, 32);
  return path.join(base, id);
}

type Op = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

export class SavedState {
  readonly db: Level<string, string>;
  #progress: SavedProgress | null = null;

  private constructor(
    readonly dir: string,
    readonly origin: string,
    readonly logKey: string,
  ) {
    this.db = new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    // As LevelStore: no implicit open before the file checks.
    void this.db.close().catch(() => {});
  }

  /** Opens (or creates) the saved state of a log; throws SavedStateError when the directory
   * fails its checks or belongs to another log, and LEVEL_LOCKED-caused errors when another
   * process holds it. */
  static async open(dir: string, origin: string, logKey: string): Promise<SavedState> {
    try {
      verifyLevelFiles(dir);
    } catch (e) {
      throw new SavedStateError(`the saved audit state in ${dir} fails its checks: ${(e as Error).message}`, dir);
    }
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const s = new SavedState(dir, origin, logKey);
    try {
      await s.db.open();
    } catch (e) {
      const cause = ((e as { cause?: Error }).cause ?? e) as Error & { code?: string };
      if (cause.code === 'LEVEL_LOCKED' || /lock/i.test(cause.message)) throw new Error(`the saved audit state in ${dir} is in use by another process (another cotc audit of this log?)`, { cause: e });
      throw new SavedStateError(`the saved audit state in ${dir} does not open: ${cause.message}`, dir);
    }
    try {
      await s.#init();
    } catch (e) {
      await s.close();
      throw e;
    }
    return s;
  }

  async #init(): Promise<void> {
    const [m, p] = await this.db.getMany(['m', 'p']);
    const bad = (what: string) => new SavedStateError(`the saved audit state in ${this.dir} is damaged: ${what}`, this.dir);
    if (m === undefined) {
      if (p !== undefined) throw bad('it has progress but no format record');
      let any = false;
      for await (const _ of this.db.keys({ limit: 1 })) any = true;
      if (any) throw bad('it has records but no format record');
      await this.db.put('m', JSON.stringify({ format: SAVED_STATE_FORMAT, version: SAVED_STATE_VERSION, origin: this.origin, logKey: this.logKey }), { sync: true });
      return;
    }
    let meta: { format?: unknown; version?: unknown; origin?: unknown; logKey?: unknown };
    try {
      meta = JSON.parse(m);
    } catch {
      throw bad('its format record is not JSON');
    }
    if (meta?.format !== SAVED_STATE_FORMAT || meta.version !== SAVED_STATE_VERSION) throw bad('its format record is not one this version knows');
    if (meta.origin !== this.origin || meta.logKey !== this.logKey) {
      throw new SavedStateError(`the saved audit state in ${this.dir} is of another log (${String(meta.origin).slice(0, 200)}, key ${String(meta.logKey).slice(0, 200)})`, this.dir);
    }
    if (p !== undefined) {
      try {
        this.#progress = checkProgress(JSON.parse(p));
      } catch (e) {
        throw bad(`its progress record: ${(e as Error).message}`);
      }
    }
  }

  /** The saved progress, or null for a new directory. */
  get progress(): SavedProgress | null {
    return this.#progress;
  }

  /** The state machine's records, for a store-backed LedgerState. */
  readonly source: RecordSource = {
    getMany: (keys) => (keys.length === 0 ? Promise.resolve([]) : this.db.getMany(keys.map((k) => 's/' + k))),
    range: async (prefix, limit, gte = prefix) => {
      const out: Array<[string, string]> = [];
      for await (const [k, v] of this.db.iterator({ gte: 's/' + gte, lt: 's/' + prefix + '\uffff', limit })) out.push([k.slice(2), v]);
      return out;
    },
  };

  /** Every state record, in key order. */
  async *records(): AsyncIterable<[string, string]> {
    let after: string | undefined;
    for (;;) {
      const page: Array<[string, string]> = [];
      for await (const [k, v] of this.db.iterator(after === undefined ? { gte: 's/', lt: 's0', limit: 1000 } : { gt: after, lt: 's0', limit: 1000 })) page.push([k, v]);
      for (const [k, v] of page) yield [k.slice(2), v];
      if (page.length < 1000) return;
      after = page[page.length - 1]![0];
    }
  }

  /** The events signed with operator-installed keys found so far, in seq order. */
  async operatorSigned<T>(): Promise<T[]> {
    const out: T[] = [];
    for await (const v of this.db.values({ gte: 'o/', lt: 'o0' })) out.push(JSON.parse(v) as T);
    return out;
  }

  /** One atomic write: state changes, operator-signed events found, and the progress. */
  async commit(changes: ReadonlyArray<readonly [string, string | null]>, progress: SavedProgress, found: ReadonlyArray<{ seq: number }> = [], sync = false): Promise<void> {
    const ops: Op[] = [];
    for (const [k, v] of changes) ops.push(v === null ? { type: 'del', key: 's/' + k } : { type: 'put', key: 's/' + k, value: v });
    for (const f of found) ops.push({ type: 'put', key: 'o/' + f.seq.toString(16).padStart(16, '0'), value: JSON.stringify(f) });
    ops.push({ type: 'put', key: 'p', value: JSON.stringify(progress) });
    // classic-level's own _batch takes these string keys and values as they are; the public
    // batch() clones and re-encodes every op first (abstract-level #arrayBatch), which was the
    // largest single item of a replay's profile (862 of 11,300 ms at 10k entries).
    const raw = (this.db as unknown as { _batch?: (ops: Op[], o: { sync: boolean }) => Promise<void> })._batch;
    if (typeof raw === 'function' && this.db.status === 'open') await raw.call(this.db, ops, { sync });
    else await this.db.batch(ops, { sync });
    this.#progress = progress;
  }

  async close(): Promise<void> {
    await this.db.close().catch(() => {});
  }

  /** Removes a saved state directory (--from-scratch, or a state that cannot be resumed). */
  static remove(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function checkProgress(p: SavedProgress): SavedProgress {
  const int = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
  if (!p || typeof p !== 'object') throw new Error('not an object');
  if (!int(p.size) || !int(p.seenSize)) throw new Error('bad sizes');
  if (typeof p.prev !== 'string' || !/^[0-9a-f]{64}$/.test(p.prev) || typeof p.root !== 'string' || !/^[0-9a-f]{64}$/.test(p.root)) throw new Error('bad hashes');
  if (!p.frontier || p.frontier.size !== p.size) throw new Error('the frontier is not of the size replayed');
  if (!Array.isArray(p.verified) || p.verified.some((v) => !int(v?.size) || typeof v.root !== 'string' || !/^[0-9a-f]{64}$/.test(v.root) || v.size > p.size)) throw new Error('bad verified checkpoints');
  if (!p.watch || !Array.isArray(p.watch.installed)) throw new Error('bad operator-key watch');
  if (typeof p.signatures !== 'boolean' || typeof p.at !== 'string') throw new Error('bad fields');
  return p;
}
