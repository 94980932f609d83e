// DESIGN.md "Trace bundle": nodes, fund/unspent, flows and conservation, by hand.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTrace, checkConservation } from '../../packages/ledger/src/trace.ts';
import type { Trace } from '../../packages/ledger/src/types.ts';
import { conf, disb, don, rev, world, xfer } from './state-harness.ts';

function story() {
  const h = world(); // seqs 0..8: orgs and funds
  h.ok(don('d1', 'fa', 100)); // 9
  h.ok(don('d2', 'fa', 50)); // 10
  h.ok(xfer('t1', 'fa', 'fb', 120)); // 11: d1/d1 100, d2/d2 20
  h.ok(disb('y1', 'fb', 60, 'B')); // 12: d1/t1 60
  h.ok(conf('c1', 'y1', 'P')); // 13
  h.ok(conf('c2', 'y1', 'AUD')); // 14
  h.ok(rev('ry', 'y1', 'B')); // 15: d1/y1 60 → fb: d1/ry 60, d1/t1 40, d2/t1 20
  h.ok(disb('y2', 'fb', 70, 'B')); // 16: d1/ry 60, d1/t1 10
  h.ok(conf('c3', 'y2', 'P')); // 17
  h.ok(disb('x1', 'fa', 20)); // 18: d2/d2 20
  h.ok(don('d3', 'fa2', 5)); // 19
  h.ok(rev('rf3', 'd3')); // 20: refund d3/d3 5
  h.ok(don('d4', 'fa2', 40)); // 21
  h.ok(xfer('t2', 'fa2', 'fb', 40)); // 22: d4/d4 40
  h.ok(rev('rt2', 't2')); // 23: d4/t2 40 → fa2: d4/rt2 40
  h.ok(disb('x2', 'fa2', 15)); // 24: d4/rt2 15
  return h;
}

test('a grant, a spend, its reversal and re-spend, with confirmations', () => {
  const h = story();
  const t = buildTrace('d1', h.entries);
  assert.equal(t, {
    donation: 'd1',
    currency: 'CNY',
    nodes: [
      { event: 'd1', type: 'donation', index: 9, fund: 'fa', unspent: '0' },
      { event: 't1', type: 'transfer', index: 11, fund: 'fb', unspent: '30' },
      { event: 'y1', type: 'disbursement', index: 12 },
      { event: 'c1', type: 'confirmation', index: 13 },
      { event: 'c2', type: 'confirmation', index: 14 },
      { event: 'ry', type: 'reversal', index: 15, fund: 'fb', unspent: '0' },
      { event: 'y2', type: 'disbursement', index: 16 },
      { event: 'c3', type: 'confirmation', index: 17 },
    ],
    flows: [
      { from: 'd1', to: 't1', value: '100' },
      { from: 't1', to: 'y1', value: '60' },
      { from: 'y1', to: 'ry', value: '60' },
      { from: 'ry', to: 'y2', value: '60' },
      { from: 't1', to: 'y2', value: '10' },
    ],
  } satisfies Trace);
  assert.equal(checkConservation(t, '100'), []);
});

test('a donation partly granted, partly spent at home, some left', () => {
  const h = story();
  const t = buildTrace('d2', h.entries);
  assert.equal(t.nodes, [
    { event: 'd2', type: 'donation', index: 10, fund: 'fa', unspent: '10' },
    { event: 't1', type: 'transfer', index: 11, fund: 'fb', unspent: '20' },
    { event: 'x1', type: 'disbursement', index: 18 },
  ]);
  assert.equal(t.flows, [
    { from: 'd2', to: 't1', value: '20' },
    { from: 'd2', to: 'x1', value: '20' },
  ]);
  assert.equal(checkConservation(t, 50n), []);
});

test('a refund is a node without fund, with flows in only', () => {
  const h = story();
  const t = buildTrace('d3', h.entries);
  assert.equal(t.nodes, [
    { event: 'd3', type: 'donation', index: 19, fund: 'fa2', unspent: '0' },
    { event: 'rf3', type: 'reversal', index: 20 },
  ]);
  assert.equal(t.flows, [{ from: 'd3', to: 'rf3', value: '5' }]);
  assert.equal(checkConservation(t, '5'), []);
});

test('a transfer reversal holds the money back in the source fund', () => {
  const h = story();
  const t = buildTrace('d4', h.entries);
  assert.equal(t.nodes, [
    { event: 'd4', type: 'donation', index: 21, fund: 'fa2', unspent: '0' },
    { event: 't2', type: 'transfer', index: 22, fund: 'fb', unspent: '0' },
    { event: 'rt2', type: 'reversal', index: 23, fund: 'fa2', unspent: '25' },
    { event: 'x2', type: 'disbursement', index: 24 },
  ]);
  assert.equal(t.flows, [
    { from: 'd4', to: 't2', value: '40' },
    { from: 't2', to: 'rt2', value: '40' },
    { from: 'rt2', to: 'x2', value: '15' },
  ]);
  assert.equal(checkConservation(t, '40'), []);
});

test('the trace needs only its own entries, in any order; the donation must be there', () => {
  const h = story();
  const full = buildTrace('d1', h.entries);
  const mine = h.entries.filter((e) => e.donations.includes('d1'));
  assert.equal(mine.map((e) => e.seq), full.nodes.map((n) => n.index)); // apply's trace index agrees
  assert.equal(buildTrace('d1', [...mine].reverse()), full);
  assert.throws(() => buildTrace('nope', h.entries), /not among the entries/);
  assert.throws(() => buildTrace('t1', h.entries), /not among the entries/);
  // a reversal whose target is missing cannot be placed
  assert.throws(() => buildTrace('d1', mine.filter((e) => e.event.id !== 'y1')), /target y1/);
});

test('checkConservation names what is wrong', () => {
  const h = story();
  const good = buildTrace('d1', h.entries);
  const bad = (f: (t: Trace) => void) => {
    const t = structuredClone(good);
    f(t);
    return checkConservation(t, '100');
  };
  assert.equal(checkConservation(good), []);
  assert.ok(bad((t) => (t.flows[0]!.value = '99')).some((m) => /donation d1: amount/.test(m)));
  assert.ok(bad((t) => (t.nodes[1]!.unspent = '31')).some((m) => /transfer t1: flows in/.test(m)));
  assert.ok(bad((t) => (t.nodes[1]!.unspent = '-1')).some((m) => /unspent of t1/.test(m)));
  assert.ok(bad((t) => t.flows.push({ from: 'y2', to: 'c3', value: '1' })).some((m) => /disbursement y2 flows to c3/.test(m)));
  assert.ok(bad((t) => (t.flows[2]!.value = '61')).some((m) => /disbursement y1: flows out 61 exceed/.test(m)));
  assert.ok(bad((t) => t.flows.push({ from: 'c1', to: 'y2', value: '1' })).some((m) => /confirmation c1 has flows/.test(m)));
  assert.ok(bad((t) => t.flows.push({ from: 'zz', to: 'y2', value: '1' })).some((m) => /starts at no node/.test(m)));
  assert.ok(bad((t) => t.flows.push({ from: 'y2', to: 't1', value: '1' })).some((m) => /back in time/.test(m)));
  assert.ok(bad((t) => delete t.nodes[1]!.fund).some((m) => /names no fund/.test(m)));
  assert.ok(bad((t) => (t.nodes[2]!.unspent = '0')).some((m) => /holds no money/.test(m)));
  assert.ok(bad((t) => t.nodes.reverse()).some((m) => /out of index order/.test(m)));
  const refund = buildTrace('d3', h.entries);
  refund.flows.push({ from: 'rf3', to: 'rf3', value: '1' });
  assert.ok(checkConservation(refund).some((m) => /refund rf3 has flows out/.test(m)));
});

test.run();
