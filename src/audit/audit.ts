// The auditor (DESIGN.md "Who uses it": auditor / witness): replays the log through the
// same state machine the sequencer runs, with the state on disk (replay.ts, over its own
// LevelDB: saved-state.ts), checks the signed checkpoint it ends on, and checks that
// checkpoint is consistent with the last one this auditor saw (so a server that forks or
// rolls back its history is caught). After a clean audit the replayed state is saved with
// the checkpoint it verified; the next audit of the same log (by its identity: origin and
// key) checks the log still holds the entries it replayed and goes on from there instead of
// entry 0. Sources: a server (paged GET /v1/entries) or a data directory (the store
// itself, whose state records are compared too).
import { fromBase64, fromHex, hex, openNote, parseCheckpoint, verifyConsistency, type Checkpoint } from '@cotc/tlog';
import type { Envelope } from '@cotc/ledger';
import { checkWitnesses, type WitnessPolicy, type WitnessReport } from '@cotc/verify';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VerifyPool } from '../crypto/verify-pool.ts';
import { leafHashNode } from './entry-check.ts';
import { DiskReplay } from './replay.ts';
import { BatchFileCheck, type BatchFilesReport } from './batches.ts';
import { SavedState, SavedStateError, savedStateDir, type VerifiedCheckpoint } from './saved-state.ts';

export interface AuditSource {
  /** The latest signed checkpoint (note text). */
  checkpoint(): Promise<string>;
  /** Entries [start, start+limit) (fewer at the end). */
  entries(start: number, limit: number): Promise<Uint8Array[]>;
  /** A consistency proof (hex hashes) from size `from` to size `to`, where the source can
   * give one (a server); the replay checks consistency itself in any case. */
  consistency?(from: number, to: number): Promise<string[]>;
  /** The store's state records, to compare with the replayed state (data directories). */
  stateRecords?(): AsyncIterable<[string, string]>;
}

export interface Trusted {
  size: number;
  root: string; // hex
  text: string; // the signed note
}

export interface AuditProblem {
  seq?: number;
  check: string;
  message: string;
}

/** An event signed with a key the log operator installed for the signing org (issue 9). */
export interface OperatorSigned {
  seq: number;
  event: string;
  type: string;
  /** the org it is signed as */
  org: string;
  /** the verifier key that signed it */
  key: string;
  /** seq of the operator's org.keys that added that key */
  installedAt: number;
}

export interface AuditResult {
  ok: boolean;
  size: number;
  /** entries replayed by this run (size minus where it resumed) */
  replayed: number;
  /** where it resumed from, when it did */
  resumed?: ResumeInfo;
  /** the signature worker threads it ran (0: inline) */
  threads: { verify: number };
  checkpoint?: Trusted;
  problems: AuditProblem[];
  seconds: number;
  /**
   * Every event (in seq order) signed with a key that the operator, not the org, added to
   * the org (an org.keys posted by the operator for another org): allowed by the rules
   * (DESIGN.md "Bodies": org.keys by "that org, or the operator"), but such a signature
   * says the operator, not the org, may have made it, so the audit lists them all.
   */
  operatorSigned: OperatorSigned[];
  /** who of the witness policy cosigned the checkpoint (with a policy) */
  witnesses?: WitnessReport;
  /** the gift batch files checked against their batch events (with AuditOptions.batchFiles) */
  batchFiles?: BatchFilesReport;
}

const ORG_KEYS = new TextEncoder().encode('"type":"org.keys"');
const dec = new TextDecoder();

/**
 * Finds the events signed with operator-installed keys during a replay, from the entries
 * the replay accepted. Entry 0 names the operator (DESIGN.md "The operator"). Only entries
 * that can matter are parsed: org.keys entries (found by their canonical `"type":"org.keys"`,
 * which a string value cannot contain unescaped) and, once the operator has installed a
 * key for some org, every entry — an honest log, with none, costs nothing extra.
 */
export class OperatorKeyWatch {
  readonly found: OperatorSigned[] = [];
  #operator: string | null = null;
  /** `${org}\n${hex key id}` → the key and the seq that installed it */
  #installed = new Map<string, { key: string; seq: number }>();

  /** Call with each entry the replay accepted, in order. */
  see(seq: number, data: Uint8Array): void {
    if (seq !== 0 && this.#installed.size === 0 && Buffer.from(data.buffer, data.byteOffset, data.byteLength).indexOf(ORG_KEYS) < 0) return;
    const entry = JSON.parse(dec.decode(data)) as { event: Envelope };
    this.seeEvent(seq, entry.event);
  }

  /** The same, with the entry's event already parsed. */
  seeEvent(seq: number, ev: Envelope): void {
    if (seq === 0) this.#operator = ev.org;
    if (this.#installed.size > 0) {
      const kid = hex(fromBase64(ev.sig).subarray(0, 4));
      const k = this.#installed.get(`${ev.org}\n${kid}`);
      if (k) this.found.push({ seq, event: ev.id, type: ev.type, org: ev.org, key: k.key, installedAt: k.seq });
    }
    if (ev.type === 'org.keys' && ev.org === this.#operator && ev.body.org !== this.#operator) {
      // A verifier key is name+hexid+base64: its id is the second field (DESIGN.md "Keys").
      for (const key of ev.body.add ?? []) this.#installed.set(`${ev.body.org}\n${key.split('+')[1]}`, { key, seq });
    }
  }

  /** What a resumed replay needs to go on watching (saved with the auditor's state). */
  snapshot(): { operator: string | null; installed: Array<[string, { key: string; seq: number }]> } {
    return { operator: this.#operator, installed: [...this.#installed] };
  }

  static restore(s: ReturnType<OperatorKeyWatch['snapshot']>, found: OperatorSigned[]): OperatorKeyWatch {
    const w = new OperatorKeyWatch();
    w.#operator = s.operator;
    for (const [k, v] of s.installed) w.#installed.set(k, v);
    w.found.push(...found);
    return w;
  }
}

export interface AuditOptions {
  logKey: string;
  trusted?: Trusted | null;
  signatures?: boolean;
  pageSize?: number;
  onProgress?: (done: number, total: number) => void;
  /** a witness policy the checkpoint must meet (issue 13): fewer cosignatures is a problem */
  witnesses?: WitnessPolicy | null;
  /** Where this auditor saves its replayed state, one directory per log (saved-state.ts);
   * without it the replay still runs with its state on disk, in a temporary directory
   * removed afterwards, and nothing is resumed. */
  stateDir?: string;
  /** Forget the saved state of this log and replay from entry 0. */
  fromScratch?: boolean;
  /** Worker threads checking signatures (default: one per core; 0 checks them inline). */
  verifyThreads?: number;
  /** Decoded state records kept in memory between pages (default 100,000). */
  cacheRecords?: number;
  /** What the audit says as it goes (resuming, why not). */
  onNote?: (line: string) => void;
  /** A directory holding batches/ (issue 15, ./batches.ts): the gift batch files of the
   * batches this audit replays are rebuilt and checked against their roots and totals. */
  batchFiles?: string;
}

export interface ResumeInfo {
  /** the entry the replay went on from */
  from: number;
  /** the last checkpoint verified with the saved state, if any */
  verified?: VerifiedCheckpoint;
  /** when the saved state was written */
  savedAt: string;
}

export async function audit(source: AuditSource, opts: AuditOptions): Promise<AuditResult> {
  const t0 = performance.now();
  const batchCheck = opts.batchFiles !== undefined ? new BatchFileCheck(opts.batchFiles) : null;
  let batchReport: BatchFilesReport | undefined;
  // With batch files, each page read is also seen by the batch check (a tap, no second read).
  const src: AuditSource = batchCheck
    ? Object.assign(Object.create(source) as AuditSource, {
        entries: async (start: number, limit: number) => {
          const page = await source.entries(start, limit);
          batchCheck.see(start, page);
          return page;
        },
      })
    : source;
  const problems: AuditProblem[] = [];
  let watch = new OperatorKeyWatch();
  let witnessReport: WitnessReport | undefined;
  let resumed: ResumeInfo | undefined;
  let replayedFrom = 0;
  const note = (l: string) => opts.onNote?.(l);
  let pool: VerifyPool | null = null;
  const done = (size: number, checkpoint?: Trusted): AuditResult => ({
    ok: problems.length === 0,
    size,
    replayed: Math.max(0, size - replayedFrom),
    threads: { verify: pool?.threads ?? 0 },
    checkpoint,
    problems,
    seconds: (performance.now() - t0) / 1000,
    operatorSigned: watch.found,
    ...(witnessReport ? { witnesses: witnessReport } : {}),
    ...(resumed ? { resumed } : {}),
    ...(batchReport ? { batchFiles: batchReport } : {}),
  });
  let text: string;
  let cp: Checkpoint;
  text = await src.checkpoint();
  try {
    cp = parseCheckpoint(openNote(text, [opts.logKey]).text);
  } catch (e) {
    problems.push({ check: 'checkpoint', message: `the checkpoint does not verify with the log key: ${(e as Error).message}` });
    return done(0);
  }
  if (opts.witnesses) {
    const w = checkWitnesses(text, opts.witnesses);
    witnessReport = w.report;
    const q = w.problems.find((p) => p.code === 'witness_quorum');
    if (q) problems.push({ check: 'witness', message: q.message });
  }
  const trusted = opts.trusted ?? null;
  const trustedRoot = trusted ? fromHex(trusted.root, 'trusted.root') : null;
  if (trusted && cp.size < trusted.size) {
    problems.push({ check: 'rollback', message: `the log shows size ${cp.size}, smaller than the ${trusted.size} this auditor saw before` });
    return done(0);
  }
  let provenFromTrusted = false;
  if (trusted && trustedRoot && trusted.size > 0 && src.consistency) {
    // The server's own proof first (what any light client would check)...
    try {
      const proof = (await src.consistency(trusted.size, cp.size)).map((h) => fromHex(h, 'consistency hash'));
      if (!verifyConsistency(trusted.size, cp.size, proof, trustedRoot, cp.root)) {
        problems.push({ check: 'consistency', message: `checkpoint ${cp.size} is not consistent with checkpoint ${trusted.size} seen before: the log forked or was rewritten` });
      } else provenFromTrusted = true;
    } catch (e) {
      problems.push({ check: 'consistency', message: `no valid consistency proof from ${trusted.size} to ${cp.size}: ${(e as Error).message}` });
    }
  }

  // The saved state of this log (by its identity: origin and key), or a temporary one.
  const temp = opts.stateDir === undefined;
  const base = opts.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cotc-audit-'));
  const dir = savedStateDir(base, cp.origin, opts.logKey);
  const signatures = opts.signatures ?? true;
  const fresh = '; cotc audit --from-scratch replays from entry 0 and saves it anew';
  let saved: SavedState | undefined;
  try {
    if (opts.fromScratch) SavedState.remove(dir);
    try {
      saved = await SavedState.open(dir, cp.origin, opts.logKey);
    } catch (e) {
      if (!(e instanceof SavedStateError)) throw e;
      problems.push({ check: 'saved-state', message: e.message + fresh });
      return done(0);
    }
    let p = saved.progress;
    if (p && p.size > 0) {
      // Resumable only when it holds what this audit would have checked.
      let why: string | null = null;
      if (signatures && !p.signatures) why = 'the saved state was replayed without signature checks';
      else if (trusted && trusted.size > 0 && trusted.size < p.size && !provenFromTrusted && !p.verified.some((v) => v.size === trusted.size && v.root === trusted.root)) {
        why = `checkpoint ${trusted.size}, remembered in the state file, is older than the saved state and was not verified with it`;
      }
      if (why) {
        note(`cotc audit: replaying from entry 0: ${why}`);
        await saved.close();
        SavedState.remove(dir);
        saved = await SavedState.open(dir, cp.origin, opts.logKey);
        p = saved.progress;
      }
    }
    const last = p?.verified.at(-1);
    const since = last ? `checkpoint ${last.size} verified on ${last.at}` : `replayed on ${p?.at}`;
    if (p && p.size > 0) {
      if (cp.size < p.size) {
        problems.push({ check: 'rollback', message: `the log shows size ${cp.size}, smaller than the ${p.size} entries this auditor replayed before (${since}; it saw a checkpoint of ${p.seenSize})` });
        return done(0);
      }
      // The log's entry size−1 must be the one replayed: its leaf hash chains every entry
      // before it (each entry's prev), so the log's first p.size entries are the replayed ones.
      const [e] = await src.entries(p.size - 1, 1);
      if (!e) {
        problems.push({ seq: p.size - 1, check: 'missing', message: `entry ${p.size - 1} is missing (the checkpoint says ${cp.size} entries)` });
        return done(0);
      }
      if (hex(leafHashNode(e)) !== p.prev) {
        problems.push({ seq: p.size - 1, check: 'consistency', message: `entry ${p.size - 1} is not the one this auditor replayed (${since}): the log forked or was rewritten since` });
        return done(0);
      }
      if (last && last.size > 0 && src.consistency && last.size !== trusted?.size) {
        try {
          const proof = (await src.consistency(last.size, cp.size)).map((h) => fromHex(h, 'consistency hash'));
          if (!verifyConsistency(last.size, cp.size, proof, fromHex(last.root, 'saved root'), cp.root)) {
            problems.push({ check: 'consistency', message: `checkpoint ${cp.size} is not consistent with checkpoint ${last.size} verified on ${last.at}: the log forked or was rewritten` });
          }
        } catch (x) {
          problems.push({ check: 'consistency', message: `no valid consistency proof from ${last.size} to ${cp.size}: ${(x as Error).message}` });
        }
      }
      watch = OperatorKeyWatch.restore(p.watch, await saved.operatorSigned<OperatorSigned>());
    }
    if (signatures) pool = opts.verifyThreads === 0 ? null : new VerifyPool(opts.verifyThreads ?? Math.max(1, os.cpus().length));
    let rp: DiskReplay;
    try {
      rp = await DiskReplay.open(saved, { signatures, pool, watch, cacheRecords: opts.cacheRecords });
    } catch (e) {
      problems.push({ check: 'saved-state', message: `the saved audit state in ${dir} is damaged: ${(e as Error).message}${fresh}` });
      return done(0);
    }
    replayedFrom = rp.size;
    if (rp.size > 0) {
      resumed = { from: rp.size, savedAt: p!.at, ...(last ? { verified: last } : {}) };
      note(`cotc audit: resuming from entry ${rp.size}, ${since}`);
    }
    rp.seen(cp.size);
    // ...and then the replayed tree itself must pass through the trusted checkpoint.
    const throughTrusted = async () => {
      if (trusted && trustedRoot && rp.size === trusted.size && trusted.size > 0) {
        const r = hex(rp.root());
        if (r !== trusted.root) problems.push({ seq: rp.size - 1, check: 'consistency', message: `the replayed tree at size ${trusted.size} has root ${r}, not the ${trusted.root} this auditor saw before` });
      }
    };
    await throughTrusted();
    const page = opts.pageSize ?? 1000;
    // A page ends at the trusted size, so the root there is at hand.
    const pageEnd = (start: number) => Math.min(start + page, cp.size, trusted && trusted.size > start ? trusted.size : Infinity);
    opts.onProgress?.(rp.size, cp.size);
    // The next page is read while this one is replayed.
    const fetch = (start: number) => {
      const p = src.entries(start, pageEnd(start) - start);
      p.catch(() => {}); // awaited next round; a failure must not go unhandled meanwhile
      return p;
    };
    let next = rp.size < cp.size ? fetch(rp.size) : null;
    while (next && !rp.problem) {
      const start = rp.size;
      const batch = await next;
      next = null;
      if (batch.length === 0) {
        problems.push({ seq: start, check: 'missing', message: `entry ${start} is missing (the checkpoint says ${cp.size} entries)` });
        return done(start);
      }
      const end = start + batch.length;
      if (end < cp.size) next = fetch(end);
      if (await rp.push(batch)) break;
      await throughTrusted();
      opts.onProgress?.(rp.size, cp.size);
    }
    if (rp.problem) {
      problems.push({ seq: rp.problem.seq, check: rp.problem.check, message: rp.problem.message });
      return done(rp.size);
    }
    const root = hex(rp.root());
    if (root !== hex(cp.root)) {
      problems.push({ seq: cp.size - 1, check: 'root', message: `the replayed root ${root} differs from the checkpoint's ${hex(cp.root)}` });
    }
    if (src.stateRecords) await compareState(saved.records(), withoutMapNodes(src.stateRecords()), problems);
    if (batchCheck) {
      const b = batchCheck.check(rp.size);
      problems.push(...b.problems);
      batchReport = b.report;
    }
    if (problems.length === 0) await rp.verified(cp.size, hex(cp.root));
    return done(rp.size, { size: cp.size, root: hex(cp.root), text });
  } finally {
    await pool?.close();
    await saved?.close();
    if (temp) fs.rmSync(base, { recursive: true, force: true });
  }
}

/** A store's state records without the state map's own nodes (map/…: pages, roots, stale
 * lists, docs/wire-format-2.md §7), which hash the records and are checked by their roots. */
async function* withoutMapNodes(records: AsyncIterable<[string, string]>): AsyncIterable<[string, string]> {
  for await (const r of records) if (!r[0].startsWith('map/')) yield r;
}

const keyOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** Compares the replayed state records with a store's, both in key order (UTF-8 byte
 * order, as LevelDB keeps them): a merge of two streams, so memory stays flat. */
async function compareState(replayed: AsyncIterable<[string, string]>, stored: AsyncIterable<[string, string]>, problems: AuditProblem[]): Promise<void> {
  const a = replayed[Symbol.asyncIterator]();
  const b = stored[Symbol.asyncIterator]();
  let x = await a.next();
  let y = await b.next();
  let found = 0;
  while ((!x.done || !y.done) && found <= 20) {
    const c = x.done ? 1 : y.done ? -1 : keyOrder(x.value[0], y.value[0]);
    if (c < 0) {
      problems.push({ check: 'state', message: `state record ${x.value![0]} is missing from the store` });
      found++;
      x = await a.next();
    } else if (c > 0) {
      problems.push({ check: 'state', message: `stored state record ${y.value![0]} does not follow from the log` });
      found++;
      y = await b.next();
    } else {
      if (x.value![1] !== y.value![1]) {
        problems.push({ check: 'state', message: `stored state record ${x.value![0]} differs from the replayed one` });
        found++;
      }
      x = await a.next();
      y = await b.next();
    }
  }
  await a.return?.();
  await b.return?.();
}
