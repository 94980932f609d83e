// The auditor (DESIGN.md "Who uses it": auditor / witness): replays the whole log from
// entry 0 with the ledger's Replayer, checks the signed checkpoint it ends on, and checks
// that checkpoint is consistent with the last one this auditor saw (so a server that
// forks or rolls back its history is caught). Sources: a server (paged GET /v1/entries)
// or a data directory (the store itself, whose state records are compared too).
import { fromBase64, fromHex, hex, openNote, parseCheckpoint, verifyConsistency, type Checkpoint } from '@cotc/tlog';
import { Replayer } from '@cotc/ledger';
import { checkWitnesses, type WitnessPolicy, type WitnessReport } from '@cotc/verify';
import { verifyStrictNode } from '../crypto/ed25519-node.ts';

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
    const entry = JSON.parse(dec.decode(data)) as { event: { type: string; id: string; org: string; sig: string; body: { org?: string; add?: string[] } } };
    const ev = entry.event;
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
}

export interface AuditOptions {
  logKey: string;
  trusted?: Trusted | null;
  signatures?: boolean;
  pageSize?: number;
  onProgress?: (done: number, total: number) => void;
  /** a witness policy the checkpoint must meet (issue 13): fewer cosignatures is a problem */
  witnesses?: WitnessPolicy | null;
}

export async function audit(src: AuditSource, opts: AuditOptions): Promise<AuditResult> {
  const t0 = performance.now();
  const problems: AuditProblem[] = [];
  const watch = new OperatorKeyWatch();
  let witnessReport: WitnessReport | undefined;
  const done = (size: number, checkpoint?: Trusted): AuditResult => ({
    ok: problems.length === 0,
    size,
    checkpoint,
    problems,
    seconds: (performance.now() - t0) / 1000,
    operatorSigned: watch.found,
    ...(witnessReport ? { witnesses: witnessReport } : {}),
  });
  let note: string;
  let cp: Checkpoint;
  note = await src.checkpoint();
  try {
    cp = parseCheckpoint(openNote(note, [opts.logKey]).text);
  } catch (e) {
    problems.push({ check: 'checkpoint', message: `the checkpoint does not verify with the log key: ${(e as Error).message}` });
    return done(0);
  }
  if (opts.witnesses) {
    const w = checkWitnesses(note, opts.witnesses);
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
  if (trusted && trustedRoot && trusted.size > 0 && src.consistency) {
    // The server's own proof first (what any light client would check)...
    try {
      const proof = (await src.consistency(trusted.size, cp.size)).map((h) => fromHex(h, 'consistency hash'));
      if (!verifyConsistency(trusted.size, cp.size, proof, trustedRoot, cp.root)) {
        problems.push({ check: 'consistency', message: `checkpoint ${cp.size} is not consistent with checkpoint ${trusted.size} seen before: the log forked or was rewritten` });
      }
    } catch (e) {
      problems.push({ check: 'consistency', message: `no valid consistency proof from ${trusted.size} to ${cp.size}: ${(e as Error).message}` });
    }
  }
  const rp = new Replayer({ signatures: opts.signatures ?? true, verify: verifyStrictNode });
  const page = opts.pageSize ?? 1000;
  opts.onProgress?.(0, cp.size);
  while (rp.size < cp.size && !rp.problem) {
    const start = rp.size;
    const batch = await src.entries(start, Math.min(page, cp.size - start));
    if (batch.length === 0) {
      problems.push({ seq: start, check: 'missing', message: `entry ${start} is missing (the checkpoint says ${cp.size} entries)` });
      return done(start);
    }
    for (const d of batch) {
      if (rp.push(d)) break;
      watch.see(rp.size - 1, d);
      // ...and then the replayed tree itself must pass through the trusted checkpoint.
      if (trusted && trustedRoot && rp.size === trusted.size && hex(rp.root()) !== trusted.root) {
        problems.push({ seq: rp.size - 1, check: 'consistency', message: `the replayed tree at size ${trusted.size} has root ${hex(rp.root())}, not the ${trusted.root} this auditor saw before` });
      }
    }
    opts.onProgress?.(rp.size, cp.size);
  }
  if (rp.problem) {
    problems.push({ seq: rp.problem.seq, check: rp.problem.check, message: rp.problem.message });
    return done(rp.size);
  }
  if (hex(rp.root()) !== hex(cp.root)) {
    problems.push({ seq: cp.size - 1, check: 'root', message: `the replayed root ${hex(rp.root())} differs from the checkpoint's ${hex(cp.root)}` });
  }
  if (src.stateRecords) {
    const replayed = new Map<string, string>();
    for (const [k, v] of rp.state.takeChanges()) if (v !== null) replayed.set(k, v);
    for await (const [k, v] of src.stateRecords()) {
      const want = replayed.get(k);
      if (want === undefined) problems.push({ check: 'state', message: `stored state record ${k} does not follow from the log` });
      else if (want !== v) problems.push({ check: 'state', message: `stored state record ${k} differs from the replayed one` });
      replayed.delete(k);
      if (problems.length > 20) break;
    }
    for (const k of replayed.keys()) {
      problems.push({ check: 'state', message: `state record ${k} is missing from the store` });
      if (problems.length > 20) break;
    }
  }
  return done(rp.size, { size: cp.size, root: hex(cp.root), text: note });
}
