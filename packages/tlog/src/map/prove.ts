// Proof generation (docs/wire-format-2.md §4): the proofs of many keys against one root,
// reading the pages along their paths one level at a time (one readNodes call per level for
// the whole run of keys), through a page cache when given one. The proof says what the map
// holds: presence (the key's value hash) or absence (EMPTY, or the record alone where the
// key would be).
import { hex } from '../bytes.ts';
import { mapPath, pathBit } from './hash.ts';
import { mapPageKey, slotOf, type Child, type LeafChild } from './page.ts';
import { loadPages, type MapNodeReader, type MapRoot } from './store.ts';
import type { MapProof } from './proof.ts';
import { checkStride, DEFAULT_MAP_STRIDE, type MapOptions } from './update.ts';

export interface MapLookup {
  key: string;
  /** The value hash of the key's record, or null when the map does not hold the key. */
  valueHash: Uint8Array | null;
  proof: MapProof;
}

interface Walk {
  path: Uint8Array;
  /** Sibling hashes top-down (reversed at the end). */
  sibs: Array<string | null>;
  depth: number;
  child: Child | undefined;
  done: LeafChild | null | undefined;
}

export async function proveMap(store: MapNodeReader, root: MapRoot, keys: readonly string[], opts: MapOptions = {}): Promise<MapLookup[]> {
  const stride = checkStride(opts.stride ?? DEFAULT_MAP_STRIDE);
  if (!Array.isArray(keys)) throw new TypeError('keys: expected an array of strings');
  const walks: Walk[] = keys.map((k) => ({ path: mapPath(k), sibs: [], depth: 0, child: root.child, done: undefined }));
  const settle = (w: Walk) => {
    if (w.child === undefined) w.done = null;
    else if (w.child.kind === 'leaf') w.done = w.child;
  };
  walks.forEach(settle);
  for (;;) {
    const pending = walks.filter((w) => w.done === undefined);
    if (pending.length === 0) break;
    const wants = pending.map((w) => {
      const c = w.child as Extract<Child, { kind: 'page' }>;
      return { key: mapPageKey(c.version, w.path, w.depth), depth: w.depth, hash: c.hash };
    });
    const pages = await loadPages(store, opts.cache, wants, stride);
    for (let i = 0; i < pending.length; i++) {
      const w = pending[i]!;
      const page = pages[i]!;
      let node = 1;
      let j = 0;
      for (; j < stride; j++) {
        const k = page.kinds[node]!;
        if (k !== 2) break;
        const b = pathBit(w.path, w.depth + j);
        const sib = 2 * node + 1 - b;
        w.sibs.push(page.kinds[sib] === 0 ? null : page.hexAt(sib));
        node = 2 * node + b;
      }
      const k = page.kinds[node]!;
      if (k === 0) w.done = null;
      else if (k === 1) w.done = page.leaves[node]!;
      else {
        // j === stride: a page below.
        w.child = page.slots[slotOf(w.path, w.depth, stride)];
        w.depth += stride;
      }
    }
  }
  return walks.map((w, i) => {
    const siblings = w.sibs.reverse();
    const leaf = w.done!;
    if (leaf !== null && samePath(leaf.path, w.path)) return { key: keys[i]!, valueHash: leaf.valueHash, proof: { siblings } };
    const proof: MapProof = { siblings };
    if (leaf !== null) proof.leaf = { path: hex(leaf.path), valueHash: hex(leaf.valueHash) };
    return { key: keys[i]!, valueHash: null, proof };
  });
}

function samePath(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return false;
  return true;
}
