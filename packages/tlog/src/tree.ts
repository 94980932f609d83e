// An incremental RFC 9162 Merkle tree over a pluggable store of stored hashes, after
// Go's golang.org/x/mod/sumdb/tlog: an append computes O(log n) hashes from O(log n)
// stored ones; root(size), inclusion and consistency proofs for any past size read
// O(log n) stored hashes in one batched call. Nothing ever rebuilds the tree.
//
// Which hashes a computation needs is decided in treemath.ts; this file reads them
// (one HashReader call) and folds them.
import { HASH_SIZE, emptyRoot, nodeHash } from './hash.ts';
import {
  appendIndexes,
  checkIndex,
  consistencyIndex,
  inclusionIndex,
  maxpow2,
  storedHashCount,
  storedHashIndex,
  subTreeCount,
  subTreeIndex,
} from './treemath.ts';

/** Reads stored hashes by stored-hash index (see treemath.ts). Must return exactly one
 * 32-byte hash per index, in order, or throw. */
export interface HashReader {
  readHashes(indexes: readonly number[]): Promise<Uint8Array[]> | Uint8Array[];
}

/** A HashReader that can also durably record new stored hashes (indexes contiguous,
 * starting at the current stored-hash count). */
export interface HashStore extends HashReader {
  writeHashes(start: number, hashes: readonly Uint8Array[]): Promise<void> | void;
}

async function read(r: HashReader, indexes: number[]): Promise<Uint8Array[]> {
  if (indexes.length === 0) return [];
  const hashes = await r.readHashes(indexes);
  if (!Array.isArray(hashes) || hashes.length !== indexes.length) {
    throw new Error(`tlog: HashReader returned ${hashes?.length} hashes for ${indexes.length} indexes`);
  }
  for (let i = 0; i < hashes.length; i++) {
    const h = hashes[i];
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
      throw new Error(`tlog: HashReader returned a malformed hash for stored index ${indexes[i]}`);
    }
  }
  return hashes;
}

/**
 * The stored hashes to write when appending leaf n (its leaf hash first, then every
 * perfect subtree it completes), to be written at storedHashIndex(0, n) onwards.
 */
export async function storedHashes(n: number, leaf: Uint8Array, r: HashReader): Promise<Uint8Array[]> {
  checkIndex(n, 'n');
  if (!(leaf instanceof Uint8Array) || leaf.length !== HASH_SIZE) throw new TypeError('leaf: expected a 32-byte hash');
  const idx = appendIndexes(n);
  const old = await read(r, idx);
  const out = [leaf];
  let h = leaf;
  for (let i = 0; i < idx.length; i++) {
    h = nodeHash(old[idx.length - 1 - i]!, h);
    out.push(h);
  }
  return out;
}

/** Folds the hashes of the perfect subtrees covering [lo, hi) (consumed from `hashes` at
 * `pos`) into the subtree hash of [lo, hi). */
function subTreeHash(lo: number, hi: number, hashes: Uint8Array[], pos: { i: number }): Uint8Array {
  const num = subTreeCount(lo, hi);
  if (num === 0 || pos.i + num > hashes.length) throw new Error('tlog: bad index math in subTreeHash');
  let h = hashes[pos.i + num - 1]!;
  for (let i = num - 2; i >= 0; i--) h = nodeHash(hashes[pos.i + i]!, h);
  pos.i += num;
  return h;
}

/** The root hash of the tree of the first n leaves (RFC 9162 MTH; n = 0 gives SHA-256("")). */
export async function treeHash(n: number, r: HashReader): Promise<Uint8Array> {
  checkIndex(n, 'size');
  if (n === 0) return emptyRoot();
  const hashes = await read(r, subTreeIndex(0, n, []));
  return subTreeHash(0, n, hashes, { i: 0 });
}

function inclusionFold(lo: number, hi: number, n: number, hashes: Uint8Array[], pos: { i: number }, out: Uint8Array[]) {
  if (lo + 1 === hi) return;
  const [k] = maxpow2(hi - lo);
  if (n < lo + k) {
    inclusionFold(lo, lo + k, n, hashes, pos, out);
    out.push(subTreeHash(lo + k, hi, hashes, pos));
  } else {
    const th = subTreeHash(lo, lo + k, hashes, pos);
    inclusionFold(lo + k, hi, n, hashes, pos, out);
    out.push(th);
  }
}

/** RFC 9162 §2.1.3.1: the inclusion proof of leaf `index` in the tree of `size` leaves,
 * bottom-up (the order verifyInclusion consumes). */
export async function inclusionProof(index: number, size: number, r: HashReader): Promise<Uint8Array[]> {
  checkIndex(index, 'index');
  checkIndex(size, 'size');
  if (index >= size) throw new RangeError(`index: ${index} is not below size ${size}`);
  const hashes = await read(r, inclusionIndex(0, size, index, []));
  const out: Uint8Array[] = [];
  const pos = { i: 0 };
  inclusionFold(0, size, index, hashes, pos, out);
  if (pos.i !== hashes.length) throw new Error('tlog: bad index math in inclusionProof');
  return out;
}

function consistencyFold(lo: number, hi: number, n: number, hashes: Uint8Array[], pos: { i: number }, out: Uint8Array[]) {
  if (n === hi) {
    if (lo !== 0) out.push(subTreeHash(lo, hi, hashes, pos));
    return;
  }
  const [k] = maxpow2(hi - lo);
  if (n <= lo + k) {
    consistencyFold(lo, lo + k, n, hashes, pos, out);
    out.push(subTreeHash(lo + k, hi, hashes, pos));
  } else {
    const th = subTreeHash(lo, lo + k, hashes, pos);
    consistencyFold(lo + k, hi, n, hashes, pos, out);
    out.push(th);
  }
}

/** RFC 9162 §2.1.4.1: the consistency proof from size1 to size2 (0 < size1 ≤ size2; empty
 * when they are equal). */
export async function consistencyProof(size1: number, size2: number, r: HashReader): Promise<Uint8Array[]> {
  checkIndex(size1, 'size1');
  checkIndex(size2, 'size2');
  if (size1 === 0) throw new RangeError('size1: a consistency proof needs a non-empty first tree (RFC 9162 §2.1.4)');
  if (size1 > size2) throw new RangeError(`size1: ${size1} exceeds size2 ${size2}`);
  if (size1 === size2) return [];
  const hashes = await read(r, consistencyIndex(0, size2, size1, []));
  const out: Uint8Array[] = [];
  const pos = { i: 0 };
  consistencyFold(0, size2, size1, hashes, pos, out);
  if (pos.i !== hashes.length) throw new Error('tlog: bad index math in consistencyProof');
  return out;
}

/**
 * An append-only tree over a HashStore. `size` is the number of leaves; append writes the
 * new stored hashes through the store before it returns the leaf's index.
 */
export class Tree {
  #size: number;
  readonly store: HashStore;

  constructor(store: HashStore, size = 0) {
    if (!store || typeof store.readHashes !== 'function' || typeof store.writeHashes !== 'function') {
      throw new TypeError('store: expected a HashStore with readHashes and writeHashes');
    }
    checkIndex(size, 'size');
    this.store = store;
    this.#size = size;
  }

  get size(): number {
    return this.#size;
  }

  async append(leaf: Uint8Array): Promise<number> {
    const n = this.#size;
    const hashes = await storedHashes(n, leaf, this.store);
    await this.store.writeHashes(storedHashIndex(0, n), hashes);
    this.#size = n + 1;
    return n;
  }

  #checkSize(size: number | undefined, param: string): number {
    if (size === undefined) return this.#size;
    checkIndex(size, param);
    if (size > this.#size) throw new RangeError(`${param}: ${size} exceeds the tree size ${this.#size}`);
    return size;
  }

  root(size?: number): Promise<Uint8Array> {
    return treeHash(this.#checkSize(size, 'size'), this.store);
  }

  inclusionProof(index: number, size?: number): Promise<Uint8Array[]> {
    return inclusionProof(index, this.#checkSize(size, 'size'), this.store);
  }

  consistencyProof(size1: number, size2?: number): Promise<Uint8Array[]> {
    const s2 = this.#checkSize(size2, 'size2');
    return consistencyProof(size1, s2, this.store);
  }
}

/** Stored hashes in a plain array: the in-memory HashStore. */
export class MemoryHashStore implements HashStore {
  readonly hashes: Uint8Array[] = [];
  readHashes(indexes: readonly number[]): Uint8Array[] {
    return indexes.map((i) => {
      const h = this.hashes[i];
      if (!h) throw new RangeError(`stored hash ${i} does not exist (have ${this.hashes.length})`);
      return h;
    });
  }
  writeHashes(start: number, hashes: readonly Uint8Array[]): void {
    if (start !== this.hashes.length) throw new Error(`tlog: write at ${start}, expected ${this.hashes.length}`);
    this.hashes.push(...hashes);
  }
}

/** The in-memory tree: `new MemoryTree()`, `append(leafHash)` → index, `size`,
 * `root(size?)`, `inclusionProof(index, size?)`, `consistencyProof(size1, size2?)`. */
export class MemoryTree extends Tree {
  constructor() {
    super(new MemoryHashStore(), 0);
  }
  get storedHashCount(): number {
    return storedHashCount(this.size);
  }
}
