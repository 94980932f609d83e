// Index math of a tiled Merkle log, kept apart from hashing (after Go's
// golang.org/x/mod/sumdb/tlog). Stored hashes are numbered in the order an append-only
// log writes them: leaf n's hash, then the hashes of every perfect subtree that leaf
// completes, bottom-up. Level L's n'th hash is the root of leaves [n·2^L, (n+1)·2^L).
//
// All sizes and indexes are non-negative safe integers (< 2^53); arithmetic avoids
// 32-bit bitwise operators so trees beyond 2^31 leaves stay correct.

export function checkIndex(x: unknown, param: string): asserts x is number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) {
    throw new RangeError(`${param}: expected a non-negative safe integer, got ${String(x)}`);
  }
}

const pow2 = (k: number) => 2 ** k;

/** Number of trailing one bits of n (n ≥ 0). */
function trailingOnes(n: number): number {
  let c = 0;
  while (n % 2 === 1) {
    c++;
    n = (n - 1) / 2;
  }
  return c;
}

/** The stored-hash index of the hash at (level, n). */
export function storedHashIndex(level: number, n: number): number {
  checkIndex(level, 'level');
  checkIndex(n, 'n');
  // Level L's n'th hash is written right after level L-1's (2n+1)'th hash; walk down to
  // level 0 and add the level back at the end.
  for (let l = level; l > 0; l--) n = 2 * n + 1;
  // Level 0's n'th hash is written at n + n/2 + n/4 + ... .
  let i = 0;
  for (; n > 0; n = Math.floor(n / 2)) i += n;
  return i + level;
}

/** Inverse of storedHashIndex. */
export function splitStoredHashIndex(index: number): { level: number; n: number } {
  checkIndex(index, 'index');
  // storedHashIndex(0, n) ≤ 2n, so the leaf that wrote `index` is in [index/2, index/2 + log2(index)].
  let n = Math.floor(index / 2);
  let indexN = storedHashIndex(0, n);
  if (indexN > index) throw new Error('tlog: bad math in splitStoredHashIndex');
  for (;;) {
    // Leaf n+1 adds 1 + trailingZeros(n+1) hashes: itself and the subtrees it completes.
    const x = indexN + 1 + trailingZeros(n + 1);
    if (x > index) break;
    n++;
    indexN = x;
  }
  const level = index - indexN;
  return { level, n: Math.floor(n / pow2(level)) };
}

/** Trailing zero bits of m > 0. */
function trailingZeros(m: number): number {
  let c = 0;
  while (m > 0 && m % 2 === 0) {
    c++;
    m /= 2;
  }
  return c;
}

/** The number of stored hashes in a tree of n leaves. */
export function storedHashCount(n: number): number {
  checkIndex(n, 'n');
  if (n === 0) return 0;
  return storedHashIndex(0, n - 1) + 1 + trailingOnes(n - 1);
}

/** The stored-hash indexes that must be read to append leaf n (the completed-subtree
 * siblings, in increasing order); the new hashes are nodeHash(old[m-1-i], h) bottom-up. */
export function appendIndexes(n: number): number[] {
  checkIndex(n, 'n');
  const m = trailingOnes(n);
  const out = new Array<number>(m);
  for (let i = 0; i < m; i++) out[m - 1 - i] = storedHashIndex(i, Math.floor(n / pow2(i)) - 1);
  return out;
}

/** k = the largest power of two strictly below n (n ≥ 2), and log2(k). */
function maxpow2(n: number): [number, number] {
  if (n <= 0x80000000) {
    // 31 - clz32(n - 1) = floor(log2(n - 1)): the exponent of the largest power of two < n.
    const l = n <= 1 ? 0 : 31 - Math.clz32(n - 1);
    return [2 ** l, l];
  }
  let l = 31;
  while (pow2(l + 1) < n) l++;
  return [pow2(l), l];
}

// The functions below come in pairs, as in Go's tlog: xxxIndex lists which stored hashes
// a computation needs (in the order it consumes them); the hashing code in tree.ts then
// reads them with one batched call and folds them.

/** Perfect subtrees covering [lo, hi), largest first, as stored-hash indexes. */
export function subTreeIndex(lo: number, hi: number, need: number[]): number[] {
  while (lo < hi) {
    const [k, level] = maxpow2(hi - lo + 1);
    if (lo % k !== 0) throw new Error('tlog: bad math in subTreeIndex');
    need.push(storedHashIndex(level, lo / k));
    lo += k;
  }
  return need;
}

/** Number of perfect subtrees covering [lo, hi). */
export function subTreeCount(lo: number, hi: number): number {
  let c = 0;
  while (lo < hi) {
    const [k] = maxpow2(hi - lo + 1);
    c++;
    lo += k;
  }
  return c;
}

/** Hashes needed for the inclusion proof of leaf n in [lo, hi) (RFC 9162 §2.1.3.1 PATH). */
export function inclusionIndex(lo: number, hi: number, n: number, need: number[]): number[] {
  if (!(lo <= n && n < hi)) throw new Error('tlog: bad math in inclusionIndex');
  if (lo + 1 === hi) return need;
  const [k] = maxpow2(hi - lo);
  if (n < lo + k) {
    inclusionIndex(lo, lo + k, n, need);
    subTreeIndex(lo + k, hi, need);
  } else {
    subTreeIndex(lo, lo + k, need);
    inclusionIndex(lo + k, hi, n, need);
  }
  return need;
}

/** Hashes needed for the consistency proof of size n within [lo, hi) (RFC 9162 §2.1.4.1 SUBPROOF). */
export function consistencyIndex(lo: number, hi: number, n: number, need: number[]): number[] {
  if (!(lo < n && n <= hi)) throw new Error('tlog: bad math in consistencyIndex');
  if (n === hi) {
    if (lo === 0) return need;
    return subTreeIndex(lo, hi, need);
  }
  const [k] = maxpow2(hi - lo);
  if (n <= lo + k) {
    consistencyIndex(lo, lo + k, n, need);
    subTreeIndex(lo + k, hi, need);
  } else {
    subTreeIndex(lo, lo + k, need);
    consistencyIndex(lo + k, hi, n, need);
  }
  return need;
}

export { maxpow2 };
