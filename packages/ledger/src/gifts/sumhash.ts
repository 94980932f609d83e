// The hashes of the Merkle sum tree of a gift batch (docs/gifts.md "Hashes"). Domain-separated
// from each other and from the log's RFC 9162 hashes (whose inputs start 0x00 / 0x01) by
// ASCII tags, so that no gift-tree hash can be passed off as a log hash, nor a leaf as a node:
//   leaf = SHA-256("cotc-gift-leaf-v1\n" || canonical gift record)
//   node = SHA-256("cotc-gift-node-v1\n" || left hash || u64be(left sum) || right hash || u64be(right sum))
// A node commits to BOTH child sums, not only to their total: committing to the total alone
// (Maxwell's original proof-of-solvency tree, and the variant Summa's documentation calls
// "broken") lets a prover show two siblings different splits of the same sum, so one
// gift's money could be counted in two proofs or hidden (Chalkias, Chatzigiannis, Ji,
// "Broken Proofs of Solvency in Blockchain Custodial Wallets and Exchanges", 2022).
import { sha256 } from '@noble/hashes/sha2.js';
import { MAX_VALUE } from '../limits.ts';

/** A SHA-256 implementation: @noble/hashes by default (browser-safe); the server and the benchmark pass node:crypto's. */
export type Sha256 = (data: Uint8Array) => Uint8Array;
export const nobleSha256: Sha256 = (d) => sha256(d);

const enc = new TextEncoder();
export const LEAF_TAG = enc.encode('cotc-gift-leaf-v1\n');
export const NODE_TAG = enc.encode('cotc-gift-node-v1\n');
export const SUM_HASH_SIZE = 32;
/** Sums are written as unsigned 64-bit big-endian; every sum is in 1..2^63−1 (the ledger's MAX_VALUE). */
export const MAX_SUM = MAX_VALUE;

const nodeBuf = new Uint8Array(NODE_TAG.length + 2 * (SUM_HASH_SIZE + 8));
nodeBuf.set(NODE_TAG, 0);
const nodeView = new DataView(nodeBuf.buffer);

/** The node hash over its children; throws when a sum is out of 1..2^63−1 (the caller checks first). */
export function sumNodeHash(left: Uint8Array, leftSum: bigint, right: Uint8Array, rightSum: bigint, hash: Sha256 = nobleSha256): Uint8Array {
  if (left.length !== SUM_HASH_SIZE || right.length !== SUM_HASH_SIZE) throw new TypeError('sumNodeHash: parameters "left" and "right" must be 32 bytes');
  if (leftSum < 1n || leftSum > MAX_SUM) throw new RangeError('sumNodeHash: parameter "leftSum" must be in 1..2^63-1');
  if (rightSum < 1n || rightSum > MAX_SUM) throw new RangeError('sumNodeHash: parameter "rightSum" must be in 1..2^63-1');
  const t = NODE_TAG.length;
  nodeBuf.set(left, t);
  nodeView.setBigUint64(t + 32, leftSum);
  nodeBuf.set(right, t + 40);
  nodeView.setBigUint64(t + 72, rightSum);
  return hash(nodeBuf);
}

let leafBuf = new Uint8Array(512);
leafBuf.set(LEAF_TAG, 0);

/** The leaf hash of a gift from its canonical JSON text (giftCanonical). */
export function sumLeafHash(canonical: string, hash: Sha256 = nobleSha256): Uint8Array {
  const need = LEAF_TAG.length + canonical.length * 3;
  if (need > leafBuf.length) {
    leafBuf = new Uint8Array(need * 2);
    leafBuf.set(LEAF_TAG, 0);
  }
  const { written } = enc.encodeInto(canonical, leafBuf.subarray(LEAF_TAG.length));
  return hash(leafBuf.subarray(0, LEAF_TAG.length + written));
}
