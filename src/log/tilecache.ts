// The log's tree hashes as whole cached tiles (C2SP tlog-tiles, packages/tlog tile.ts): an
// LRU of tiles read from the store (or just committed), each with its inner levels (the
// hashes of heights 8L+1 … 8L+7 the tile's 256 level-8L hashes imply) computed once, with
// node:crypto, when a proof first needs them. Any complete subtree's hash is then a lookup,
// so an inclusion proof costs O(log n) lookups plus the few node hashes of the right edge,
// and the sequencer answers a whole batch's proofs without a read.
//
// Full tiles never change and partial tiles only grow to the right, so a cached tile stays
// right: a wider version replaces a narrower one, never the reverse. Tiles of a batch in
// flight enter only once its commit resolved (put()).
import { hash } from 'node:crypto';
import { HASH_SIZE, TILE_HEIGHT, TILE_WIDTH, splitStoredHashIndex, type HashReader, type Tile, type TileBytes, type TileReader } from '@cotc/tlog';

/** SHA-256 with node:crypto's one-shot hash (about twice @noble/hashes here). */
export const sha256 = (d: Uint8Array): Uint8Array => hash('sha256', d, 'buffer');

const NODE = new Uint8Array(1 + 2 * HASH_SIZE);
NODE[0] = 0x01;
/** RFC 9162 §2.1.1 SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  NODE.set(left, 1);
  NODE.set(right, 1 + HASH_SIZE);
  return sha256(NODE);
}

class CachedTile {
  /** levels[k]: the tile's hashes of height 8L+k, as far as its width completes them */
  readonly levels: Uint8Array[];
  constructor(readonly data: Uint8Array) {
    this.levels = [data];
  }
  get w(): number {
    return this.data.length / HASH_SIZE;
  }
  level(k: number): Uint8Array {
    for (let j = this.levels.length; j <= k; j++) {
      const below = this.levels[j - 1]!;
      const count = Math.floor(below.length / HASH_SIZE / 2);
      const out = new Uint8Array(count * HASH_SIZE);
      for (let i = 0; i < count; i++) {
        out.set(nodeHash(below.subarray(2 * i * HASH_SIZE, (2 * i + 1) * HASH_SIZE), below.subarray((2 * i + 1) * HASH_SIZE, (2 * i + 2) * HASH_SIZE)), i * HASH_SIZE);
      }
      this.levels.push(out);
    }
    return this.levels[k]!;
  }
}

const tkey = (l: number, n: number) => l * 2 ** 40 + n;

/** Tiles a computation wanted and the cache did not have (the caller loads them and retries). */
class Missing {
  readonly tiles = new Map<number, { l: number; n: number }>();
  /** every miss counts, also a second one of a tile already listed: a value computed since
   * `count` last changed used no stand-in hash and may be memoised */
  count = 0;
}

export class TileCache implements HashReader {
  #lru = new Map<number, CachedTile>();

  constructor(
    private readonly store: TileReader,
    /** tiles kept (8 KiB each when full) */
    readonly maxTiles = 2048,
  ) {}

  clear(): void {
    this.#lru.clear();
  }

  #get(l: number, n: number): CachedTile | undefined {
    const k = tkey(l, n);
    const t = this.#lru.get(k);
    if (t && this.#lru.size > this.maxTiles >> 2) {
      // Recently used last: eviction takes the least recently used first.
      this.#lru.delete(k);
      this.#lru.set(k, t);
    }
    return t;
  }

  #set(l: number, n: number, data: Uint8Array): void {
    const k = tkey(l, n);
    const old = this.#lru.get(k);
    if (old && old.data.length >= data.length) return;
    this.#lru.delete(k);
    this.#lru.set(k, new CachedTile(data));
    if (this.#lru.size > this.maxTiles) {
      let drop = this.#lru.size - this.maxTiles;
      for (const key of this.#lru.keys()) {
        this.#lru.delete(key);
        if (--drop === 0) break;
      }
    }
  }

  /** Records committed tiles (a batch's, once its commit resolved). */
  put(tiles: readonly TileBytes[]): void {
    for (const t of tiles) this.#set(t.l, t.n, t.data);
  }

  /** The tiles `want` names, each with at least its width w, from the cache or in one
   * store read; throws if the store lacks one (a tile the tree size says exists). */
  async tiles(want: readonly Tile[]): Promise<TileBytes[]> {
    const miss = want.filter((t) => !(this.#get(t.l, t.n)?.w! >= t.w));
    if (miss.length) await this.#load(miss);
    return want.map((t) => {
      const c = this.#get(t.l, t.n);
      if (!c || c.w < t.w) throw new Error(`tree tile ${t.l}/${t.n} holds ${c?.w ?? 0} hashes, the tree needs ${t.w}`);
      return { l: t.l, n: t.n, data: c.w === t.w ? c.data : c.data.subarray(0, t.w * HASH_SIZE) };
    });
  }

  async #load(tiles: readonly { l: number; n: number }[]): Promise<void> {
    const data = await this.store.readTiles(tiles);
    tiles.forEach((t, i) => {
      const d = data[i];
      if (d) this.#set(t.l, t.n, d);
    });
  }

  /** The hash of the complete subtree of height `h` at index `i` (leaves [i·2^h, (i+1)·2^h)),
   * or undefined (recorded in `miss`) when its tile is not cached or not wide enough. */
  node(h: number, i: number, miss: Missing): Uint8Array | undefined {
    const l = Math.floor(h / TILE_HEIGHT);
    const k = h - l * TILE_HEIGHT;
    const first = i * 2 ** k; // its first level-8L hash
    const n = Math.floor(first / TILE_WIDTH);
    const at = (first - n * TILE_WIDTH) / 2 ** k;
    const t = this.#get(l, n);
    if (!t || t.w < (at + 1) * 2 ** k) {
      miss.tiles.set(tkey(l, n), { l, n });
      miss.count++;
      return undefined;
    }
    return t.level(k).subarray(at * HASH_SIZE, (at + 1) * HASH_SIZE);
  }

  /** Runs a computation over cached tiles, loading what it missed and running it again
   * (a few rounds at most: each round loads every tile the run reached). */
  async #withTiles<T>(run: (miss: Missing) => T): Promise<T> {
    for (let round = 0; ; round++) {
      const miss = new Missing();
      const out = run(miss);
      if (miss.tiles.size === 0) return out;
      if (round === 8) throw new Error(`tree tiles missing from the store: ${[...miss.tiles.values()].map((t) => `${t.l}/${t.n}`).join(', ')}`);
      await this.#load([...miss.tiles.values()]);
    }
  }

  /** HashReader (tlog): stored hashes by stored-hash index, from cached tiles. */
  readHashes(indexes: readonly number[]): Promise<Uint8Array[]> {
    const split = indexes.map((x) => splitStoredHashIndex(x));
    return this.#withTiles((miss) => split.map(({ level, n }) => this.node(level, n, miss) ?? ZERO));
  }

  /** A prover for the tree of `size` leaves: proofs of many leaves share its memo. */
  prover(size: number): Prover {
    return new Prover(this, size);
  }

  /** The inclusion proof (hex, bottom-up) of leaf `index` in the tree of `size` leaves. */
  inclusion(index: number, size: number, p: Prover = this.prover(size)): Promise<string[]> {
    return this.#withTiles((miss) => p.inclusion(index, miss));
  }

  /** The hex leaf hash of entry `seq`. */
  leafHex(seq: number): Promise<string> {
    return this.#withTiles((miss) => Buffer.from(this.node(0, seq, miss) ?? ZERO).toString('hex'));
  }
}

const ZERO = new Uint8Array(HASH_SIZE);

/** RFC 9162 §2.1.3 PATH over a tree of `size` leaves, with the hashes (and their hex) of the
 * ranges it folds memoised: a batch's acknowledgements share the right edge and the top. */
export class Prover {
  #mth = new Map<string, Uint8Array>();
  #hex = new Map<string, string>();
  constructor(
    private readonly cache: TileCache,
    readonly size: number,
  ) {}

  /** MTH of leaves [lo, hi): a complete aligned subtree is a tile lookup, anything else is
   * split at the largest power of two below its width (RFC 9162 §2.1.1). */
  #range(lo: number, hi: number, miss: Missing): Uint8Array {
    const n = hi - lo;
    const h = Math.log2(n);
    if (Number.isInteger(h) && lo % n === 0) return this.cache.node(h, lo / n, miss) ?? ZERO;
    const key = `${lo}:${hi}`;
    const m = this.#mth.get(key);
    if (m) return m;
    let k = 1;
    while (k * 2 < n) k *= 2;
    const before = miss.count;
    const v = nodeHash(this.#range(lo, lo + k, miss), this.#range(lo + k, hi, miss));
    if (miss.count === before) this.#mth.set(key, v);
    return v;
  }

  #hexRange(lo: number, hi: number, miss: Missing): string {
    const key = `${lo}:${hi}`;
    const s = this.#hex.get(key);
    if (s !== undefined) return s;
    const before = miss.count;
    const v = Buffer.from(this.#range(lo, hi, miss)).toString('hex');
    if (miss.count === before) this.#hex.set(key, v);
    return v;
  }

  inclusion(index: number, miss: Missing): string[] {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) throw new RangeError(`index: ${index} is not below size ${this.size}`);
    const out: string[] = [];
    // Top-down split, then reversed: the proof is bottom-up (RFC 9162 §2.1.3.1).
    let lo = 0;
    let hi = this.size;
    while (hi - lo > 1) {
      let k = 1;
      while (k * 2 < hi - lo) k *= 2;
      if (index < lo + k) {
        out.push(this.#hexRange(lo + k, hi, miss));
        hi = lo + k;
      } else {
        out.push(this.#hexRange(lo, lo + k, miss));
        lo = lo + k;
      }
    }
    return out.reverse();
  }
}
