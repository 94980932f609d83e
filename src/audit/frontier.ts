// The auditor's Merkle tree frontier (RFC 9162 §2.1.1): the roots of the perfect subtrees
// covering [0, size), O(log n) of them, kept so the root at every size is at hand without
// storing the tree. It is @cotc/tlog's CompactRange (the code of tlog's rootHash and of
// the sequencer's integrate), not a second fold of the tree, hashing with node:crypto.
import { createHash } from 'node:crypto';
import { CompactRange, fromHex, hex } from '@cotc/tlog';

/** node:crypto SHA-256 (CompactRange reuses its input buffer: the digest is a copy). */
const sha256 = (d: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(d).digest());

/** What is saved with the auditor's state: the size and its subtree roots (hex, left to right). */
export interface FrontierJSON {
  size: number;
  hashes: string[];
}

export class Frontier {
  #range: CompactRange;

  constructor(range = new CompactRange(sha256)) {
    this.#range = range;
  }

  get size(): number {
    return this.#range.size;
  }

  /** Appends the next leaf (its leaf hash). */
  append(leaf: Uint8Array): void {
    this.#range.append(leaf);
  }

  /** The root of the tree of the leaves appended so far. */
  root(): Uint8Array {
    return this.#range.root();
  }

  clone(): Frontier {
    return new Frontier(CompactRange.from(this.size, this.#range.hashes.slice(), sha256));
  }

  toJSON(): FrontierJSON {
    return { size: this.size, hashes: this.#range.hashes.map((h) => hex(h)) };
  }

  /** Rebuilds a saved frontier; throws when it is not one of its size (a damaged save). */
  static fromJSON(j: FrontierJSON): Frontier {
    if (!j || !Number.isSafeInteger(j.size) || j.size < 0 || !Array.isArray(j.hashes)) throw new Error('frontier: malformed');
    return new Frontier(CompactRange.from(j.size, j.hashes.map((h) => fromHex(h, 'frontier hash')), sha256));
  }
}
