// C2SP tlog-tiles paths (https://c2sp.org/tlog-tiles, "Merkle Tree" and "Log entries"):
// `tile/<L>/<N>[.p/<W>]` for hash tiles and `tile/entries/<N>[.p/<W>]` for entry bundles.
// <L> is 0..63 with no leading zeroes; <N> is zero-padded 3-digit path elements, all but
// the last prefixed with `x` (1234067 → x001/x234/067); `.p/<W>` only on partial tiles,
// W in 1..255 with no leading zeroes. Pure string math, browser-safe.
//
// Index math is on safe integers: a path naming a tile index beyond 2^53 is well formed
// by the spec but names a tile no tree here can hold (TilePathError, reason 'range').

const WIDTH = 256;
const MAX_LEVEL = 63;

/** A tile named by a path: a hash tile (level l) or an entry bundle (level 'entries'). */
export interface TileRef {
  /** the hash tile's level, or 'entries' for an entry bundle */
  l: number | 'entries';
  n: number;
  /** 256 for a full tile, 1..255 for a partial one */
  w: number;
}

/** A path that is not a C2SP tlog-tiles path. `reason`: 'syntax' (not the grammar) or
 * 'range' (well formed, but an index beyond any tree this code handles). */
export class TilePathError extends Error {
  constructor(
    message: string,
    readonly reason: 'syntax' | 'range',
  ) {
    super(message);
    this.name = 'TilePathError';
  }
}

function checkN(n: unknown, param: string): asserts n is number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new RangeError(`${param}: expected a non-negative safe integer, got ${String(n)}`);
}

function checkW(w: unknown, param: string): asserts w is number {
  if (typeof w !== 'number' || !Number.isInteger(w) || w < 1 || w > WIDTH) throw new RangeError(`${param}: ${String(w)} not in 1..256`);
}

/** <N>[.p/<W>]: the index in 3-digit groups, `x` on all but the last; `.p/W` when w < 256. */
export function tileIndexPath(n: number, w: number = WIDTH): string {
  checkN(n, 'n');
  checkW(w, 'w');
  let s = String(n);
  while (s.length % 3 !== 0) s = '0' + s;
  const groups = s.match(/.{3}/g)!;
  const path = groups.map((g, i) => (i < groups.length - 1 ? 'x' + g : g)).join('/');
  return w < WIDTH ? `${path}.p/${w}` : path;
}

/** tile/<L>/<N>[.p/<W>] of a hash tile (L in 0..63). */
export function hashTilePath(l: number, n: number, w: number = WIDTH): string {
  if (typeof l !== 'number' || !Number.isInteger(l) || l < 0 || l > MAX_LEVEL) throw new RangeError(`l: ${String(l)} not in 0..${MAX_LEVEL}`);
  return `tile/${l}/${tileIndexPath(n, w)}`;
}

/** tile/entries/<N>[.p/<W>] of an entry bundle. */
export function entriesPath(n: number, w: number = WIDTH): string {
  return `tile/entries/${tileIndexPath(n, w)}`;
}

/** The path of a TileRef. */
export function tileRefPath(t: TileRef): string {
  return t.l === 'entries' ? entriesPath(t.n, t.w) : hashTilePath(t.l, t.n, t.w);
}

const GROUP = /^x[0-9]{3}$/;
const LAST = /^[0-9]{3}$/;
const LEVEL = /^(0|[1-9][0-9]?)$/;
const PWIDTH = /^[1-9][0-9]{0,2}$/;

/** Parses <N>[.p/<W>] (the part of a tile path after the level). */
export function parseTileIndexPath(s: string): { n: number; w: number } {
  if (typeof s !== 'string') throw new TypeError('path: expected a string');
  let w = WIDTH;
  let body = s;
  const p = s.indexOf('.p/');
  if (p >= 0) {
    const ws = s.slice(p + 3);
    if (!PWIDTH.test(ws) || Number(ws) > 255) throw new TilePathError(`partial width ${JSON.stringify(ws.slice(0, 8))}: expected 1..255 with no leading zero`, 'syntax');
    w = Number(ws);
    body = s.slice(0, p);
  }
  const parts = body.split('/');
  const last = parts.pop()!;
  if (!LAST.test(last)) throw new TilePathError(`tile index: the last element ${JSON.stringify(last.slice(0, 8))} is not 3 digits`, 'syntax');
  for (const g of parts) if (!GROUP.test(g)) throw new TilePathError(`tile index: element ${JSON.stringify(g.slice(0, 8))} is not x and 3 digits`, 'syntax');
  const digits = parts.map((g) => g.slice(1)).join('') + last;
  // Canonical: no leading all-zero group (x000/001 would name tile 1 a second way).
  if (parts.length > 0 && parts[0] === 'x000') throw new TilePathError('tile index: a leading x000 element (not the shortest encoding)', 'syntax');
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) throw new TilePathError(`tile index ${digits}: beyond 2^53, no tree here holds it`, 'range');
  return { n, w };
}

/**
 * Parses a tile path, with or without a leading slash: `tile/<L>/<N>[.p/<W>]` or
 * `tile/entries/<N>[.p/<W>]`. Throws TilePathError for anything else.
 */
export function parseTilePath(path: string): TileRef {
  if (typeof path !== 'string') throw new TypeError('path: expected a string');
  const s = path.startsWith('/') ? path.slice(1) : path;
  const m = /^tile\/([^/]+)\/(.+)$/.exec(s);
  if (!m) throw new TilePathError('not a tile path: expected tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]', 'syntax');
  const [, level, rest] = m as unknown as [string, string, string];
  const { n, w } = parseTileIndexPath(rest);
  if (level === 'entries') return { l: 'entries', n, w };
  if (!LEVEL.test(level) || Number(level) > MAX_LEVEL) throw new TilePathError(`tile level ${JSON.stringify(level.slice(0, 8))}: expected 0..63 with no leading zero`, 'syntax');
  return { l: Number(level), n, w };
}

/**
 * The width of tile (l, n) in a tree of `size` leaves (entry bundles: l = 0): 256 when
 * full, 1..255 when it is the partial tile at the right edge, 0 when the tree does not
 * reach it ("The partial tile at level l for a tree of size s has floor(s / 256**l) mod
 * 256 entries").
 */
export function tileWidthAt(l: number, n: number, size: number): number {
  checkN(l, 'l');
  checkN(n, 'n');
  checkN(size, 'size');
  const hashes = Math.floor(size / WIDTH ** l); // hashes at level 8·l
  const w = hashes - n * WIDTH;
  if (w <= 0) return 0;
  return Math.min(w, WIDTH);
}

/** The tree sizes s for which tile (l, n) has width w: [lo, hi) (hi excluded). */
export function sizesWithWidth(l: number, n: number, w: number): { lo: number; hi: number } {
  checkN(l, 'l');
  checkN(n, 'n');
  checkW(w, 'w');
  const unit = WIDTH ** l;
  const lo = (n * WIDTH + w) * unit;
  // A full tile stays full for every larger size.
  const hi = w === WIDTH ? Number.MAX_SAFE_INTEGER : lo + unit;
  return { lo, hi };
}
