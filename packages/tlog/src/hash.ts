// RFC 9162 §2.1.1: the Merkle Tree Hash over SHA-256, with domain separation between
// leaves (0x00 prefix) and interior nodes (0x01 prefix), so that a leaf can never be
// passed off as a node (second-preimage resistance, RFC 9162 §2.1.1 note).
import { sha256 } from '@noble/hashes/sha2.js';

export const HASH_SIZE = 32;

function checkBytes(x: unknown, param: string): asserts x is Uint8Array {
  if (!(x instanceof Uint8Array)) throw new TypeError(`${param}: expected Uint8Array`);
}

function checkHash(x: unknown, param: string): asserts x is Uint8Array {
  checkBytes(x, param);
  if (x.length !== HASH_SIZE) throw new TypeError(`${param}: expected ${HASH_SIZE} bytes, got ${x.length}`);
}

/** MTH({d(0)}) = SHA-256(0x00 || d(0)). */
export function leafHash(data: Uint8Array): Uint8Array {
  checkBytes(data, 'data');
  const buf = new Uint8Array(1 + data.length);
  buf[0] = 0x00;
  buf.set(data, 1);
  return sha256(buf);
}

const nodeBuf = new Uint8Array(1 + 2 * HASH_SIZE);
nodeBuf[0] = 0x01;

/** SHA-256(0x01 || left || right): the interior node hash of RFC 9162 §2.1.1. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  checkHash(left, 'left');
  checkHash(right, 'right');
  nodeBuf.set(left, 1);
  nodeBuf.set(right, 1 + HASH_SIZE);
  return sha256(nodeBuf);
}

/** MTH({}) = SHA-256() : the root of the empty tree. */
export function emptyRoot(): Uint8Array {
  return sha256(new Uint8Array(0));
}

// rootHash (the MTH of a whole list of leaf hashes) is in integrate.ts: the same compact
// range as batch integration and the auditor's frontier.
