// C2SP tlog-tiles (https://c2sp.org/tlog-tiles): the tree's hashes stored as tiles of
// height 8. A tile at level L, index N holds up to 256 consecutive hashes of tree level
// 8·L, namely the roots of subtrees [ (N·256 + k)·2^(8L), … ) for k < W. Partial tiles (W <
// 256) at the right edge are rewritten until full; a full tile never changes. Hashes at
// levels between multiples of 8 are not stored: they are recomputed from the tile
// (at most 255 node hashes), as Go's golang.org/x/mod/sumdb/tlog does.
import { HASH_SIZE, nodeHash } from './hash.ts';
import type { HashReader } from './tree.ts';
import { checkIndex, splitStoredHashIndex, storedHashIndex } from './treemath.ts';
import { hashTilePath } from './tilepath.ts';

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 1 << TILE_HEIGHT;

export interface Tile {
  /** tile level: the tile holds tree level 8·l hashes */
  l: number;
  /** tile index within its level */
  n: number;
  /** width: number of hashes, 1..256 */
  w: number;
}

/** The tile holding stored hash `index`, with the width needed to include it, and the
 * byte range within the tile data of the level-8L hashes it is computed from. */
export function tileForIndex(index: number): { tile: Tile; start: number; end: number } {
  const { level, n } = splitStoredHashIndex(index);
  const l = Math.floor(level / TILE_HEIGHT);
  const sub = level - l * TILE_HEIGHT; // level within the tile
  const first = n * 2 ** sub; // first level-8L hash under this node
  const tn = Math.floor(first / TILE_WIDTH);
  const off = first - tn * TILE_WIDTH;
  const count = 2 ** sub;
  return { tile: { l, n: tn, w: off + count }, start: off * HASH_SIZE, end: (off + count) * HASH_SIZE };
}

/** The subtree hash of a run of 2^k consecutive hashes (concatenated). */
export function tileHash(data: Uint8Array): Uint8Array {
  const count = data.length / HASH_SIZE;
  if (count < 1 || !Number.isInteger(count) || (count & (count - 1)) !== 0) {
    throw new Error(`tlog: tileHash over ${data.length} bytes`);
  }
  if (count === 1) return data.slice(0, HASH_SIZE);
  const mid = (count / 2) * HASH_SIZE;
  return nodeHash(tileHash(data.subarray(0, mid)), tileHash(data.subarray(mid)));
}

/** The tiles an append from oldSize to newSize leaves creates or rewrites, bottom level first. */
export function newTiles(oldSize: number, newSize: number): Tile[] {
  checkIndex(oldSize, 'oldSize');
  checkIndex(newSize, 'newSize');
  if (oldSize > newSize) throw new RangeError(`oldSize: ${oldSize} exceeds newSize ${newSize}`);
  const tiles: Tile[] = [];
  for (let l = 0; Math.floor(newSize / 2 ** (TILE_HEIGHT * l)) > 0; l++) {
    const oldN = Math.floor(oldSize / 2 ** (TILE_HEIGHT * l));
    const newN = Math.floor(newSize / 2 ** (TILE_HEIGHT * l));
    if (oldN === newN) continue;
    for (let n = Math.floor(oldN / TILE_WIDTH); n < Math.floor(newN / TILE_WIDTH); n++) {
      tiles.push({ l, n, w: TILE_WIDTH });
    }
    const n = Math.floor(newN / TILE_WIDTH);
    const w = newN - n * TILE_WIDTH;
    if (w > 0) tiles.push({ l, n, w });
  }
  return tiles;
}

/** The stored-hash indexes of a tile's hashes, left to right. */
export function tileIndexes(tile: Tile): number[] {
  checkTile(tile);
  const out: number[] = [];
  for (let i = 0; i < tile.w; i++) out.push(storedHashIndex(TILE_HEIGHT * tile.l, tile.n * TILE_WIDTH + i));
  return out;
}

/** Reads a tile's data (w concatenated hashes) from stored hashes. */
export async function readTileData(tile: Tile, r: HashReader): Promise<Uint8Array> {
  const hashes = await r.readHashes(tileIndexes(tile));
  const data = new Uint8Array(tile.w * HASH_SIZE);
  hashes.forEach((h, i) => data.set(h, i * HASH_SIZE));
  return data;
}

function checkTile(tile: Tile): void {
  if (!tile || typeof tile !== 'object') throw new TypeError('tile: expected {l, n, w}');
  checkIndex(tile.l, 'tile.l');
  checkIndex(tile.n, 'tile.n');
  if (!Number.isInteger(tile.w) || tile.w < 1 || tile.w > TILE_WIDTH) throw new RangeError(`tile.w: ${tile.w} not in 1..256`);
  if (tile.l > 6) throw new RangeError(`tile.l: ${tile.l} beyond any safe-integer tree`);
}

/** The C2SP tlog-tiles path, e.g. tile/0/x001/x234/067.p/8 (tilepath.ts has the grammar). */
export function tilePath(tile: Tile): string {
  checkTile(tile);
  return hashTilePath(tile.l, tile.n, tile.w);
}

/** Reads the latest stored version of tiles (any width ≥ what is asked, or undefined). */
export interface TileReader {
  readTiles(tiles: readonly { l: number; n: number }[]): Promise<(Uint8Array | undefined)[]>;
}

/**
 * A HashReader over tiles: each requested stored hash is recomputed from the tile that
 * holds its level-8L hashes. Tiles are fetched once per call, in one batch.
 */
export class TileHashReader implements HashReader {
  constructor(private readonly tiles: TileReader) {
    if (!tiles || typeof tiles.readTiles !== 'function') throw new TypeError('tiles: expected a TileReader');
  }

  async readHashes(indexes: readonly number[]): Promise<Uint8Array[]> {
    const plan = indexes.map((x) => tileForIndex(x));
    const keys = new Map<string, number>();
    const want: { l: number; n: number }[] = [];
    for (const p of plan) {
      const k = `${p.tile.l}/${p.tile.n}`;
      if (!keys.has(k)) {
        keys.set(k, want.length);
        want.push({ l: p.tile.l, n: p.tile.n });
      }
    }
    const data = await this.tiles.readTiles(want);
    return plan.map((p, i) => {
      const d = data[keys.get(`${p.tile.l}/${p.tile.n}`)!];
      if (!d || d.length < p.end) {
        throw new Error(`tlog: stored hash ${indexes[i]} missing: tile ${p.tile.l}/${p.tile.n} has ${d ? d.length / HASH_SIZE : 0} hashes, need ${p.tile.w}`);
      }
      return tileHash(d.subarray(p.start, p.end));
    });
  }
}
