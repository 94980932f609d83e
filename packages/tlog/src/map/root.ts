// The map root of a whole set of records computed from scratch (docs/wire-format-2.md §3),
// recursively, with no store: what an auditor checks a snapshot against, and the reference
// the incremental update is tested against.
import { MAP_EMPTY, comparePaths, mapLeafHash, mapNodeHash, mapPath, mapValueHash, pathBit } from './hash.ts';

/** The root over (key, value) records (keys distinct). */
export function mapRootOf(records: Iterable<readonly [string, string]>): Uint8Array {
  const leaves: Array<{ path: Uint8Array; vh: Uint8Array }> = [];
  for (const [k, v] of records) leaves.push({ path: mapPath(k), vh: mapValueHash(v) });
  leaves.sort((a, b) => comparePaths(a.path, b.path));
  for (let i = 1; i < leaves.length; i++) {
    if (comparePaths(leaves[i - 1]!.path, leaves[i]!.path) === 0) throw new RangeError('records: a key occurs twice');
  }
  const sub = (lo: number, hi: number, depth: number): Uint8Array => {
    if (lo === hi) return MAP_EMPTY;
    if (hi - lo === 1) return mapLeafHash(leaves[lo]!.path, leaves[lo]!.vh);
    let mid = lo;
    while (mid < hi && pathBit(leaves[mid]!.path, depth) === 0) mid++;
    return mapNodeHash(sub(lo, mid, depth + 1), sub(mid, hi, depth + 1));
  };
  return sub(0, leaves.length, 0);
}
