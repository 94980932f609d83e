// Published vectors (test/vectors/*.json, each naming its source) reproduced by MemoryTree
// and checked by verifyInclusion / verifyConsistency; plus Go tlog's stored-hash-index and
// tile-path cases and the C2SP tlog-tiles examples.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  MemoryHashStore,
  MemoryTree,
  emptyRoot,
  leafHash,
  maxpow2,
  newTiles,
  nodeHash,
  rootHash,
  splitStoredHashIndex,
  storedHashCount,
  storedHashIndex,
  tilePath,
  verifyConsistency,
  verifyInclusion,
  type Tile,
} from '@cotc/tlog';
import { flipByteBit, hex, unb64, unhex } from './merkle-ref.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function load(name: string): any {
  const v = JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8'));
  if (typeof v.source !== 'string' || v.source.length === 0) throw new Error(`${name}: no source`);
  return v;
}

const refTree = load('rfc6962-reference-tree.json');
const verifyVec = load('transparency-dev-verify.json');
const refProofs = load('transparency-dev-reference-proofs.json');
const hasherVec = load('rfc6962-hasher.json');
const argon = load('go-tlog-argon2020.json');
const goTiles = load('go-tlog-tiles.json');
const c2sp = load('c2sp-tlog-tiles.json');
const goConsistency = load('transparency-dev-consistency-additional.json');

const hexes = (xs: string[]) => xs.map(unhex);
const eqHex = (a: Uint8Array[], b: string[], msg: string) => assert.equal(a.map(hex), b, msg);

async function treeOf(inputs: string[]): Promise<MemoryTree> {
  const t = new MemoryTree();
  for (const x of inputs) await t.append(leafHash(unhex(x)));
  return t;
}

// ---- transparency-dev/merkle rfc6962/rfc6962_test.go ----

test('rfc6962 hasher: empty root and leaf hashes', () => {
  assert.is(hex(emptyRoot()), hasherVec.emptyRoot);
  assert.is(hex(rootHash([])), hasherVec.emptyRoot);
  for (const v of hasherVec.leaves) assert.is(hex(leafHash(new TextEncoder().encode(v.input))), v.want, v.desc);
});

test('rfc6962 hasher: node vector (4-byte children) is outside nodeHash’s 32-byte contract', () => {
  // nodeHash deliberately accepts only 32-byte hashes; the Go vector hashes two 4-byte
  // strings. Check that it refuses them rather than silently hashing.
  for (const v of hasherVec.nodes) {
    const l = new TextEncoder().encode(v.left);
    const r = new TextEncoder().encode(v.right);
    assert.throws(() => nodeHash(l, r), (e: unknown) => e instanceof TypeError);
  }
});

// ---- transparency-dev/merkle testonly/constants.go ----

test('reference tree: MemoryTree roots for sizes 0..8 (appending one at a time)', async () => {
  const t = new MemoryTree();
  assert.is(hex(await t.root()), refTree.rootHashes[0]);
  for (let i = 0; i < refTree.leafInputs.length; i++) {
    await t.append(leafHash(unhex(refTree.leafInputs[i])));
    assert.is(t.size, i + 1);
    // The current root and every earlier root, as Go's validateTree checks.
    for (let s = 0; s <= i + 1; s++) assert.is(hex(await t.root(s)), refTree.rootHashes[s], `root(${s}) at size ${i + 1}`);
  }
});

test('reference tree: rootHash over leaf hashes for sizes 0..8', () => {
  const lh = refTree.leafInputs.map((x: string) => leafHash(unhex(x)));
  for (let s = 0; s <= 8; s++) assert.is(hex(rootHash(lh.slice(0, s))), refTree.rootHashes[s], `size ${s}`);
});

test('reference tree: every published node hash sits at storedHashIndex(level, n)', async () => {
  const t = await treeOf(refTree.leafInputs);
  const store = t.store as MemoryHashStore;
  assert.is(store.hashes.length, storedHashCount(8));
  refTree.nodeHashes.forEach((level: string[], l: number) => {
    level.forEach((h, n) => {
      assert.is(hex(store.hashes[storedHashIndex(l, n)]!), h, `level ${l} n ${n}`);
      assert.equal(splitStoredHashIndex(storedHashIndex(l, n)), { level: l, n });
    });
  });
  // 8 leaves store exactly the 8 + 4 + 2 + 1 published hashes.
  assert.is(store.hashes.length, refTree.nodeHashes.flat().length);
});

// ---- transparency-dev/merkle testonly/reference_test.go ----

test('reference proofs: TestRefInclusionProof table reproduced by MemoryTree', async () => {
  const t = await treeOf(refTree.leafInputs);
  for (const v of refProofs.inclusion) {
    eqHex(await t.inclusionProof(v.index, v.size), v.want, `${v.index}:${v.size}`);
    const leaf = leafHash(unhex(refTree.leafInputs[v.index]));
    assert.ok(verifyInclusion(leaf, v.index, v.size, hexes(v.want), unhex(refTree.rootHashes[v.size])));
  }
});

test('reference proofs: TestRefConsistencyProof table reproduced by MemoryTree', async () => {
  const t = await treeOf(refTree.leafInputs);
  for (const v of refProofs.consistency) {
    eqHex(await t.consistencyProof(v.size1, v.size2), v.want, `${v.size1}:${v.size2}`);
    assert.ok(
      verifyConsistency(v.size1, v.size2, hexes(v.want), unhex(refTree.rootHashes[v.size1]), unhex(refTree.rootHashes[v.size2])),
    );
  }
});

test('reference proofs: downToPowerOfTwo table = maxpow2', () => {
  for (const [n, k] of refProofs.downToPowerOfTwo) assert.is(maxpow2(n)[0], k, `maxpow2(${n})`);
});

// ---- transparency-dev/merkle proof/verify_test.go ----

const someHash = unhex(verifyVec.sha256SomeHash);
const emptyTreeHash = unhex(verifyVec.sha256EmptyTreeHash);
const enc = (s: string) => new TextEncoder().encode(s);

/** corruptInclusionProof of verify_test.go, translated (uint64 wrap-around becomes an
 * out-of-range number, which is just as invalid). */
function corruptInclusion(index: number, size: number, proof: Uint8Array[], root: Uint8Array, leaf: Uint8Array) {
  const probes: [string, number, number, Uint8Array, Uint8Array, Uint8Array[]][] = [
    ['leafIndex - 1', index - 1, size, root, leaf, proof],
    ['leafIndex + 1', index + 1, size, root, leaf, proof],
    ['leafIndex ^ 2', index ^ 2, size, root, leaf, proof],
    ['treeSize * 2', index, size * 2, root, leaf, proof],
    ['treeSize / 2', index, Math.floor(size / 2), root, leaf, proof],
    ['wrong leaf', index, size, root, enc('WrongLeaf'), proof],
    ['empty root', index, size, emptyTreeHash, leaf, proof],
    ['random root', index, size, someHash, leaf, proof],
    ['trailing garbage', index, size, root, leaf, [...proof, new Uint8Array(0)]],
    ['trailing root', index, size, root, leaf, [...proof, root]],
    ['preceding garbage', index, size, root, leaf, [new Uint8Array(0), ...proof]],
    ['preceding root', index, size, root, leaf, [root, ...proof]],
  ];
  proof.forEach((_, i) => {
    const p = proof.slice();
    p[i] = p[i]!.slice();
    p[i]![0]! ^= 8;
    probes.push([`modified proof[${i}] bit 3`, index, size, root, leaf, p]);
  });
  if (proof.length > 0) probes.push(['removed component', index, size, root, leaf, proof.slice(0, -1)]);
  if (proof.length > 1) probes.push(['inserted component', index, size, root, leaf, [proof[0]!, someHash, ...proof.slice(1)]]);
  return probes;
}

function corruptConsistency(size1: number, size2: number, root1: Uint8Array, root2: Uint8Array, proof: Uint8Array[]) {
  const probes: [string, number, number, Uint8Array, Uint8Array, Uint8Array[]][] = [
    ['size1 - 1', size1 - 1, size2, root1, root2, proof],
    ['size1 + 1', size1 + 1, size2, root1, root2, proof],
    ['size1 ^ 2', size1 ^ 2, size2, root1, root2, proof],
    ['size2 * 2', size1, size2 * 2, root1, root2, proof],
    ['size2 / 2', size1, Math.floor(size2 / 2), root1, root2, proof],
    ['wrong root1', size1, size2, enc('WrongRoot'), root2, proof],
    ['wrong root2', size1, size2, root1, enc('WrongRoot'), proof],
    ['swapped roots', size1, size2, root2, root1, proof],
    ['empty proof', size1, size2, root1, root2, []],
    ['trailing garbage', size1, size2, root1, root2, [...proof, new Uint8Array(0)]],
    ['trailing root1', size1, size2, root1, root2, [...proof, root1]],
    ['trailing root2', size1, size2, root1, root2, [...proof, root2]],
    ['preceding garbage', size1, size2, root1, root2, [new Uint8Array(0), ...proof]],
    ['preceding root1', size1, size2, root1, root2, [root1, ...proof]],
    ['preceding root2', size1, size2, root1, root2, [root2, ...proof]],
    ['preceding proof[0]', size1, size2, root1, root2, [proof[0]!, ...proof]],
  ];
  if (proof.length > 0) probes.push(['truncated proof', size1, size2, root1, root2, proof.slice(0, -1)]);
  proof.forEach((_, i) => {
    const p = proof.slice();
    p[i] = p[i]!.slice();
    p[i]![0]! ^= 16;
    probes.push([`modified proof[${i}] bit 4`, size1, size2, root1, root2, p]);
  });
  return probes;
}

test('verify_test.go: inclusionProofs table reproduced by MemoryTree and verified', async () => {
  const t = await treeOf(verifyVec.leaves);
  let checked = 0;
  for (const v of verifyVec.inclusionProofs) {
    if (v.invalid) {
      // {0, 0, nil}: leaf 0 (index -1) of an empty tree cannot verify against anything.
      for (const root of [emptyTreeHash, someHash]) {
        assert.not.ok(verifyInclusion(someHash, v.leaf - 1, v.size, hexes(v.proof), root));
        assert.not.ok(verifyInclusion(someHash, 0, v.size, hexes(v.proof), root));
      }
      continue;
    }
    const index = v.leaf - 1;
    const leaf = leafHash(unhex(verifyVec.leaves[index]));
    const root = unhex(verifyVec.roots[v.size - 1]);
    eqHex(await t.inclusionProof(index, v.size), v.proof, `proof ${v.leaf}:${v.size}`);
    assert.is(hex(await t.root(v.size)), verifyVec.roots[v.size - 1]);
    assert.ok(verifyInclusion(leaf, index, v.size, hexes(v.proof), root), `verify ${v.leaf}:${v.size}`);
    for (const [desc, i, s, r, l, p] of corruptInclusion(index, v.size, hexes(v.proof), root, leaf)) {
      assert.not.ok(verifyInclusion(l, i, s, p, r), `${v.leaf}:${v.size} incorrectly verified against: ${desc}`);
    }
    checked++;
  }
  assert.is(checked, verifyVec.inclusionProofs.length - 1);
});

test('verify_test.go: consistencyProofs table reproduced by MemoryTree and verified', async () => {
  const t = await treeOf(verifyVec.leaves);
  for (const v of verifyVec.consistencyProofs) {
    const r1 = unhex(verifyVec.roots[v.size1 - 1]);
    const r2 = unhex(verifyVec.roots[v.size2 - 1]);
    eqHex(await t.consistencyProof(v.size1, v.size2), v.proof, `proof ${v.size1}:${v.size2}`);
    assert.ok(verifyConsistency(v.size1, v.size2, hexes(v.proof), r1, r2), `verify ${v.size1}:${v.size2}`);
    if (v.proof.length === 0) continue; // as in verifierConsistencyCheck
    for (const [desc, s1, s2, a, b, p] of corruptConsistency(v.size1, v.size2, r1, r2, hexes(v.proof))) {
      assert.not.ok(verifyConsistency(s1, s2, p, a, b), `${v.size1}:${v.size2} incorrectly verified against: ${desc}`);
    }
  }
});

test('verify_test.go: TestVerifyInclusionSingleEntry', () => {
  const h = leafHash(enc('data'));
  const empty = new Uint8Array(0);
  assert.ok(verifyInclusion(h, 0, 1, [], h));
  assert.not.ok(verifyInclusion(empty, 0, 1, [], h));
  assert.not.ok(verifyInclusion(h, 0, 1, [], empty));
  assert.not.ok(verifyInclusion(empty, 0, 1, [], empty));
});

test('verify_test.go: TestVerifyInclusion probes with an empty proof never verify', () => {
  for (const [index, size] of [[0, 0], [0, 1], [1, 0], [2, 1]] as const) {
    assert.not.ok(verifyInclusion(someHash, index, size, [], new Uint8Array(0)));
    assert.not.ok(verifyInclusion(new Uint8Array(0), index, size, [], emptyTreeHash));
    assert.not.ok(verifyInclusion(someHash, index, size, [], emptyTreeHash));
  }
});

// ---- golang/mod sumdb/tlog ct_test.go + testdata/argon2020 (a real CT log) ----

test('argon2020: real CT inclusion proof (leaf 10000 of 961984013) verifies; every bit flip fails', () => {
  const size = argon.sth.tree_size;
  const root = unb64(argon.sth.sha256_root_hash);
  const leaf = leafHash(unb64(argon.entry.leaf_input));
  const index = argon.inclusion.leaf_index;
  const proof = argon.inclusion.audit_path.map(unb64);
  assert.is(proof.length, 30);
  assert.ok(verifyInclusion(leaf, index, size, proof, root));
  for (let i = 0; i < proof.length; i++) {
    for (let bit = 0; bit < 256; bit++) {
      const p = proof.slice();
      p[i] = flipByteBit(p[i]!, bit);
      if (verifyInclusion(leaf, index, size, p, root)) assert.unreachable(`proof[${i}] bit ${bit}`);
    }
  }
  for (let bit = 0; bit < 256; bit++) {
    if (verifyInclusion(flipByteBit(leaf, bit), index, size, proof, root)) assert.unreachable(`leaf bit ${bit}`);
    if (verifyInclusion(leaf, index, size, proof, flipByteBit(root, bit))) assert.unreachable(`root bit ${bit}`);
  }
  for (const i of [index - 1, index + 1]) assert.not.ok(verifyInclusion(leaf, i, size, proof, root));
  assert.not.ok(verifyInclusion(leaf, index, size, proof.slice(1), root));
  assert.not.ok(verifyInclusion(leaf, index, size, [...proof, root], root));
});

test('argon2020: real CT consistency proof (3654490 → 961984013) verifies; every bit flip fails', () => {
  const size2 = argon.sth.tree_size;
  const root2 = unb64(argon.sth.sha256_root_hash);
  const size1 = argon.consistency.first;
  const root1 = unb64(argon.consistency.first_root);
  const proof = argon.consistency.proof.map(unb64);
  assert.ok(verifyConsistency(size1, size2, proof, root1, root2));
  for (let i = 0; i < proof.length; i++) {
    for (let bit = 0; bit < 256; bit++) {
      const p = proof.slice();
      p[i] = flipByteBit(p[i]!, bit);
      if (verifyConsistency(size1, size2, p, root1, root2)) assert.unreachable(`proof[${i}] bit ${bit}`);
    }
  }
  for (let bit = 0; bit < 256; bit++) {
    if (verifyConsistency(size1, size2, proof, flipByteBit(root1, bit), root2)) assert.unreachable(`root1 bit ${bit}`);
    if (verifyConsistency(size1, size2, proof, root1, flipByteBit(root2, bit))) assert.unreachable(`root2 bit ${bit}`);
  }
  assert.not.ok(verifyConsistency(size1 + 1, size2, proof, root1, root2));
  assert.not.ok(verifyConsistency(size1 - 1, size2, proof, root1, root2));
  assert.not.ok(verifyConsistency(size1, size2, proof, root2, root1));
  assert.not.ok(verifyConsistency(size1, size2, proof.slice(0, -1), root1, root2));
});

// ---- golang/mod sumdb/tlog tlog_test.go / tile_test.go ----

test('go tlog: TestSplitStoredHashIndex round trip (level < 10, n < 100)', () => {
  const { levels, n: N } = goTiles.splitStoredHashIndexRoundTrip;
  for (let l = 0; l < levels; l++) {
    for (let n = 0; n < N; n++) assert.equal(splitStoredHashIndex(storedHashIndex(l, n)), { level: l, n }, `(${l}, ${n})`);
  }
});

test('go tlog: TestTree’s StoredHashCount(i+1) = number of stored hashes, for 100 leaves', async () => {
  const t = new MemoryTree();
  const store = t.store as MemoryHashStore;
  for (let i = 0; i < 100; i++) {
    await t.append(leafHash(enc(`leaf ${i}`)));
    assert.is(storedHashCount(i + 1), store.hashes.length, `size ${i + 1}`);
    assert.is(t.storedHashCount, store.hashes.length);
    // Every stored index splits to a (level, n) whose subtree is complete in this tree.
    for (let x = 0; x < store.hashes.length; x++) {
      const { level, n } = splitStoredHashIndex(x);
      assert.ok((n + 1) * 2 ** level <= i + 1, `stored ${x} = (${level}, ${n}) beyond size ${i + 1}`);
      assert.is(storedHashIndex(level, n), x);
    }
  }
});

test('go tlog: TestTilePath table (Go’s height segment dropped: C2SP fixes height 8)', () => {
  let checked = 0;
  for (const { path, tile } of goTiles.tilePaths) {
    if (tile.H === 0) continue; // paths Go must reject: we only format, never parse
    if (tile.L < 0) {
      // tile/H/data/...: Go's data tiles; C2SP names entry bundles tile/entries/..., which
      // tilePath does not produce. A negative level must be refused.
      assert.throws(() => tilePath({ l: tile.L, n: tile.N, w: 1 }));
      continue;
    }
    const full = tile.W === 2 ** tile.H;
    const ours: Tile = { l: tile.L, n: tile.N, w: full ? 256 : tile.W };
    const want = path.replace(/^tile\/\d+\//, 'tile/');
    assert.is(tilePath(ours), want, path);
    checked++;
  }
  assert.is(checked, 5);
});

// ---- C2SP tlog-tiles.md ----

test('c2sp tlog-tiles: index 1234067 encodes as x001/x234/067', () => {
  for (const { N, encoded } of c2sp.indexEncoding) {
    assert.is(tilePath({ l: 0, n: N, w: 256 }), `tile/0/${encoded}`);
    assert.is(tilePath({ l: 0, n: N, w: 67 }), `tile/0/${encoded}.p/67`);
  }
});

test('c2sp tlog-tiles: the tiles of a tree of size 70000 and of size 256', () => {
  for (const ex of c2sp.treeTiles) {
    const tiles = newTiles(0, ex.size);
    for (const { L, full, partialWidth } of ex.levels) {
      const at = tiles.filter((t) => t.l === L);
      assert.is(at.filter((t) => t.w === 256).length, full, `${ex.size}: full level ${L}`);
      const partial = at.filter((t) => t.w < 256);
      assert.equal(partial.map((t) => t.w), partialWidth > 0 ? [partialWidth] : [], `${ex.size}: partial level ${L}`);
      // floor(s / 256**l) mod 256
      assert.is(Math.floor(ex.size / 256 ** L) % 256, partialWidth);
    }
    assert.ok(tiles.every((t) => ex.levels.some((x: { L: number }) => x.L === t.l)), `${ex.size}: no other levels`);
  }
});

// Issue 9: size1 = size2 with an empty proof and equal roots is a valid consistency proof
// ("sizes-are-equal-one-and-proof-is-empty", whose roots are 12 bytes: the Go verifier
// compares them as given); every other golden case keeps its answer.
test('transparency-dev/merkle golden consistency cases (additional/, 0/happy-path): each as Go answers', () => {
  assert.ok(goConsistency.cases.length >= 15);
  const seen = new Set<string>();
  for (const c of goConsistency.cases) {
    const got = verifyConsistency(c.size1, c.size2, (c.proof ?? []).map(unb64), unb64(c.root1), unb64(c.root2));
    assert.is(got, !c.wantErr, `${c.file}: ${c.desc}`);
    seen.add(c.desc);
  }
  assert.ok(seen.has('sizes are equal (one) and proof is empty'));
});

test('equal sizes: an empty proof with equal roots is consistent; a different root or any proof is not', async () => {
  const t = new MemoryTree();
  for (let i = 0; i < 5; i++) await t.append(leafHash(new Uint8Array([i])));
  const r = await t.root(5);
  const other = await t.root(4);
  assert.ok(verifyConsistency(5, 5, [], r, r));
  assert.not.ok(verifyConsistency(5, 5, [], r, other));
  assert.not.ok(verifyConsistency(5, 5, [r], r, r));
  assert.not.ok(verifyConsistency(0, 0, [], r, r));
});

test.run();
