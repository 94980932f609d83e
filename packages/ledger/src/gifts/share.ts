// The allocation of a batch's money to its gifts (docs/gifts.md "Shares"): one rule for the
// server, the verifier and the auditor.
//
// Rule. Think of a batch of total T as T units in a row, numbered 0..T−1 (units.ts says which
// units every hop moved). units_i(x), the number of gift i's units among the first x, is
// found by walking the sum tree from the root down: a node of sums (L, R) holding x units
// gives round-half-up(x·L / (L+R)) to its left child and the rest to its right; a carried-up
// node passes x unchanged. A hop that moved units [s, e) gives gift i
// units_i(e) − units_i(s).
//
// Why this rule and not largest remainder per hop: shares must add up at every node of the
// trace for every gift (what enters a fund = what leaves + what stays), and per-hop rounding
// cannot promise that (three 1-unit gifts, three 1-unit hops: each hop's "largest remainder"
// picks gift 0, which then spends 3 of its 1). Here a hop's share is a difference of one
// monotone function, so:
//  - the shares of a hop add up exactly to the hop (Σ_i units_i(x) = x at every x);
//  - units_i is non-decreasing in x and units_i(T) = a_i: no share is negative, and a gift's
//    shares of the hops out of any node add up to what it brought in;
//  - it is proportional up to rounding: |units_i(x) − x·a_i/T| < depth/2 + 1 units;
//  - a donor computes it from their own proof (the sibling sums on the path): O(log n).
import type { SumTree } from './sumtree.ts';
import type { PathSplit } from './sumverify.ts';

/** The units of x (0 ≤ x ≤ L+R) a node of child sums (L, R) gives its left child. */
export function leftUnits(x: bigint, leftSum: bigint, rightSum: bigint): bigint {
  const t = leftSum + rightSum;
  if (leftSum < 1n || rightSum < 1n) throw new RangeError('leftUnits: parameters "leftSum" and "rightSum" must be at least 1');
  if (x < 0n || x > t) throw new RangeError(`leftUnits: parameter "x" must be in 0..${t}`);
  return (2n * x * leftSum + t) / (2n * t);
}

/** units_i(x) for the gift whose path splits (top-down, from verifyGiftProof) are given; `total` is the batch's. */
export function giftUnits(x: bigint, splits: readonly PathSplit[], total: bigint): bigint {
  if (x < 0n || x > total) throw new RangeError(`giftUnits: parameter "x" must be in 0..${total}`);
  let u = x;
  for (const s of splits) {
    const l = leftUnits(u, s.leftSum, s.rightSum);
    u = s.left ? l : u - l;
  }
  return u;
}

/** units_i(x) for every gift i of the tree, in O(n). */
export function allGiftUnits(tree: SumTree, x: bigint): bigint[] {
  if (x < 0n || x > tree.total) throw new RangeError(`allGiftUnits: parameter "x" must be in 0..${tree.total}`);
  let cur: bigint[] = [x];
  for (let k = tree.levels.length - 1; k > 0; k--) {
    const below = tree.levels[k - 1]!;
    const len = below.sums.length;
    const next: bigint[] = new Array(len);
    for (let j = 0; j < cur.length; j++) {
      const a = 2 * j;
      if (a + 1 < len) {
        const l = leftUnits(cur[j]!, below.sums[a]!, below.sums[a + 1]!);
        next[a] = l;
        next[a + 1] = cur[j]! - l;
      } else {
        next[a] = cur[j]!;
      }
    }
    cur = next;
  }
  return cur;
}

/** A half-open range [start, end) of a batch's units. */
export type UnitRange = readonly [start: bigint, end: bigint];

/** One gift's share of some unit ranges, given its units function. */
export function shareOf(ranges: readonly UnitRange[], units: (x: bigint) => bigint): bigint {
  let s = 0n;
  for (const [a, b] of ranges) s += units(b) - units(a);
  return s;
}

/** Every gift's share of some unit ranges (the server's and the auditor's view), O(n) per range end. */
export function allShares(tree: SumTree, ranges: readonly UnitRange[]): bigint[] {
  const out: bigint[] = new Array(tree.count).fill(0n);
  for (const [a, b] of ranges) {
    const ua = allGiftUnits(tree, a);
    const ub = allGiftUnits(tree, b);
    for (let i = 0; i < tree.count; i++) out[i]! += ub[i]! - ua[i]!;
  }
  return out;
}
