// Properties of MemoryTree proofs and of verifyInclusion / verifyConsistency, checked
// exhaustively on small trees and with fast-check on larger ones, against the plain
// RFC 9162 reference in merkle-ref.ts (node:crypto, no code shared with @cotc/tlog).
//
// Mutation oracle. "Every change fails" is not quite the RFC 9162 contract: the verifier
// hashes according to the proof's shape (which siblings are left/right), so an inclusion
// proof for (index, size) also verifies for (index, size') when both have the same shape,
// against the same root (e.g. index 0 of size 3 and of size 4); likewise consistency
// proofs for sizes with the same SUBPROOF shape. Sizes come with the root in a signed
// checkpoint, so this is harmless, but it means the exact expectation for a changed size
// is "verifies iff the shape is unchanged". The tests assert exactly that (both ways),
// and plain "fails" for every change of a hash, the leaf, a root or the index.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { MemoryTree, leafHash, rootHash, verifyConsistency, verifyInclusion } from '@cotc/tlog';
import {
  RefTree,
  consistencyShape,
  equalBytes,
  flipBit,
  flipByteBit,
  hex,
  inclusionShape,
  leafData,
  plainMTH,
  refLeafHash,
} from './merkle-ref.ts';

const N = 300; // exhaustive sizes (inclusion: all of them; consistency: all pairs up to CONS_ALL, sampled beyond)
const CONS_ALL = 100;
const MUT_INCL = 100; // every leaf of every size up to this: mutations of inclusion proofs
const MUT_CONS = 64; // every pair up to this: mutations of consistency proofs
const ALL_BITS = 8; // up to this size, flip every one of the 256 bits of every hash
const BIG = 5000; // fast-check trees

const leaves = Array.from({ length: BIG }, (_, i) => refLeafHash(leafData(i)));
const ref = new RefTree(leaves);

const tree = new MemoryTree();
for (let i = 0; i < BIG; i++) await tree.append(leafHash(leafData(i)));
const roots: Uint8Array[] = [];
for (let s = 0; s <= N; s++) roots.push(await tree.root(s));

/** Bits of a 32-byte hash to flip in a mutation sweep: all 256 for small trees, else
 * `count` bits drawn from a cursor stepping by an odd stride mod 256, so that consecutive
 * draws land in different bytes and every bit position comes round once per 256 draws (a
 * sweep over all 256 bits of every hash of every proof up to size 100 would take minutes
 * of hashing; the tests assert that the sweep did cover every bit position). */
let bitCursor = 0;
function bitsToFlip(size: number, count = 2): number[] {
  if (size <= ALL_BITS) return Array.from({ length: 256 }, (_, i) => i);
  const out: number[] = [];
  for (let k = 0; k < count; k++) out.push((bitCursor = (bitCursor + 73) % 256));
  return out;
}

/** ±1 and single-bit flips of a safe integer, deduplicated, ≥ 0: every bit 0..52 when
 * `all`, else the bits up to two above its length plus bits 31, 32 and 52 (all higher
 * flips behave alike: a far larger number, hence a longer path). */
function numberMutations(x: number, all = true): number[] {
  const s = new Set<number>([x - 1, x + 1]);
  const top = all ? 52 : Math.min(52, Math.ceil(Math.log2(x + 1)) + 2);
  for (let b = 0; b <= top; b++) s.add(flipBit(x, b));
  for (const b of [31, 32, 52]) s.add(flipBit(x, b));
  s.delete(x);
  return [...s].filter((v) => v >= 0 && Number.isSafeInteger(v));
}

const sameHashes = (a: Uint8Array[], b: Uint8Array[]) => a.length === b.length && a.every((h, k) => equalBytes(h, b[k]!));

test('leaf hashes agree with the reference', () => {
  for (let i = 0; i < 1000; i++) assert.is(hex(leafHash(leafData(i))), hex(leaves[i]!));
});

test(`roots for sizes 0..${N} equal a plain recursive MTH (and rootHash)`, () => {
  assert.is(hex(roots[0]!), hex(plainMTH([])));
  for (let s = 1; s <= N; s++) {
    const want = hex(plainMTH(leaves.slice(0, s)));
    assert.is(hex(roots[s]!), want, `size ${s}`);
    assert.is(hex(rootHash(leaves.slice(0, s))), want, `rootHash size ${s}`);
  }
});

test(`inclusion: every index of every size 1..${N}: proof = RFC PATH and verifies`, async () => {
  let n = 0;
  for (let size = 1; size <= N; size++) {
    const root = roots[size]!;
    for (let i = 0; i < size; i++) {
      const p = await tree.inclusionProof(i, size);
      const want = ref.inclusion(i, size);
      if (!sameHashes(p, want)) assert.unreachable(`proof ${i}/${size} differs from PATH`);
      if (!verifyInclusion(leaves[i]!, i, size, p, root)) assert.unreachable(`proof ${i}/${size} does not verify`);
      n++;
    }
  }
  assert.is(n, (N * (N + 1)) / 2);
});

test(`consistency: every pair 1 ≤ size1 ≤ size2 ≤ ${CONS_ALL}, and every 5th beyond up to ${N}: proof = RFC PROOF and verifies`, async () => {
  let n = 0;
  for (let s2 = 1; s2 <= N; s2++) {
    for (let s1 = 1; s1 <= s2; s1++) {
      if (s2 > CONS_ALL && (s1 + s2) % 5 !== 0 && s1 !== s2 && s1 !== 1) continue;
      const p = await tree.consistencyProof(s1, s2);
      const want = ref.consistency(s1, s2);
      if (!sameHashes(p, want)) assert.unreachable(`proof ${s1}→${s2} differs from PROOF`);
      if (!verifyConsistency(s1, s2, p, roots[s1]!, roots[s2]!)) assert.unreachable(`proof ${s1}→${s2} does not verify`);
      n++;
    }
  }
  assert.ok(n > (CONS_ALL * (CONS_ALL + 1)) / 2 + 8000, `${n} pairs`);
});

test(`inclusion mutations: every leaf of every size 1..${MUT_INCL}`, async () => {
  let checks = 0;
  let shapeTwins = 0;
  const covered = new Set<number>(); // proof-hash bits flipped in the sampled (larger) trees
  const no = (ok: boolean, what: () => string) => {
    checks++;
    if (ok) assert.unreachable(`verified with ${what()}`);
  };
  for (let size = 1; size <= MUT_INCL; size++) {
    const root = roots[size]!;
    for (let i = 0; i < size; i++) {
      const leaf = leaves[i]!;
      const proof = await tree.inclusionProof(i, size);
      const at = `${i}/${size}`;
      proof.forEach((h, k) => {
        for (const bit of bitsToFlip(size, 1)) {
          const p = proof.slice();
          p[k] = flipByteBit(h, bit);
          no(verifyInclusion(leaf, i, size, p, root), () => `${at}: proof[${k}] bit ${bit}`);
          if (size > ALL_BITS) covered.add(bit);
        }
      });
      for (const bit of bitsToFlip(size, 2)) {
        no(verifyInclusion(leaf, i, size, proof, flipByteBit(root, bit)), () => `${at}: root bit ${bit}`);
        no(verifyInclusion(flipByteBit(leaf, bit), i, size, proof, root), () => `${at}: leaf bit ${bit}`);
      }
      // Index: for a fixed size, distinct leaves have distinct paths, so all must fail.
      for (const j of numberMutations(i, i % 16 === 0)) no(verifyInclusion(leaf, j, size, proof, root), () => `${at}: index ${j}`);
      // Size: verifies exactly when the path shape is unchanged (see the header).
      const shape = inclusionShape(i, size);
      for (const s of numberMutations(size, i === 0 || i === size - 1)) {
        const same = inclusionShape(i, s) === shape;
        checks++;
        if (verifyInclusion(leaf, i, s, proof, root) !== same) assert.unreachable(`${at}: size ${s} (same shape: ${same})`);
        if (same) shapeTwins++;
      }
      // Extra or missing hashes.
      no(verifyInclusion(leaf, i, size, [...proof, root], root), () => `${at}: extra trailing hash`);
      no(verifyInclusion(leaf, i, size, [root, ...proof], root), () => `${at}: extra leading hash`);
      if (proof.length > 0) {
        no(verifyInclusion(leaf, i, size, proof.slice(1), root), () => `${at}: first hash missing`);
        no(verifyInclusion(leaf, i, size, proof.slice(0, -1), root), () => `${at}: last hash missing`);
      }
      // Reordered hashes.
      if (proof.length > 1) no(verifyInclusion(leaf, i, size, [...proof].reverse(), root), () => `${at}: reversed`);
    }
  }
  assert.ok(shapeTwins > 0, 'expected some size changes with an unchanged shape (e.g. 0/3 vs 0/4)');
  assert.is(covered.size, 256, 'the sampled flips cover every bit position');
  assert.ok(checks > 100_000, `only ${checks} checks`);
});

test(`consistency mutations: every pair 1 ≤ size1 < size2 ≤ ${MUT_CONS}`, async () => {
  let checks = 0;
  let shapeTwins = 0;
  const covered = new Set<number>(); // proof-hash bits flipped in the sampled (larger) trees
  const no = (ok: boolean, what: () => string) => {
    checks++;
    if (ok) assert.unreachable(`verified with ${what()}`);
  };
  for (let s2 = 2; s2 <= MUT_CONS; s2++) {
    for (let s1 = 1; s1 < s2; s1++) {
      const r1 = roots[s1]!;
      const r2 = roots[s2]!;
      const proof = await tree.consistencyProof(s1, s2);
      const at = `${s1}→${s2}`;
      proof.forEach((h, k) => {
        for (const bit of bitsToFlip(s2, 1)) {
          const p = proof.slice();
          p[k] = flipByteBit(h, bit);
          no(verifyConsistency(s1, s2, p, r1, r2), () => `${at}: proof[${k}] bit ${bit}`);
          if (s2 > ALL_BITS) covered.add(bit);
        }
      });
      for (const bit of bitsToFlip(s2, 2)) {
        no(verifyConsistency(s1, s2, proof, flipByteBit(r1, bit), r2), () => `${at}: root1 bit ${bit}`);
        no(verifyConsistency(s1, s2, proof, r1, flipByteBit(r2, bit)), () => `${at}: root2 bit ${bit}`);
      }
      no(verifyConsistency(s1, s2, proof, r2, r1), () => `${at}: swapped roots`);
      // Sizes: verifies exactly when the SUBPROOF shape is unchanged (see the header).
      const shape = consistencyShape(s1, s2);
      for (const m of numberMutations(s1, s1 % 8 === 1)) {
        const same = consistencyShape(m, s2) === shape;
        checks++;
        if (verifyConsistency(m, s2, proof, r1, r2) !== same) assert.unreachable(`${at}: size1 ${m} (same shape: ${same})`);
        if (same) shapeTwins++;
      }
      for (const n of numberMutations(s2, s1 % 8 === 1)) {
        const same = consistencyShape(s1, n) === shape;
        checks++;
        if (verifyConsistency(s1, n, proof, r1, r2) !== same) assert.unreachable(`${at}: size2 ${n} (same shape: ${same})`);
        if (same) shapeTwins++;
      }
      // Extra, missing and reordered hashes.
      no(verifyConsistency(s1, s2, [], r1, r2), () => `${at}: empty proof`);
      no(verifyConsistency(s1, s2, [...proof, r1], r1, r2), () => `${at}: trailing root1`);
      no(verifyConsistency(s1, s2, [...proof, r2], r1, r2), () => `${at}: trailing root2`);
      no(verifyConsistency(s1, s2, [r1, ...proof], r1, r2), () => `${at}: leading root1`);
      no(verifyConsistency(s1, s2, [proof[0]!, ...proof], r1, r2), () => `${at}: proof[0] twice`);
      no(verifyConsistency(s1, s2, proof.slice(1), r1, r2), () => `${at}: first hash missing`);
      no(verifyConsistency(s1, s2, proof.slice(0, -1), r1, r2), () => `${at}: last hash missing`);
      if (proof.length > 1) no(verifyConsistency(s1, s2, [...proof].reverse(), r1, r2), () => `${at}: reversed`);
    }
  }
  assert.ok(shapeTwins > 0, 'expected some size changes with an unchanged shape (e.g. 2→3 vs 2→4)');
  assert.is(covered.size, 256, 'the sampled flips cover every bit position');
  assert.ok(checks > 50_000, `only ${checks} checks`);
});

test('malformed inputs: false, never a throw', () => {
  const leaf = leaves[5]!;
  const size = 13;
  const root = roots[size]!;
  const proof = ref.inclusion(5, size);
  assert.ok(verifyInclusion(leaf, 5, size, proof, root));
  const bad = (x: Uint8Array, n: number) => (n < x.length ? x.subarray(0, n) : Uint8Array.from([...x, ...new Uint8Array(n - x.length)]));
  for (const len of [0, 1, 31, 33, 64]) {
    assert.not.ok(verifyInclusion(bad(leaf, len), 5, size, proof, root), `leaf of ${len} bytes`);
    assert.not.ok(verifyInclusion(leaf, 5, size, proof, bad(root, len)), `root of ${len} bytes`);
    for (let k = 0; k < proof.length; k++) {
      const p = proof.slice();
      p[k] = bad(p[k]!, len);
      assert.not.ok(verifyInclusion(leaf, 5, size, p, root), `proof[${k}] of ${len} bytes`);
    }
  }
  // index ≥ size, size 0, and non-numbers.
  for (const [i, s] of [[13, 13], [14, 13], [0, 0], [5, 0], [-1, 13], [5.5, 13], [5, 13.5], [NaN, 13], [5, Infinity], [2 ** 53, 2 ** 53 + 2]]) {
    assert.not.ok(verifyInclusion(leaf, i!, s!, proof, root), `index ${i} size ${s}`);
  }
  // Consistency: size1 = 0, size1 > size2, equal sizes with a non-empty proof.
  const c = ref.consistency(5, 13);
  assert.ok(verifyConsistency(5, 13, c, roots[5]!, root));
  assert.not.ok(verifyConsistency(0, 13, c, roots[0]!, root));
  assert.not.ok(verifyConsistency(0, 0, [], roots[0]!, roots[0]!));
  assert.not.ok(verifyConsistency(13, 5, c, root, roots[5]!));
  assert.ok(verifyConsistency(13, 13, [], root, root));
  assert.not.ok(verifyConsistency(13, 13, [root], root, root));
  assert.not.ok(verifyConsistency(13, 13, [], root, roots[12]!));
  for (const len of [0, 31, 33]) {
    const p = c.slice();
    p[0] = bad(p[0]!, len);
    assert.not.ok(verifyConsistency(5, 13, p, roots[5]!, root), `proof[0] of ${len} bytes`);
    assert.not.ok(verifyConsistency(5, 13, c, bad(roots[5]!, len), root));
    assert.not.ok(verifyConsistency(5, 13, c, roots[5]!, bad(root, len)));
  }
  // A proof longer than any safe-integer tree needs.
  assert.not.ok(verifyInclusion(leaf, 5, size, Array.from({ length: 65 }, () => root), root));
  assert.not.ok(verifyConsistency(5, 13, Array.from({ length: 65 }, () => root), roots[5]!, root));
});

test('fast-check: arbitrary junk arguments never throw and never verify', () => {
  const junk = fc.oneof(
    fc.anything(),
    fc.uint8Array({ minLength: 0, maxLength: 40 }),
    fc.array(fc.uint8Array({ minLength: 30, maxLength: 34 }), { maxLength: 8 }),
    fc.integer(),
    fc.double(),
  );
  fc.assert(
    fc.property(junk, junk, junk, junk, junk, (a, b, c, d, e) => {
      const r1 = verifyInclusion(a as Uint8Array, b as number, c as number, d as Uint8Array[], e as Uint8Array);
      const r2 = verifyConsistency(a as number, b as number, c as Uint8Array[], d as Uint8Array, e as Uint8Array);
      return r1 === false && r2 === false;
    }),
    { numRuns: 2000 },
  );
});

const sizeAndIndex = fc.integer({ min: 1, max: BIG }).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 })));
const sizePair = fc.integer({ min: 1, max: BIG }).chain((s2) => fc.tuple(fc.integer({ min: 1, max: s2 }), fc.constant(s2)));

test(`fast-check: random index/size ≤ ${BIG}: proof = PATH, verifies, any bit flip or index change fails`, async () => {
  await fc.assert(
    fc.asyncProperty(sizeAndIndex, fc.nat(), fc.nat(255), async ([size, i], k, bit) => {
      const root = await tree.root(size);
      assert.is(hex(root), hex(ref.root(size)));
      const p = await tree.inclusionProof(i, size);
      assert.equal(p.map(hex), ref.inclusion(i, size).map(hex));
      assert.ok(verifyInclusion(leaves[i]!, i, size, p, root));
      if (p.length > 0) {
        const q = p.slice();
        q[k % p.length] = flipByteBit(q[k % p.length]!, bit);
        assert.not.ok(verifyInclusion(leaves[i]!, i, size, q, root));
      }
      assert.not.ok(verifyInclusion(flipByteBit(leaves[i]!, bit), i, size, p, root));
      assert.not.ok(verifyInclusion(leaves[i]!, i, size, p, flipByteBit(root, bit)));
      const j = flipBit(i, k % 53);
      assert.not.ok(verifyInclusion(leaves[i]!, j, size, p, root));
      const s = flipBit(size, (k >> 6) % 53);
      assert.is(verifyInclusion(leaves[i]!, i, s, p, root), inclusionShape(i, s) === inclusionShape(i, size));
    }),
    { numRuns: 600 },
  );
});

test(`fast-check: random size pairs ≤ ${BIG}: proof = PROOF, verifies, any bit flip fails`, async () => {
  await fc.assert(
    fc.asyncProperty(sizePair, fc.nat(), fc.nat(255), async ([s1, s2], k, bit) => {
      const r1 = await tree.root(s1);
      const r2 = await tree.root(s2);
      const p = await tree.consistencyProof(s1, s2);
      assert.equal(p.map(hex), ref.consistency(s1, s2).map(hex));
      assert.ok(verifyConsistency(s1, s2, p, r1, r2));
      if (p.length > 0) {
        const q = p.slice();
        q[k % p.length] = flipByteBit(q[k % p.length]!, bit);
        assert.not.ok(verifyConsistency(s1, s2, q, r1, r2));
        assert.not.ok(verifyConsistency(s1, s2, p, flipByteBit(r1, bit), r2));
        assert.not.ok(verifyConsistency(s1, s2, p, r1, flipByteBit(r2, bit)));
        const m = flipBit(s1, k % 53);
        assert.is(verifyConsistency(m, s2, p, r1, r2), consistencyShape(m, s2) === consistencyShape(s1, s2));
        const n = flipBit(s2, (k >> 6) % 53);
        assert.is(verifyConsistency(s1, n, p, r1, r2), consistencyShape(s1, n) === consistencyShape(s1, s2));
      }
    }),
    { numRuns: 600 },
  );
});

test('fast-check: a tree grown in random batches answers like one grown leaf by leaf', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 6 }), async (batches) => {
      const t = new MemoryTree();
      let n = 0;
      for (const b of batches) {
        for (let k = 0; k < b && n < BIG; k++, n++) assert.is(await t.append(leaves[n]!), n);
        assert.is(t.size, n);
        assert.is(hex(await t.root()), hex(await tree.root(n)));
        const i = n >> 1;
        assert.equal((await t.inclusionProof(i)).map(hex), (await tree.inclusionProof(i, n)).map(hex));
      }
    }),
    { numRuns: 20 },
  );
});

test.run();
