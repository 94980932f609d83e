// The state map's hashes (docs/wire-format-2.md §3 "Map hashing"): a binary sparse Merkle
// tree over 256-bit paths with shortcut leaves, domain-separated from the RFC 9162 log.
//
//   path(key)        = SHA-256(UTF-8 key)                      (32 bytes, bit 0 = MSB of byte 0)
//   valueHash(value) = SHA-256(UTF-8 value)
//   leaf(path, vh)   = SHA-256(0x02 || path || vh)
//   node(left, right)= SHA-256(0x03 || left || right)
//   EMPTY            = 32 zero bytes (a subtree holding no record; never hashed further)
//
// One prefix byte per kind of preimage across the whole system (0x00 log leaf, 0x01 log
// node, RFC 9162 §2.1.1; 0x02 map leaf, 0x03 map node): no map hash is the preimage of a
// log hash or of another map kind, and leaf and node preimages have the same length (65
// bytes) and differ in their first byte. The leaf binds the FULL path (as the Jellyfish
// Merkle tree's SparseMerkleLeafNode binds its key hash), not its depth and index (as
// CONIKS does): a shortcut leaf moves up and down as neighbours come and go, and must keep
// its hash wherever it sits.
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from '../bytes.ts';

export const MAP_HASH_SIZE = 32;
/** The number of bits in a path: the maximum depth of the tree. */
export const MAP_DEPTH = 256;
export const MAP_LEAF_PREFIX = 0x02;
export const MAP_NODE_PREFIX = 0x03;
/** The hash of a subtree holding no record. Not to be mutated. */
export const MAP_EMPTY: Uint8Array = new Uint8Array(MAP_HASH_SIZE);

function need32(x: unknown, param: string): asserts x is Uint8Array {
  if (!(x instanceof Uint8Array) || x.length !== MAP_HASH_SIZE) throw new TypeError(`${param}: expected a 32-byte Uint8Array`);
}

/** The 256-bit path of a record key: SHA-256 of its UTF-8 bytes. */
export function mapPath(key: string): Uint8Array {
  if (typeof key !== 'string') throw new TypeError('key: expected a string');
  return sha256(utf8(key, 'key'));
}

/** SHA-256 of a record value's UTF-8 bytes. */
export function mapValueHash(value: string): Uint8Array {
  if (typeof value !== 'string') throw new TypeError('value: expected a string');
  return sha256(utf8(value, 'value'));
}

const buf = new Uint8Array(1 + 2 * MAP_HASH_SIZE);

/** SHA-256(0x02 || path || valueHash). */
export function mapLeafHash(path: Uint8Array, valueHash: Uint8Array): Uint8Array {
  need32(path, 'path');
  need32(valueHash, 'valueHash');
  buf[0] = MAP_LEAF_PREFIX;
  buf.set(path, 1);
  buf.set(valueHash, 1 + MAP_HASH_SIZE);
  return sha256(buf);
}

/** SHA-256(0x03 || left || right). The caller applies the shortcut rules (an empty subtree
 * is MAP_EMPTY, one record is its leaf hash): this is only the hash of a node with ≥ 2
 * records below it. */
export function mapNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  need32(left, 'left');
  need32(right, 'right');
  buf[0] = MAP_NODE_PREFIX;
  buf.set(left, 1);
  buf.set(right, 1 + MAP_HASH_SIZE);
  return sha256(buf);
}

/** Bit i of a path (0 = the most significant bit of byte 0): 0 goes left, 1 goes right. */
export function pathBit(path: Uint8Array, i: number): number {
  return (path[i >> 3]! >> (7 - (i & 7))) & 1;
}

/** The number of leading bits two paths share (256 when equal). */
export function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < MAP_HASH_SIZE; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return MAP_DEPTH;
}

export function isEmptyHash(h: Uint8Array): boolean {
  for (let i = 0; i < h.length; i++) if (h[i] !== 0) return false;
  return h.length === MAP_HASH_SIZE;
}

/** Byte-order comparison of two paths (the order of leaves left to right). */
export function comparePaths(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < MAP_HASH_SIZE; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** 32 bytes from 64 lowercase hex digits at `at` of `s`, which the caller has already
 * matched against /[0-9a-f]{64}/ (no checks here: this is the hot path of page decoding). */
export function hex32At(s: string, at = 0): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    const hi = s.charCodeAt(at + 2 * i);
    const lo = s.charCodeAt(at + 2 * i + 1);
    out[i] = ((hi < 97 ? hi - 48 : hi - 87) << 4) | (lo < 97 ? lo - 48 : lo - 87);
  }
  return out;
}
