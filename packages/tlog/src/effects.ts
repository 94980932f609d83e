// The effects commitment of format 2 (docs/wire-format-2.md §8): an entry commits to its
// list of effects by {root, count}, root being the RFC 9162 Merkle Tree Hash (§2.1.1) over
// one leaf per effect (the leaf data is the effect's canonical JSON bytes, hashed as
// SHA-256(0x00 || bytes)); one effect is proven in its entry by an RFC 9162 inclusion proof
// (§2.1.3) with size = count. The same hash, proof and verifier code as the log itself:
// one rule, written once (hash.ts, tree.ts, verify.ts). This file knows nothing of what
// an effect holds; packages/ledger canonicalises effects into the leaf bytes.
import { fromHex, hex } from './bytes.ts';
import { leafHash } from './hash.ts';
import { rootHash } from './integrate.ts';
import { MemoryTree } from './tree.ts';
import { verifyInclusion } from './verify.ts';

export interface EffectsCommitment {
  /** lowercase hex of the Merkle Tree Hash over the effects' leaves */
  root: string;
  count: number;
}

/** An effect's inclusion proof in its entry's effects tree: RFC 9162 order, hex. */
export interface EffectProof {
  index: number;
  hashes: string[];
}

export type EffectProblemCode = 'effect_proof_malformed' | 'effect_index_out_of_range' | 'effect_root_mismatch';
export const EFFECT_PROBLEM_CODES: readonly EffectProblemCode[] = ['effect_proof_malformed', 'effect_index_out_of_range', 'effect_root_mismatch'];
export type EffectCheck = { ok: true } | { ok: false; code: EffectProblemCode; message: string };

function needLeaves(leaves: unknown): asserts leaves is Uint8Array[] {
  if (!Array.isArray(leaves) || !leaves.every((l) => l instanceof Uint8Array)) throw new TypeError('leaves: expected an array of Uint8Array');
}

/** {root, count} of a list of effect leaves (each the canonical bytes of one effect). The
 * empty list commits to SHA-256("") and 0, as RFC 9162's MTH({}). */
export function effectsCommitment(leaves: readonly Uint8Array[]): EffectsCommitment {
  needLeaves(leaves);
  return { root: hex(rootHash(leaves.map((l) => leafHash(l)))), count: leaves.length };
}

/** The inclusion proofs of the effects at `indexes` (default all) in their list. */
export async function effectProofs(leaves: readonly Uint8Array[], indexes?: readonly number[]): Promise<EffectProof[]> {
  needLeaves(leaves);
  const tree = new MemoryTree();
  for (const l of leaves) await tree.append(leafHash(l));
  const want = indexes ?? leaves.map((_, i) => i);
  const out: EffectProof[] = [];
  for (const i of want) {
    if (!Number.isSafeInteger(i) || i < 0 || i >= leaves.length) throw new RangeError(`indexes: ${i} is not an index into ${leaves.length} effects`);
    out.push({ index: i, hashes: (await tree.inclusionProof(i)).map((h) => hex(h)) });
  }
  return out;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Does `proof` show that `leaf` (an effect's canonical bytes) is effect number
 * proof.index of the entry committing to `commitment`? Checks in the order of §8.3. */
export function verifyEffectProof(leaf: Uint8Array, proof: unknown, commitment: EffectsCommitment): EffectCheck {
  if (!(leaf instanceof Uint8Array)) throw new TypeError('leaf: expected a Uint8Array');
  if (typeof commitment !== 'object' || commitment === null || typeof commitment.root !== 'string' || !HEX64.test(commitment.root) || !Number.isSafeInteger(commitment.count) || commitment.count < 0) {
    throw new TypeError('commitment: expected {root: 64 hex, count: integer ≥ 0}');
  }
  const p = proof as Partial<EffectProof> | null;
  if (typeof p !== 'object' || p === null || Array.isArray(p) || Object.keys(p).some((k) => k !== 'index' && k !== 'hashes')) {
    return { ok: false, code: 'effect_proof_malformed', message: 'the effect proof is not {"index", "hashes"}' };
  }
  if (!Number.isSafeInteger(p.index) || (p.index as number) < 0 || !Array.isArray(p.hashes) || p.hashes.length > 64 || !p.hashes.every((h) => typeof h === 'string' && HEX64.test(h))) {
    return { ok: false, code: 'effect_proof_malformed', message: 'index is not an integer ≥ 0, or hashes are not 64 lowercase hex digits each' };
  }
  if ((p.index as number) >= commitment.count) {
    return { ok: false, code: 'effect_index_out_of_range', message: `effect ${p.index} of an entry with ${commitment.count} effects` };
  }
  const ok = verifyInclusion(leafHash(leaf), p.index as number, commitment.count, p.hashes.map((h) => fromHex(h)), fromHex(commitment.root));
  return ok ? { ok: true } : { ok: false, code: 'effect_root_mismatch', message: 'the effect and its proof do not lead to the entry\'s effects root' };
}
