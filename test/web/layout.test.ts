// The flow diagram's layout (src/web/client/layout.ts), in Node: columns by hop depth,
// band widths proportional to amounts, bands stacked without overlap at each card, the
// unspent remainder as its own card, confirmations under their payment.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FlowResult, NodeResult } from '@cotc/verify';
import { CARD_W, GAP, PAD, SCALE_H, bandPath, layoutTrace } from '../../src/web/client/layout.ts';

const node = (event: string, type: NodeResult['type'], index: number, extra: Partial<NodeResult> = {}): NodeResult => ({ event, type, index, ok: true, problems: [], ...extra });
const flow = (from: string, to: string, value: string): FlowResult => ({ from, to, value, ok: true, problems: [] });

const nodes = [
  node('d1', 'donation', 10, { amount: '1000', fund: 'f1', unspent: '100' }),
  node('t1', 'transfer', 11, { amount: '600', fund: 'f2', unspent: '0' }),
  node('t2', 'transfer', 12, { amount: '300', fund: 'f3', unspent: '300' }),
  node('p1', 'disbursement', 13, { amount: '600' }),
  node('c1', 'confirmation', 14, { confirms: 'p1' }),
];
const flows = [flow('d1', 't1', '600'), flow('d1', 't2', '300'), flow('t1', 'p1', '600')];

test('columns by hop depth; confirmations under their payment; unspent cards', () => {
  const l = layoutTrace(nodes, flows, () => 4);
  const by = new Map(l.nodes.map((n) => [n.key, n]));
  assert.is(by.get('d1')!.depth, 0);
  assert.is(by.get('t1')!.depth, 1);
  assert.is(by.get('t2')!.depth, 1);
  assert.is(by.get('p1')!.depth, 2);
  assert.is(by.get('c1')!.depth, 2, 'a confirmation sits in its payment column');
  assert.ok(by.get('c1')!.y > by.get('p1')!.y + by.get('p1')!.h - 1, 'below its payment');
  assert.is(by.get('unspent:d1')!.depth, 1);
  assert.is(by.get('unspent:t2')!.depth, 2);
  assert.not.ok(by.has('unspent:t1'), 'nothing left: no unspent card');
  assert.is(l.columns, 3);
  assert.is(l.width, PAD * 2 + 3 * CARD_W + 2 * GAP);
  for (const n of l.nodes) assert.is(n.x, PAD + n.depth * (CARD_W + GAP));
});

test('band widths are proportional to amounts and stacked without overlap', () => {
  const l = layoutTrace(nodes, flows, () => 4);
  const f = (a: string, b: string) => l.links.find((x) => x.from.key === a && x.to.key === b)!;
  assert.ok(Math.abs(f('d1', 't1').w - 0.6 * SCALE_H) < 0.01);
  assert.ok(Math.abs(f('d1', 't2').w - 0.3 * SCALE_H) < 0.01);
  assert.ok(Math.abs(f('d1', 'unspent:d1').w - 0.1 * SCALE_H) < 0.01);
  // At the donation's right edge the three bands tile its bar, in order.
  const outs = l.links.filter((x) => x.from.key === 'd1').sort((a, b) => a.sy - b.sy);
  const d1 = l.nodes.find((n) => n.key === 'd1')!;
  assert.is(outs[0]!.sy, d1.y);
  for (let i = 1; i < outs.length; i++) assert.ok(Math.abs(outs[i]!.sy - (outs[i - 1]!.sy + outs[i - 1]!.w)) < 1e-9);
  assert.ok(Math.abs(d1.bar - SCALE_H) < 0.01);
  // Cards in one column never overlap.
  for (const a of l.nodes) for (const b of l.nodes) {
    if (a === b || a.depth !== b.depth) continue;
    assert.ok(a.y + a.h <= b.y || b.y + b.h <= a.y, `${a.key} overlaps ${b.key}`);
  }
});

test('flows naming unknown nodes are left out; tiny amounts still visible', () => {
  const l = layoutTrace([node('d', 'donation', 1, { amount: '1000000' }), node('t', 'transfer', 2, { amount: '1' })], [flow('d', 't', '1'), flow('x', 't', '5')], () => 3);
  assert.is(l.links.filter((x) => x.kind === 'flow').length, 1);
  assert.ok(l.links[0]!.w >= 2);
  assert.match(bandPath(0, 0, 100, 50, 10), /^M0,0C50,0 50,50 100,50L100,60C50,60 50,10 0,10Z$/);
});

test.run();
