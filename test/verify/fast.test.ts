// The verifier's hot-path shortcuts give the reference answers (issue 9, speed): the
// table-driven base64 decoder accepts and rejects exactly what tlog's fromBase64 does, and
// InclusionBatch (memoised node hashes over many proofs of one tree) answers exactly as
// verifyInclusion, for honest proofs and for every single mutation of them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { InclusionBatch, MemoryTree, base64, fromBase64, fromHex, hex, leafHash, verifyInclusion } from '@cotc/tlog';
import { decodeBase64 } from '../../packages/verify/src/fast.ts';

function same(s: string): void {
  let want: string;
  try {
    want = hex(fromBase64(s));
  } catch {
    want = 'throws';
  }
  let got: string;
  try {
    got = hex(decodeBase64(s));
  } catch {
    got = 'throws';
  }
  assert.is(got, want, JSON.stringify(s));
}

test('decodeBase64 = fromBase64: fixed cases', () => {
  for (const s of ['', 'AA==', 'AB==', 'AAA=', 'AAB=', 'AAAA', 'A===', '====', 'AA=A', '=AAA', 'AA', 'AAA', 'AA==AA==', 'AA-_', 'AA\nA', ' AAA', 'AAé=', 'Zm9vYmFy', 'Zm9vYg==', 'Zm9vYmE=', '+/+/', 'AAAA====']) same(s);
});

test('decodeBase64 = fromBase64: random bytes round-trip, random strings and single-character edits', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.constantFrom('A', '=', '/', '+', '-', '_', ' ', 'z', '\u00e9', '0'), (b, at, c) => {
      const s = base64(b);
      assert.equal(decodeBase64(s), b);
      same(s);
      if (s.length) same(s.slice(0, at % s.length) + c + s.slice((at % s.length) + 1));
      same(s + c);
    }),
    { numRuns: 1000 },
  );
  fc.assert(fc.property(fc.string({ maxLength: 16 }), (s) => same(s)), { numRuns: 1000 });
});

test('InclusionBatch = verifyInclusion for every leaf of many tree sizes, and every single mutation', async () => {
  for (const size of [1, 2, 3, 5, 8, 13, 64, 100, 257]) {
    const t = new MemoryTree();
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < size; i++) {
      leaves.push(leafHash(new Uint8Array([i, i >> 8, size])));
      await t.append(leaves[i]!);
    }
    const root = await t.root(size);
    const batch = new InclusionBatch(size, root);
    for (let i = 0; i < size; i++) {
      const proof = await t.inclusionProof(i, size);
      const hx = proof.map(hex);
      assert.ok(verifyInclusion(leaves[i]!, i, size, proof, root));
      assert.ok(batch.verify(leaves[i]!, i, hx), `size ${size} leaf ${i}`);
      // Mutations, interleaved with honest proofs so that the memo is warm with the truth.
      const muts: Array<[Uint8Array, number, string[]]> = [
        [leaves[(i + 1) % size]!, i, hx],
        [leaves[i]!, (i + 1) % (size + 1), hx],
        [leaves[i]!, i, hx.slice(0, -1)],
        [leaves[i]!, i, [...hx, hex(root)]],
        [leaves[i]!, i, [...hx].reverse()],
      ];
      for (let k = 0; k < hx.length; k++) {
        const h = [...hx];
        h[k] = (h[k]![0] === 'a' ? 'b' : 'a') + h[k]!.slice(1);
        muts.push([leaves[i]!, i, h]);
      }
      for (const [leaf, index, h] of muts) {
        const want = verifyInclusion(leaf, index, size, h.map((x) => fromHex(x)), root);
        assert.is(batch.verify(leaf, index, h), want, `size ${size} leaf ${i} mutated`);
        assert.ok(batch.verify(leaves[i]!, i, hx));
      }
    }
    assert.not.ok(batch.verify(leaves[0]!, 0, ['AB'.repeat(32)]));
    assert.not.ok(new InclusionBatch(size, leaves[0]!).verify(leaves[0]!, 0, (await t.inclusionProof(0, size)).map(hex)) && size > 1);
  }
});

test.run();
