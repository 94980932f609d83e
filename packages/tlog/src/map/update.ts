// A batch update of the map (docs/wire-format-2.md §6): from the root of version V and a set
// of changes (key → value, or null to delete), the root of the new version and the records
// to write. Reads go through the node store one tree level at a time: every page the batch
// touches at one level is read in ONE readNodes call, so a batch costs (depth / stride)
// reads, whatever its size; nothing is scanned. Pages are written once under the new
// version (never overwritten: older roots keep their proofs); the pages replaced are listed
// under map/s/<version> so that pruning old versions later is a plain delete of those keys.
import { comparePaths, mapPath, mapValueHash } from './hash.ts';
import {
  MapPage,
  childHash,
  mapPageKey,
  mapRootKey,
  mapStaleKey,
  slotOf,
  versionText,
  type Child,
  type LeafChild,
  type MapStride,
  MAP_STRIDES,
} from './page.ts';
import { encodeRoot, loadPages, type MapNodeReader, type MapPageCache, type MapRoot } from './store.ts';

/** Nodes are stored 16-ary (4 binary levels a page), as the Jellyfish Merkle tree does: a
 * quarter of stride 1's reads per proof and records per batch; `pnpm bench map` compares
 * the strides (README "State map"). The hashes do not depend on it. */
export const DEFAULT_MAP_STRIDE: MapStride = 4;

export interface MapOptions {
  stride?: MapStride;
  cache?: MapPageCache;
}

export interface MapUpdate {
  root: MapRoot;
  /** Records to commit atomically with the batch: new pages, the root, the stale list. */
  writes: Array<[key: string, value: string]>;
  /** Keys of the pages this version replaced (also in writes, under map/s/<version>). */
  stale: string[];
  /** readNodes calls made (one per level touched). */
  reads: number;
}

interface Change {
  key: string;
  path: Uint8Array;
  valueHash: Uint8Array | null;
}

export function checkStride(stride: unknown): MapStride {
  if (!(MAP_STRIDES as readonly unknown[]).includes(stride)) throw new RangeError(`stride: expected one of ${MAP_STRIDES.join(', ')}`);
  return stride as MapStride;
}

function prepare(changes: Iterable<readonly [string, string | null]>): Change[] {
  const out: Change[] = [];
  for (const c of changes) {
    if (!Array.isArray(c) || c.length !== 2) throw new TypeError('changes: expected [key, value | null] pairs');
    const [key, value] = c;
    if (value !== null && typeof value !== 'string') throw new TypeError(`changes: the value of ${JSON.stringify(key)} is neither a string nor null`);
    out.push({ key, path: mapPath(key), valueHash: value === null ? null : mapValueHash(value) });
  }
  out.sort((a, b) => comparePaths(a.path, b.path));
  for (let i = 1; i < out.length; i++) {
    if (comparePaths(out[i - 1]!.path, out[i]!.path) === 0) throw new RangeError(`changes: the key ${JSON.stringify(out[i]!.key)} is changed twice`);
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return a.length === b.length;
}

/**
 * Applies `changes` to the map at `root`, giving version `version` (> root.version). A
 * change that changes nothing (the same value again, deleting an absent key) writes
 * nothing; when no change changes anything, only the new root record is written.
 */
export async function updateMap(
  store: MapNodeReader,
  root: MapRoot,
  version: number,
  changes: Iterable<readonly [string, string | null]>,
  opts: MapOptions = {},
): Promise<MapUpdate> {
  const stride = checkStride(opts.stride ?? DEFAULT_MAP_STRIDE);
  versionText(version);
  if (version <= root.version) throw new RangeError(`version: ${version} is not above the root's version ${root.version}`);
  const ch = prepare(changes);

  // Phase 1 — read, top-down, one call per level: every page under which a change falls.
  const loaded = new Map<string, MapPage>();
  let reads = 0;
  type Want = { key: string; depth: number; hash: Uint8Array; lo: number; hi: number };
  let level: Want[] = [];
  if (root.child?.kind === 'page' && ch.length > 0) {
    level.push({ key: mapPageKey(root.child.version, ch[0]!.path, 0), depth: 0, hash: root.child.hash, lo: 0, hi: ch.length });
  }
  while (level.length > 0) {
    const pages = await loadPages(store, opts.cache, level, stride);
    reads++;
    const next: Want[] = [];
    for (let i = 0; i < level.length; i++) {
      const w = level[i]!;
      const page = pages[i]!;
      loaded.set(w.key, page);
      forEachSlot(ch, w.lo, w.hi, w.depth, stride, (s, a, b) => {
        const c = page.slots[s];
        if (c?.kind === 'page') {
          const d = w.depth + stride;
          next.push({ key: mapPageKey(c.version, ch[a]!.path, d), depth: d, hash: c.hash, lo: a, hi: b });
        }
      });
    }
    level = next;
  }

  // Phase 2 — rebuild, bottom-up, in memory.
  const writes: Array<[string, string]> = [];
  const stale: string[] = [];
  let delta = 0;

  const newPage = (depth: number, slots: Array<Child | undefined>, pathOf: Uint8Array, from?: MapPage, dirty?: number[]): Child => {
    const p = new MapPage(depth, stride, slots, from, dirty);
    writes.push([mapPageKey(version, pathOf, depth), p.encode()]);
    return { kind: 'page', version, hash: p.hash };
  };

  // The canonical child for a set of leaves (sorted by path) at `depth`.
  const fromLeaves = (depth: number, leaves: LeafChild[]): Child | undefined => {
    if (leaves.length === 0) return undefined;
    if (leaves.length === 1) return leaves[0];
    if (depth >= 256) throw new Error('map: two distinct leaves with one 256-bit path (a SHA-256 collision)');
    const slots = new Array<Child | undefined>(1 << stride).fill(undefined);
    let a = 0;
    while (a < leaves.length) {
      const s = slotOf(leaves[a]!.path, depth, stride);
      let b = a + 1;
      while (b < leaves.length && slotOf(leaves[b]!.path, depth, stride) === s) b++;
      slots[s] = fromLeaves(depth + stride, leaves.slice(a, b));
      a = b;
    }
    return newPage(depth, slots, leaves[0]!.path);
  };

  // The subtree at `depth` that was `old`, with changes [lo, hi) applied. Returns `old`
  // itself (the same object) when nothing changed.
  const rebuild = (old: Child | undefined, depth: number, lo: number, hi: number): Child | undefined => {
    if (old?.kind === 'page') {
      const key = mapPageKey(old.version, ch[lo]!.path, depth);
      const page = loaded.get(key);
      if (!page) throw new Error(`map: page ${key} was not read in phase 1`);
      const slots = page.slots.slice();
      const dirty: number[] = [];
      forEachSlot(ch, lo, hi, depth, stride, (s, a, b) => {
        const c = rebuild(page.slots[s], depth + stride, a, b);
        if (c !== page.slots[s]) {
          slots[s] = c;
          dirty.push(s);
        }
      });
      if (dirty.length === 0) return old;
      stale.push(key);
      let n = 0;
      let sole: Child | undefined;
      for (const c of slots) if (c !== undefined) (n++, (sole = c));
      if (n === 0) return undefined;
      if (n === 1 && sole!.kind === 'leaf') return sole; // one record left: it moves up
      return newPage(depth, slots, ch[lo]!.path, page, dirty);
    }
    // An empty subtree or one leaf: merge the changes into it.
    const leaves: LeafChild[] = [];
    let changed = false;
    let placed = old === undefined;
    for (let i = lo; i < hi; i++) {
      const c = ch[i]!;
      if (!placed && comparePaths(old!.path, c.path) < 0) {
        leaves.push(old!);
        placed = true;
      }
      if (!placed && comparePaths(old!.path, c.path) === 0) {
        placed = true;
        if (c.valueHash === null) {
          delta--;
          changed = true;
        } else if (sameBytes(c.valueHash, old!.valueHash)) {
          leaves.push(old!);
        } else {
          leaves.push({ kind: 'leaf', path: c.path, valueHash: c.valueHash });
          changed = true;
        }
        continue;
      }
      if (c.valueHash !== null) {
        leaves.push({ kind: 'leaf', path: c.path, valueHash: c.valueHash });
        delta++;
        changed = true;
      }
    }
    if (!placed) leaves.push(old!);
    if (!changed) return old;
    return fromLeaves(depth, leaves);
  };

  const child = ch.length === 0 ? root.child : rebuild(root.child, 0, 0, ch.length);
  const next: MapRoot = { version, hash: childHash(child), count: root.count + delta, child };
  if (next.count < 0) throw new Error('map: negative record count (the root given is not the one stored)');
  writes.push([mapRootKey(version), encodeRoot(next)]);
  if (stale.length > 0) writes.push([mapStaleKey(version), JSON.stringify(stale)]);
  return { root: next, writes, stale, reads };
}

/** Calls f(slot, a, b) for each run [a, b) of changes (sorted by path) in one slot. */
function forEachSlot(ch: Change[], lo: number, hi: number, depth: number, stride: MapStride, f: (slot: number, a: number, b: number) => void): void {
  let a = lo;
  while (a < hi) {
    const s = slotOf(ch[a]!.path, depth, stride);
    let b = a + 1;
    while (b < hi && slotOf(ch[b]!.path, depth, stride) === s) b++;
    f(s, a, b);
    a = b;
  }
}
