// The gift.batch event kind (issue 15): who may post it, its checks, and FIFO treating the
// batch as one lot — a disbursement spanning many batches, a refund of a whole batch (and
// not of one that moved on), the batch's trace, and every gift's share of every hop adding up.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTrace, checkConservation } from '../../packages/ledger/src/trace.ts';
import { allShares, batchUnits, flowKey, sumTreeOfGifts, type GiftRecord } from '../../packages/ledger/src/gifts/index.ts';
import { hex } from '../../packages/tlog/src/bytes.ts';
import { amt, disb, don, ev, fx, keyFor, rev, world, xfer } from '../ledger/state-harness.ts';

const gifts = (amounts: number[]): GiftRecord[] =>
  amounts.map((a, i) => ({ amount: String(a), channel: 'goods-for-good', donor: hex(new Uint8Array(32).fill(i)), measure: `item:${i}` }));

function batch(id: string, fund: string, amounts: number[], org = 'A') {
  const t = sumTreeOfGifts(gifts(amounts));
  return { tree: t, event: ev('gift.batch', id, org, { fund, amount: amt(t.total), count: t.count, root: hex(t.root) }) };
}

function withPlatform() {
  const h = world();
  h.ok(ev('org.register', 'reg-PLAT', 'operator', { org: 'PLAT', name: 'Platform', roles: ['platform'], keys: [keyFor('PLAT')] }, keyFor('operator')));
  return h;
}

test('posted by the fund owner or a platform org; checks amount, count, currency, fund', () => {
  const h = withPlatform();
  assert.is(h.code(batch('b1', 'fa', [5, 12, 3]).event), 'ok');
  assert.is(h.code(batch('b2', 'fa', [1, 1], 'PLAT').event), 'ok');
  assert.is(h.code(batch('b3', 'fa', [1, 1], 'B').event), 'forbidden');
  assert.is(h.code(batch('b4', 'nofund', [1]).event), 'unknown_fund');
  assert.is(h.code(batch('b5', 'fu', [1]).event), 'currency_mismatch');
  const t = sumTreeOfGifts(gifts([1, 1]));
  assert.is(h.code(ev('gift.batch', 'b6', 'A', { fund: 'fa', amount: amt(1), count: 2, root: hex(t.root) })), 'bad_amount');
  assert.is(h.code(ev('gift.batch', 'b7', 'A', { fund: 'fa', amount: amt('9223372036854775807'), count: 2, root: hex(t.root) })), 'bad_amount');
  assert.is(h.state.fund('fa')!.balance, '22');
});

test('FIFO: one lot per batch; a disbursement spanning batches; refund of a whole batch', () => {
  const h = withPlatform();
  const b1 = batch('b1', 'fa', [40, 35, 25]); // 100
  h.ok(b1.event);
  h.ok(don('d1', 'fa', 50));
  const b2 = batch('b2', 'fa', [10, 20], 'PLAT'); // 30
  h.ok(b2.event);
  const b3 = batch('b3', 'fa', [7, 8]); // 15
  h.ok(b3.event);
  assert.equal(h.ok(xfer('t1', 'fa', 'fb', 120)), [fx('b1', 'b1', 100), fx('d1', 'd1', 20)]);
  assert.equal(h.ok(disb('y1', 'fb', 110, 'B')), [fx('b1', 't1', 100), fx('d1', 't1', 10)]);
  // spanning the rest of d1 and two batches
  assert.equal(h.ok(disb('y2', 'fa', 70)), [fx('d1', 'd1', 30), fx('b2', 'b2', 30), fx('b3', 'b3', 10)]);
  assert.is(h.code(rev('rb3', 'b3')), 'not_reversible'); // b3 has moved on (split)
  const b4 = batch('b4', 'fa2', [3, 4]);
  h.ok(b4.event);
  assert.equal(h.ok(rev('rb4', 'b4')), [fx('b4', 'b4', 7)]);
  assert.is(h.state.fund('fa2')!.balance, '0');
  assert.is(h.code(rev('rb4x', 'b4')), 'not_reversible');
  // the platform that posted b2 cannot reverse A's b1; the poster of b2 can reverse only what is whole
  assert.is(h.code(rev('rb1', 'b1', 'PLAT')), 'forbidden');
  const t = buildTrace('b1', h.entries);
  assert.is(t.nodes[0]!.type, 'gift.batch');
  assert.equal(checkConservation(t, '100'), []);
  assert.equal(t.flows, [{ from: 'b1', to: 't1', value: '100' }, { from: 't1', to: 'y1', value: '100' }]);
  const r = buildTrace('b4', h.entries);
  assert.equal(r.flows, [{ from: 'b4', to: 'rb4', value: '7' }]);
  assert.equal(checkConservation(r, '7'), []);
});

test('every gift gets a share of every hop; they add up to the hop and to the gift', () => {
  const h = world();
  const b = batch('b1', 'fa', [40, 35, 25, 1, 9]); // 110
  h.ok(b.event);
  h.ok(xfer('t1', 'fa', 'fb', 60));
  h.ok(disb('y1', 'fb', 45, 'B'));
  h.ok(rev('ry1', 'y1', 'B'));
  h.ok(disb('y2', 'fb', 50, 'B')); // 45 returned by ry1, then 5 of t1
  h.ok(disb('y3', 'fa', 50)); // the rest of the batch
  const trace = buildTrace('b1', h.entries);
  assert.equal(checkConservation(trace, '110'), []);
  const u = batchUnits('b1', 110n, h.entries);
  if (typeof u === 'string') throw new Error(u);
  const perGift = (ranges: readonly (readonly [bigint, bigint])[]) => allShares(b.tree, ranges);
  for (const f of trace.flows) {
    const s = perGift(u.flows.get(flowKey(f.from, f.to))!);
    assert.is(s.reduce((a, x) => a + x, 0n).toString(), f.value, `${f.from}→${f.to}`);
  }
  // per gift, at every node that holds money: in = out + unspent
  for (const n of trace.nodes) {
    if (n.unspent === undefined) continue;
    const ins = trace.flows.filter((f) => f.to === n.event).map((f) => perGift(u.flows.get(flowKey(f.from, f.to))!));
    const outs = trace.flows.filter((f) => f.from === n.event).map((f) => perGift(u.flows.get(flowKey(f.from, f.to))!));
    const held = perGift(u.held.get(n.event) ?? []);
    assert.is(held.reduce((a, x) => a + x, 0n).toString(), n.unspent, `unspent of ${n.event}`);
    for (let i = 0; i < 5; i++) {
      const into = n.event === 'b1' ? b.tree.levels[0]!.sums[i]! : ins.reduce((a, s) => a + s[i]!, 0n);
      assert.is(into, outs.reduce((a, s) => a + s[i]!, 0n) + held[i]!, `gift ${i} at ${n.event}`);
    }
  }
});

test.run();
