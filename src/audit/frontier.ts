// The auditor's Merkle tree frontier (RFC 9162 §2.1.1): the stored hashes of the perfect
// subtrees covering [0, size), O(log n) of them, kept so the root at every size is at hand
// without storing the tree. It is a HashReader holding exactly those hashes, so appends
// and roots are computed by @cotc/tlog's own code (storedHashes, treeHash: the same code
// that computes the server's roots), not by a second fold of the tree.
import { fromHex, hex, storedHashes, storedHashIndex, subTreeIndex, treeHash, type HashReader } from '@cotc/tlog';

/** What is saved with the auditor's state: the size and its frontier's stored hashes. */
export interface FrontierJSON {
  size: number;
  /** [stored-hash index, hex hash] of the perfect subtrees covering [0, size) */
  hashes: Array<[number, string]>;
}

export class Frontier implements HashReader {
  #size = 0;
  readonly #hashes = new Map<number, Uint8Array>();

  get size(): number {
    return this.#size;
  }

  readHashes(indexes: readonly number[]): Uint8Array[] {
    return indexes.map((i) => {
      const h = this.#hashes.get(i);
      // Only the frontier is ever asked for (appendIndexes and subTreeIndex of [0, size) are
      // subsets of it): anything else is a bug here, not bad input.
      if (!h) throw new Error(`frontier: stored hash ${i} is not on the frontier of size ${this.#size}`);
      return h;
    });
  }

  /** Appends leaf `size` (its leaf hash). */
  async append(leaf: Uint8Array): Promise<void> {
    const n = this.#size;
    const out = await storedHashes(n, leaf, this);
    // storedHashes merged the subtrees it read into its last hash: those leave the frontier,
    // the largest new subtree joins it (the intermediate ones are inside it).
    const at = storedHashIndex(0, n);
    for (let level = 0; level < out.length - 1; level++) this.#hashes.delete(storedHashIndex(level, Math.floor(n / 2 ** level) - 1));
    this.#hashes.set(at + out.length - 1, out[out.length - 1]!);
    this.#size = n + 1;
  }

  /** The root of the tree of the leaves appended so far. */
  root(): Promise<Uint8Array> {
    return treeHash(this.#size, this);
  }

  clone(): Frontier {
    return Frontier.fromJSON(this.toJSON());
  }

  toJSON(): FrontierJSON {
    return { size: this.#size, hashes: [...this.#hashes].sort((a, b) => a[0] - b[0]).map(([i, h]) => [i, hex(h)]) };
  }

  /** Rebuilds a saved frontier; throws when it is not the frontier of its size (a damaged save). */
  static fromJSON(j: FrontierJSON): Frontier {
    if (!j || !Number.isSafeInteger(j.size) || j.size < 0 || !Array.isArray(j.hashes)) throw new Error('frontier: malformed');
    const f = new Frontier();
    f.#size = j.size;
    const want = subTreeIndex(0, j.size, []).sort((a, b) => a - b);
    if (want.length !== j.hashes.length) throw new Error(`frontier: ${j.hashes.length} hashes saved for size ${j.size}, which has ${want.length}`);
    j.hashes.forEach(([i, h], k) => {
      if (i !== want[k]) throw new Error(`frontier: stored hash ${i} is not on the frontier of size ${j.size}`);
      f.#hashes.set(i, fromHex(h, 'frontier hash'));
    });
    return f;
  }
}
