// Reading a tree through its C2SP tlog-tiles paths (https://c2sp.org/tlog-tiles): a client
// that holds a verified checkpoint of size s fetches the tiles that tree needs (each tile
// at its width for s: full, or the partial one s requires) and computes any proof itself,
// as the spec intends ("Clients can fetch all the tiles they need in parallel and compute
// any desired proof"). The tiles are untrusted: whatever proof comes out of them is
// checked against the checkpoints' roots by the caller, as any proof is. Browser-safe;
// the fetching is the caller's function.
import { HASH_SIZE } from './hash.ts';
import { TileHashReader, type TileReader } from './tile.ts';
import { hashTilePath } from './tilepath.ts';
import { tileWidthAt } from './tilepath.ts';
import { consistencyProof, inclusionProof, treeHash } from './tree.ts';

/** Fetches the bytes at a tile path (e.g. "tile/0/x001/067.p/8"); undefined when absent (404). */
export type TileGetter = (path: string) => Promise<Uint8Array | undefined>;

/** The tiles of the tree of `size` leaves, fetched by path. */
export class SizedTileReader implements TileReader {
  constructor(
    private readonly get: TileGetter,
    readonly size: number,
  ) {
    if (typeof get !== 'function') throw new TypeError('get: expected a function (path) => Promise<bytes | undefined>');
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`size: expected a non-negative safe integer, got ${size}`);
  }

  readTiles(tiles: readonly { l: number; n: number }[]): Promise<(Uint8Array | undefined)[]> {
    return Promise.all(tiles.map((t) => this.#one(t.l, t.n)));
  }

  async #one(l: number, n: number): Promise<Uint8Array | undefined> {
    const w = tileWidthAt(l, n, this.size);
    if (w === 0) return undefined;
    const path = hashTilePath(l, n, w);
    let d = await this.get(path);
    // "MAY fetch the full tile … as a fallback in case the partial tile is not available
    // anymore": a partial tile may be deleted once its full tile exists.
    if (d === undefined && w < 256) {
      const full = await this.get(hashTilePath(l, n));
      if (full !== undefined && full.length === 256 * HASH_SIZE) d = full.subarray(0, w * HASH_SIZE);
    }
    if (d === undefined) return undefined;
    if (d.length !== w * HASH_SIZE) throw new Error(`${path}: ${d.length} bytes, a tile of width ${w} has ${w * HASH_SIZE}`);
    return d;
  }
}

/** RFC 9162 consistency proof from size1 to size2, computed from the tiles of tree size2. */
export function consistencyFromTiles(get: TileGetter, size1: number, size2: number): Promise<Uint8Array[]> {
  return consistencyProof(size1, size2, new TileHashReader(new SizedTileReader(get, size2)));
}

/** RFC 9162 inclusion proof of leaf `index` in the tree of `size`, from that tree's tiles. */
export function inclusionFromTiles(get: TileGetter, index: number, size: number): Promise<Uint8Array[]> {
  return inclusionProof(index, size, new TileHashReader(new SizedTileReader(get, size)));
}

/** The root of the tree of `size` leaves, from its tiles. */
export function rootFromTiles(get: TileGetter, size: number): Promise<Uint8Array> {
  return treeHash(size, new TileHashReader(new SizedTileReader(get, size)));
}
