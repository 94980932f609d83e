// A tile-backed HashStore (C2SP tlog-tiles: a Map from tile/<L>/<N> to its latest data,
// partial tiles rewritten until full, only the level-8L hashes stored) must reproduce
// every stored hash and every proof of a MemoryTree, for a tree grown to 1000 leaves in
// random batches; newTiles must name exactly the tiles each batch rewrote.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  HASH_SIZE,
  MemoryTree,
  TILE_HEIGHT,
  TILE_WIDTH,
  TileHashReader,
  Tree,
  consistencyProof,
  inclusionProof,
  leafHash,
  newTiles,
  readTileData,
  splitStoredHashIndex,
  storedHashCount,
  storedHashIndex,
  tileForIndex,
  tilePath,
  treeHash,
  verifyConsistency,
  verifyInclusion,
  type HashStore,
  type MemoryHashStore,
  type Tile,
  type TileReader,
} from '@cotc/tlog';
import { equalBytes, hex, leafData, prng } from './merkle-ref.ts';

const key = (l: number, n: number) => `${l}/${n}`;

/** Tiles in a Map, written through as hashes arrive: only hashes at levels 0, 8, 16, …
 * are kept (the others are recomputed from their tile by TileHashReader). A partial
 * tile is replaced by a longer copy each time it grows. */
class MapTileStore implements HashStore, TileReader {
  readonly tiles = new Map<string, Uint8Array>();
  /** tiles written since the last takeDirty(), with the width they reached */
  dirty = new Map<string, Tile>();
  count = 0;
  writes = 0;
  reads = 0;
  readonly reader = new TileHashReader(this);

  async readTiles(tiles: readonly { l: number; n: number }[]): Promise<(Uint8Array | undefined)[]> {
    this.reads += tiles.length;
    return tiles.map((t) => this.tiles.get(key(t.l, t.n)));
  }
  readHashes(indexes: readonly number[]): Promise<Uint8Array[]> {
    return this.reader.readHashes(indexes);
  }
  writeHashes(start: number, hashes: readonly Uint8Array[]): void {
    if (start !== this.count) throw new Error(`write at ${start}, have ${this.count}`);
    hashes.forEach((h, i) => {
      const { level, n } = splitStoredHashIndex(start + i);
      if (level % TILE_HEIGHT !== 0) return;
      const l = level / TILE_HEIGHT;
      const tn = Math.floor(n / TILE_WIDTH);
      const off = n % TILE_WIDTH;
      const k = key(l, tn);
      const old = this.tiles.get(k) ?? new Uint8Array(0);
      if (old.length !== off * HASH_SIZE) throw new Error(`tile ${k}: hash ${off} written after ${old.length / HASH_SIZE}`);
      const data = new Uint8Array(old.length + HASH_SIZE);
      data.set(old);
      data.set(h, old.length);
      this.tiles.set(k, data); // rewrite the partial tile
      this.writes++;
      this.dirty.set(k, { l, n: tn, w: off + 1 });
    });
    this.count += hashes.length;
  }
  takeDirty(): Tile[] {
    const d = [...this.dirty.values()];
    this.dirty = new Map();
    return d;
  }
}

const order = (a: Tile, b: Tile) => a.l - b.l || a.n - b.n;
const show = (ts: Tile[]) => ts.map(tilePath).join(' ');

const FINAL = 1000;
const leaves = Array.from({ length: FINAL }, (_, i) => leafHash(leafData(i)));
const mem = new MemoryTree();
for (const h of leaves) await mem.append(h);
const memStore = mem.store as MemoryHashStore;
const memRoots: Uint8Array[] = [];
for (let s = 0; s <= FINAL; s++) memRoots.push(await mem.root(s));

test('C2SP tilePath examples: tile/0/x001/x234/067 and .p/W', () => {
  assert.is(tilePath({ l: 0, n: 1234067, w: 256 }), 'tile/0/x001/x234/067');
  assert.is(tilePath({ l: 0, n: 1234067, w: 8 }), 'tile/0/x001/x234/067.p/8');
  assert.is(tilePath({ l: 1, n: 0, w: 1 }), 'tile/1/000.p/1');
  assert.is(tilePath({ l: 0, n: 999, w: 255 }), 'tile/0/999.p/255');
  assert.is(tilePath({ l: 0, n: 1000, w: 256 }), 'tile/0/x001/000');
  assert.is(tilePath({ l: 2, n: 1_000_000, w: 256 }), 'tile/2/x001/x000/000');
  assert.is(tilePath({ l: 0, n: 67, w: 256 }), 'tile/0/067');
  for (const bad of [{ l: 0, n: 0, w: 0 }, { l: 0, n: 0, w: 257 }, { l: -1, n: 0, w: 1 }, { l: 0, n: -1, w: 1 }, { l: 0, n: 1.5, w: 1 }]) {
    assert.throws(() => tilePath(bad), `${JSON.stringify(bad)}`);
  }
});

test('tileForIndex: the tile holding each stored hash of a 1000-leaf tree, and its slice', async () => {
  for (let x = 0; x < storedHashCount(FINAL); x++) {
    const { level, n } = splitStoredHashIndex(x);
    const { tile, start, end } = tileForIndex(x);
    assert.is(tile.l, Math.floor(level / TILE_HEIGHT));
    const sub = level % TILE_HEIGHT;
    // The slice holds the 2^sub level-8L hashes under (level, n).
    assert.is((end - start) / HASH_SIZE, 2 ** sub);
    assert.is(tile.n * TILE_WIDTH + start / HASH_SIZE, n * 2 ** sub);
    assert.is(tile.w, end / HASH_SIZE);
  }
});

test(`tile-backed Tree grown to ${FINAL} leaves in random batches = MemoryTree`, async () => {
  const rnd = prng(20240601);
  const store = new MapTileStore();
  const t = new Tree(store);
  const boundaries = [0];
  let batches = 0;
  while (t.size < FINAL) {
    const old = t.size;
    // Batch sizes from 1 to 150, biased small, so batches both stay inside a tile and
    // cross one or more tile boundaries.
    const want = Math.min(FINAL - old, 1 + Math.floor(rnd() ** 3 * 150));
    for (let k = 0; k < want; k++) assert.is(await t.append(leaves[old + k]!), old + k);
    const size = t.size;
    batches++;

    // newTiles names exactly the tiles this batch wrote, each with its new width, and
    // their data is what readTileData computes from the MemoryTree's stored hashes.
    const dirty = store.takeDirty().sort(order);
    const expected = newTiles(old, size).sort(order);
    assert.equal(dirty, expected, `batch ${old}→${size}: wrote ${show(dirty)}, newTiles says ${show(expected)}`);
    for (const tile of expected) {
      const data = store.tiles.get(key(tile.l, tile.n))!;
      assert.is(data.length, tile.w * HASH_SIZE);
      assert.ok(equalBytes(data, await readTileData(tile, memStore)), `tile ${tilePath(tile)}`);
    }

    // Every stored hash, read back through the tiles in one batched call.
    assert.is(store.count, storedHashCount(size));
    const all = Array.from({ length: store.count }, (_, i) => i);
    const got = await store.readHashes(all);
    for (let i = 0; i < all.length; i++) if (!equalBytes(got[i]!, memStore.hashes[i]!)) assert.unreachable(`stored hash ${i} at size ${size}`);

    // Roots of every earlier batch size and of this one; consistency from each earlier
    // batch boundary; inclusion proofs for a sample of leaves.
    assert.is(hex(await t.root()), hex(memRoots[size]!));
    for (const b of boundaries.slice(1)) {
      assert.is(hex(await treeHash(b, store)), hex(memRoots[b]!));
      const p = await t.consistencyProof(b);
      assert.equal(p.map(hex), (await mem.consistencyProof(b, size)).map(hex), `consistency ${b}→${size}`);
      assert.ok(verifyConsistency(b, size, p, memRoots[b]!, memRoots[size]!));
    }
    for (const i of [0, size - 1, old, Math.floor(rnd() * size), Math.floor(rnd() * size)]) {
      const p = await t.inclusionProof(i);
      assert.equal(p.map(hex), (await mem.inclusionProof(i, size)).map(hex), `inclusion ${i}/${size}`);
      assert.ok(verifyInclusion(leaves[i]!, i, size, p, memRoots[size]!));
    }
    boundaries.push(size);
  }
  assert.ok(batches >= 15, `only ${batches} batches`);
  // Writes: each leaf hash plus each level-8 hash, once; no other hash is stored.
  assert.is(store.writes, FINAL + Math.floor(FINAL / 256));
  // Full tiles are exactly the C2SP ones; the rest are partial with the right width.
  assert.equal(
    [...store.tiles.entries()].map(([k, d]) => [k, d.length / HASH_SIZE]).sort(),
    [['0/0', 256], ['0/1', 256], ['0/2', 256], ['0/3', 1000 - 768], ['1/0', 3]].sort(),
  );
});

test(`every proof of a ${FINAL}-leaf tree through tiles = MemoryTree (all at the final size, sampled for past sizes)`, async () => {
  const store = new MapTileStore();
  const t = new Tree(store);
  for (const h of leaves) await t.append(h);
  // Proofs over any past size read only hashes the tiles already hold.
  const rnd = prng(7);
  for (let i = 0; i < FINAL; i++) {
    const p = await inclusionProof(i, FINAL, store);
    assert.equal(p.map(hex), (await mem.inclusionProof(i, FINAL)).map(hex), `inclusion ${i}/${FINAL}`);
    assert.ok(verifyInclusion(leaves[i]!, i, FINAL, p, memRoots[FINAL]!));
  }
  for (let s = 1; s <= FINAL; s++) {
    const p = await consistencyProof(s, FINAL, store);
    assert.equal(p.map(hex), (await mem.consistencyProof(s, FINAL)).map(hex), `consistency ${s}→${FINAL}`);
    assert.ok(verifyConsistency(s, FINAL, p, memRoots[s]!, memRoots[FINAL]!));
  }
  for (let k = 0; k < 200; k++) {
    const size = 1 + Math.floor(rnd() * FINAL);
    const i = Math.floor(rnd() * size);
    const s1 = 1 + Math.floor(rnd() * size);
    const ip = await inclusionProof(i, size, store);
    assert.equal(ip.map(hex), (await mem.inclusionProof(i, size)).map(hex), `inclusion ${i}/${size}`);
    const cp = await consistencyProof(s1, size, store);
    assert.equal(cp.map(hex), (await mem.consistencyProof(s1, size)).map(hex), `consistency ${s1}→${size}`);
    assert.is(hex(await treeHash(size, store)), hex(memRoots[size]!));
  }
});

test('newTiles across batches: the union of per-batch tiles, latest width kept, = newTiles(0, n)', () => {
  const rnd = prng(99);
  for (let run = 0; run < 50; run++) {
    const latest = new Map<string, Tile>();
    let size = 0;
    const target = 1 + Math.floor(rnd() * 200_000);
    while (size < target) {
      const next = Math.min(target, size + 1 + Math.floor(rnd() ** 4 * 70_000));
      const ts = newTiles(size, next);
      for (const t of ts) {
        const prev = latest.get(key(t.l, t.n));
        // A tile only grows, and a full tile is never rewritten.
        if (prev) assert.ok(prev.w < TILE_WIDTH && prev.w < t.w, `${tilePath(prev)} → ${tilePath(t)}`);
        latest.set(key(t.l, t.n), t);
      }
      // No duplicates within a batch; widths follow floor(s / 256^l) mod 256 for the partials.
      assert.is(new Set(ts.map((t) => key(t.l, t.n))).size, ts.length);
      for (const t of ts.filter((x) => x.w < TILE_WIDTH)) {
        assert.is(t.w, Math.floor(next / 256 ** t.l) % 256);
        assert.is(t.n, Math.floor(next / 256 ** (t.l + 1)));
      }
      size = next;
    }
    assert.equal([...latest.values()].sort(order), newTiles(0, size).sort(order), `size ${size}`);
  }
  assert.equal(newTiles(5, 5), []);
  assert.throws(() => newTiles(6, 5));
});

test('newTiles matches the tiles a tile store actually writes, batch by batch, for odd sizes', async () => {
  // Cross-check with real writes around level-1 and level-2 tile boundaries.
  for (const steps of [[255, 1, 1, 300], [256 * 256 - 1, 1, 2, 297]]) {
    const store = new MapTileStore();
    const t = new Tree(store);
    let n = 0;
    for (const step of steps) {
      const old = n;
      for (let k = 0; k < step; k++, n++) await t.append(leaves[n % FINAL]!); // content is irrelevant here
      assert.equal(store.takeDirty().sort(order), newTiles(old, n).sort(order), `${old}→${n}`);
    }
  }
});

test('a tampered tile makes the proofs it serves fail verification', async () => {
  // Our TileHashReader does not authenticate tiles itself (Go's TileHashReader checks them
  // against a signed tree head); a verifier holding the root must therefore reject any
  // proof built from a tampered tile. Zero level-0 hashes in turn, as Go's zeroIndex.
  const size = 300;
  const store = new MapTileStore();
  const t = new Tree(store);
  for (let i = 0; i < size; i++) await t.append(leaves[i]!);
  const root = memRoots[size]!;
  let tampered = 0;
  for (let j = 0; j < size; j += 7) {
    const k = key(0, Math.floor(j / 256));
    const good = store.tiles.get(k)!;
    const bad = good.slice();
    bad.fill(0, (j % 256) * HASH_SIZE, (j % 256 + 1) * HASH_SIZE);
    store.tiles.set(k, bad);
    for (const i of [0, j, size - 1, (j * 13) % size, (j * 29 + 5) % size]) {
      // The proof of leaf i changes iff it uses a hash computed from the zeroed one. Every
      // other leaf of the same 256-leaf tile does; leaves beyond it may instead read the
      // tile's root from the level-1 tile, which was not touched.
      const p = await t.inclusionProof(i);
      const changed = p.map(hex).join() !== (await mem.inclusionProof(i, size)).map(hex).join();
      if (i !== j && Math.floor(i / 256) === Math.floor(j / 256)) assert.ok(changed, `leaf ${i}, zeroed ${j}: proof unchanged`);
      if (i === j) assert.not.ok(changed, `leaf ${i}: its own hash is not in its proof`);
      assert.is(verifyInclusion(leaves[i]!, i, size, p, root), !changed, `leaf ${i} with tile hash ${j} zeroed`);
      if (changed) tampered++;
    }
    store.tiles.set(k, good);
  }
  assert.ok(tampered > 100, `only ${tampered} proofs changed`);
});

test('a missing tile is an error, not a wrong hash', async () => {
  const store = new MapTileStore();
  const t = new Tree(store);
  for (let i = 0; i < 20; i++) await t.append(leaves[i]!);
  let threw = false;
  try {
    await store.readHashes([storedHashIndex(0, 25)]);
  } catch {
    threw = true;
  }
  assert.ok(threw);
  store.tiles.delete(key(0, 0));
  threw = false;
  try {
    await t.inclusionProof(3);
  } catch {
    threw = true;
  }
  assert.ok(threw);
});

test.run();
