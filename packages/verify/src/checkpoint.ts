// Checkpoints: opening a signed checkpoint with the log key (and witnesses), and checking
// that a new one is consistent with the last one trusted (RFC 9162 §2.1.4), so that a log
// that forks, rewrites or rolls back its history is caught by any client that remembers.
import { NoteError, fromHex, hex, noteVerifier, openNote, parseCheckpoint, parseVerifierKey, verifyConsistency, type Checkpoint } from '@cotc/tlog';
import { VerifyError, type CheckpointInfo, type Problem, type TrustedCheckpoint } from './types.ts';
import { checkWitnesses, needPolicy, type WitnessPolicy, type WitnessReport } from './witness.ts';

/** Parses the log key, or throws VerifyError('bad_log_key'). */
export function needLogKey(logKey: unknown): { name: string; key: string } {
  if (typeof logKey !== 'string') throw new VerifyError('bad_log_key', 'logKey: expected a signed-note verifier key string (name+hexid+base64)');
  try {
    const k = parseVerifierKey(logKey, 'logKey');
    return { name: k.name, key: logKey };
  } catch (e) {
    throw new VerifyError('bad_log_key', (e as Error).message);
  }
}

/** Checks witness keys: cosignature/v1 (type 0x04) or Ed25519 note keys (0x01). */
export function needWitnessKeys(keys: unknown): string[] {
  if (keys === undefined) return [];
  if (!Array.isArray(keys)) throw new VerifyError('bad_witness_key', 'witnessKeys: expected an array of verifier key strings');
  keys.forEach((k, i) => {
    try {
      noteVerifier(k as string, `witnessKeys[${i}]`);
    } catch (e) {
      throw new VerifyError('bad_witness_key', (e as Error).message);
    }
  });
  return keys as string[];
}

/** Checks a TrustedCheckpoint argument, or throws VerifyError('bad_argument'). */
export function needTrusted(t: unknown): TrustedCheckpoint | null {
  if (t === undefined || t === null) return null;
  const o = t as TrustedCheckpoint;
  if (typeof o !== 'object' || !Number.isSafeInteger(o.size) || o.size < 0 || typeof o.root !== 'string' || !/^[0-9a-f]{64}$/.test(o.root)) {
    throw new VerifyError('bad_argument', 'trusted: expected {size: integer ≥ 0, root: 64 lowercase hex digits, text?}');
  }
  return o;
}

export interface OpenedCheckpoint {
  checkpoint: Checkpoint | null;
  problems: Problem[];
  /** who of the witness policy cosigned it (when there is a policy and the log's signature verified) */
  witnesses?: WitnessReport;
}

/**
 * Opens a signed checkpoint note with the log key: its signature must verify, its text
 * parse as a C2SP checkpoint, its origin be the key's name; and the witness policy must be
 * met: a list of keys (each must have cosigned), or a WitnessPolicy (a quorum of them; see
 * witness.ts). Never throws on a bad note (only on a bad logKey / witnesses).
 */
export function openCheckpoint(noteText: unknown, logKey: string, witnessKeys?: string[] | WitnessPolicy | null): OpenedCheckpoint {
  const key = needLogKey(logKey);
  const policy: WitnessPolicy | null = witnessKeys === undefined || witnessKeys === null
    ? null
    : Array.isArray(witnessKeys)
      ? (needWitnessKeys(witnessKeys).length === 0 ? null : needPolicy({ witnesses: witnessKeys, quorum: witnessKeys.length }))
      : needPolicy(witnessKeys);
  const problems: Problem[] = [];
  if (typeof noteText !== 'string') {
    return { checkpoint: null, problems: [{ code: 'malformed_bundle', message: 'the checkpoint is not a string' }] };
  }
  let text: string;
  try {
    text = openNote(noteText, [key.key]).text;
  } catch (e) {
    if (e instanceof NoteError && e.code === 'malformed') {
      problems.push({ code: 'bad_checkpoint', message: `the checkpoint note is malformed: ${e.message}` });
    } else if (e instanceof NoteError && e.code === 'unverified') {
      const who = e.unverified.map((u) => `${u.name}+${hex(u.id)}`).join(', ') || 'nobody';
      problems.push({ code: 'bad_checkpoint_signature', message: `the checkpoint is not signed by the log key ${key.name} (signed by: ${who})` });
    } else {
      problems.push({ code: 'bad_checkpoint_signature', message: `the checkpoint's signature by the log key does not verify: ${(e as Error).message}` });
    }
    return { checkpoint: null, problems };
  }
  let cp: Checkpoint;
  try {
    cp = parseCheckpoint(text);
  } catch (e) {
    return { checkpoint: null, problems: [{ code: 'bad_checkpoint', message: `the signed checkpoint text does not parse: ${(e as Error).message}` }] };
  }
  if (cp.origin !== key.name) {
    return { checkpoint: null, problems: [{ code: 'bad_checkpoint', message: `the checkpoint's origin ${JSON.stringify(cp.origin)} is not the log key's name ${JSON.stringify(key.name)}` }] };
  }
  if (policy === null) return { checkpoint: cp, problems };
  const w = checkWitnesses(noteText, policy);
  problems.push(...w.problems);
  return { checkpoint: cp, problems, witnesses: w.report };
}

export function checkpointInfo(cp: Checkpoint): CheckpointInfo {
  return { origin: cp.origin, size: cp.size, root: hex(cp.root) };
}

/** Sizes and roots alone: rollback, fork at equal size, or null when a proof is needed (or none, from the empty tree). */
function compareSizes(trusted: TrustedCheckpoint, cp: { size: number; root: Uint8Array }): Problem[] | null {
  if (cp.size < trusted.size) {
    return [{ code: 'rollback', message: `the log shows a tree of ${cp.size} entries, older than the ${trusted.size} seen before` }];
  }
  if (cp.size === trusted.size) {
    return hex(cp.root) === trusted.root
      ? []
      : [{ code: 'inconsistent_checkpoint', message: `the log shows a tree of ${cp.size} entries with root ${hex(cp.root)}, but the one seen before had root ${trusted.root}: the log forked` }];
  }
  if (trusted.size === 0) return []; // every tree extends the empty one
  return null;
}

/** Checks a consistency proof (hex hashes, as received: anything malformed is a problem) from trusted to cp. */
export function consistencyProblems(trusted: TrustedCheckpoint | null, cp: { size: number; root: Uint8Array }, hashes: unknown): Problem[] {
  if (trusted === null) return [];
  const bySize = compareSizes(trusted, cp);
  if (bySize !== null) return bySize;
  let decoded: Uint8Array[] | null = null;
  if (Array.isArray(hashes) && hashes.length <= 128) {
    try {
      decoded = hashes.map((h: unknown) => {
        const b = fromHex(h as string);
        if (b.length !== 32) throw new TypeError('not a hash');
        return b;
      });
    } catch {
      decoded = null;
    }
  }
  if (decoded === null) {
    return [{ code: 'inconsistent_checkpoint', message: `the consistency proof from ${trusted.size} to ${cp.size} is malformed (want an array of 64-digit lowercase hex hashes)` }];
  }
  if (!verifyConsistency(trusted.size, cp.size, decoded, fromHex(trusted.root), cp.root)) {
    return [{ code: 'inconsistent_checkpoint', message: `the tree of ${cp.size} entries is not consistent with the tree of ${trusted.size} seen before: the log forked or was rewritten` }];
  }
  return [];
}

/**
 * Checks that `cp` extends `trusted`: equal sizes need equal roots; a smaller size is a
 * rollback; a larger one needs a consistency proof (RFC 9162 §2.1.4.2), fetched with
 * `fetch(from, to)` only when needed. A fetch that throws is 'consistency_unavailable'.
 */
export async function checkConsistency(
  trusted: TrustedCheckpoint | null,
  cp: { size: number; root: Uint8Array },
  fetch: ((from: number, to: number) => Promise<string[]>) | undefined,
): Promise<Problem[]> {
  if (trusted === null) return [];
  const bySize = compareSizes(trusted, cp);
  if (bySize !== null) return bySize;
  if (typeof fetch !== 'function') {
    return [{ code: 'consistency_unavailable', message: `a consistency proof from ${trusted.size} to ${cp.size} is needed, and there is no way to fetch one` }];
  }
  let hashes: unknown;
  try {
    hashes = await fetch(trusted.size, cp.size);
  } catch (e) {
    return [{ code: 'consistency_unavailable', message: `no consistency proof from ${trusted.size} to ${cp.size}: ${(e as Error)?.message ?? String(e)}` }];
  }
  return consistencyProblems(trusted, cp, hashes);
}

/**
 * For auditors and witnesses: checks a new signed checkpoint (signature by logKey,
 * parse, origin) and its consistency with the old trusted one, given the consistency
 * proof's hashes (hex, from old.size to the new size; ignored when old is null or the
 * sizes are equal). Returns the problems (empty = the log advanced honestly).
 */
export function verifyCheckpointAdvance(
  old: TrustedCheckpoint | null,
  newNoteText: string,
  logKey: string,
  proofHashes: string[],
  witnesses?: string[] | WitnessPolicy | null,
): Problem[] {
  const trusted = needTrusted(old);
  const opened = openCheckpoint(newNoteText, logKey, witnesses);
  if (opened.checkpoint === null) return opened.problems;
  return [...opened.problems, ...consistencyProblems(trusted, opened.checkpoint, proofHashes)];
}

/** Opens a signed checkpoint and returns it in the TrustedCheckpoint form (to remember), or its problems. */
export function readCheckpoint(noteText: string, logKey: string, witnesses?: string[] | WitnessPolicy | null): { ok: true; checkpoint: Required<TrustedCheckpoint> & { origin: string }; witnesses?: WitnessReport } | { ok: false; problems: Problem[]; witnesses?: WitnessReport } {
  const opened = openCheckpoint(noteText, logKey, witnesses);
  if (opened.checkpoint === null || opened.problems.length > 0) return { ok: false, problems: opened.problems, witnesses: opened.witnesses };
  const cp = opened.checkpoint;
  return { ok: true, checkpoint: { origin: cp.origin, size: cp.size, root: hex(cp.root), text: noteText }, witnesses: opened.witnesses };
}
