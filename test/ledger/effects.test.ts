// Effects committed compactly (docs/wire-format-2.md §8): {root, count} over the canonical
// JSON of each effect equals a plain RFC 9162 Merkle Tree Hash written independently
// (test/tlog/merkle-ref.ts, node:crypto); every effect proves into its entry; a changed
// effect, index, hash, count or root fails, each with its code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { EFFECT_PROBLEM_CODES } from '@cotc/tlog';
import { commitEffects, proveEffects, verifyEffect, type Effect } from '@cotc/ledger';
import { hex, plainMTH, refLeafHash } from '../tlog/merkle-ref.ts';

const effectArb: fc.Arbitrary<Effect> = fc.record({
  donation: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/),
  via: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/),
  value: fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }).map(String),
});
// The canonical JSON of an effect by hand: keys in code-point order, no whitespace.
const canon = (e: Effect) => new TextEncoder().encode(`{"donation":${JSON.stringify(e.donation)},"value":${JSON.stringify(e.value)},"via":${JSON.stringify(e.via)}}`);

test('the commitment is the RFC 9162 root over the effects\' canonical JSON; every effect proves into it', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(effectArb, { maxLength: 40 }), async (effects) => {
      const c = commitEffects(effects);
      assert.is(c.count, effects.length);
      assert.is(c.root, hex(plainMTH(effects.map((e) => refLeafHash(canon(e))))));
      const proofs = await proveEffects(effects);
      proofs.forEach((p, i) => {
        assert.is(p.index, i);
        assert.ok(verifyEffect(effects[i], p, c).ok);
      });
    }),
    { numRuns: 80 },
  );
});

test('a changed effect, index, sibling, count or root fails, with its code', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(effectArb, { minLength: 1, maxLength: 30 }), fc.nat(), async (effects, pick) => {
      const i = pick % effects.length;
      const c = commitEffects(effects);
      const [p] = await proveEffects(effects, [i]);
      const codeOf = (e: unknown, q: unknown, cc = c) => {
        const r = verifyEffect(e, q, cc);
        return r.ok ? 'ok' : r.code;
      };
      const e = effects[i]!;
      assert.is(codeOf({ ...e, value: String(BigInt(e.value) + 1n) }, p), 'effect_root_mismatch');
      assert.is(codeOf({ ...e, via: e.via + 'x' }, p), 'effect_root_mismatch');
      // e claimed at another index j where a different effect sits: false, so it must fail.
      const j = (i + 1) % effects.length;
      if (canon(effects[j]!).join() !== canon(e).join()) assert.is(codeOf(e, { ...p, index: j }), 'effect_root_mismatch');
      assert.is(codeOf(e, { ...p, index: effects.length }), 'effect_index_out_of_range');
      p!.hashes.forEach((h, j) => {
        const hs = [...p!.hashes];
        hs[j] = (h[0] === '0' ? '1' : '0') + h.slice(1);
        assert.is(codeOf(e, { ...p, hashes: hs }), 'effect_root_mismatch');
      });
      assert.is(codeOf(e, { ...p, hashes: [...p!.hashes, '00'.repeat(32)] }), 'effect_root_mismatch');
      // (The count is not the proof's to prove: it comes with the root from the signed entry.
      // As in RFC 9162, a proof for (i, n) also fits a size n' whose path has the same shape.)
      assert.is(codeOf(e, p, { ...c, root: (c.root[0] === 'a' ? 'b' : 'a') + c.root.slice(1) }), 'effect_root_mismatch');
      for (const bad of [null, [], { index: -1, hashes: [] }, { index: 0, hashes: ['AB'.repeat(32)] }, { index: 0, hashes: [], x: 1 }, { index: 0.5, hashes: [] }]) {
        assert.is(codeOf(e, bad), 'effect_proof_malformed');
      }
      assert.is(codeOf({ ...e, value: 1.5 }, p), 'effect_proof_malformed');
      assert.ok(EFFECT_PROBLEM_CODES.includes(codeOf(e, { ...p, index: effects.length }) as never));
    }),
    { numRuns: 80 },
  );
});

test('no effects: SHA-256("") and 0; nothing proves into it', () => {
  const c = commitEffects([]);
  assert.equal(c, { root: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', count: 0 });
  const r = verifyEffect({ donation: 'd', via: 'd', value: '1' }, { index: 0, hashes: [] }, c);
  assert.is(r.ok ? 'ok' : r.code, 'effect_index_out_of_range');
});

test.run();
