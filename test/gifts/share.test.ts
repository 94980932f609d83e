// The allocation of hops to gifts (docs/gifts.md "Shares", "Units"): the hand-computed
// vector, then properties: the shares of a hop add up exactly to the hop, every gift ends
// with exactly its amount, shares never go negative (units are monotone), a donor's own
// proof gives the same share as the server's whole-tree computation, and units replayed
// from effects follow FIFO.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import {
  allGiftUnits, allShares, batchUnits, flowKey, giftUnits, leftUnits, shareOf, sumProof, sumTreeOfGifts, verifyGiftProof,
  type GiftRecord, type UnitRange,
} from '../../packages/ledger/src/gifts/index.ts';
import { hex } from '../../packages/tlog/src/bytes.ts';

const V = JSON.parse(readFileSync(new URL('../vectors/gift-sumtree.json', import.meta.url), 'utf8'));
const D = '00'.repeat(32);
const gifts = (amounts: readonly bigint[]): GiftRecord[] =>
  amounts.map((a) => ({ amount: a.toString(), channel: 'steps-for-charity', donor: D, measure: 'steps' }));

test('vector: units of the first 7 and all 20 units of the 5/12/3 batch', () => {
  const t = sumTreeOfGifts(V.gifts);
  for (const u of V.units) assert.equal(allGiftUnits(t, BigInt(u.x)).map(String), u.units);
  assert.is(leftUnits(7n, 17n, 3n), 6n); // round-half-up(7·17/20 = 5.95)
  assert.is(leftUnits(6n, 5n, 12n), 2n); // round-half-up(6·5/17 = 1.76)
  assert.is(leftUnits(1n, 1n, 1n), 1n); // a tie goes left (round half up)
  assert.equal(allShares(t, [[7n, 20n]]).map(String), ['3', '8', '2']);
});

test('three 1-unit gifts and three 1-unit hops: each gift gives exactly its 1', () => {
  const t = sumTreeOfGifts(gifts([1n, 1n, 1n]));
  const per = [0n, 1n, 2n].map((s) => allShares(t, [[s, s + 1n]]));
  for (let i = 0; i < 3; i++) assert.is(per.reduce((s, p) => s + p[i]!, 0n), 1n);
});

const amountsArb = fc.array(fc.bigInt({ min: 1n, max: 10n ** 9n }), { minLength: 1, maxLength: 60 });

test('property: Σ units(x) = x, units(T) = amounts, monotone, proportional within the depth', () => {
  fc.assert(
    fc.property(amountsArb, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }), (amounts, fr) => {
      const t = sumTreeOfGifts(gifts(amounts));
      const T = t.total;
      const full = allGiftUnits(t, T);
      if (full.some((u, i) => u !== amounts[i])) return false;
      const depth = t.levels.length - 1;
      for (const f of fr) {
        const x = BigInt(Math.floor(f * Number(T))) > T ? T : BigInt(Math.floor(f * Number(T)));
        const u = allGiftUnits(t, x);
        if (u.reduce((s, v) => s + v, 0n) !== x) return false;
        if (x < T) {
          const u1 = allGiftUnits(t, x + 1n);
          if (u1.some((v, i) => v < u[i]!)) return false;
        }
        for (let i = 0; i < amounts.length; i++) {
          // |u_i − x·a_i/T| < depth/2 + 1, compared in integers: |2T·u_i − 2x·a_i| < (depth + 2)·T
          const d = 2n * T * u[i]! - 2n * x * amounts[i]!;
          if ((d < 0n ? -d : d) >= BigInt(depth + 2) * T) return false;
        }
      }
      return true;
    }),
    { numRuns: 200 },
  );
});

test('property: hops partitioning the batch: each hop adds up exactly, each gift to its amount; a donor proof agrees', () => {
  fc.assert(
    fc.property(amountsArb, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }), fc.nat(), (amounts, cuts, pick) => {
      const recs = gifts(amounts);
      const t = sumTreeOfGifts(recs);
      const T = t.total;
      const pts = [0n, ...cuts.map((c) => BigInt(Math.floor(c * Number(T)))).map((x) => (x > T ? T : x)), T].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const sumPer = new Array<bigint>(amounts.length).fill(0n);
      const i = pick % amounts.length;
      const v = verifyGiftProof({ record: recs[i], proof: sumProof(t, i), root: hex(t.root), total: T.toString(), count: t.count });
      if (!v.ok) return false;
      for (let k = 0; k + 1 < pts.length; k++) {
        const r: UnitRange = [pts[k]!, pts[k + 1]!];
        const s = allShares(t, [r]);
        if (s.reduce((a, b) => a + b, 0n) !== r[1] - r[0]) return false;
        if (s.some((x) => x < 0n)) return false;
        if (shareOf([r], (x) => giftUnits(x, v.splits, T)) !== s[i]) return false;
        s.forEach((x, j) => (sumPer[j]! += x));
      }
      return sumPer.every((x, j) => x === amounts[j]);
    }),
    { numRuns: 200 },
  );
});

// Entries as the ledger writes them: effects in queue order, each lot with its via.
const E = (seq: number, id: string, effects: Array<[string, number]>) => ({
  seq, event: { id }, effects: effects.map(([via, v]) => ({ donation: 'b', via, value: String(v) })),
});

test('units follow FIFO: a transfer, a split, a disbursement, its reversal and a re-spend', () => {
  const u = batchUnits('b', 100n, [
    E(5, 't1', [['b', 100]]), // the whole batch lot moves to fund G
    E(6, 'y1', [['t1', 30]]), // disbursement of 30: the front [0,30)
    E(7, 'y2', [['t1', 50]]), // then [30,80)
    E(8, 'ry1', [['y1', 30]]), // y1 reversed: its units come back via ry1
    E(9, 'y3', [['ry1', 30], ['t1', 5]]), // a re-spend takes the returned lot first, then [80,85)
    E(3, 'x', []), // an entry before, naming nothing
  ]);
  if (typeof u === 'string') throw new Error(u);
  assert.equal(u.flows.get(flowKey('t1', 'y1')), [[0n, 30n]]);
  assert.equal(u.flows.get(flowKey('t1', 'y2')), [[30n, 80n]]);
  assert.equal(u.flows.get(flowKey('ry1', 'y3')), [[0n, 30n]]);
  assert.equal(u.flows.get(flowKey('t1', 'y3')), [[80n, 85n]]);
  assert.equal(u.held.get('t1'), [[85n, 100n]]);
  assert.equal(u.held.get('b'), []);
  assert.equal(u.held.get('ry1'), []);
  const bad = batchUnits('b', 100n, [E(5, 't1', [['b', 60]]), E(6, 'y1', [['t1', 61]])]);
  assert.type(bad, 'string');
  assert.type(batchUnits('b', 100n, [E(5, 't1', [['q', 1]])]), 'string');
});

test.run();
