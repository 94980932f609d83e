// The verifier's hot-path shortcuts give the reference answers (issue 9, speed): the
// table-driven base64 decoder accepts and rejects exactly what tlog's fromBase64 does, and
// InclusionBatch (memoised node hashes over many proofs of one tree) answers exactly as
// verifyInclusion, for honest proofs and for every single mutation of them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { InclusionBatch, MemoryTree, base64, fromBase64, fromHex, hex, leafHash, verifyInclusion } from '@cotc/tlog';
import { decodeBase64, signingBytesFromEntry, splitSigFast } from '../../packages/verify/src/fast.ts';
import { canonicalBytes, signingBytes, splitSig, type Entry } from '@cotc/ledger';
import { largeBundle } from './large.ts';
import { append, newLog, org, sev } from './synthetic.ts';
import { cny, donor } from '../helpers/events.ts';

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

test('splitSigFast = ledger splitSig', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 60, maxLength: 76 }), fc.nat(), fc.constantFrom('A', '=', '-', ' ', '/'), (b, at, c) => {
      const s = base64(b);
      const t = s.slice(0, at % s.length) + c + s.slice((at % s.length) + 1);
      for (const x of [s, t]) assert.equal(splitSigFast(x) && { k: hex(splitSigFast(x)!.keyId), s: hex(splitSigFast(x)!.signature) }, splitSig(x) && { k: hex(splitSig(x)!.keyId), s: hex(splitSig(x)!.signature) });
    }),
    { numRuns: 500 },
  );
  assert.is(splitSigFast(42), null);
});

test('signingBytesFromEntry = signingBytes(event), for honest entries and hostile text in bodies', async () => {
  const big = await largeBundle(60);
  let n = 0;
  for (const e of big.bundle.entries) {
    const bytes = fromBase64(e.data);
    const entry = JSON.parse(new TextDecoder().decode(bytes)) as Entry;
    const cut = signingBytesFromEntry(bytes, entry);
    assert.ok(cut, `entry ${e.index}`);
    assert.equal(cut, signingBytes(entry.event));
    n++;
  }
  assert.is(n, 60);
  const log = await newLog();
  const c = org('charity');
  await append(log, sev(log.operator, 'org.register', { org: 'charity', name: 'C "quoted" \\ back\u202e 😀', roles: ['charity'], keys: [c.verifierKey] }, 'reg'));
  await append(log, sev(c, 'fund.open', { fund: 'f', name: '"sig":"x","time":"y' + '\u0000\n', currency: 'CNY', restricted: false, purpose: ',"sig":"AAAA","time":"2021-01-01T00:00:00Z","type":"x","v":1}' }, 'open'));
  await append(log, sev(c, 'donation', { fund: 'f', amount: cny(5), donor: donor('d'), channel: 'ch' }, 'd'));
  await append(log, sev(c, 'disbursement', { fund: 'f', amount: cny(5), payee: '},"prev":"' + '0'.repeat(64) + '","seq":1,"time":"x"}', purpose: 'é', receipts: [] }, 'x'));
  for (let i = 0; i < log.data.length; i++) {
    const cut = signingBytesFromEntry(log.data[i]!, log.entries[i]!);
    assert.ok(cut, `synthetic entry ${i}`);
    assert.equal(cut, signingBytes(log.entries[i]!.event));
  }
  // Bytes that are not the entry's canonical JSON: null or the signing bytes, never other bytes.
  const e = log.entries[3]!;
  const bytes = canonicalBytes(e);
  assert.is(signingBytesFromEntry(bytes.subarray(1), e), null);
  assert.is(signingBytesFromEntry(canonicalBytes({ ...e, seq: 9 }), e), null);
  assert.is(signingBytesFromEntry(bytes, { ...e, event: { ...e.event, v: 2 } } as never), null);
});

test.run();
