// Batch integration of new leaves into a tiled tree, as one pure function (after Tessera's
// `Integrate`, github.com/transparency-dev/tessera, and the compact ranges of
// github.com/transparency-dev/merkle): given the tiles at the right edge of a tree of
// `fromSize` leaves and the new leaf hashes, it returns every tile the append creates or
// rewrites and the new root. No reads, no I/O, no state kept between calls: the caller
// reads `edgeTiles(fromSize)` (what the batch touches), calls `integrate`, writes what it
// returns.
//
// The engine is a compact range (RFC 9162 §2.1.1 read left to right): the roots of the
// perfect subtrees that cover [0, size), largest first. Appending a leaf merges equal-height
// roots (one node hash per merge, n − 1 in all for n leaves); every merge that produces a
// subtree of height 8·L is a level-8L hash, i.e. one hash of a level-L tile (C2SP
// tlog-tiles, tile.ts). `rootHash` (hash.ts) and the auditor's frontier are the same code.
import { HASH_SIZE, emptyRoot } from './hash.ts';
import { sha256 } from '@noble/hashes/sha2.js';
import { TILE_HEIGHT, TILE_WIDTH, type Tile } from './tile.ts';
import { checkIndex } from './treemath.ts';

/** SHA-256 of a byte string; node:crypto's `hash('sha256', d, 'buffer')` is ~2× noble. */
export type Sha256 = (data: Uint8Array) => Uint8Array;

/** A tile's bytes: w concatenated 32-byte hashes of tree level 8·l (w = data.length / 32). */
export interface TileBytes {
  l: number;
  n: number;
  data: Uint8Array;
}

/**
 * The compact range of a tree: the roots of the perfect subtrees covering [0, size), left
 * to right, with their heights (strictly decreasing). Mutable and small (≤ 53 hashes).
 */
export class CompactRange {
  readonly hashes: Uint8Array[] = [];
  readonly heights: number[] = [];
  #size = 0;
  readonly #buf = new Uint8Array(1 + 2 * HASH_SIZE);
  readonly #sha: Sha256;

  constructor(sha?: Sha256) {
    this.#sha = sha ?? sha256;
    this.#buf[0] = 0x01;
  }

  get size(): number {
    return this.#size;
  }

  /** SHA-256(0x01 || left || right), RFC 9162 §2.1.1. */
  node(left: Uint8Array, right: Uint8Array): Uint8Array {
    this.#buf.set(left, 1);
    this.#buf.set(right, 1 + HASH_SIZE);
    return this.#sha(this.#buf);
  }

  /** Appends a leaf hash; `onNode(height, index, hash)` sees every new subtree root whose
   * height is a positive multiple of 8 (a level-8L hash of tile level L). */
  append(leaf: Uint8Array, onNode?: (height: number, index: number, hash: Uint8Array) => void): void {
    if (!(leaf instanceof Uint8Array) || leaf.length !== HASH_SIZE) throw new TypeError('leaf: expected a 32-byte hash');
    let h = leaf;
    let height = 0;
    const hs = this.hashes;
    const ht = this.heights;
    while (ht.length > 0 && ht[ht.length - 1] === height) {
      h = this.node(hs.pop()!, h);
      ht.pop();
      height++;
      if (onNode && height % TILE_HEIGHT === 0) onNode(height, Math.floor(this.#size / 2 ** height), h);
    }
    hs.push(h);
    ht.push(height);
    this.#size++;
  }

  /** Lays the range of a tree of `size` leaves from its subtree roots (left to right). */
  static from(size: number, roots: Uint8Array[], sha?: Sha256): CompactRange {
    checkIndex(size, 'size');
    const r = new CompactRange(sha);
    let at = 0;
    for (let k = 52; k >= 0; k--) {
      if (Math.floor(size / 2 ** k) % 2 === 1) {
        const h = roots[at++];
        if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) throw new TypeError(`roots[${at - 1}]: expected a 32-byte hash`);
        r.hashes.push(h);
        r.heights.push(k);
      }
    }
    if (at !== roots.length) throw new RangeError(`roots: a tree of ${size} leaves has ${at} subtree roots, got ${roots.length}`);
    r.#size = size;
    return r;
  }

  /** The RFC 9162 root: the roots folded right to left (MTH splits at the largest power of
   * two below n, which is the leftmost perfect subtree). */
  root(): Uint8Array {
    const hs = this.hashes;
    if (hs.length === 0) return emptyRoot();
    let h = hs[hs.length - 1]!;
    for (let i = hs.length - 2; i >= 0; i--) h = this.node(hs[i]!, h);
    return h === hs[hs.length - 1] ? h.slice() : h;
  }
}

/** The tiles at the right edge of a tree of `size` leaves, bottom level first: the partial
 * tile (w < 256) of each level that has one. Exactly what `integrate` needs from the store. */
export function edgeTiles(size: number): Tile[] {
  checkIndex(size, 'size');
  const out: Tile[] = [];
  for (let l = 0; Math.floor(size / 2 ** (TILE_HEIGHT * l)) > 0; l++) {
    const hashes = Math.floor(size / 2 ** (TILE_HEIGHT * l)); // level-8l hashes that exist
    const w = hashes % TILE_WIDTH;
    if (w > 0) out.push({ l, n: Math.floor(hashes / TILE_WIDTH), w });
  }
  return out;
}

/** The subtree hash of a run of 2^k hashes of `data` starting at hash `start`. */
function runHash(cr: CompactRange, data: Uint8Array, start: number, count: number): Uint8Array {
  if (count === 1) return data.subarray(start * HASH_SIZE, (start + 1) * HASH_SIZE);
  const half = count / 2;
  return cr.node(runHash(cr, data, start, half), runHash(cr, data, start + half, half));
}

export interface Integrated {
  /** the tree size after the append */
  size: number;
  /** the RFC 9162 root of that tree */
  root: Uint8Array;
  /** every tile the append creates or rewrites (full tiles and the new partial edge tiles,
   * whole: each partial tile carries all its hashes, old and new), bottom level first, in
   * index order: the set `newTiles(fromSize, size)` names */
  tiles: TileBytes[];
}

/**
 * Integrates `leaves` (leaf hashes, RFC 9162 `SHA-256(0x00 || entry)`) into the tree of
 * `fromSize` leaves whose right-edge tiles are `edge` (the tiles `edgeTiles(fromSize)`
 * names, each with exactly that width; any order). Pure: the inputs are not modified.
 */
export function integrate(fromSize: number, edge: readonly TileBytes[], leaves: readonly Uint8Array[], opts: { sha256?: Sha256 } = {}): Integrated {
  checkIndex(fromSize, 'fromSize');
  if (!Array.isArray(edge)) throw new TypeError('edge: expected an array of tiles');
  if (!Array.isArray(leaves)) throw new TypeError('leaves: expected an array of 32-byte hashes');
  const toSize = fromSize + leaves.length;
  checkIndex(toSize, 'fromSize + leaves.length');
  const want = edgeTiles(fromSize);
  if (edge.length !== want.length) throw new RangeError(`edge: a tree of ${fromSize} leaves has ${want.length} edge tiles, got ${edge.length}`);
  const cr = new CompactRange(opts.sha256);
  // The current (rightmost, growing) tile of each level: its hashes so far.
  const cur: Array<{ n: number; data: Uint8Array; w: number; dirty: boolean }> = [];
  const byLevel = new Map<number, TileBytes>();
  for (const t of edge) {
    if (!t || !(t.data instanceof Uint8Array)) throw new TypeError('edge: expected tiles {l, n, data}');
    byLevel.set(t.l, t);
  }
  // The compact range of fromSize, top level first: each partial tile's width, split into
  // powers of two (largest first), gives its level's subtree roots (tile.ts tileForIndex).
  const roots: Uint8Array[] = [];
  for (let i = want.length - 1; i >= 0; i--) {
    const wt = want[i]!;
    const t = byLevel.get(wt.l);
    if (!t || t.n !== wt.n || t.data.length !== wt.w * HASH_SIZE) {
      throw new RangeError(`edge: tile ${wt.l}/${wt.n} must hold ${wt.w} hashes for a tree of ${fromSize} leaves, got ${t ? `${t.l}/${t.n} with ${t.data.length / HASH_SIZE}` : 'none'}`);
    }
    let at = 0;
    for (let k = TILE_HEIGHT - 1; k >= 0; k--) {
      if (wt.w & (1 << k)) {
        roots.push(runHash(cr, t.data, at, 1 << k));
        at += 1 << k;
      }
    }
  }
  const range = CompactRange.from(fromSize, roots, opts.sha256);
  const out: TileBytes[] = [];
  const level = (l: number) => {
    let c = cur[l];
    if (!c) {
      const hashes = Math.floor(fromSize / 2 ** (TILE_HEIGHT * l));
      const e = byLevel.get(l);
      const w = hashes % TILE_WIDTH;
      const data = new Uint8Array(TILE_WIDTH * HASH_SIZE);
      if (w > 0) data.set(e!.data);
      c = cur[l] = { n: Math.floor(hashes / TILE_WIDTH), data, w, dirty: false };
    }
    return c;
  };
  const push = (l: number, h: Uint8Array) => {
    const c = level(l);
    c.data.set(h, c.w * HASH_SIZE);
    c.w++;
    c.dirty = true;
    if (c.w === TILE_WIDTH) {
      out.push({ l, n: c.n, data: c.data });
      cur[l] = { n: c.n + 1, data: new Uint8Array(TILE_WIDTH * HASH_SIZE), w: 0, dirty: false };
    }
  };
  const onNode = (height: number, _index: number, h: Uint8Array) => push(height / TILE_HEIGHT, h);
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i];
    if (!(leaf instanceof Uint8Array) || leaf.length !== HASH_SIZE) throw new TypeError(`leaves[${i}]: expected a 32-byte hash`);
    push(0, leaf);
    range.append(leaf, onNode);
  }
  for (let l = 0; l < cur.length; l++) {
    const c = cur[l];
    if (c && c.dirty && c.w > 0) out.push({ l, n: c.n, data: c.data.slice(0, c.w * HASH_SIZE) });
  }
  // Bottom level first, then index order (full tiles were pushed as they filled).
  out.sort((a, b) => a.l - b.l || a.n - b.n);
  return { size: toSize, root: range.root(), tiles: out };
}

/**
 * The Merkle Tree Hash of a whole list of leaf hashes (RFC 9162 §2.1.1): the compact range
 * of `integrate`, O(n) hashes, O(log n) memory. The empty list gives SHA-256 of "".
 */
export function rootHash(leafHashes: readonly Uint8Array[], opts: { sha256?: Sha256 } = {}): Uint8Array {
  if (!Array.isArray(leafHashes)) throw new TypeError('leafHashes: expected an array');
  const cr = new CompactRange(opts.sha256);
  for (let i = 0; i < leafHashes.length; i++) {
    const h = leafHashes[i];
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) throw new TypeError(`leafHashes[${i}]: expected a 32-byte hash`);
    cr.append(h);
  }
  return cr.root();
}
