// An entry's effects committed compactly (wire format 2, docs/wire-format-2.md §8): the
// leaf of one effect is its canonical JSON (RFC 8785, canonical.ts); the root, the count
// and the inclusion proofs are packages/tlog's RFC 9162 code (effects.ts there).
import { effectProofs, effectsCommitment, verifyEffectProof, type EffectCheck, type EffectProof, type EffectsCommitment } from '@cotc/tlog';
import { canonicalBytes } from './canonical.ts';
import type { Effect } from './types.ts';

/** {root, count} over `effects`, in their order. */
export function commitEffects(effects: readonly Effect[]): EffectsCommitment {
  if (!Array.isArray(effects)) throw new TypeError('effects: expected an array');
  return effectsCommitment(effects.map((e) => canonicalBytes(e)));
}

/** Inclusion proofs of effects[i] for each i of `indexes` (default all). */
export function proveEffects(effects: readonly Effect[], indexes?: readonly number[]): Promise<EffectProof[]> {
  if (!Array.isArray(effects)) throw new TypeError('effects: expected an array');
  return effectProofs(effects.map((e) => canonicalBytes(e)), indexes);
}

/** Is `effect` number proof.index of the entry committing to `commitment`? An effect that
 * cannot be canonicalised (not plain JSON of our subset) is a malformed proof, not a throw. */
export function verifyEffect(effect: unknown, proof: unknown, commitment: EffectsCommitment): EffectCheck {
  let leaf: Uint8Array;
  try {
    leaf = canonicalBytes(effect);
  } catch (e) {
    return { ok: false, code: 'effect_proof_malformed', message: `the effect is not canonical JSON: ${(e as Error).message}` };
  }
  return verifyEffectProof(leaf, proof, commitment);
}
