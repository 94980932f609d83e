// Test-only helpers for the tlog Merkle suites (not a suite itself: no .test.ts suffix).
//
// The reference here is written straight from the RFC 9162 §2.1 definitions (MTH, PATH,
// PROOF/SUBPROOF) over node:crypto's SHA-256, so it shares no code with @cotc/tlog
// (which hashes with @noble/hashes and computes everything incrementally).
import { createHash } from 'node:crypto';

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

const ZERO = Uint8Array.of(0x00);
const ONE = Uint8Array.of(0x01);

export const refLeafHash = (data: Uint8Array): Uint8Array => sha256(ZERO, data);
export const refNodeHash = (l: Uint8Array, r: Uint8Array): Uint8Array => sha256(ONE, l, r);

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
export function unhex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(s)) throw new Error(`bad hex ${s}`);
  return new Uint8Array(Buffer.from(s, 'hex'));
}
export function unb64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'));
}
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}

/** k: the largest power of two strictly below n (n ≥ 2). RFC 9162 §2.1.1. */
export function splitPoint(n: number): number {
  if (!(n >= 2)) throw new Error(`splitPoint(${n})`);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export const isPow2 = (n: number): boolean => n >= 1 && 2 ** Math.round(Math.log2(n)) === n;

/** MTH(D[n]) exactly as RFC 9162 §2.1.1 states it: plain recursion, no memo, no stack. */
export function plainMTH(leafHashes: readonly Uint8Array[]): Uint8Array {
  const n = leafHashes.length;
  if (n === 0) return sha256();
  if (n === 1) return leafHashes[0]!;
  const k = splitPoint(n);
  return refNodeHash(plainMTH(leafHashes.slice(0, k)), plainMTH(leafHashes.slice(k)));
}

/** The same MTH, memoised on [lo, hi) so that proofs over thousands of leaves stay cheap. */
export class RefTree {
  readonly leaves: Uint8Array[];
  #memo = new Map<number, Uint8Array>();
  constructor(leaves: Uint8Array[]) {
    this.leaves = leaves;
  }
  mth(lo: number, hi: number): Uint8Array {
    const n = hi - lo;
    if (n <= 0) throw new Error('mth of an empty range');
    if (n === 1) return this.leaves[lo]!;
    const key = lo * 2 ** 26 + hi;
    let h = this.#memo.get(key);
    if (!h) {
      const k = splitPoint(n);
      h = refNodeHash(this.mth(lo, lo + k), this.mth(lo + k, hi));
      this.#memo.set(key, h);
    }
    return h;
  }
  root(size: number): Uint8Array {
    return size === 0 ? sha256() : this.mth(0, size);
  }
  /** RFC 9162 §2.1.3.1 PATH(m, D[lo:hi]), bottom-up. */
  path(m: number, lo: number, hi: number): Uint8Array[] {
    const n = hi - lo;
    if (n === 1) return [];
    const k = splitPoint(n);
    if (m < k) return [...this.path(m, lo, lo + k), this.mth(lo + k, hi)];
    return [...this.path(m - k, lo + k, hi), this.mth(lo, lo + k)];
  }
  inclusion(index: number, size: number): Uint8Array[] {
    return this.path(index, 0, size);
  }
  /** RFC 9162 §2.1.4.1 SUBPROOF(m, D[lo:hi], b). */
  subproof(m: number, lo: number, hi: number, b: boolean): Uint8Array[] {
    const n = hi - lo;
    if (m === n) return b ? [] : [this.mth(lo, hi)];
    const k = splitPoint(n);
    if (m <= k) return [...this.subproof(m, lo, lo + k, b), this.mth(lo + k, hi)];
    return [...this.subproof(m - k, lo + k, hi, false), this.mth(lo, lo + k)];
  }
  consistency(size1: number, size2: number): Uint8Array[] {
    return this.subproof(size1, 0, size2, true);
  }
}

/**
 * The shape of an inclusion proof: for each proof hash (bottom-up), whether it is a left
 * ('L') or right ('R') sibling, from the PATH recursion. An RFC 9162 verifier does exactly
 * the same hashing for two (index, size) statements with equal shapes, so a proof for one
 * verifies for the other against the same root: the proof does not bind the size beyond
 * its shape. Any other change of index or size must fail.
 */
export function inclusionShape(m: number, n: number): string {
  if (!(Number.isSafeInteger(m) && Number.isSafeInteger(n) && m >= 0 && m < n)) return 'invalid';
  let s = '';
  // Walk top-down and prepend, so the string reads bottom-up like the proof.
  while (n > 1) {
    const k = splitPoint(n);
    if (m < k) {
      s = 'R' + s;
      n = k;
    } else {
      s = 'L' + s;
      m -= k;
      n -= k;
    }
  }
  return s;
}

/**
 * The shape of a consistency proof (size1 → size2): where the verifier's starting hash
 * comes from ('r' = root1 itself, when size1 is a power of two; 'p' = the first proof
 * hash), then for each further hash whether it is a left sibling shared by both trees
 * ('L') or a right sibling only in the second ('R'), from the SUBPROOF recursion. Equal
 * shapes mean identical verifier hashing.
 */
export function consistencyShape(m: number, n: number): string {
  if (!(Number.isSafeInteger(m) && Number.isSafeInteger(n) && m >= 1 && m < n)) return 'invalid';
  let s = '';
  let b = true;
  while (m !== n) {
    const k = splitPoint(n);
    if (m <= k) {
      s = 'R' + s;
      n = k;
    } else {
      s = 'L' + s;
      m -= k;
      n -= k;
      b = false;
    }
  }
  return (b ? 'r' : 'p') + s;
}

/** Flips bit `bit` (0 = least significant) of a non-negative safe integer, without 32-bit ops. */
export function flipBit(x: number, bit: number): number {
  const p = 2 ** bit;
  return Math.floor(x / p) % 2 === 1 ? x - p : x + p;
}

/** A copy of `b` with bit `bit` (0..8·len-1, bit 0 = MSB of byte 0) flipped. */
export function flipByteBit(b: Uint8Array, bit: number): Uint8Array {
  const c = b.slice();
  c[bit >> 3] = c[bit >> 3]! ^ (0x80 >> (bit & 7));
  return c;
}

/** A small deterministic PRNG (mulberry32) so sampled tests are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Leaf data for test trees: the UTF-8 of "leaf <i>" (as Go's tlog tests do). */
export const leafData = (i: number): Uint8Array => new TextEncoder().encode(`leaf ${i}`);
