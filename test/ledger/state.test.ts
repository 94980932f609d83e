// DESIGN.md "Posting" (check order and codes), "The events" rules, "Keys", "The operator":
// every rejection code of the state machine, in judge order, with precedence cases.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LedgerState } from '../../packages/ledger/src/state.ts';
import {
  Harness, amt, conf, contentHash, disb, don, dummySig, ev, fx, keyFor, keyFromPub, keyIdOf, rev, world, xfer, DONOR,
} from './state-harness.ts';

const opKey = keyFor('operator');

// --- bootstrap (entry 0) -------------------------------------------------------------

test('entry 0: the operator registers itself, signed by a key it carries', () => {
  const h = new Harness();
  const r = h.post(ev('org.register', 'op', 'operator', { org: 'operator', name: 'Op', roles: ['operator'], keys: [opKey] }));
  assert.equal(r, { ok: true, effects: [], donations: [] });
  assert.is(h.state.operator, 'operator');
  assert.is(h.state.size, 1);
  assert.equal(h.state.org('operator'), {
    id: 'operator', name: 'Op', roles: ['operator'], registeredSeq: 0, keys: [{ key: opKey, addedSeq: 0 }],
  });
});

test('entry 0: anything else is refused', () => {
  const h = new Harness();
  // signed by a key the body does not carry
  assert.is(h.code(ev('org.register', 'op', 'operator', { org: 'operator', name: 'Op', roles: ['operator'], keys: [keyFor('operator', 1)] }, opKey)), 'unknown_key');
  // registering another org than the signer
  assert.is(h.code(ev('org.register', 'op', 'operator', { org: 'X', name: 'X', roles: ['operator'], keys: [keyFor('X')] }, keyFor('X'))), 'unknown_key');
  // another event type
  assert.is(h.code(ev('fund.open', 'f', 'operator', { fund: 'f', name: 'f', currency: 'CNY', restricted: false, purpose: 'p' })), 'unknown_key');
  // without the operator role
  assert.is(h.code(ev('org.register', 'op', 'operator', { org: 'operator', name: 'Op', roles: ['charity'], keys: [opKey] })), 'forbidden');
  // carrying a key named for someone else besides its own
  assert.is(h.code(ev('org.register', 'op', 'operator', { org: 'operator', name: 'Op', roles: ['operator'], keys: [opKey, keyFor('X')] })), 'bad_key');
  // bad signature
  h.verify = () => false;
  assert.is(h.code(ev('org.register', 'op', 'operator', { org: 'operator', name: 'Op', roles: ['operator'], keys: [opKey] })), 'bad_signature');
  assert.is(h.state.size, 0);
  assert.equal(h.state.takeChanges(), []);
});

test('apply and judge insist on seq = size', () => {
  const h = world();
  const e = don('d1', 'fa', 5);
  assert.throws(() => h.state.apply(e, { seq: 3, contentHash: contentHash(e), verify: () => true }), /next seq/);
  assert.throws(() => h.state.judge(e, { seq: 10, contentHash: contentHash(e), verify: () => true }), /next seq/);
});

// --- 200 identical event ---------------------------------------------------------------

test('the identical event answers its seq, before any other check', () => {
  const h = world();
  const d = don('d1', 'fa', 5);
  h.ok(d);
  const seq = h.state.size - 1;
  assert.equal(h.post(d), { ok: true, duplicate: { seq } });
  // even once the signing key is revoked
  h.ok(ev('org.keys', 'k1', 'A', { org: 'A', add: [keyFor('A', 1)], revoke: [keyFor('A')] }));
  assert.equal(h.post(d), { ok: true, duplicate: { seq } });
  assert.is(h.state.size, seq + 2);
});

// --- 401 -------------------------------------------------------------------------------

test('unknown_key: unregistered org, unknown key id', () => {
  const h = world();
  assert.is(h.code(don('d1', 'fa', 5, 'Nobody')), 'unknown_key');
  assert.is(h.code(ev('donation', 'd1', 'A', { fund: 'fa', amount: amt(5), donor: DONOR, channel: 'w' }, keyFor('A', 9))), 'unknown_key');
  // a key of another org is not a key of A
  assert.is(h.code(ev('donation', 'd1', 'A', { fund: 'fa', amount: amt(5), donor: DONOR, channel: 'w' }, keyFor('B'))), 'unknown_key');
});

test('bad_signature: verify false, or a sig of the wrong shape', () => {
  const h = world();
  h.verify = () => false;
  assert.is(h.code(don('d1', 'fa', 5)), 'bad_signature');
  h.verify = () => true;
  const short = { ...don('d1', 'fa', 5), sig: Buffer.from(keyIdOf(keyFor('A')) + '00', 'hex').toString('base64') };
  assert.is(h.code(short), 'bad_signature');
  const notB64 = { ...don('d1', 'fa', 5), sig: '!!!' };
  assert.is(h.code(notB64), 'bad_signature');
  // non-canonical base64 (no padding) of an otherwise fine sig
  const unpadded = { ...don('d1', 'fa', 5), sig: dummySig(keyFor('A')).replace(/=+$/, '') };
  assert.is(h.code(unpadded), 'bad_signature');
});

test('verify gets the signing key', () => {
  const h = world();
  const seen: string[] = [];
  h.verify = (pub, key) => {
    seen.push(key);
    assert.is(pub.length, 32);
    return true;
  };
  h.ok(don('d1', 'fa', 5));
  assert.equal(seen, [keyFor('A')]);
});

test('revoked_key: a revoked key signs nothing after; a key signs its own revocation', () => {
  const h = world();
  const a0 = keyFor('A');
  const a1 = keyFor('A', 1);
  h.ok(ev('org.keys', 'k1', 'A', { org: 'A', add: [a1], revoke: [] }, a0));
  h.ok(ev('org.keys', 'k2', 'A', { org: 'A', add: [], revoke: [a0] }, a0)); // its own revocation
  const revokedAt = h.state.size - 1;
  assert.is(h.code(ev('donation', 'd1', 'A', { fund: 'fa', amount: amt(5), donor: DONOR, channel: 'w' }, a0)), 'revoked_key');
  assert.is(h.code(ev('donation', 'd1', 'A', { fund: 'fa', amount: amt(5), donor: DONOR, channel: 'w' }, a1)), 'ok');
  assert.equal(h.state.org('A')!.keys, [
    { key: a0, addedSeq: 1, revokedSeq: revokedAt },
    { key: a1, addedSeq: revokedAt - 1 },
  ]);
  // keyAt is historical: a0 was good up to and including its revocation's seq
  assert.ok(h.state.keyAt('A', keyIdOf(a0), revokedAt));
  assert.is(h.state.keyAt('A', keyIdOf(a0), revokedAt + 1), undefined);
  assert.is(h.state.keyAt('A', keyIdOf(a1), revokedAt - 1), undefined); // added at that seq
  assert.is(h.state.keyAt('A', keyIdOf(a1), revokedAt)!.key, a1);
  assert.is(h.state.keyAt('operator', keyIdOf(opKey), 0)!.key, opKey);
  assert.is(h.state.keyAt('A', 'deadbeef', 50), undefined);
  assert.is(h.state.keyAt('A', keyIdOf(a1), revokedAt)!.keyId, keyIdOf(a1));
});

// --- 409 -------------------------------------------------------------------------------

test('duplicate_id: same id, different content', () => {
  const h = world();
  h.ok(don('d1', 'fa', 5));
  assert.is(h.code(don('d1', 'fa', 6)), 'duplicate_id');
  assert.is(h.code(xfer('d1', 'fa', 'fb', 1)), 'duplicate_id');
});

// --- 422 unknown_* ---------------------------------------------------------------------

test('unknown_org / unknown_fund / unknown_event / unknown_disbursement', () => {
  const h = world();
  assert.is(h.code(ev('org.keys', 'k', 'operator', { org: 'Ghost', add: [keyFor('Ghost')], revoke: [] }, opKey)), 'unknown_org');
  assert.is(h.code(don('d', 'nofund', 5)), 'unknown_fund');
  assert.is(h.code(xfer('t', 'nofund', 'fb', 5)), 'unknown_fund');
  assert.is(h.code(xfer('t', 'fa', 'nofund', 5)), 'unknown_fund');
  assert.is(h.code(disb('x', 'nofund', 5)), 'unknown_fund');
  assert.is(h.code(rev('r', 'noevent')), 'unknown_event');
  assert.is(h.code(conf('c', 'nodisb')), 'unknown_disbursement');
  h.ok(don('d1', 'fa', 5));
  assert.is(h.code(conf('c', 'd1')), 'unknown_disbursement'); // exists, but not a disbursement
});

// --- 403 -------------------------------------------------------------------------------

test('forbidden: the poster this event needs', () => {
  const h = world();
  h.ok(don('d1', 'fa', 100));
  assert.is(h.code(ev('org.register', 'r', 'A', { org: 'X', name: 'X', roles: ['charity'], keys: [keyFor('X')] })), 'forbidden');
  assert.is(h.code(ev('org.keys', 'k', 'B', { org: 'A', add: [keyFor('A', 3)], revoke: [] })), 'forbidden');
  assert.is(h.code(don('d2', 'fa', 5, 'B')), 'forbidden');
  assert.is(h.code(xfer('t', 'fa', 'fb', 5, 'B')), 'forbidden');
  assert.is(h.code(disb('x', 'fa', 5, 'B')), 'forbidden');
  assert.is(h.code(rev('r', 'd1', 'B')), 'forbidden');
  h.ok(disb('x1', 'fa', 10, 'A', 'P'));
  h.ok(disb('x2', 'fa', 10, 'A', 'some village school'));
  assert.is(h.code(conf('c', 'x1', 'B')), 'forbidden'); // not the payee, not an auditor
  assert.is(h.code(conf('c', 'x2', 'P')), 'forbidden'); // P is not x2's payee
  assert.is(h.code(conf('c', 'x1', 'operator')), 'forbidden'); // operator is no auditor
});

test('who may: operator registers and changes keys, payee and auditors confirm, operator reverses', () => {
  const h = world();
  h.ok(ev('org.register', 'r', 'operator', { org: 'X', name: 'X', roles: ['charity'], keys: [keyFor('X')] }, opKey));
  h.ok(ev('org.keys', 'k', 'operator', { org: 'X', add: [keyFor('X', 1)], revoke: [keyFor('X')] }, opKey));
  h.ok(ev('fund.open', 'fx', 'X', { fund: 'fx', name: 'x', currency: 'CNY', restricted: true, purpose: 'p' }, keyFor('X', 1)));
  h.ok(don('d1', 'fa', 100));
  h.ok(disb('x1', 'fa', 10));
  h.ok(conf('c1', 'x1', 'P'));
  h.ok(rev('r1', 'x1', 'operator'));
  h.ok(conf('c2', 'x1', 'AUD')); // a reversed disbursement can still be confirmed
  assert.equal(h.state.fund('fx'), {
    id: 'fx', owner: 'X', name: 'x', currency: 'CNY', restricted: true, purpose: 'p', balance: '0', lots: 0, openedSeq: 11,
  });
});

// --- 422 the rest ----------------------------------------------------------------------

test('already_exists: org and fund ids', () => {
  const h = world();
  assert.is(h.code(ev('org.register', 'r', 'operator', { org: 'A', name: 'A', roles: ['charity'], keys: [keyFor('A', 5)] }, opKey)), 'already_exists');
  assert.is(h.code(ev('fund.open', 'o', 'B', { fund: 'fa', name: 'x', currency: 'CNY', restricted: false, purpose: 'p' })), 'already_exists');
});

test('currency_mismatch', () => {
  const h = world();
  h.ok(don('d1', 'fa', 100));
  assert.is(h.code(ev('donation', 'd2', 'A', { fund: 'fa', amount: amt(5, 'USD'), donor: DONOR, channel: 'w' })), 'currency_mismatch');
  assert.is(h.code(ev('transfer', 't', 'A', { from: 'fa', to: 'fb', amount: amt(5, 'USD'), memo: 'm' })), 'currency_mismatch');
  assert.is(h.code(xfer('t', 'fa', 'fu', 5)), 'currency_mismatch'); // CNY fund → USD fund
  assert.is(h.code(ev('disbursement', 'x', 'A', { fund: 'fa', amount: amt(5, 'EUR'), payee: 'P', purpose: 'p', receipts: [] })), 'currency_mismatch');
});

test('same_fund', () => {
  const h = world();
  h.ok(don('d1', 'fa', 100));
  assert.is(h.code(xfer('t', 'fa', 'fa', 5)), 'same_fund');
});

test('bad_amount: above 2^63-1, zero, or a balance overflow', () => {
  const h = world();
  assert.is(h.code(don('d1', 'fa', '9223372036854775808')), 'bad_amount');
  assert.is(h.code(don('d1', 'fa', '0')), 'bad_amount');
  assert.is(h.code(don('d1', 'fa', '-5')), 'bad_amount');
  h.ok(don('d1', 'fa', '9223372036854775807'));
  assert.is(h.code(don('d2', 'fa', 1)), 'bad_amount');
  h.ok(don('d3', 'fb', 1, 'B'));
  assert.is(h.code(xfer('t', 'fa', 'fb', '9223372036854775807')), 'bad_amount');
  h.ok(disb('x', 'fa', 1));
  h.ok(don('d4', 'fa', 1));
  assert.is(h.code(rev('r', 'x')), 'bad_amount'); // returning 1 would overflow fa
  assert.is(h.state.fund('fa')!.balance, '9223372036854775807');
});

test('bad_key: key changes', () => {
  const weak = keyFromPub('A', new Uint8Array(32));
  const h = world({ isWeakKey: (pub) => pub.length !== 32 || pub.every((b) => b === 0) });
  const a0 = keyFor('A');
  const a1 = keyFor('A', 1);
  const keys = (add: string[], revoke: string[]) => ev('org.keys', `k${Math.random()}`, 'A', { org: 'A', add, revoke }, a0);
  assert.is(h.code(keys([keyFor('B', 7)], [])), 'bad_key'); // named for another org
  assert.is(h.code(keys([a0], [])), 'bad_key'); // already current
  assert.is(h.code(keys([], [a1])), 'bad_key'); // not A's
  assert.is(h.code(keys([], [keyFor('B')])), 'bad_key'); // B's, not A's
  assert.is(h.code(keys([], [a0])), 'bad_key'); // A would have no key left
  assert.is(h.code(keys([], [])), 'bad_key'); // nothing
  assert.is(h.code(keys([a1, a1], [])), 'bad_key'); // twice
  assert.is(h.code(keys([weak], [])), 'bad_key'); // weak
  assert.is(h.code(keys(['A+00000000+' + Buffer.concat([Buffer.from([1]), Buffer.alloc(32, 7)]).toString('base64')], [])), 'bad_key'); // wrong key id
  assert.is(h.code(keys(['not a key'], [])), 'bad_key');
  assert.is(h.code(keys([a1], [a0])), 'ok'); // rotate
  assert.is(h.code(ev('org.keys', 'k-again', 'A', { org: 'A', add: [a0], revoke: [] }, a1)), 'bad_key'); // revoked: never again
  assert.is(h.code(ev('org.keys', 'k-re', 'A', { org: 'A', add: [], revoke: [a0] }, a1)), 'bad_key'); // already revoked
  assert.is(h.code(ev('org.register', 'rw', 'operator', { org: 'W', name: 'W', roles: ['charity'], keys: [keyFromPub('W', new Uint8Array(32))] }, opKey)), 'bad_key');
  assert.is(h.code(ev('org.register', 'rn', 'operator', { org: 'N', name: 'N', roles: ['charity'], keys: [] }, opKey)), 'bad_key');
});

test('overdraft', () => {
  const h = world();
  h.ok(don('d1', 'fa', 100));
  assert.is(h.code(xfer('t', 'fa', 'fb', 101)), 'overdraft');
  assert.is(h.code(disb('x', 'fa', 101)), 'overdraft');
  assert.is(h.code(disb('x', 'fa2', 1)), 'overdraft');
  assert.is(h.code(disb('x', 'fa', 100)), 'ok');
});

test('not_reversible', () => {
  const h = world();
  h.ok(don('d1', 'fa', 100));
  assert.is(h.code(rev('r', 'open-fa')), 'not_reversible');
  assert.is(h.code(rev('r', 'reg-A', 'operator')), 'not_reversible');
  h.ok(disb('x', 'fa', 10));
  h.ok(conf('c', 'x'));
  assert.is(h.code(rev('r', 'c', 'P')), 'not_reversible');
  h.ok(rev('r1', 'x'));
  assert.is(h.code(rev('r2', 'x')), 'not_reversible'); // twice
  assert.is(h.code(rev('r2', 'r1')), 'not_reversible'); // a reversal
  assert.is(h.code(rev('r2', 'd1')), 'not_reversible'); // d1's lot was split (10 went out and came back via r1)
});

// --- precedence ------------------------------------------------------------------------

test('precedence: key errors before everything after them', () => {
  const h = world();
  h.ok(don('d1', 'fa', 5));
  const badKeyUnknownFund = ev('donation', 'dx', 'A', { fund: 'nofund', amount: amt(5), donor: DONOR, channel: 'w' }, keyFor('A', 9));
  assert.is(h.code(badKeyUnknownFund), 'unknown_key');
  assert.is(h.code(ev('donation', 'd1', 'A', { fund: 'nofund', amount: amt(6), donor: DONOR, channel: 'w' }, keyFor('A', 9))), 'unknown_key'); // before duplicate_id
  h.verify = () => false;
  assert.is(h.code(don('d1', 'fa', 6)), 'bad_signature'); // before duplicate_id
  h.verify = () => true;
});

test('precedence: duplicate_id → unknown_* → forbidden → 422', () => {
  const h = world();
  h.ok(don('d1', 'fa', 5));
  assert.is(h.code(don('d1', 'nofund', 5)), 'duplicate_id'); // before unknown_fund
  assert.is(h.code(xfer('t', 'fb', 'nofund', 5, 'A')), 'unknown_fund'); // before forbidden (fb is B's)
  assert.is(h.code(rev('r', 'nothing', 'B')), 'unknown_event');
  assert.is(h.code(xfer('t', 'fb', 'fa', 1000, 'A')), 'forbidden'); // before overdraft
  assert.is(h.code(ev('donation', 'd2', 'B', { fund: 'fa', amount: amt(5, 'USD'), donor: DONOR, channel: 'w' })), 'forbidden'); // before currency
  assert.is(h.code(ev('fund.open', 'o', 'B', { fund: 'fa', name: 'x', currency: 'CNY', restricted: false, purpose: 'p' })), 'already_exists');
  assert.is(h.code(ev('transfer', 't', 'A', { from: 'fa', to: 'fa', amount: amt(1000, 'USD'), memo: 'm' })), 'currency_mismatch'); // before same_fund, overdraft
  assert.is(h.code(xfer('t', 'fa', 'fa', 1000)), 'same_fund'); // before overdraft
  assert.is(h.code(ev('disbursement', 'x', 'A', { fund: 'fa', amount: amt(1000, 'USD'), payee: 'P', purpose: 'p', receipts: [] })), 'currency_mismatch'); // before overdraft
  assert.is(h.code(rev('r', 'open-fa', 'B')), 'forbidden'); // before not_reversible
  assert.is(h.code(ev('org.keys', 'k', 'B', { org: 'Ghost', add: [], revoke: [] })), 'unknown_org'); // before forbidden, bad_key
  assert.is(h.code(ev('org.keys', 'k', 'B', { org: 'A', add: [], revoke: [] })), 'forbidden'); // before bad_key
  assert.is(h.code(ev('org.register', 'r', 'B', { org: 'A', name: 'A', roles: ['charity'], keys: [] })), 'forbidden'); // before already_exists
  assert.is(h.code(ev('org.register', 'r', 'operator', { org: 'A', name: 'A', roles: ['charity'], keys: ['junk'] }, opKey)), 'already_exists'); // before bad_key
});

// --- purity, reads, persistence, trace index ------------------------------------------

test('judge never changes state; a rejection leaves it untouched', () => {
  const h = world();
  h.state.takeChanges();
  h.ok(don('d1', 'fa', 100));
  h.state.takeChanges();
  const before = JSON.stringify([h.state.fund('fa'), h.state.lots('fa'), h.state.size]);
  const e = disb('x', 'fa', 60);
  const j = h.judge(e);
  assert.equal(j, { ok: true, effects: [fx('d1', 'd1', 60)], donations: ['d1'] });
  assert.equal(h.state.takeChanges(), []);
  assert.is(JSON.stringify([h.state.fund('fa'), h.state.lots('fa'), h.state.size]), before);
  assert.is(h.code(disb('x2', 'fa', 101)), 'overdraft');
  assert.equal(h.state.takeChanges(), []);
  assert.is(JSON.stringify([h.state.fund('fa'), h.state.lots('fa'), h.state.size]), before);
  assert.equal(h.post(e), j);
});

test('read helpers: event facts', () => {
  const h = world();
  h.ok(don('d1', 'fa', 100));
  h.ok(xfer('t1', 'fa', 'fb', 30));
  h.ok(disb('x1', 'fb', 20, 'B'));
  h.ok(rev('r1', 'x1', 'B'));
  const d = h.state.event('d1')!;
  assert.equal({ ...d, hash: '' }, { id: 'd1', seq: 9, org: 'A', hash: '', type: 'donation', fund: 'fa', value: '100', pos: 0 });
  assert.is(d.hash, contentHash(don('d1', 'fa', 100)));
  assert.equal(h.state.event('x1'), {
    id: 'x1', seq: 11, org: 'B', hash: contentHash(disb('x1', 'fb', 20, 'B')), type: 'disbursement', fund: 'fb', payee: 'P', value: '20',
    taken: [fx('d1', 't1', 20)], reversedBy: 'r1',
  });
  assert.equal({ ...h.state.event('r1')!, hash: '' }, { id: 'r1', seq: 12, org: 'B', hash: '', type: 'reversal', target: 'x1', targetType: 'disbursement', range: [-1, 0] });
  assert.equal({ ...h.state.event('t1')!, hash: '' }, { id: 't1', seq: 10, org: 'A', hash: '', type: 'transfer', from: 'fa', to: 'fb', value: '30', range: [0, 1] });
  assert.is(h.state.event('nope'), undefined);
  assert.is(h.state.fund('nope'), undefined);
  assert.is(h.state.org('nope'), undefined);
  // copies: mutating them does not reach the state
  (h.state.event('x1') as { taken: unknown[] }).taken.length = 0;
  assert.is((h.state.event('x1') as { taken: unknown[] }).taken.length, 1);
});

test('apply returns the donations whose trace an entry joins', () => {
  const h = world();
  const r = (e: Parameters<Harness['post']>[0]) => {
    const x = h.post(e);
    return x.ok && !('duplicate' in x) ? x.donations : x;
  };
  assert.equal(r(don('d1', 'fa', 10)), ['d1']);
  assert.equal(r(don('d2', 'fa', 10)), ['d2']);
  assert.equal(r(xfer('t1', 'fa', 'fb', 15)), ['d1', 'd2']);
  assert.equal(r(disb('x1', 'fb', 12, 'B')), ['d1', 'd2']);
  assert.equal(r(conf('c1', 'x1')), ['d1', 'd2']);
  assert.equal(r(rev('r1', 'x1', 'B')), ['d1', 'd2']);
  assert.equal(r(ev('fund.open', 'o9', 'A', { fund: 'f9', name: 'n', currency: 'CNY', restricted: false, purpose: 'p' })), []);
});

test('persistence: one spend from a fund of 10k lots rewrites a handful of records', () => {
  const h = world();
  for (let i = 0; i < 10000; i++) h.ok(don(`d${i}`, 'fa', 3));
  h.state.takeChanges();
  h.ok(disb('x', 'fa', 7)); // takes d0, d1, splits d2
  const ch = h.state.takeChanges();
  assert.equal(ch.map(([k]) => k), ['meta', 'fund/fa', 'lot/fa/p000000000000000', 'lot/fa/p000000000000001', 'lot/fa/p000000000000002', 'event/x']);
  assert.is(ch[2]![1], null);
  assert.is(ch[3]![1], null);
  assert.equal(JSON.parse(ch[4]![1]!), { donation: 'd2', via: 'd2', value: '2' });
  // its reversal writes the three returned lots at new front positions and a marker, not
  // x's record again
  h.ok(rev('rx', 'x'));
  assert.equal(h.state.takeChanges().map(([k, v]) => [k, k.startsWith('event/') ? '…' : v]), [
    ['meta', JSON.stringify({ size: h.state.size, operator: 'operator' })],
    ['fund/fa', JSON.stringify({ owner: 'A', name: 'fa', currency: 'CNY', restricted: false, purpose: 'p', openedSeq: 5, balance: '30000', head: -1, tail: 10000, count: 10001 })],
    // returned d0 3, d1 3, d2 1 before d2's remaining 2 (head was 2): positions -1, 0, 1,
    // written back to front
    ['lot/fa/p000000000000001', JSON.stringify({ donation: 'd2', via: 'rx', value: '1' })],
    ['lot/fa/p000000000000000', JSON.stringify({ donation: 'd1', via: 'rx', value: '3' })],
    ['lot/fa/n999999999999999', JSON.stringify({ donation: 'd0', via: 'rx', value: '3' })],
    ['event/rx', '…'],
    ['rev/x', '"rx"'],
  ]);
});

test('restore: takeChanges records rebuild the same state', () => {
  const h = world();
  const store = new Map<string, string>();
  const flush = () => {
    for (const [k, v] of h.state.takeChanges()) (v === null ? store.delete(k) : store.set(k, v));
  };
  flush();
  h.ok(don('d1', 'fa', 100));
  h.ok(don('d2', 'fa', 50));
  h.ok(xfer('t1', 'fa', 'fb', 120));
  flush();
  h.ok(disb('x1', 'fb', 110, 'B'));
  h.ok(rev('r1', 'x1', 'B'));
  h.ok(ev('org.keys', 'k1', 'A', { org: 'A', add: [keyFor('A', 1)], revoke: [keyFor('A')] }));
  flush();
  const s2 = LedgerState.restore(store);
  assert.is(s2.size, h.state.size);
  assert.is(s2.operator, 'operator');
  for (const f of ['fa', 'fa2', 'fb', 'fu']) {
    assert.equal(s2.fund(f), h.state.fund(f));
    assert.equal(s2.lots(f), h.state.lots(f));
  }
  for (const o of ['operator', 'A', 'B', 'P', 'AUD']) assert.equal(s2.org(o), h.state.org(o));
  for (const e of ['d1', 'd2', 't1', 'x1', 'r1', 'k1']) assert.equal(s2.event(e), h.state.event(e));
  assert.equal(s2.takeChanges(), []);
  // and it behaves the same: a transfer reversal needs the via index rebuilt
  const e = rev('r2', 't1');
  const ctx = { seq: s2.size, contentHash: contentHash(e), verify: () => true };
  assert.equal(s2.apply(e, ctx), h.post(e));
  assert.is(LedgerState.restore([]).size, 0);
  assert.throws(() => LedgerState.restore([['x/1', '{}']]), /unknown record/);
});

test.run();
