// DESIGN.md "FIFO" and "Entries": lots taken from the front, split, appended, returned to
// the front; refunds and transfer reversals. Every expected effects array is by hand.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { conf, disb, don, ev, fx, rev, world, xfer } from './state-harness.ts';

const lot = fx; // same shape: {donation, via, value}

test('partial spends take from the front, splitting the last lot', () => {
  const h = world();
  h.ok(don('d1', 'fa', 100));
  h.ok(don('d2', 'fa', 50));
  h.ok(don('d3', 'fa', 30));
  assert.equal(h.ok(disb('x1', 'fa', 70)), [fx('d1', 'd1', 70)]);
  assert.equal(h.state.lots('fa'), [lot('d1', 'd1', 30), lot('d2', 'd2', 50), lot('d3', 'd3', 30)]);
  assert.equal(h.ok(disb('x2', 'fa', 60)), [fx('d1', 'd1', 30), fx('d2', 'd2', 30)]);
  assert.equal(h.state.lots('fa'), [lot('d2', 'd2', 20), lot('d3', 'd3', 30)]);
  assert.equal(h.ok(disb('x3', 'fa', 50)), [fx('d2', 'd2', 20), fx('d3', 'd3', 30)]);
  assert.equal(h.state.lots('fa'), []);
  assert.equal(h.state.fund('fa')!.balance, '0');
  assert.equal(h.state.fund('fa')!.lots, 0);
  // an empty fund fills again from the back
  h.ok(don('d4', 'fa', 5));
  assert.equal(h.ok(disb('x4', 'fa', 5)), [fx('d4', 'd4', 5)]);
});

test('a grant to another org\'s fund, then a spend there', () => {
  const h = world();
  h.ok(don('d1', 'fa', 100));
  h.ok(don('d2', 'fa', 50));
  h.ok(don('b1', 'fb', 10, 'B'));
  assert.equal(h.ok(xfer('t1', 'fa', 'fb', 120)), [fx('d1', 'd1', 100), fx('d2', 'd2', 20)]);
  assert.equal(h.state.lots('fa'), [lot('d2', 'd2', 30)]);
  assert.equal(h.state.lots('fb'), [lot('b1', 'b1', 10), lot('d1', 't1', 100), lot('d2', 't1', 20)]);
  assert.equal(h.ok(disb('y1', 'fb', 50, 'B')), [fx('b1', 'b1', 10), fx('d1', 't1', 40)]);
  assert.equal(h.ok(disb('y2', 'fb', 70, 'B')), [fx('d1', 't1', 60), fx('d2', 't1', 10)]);
  assert.equal(h.state.lots('fb'), [lot('d2', 't1', 10)]);
  assert.equal(h.state.fund('fa')!.balance, '30');
  assert.equal(h.state.fund('fb')!.balance, '10');
  // onward again: lots keep their donation, take the new hop as via
  h.ok(ev('fund.open', 'open-fb2', 'B', { fund: 'fb2', name: 'fb2', currency: 'CNY', restricted: true, purpose: 'p' }));
  assert.equal(h.ok(xfer('t2', 'fb', 'fb2', 10, 'B')), [fx('d2', 't1', 10)]);
  assert.equal(h.state.lots('fb2'), [lot('d2', 't2', 10)]);
});

test('a disbursement spanning many donations', () => {
  const h = world();
  // d1..d10 worth 10, 20, ..., 100 (550 in all); 500 takes d1..d9 (450) and 50 of d10.
  for (let i = 1; i <= 10; i++) h.ok(don(`d${i}`, 'fa', i * 10));
  assert.equal(h.ok(disb('x', 'fa', 500)), [
    fx('d1', 'd1', 10), fx('d2', 'd2', 20), fx('d3', 'd3', 30), fx('d4', 'd4', 40), fx('d5', 'd5', 50),
    fx('d6', 'd6', 60), fx('d7', 'd7', 70), fx('d8', 'd8', 80), fx('d9', 'd9', 90), fx('d10', 'd10', 50),
  ]);
  assert.equal(h.state.lots('fa'), [lot('d10', 'd10', 50)]);
});

test('a reversed disbursement returns its lots to the front; spent again they show via = the reversal', () => {
  const h = world();
  h.ok(don('d1', 'fa', 100));
  h.ok(don('d2', 'fa', 50));
  h.ok(don('d3', 'fa', 30));
  assert.equal(h.ok(disb('x1', 'fa', 120)), [fx('d1', 'd1', 100), fx('d2', 'd2', 20)]);
  h.ok(don('d4', 'fa', 5)); // newer money at the back stays behind the returned lots
  h.ok(conf('c1', 'x1'));
  assert.equal(h.ok(rev('r1', 'x1')), [fx('d1', 'x1', 100), fx('d2', 'x1', 20)]);
  assert.equal(h.state.lots('fa'), [
    lot('d1', 'r1', 100), lot('d2', 'r1', 20), lot('d2', 'd2', 30), lot('d3', 'd3', 30), lot('d4', 'd4', 5),
  ]);
  assert.equal(h.state.fund('fa')!.balance, '185');
  assert.equal(h.ok(disb('x2', 'fa', 130)), [fx('d1', 'r1', 100), fx('d2', 'r1', 20), fx('d2', 'd2', 10)]);
  // d2's own lot no longer holds all 50: no refund
  assert.is(h.code(rev('rf2', 'd2')), 'not_reversible');
  // d1's own lot left with x1 and came back via r1: no refund either
  assert.is(h.code(rev('rf1', 'd1')), 'not_reversible');
  // d3 is whole, wherever it is
  assert.equal(h.ok(rev('rf3', 'd3')), [fx('d3', 'd3', 30)]);
  assert.equal(h.state.lots('fa'), [lot('d2', 'd2', 20), lot('d4', 'd4', 5)]);
  // the second disbursement reversed: its lots go in front of what is there, original order
  assert.equal(h.ok(rev('r2', 'x2', 'operator')), [fx('d1', 'x2', 100), fx('d2', 'x2', 20), fx('d2', 'x2', 10)]);
  assert.equal(h.state.lots('fa'), [
    lot('d1', 'r2', 100), lot('d2', 'r2', 20), lot('d2', 'r2', 10), lot('d2', 'd2', 20), lot('d4', 'd4', 5),
  ]);
});

test('a disbursement reversal into an emptied fund', () => {
  const h = world();
  h.ok(don('d1', 'fa', 10));
  h.ok(don('d2', 'fa', 20));
  h.ok(disb('x1', 'fa', 30));
  assert.equal(h.state.lots('fa'), []);
  assert.equal(h.ok(rev('r1', 'x1')), [fx('d1', 'x1', 10), fx('d2', 'x1', 20)]);
  h.ok(don('d3', 'fa', 1));
  assert.equal(h.state.lots('fa'), [lot('d1', 'r1', 10), lot('d2', 'r1', 20), lot('d3', 'd3', 1)]);
  assert.equal(h.ok(disb('x2', 'fa', 31)), [fx('d1', 'r1', 10), fx('d2', 'r1', 20), fx('d3', 'd3', 1)]);
});

test('refunds take the donation\'s own lot wherever it is, only while whole', () => {
  const h = world();
  h.ok(don('d1', 'fa', 10));
  h.ok(don('d2', 'fa', 20));
  h.ok(don('d3', 'fa', 30));
  h.ok(don('d4', 'fa', 40));
  assert.equal(h.ok(rev('rf2', 'd2')), [fx('d2', 'd2', 20)]); // from the middle
  assert.equal(h.state.lots('fa'), [lot('d1', 'd1', 10), lot('d3', 'd3', 30), lot('d4', 'd4', 40)]);
  assert.equal(h.ok(rev('rf1', 'd1', 'operator')), [fx('d1', 'd1', 10)]); // the front, by the operator
  assert.equal(h.ok(rev('rf4', 'd4')), [fx('d4', 'd4', 40)]); // the back
  assert.equal(h.state.fund('fa')!.balance, '30');
  assert.equal(h.state.fund('fa')!.lots, 1);
  assert.is(h.code(rev('rf2b', 'd2')), 'not_reversible'); // twice
  h.ok(don('d5', 'fa', 50));
  assert.equal(h.ok(disb('x', 'fa', 35)), [fx('d3', 'd3', 30), fx('d5', 'd5', 5)]);
  assert.is(h.code(rev('rf5', 'd5')), 'not_reversible'); // partly spent
  assert.is(h.code(rev('rf3', 'd3')), 'not_reversible'); // all spent
  // moved on whole to another fund: not its own lot any more
  h.ok(don('d6', 'fa2', 60));
  h.ok(xfer('t', 'fa2', 'fb', 60));
  assert.is(h.code(rev('rf6', 'd6')), 'not_reversible');
  assert.equal(h.state.lots('fa'), [lot('d5', 'd5', 45)]);
});

test('a transfer reversal returns the lots via it to the front of the source', () => {
  const h = world();
  h.ok(don('d1', 'fa', 100));
  h.ok(don('d2', 'fa', 50));
  h.ok(don('b1', 'fb', 10, 'B'));
  assert.equal(h.ok(xfer('t1', 'fa', 'fb', 120)), [fx('d1', 'd1', 100), fx('d2', 'd2', 20)]);
  h.ok(don('b2', 'fb', 7, 'B'));
  assert.is(h.code(rev('r1', 't1', 'B')), 'forbidden'); // the destination's owner may not
  assert.equal(h.ok(rev('r1', 't1')), [fx('d1', 't1', 100), fx('d2', 't1', 20)]);
  assert.equal(h.state.lots('fa'), [lot('d1', 'r1', 100), lot('d2', 'r1', 20), lot('d2', 'd2', 30)]);
  assert.equal(h.state.lots('fb'), [lot('b1', 'b1', 10), lot('b2', 'b2', 7)]);
  assert.equal(h.state.fund('fb')!.balance, '17');
  // again, and this time B spends a little of it first: no longer reversible
  assert.equal(h.ok(xfer('t2', 'fa', 'fb', 110)), [fx('d1', 'r1', 100), fx('d2', 'r1', 10)]);
  assert.equal(h.ok(disb('y', 'fb', 20, 'B')), [fx('b1', 'b1', 10), fx('b2', 'b2', 7), fx('d1', 't2', 3)]);
  assert.is(h.code(rev('r2', 't2')), 'not_reversible');
  assert.equal(h.state.lots('fb'), [lot('d1', 't2', 97), lot('d2', 't2', 10)]);
  // y reversed: the 3 of d1 comes back in front, but not via t2, so t2 is still not whole
  h.ok(rev('ry', 'y', 'B'));
  assert.is(h.code(rev('r2', 't2')), 'not_reversible');
});

test('a transfer reversal with a returned lot in between and a gap skipped later', () => {
  const h = world();
  h.ok(don('d1', 'fa', 10));
  h.ok(don('d2', 'fa', 20));
  h.ok(xfer('t1', 'fa', 'fb', 30)); // fb: d1/t1 10, d2/t1 20
  h.ok(don('b1', 'fb', 5, 'B'));
  h.ok(don('d3', 'fa', 1));
  h.ok(xfer('t2', 'fa', 'fb', 1)); // fb: d1/t1, d2/t1, b1, d3/t2
  assert.equal(h.ok(rev('r1', 't1')), [fx('d1', 't1', 10), fx('d2', 't1', 20)]);
  assert.equal(h.state.lots('fb'), [lot('b1', 'b1', 5), lot('d3', 't2', 1)]);
  assert.equal(h.ok(rev('r2', 't2')), [fx('d3', 't2', 1)]);
  assert.equal(h.state.lots('fa'), [lot('d3', 'r2', 1), lot('d1', 'r1', 10), lot('d2', 'r1', 20)]);
  assert.equal(h.ok(disb('x', 'fb', 5, 'B')), [fx('b1', 'b1', 5)]);
  assert.equal(h.ok(disb('x2', 'fa', 31)), [fx('d3', 'r2', 1), fx('d1', 'r1', 10), fx('d2', 'r1', 20)]);
});

test.run();
