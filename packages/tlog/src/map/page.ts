// How the map's nodes are stored (docs/wire-format-2.md §7, informative: the hashes and
// proofs do not depend on it). The binary tree is cut into pages of `stride` levels: a page
// at depth D (a multiple of the stride) holds the 2^stride slots at depth D + stride below
// it, each empty, a leaf (path, valueHash) or a pointer (version, hash) to the page one
// stride down. The binary hashes inside a page are computed from its slots, as the
// Jellyfish Merkle tree does inside its 16-ary internal nodes, so one stored record serves
// `stride` levels of a proof.
//
// Canonical form, the same as the binary tree with shortcut leaves: a page pointer always
// stands for ≥ 2 records (one record is its leaf, in the slot above; none is an empty
// slot). Pages are immutable: a page is written once, under the version of the batch that
// made it, and never overwritten, so every retained root keeps its proofs.
import { hex } from '../bytes.ts';
import { MAP_EMPTY, hex32At, mapLeafHash, mapNodeHash } from './hash.ts';

export const MAP_STRIDES = [1, 2, 4, 8] as const;
export type MapStride = (typeof MAP_STRIDES)[number];

export interface LeafChild {
  kind: 'leaf';
  path: Uint8Array;
  valueHash: Uint8Array;
  /** mapLeafHash(path, valueHash), computed once. */
  hash?: Uint8Array;
}
export interface PageChild {
  kind: 'page';
  version: number;
  hash: Uint8Array;
}
export type Child = LeafChild | PageChild;

/** Thrown when a stored map record does not decode or does not hash to what points at it:
 * the store is corrupt (an impossible state, never bad input). */
export class MapCorruptError extends Error {
  constructor(
    message: string,
    readonly key?: string,
  ) {
    super(message);
    this.name = 'MapCorruptError';
  }
}

export function childHash(c: Child | undefined): Uint8Array {
  if (c === undefined) return MAP_EMPTY;
  if (c.kind === 'page') return c.hash;
  return (c.hash ??= mapLeafHash(c.path, c.valueHash));
}

// ---- record keys -------------------------------------------------------------------------
// map/r/<version>          the root of a version: {"hash","count","child"}
// map/n/<version>/<node>   a page written by that version; <node> = <depth>.<hex prefix>
// map/s/<version>          the page keys that version made stale (for pruning)
// <version> is 16 decimal digits (sorts like the number); <hex prefix> is the first
// ⌈depth/8⌉ bytes of the paths below, bits past `depth` zero.
export const MAP_KEY_PREFIX = 'map/';
const VER_DIGITS = 16;

export function versionText(v: number): string {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`version: ${v} is not a safe non-negative integer`);
  return String(v).padStart(VER_DIGITS, '0');
}
export const mapRootKey = (version: number) => `map/r/${versionText(version)}`;
export const mapStaleKey = (version: number) => `map/s/${versionText(version)}`;

export function prefixText(path: Uint8Array, depth: number): string {
  const n = (depth + 7) >> 3;
  const b = path.slice(0, n);
  if (depth & 7) b[n - 1]! &= (0xff << (8 - (depth & 7))) & 0xff;
  return `${depth}.${hex(b)}`;
}
export const mapPageKey = (version: number, path: Uint8Array, depth: number) => `map/n/${versionText(version)}/${prefixText(path, depth)}`;

// ---- child and page encodings -----------------------------------------------------------
// A leaf is the string "<path hex><valueHash hex>" (128 hex digits); a page pointer is
// [version, "<hash hex>"]. A page record is the JSON array of its non-empty slots in slot
// order, [slot, leaf] or [slot, version, "<hash hex>"].
const HEX128 = /^[0-9a-f]{128}$/;
const HEX64 = /^[0-9a-f]{64}$/;

export function encodeChild(c: Child): unknown {
  return c.kind === 'leaf' ? hex(c.path) + hex(c.valueHash) : [c.version, hex(c.hash)];
}

export function decodeChild(x: unknown, where: string): Child {
  if (typeof x === 'string' && HEX128.test(x)) return { kind: 'leaf', path: hex32At(x, 0), valueHash: hex32At(x, 64) };
  if (Array.isArray(x) && x.length === 2 && Number.isSafeInteger(x[0]) && x[0] >= 0 && typeof x[1] === 'string' && HEX64.test(x[1])) {
    return { kind: 'page', version: x[0], hash: hex32At(x[1]) };
  }
  throw new MapCorruptError(`map: malformed child in ${where}`, where);
}

const K_EMPTY = 0;
const K_LEAF = 1; // exactly one record below: the hash is that leaf's
const K_MULTI = 2; // two or more records below

/**
 * One decoded page with the binary hashes inside it, as a heap: node 1 is the page's top
 * (depth D), nodes 2^j … 2^(j+1)−1 are depth D + j, and node 2^stride + s is slot s.
 */
export class MapPage {
  readonly depth: number;
  readonly stride: MapStride;
  readonly slots: ReadonlyArray<Child | undefined>;
  readonly kinds: Uint8Array;
  readonly hashes: Uint8Array[];
  /** For a K_LEAF heap node, the leaf below it. */
  readonly leaves: Array<LeafChild | undefined>;

  /** With `from` (the page this one replaces) and `dirty` (the slots that differ), only
   * the changed slots' ancestors are rehashed. */
  constructor(depth: number, stride: MapStride, slots: Array<Child | undefined>, from?: MapPage, dirty?: Iterable<number>) {
    const width = 1 << stride;
    if (slots.length !== width) throw new Error(`map: a page of stride ${stride} has ${width} slots, got ${slots.length}`);
    this.depth = depth;
    this.stride = stride;
    this.slots = slots;
    if (from && dirty) {
      this.kinds = from.kinds.slice();
      this.hashes = from.hashes.slice();
      this.leaves = from.leaves.slice();
      const todo = new Set<number>();
      for (const s of dirty) {
        this.#setSlot(s);
        if (width + s > 1) todo.add((width + s) >> 1);
      }
      // Ancestors level by level, bottom-up.
      let level = [...todo];
      while (level.length > 0) {
        const up = new Set<number>();
        for (const i of level) {
          this.#combine(i);
          if (i > 1) up.add(i >> 1);
        }
        level = [...up];
      }
    } else {
      this.kinds = new Uint8Array(2 * width);
      this.hashes = new Array<Uint8Array>(2 * width);
      this.leaves = new Array<LeafChild | undefined>(2 * width);
      for (let s = 0; s < width; s++) this.#setSlot(s);
      for (let i = width - 1; i >= 1; i--) this.#combine(i);
    }
  }

  #setSlot(s: number): void {
    const i = (1 << this.stride) + s;
    const c = this.slots[s];
    this.kinds[i] = c === undefined ? K_EMPTY : c.kind === 'leaf' ? K_LEAF : K_MULTI;
    this.hashes[i] = childHash(c);
    this.leaves[i] = c !== undefined && c.kind === 'leaf' ? c : undefined;
  }

  // §3's rule: no record → EMPTY; one record → its leaf's hash (the shortcut); else node().
  #combine(i: number): void {
    const l = 2 * i;
    const r = l + 1;
    const kl = this.kinds[l]!;
    const kr = this.kinds[r]!;
    if (kl === K_EMPTY && kr === K_EMPTY) {
      this.kinds[i] = K_EMPTY;
      this.hashes[i] = MAP_EMPTY;
      this.leaves[i] = undefined;
    } else if ((kl === K_EMPTY && kr === K_LEAF) || (kl === K_LEAF && kr === K_EMPTY)) {
      const j = kl === K_LEAF ? l : r;
      this.kinds[i] = K_LEAF;
      this.hashes[i] = this.hashes[j]!;
      this.leaves[i] = this.leaves[j];
    } else {
      this.kinds[i] = K_MULTI;
      this.hashes[i] = mapNodeHash(this.hashes[l]!, this.hashes[r]!);
      this.leaves[i] = undefined;
    }
  }

  get hash(): Uint8Array {
    return this.hashes[1]!;
  }
  #hex: Array<string | undefined> | undefined;
  /** Lowercase hex of heap node i's hash, computed once (proofs of many keys share the top
   * pages, and a cached page serves them all). */
  hexAt(i: number): string {
    const cache = (this.#hex ??= new Array<string | undefined>(this.hashes.length));
    return (cache[i] ??= hex(this.hashes[i]!));
  }
  /** True when the page stands for ≥ 2 records (the only pages the canonical tree has). */
  get isMulti(): boolean {
    return this.kinds[1] === K_MULTI;
  }
  /** The one child when the page holds exactly one non-empty slot, else undefined. */
  soleChild(): Child | undefined {
    let found: Child | undefined;
    for (const c of this.slots) {
      if (c === undefined) continue;
      if (found !== undefined) return undefined;
      found = c;
    }
    return found;
  }

  encode(): string {
    const out: unknown[] = [];
    this.slots.forEach((c, s) => {
      if (c === undefined) return;
      out.push(c.kind === 'leaf' ? [s, encodeChild(c)] : [s, c.version, hex(c.hash)]);
    });
    return JSON.stringify(out);
  }

  static decode(text: string, depth: number, stride: MapStride, key: string): MapPage {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw new MapCorruptError(`map: page ${key} is not JSON`, key);
    }
    if (!Array.isArray(v)) throw new MapCorruptError(`map: page ${key} is not an array`, key);
    const width = 1 << stride;
    const slots = new Array<Child | undefined>(width).fill(undefined);
    let last = -1;
    for (const e of v) {
      if (!Array.isArray(e) || (e.length !== 2 && e.length !== 3) || !Number.isInteger(e[0]) || e[0] <= last || e[0] >= width) {
        throw new MapCorruptError(`map: page ${key} has a malformed slot`, key);
      }
      last = e[0];
      slots[e[0]] = decodeChild(e.length === 2 ? e[1] : [e[1], e[2]], key);
    }
    return new MapPage(depth, stride, slots);
  }
}

/** The slot of `path` in a page at `depth` (strides divide 8, so a slot never spans bytes). */
export function slotOf(path: Uint8Array, depth: number, stride: MapStride): number {
  return (path[depth >> 3]! >> (8 - (depth & 7) - stride)) & ((1 << stride) - 1);
}
