// Proof verification, RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), written
// as the RFC's algorithms step by step. These never throw on bad input: a malformed
// proof is just a proof that does not verify, so they return false.
import { HASH_SIZE, nodeHash } from './hash.ts';

function isHash(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array && x.length === HASH_SIZE;
}

function isSize(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

function isProof(p: unknown): p is Uint8Array[] {
  // 64 levels bound any tree of safe-integer size; longer is malformed.
  return Array.isArray(p) && p.length <= 64 && p.every(isHash);
}

const odd = (x: number) => x % 2 === 1;

function isPowerOfTwo(x: number): boolean {
  while (x > 1 && x % 2 === 0) x /= 2;
  return x === 1;
}
const half = (x: number) => Math.floor(x / 2);

/** Root computed from a leaf and its inclusion proof, or null if the proof's shape is wrong. */
export function rootFromInclusionProof(leaf: Uint8Array, index: number, size: number, proof: Uint8Array[]): Uint8Array | null {
  if (!isHash(leaf) || !isSize(index) || !isSize(size) || !isProof(proof)) return null;
  // 1. leaf_index must be below tree_size.
  if (index >= size) return null;
  // 2. fn = leaf_index, sn = tree_size - 1; 3. r = hash.
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  // 4. For each p in the path:
  for (const p of proof) {
    // a. If sn is 0, the proof is too long.
    if (sn === 0) return null;
    // b. If LSB(fn) is set, or fn equals sn, p is a left sibling.
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      // Skip levels where this node is the last, unpaired one.
      if (!odd(fn)) {
        while (!(odd(fn) || fn === 0)) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    // c. Move up a level.
    fn = half(fn);
    sn = half(sn);
  }
  // 5. sn must be 0 (the proof was not too short).
  if (sn !== 0) return null;
  return r;
}

/** RFC 9162 §2.1.3.2. */
export function verifyInclusion(leafHash: Uint8Array, index: number, size: number, proof: Uint8Array[], root: Uint8Array): boolean {
  if (!isHash(root)) return false;
  const r = rootFromInclusionProof(leafHash, index, size, proof);
  return r !== null && equal(r, root);
}

/**
 * RFC 9162 §2.1.4.2. size1 must be 0 < size1 ≤ size2: a consistency proof is defined for
 * a non-empty first tree (§2.1.4); for size1 = size2 the proof is empty and the roots
 * must be equal. As in the Go reference (transparency-dev/merkle proof.VerifyConsistency,
 * golden case "sizes-are-equal-one-and-proof-is-empty"), equal sizes compare the roots as
 * given, of any length: there is nothing to hash, so a root's length is not this
 * function's to judge (checkpoints always carry 32-byte roots anyway).
 */
export function verifyConsistency(size1: number, size2: number, proof: Uint8Array[], root1: Uint8Array, root2: Uint8Array): boolean {
  if (!isSize(size1) || !isSize(size2) || !isProof(proof)) return false;
  if (size1 === 0 || size1 > size2) return false;
  if (size1 === size2) return proof.length === 0 && root1 instanceof Uint8Array && root2 instanceof Uint8Array && equal(root1, root2);
  if (!isHash(root1) || !isHash(root2)) return false;
  // 1. An empty path cannot prove anything for size1 < size2.
  if (proof.length === 0) return false;
  // 2. If size1 is an exact power of 2, prepend first_hash to the path.
  let path = proof;
  if (isPowerOfTwo(size1)) path = [root1, ...proof];
  // 3. fn = size1 - 1, sn = size2 - 1.
  let fn = size1 - 1;
  let sn = size2 - 1;
  // 4. If LSB(fn) is set, shift fn and sn right until it is not.
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5. fr = sr = path[0].
  let fr = path[0]!;
  let sr = path[0]!;
  // 6. For each subsequent c:
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    // a. If sn is 0, the proof is too long.
    if (sn === 0) return false;
    // b.
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (!(odd(fn) || fn === 0)) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    // c.
    fn = half(fn);
    sn = half(sn);
  }
  // 7. fr = first_hash, sr = second_hash, sn = 0.
  return sn === 0 && equal(fr, root1) && equal(sr, root2);
}

interface PathSlot {
  /** The parent's index at its level. */
  pfn: number;
  left: Uint8Array;
  right: Uint8Array;
  out: Uint8Array;
}

const HEX_HASH = /^[0-9a-f]{64}$/;

function hex32(s: string): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    const hi = s.charCodeAt(2 * i);
    const lo = s.charCodeAt(2 * i + 1);
    out[i] = ((hi < 97 ? hi - 48 : hi - 87) << 4) | (lo < 97 ? lo - 48 : lo - 87);
  }
  return out;
}

/**
 * Many inclusion proofs against one tree (a trace bundle: thousands of entries, one
 * checkpoint), each exactly as RFC 9162 §2.1.3.2 (verifyInclusion), with proof hashes as
 * lowercase hex strings. Neighbouring leaves share the upper part of their paths: each
 * level remembers the last node hash it computed, with its inputs, and reuses it when the
 * same inputs come again, so a sorted run of proofs costs about one hash per level per new
 * subtree instead of log2(size) per leaf. Only equal inputs are reused: every answer is the
 * one verifyInclusion gives.
 */
export class InclusionBatch {
  readonly size: number;
  readonly #root: Uint8Array;
  readonly #slots: Array<PathSlot | undefined> = [];

  constructor(size: number, root: Uint8Array) {
    this.size = size;
    this.#root = root;
  }

  /**
   * True when `proof` (hex strings) proves `leaf` at `index` in the tree of this size and
   * root. Strings that are not 64 lowercase hex digits make it false (check them first for
   * a message); never throws.
   */
  verify(leaf: Uint8Array, index: number, proof: readonly unknown[]): boolean {
    if (!isHash(leaf) || !isSize(index) || !isHash(this.#root) || !Array.isArray(proof) || proof.length > 64) return false;
    for (const p of proof) if (typeof p !== 'string' || !HEX_HASH.test(p)) return false;
    const size = this.size;
    if (!isSize(size) || index >= size) return false;
    let fn = index;
    let sn = size - 1;
    let level = 0;
    let r = leaf;
    for (const p of proof as string[]) {
      if (sn === 0) return false;
      const left = odd(fn) || fn === sn;
      if (left && !odd(fn)) {
        while (!(odd(fn) || fn === 0)) {
          fn = half(fn);
          sn = half(sn);
          level++;
        }
      }
      // r is the node at (level, fn); its parent, at (level + 1, fn >> 1), is H(p, r) or H(r, p).
      const ph = hex32(p);
      const l = left ? ph : r;
      const rt = left ? r : ph;
      const pfn = half(fn);
      const slot = this.#slots[level];
      if (slot !== undefined && slot.pfn === pfn && equal(slot.left, l) && equal(slot.right, rt)) {
        r = slot.out;
      } else {
        const out = nodeHash(l, rt);
        this.#slots[level] = { pfn, left: l, right: rt, out };
        r = out;
      }
      fn = half(fn);
      sn = half(sn);
      level++;
    }
    if (sn !== 0) return false;
    return equal(r, this.#root);
  }
}
