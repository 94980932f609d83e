// The Merkle sum tree of a gift batch (docs/gifts.md "Shape"): its shape is fixed by the gift
// count alone, exactly RFC 9162 §2.1.1's (split at the largest power of two below n), built
// bottom-up: at every level adjacent nodes pair left to right and an odd last node is carried
// up unchanged. That is the same tree as RFC 9162's recursive split, so the proof of gift i
// is its RFC 9162 audit path, with each sibling's sum beside its hash.
import { giftCanonical, giftRecordProblem, type GiftRecord } from './record.ts';
import { MAX_SUM, nobleSha256, sumLeafHash, sumNodeHash, type Sha256 } from './sumhash.ts';
import { hex } from '@cotc/tlog';

/** One level: hashes[j] and sums[j] of node j (level 0 = the gifts). */
export interface SumLevel {
  hashes: Uint8Array[];
  sums: bigint[];
}
export interface SumTree {
  count: number;
  total: bigint;
  root: Uint8Array;
  /** levels[0] are the leaves, the last level holds the root alone */
  levels: SumLevel[];
}

/** A sibling on the path from a gift to the root, bottom-up (RFC 9162 order). */
export interface SumPathStep {
  hash: string;
  sum: string;
}
/** The proof of gift `index` in a batch of `count` gifts. */
export interface SumProof {
  index: number;
  count: number;
  path: SumPathStep[];
}

/** A batch that cannot be built: names the gift and the field. */
export class GiftBatchError extends Error {
  readonly code: string;
  readonly index: number | undefined;
  constructor(code: string, message: string, index?: number) {
    super(message);
    this.name = 'GiftBatchError';
    this.code = code;
    this.index = index;
  }
}

/** The largest number of gifts in one batch: 2^24 (16,777,216), far above a day's peak per batch. */
export const MAX_GIFTS = 1 << 24;

/** Builds the tree from leaf hashes and sums; rejects a sum out of 1..2^63−1 at any node. */
export function buildSumTree(leafHashes: Uint8Array[], leafSums: bigint[], hash: Sha256 = nobleSha256): SumTree {
  const n = leafHashes.length;
  if (n === 0) throw new GiftBatchError('empty', 'a batch holds at least one gift');
  if (n > MAX_GIFTS) throw new GiftBatchError('too_many', `a batch holds at most ${MAX_GIFTS} gifts, not ${n}`);
  if (leafSums.length !== n) throw new TypeError('buildSumTree: parameters "leafHashes" and "leafSums" differ in length');
  for (let i = 0; i < n; i++) {
    const s = leafSums[i]!;
    if (s < 1n || s > MAX_SUM) throw new GiftBatchError('bad_amount', `gift ${i}: amount must be in 1..2^63-1`, i);
  }
  const levels: SumLevel[] = [{ hashes: leafHashes, sums: leafSums }];
  let cur = levels[0]!;
  while (cur.hashes.length > 1) {
    const len = cur.hashes.length;
    const up: SumLevel = { hashes: new Array(Math.ceil(len / 2)), sums: new Array(Math.ceil(len / 2)) };
    for (let j = 0; j + 1 < len; j += 2) {
      const ls = cur.sums[j]!;
      const rs = cur.sums[j + 1]!;
      const s = ls + rs;
      if (s > MAX_SUM) throw new GiftBatchError('bad_amount', 'the batch total would exceed 2^63-1');
      up.hashes[j >> 1] = sumNodeHash(cur.hashes[j]!, ls, cur.hashes[j + 1]!, rs, hash);
      up.sums[j >> 1] = s;
    }
    if (len % 2 === 1) {
      up.hashes[len >> 1] = cur.hashes[len - 1]!;
      up.sums[len >> 1] = cur.sums[len - 1]!;
    }
    levels.push(up);
    cur = up;
  }
  return { count: n, total: cur.sums[0]!, root: cur.hashes[0]!, levels };
}

/** Checks every record and builds the batch's tree; throws GiftBatchError naming the first bad gift. */
export function sumTreeOfGifts(records: readonly GiftRecord[], hash: Sha256 = nobleSha256): SumTree {
  if (!Array.isArray(records)) throw new TypeError('sumTreeOfGifts: parameter "records" must be an array');
  const n = records.length;
  if (n > MAX_GIFTS) throw new GiftBatchError('too_many', `a batch holds at most ${MAX_GIFTS} gifts, not ${n}`);
  const hashes: Uint8Array[] = new Array(n);
  const sums: bigint[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    const p = giftRecordProblem(r);
    if (p !== null) throw new GiftBatchError('bad_gift', `gift ${i}${p.startsWith('/') ? p : ': ' + p}`, i);
    hashes[i] = sumLeafHash(giftCanonical(r), hash);
    sums[i] = BigInt(r.amount);
  }
  return buildSumTree(hashes, sums, hash);
}

/** The proof of gift `index`: its siblings bottom-up, a carried-up level adding none. */
export function sumProof(tree: SumTree, index: number): SumProof {
  if (!Number.isSafeInteger(index) || index < 0 || index >= tree.count) {
    throw new RangeError(`sumProof: parameter "index" must be in 0..${tree.count - 1}`);
  }
  const path: SumPathStep[] = [];
  let j = index;
  for (let k = 0; k + 1 < tree.levels.length; k++) {
    const lv = tree.levels[k]!;
    const sib = j ^ 1;
    if (sib < lv.hashes.length) path.push({ hash: hex(lv.hashes[sib]!), sum: lv.sums[sib]!.toString() });
    j >>= 1;
  }
  return { index, count: tree.count, path };
}
