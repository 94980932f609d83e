// integrate (packages/tlog/src/integrate.ts), the batch integration the sequencer and the
// auditor share, against two independent references: the per-leaf MemoryTree (its stored
// hashes read back as tiles with readTileData) for every tile, and the RFC 9162 MTH written
// from the definitions (merkle-ref.ts plainMTH) for every root. A tree grown in random
// batches, one call per batch, fed only the edge tiles its previous calls returned.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hash as nodeHashOneShot } from 'node:crypto';
import {
  CompactRange,
  MemoryTree,
  edgeTiles,
  integrate,
  leafHash,
  newTiles,
  readTileData,
  rootHash,
  type TileBytes,
} from '@cotc/tlog';
import { equalBytes, hex, leafData, plainMTH, prng } from './merkle-ref.ts';

const key = (l: number, n: number) => `${l}/${n}`;

async function grow(batches: number[], sha?: (d: Uint8Array) => Uint8Array) {
  const ref = new MemoryTree();
  const tiles = new Map<string, Uint8Array>();
  const leaves: Uint8Array[] = [];
  let size = 0;
  for (const count of batches) {
    const add = Array.from({ length: count }, (_, i) => leafHash(leafData(size + i)));
    const edge: TileBytes[] = edgeTiles(size).map((t) => ({ l: t.l, n: t.n, data: tiles.get(key(t.l, t.n))!.slice() }));
    const before = edge.map((t) => hex(t.data));
    const out = integrate(size, edge, add, sha ? { sha256: sha } : {});
    assert.equal(edge.map((t) => hex(t.data)), before, 'the edge tiles given are not modified');
    for (const h of add) await ref.append(h);
    leaves.push(...add);
    // The tiles returned are exactly those newTiles names, each with the reference's data.
    const names = newTiles(size, size + count);
    assert.equal(
      out.tiles.map((t) => `${t.l}/${t.n}/${t.data.length / 32}`),
      names.map((t) => `${t.l}/${t.n}/${t.w}`),
      `tiles of the batch ${size}+${count}`,
    );
    for (let i = 0; i < names.length; i++) {
      const want = await readTileData(names[i]!, ref.store);
      assert.ok(equalBytes(out.tiles[i]!.data, want), `tile ${names[i]!.l}/${names[i]!.n} at size ${size + count}`);
      tiles.set(key(out.tiles[i]!.l, out.tiles[i]!.n), out.tiles[i]!.data);
    }
    size += count;
    assert.is(out.size, size);
    assert.is(hex(out.root), hex(await ref.root()), `root at ${size}`);
  }
  return { leaves, size, tiles };
}

test('random batches: every tile and root as the per-leaf tree has them', async () => {
  const rnd = prng(10);
  const batches = [1, 0, 255, 1, 256, 3];
  while (batches.reduce((a, b) => a + b, 0) < 3000) batches.push(Math.floor(rnd() * 400));
  const { leaves, size } = await grow(batches);
  assert.is(hex(rootHash(leaves)), hex(plainMTH(leaves)), `rootHash at ${size}`);
});

test('past the first full level-1 tile (65,536 leaves), with node:crypto hashing', async () => {
  const sha = (d: Uint8Array) => nodeHashOneShot('sha256', d, 'buffer');
  const { leaves } = await grow([60_000, 5_535, 1, 1, 3_000], sha);
  assert.is(hex(rootHash(leaves, { sha256: sha })), hex(plainMTH(leaves)));
});

test('rootHash and CompactRange match the RFC 9162 definition for every size up to 300', () => {
  const leaves = Array.from({ length: 300 }, (_, i) => leafHash(leafData(i)));
  const cr = new CompactRange();
  assert.is(hex(rootHash([])), hex(plainMTH([])));
  for (let n = 1; n <= leaves.length; n++) {
    cr.append(leaves[n - 1]!);
    assert.is(hex(cr.root()), hex(plainMTH(leaves.slice(0, n))), `size ${n}`);
    assert.is(hex(rootHash(leaves.slice(0, n))), hex(plainMTH(leaves.slice(0, n))));
    // Rebuilt from its own roots, the range says the same.
    assert.is(hex(CompactRange.from(n, cr.hashes.slice()).root()), hex(cr.root()));
  }
});

test('edge tiles: the partial tile of each level', () => {
  assert.equal(edgeTiles(0), []);
  assert.equal(edgeTiles(256), [{ l: 1, n: 0, w: 1 }]);
  assert.equal(edgeTiles(257), [{ l: 0, n: 1, w: 1 }, { l: 1, n: 0, w: 1 }]);
  assert.equal(edgeTiles(65_536), [{ l: 2, n: 0, w: 1 }]);
});

test('wrong edge tiles are refused, naming the parameter', () => {
  const leaf = leafHash(leafData(0));
  const t0 = integrate(0, [], [leaf, leaf, leaf]);
  assert.throws(() => integrate(3, [], [leaf]), /edge: a tree of 3 leaves has 1 edge tiles, got 0/);
  assert.throws(() => integrate(2, t0.tiles, [leaf]), /edge: tile 0\/0 must hold 2 hashes/);
  assert.throws(() => integrate(3, t0.tiles, [new Uint8Array(31)]), /leaves\[0\]: expected a 32-byte hash/);
  assert.throws(() => integrate(-1, [], []), /fromSize/);
  // An empty batch changes nothing and keeps the root.
  const same = integrate(3, t0.tiles, []);
  assert.equal(same.tiles, []);
  assert.is(hex(same.root), hex(t0.root));
});

test.run();
