// The sequencer's and reader's proofs from cached whole tiles (src/log/tilecache.ts) against
// RFC 9162 verification, on a tree of several tiles and levels read lazily from a store:
// every leaf's inclusion proof, with a cold cache for each and with one shared cache. A
// demo log of 3,077 entries once served proofs that did not verify: a range folded while a
// tile was missing was memoised with a stand-in hash when that tile had already been
// listed as missing in the same round.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { fromHex, integrate, verifyInclusion, type Tile } from '@cotc/tlog';
import { TileCache } from '../../src/log/tilecache.ts';

const leaf = (i: number) => new Uint8Array(createHash('sha256').update(`leaf ${i}`).digest());

function storeOf(size: number) {
  const leaves = Array.from({ length: size }, (_, i) => leaf(i));
  const r = integrate(0, [], leaves);
  const tiles = new Map(r.tiles.map((t) => [`${t.l}/${t.n}`, t.data]));
  let reads = 0;
  return {
    root: r.root,
    leaves,
    get reads() {
      return reads;
    },
    readTiles: async (want: readonly Pick<Tile, 'l' | 'n'>[]) => {
      reads++;
      return want.map((t) => tiles.get(`${t.l}/${t.n}`));
    },
  };
}

test('every inclusion proof from cached tiles verifies (3,077 leaves; cold and shared caches)', async () => {
  const size = 3077;
  const s = storeOf(size);
  const shared = new TileCache(s as never);
  let checked = 0;
  for (let i = 0; i < size; i += i < 300 ? 1 : 7) {
    for (const cache of [new TileCache(s as never), shared]) {
      const proof = (await cache.inclusion(i, size)).map((h) => fromHex(h));
      assert.ok(verifyInclusion(s.leaves[i]!, i, size, proof, s.root), `leaf ${i} of ${size}`);
      checked++;
    }
  }
  assert.ok(checked > 1000);
});

test('proofs at smaller sizes from the same cache (a checkpoint the server handed out earlier)', async () => {
  const s = storeOf(1500);
  const cache = new TileCache(s as never);
  for (const size of [1, 2, 255, 256, 257, 513, 1024, 1499]) {
    const t = integrate(0, [], s.leaves.slice(0, size));
    for (const i of [0, Math.floor(size / 2), size - 1]) {
      const proof = (await cache.inclusion(i, size)).map((h) => fromHex(h));
      assert.ok(verifyInclusion(s.leaves[i]!, i, size, proof, t.root), `leaf ${i} of ${size}`);
    }
  }
});

test.run();
