// The server's HashReader: committed stored hashes, recomputed from tiles on a miss and
// memoised. Full tiles never change and partial tiles only grow to the right, so a hash
// once read stays right forever: the cache needs no invalidation, only a bound.
// Hashes of a batch in flight never enter it until that batch is committed.
import { TileHashReader, type HashReader, type TileReader } from '@cotc/tlog';

export class CachedHashReader implements HashReader {
  #memo = new Map<number, Uint8Array>();
  #tiles: TileHashReader;

  constructor(
    tiles: TileReader,
    readonly maxEntries = 1 << 19,
  ) {
    this.#tiles = new TileHashReader(tiles);
  }

  /** Records hashes known to be committed. */
  remember(start: number, hashes: readonly Uint8Array[]): void {
    for (let i = 0; i < hashes.length; i++) this.#set(start + i, hashes[i]!);
  }

  #set(i: number, h: Uint8Array) {
    if (this.#memo.size >= this.maxEntries) {
      // Drop the oldest eighth: Map iterates in insertion order.
      let drop = this.maxEntries >> 3;
      for (const k of this.#memo.keys()) {
        this.#memo.delete(k);
        if (--drop === 0) break;
      }
    }
    this.#memo.set(i, h);
  }

  clear(): void {
    this.#memo.clear();
  }

  async readHashes(indexes: readonly number[]): Promise<Uint8Array[]> {
    const out = new Array<Uint8Array>(indexes.length);
    const missing: number[] = [];
    const missingAt: number[] = [];
    indexes.forEach((x, i) => {
      const h = this.#memo.get(x);
      if (h) out[i] = h;
      else {
        missing.push(x);
        missingAt.push(i);
      }
    });
    if (missing.length > 0) {
      const got = await this.#tiles.readHashes(missing);
      got.forEach((h, j) => {
        out[missingAt[j]!] = h;
        this.#set(missing[j]!, h);
      });
    }
    return out;
  }
}

/** Hashes of a batch in flight laid over the committed ones. */
export class OverlayHashReader implements HashReader {
  readonly added = new Map<number, Uint8Array>();
  constructor(private readonly base: HashReader) {}
  async readHashes(indexes: readonly number[]): Promise<Uint8Array[]> {
    const out = new Array<Uint8Array>(indexes.length);
    const missing: number[] = [];
    const at: number[] = [];
    indexes.forEach((x, i) => {
      const h = this.added.get(x);
      if (h) out[i] = h;
      else {
        missing.push(x);
        at.push(i);
      }
    });
    if (missing.length) (await this.base.readHashes(missing)).forEach((h, j) => (out[at[j]!] = h));
    return out;
  }
}
