// The ledger rules added by issue 9 ("Hostile servers and hostile organisations"), each
// test named after the attack it stops; every one was accepted by the state machine before.
//   - Self-confirmation: a confirmation signed by the org that posted the disbursement
//     proves nothing → 403 forbidden (a charity paying itself, an auditor org confirming
//     its own payment).
//   - Confirmation flooding: at most one confirmation per org per disbursement → 422
//     already_exists (kept in a small per-disbursement state record, c/<disbursement>).
//   - Restricted funds: a restricted fund's money leaves only by disbursement or by
//     transfer to another restricted fund → 422 restricted_fund.
// The state machine is the one rule for the server and for replay (the auditor), so the
// replay tests at the end check that an operator who writes such an event into the log
// itself is caught by `audit`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKey, hex, leafHash } from '@cotc/tlog';
import { canonicalBytes, replay, LedgerState, type Envelope } from '@cotc/ledger';
import { LogService } from '../../src/log/service.ts';
import { MemoryStore } from '../../src/storage/memory.ts';
import { verifyStrictNode } from '../../src/crypto/ed25519-node.ts';
import { cny, donor, ev as signed, newOrg, type Org } from '../helpers/events.ts';
import { amt, conf, disb, don, ev, keyFor, rev, world, xfer, type Harness } from './state-harness.ts';

const rejection = (h: Harness, e: Envelope) => {
  const r = h.post(e);
  return r.ok ? ('duplicate' in r ? 'duplicate' : 'ok') : `${r.status} ${r.code}`;
};

// --- self-confirmation ------------------------------------------------------------------

test('attack: a charity pays itself (payee = its own org id) and confirms as the payee → 403 forbidden', () => {
  const h = world();
  h.ok(don('d1', 'fa', 100));
  h.ok(disb('x1', 'fa', 60, 'A', 'A')); // paying itself is allowed; its confirmation is not
  const r = h.post(conf('c1', 'x1', 'A'));
  assert.is(r.ok, false);
  if (r.ok) return;
  assert.is(r.status, 403);
  assert.is(r.code, 'forbidden');
  assert.match(r.message, /cannot confirm/);
  assert.equal(h.state.confirmedBy('x1'), []);
  // An auditor may still confirm that payment.
  h.ok(conf('c2', 'x1', 'AUD'));
});

test('attack: an auditor org confirms its own disbursement → 403 forbidden; another auditor and the payee may', () => {
  const h = world();
  h.ok(ev('org.register', 'reg-AUD2', 'operator', { org: 'AUD2', name: 'AUD2', roles: ['auditor'], keys: [keyFor('AUD2')] }, keyFor('operator')));
  h.ok(ev('fund.open', 'open-faud', 'AUD', { fund: 'faud', name: 'faud', currency: 'CNY', restricted: false, purpose: 'p' }));
  h.ok(don('d1', 'faud', 100, 'AUD'));
  h.ok(disb('x1', 'faud', 100, 'AUD', 'P'));
  assert.is(rejection(h, conf('c1', 'x1', 'AUD')), '403 forbidden');
  h.ok(conf('c2', 'x1', 'AUD2'));
  h.ok(conf('c3', 'x1', 'P'));
  assert.equal(h.state.confirmedBy('x1'), ['AUD2', 'P']);
});

test('self-confirmation: in the Posting order, after unknown_disbursement, before already_exists', () => {
  const h = world();
  assert.is(rejection(h, conf('c0', 'nope', 'A')), '422 unknown_disbursement');
  h.ok(don('d1', 'fa', 100));
  h.ok(disb('x1', 'fa', 10, 'A', 'A'));
  assert.is(rejection(h, conf('c1', 'x1', 'A')), '403 forbidden');
  assert.is(rejection(h, conf('c1b', 'x1', 'A')), '403 forbidden'); // never already_exists: none was accepted
  // Neither the payee nor an auditor, and the poster: still forbidden.
  h.ok(disb('x2', 'fa', 10, 'A', 'Cronies Ltd'));
  assert.is(rejection(h, conf('c2', 'x2', 'A')), '403 forbidden');
});

// --- one confirmation per org per disbursement --------------------------------------------

test('attack: the payee confirms one payment again and again (trace flooding) → 422 already_exists', () => {
  const h = world();
  h.ok(don('d1', 'fa', 100));
  h.ok(disb('x1', 'fa', 60));
  h.ok(conf('c1', 'x1', 'P'));
  for (let i = 0; i < 50; i++) {
    const r = h.post(ev('confirmation', `c1-again-${i}`, 'P', { disbursement: 'x1', statement: `delivered, again ${i}`, evidence: [] }));
    assert.is(r.ok, false);
    if (r.ok) return;
    assert.is(r.status, 422);
    assert.is(r.code, 'already_exists');
    assert.match(r.message, /P has already confirmed disbursement x1/);
  }
  assert.equal(h.state.confirmedBy('x1'), ['P']);
  // The auditor confirms once too, and only once.
  h.ok(conf('c2', 'x1', 'AUD'));
  assert.is(rejection(h, conf('c3', 'x1', 'AUD')), '422 already_exists');
  // The same event posted again is the idempotent repost, not a second confirmation.
  assert.is(rejection(h, conf('c1', 'x1', 'P')), 'duplicate');
  // Another disbursement is confirmed afresh.
  h.ok(disb('x2', 'fa', 40));
  h.ok(conf('c4', 'x2', 'P'));
  // A reversed disbursement can still be confirmed, once per org.
  h.ok(rev('r2', 'x2', 'operator'));
  h.ok(conf('c5', 'x2', 'AUD'));
  assert.is(rejection(h, conf('c6', 'x2', 'AUD')), '422 already_exists');
  assert.is(h.state.size, h.entries.length);
});

test('already_exists for a confirmation comes after forbidden (Posting order): a stranger is forbidden, not already_exists', () => {
  const h = world();
  h.ok(don('d1', 'fa', 100));
  h.ok(disb('x1', 'fa', 60));
  h.ok(conf('c1', 'x1', 'P'));
  assert.is(rejection(h, conf('c2', 'x1', 'B')), '403 forbidden');
});

test('the confirmations record (conf/<disbursement>) is written by takeChanges and survives restore', () => {
  const h = world();
  const store = new Map<string, string>();
  const flush = () => {
    for (const [k, v] of h.state.takeChanges()) (v === null ? store.delete(k) : store.set(k, v));
  };
  h.ok(don('d1', 'fa', 100));
  h.ok(disb('x1', 'fa', 60));
  flush();
  assert.not.ok(store.has('conf/x1'));
  h.ok(conf('c1', 'x1', 'P'));
  const ch = h.state.takeChanges();
  const confs = (v: string) => (JSON.parse(v) as Array<{ event: string; org: string; seq: number }>).map((c) => [c.event, c.org, c.seq]);
  assert.equal(ch.filter(([k]) => k.startsWith('conf/')).map(([k, v]) => [k, confs(v!)]), [['conf/x1', [['c1', 'P', 11]]]]);
  for (const [k, v] of ch) (v === null ? store.delete(k) : store.set(k, v));
  h.ok(conf('c2', 'x1', 'AUD'));
  flush();
  assert.equal(confs(store.get('conf/x1')!), [['c1', 'P', 11], ['c2', 'AUD', 12]]);
  const s2 = LedgerState.restore(store);
  assert.equal(s2.confirmedBy('x1'), ['P', 'AUD']);
  // The restored state refuses the second confirmation as the live one does.
  const again = conf('c3', 'x1', 'P');
  const r = s2.judge(again, { seq: s2.size, contentHash: 'ff'.repeat(32), verify: () => true });
  assert.is(r.ok ? 'ok' : r.code, 'already_exists');
  // A record that does not add up is a corrupt store, not bad input.
  assert.throws(() => LedgerState.restore([...store, ['conf/d1', '[{"event":"c1","org":"P","seq":3}]']]), /bad confirmations record for d1/);
  assert.throws(() => LedgerState.restore([...store, ['conf/x1', '[{"event":"c1","org":"P","seq":3},{"event":"c2","org":"P","seq":4}]']]), /bad confirmations record for x1/);
});

// --- restricted funds ---------------------------------------------------------------------

/** world() plus restricted CNY funds ra, ra2 (A) and rb (B). */
function restrictedWorld(): Harness {
  const h = world();
  for (const [org, fund] of [['A', 'ra'], ['A', 'ra2'], ['B', 'rb']] as const) {
    h.ok(ev('fund.open', `open-${fund}`, org, { fund, name: fund, currency: 'CNY', restricted: true, purpose: 'water filters for 236 schools' }));
  }
  return h;
}

test('attack: a restricted fund\'s money moved into an unrestricted fund (the restriction laundered away) → 422 restricted_fund', () => {
  const h = restrictedWorld();
  h.ok(don('d1', 'ra', 100));
  const r = h.post(xfer('t1', 'ra', 'fa', 40));
  assert.is(r.ok, false);
  if (r.ok) return;
  assert.is(r.status, 422);
  assert.is(r.code, 'restricted_fund');
  assert.match(r.message, /fund ra is restricted to its purpose.*not to unrestricted fa/);
  // Nor to another org's unrestricted fund (a grant that drops the restriction).
  assert.is(rejection(h, xfer('t2', 'ra', 'fb', 40)), '422 restricted_fund');
  assert.is(h.state.fund('ra')!.balance, '100');
});

test('restricted funds: money leaves by disbursement, by transfer to a restricted fund, or back to the donor', () => {
  const h = restrictedWorld();
  h.ok(don('d1', 'ra', 100));
  h.ok(don('d2', 'ra', 50));
  h.ok(xfer('t1', 'ra', 'ra2', 30)); // restricted → restricted, own
  h.ok(xfer('t2', 'ra2', 'rb', 10)); // restricted → restricted, a grant
  h.ok(disb('x1', 'ra', 40)); // spent for its purpose
  h.ok(disb('x2', 'rb', 10, 'B'));
  h.ok(rev('r1', 'd2')); // a refund returns a donation to its donor
  // Unrestricted money may become restricted, and the reversal of that transfer returns
  // exactly its own lots (never the restricted fund's donations) to where they came from.
  h.ok(don('d3', 'fa', 70));
  h.ok(xfer('t3', 'fa', 'ra', 70));
  h.ok(rev('r3', 't3'));
  assert.is(h.state.fund('fa')!.balance, '70');
  assert.equal(h.state.lots('fa'), [{ donation: 'd3', via: 'r3', value: '70' }]);
  // A disbursement from a restricted fund can be reversed back into it.
  h.ok(rev('rx1', 'x1'));
  assert.is(h.state.fund('ra')!.balance, '70');
});

test('restricted_fund in the 422 order: after currency_mismatch and same_fund, before bad_amount and overdraft', () => {
  const h = restrictedWorld();
  h.ok(ev('fund.open', 'open-ru', 'A', { fund: 'ru', name: 'ru', currency: 'USD', restricted: true, purpose: 'p' }));
  h.ok(don('d1', 'ra', 100));
  assert.is(rejection(h, ev('transfer', 't1', 'A', { from: 'ra', to: 'fa', amount: amt(5, 'USD'), memo: 'm' })), '422 currency_mismatch');
  assert.is(rejection(h, xfer('t2', 'ra', 'fu', 5)), '422 currency_mismatch'); // CNY → USD, and unrestricted
  assert.is(rejection(h, xfer('t3', 'ra', 'ra', 5)), '422 same_fund');
  assert.is(rejection(h, xfer('t4', 'ra', 'fa', '9223372036854775808')), '422 restricted_fund');
  assert.is(rejection(h, xfer('t5', 'ra', 'fa', 1000)), '422 restricted_fund'); // would be overdraft
  assert.is(rejection(h, xfer('t6', 'ra', 'ra2', 1000)), '422 overdraft');
  // 403 still comes first: B cannot move A's restricted money anywhere.
  assert.is(rejection(h, xfer('t7', 'ra', 'fb', 5, 'B')), '403 forbidden');
  assert.is(h.state.fund('ra')!.restricted, true);
});

// --- replay: the auditor applies the same rules ---------------------------------------------

const logKey = generateKey('rules.example/log');
const opKey = generateKey('operator');
const operator: Org = { id: 'operator', signerKey: opKey.signerKey, verifierKey: opKey.verifierKey };
const charity = newOrg('charity');
const payee = newOrg('payee');
const auditor = newOrg('auditor');

/** A real log (real signatures, the sequencer) with a restricted fund, a payment, and its
 * confirmations; returns its entries and its stored state records. */
async function buildLog() {
  const store = new MemoryStore();
  const log = await LogService.open({ store, logKey: logKey.signerKey, operatorKey: operator.signerKey });
  const events = [
    signed(operator, 'org.register', { org: 'charity', name: 'Charity', roles: ['charity', 'auditor'], keys: [charity.verifierKey] }),
    signed(operator, 'org.register', { org: 'payee', name: 'Payee', roles: ['payee'], keys: [payee.verifierKey] }),
    signed(operator, 'org.register', { org: 'auditor', name: 'Auditor', roles: ['auditor'], keys: [auditor.verifierKey] }),
    signed(charity, 'fund.open', { fund: 'r', name: 'R', currency: 'CNY', restricted: true, purpose: 'filters' }),
    signed(charity, 'fund.open', { fund: 'u', name: 'U', currency: 'CNY', restricted: false, purpose: 'anything' }),
    signed(charity, 'donation', { fund: 'r', amount: cny(500), donor: donor('don-1'), channel: 'c' }, 'don-1'),
    signed(charity, 'disbursement', { fund: 'r', amount: cny(200), payee: 'payee', purpose: 'filters', receipts: [] }, 'pay-1'),
    signed(payee, 'confirmation', { disbursement: 'pay-1', statement: 'arrived', evidence: [] }, 'conf-1'),
    signed(auditor, 'confirmation', { disbursement: 'pay-1', statement: 'seen', evidence: [] }, 'conf-2'),
  ];
  for (const e of events) assert.is((await log.submit(e)).status, 201, e.id);
  // The server refuses each attack.
  assert.is((await log.submit(signed(payee, 'confirmation', { disbursement: 'pay-1', statement: 'again', evidence: [] }))).status, 422);
  assert.is((await log.submit(signed(charity, 'confirmation', { disbursement: 'pay-1', statement: 'self', evidence: [] }))).status, 403);
  assert.is((await log.submit(signed(charity, 'transfer', { from: 'r', to: 'u', amount: cny(10), memo: 'm' }))).status, 422);
  await log.idle();
  const head = (await store.head())!;
  const entries = await store.entries(0, head.size);
  const records = new Map<string, string>();
  for await (const [k, v] of store.stateRecords()) if (!k.startsWith('map/')) records.set(k, v);
  await log.close();
  return { entries, records };
}

/** An entry the operator writes into the log itself, chained after `entries`. */
function forged(entries: Uint8Array[], event: Envelope): Uint8Array {
  const prev = hex(leafHash(entries[entries.length - 1]!));
  return canonicalBytes({ seq: entries.length, prev, time: new Date().toISOString(), event, effects: [] });
}

test('replay reaches the same state records as the server, the confirmations record included', async () => {
  const { entries, records } = await buildLog();
  assert.equal((JSON.parse(records.get('conf/pay-1')!) as Array<{ org: string }>).map((c) => c.org), ['payee', 'auditor']);
  const r = replay(entries, { verify: verifyStrictNode });
  assert.is(r.problem, null, JSON.stringify(r.problem));
  await r.state.finish();
  const replayed = new Map(r.state.takeChanges().filter((x): x is [string, string] => x[1] !== null));
  assert.equal(replayed, records);
});

test('attack: an operator logs a second confirmation, a self-confirmation or a restricted transfer itself; audit (replay) names it', async () => {
  const { entries } = await buildLog();
  const attacks: Array<[string, Envelope, RegExp]> = [
    ['second confirmation by the payee', signed(payee, 'confirmation', { disbursement: 'pay-1', statement: 'again', evidence: [] }), /already_exists/],
    ['self-confirmation by the paying charity (an auditor org)', signed(charity, 'confirmation', { disbursement: 'pay-1', statement: 'self', evidence: [] }), /forbidden/],
    ['restricted money moved to an unrestricted fund', signed(charity, 'transfer', { from: 'r', to: 'u', amount: cny(10), memo: 'm' }), /restricted_fund/],
  ];
  for (const [name, event, code] of attacks) {
    // Effects as the old rules would have computed them (a transfer takes the front lot).
    const bytes =
      event.type === 'transfer'
        ? canonicalBytes({ seq: entries.length, prev: hex(leafHash(entries[entries.length - 1]!)), time: new Date().toISOString(), event, effects: [{ donation: 'don-1', via: 'don-1', value: '10' }] })
        : forged(entries, event);
    const r = replay([...entries, bytes], { verify: verifyStrictNode });
    assert.ok(r.problem, `${name}: replay accepted it`);
    assert.is(r.problem!.seq, entries.length, name);
    assert.is(r.problem!.check, 'rejected', name);
    assert.match(r.problem!.message, code, name);
  }
});

test('attack: the payee posts 20 different confirmations of one payment at once; group commit appends exactly one', async () => {
  const store = new MemoryStore();
  const log = await LogService.open({ store, logKey: logKey.signerKey, operatorKey: operator.signerKey, maxBatch: 50 });
  try {
    for (const e of [
      signed(operator, 'org.register', { org: 'charity', name: 'Charity', roles: ['charity'], keys: [charity.verifierKey] }),
      signed(operator, 'org.register', { org: 'payee', name: 'Payee', roles: ['payee'], keys: [payee.verifierKey] }),
      signed(charity, 'fund.open', { fund: 'f', name: 'F', currency: 'CNY', restricted: false, purpose: 'p' }),
      signed(charity, 'donation', { fund: 'f', amount: cny(100), donor: donor('d'), channel: 'c' }, 'd'),
      signed(charity, 'disbursement', { fund: 'f', amount: cny(100), payee: 'payee', purpose: 'p', receipts: [] }, 'pay'),
    ]) {
      assert.is((await log.submit(e)).status, 201, e.id);
    }
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => log.submit(signed(payee, 'confirmation', { disbursement: 'pay', statement: `delivered (${i})`, evidence: [] }))),
    );
    const statuses = answers.map((a) => a.status).sort();
    assert.equal(statuses, [201, ...Array(19).fill(422)]);
    assert.is(log.size, 7);
  } finally {
    await log.close();
  }
});

test.run();
