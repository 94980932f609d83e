// Map proofs of presence and absence, and their verifier (docs/wire-format-2.md §4 "Map
// proofs" and §5 "Verifying a map proof"). A proof is the list of sibling hashes along the
// key's path, from the terminal node up to the root, and the terminal: the key's own leaf
// (presence), EMPTY (absence), or the leaf of another record sharing the path's first
// `depth` bits (absence: that record is alone in the subtree the key would be in).
//
//   {"siblings": ["<64 hex>" | null, …], "leaf": {"path": "<64 hex>", "valueHash": "<64 hex>"}}
//
// siblings[0] is the sibling of the terminal node (at depth d = siblings.length), the last
// is the sibling of the root's child on the path; null is EMPTY (the only spelling of it).
// "leaf" is present exactly when the terminal is another record's leaf.
//
// The verifier follows §5 step by step; each failure is a problem with a stable code. It
// never throws on a bad proof (only on a caller's bad argument: a key or value that is not
// a string, a root that is not 32 bytes).
import { utf8 } from '../bytes.ts';
import { MAP_DEPTH, MAP_EMPTY, commonPrefixBits, hex32At, mapLeafHash, mapNodeHash, mapPath, mapValueHash, pathBit } from './hash.ts';

export interface MapProof {
  siblings: Array<string | null>;
  leaf?: { path: string; valueHash: string };
}

export type MapProblemCode =
  | 'map_proof_malformed'
  | 'map_proof_noncanonical'
  | 'map_key_absent'
  | 'map_key_present'
  | 'map_leaf_off_path'
  | 'map_root_mismatch';

/** Every code the verifier can give, in check order (§5). */
export const MAP_PROBLEM_CODES: readonly MapProblemCode[] = [
  'map_proof_malformed',
  'map_proof_noncanonical',
  'map_key_absent',
  'map_key_present',
  'map_leaf_off_path',
  'map_root_mismatch',
];

export type MapCheck = { ok: true; depth: number } | { ok: false; code: MapProblemCode; message: string };

const HEX64 = /^[0-9a-f]{64}$/;
const ZERO64 = '0'.repeat(64);

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

const fail = (code: MapProblemCode, message: string): MapCheck => ({ ok: false, code, message });

/**
 * §5: does `proof` show that, in the map with root `root`, the record `key` has the value
 * `value` (a string), or is absent (`value` null)?
 */
export function verifyMapProof(root: Uint8Array, key: string, value: string | null, proof: unknown): MapCheck {
  if (typeof key !== 'string') throw new TypeError('key: expected a string');
  if (value !== null && typeof value !== 'string') throw new TypeError('value: expected a string or null');
  utf8(key, 'key');
  return verifyMapProofHashes(root, mapPath(key), value === null ? null : mapValueHash(value), proof);
}

/** verifyMapProof with the key's path and the value's hash already computed. */
export function verifyMapProofHashes(root: Uint8Array, path: Uint8Array, valueHash: Uint8Array | null, proof: unknown): MapCheck {
  if (!(root instanceof Uint8Array) || root.length !== 32) throw new TypeError('root: expected a 32-byte Uint8Array');
  if (!(path instanceof Uint8Array) || path.length !== 32) throw new TypeError('path: expected a 32-byte Uint8Array');
  if (valueHash !== null && (!(valueHash instanceof Uint8Array) || valueHash.length !== 32)) {
    throw new TypeError('valueHash: expected a 32-byte Uint8Array or null');
  }
  // Step 1 — shape.
  if (!isPlainObject(proof)) return fail('map_proof_malformed', 'the proof is not a JSON object');
  for (const k of Object.keys(proof)) {
    if (k !== 'siblings' && k !== 'leaf') return fail('map_proof_malformed', `the proof has an unknown field ${JSON.stringify(k)}`);
  }
  const sibs = proof.siblings;
  if (!Array.isArray(sibs)) return fail('map_proof_malformed', 'siblings is not an array');
  if (sibs.length > MAP_DEPTH) return fail('map_proof_malformed', `${sibs.length} siblings: a path has at most ${MAP_DEPTH}`);
  for (let i = 0; i < sibs.length; i++) {
    const s = sibs[i];
    if (s !== null && (typeof s !== 'string' || !HEX64.test(s))) {
      return fail('map_proof_malformed', `siblings[${i}] is neither null nor 64 lowercase hex digits`);
    }
  }
  let leaf: { path: Uint8Array; valueHash: Uint8Array } | null = null;
  if ('leaf' in proof) {
    const l = proof.leaf;
    if (!isPlainObject(l) || Object.keys(l).length !== 2 || typeof l.path !== 'string' || typeof l.valueHash !== 'string') {
      return fail('map_proof_malformed', 'leaf is not {"path", "valueHash"}');
    }
    if (!HEX64.test(l.path) || !HEX64.test(l.valueHash)) return fail('map_proof_malformed', 'leaf.path or leaf.valueHash is not 64 lowercase hex digits');
    leaf = { path: hex32At(l.path), valueHash: hex32At(l.valueHash) };
  }
  const depth = sibs.length;
  // Step 2 — canonical form: EMPTY has one spelling, and the terminal sits as high as it
  // can (its sibling is never EMPTY, or the terminal would belong one level up).
  for (let i = 0; i < depth; i++) {
    if (sibs[i] === ZERO64) return fail('map_proof_noncanonical', `siblings[${i}] spells EMPTY as zeros instead of null`);
  }
  if (depth > 0 && sibs[0] === null) return fail('map_proof_noncanonical', 'the terminal\'s sibling is EMPTY: the terminal belongs one level higher');
  // Step 3 — the claim and the terminal agree.
  if (valueHash !== null && leaf !== null) return fail('map_key_absent', 'the proof ends at another record\'s leaf: it proves the key absent');
  if (valueHash === null && leaf !== null && commonPrefixBits(leaf.path, path) === MAP_DEPTH) {
    return fail('map_key_present', 'the proof ends at the key\'s own leaf: the key is present');
  }
  // Step 4 — another record's leaf must lie on the key's path down to the terminal depth.
  if (leaf !== null && commonPrefixBits(leaf.path, path) < depth) {
    return fail('map_leaf_off_path', `the terminal leaf shares ${commonPrefixBits(leaf.path, path)} leading bits with the key's path, fewer than its depth ${depth}`);
  }
  // Step 5 — fold from the terminal up to the root along the key's path.
  let h = valueHash !== null ? mapLeafHash(path, valueHash) : leaf !== null ? mapLeafHash(leaf.path, leaf.valueHash) : MAP_EMPTY;
  for (let i = 0; i < depth; i++) {
    const s = sibs[i];
    const sib = s === null ? MAP_EMPTY : hex32At(s as string);
    // The node at depth d−i is the child of its parent on side bit (d−i−1) of the path.
    h = pathBit(path, depth - 1 - i) === 1 ? mapNodeHash(sib, h) : mapNodeHash(h, sib);
  }
  // Step 6 — the root.
  let d = 0;
  for (let i = 0; i < 32; i++) d |= h[i]! ^ root[i]!;
  if (d !== 0) return fail('map_root_mismatch', 'the proof does not lead to the root');
  return { ok: true, depth };
}
