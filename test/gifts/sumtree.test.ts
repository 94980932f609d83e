// The Merkle sum tree of a gift batch (docs/gifts.md): the hand-computed vectors of
// test/vectors/gift-sumtree.json, then properties: every gift's proof verifies and proves
// the total; any changed amount, hash, index, count or sum fails with its problem code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { canonicalize } from '../../packages/ledger/src/canonical.ts';
import {
  checkGiftReceipt, giftCanonical, giftDonorCommitment, giftRecordProblem, GiftBatchError, sumProof, sumTreeOfGifts,
  verifyGiftProof, buildSumTree, type GiftRecord, type SumProof, type Sha256,
} from '../../packages/ledger/src/gifts/index.ts';
import { hex } from '../../packages/tlog/src/bytes.ts';

const V = JSON.parse(readFileSync(new URL('../vectors/gift-sumtree.json', import.meta.url), 'utf8'));
const nodeSha: Sha256 = (d) => createHash('sha256').update(d).digest();

test('vectors: donor commitments, canonical bytes, leaves, root, total', () => {
  for (const r of V.receipts) {
    assert.is(giftDonorCommitment(V.batch, r.index, r.secret), r.donor);
    assert.ok(checkGiftReceipt(V.batch, r.index, r.secret, V.gifts[r.index]));
    assert.not.ok(checkGiftReceipt(V.batch, r.index + 1, r.secret, V.gifts[r.index]), 'the index is bound');
    assert.not.ok(checkGiftReceipt('batch-2', r.index, r.secret, V.gifts[r.index]), 'the batch is bound');
  }
  V.gifts.forEach((g: GiftRecord, i: number) => {
    assert.is(giftCanonical(g), V.canonical[i]);
    assert.is(canonicalize(g), V.canonical[i], 'the fast path equals RFC 8785');
  });
  for (const h of [undefined, nodeSha]) {
    const t = sumTreeOfGifts(V.gifts, h);
    assert.equal(t.levels[0]!.hashes.map((x) => hex(x)), V.leaves);
    assert.is(hex(t.levels[1]!.hashes[0]!), V.node01.hash);
    assert.is(t.levels[1]!.sums[0]!.toString(), V.node01.sum);
    assert.is(hex(t.root), V.root);
    assert.is(t.total.toString(), V.total);
    assert.is(t.count, V.count);
    for (let i = 0; i < 3; i++) assert.equal(sumProof(t, i), V.proofs[i]);
  }
  const one = sumTreeOfGifts([V.gifts[V.single.gift]]);
  assert.is(hex(one.root), V.single.root);
  assert.equal(sumProof(one, 0), { index: 0, count: 1, path: [] });
});

test('vectors: each proof verifies step by step against the root and the total', () => {
  for (let i = 0; i < 3; i++) {
    const v = verifyGiftProof({ record: V.gifts[i], proof: V.proofs[i], root: V.root, total: V.total, count: V.count });
    assert.ok(v.ok, v.ok ? '' : v.problem.message);
    if (!v.ok) continue;
    assert.is(v.steps[0]!.hash, V.leaves[i]);
    assert.is(v.steps[v.steps.length - 1]!.hash, V.root);
    assert.is(v.steps[v.steps.length - 1]!.sum, V.total);
  }
  // gift 2 is carried up at level 1 (the odd last node), then is the right child at the root
  const v2 = verifyGiftProof({ record: V.gifts[2], proof: V.proofs[2], root: V.root, total: V.total, count: 3 });
  assert.equal(v2.steps.map((s) => s.side), ['leaf', 'carried', 'right']);
  const s = verifyGiftProof({ record: V.gifts[0], proof: { index: 0, count: 1, path: [] }, root: V.single.root, total: V.single.total, count: 1 });
  assert.ok(s.ok);
});

const code = (v: ReturnType<typeof verifyGiftProof>) => (v.ok ? 'ok' : v.problem.code);

test('vectors: tampering is caught with a stable code', () => {
  const base = { record: V.gifts[0], proof: V.proofs[0] as SumProof, root: V.root, total: V.total, count: 3 };
  const p = structuredClone(base.proof);
  assert.is(code(verifyGiftProof({ ...base, record: { ...V.gifts[0], amount: '6' } })), 'root_mismatch');
  assert.is(code(verifyGiftProof({ ...base, record: { ...V.gifts[0], amount: '0' } })), 'bad_record');
  assert.is(code(verifyGiftProof({ ...base, record: { ...V.gifts[0], amount: '-5' } })), 'bad_record');
  assert.is(code(verifyGiftProof({ ...base, record: { ...V.gifts[0], name: 'Ann' } })), 'bad_record');
  assert.is(code(verifyGiftProof({ ...base, total: '21' })), 'total_mismatch');
  assert.is(code(verifyGiftProof({ ...base, count: 4 })), 'bad_index');
  assert.is(code(verifyGiftProof({ ...base, proof: { ...p, index: 1 } })), 'root_mismatch');
  assert.is(code(verifyGiftProof({ ...base, proof: { ...p, index: 3 } })), 'bad_index');
  assert.is(code(verifyGiftProof({ ...base, proof: { ...p, path: p.path.slice(0, 1) } })), 'bad_path_length');
  assert.is(code(verifyGiftProof({ ...base, proof: { ...p, path: [...p.path, p.path[0]!] } })), 'bad_path_length');
  assert.is(code(verifyGiftProof({ ...base, proof: { ...p, path: [{ ...p.path[0]!, sum: '0' }, p.path[1]!] } })), 'bad_sum');
  assert.is(code(verifyGiftProof({ ...base, proof: { ...p, path: [{ ...p.path[0]!, sum: '-1' }, p.path[1]!] } })), 'bad_path');
  assert.is(code(verifyGiftProof({ ...base, proof: { ...p, path: [{ ...p.path[0]!, sum: '9223372036854775807' }, p.path[1]!] } })), 'sum_overflow');
  assert.is(code(verifyGiftProof({ ...base, proof: { ...p, path: [{ ...p.path[0]!, sum: '13' }, p.path[1]!] } })), 'root_mismatch');
  // Maxwell's pitfall: shifting value between the two siblings keeps their total (17) but not the root
  const shifted = { ...p, path: [{ ...p.path[0]!, sum: '11' }, p.path[1]!] };
  assert.is(code(verifyGiftProof({ ...base, record: { ...V.gifts[0], amount: '6' }, proof: shifted })), 'root_mismatch');
  assert.is(code(verifyGiftProof({ ...base, proof: { ...p, path: [{ ...p.path[0]!, hash: 'AB'.repeat(32) }, p.path[1]!] } })), 'bad_path');
  // the node under the root holds two gifts: its sum cannot be 1
  const p2 = structuredClone(V.proofs[2]);
  p2.path[0].sum = '1';
  assert.is(code(verifyGiftProof({ ...base, record: V.gifts[2], proof: p2 })), 'bad_sum');
  assert.is(code(verifyGiftProof({ ...base, proof: null as never })), 'bad_index');
});

test('building rejects zero, negative, too large amounts and a total above 2^63-1', () => {
  const g = V.gifts[0] as GiftRecord;
  for (const amount of ['0', '-1', '1.5', '9223372036854775808', '01']) {
    assert.throws(() => sumTreeOfGifts([g, { ...g, amount }]), (e: unknown) => e instanceof GiftBatchError && e.code === 'bad_gift' && e.index === 1);
  }
  const big = { ...g, amount: '9223372036854775807' };
  assert.throws(() => sumTreeOfGifts([big, g]), (e: unknown) => e instanceof GiftBatchError && e.code === 'bad_amount');
  assert.throws(() => sumTreeOfGifts([]), (e: unknown) => e instanceof GiftBatchError && e.code === 'empty');
  assert.throws(() => buildSumTree([new Uint8Array(32)], [0n]), (e: unknown) => e instanceof GiftBatchError && e.code === 'bad_amount');
  assert.is(giftRecordProblem({ ...g, measure: '' }), '/measure must be 1 to 256 code points of well-formed text');
  assert.is(giftRecordProblem({ ...g, channel: 'Goods' }), '/channel must match ^[a-z0-9][a-z0-9-]{0,63}$');
  assert.ok(giftRecordProblem({ ...g, measure: '\ud800' }));
});

const giftArb = fc.record({
  amount: fc.bigInt({ min: 1n, max: 10n ** 12n }).map(String),
  channel: fc.constantFrom('goods-for-good', 'steps-for-charity'),
  donor: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hex(b)),
  measure: fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }),
});

test('property: every gift proof verifies and proves the total', () => {
  fc.assert(
    fc.property(fc.array(giftArb, { minLength: 1, maxLength: 40 }), (gifts) => {
      const t = sumTreeOfGifts(gifts);
      const total = gifts.reduce((s, g) => s + BigInt(g.amount), 0n);
      if (t.total !== total) return false;
      for (let i = 0; i < gifts.length; i++) {
        const v = verifyGiftProof({ record: gifts[i], proof: sumProof(t, i), root: hex(t.root), total: total.toString(), count: gifts.length });
        if (!v.ok) return false;
      }
      return true;
    }),
    { numRuns: 150 },
  );
});

test('property: any changed amount, hash, index or sum fails', () => {
  fc.assert(
    fc.property(
      fc.array(giftArb, { minLength: 2, maxLength: 40 }),
      fc.nat(), fc.nat(), fc.integer({ min: 0, max: 4 }), fc.bigInt({ min: 1n, max: 1000n }),
      (gifts, a, b, what, delta) => {
        const t = sumTreeOfGifts(gifts);
        const i = a % gifts.length;
        const proof = sumProof(t, i);
        const claim = { record: { ...gifts[i]! }, proof: structuredClone(proof), root: hex(t.root), total: t.total.toString(), count: t.count };
        if (what === 0) claim.record.amount = (BigInt(claim.record.amount) + delta).toString();
        else if (what === 1 || what === 2) {
          if (claim.proof.path.length === 0) return true;
          const s = claim.proof.path[b % claim.proof.path.length]!;
          if (what === 1) s.hash = (s.hash[0] === '0' ? '1' : '0') + s.hash.slice(1);
          else s.sum = (BigInt(s.sum) + delta).toString();
        } else if (what === 3) {
          const j = (i + 1 + (b % (gifts.length - 1))) % gifts.length;
          if (gifts[j]!.amount === gifts[i]!.amount && giftCanonical(gifts[j]!) === giftCanonical(gifts[i]!)) return true;
          claim.proof.index = j;
        } else claim.total = (t.total + delta).toString();
        return !verifyGiftProof(claim).ok;
      },
    ),
    { numRuns: 400 },
  );
});

test.run();
