// C2SP tlog-tiles paths and entry bundles (packages/tlog/src/tilepath.ts, entrybundle.ts,
// tilefetch.ts): Tessera's api/layout path tables and Go sumdb/tlog's TestTilePath, as
// data under test/vectors; encode/parse round trips; widths of a tree's tiles; proofs
// computed from tiles equal the tree's own.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  MemoryTree,
  TilePathError,
  EntryTooLargeError,
  consistencyFromTiles,
  consistencyProof,
  decodeEntryBundle,
  encodeEntryBundle,
  entriesPath,
  hashTilePath,
  inclusionFromTiles,
  inclusionProof,
  leafHash,
  newTiles,
  parseTilePath,
  readTileData,
  rootFromTiles,
  sizesWithWidth,
  tileIndexPath,
  tileRefPath,
  tileWidthAt,
  type MemoryHashStore,
} from '@cotc/tlog';
import { equalBytes, hex, leafData } from './merkle-ref.ts';

const load = (name: string) => JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8'));
const tessera = load('tessera-layout-paths.json');
const goTiles = load('go-tlog-tiles.json');
const c2sp = load('c2sp-tlog-tiles.json');
const width = (p: number) => (p === 0 ? 256 : p);

test('tessera: EntriesPathForLogIndex, EntriesPath, TilePath, NWithSuffix', () => {
  for (const c of tessera.entriesPathForLogIndex) {
    const n = Math.floor(c.seq / 256);
    assert.is(entriesPath(n, tileWidthAt(0, n, c.logSize)), c.path, `seq ${c.seq} size ${c.logSize}`);
  }
  for (const c of tessera.entriesPath) assert.is(entriesPath(c.N, width(c.p)), c.path);
  for (const c of tessera.tilePath) assert.is(hashTilePath(c.level, c.index, width(c.p)), c.path);
  for (const c of tessera.nWithSuffix) assert.is(tileIndexPath(c.index, width(c.p)), c.path);
});

test('tessera: ParseTileLevelIndexPartial', () => {
  let ok = 0;
  let bad = 0;
  for (const c of tessera.parse) {
    const path = `tile/${c.pathLevel}/${c.pathIndex}`;
    if (c.error || c.range) {
      let e: unknown;
      try {
        parseTilePath(path);
      } catch (x) {
        e = x;
      }
      assert.ok(e instanceof TilePathError, `${path} must be refused`);
      if (c.range) assert.is((e as TilePathError).reason, 'range', path);
      bad++;
      continue;
    }
    assert.equal(parseTilePath(path), { l: c.level, n: c.index, w: width(c.p) }, path);
    assert.equal(parseTilePath('/' + path), { l: c.level, n: c.index, w: width(c.p) }, path);
    ok++;
  }
  assert.is(ok, 3);
  assert.is(bad, 16);
});

test('go tlog TestTilePath: C2SP form (height segment dropped) parses back; rejected rows stay rejected', () => {
  let parsed = 0;
  for (const { path, tile } of goTiles.tilePaths) {
    const c2spPath = path.replace(/^tile\/\d+\//, 'tile/');
    if (tile.H === 0) {
      assert.throws(() => parseTilePath(c2spPath), (e: unknown) => e instanceof TilePathError, c2spPath);
      continue;
    }
    const full = tile.W === 2 ** tile.H;
    const w = full ? 256 : tile.W;
    if (tile.L < 0) {
      // Go's data tiles (tile/H/data/N) are C2SP's entry bundles (tile/entries/N).
      const p = c2spPath.replace('/data/', '/entries/');
      assert.equal(parseTilePath(p), { l: 'entries', n: tile.N, w });
      assert.is(entriesPath(tile.N, w), p);
    } else {
      assert.equal(parseTilePath(c2spPath), { l: tile.L, n: tile.N, w }, c2spPath);
    }
    parsed++;
  }
  assert.is(parsed, 6);
});

test('c2sp: 1234067 → x001/x234/067; widths of the tiles of a tree of 70000 and of 256', () => {
  for (const { N, encoded } of c2sp.indexEncoding) {
    assert.is(tileIndexPath(N), encoded);
    assert.equal(parseTilePath(`tile/0/${encoded}`), { l: 0, n: N, w: 256 });
  }
  for (const ex of c2sp.treeTiles) {
    for (const { L, full, partialWidth } of ex.levels) {
      for (let n = 0; n < full; n++) assert.is(tileWidthAt(L, n, ex.size), 256);
      assert.is(tileWidthAt(L, full, ex.size), partialWidth, `${ex.size}: level ${L}`);
      assert.is(tileWidthAt(L, full + 1, ex.size), 0);
    }
  }
});

test('round trip and canonical form: every path parses back to itself; non-canonical forms are refused', () => {
  for (const n of [0, 1, 999, 1000, 65535, 1234067, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER]) {
    for (const w of [1, 17, 255, 256]) {
      for (const l of [0, 1, 5, 63, 'entries'] as const) {
        const p = tileRefPath({ l, n, w });
        assert.equal(parseTilePath(p), { l, n, w }, p);
      }
    }
  }
  for (const bad of ['tile/0/x000/001', 'tile/00/001', 'tile/0/001.p/0', 'tile/0/001.p/08', 'tile/0/001.p/-1', 'tile/0/1', 'tile/0/0001', 'tile/0/001/', 'tile//001', 'tile/0', 'tiles/0/001', 'tile/0/x001', 'tile/entries/x1/001', 'tile/0/001.p/8/9', 'tile/0/X001/000']) {
    assert.throws(() => parseTilePath(bad), (e: unknown) => e instanceof TilePathError, bad);
  }
  assert.is(parseTilePath('tile/0/x009/x007/x199/x254/x740/991').n, Number.MAX_SAFE_INTEGER);
  assert.throws(() => parseTilePath('tile/0/x009/x007/x199/x254/x740/992'), (e: unknown) => e instanceof TilePathError && e.reason === 'range');
  assert.throws(() => hashTilePath(64, 0), /l: 64/);
  assert.throws(() => entriesPath(0, 0), /w: 0/);
  assert.throws(() => tileIndexPath(-1), /n: expected/);
});

test('sizesWithWidth is exactly the sizes where tileWidthAt says that width', () => {
  for (const l of [0, 1]) {
    for (const n of [0, 1]) {
      for (const w of [1, 2, 255, 256]) {
        const { lo, hi } = sizesWithWidth(l, n, w);
        assert.is(tileWidthAt(l, n, lo), w);
        assert.is(tileWidthAt(l, n, lo - 1) === w, false);
        if (w < 256) {
          assert.is(tileWidthAt(l, n, hi - 1), w);
          assert.is(tileWidthAt(l, n, hi) === w, false);
        }
      }
    }
  }
});

test('entry bundles: big-endian uint16 lengths; 65,535 bytes fit, 65,536 do not; truncation is refused', () => {
  const es = [new Uint8Array(0), new Uint8Array([1, 2, 3]), new Uint8Array(300).fill(7), new Uint8Array(65535).fill(9)];
  const b = encodeEntryBundle(es);
  assert.equal([...b.subarray(0, 2)], [0, 0]);
  assert.equal([...b.subarray(2, 4)], [0, 3]);
  assert.equal([...b.subarray(7, 9)], [1, 44]); // 300 = 0x012c
  assert.is(b.length, es.reduce((a, e) => a + 2 + e.length, 0));
  const back = decodeEntryBundle(b);
  assert.is(back.length, es.length);
  back.forEach((e, i) => assert.ok(equalBytes(e, es[i]!)));
  let err: unknown;
  try {
    encodeEntryBundle([new Uint8Array(1), new Uint8Array(65536)], 512);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof EntryTooLargeError);
  assert.is((err as EntryTooLargeError).index, 513);
  assert.match((err as Error).message, /entry 513 is 65536 bytes/);
  assert.throws(() => decodeEntryBundle(b.subarray(0, b.length - 1)), /runs past the end/);
  assert.throws(() => decodeEntryBundle(new Uint8Array([0])), /truncated length/);
  assert.throws(() => decodeEntryBundle(encodeEntryBundle([new Uint8Array(1), new Uint8Array(1)]), 1), /more than 1/);
});

test('proofs from tiles served by path (latest partial widths only, full-tile fallback) = the tree’s proofs', async () => {
  const FINAL = 70_000;
  const tree = new MemoryTree();
  const store = tree.store as MemoryHashStore;
  const files = new Map<string, Uint8Array>();
  const sizes = [1, 2, 255, 256, 257, 1000, 65535, 65536, 65537, FINAL];
  let at = 0;
  for (const s of sizes) {
    for (; at < s; at++) await tree.append(leafHash(leafData(at)));
    // Publish what a log publishes at a checkpoint of size s: the tiles newTiles names.
    for (const t of newTiles(0, s)) files.set(hashTilePath(t.l, t.n, t.w), await readTileData(t, store));
  }
  let fetched = 0;
  const get = async (p: string) => {
    fetched++;
    return files.get(p);
  };
  for (const s of sizes) {
    assert.is(hex(await rootFromTiles(get, s)), hex(await tree.root(s)), `root ${s}`);
    for (const i of [0, s - 1, Math.floor(s / 2)]) {
      const want = (await inclusionProof(i, s, store)).map(hex);
      assert.equal((await inclusionFromTiles(get, i, s)).map(hex), want, `inclusion ${i} in ${s}`);
    }
    for (const f of [1, Math.floor(s / 3), s - 1].filter((f) => f >= 1 && f < s)) {
      assert.equal((await consistencyFromTiles(get, f, s)).map(hex), (await consistencyProof(f, s, store)).map(hex), `consistency ${f}→${s}`);
    }
  }
  assert.ok(fetched > 0);
  // A partial tile deleted after its full tile exists: read through the full one.
  files.delete(hashTilePath(0, 0, 255));
  assert.is(hex(await rootFromTiles(get, 255)), hex(await tree.root(255)));
  // A tile of the wrong length is refused, not hashed.
  files.set(hashTilePath(0, 0, 1), new Uint8Array(31));
  await rootFromTiles(get, 1).then(
    () => assert.unreachable('a short tile must be refused'),
    (e: Error) => assert.match(e.message, /tile\/0\/000\.p\/1: 31 bytes/),
  );
});

test.run();
