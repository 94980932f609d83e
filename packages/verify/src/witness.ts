// Witness policies: a client accepts a checkpoint only when at least `quorum` of the
// witnesses it trusts have validly cosigned it, so a log cannot show it a view those
// witnesses did not see (C2SP tlog-cosignature v1.0.1: "Log clients can verify a quorum of
// cosignatures to prevent split-view attacks before trusting an inclusion proof").
//
// Witness keys are cosignature/v1 verifier keys (type 0x04, `name+hex8(id)+base64(0x04||pub)`)
// or plain Ed25519 note keys (type 0x01, an older style of witness that signs the checkpoint
// note itself, without a timestamp). A cosignature's timestamp more than `skewSeconds` in the
// future is refused (tlog-cosignature §Format: "verifiers MAY reject cosignatures with
// timestamps in the future"): a witness's clock may drift, but a cosignature from the future
// is one made up to look fresh.
import { NoteError, cosignatureTimestamp, isCosignatureKey, noteVerifier, openNoteWith, type NoteVerifier } from '@cotc/tlog';
import { VerifyError, type Problem } from './types.ts';

/** How far in the future a cosignature's timestamp may be, by default (seconds). */
export const WITNESS_SKEW_SECONDS = 300;

export interface WitnessPolicy {
  /** verifier keys (cosignature/v1 or Ed25519) */
  witnesses: string[];
  /** how many of them must have cosigned (1 ≤ quorum ≤ witnesses.length) */
  quorum: number;
  /** now, in ms since the epoch (default Date.now()) */
  now?: number;
  skewSeconds?: number;
}

export interface WitnessReport {
  quorum: number;
  /** the policy's witnesses that validly cosigned, with the time of their cosignature (null: an Ed25519 note signature, untimed) */
  cosigners: Array<{ name: string; key: string; time: number | null }>;
  /** the policy's witnesses whose cosignature is absent, or refused (and why) */
  missing: Array<{ name: string; key: string; reason: 'absent' | 'bad_signature' | 'future' }>;
  ok: boolean;
}

/** A policy from the options every verifier takes: `witnessKeys` and `witnessQuorum` (default: all). Null without witnesses. */
export function witnessPolicyOf(opts: { witnessKeys?: string[]; witnessQuorum?: number; now?: number; witnessSkewSeconds?: number }): WitnessPolicy | null {
  const keys = opts.witnessKeys ?? [];
  if (!Array.isArray(keys)) throw new VerifyError('bad_witness_key', 'witnessKeys: expected an array of verifier key strings');
  if (keys.length === 0) {
    if (opts.witnessQuorum !== undefined && opts.witnessQuorum !== 0) throw new VerifyError('bad_argument', 'witnessQuorum: needs witnessKeys');
    return null;
  }
  const quorum = opts.witnessQuorum ?? keys.length;
  return needPolicy({ witnesses: keys, quorum, now: opts.now, skewSeconds: opts.witnessSkewSeconds });
}

/** Checks a policy's shape and keys, or throws VerifyError. */
export function needPolicy(p: unknown): WitnessPolicy {
  const o = p as WitnessPolicy;
  if (typeof o !== 'object' || o === null || !Array.isArray(o.witnesses)) throw new VerifyError('bad_argument', 'witness policy: expected {witnesses: [verifier key…], quorum}');
  const seen = new Set<string>();
  o.witnesses.forEach((k, i) => {
    try {
      noteVerifier(k, `witnesses[${i}]`);
    } catch (e) {
      throw new VerifyError('bad_witness_key', (e as Error).message);
    }
    if (seen.has(k)) throw new VerifyError('bad_witness_key', `witnesses[${i}]: the same witness key twice`);
    seen.add(k);
  });
  if (!Number.isSafeInteger(o.quorum) || o.quorum < 1 || o.quorum > o.witnesses.length) {
    throw new VerifyError('bad_argument', `witness quorum: expected an integer from 1 to ${o.witnesses.length} (the number of witnesses), got ${String(o.quorum)}`);
  }
  if (o.now !== undefined && !Number.isFinite(o.now)) throw new VerifyError('bad_argument', 'now: expected milliseconds since the epoch');
  if (o.skewSeconds !== undefined && !(Number.isFinite(o.skewSeconds) && o.skewSeconds >= 0)) throw new VerifyError('bad_argument', 'skewSeconds: expected a number ≥ 0');
  return o;
}

/**
 * Parses a witness policy file: JSON `{"quorum": K, "witnesses": ["vkey", …]}` (entries may
 * also be `{"name": "…", "key": "vkey"}`; quorum defaults to all). Throws VerifyError.
 */
export function parseWitnessPolicy(text: string): WitnessPolicy {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new VerifyError('bad_argument', `witness policy: not JSON: ${(e as Error).message}`);
  }
  const o = j as { quorum?: unknown; witnesses?: unknown };
  if (typeof o !== 'object' || o === null || !Array.isArray(o.witnesses)) throw new VerifyError('bad_argument', 'witness policy: expected {"quorum": K, "witnesses": [verifier key…]}');
  const witnesses = o.witnesses.map((w, i) => {
    if (typeof w === 'string') return w;
    if (typeof w === 'object' && w !== null && typeof (w as { key?: unknown }).key === 'string') return (w as { key: string }).key;
    throw new VerifyError('bad_argument', `witness policy: witnesses[${i}] is not a verifier key or {key}`);
  });
  return needPolicy({ witnesses, quorum: o.quorum === undefined ? witnesses.length : o.quorum });
}

const nameOf = (k: string) => k.slice(0, Math.max(0, k.indexOf('+')));

/** Which of the policy's witnesses validly cosigned `noteText`, and the problems when fewer than the quorum did. Never throws on a bad note. */
export function checkWitnesses(noteText: string, policy: WitnessPolicy): { report: WitnessReport; problems: Problem[] } {
  const p = needPolicy(policy);
  const nowS = (p.now ?? Date.now()) / 1000;
  const skew = p.skewSeconds ?? WITNESS_SKEW_SECONDS;
  const report: WitnessReport = { quorum: p.quorum, cosigners: [], missing: [], ok: false };
  for (const key of p.witnesses) {
    const v: NoteVerifier = noteVerifier(key);
    let sig: Uint8Array | undefined;
    let reason: WitnessReport['missing'][number]['reason'] = 'absent';
    try {
      sig = openNoteWith(noteText, [v]).signatures[0]?.sig;
    } catch (e) {
      if (!(e instanceof NoteError)) throw e;
      reason = e.code === 'unverified' ? 'absent' : 'bad_signature';
    }
    if (sig === undefined) {
      report.missing.push({ name: v.name, key, reason });
      continue;
    }
    const time = isCosignatureKey(key) ? cosignatureTimestamp(sig) : null;
    if (time !== null && time > nowS + skew) {
      report.missing.push({ name: v.name, key, reason: 'future' });
      continue;
    }
    report.cosigners.push({ name: v.name, key, time });
  }
  report.ok = report.cosigners.length >= p.quorum;
  const problems: Problem[] = [];
  if (!report.ok) {
    const signed = report.cosigners.map((c) => c.name).join(', ') || 'none of them';
    const why = report.missing.map((m) => `${m.name}${m.reason === 'absent' ? '' : m.reason === 'future' ? ' (timestamped in the future: refused)' : ' (signature does not verify)'}`).join(', ');
    problems.push({
      code: 'witness_quorum',
      message: `the checkpoint is cosigned by ${report.cosigners.length} of the ${p.quorum} witnesses needed (of ${p.witnesses.length}): signed by ${signed}; not by ${why}`,
    });
    for (const m of report.missing) {
      problems.push({ code: 'missing_witness', message: `witness ${m.name} has not (validly) cosigned the checkpoint${m.reason === 'future' ? ': its cosignature is timestamped in the future' : m.reason === 'bad_signature' ? ': its signature does not verify' : ''}` });
    }
  }
  return { report, problems };
}

/** Witness names for people: "w1.example and w2.example" (names are keys' names; escape before showing). */
export function witnessNames(report: WitnessReport): string[] {
  return report.cosigners.map((c) => c.name || nameOf(c.key));
}
