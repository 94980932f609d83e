// Proven reads (docs/wire-format-2.md §13): a fund, an org, a disbursement's confirmations,
// any state record, answered with its map proof against the map root that entry N−1
// carries, that entry with its RFC 9162 inclusion proof, and the signed checkpoint of size
// N. The same pieces as a v2 trace bundle, so the same checks in the same order (§12 steps
// 1–5):
//
//   {"version": 2, "checkpoint": "<signed note>",
//    "entry": {"index": N−1, "data": "<base64>", "proof": {"index", "size": N, "hashes"}},
//    "state": [{"key", "value": "<record value>" | null, "proof": {map proof}}…]}
//
// A record proven with value null is proven absent (no such fund, no confirmation).
import { InclusionBatch, fromHex, leafHash, verifyMapProof } from '@cotc/tlog';
import { isPlainObject } from '@cotc/ledger';
import { checkConsistency, checkpointInfo, needLogKey, needTrusted, needWitnessKeys, openCheckpoint } from '../checkpoint.ts';
import { witnessPolicyOf } from '../witness.ts';
import { decodeBase64 } from '../fast.ts';
import { proofProblem } from '../bundle.ts';
import { VerifyError, type CheckpointInfo, type Problem, type VerifyCode, type VerifyOptions } from '../types.ts';
import type { WitnessReport } from '../witness.ts';
import { decodeEntryV2 } from './entry.ts';

export interface ReadOptions extends Pick<VerifyOptions, 'logKey' | 'witnessKeys' | 'witnessQuorum' | 'witnessSkewSeconds' | 'now' | 'trusted' | 'consistency'> {
  /** The record keys asked for: each must be among the proven ones (else `wrong_record`). */
  keys?: string[];
}

export interface ReadResult {
  ok: boolean;
  checkpoint: CheckpointInfo | null;
  problems: Problem[];
  /** The proven records: key → value (null: proven absent). Only records whose proof verified. */
  records: Map<string, string | null>;
  witnesses?: WitnessReport;
}

/** Checks a proven read, trusting only opts.logKey (and the witness policy). Never throws on a bad read; throws VerifyError on bad options. */
export async function verifyProvenRead(read: unknown, opts: ReadOptions): Promise<ReadResult> {
  if (!isPlainObject(opts as unknown)) throw new VerifyError('bad_argument', 'opts: expected {logKey, ...}');
  needLogKey(opts.logKey);
  needWitnessKeys(opts.witnessKeys);
  witnessPolicyOf(opts);
  const trusted = needTrusted(opts.trusted);
  if (opts.keys !== undefined && (!Array.isArray(opts.keys) || !opts.keys.every((k) => typeof k === 'string'))) throw new VerifyError('bad_argument', 'keys: expected an array of record keys');
  if (opts.consistency !== undefined && typeof opts.consistency !== 'function') throw new VerifyError('bad_argument', 'consistency: expected a function (from, to) => Promise<string[]>');
  const problems: Problem[] = [];
  const records = new Map<string, string | null>();
  const add = (code: VerifyCode, message: string, index?: number) => problems.push(index === undefined ? { code, message } : { code, message, index });
  const done = (cp: CheckpointInfo | null, witnesses?: WitnessReport): ReadResult => {
    const r: ReadResult = { ok: problems.length === 0, checkpoint: cp, problems, records };
    if (witnesses) r.witnesses = witnesses;
    return r;
  };
  try {
    // 1. Version and shape.
    if (!isPlainObject(read)) return (add('malformed_bundle', 'the read is not a JSON object'), done(null));
    if (read.version !== 2) {
      add(Number.isSafeInteger(read.version) ? 'unsupported_version' : 'malformed_bundle', `a proven read of version ${JSON.stringify(read.version ?? null)}: this verifier reads version 2`);
      return done(null);
    }
    const entry = read.entry;
    if (typeof read.checkpoint !== 'string' || !isPlainObject(entry) || typeof entry.data !== 'string' || !Array.isArray(read.state)) {
      add('malformed_bundle', 'the read is not {version, checkpoint, entry: {index, data, proof}, state: [...]}');
      return done(null);
    }
    // 2. The checkpoint.
    const opened = openCheckpoint(read.checkpoint, opts.logKey, witnessPolicyOf(opts));
    problems.push(...opened.problems);
    const cp = opened.checkpoint;
    if (cp === null) return done(null, opened.witnesses);
    const info = checkpointInfo(cp);
    // 3. Entry N−1, proven in the checkpoint's tree; 4. its map root.
    const top = cp.size - 1;
    if (cp.size === 0 || entry.index !== top) {
      add('missing_state_root', `the read's entry is ${JSON.stringify(entry.index ?? null)}, not entry ${top}, the last of the checkpoint`);
      return done(info, opened.witnesses);
    }
    let bytes: Uint8Array;
    try {
      bytes = decodeBase64(entry.data);
    } catch {
      add('bad_entry_encoding', `the data of entry ${top} is not canonical standard base64`, top);
      return done(info, opened.witnesses);
    }
    const pp = proofProblem(entry.proof, top, cp, leafHash(bytes), new InclusionBatch(cp.size, cp.root));
    if (pp !== null) {
      add('bad_inclusion_proof', pp, top);
      return done(info, opened.witnesses);
    }
    const d = decodeEntryV2(bytes);
    if (!d.ok) {
      add(d.code, `entry ${top}: ${d.message}`, top);
      return done(info, opened.witnesses);
    }
    if (d.entry.seq !== top) add('bad_entry', `the entry at index ${top} says seq ${d.entry.seq}`, top);
    if (!d.entry.state) {
      add('missing_state_root', `entry ${top}, the last of the checkpoint, carries no state root`, top);
      return done(info, opened.witnesses);
    }
    const root = fromHex(d.entry.state.root);
    // 5. Every record's map proof.
    read.state.forEach((x: unknown, n: number) => {
      if (!isPlainObject(x) || typeof x.key !== 'string' || !(x.value === null || typeof x.value === 'string') || !('proof' in x)) {
        add('malformed_bundle', `state[${n}] is not {key, value: string | null, proof}`);
        return;
      }
      if (records.has(x.key)) {
        add('malformed_bundle', `the record ${JSON.stringify(x.key)} is proven twice`);
        return;
      }
      let r;
      try {
        r = verifyMapProof(root, x.key, x.value, x.proof);
      } catch (e) {
        add('map_proof_malformed', `state[${n}]: ${(e as Error).message}`);
        return;
      }
      if (!r.ok) add(r.code, `the record ${JSON.stringify(x.key)} is not proven: ${r.message}`);
      else records.set(x.key, x.value);
    });
    for (const k of opts.keys ?? []) {
      if (!records.has(k) && !problems.some((p) => p.message.includes(JSON.stringify(k)))) add('wrong_record', `the read proves no record ${JSON.stringify(k)}, the one asked for`);
    }
    problems.push(...(await checkConsistency(trusted, cp, opts.consistency)));
    return done(info, opened.witnesses);
  } catch (e) {
    add('malformed_bundle', `the read could not be verified: ${(e as Error)?.message ?? String(e)}`);
    return done(null);
  }
}
