// The verifier of one gift's sum-tree proof (docs/gifts.md "Verifying a gift"): from the
// gift record and its path, recompute the root hash and the batch total and compare them
// with what the batch event committed to. Step by step, so a donor (or the CLI) can show
// each step; a failure is a problem with a stable code, never an exception.
import { fromHex, hex } from '@cotc/tlog';
import { giftCanonical, giftRecordProblem } from './record.ts';
import { MAX_SUM, nobleSha256, sumLeafHash, sumNodeHash, type Sha256 } from './sumhash.ts';
import { MAX_GIFTS } from './sumtree.ts';

export type GiftProblemCode =
  | 'bad_record' // the record is not a gift record (shape, amount, channel, donor, measure)
  | 'bad_index' // index not in 0..count−1, or count not in 1..2^24
  | 'bad_path' // malformed path: not an array, a hash that is not 64 hex, a sum that is not an integer string
  | 'bad_path_length' // more or fewer siblings than the tree of `count` gifts has on this gift's path
  | 'bad_sum' // a sibling's sum is below the number of gifts under it (each gift is at least 1) or above 2^63−1
  | 'sum_overflow' // a parent's sum would exceed 2^63−1
  | 'root_mismatch' // the recomputed root hash is not the batch's
  | 'total_mismatch'; // the recomputed total is not the batch's

export interface GiftProblem {
  code: GiftProblemCode;
  message: string;
}
/** One step up the tree: the level, whether the gift's side was left or right (or carried up), the node's hash and sum. */
export interface GiftStep {
  level: number;
  side: 'leaf' | 'left' | 'right' | 'carried';
  hash: string;
  sum: string;
}
/** What a path tells about the node splits above the gift, for the allocation (share.ts). */
export interface PathSplit {
  /** the gift's subtree is the left child (true) or the right one */
  left: boolean;
  leftSum: bigint;
  rightSum: bigint;
}
export type GiftVerdict =
  | { ok: true; steps: GiftStep[]; splits: PathSplit[]; amount: bigint }
  | { ok: false; steps: GiftStep[]; problem: GiftProblem };

export interface GiftClaim {
  record: unknown;
  proof: { index: unknown; count: unknown; path: unknown };
  /** what the batch event commits to */
  root: string;
  total: string;
  count: number;
}

const HEX64 = /^[0-9a-f]{64}$/;
const INT = /^(0|[1-9][0-9]{0,18})$/;

/**
 * Verifies that `record` is gift `proof.index` of the batch whose tree has root `root`,
 * total `total` and `count` gifts. `splits` (top-down) is what share.ts needs to compute
 * this gift's share of any hop.
 */
export function verifyGiftProof(claim: GiftClaim, hash: Sha256 = nobleSha256): GiftVerdict {
  const steps: GiftStep[] = [];
  const fail = (code: GiftProblemCode, message: string): GiftVerdict => ({ ok: false, steps, problem: { code, message } });
  const rp = giftRecordProblem(claim.record);
  if (rp !== null) return fail('bad_record', `the gift record${rp.startsWith('/') ? ' ' + rp : ' ' + rp}`);
  const record = claim.record as { amount: string };
  const { index, count, path } = claim.proof ?? ({} as GiftClaim['proof']);
  const n = claim.count;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_GIFTS) return fail('bad_index', `the batch's count ${String(n)} is not in 1..${MAX_GIFTS}`);
  if (count !== n) return fail('bad_index', `the proof is for a batch of ${String(count)} gifts, the batch holds ${n}`);
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index >= n) {
    return fail('bad_index', `index ${String(index)} is not in 0..${n - 1}`);
  }
  if (!Array.isArray(path)) return fail('bad_path', 'the path must be an array');
  for (let p = 0; p < path.length; p++) {
    const s = path[p] as { hash?: unknown; sum?: unknown } | null;
    if (typeof s !== 'object' || s === null || typeof s.hash !== 'string' || !HEX64.test(s.hash) || typeof s.sum !== 'string' || !INT.test(s.sum)) {
      return fail('bad_path', `path[${p}] must be {"hash": 64 lowercase hex, "sum": an integer string}`);
    }
  }
  if (typeof claim.root !== 'string' || !HEX64.test(claim.root)) return fail('root_mismatch', 'the batch root is not 64 lowercase hex');
  if (typeof claim.total !== 'string' || !INT.test(claim.total)) return fail('total_mismatch', 'the batch total is not an integer string');

  let h = sumLeafHash(giftCanonical(claim.record as never), hash);
  let sum = BigInt(record.amount);
  steps.push({ level: 0, side: 'leaf', hash: hex(h), sum: sum.toString() });
  const up: PathSplit[] = [];
  // Walk the levels of the tree of n gifts: at level k the gift's ancestor is node j of len;
  // it has a sibling unless it is the odd last node, which is carried up unchanged.
  let j = index;
  let len = n;
  let used = 0;
  for (let level = 1; len > 1; level++) {
    const sib = j ^ 1;
    if (sib >= len) {
      steps.push({ level, side: 'carried', hash: hex(h), sum: sum.toString() });
    } else {
      if (used >= path.length) return fail('bad_path_length', `the path has ${path.length} siblings; gift ${index} of ${n} has more`);
      const s = path[used++] as { hash: string; sum: string };
      const sibSum = BigInt(s.sum);
      // The sibling covers leaves [sib·2^(level−1), min(n, (sib+1)·2^(level−1))): each holds at least 1.
      const width = 2 ** (level - 1);
      const leaves = Math.min(n, (sib + 1) * width) - sib * width;
      if (sibSum < BigInt(leaves) || sibSum > MAX_SUM) {
        return fail('bad_sum', `path[${used - 1}]: a subtree of ${leaves} gifts cannot sum to ${s.sum} (each gift is 1..2^63-1)`);
      }
      const parent = sum + sibSum;
      if (parent > MAX_SUM) return fail('sum_overflow', `level ${level}: ${sum} + ${sibSum} exceeds 2^63-1`);
      const sh = fromHex(s.hash);
      const left = (j & 1) === 0;
      h = left ? sumNodeHash(h, sum, sh, sibSum, hash) : sumNodeHash(sh, sibSum, h, sum, hash);
      up.push(left ? { left, leftSum: sum, rightSum: sibSum } : { left, leftSum: sibSum, rightSum: sum });
      sum = parent;
      steps.push({ level, side: left ? 'left' : 'right', hash: hex(h), sum: sum.toString() });
    }
    j >>= 1;
    len = Math.ceil(len / 2);
  }
  if (used !== path.length) return fail('bad_path_length', `the path has ${path.length} siblings; gift ${index} of ${n} has ${used}`);
  if (hex(h) !== claim.root) return fail('root_mismatch', `the path leads to root ${hex(h)}, the batch commits to ${claim.root}`);
  if (sum.toString() !== claim.total) return fail('total_mismatch', `the path adds up to ${sum}, the batch commits to ${claim.total}`);
  return { ok: true, steps, splits: up.reverse(), amount: BigInt(record.amount) };
}
