// Issue 9's red-team attacks on the verifier, each a synthetic log (test/verify/synthetic.ts)
// a hostile operator or organisation could produce: every signed event is genuine, the
// checkpoint is signed by the log key, and yet the bundle must not verify (or must say who
// really signed). Each test names the attack and fails on the verifier before issue 9.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { verifyBundle, formatTraceTree, type VerifyResult } from '@cotc/verify';
import { cny, donor, sha } from '../helpers/events.ts';
import { append, newLog, org, rewriteEffects, sev, synthBundle, type SynthLog } from './synthetic.ts';

const codes = (r: VerifyResult) => [...new Set(r.problems.map((p) => p.code))].sort();

/**
 * The demo's story in miniature: a charity with a restricted water fund and a meals fund,
 * a victim donation into water, another into meals, and a confirmed payment from meals.
 */
async function story() {
  const log = await newLog();
  const charity = org('sunshine');
  const auditor = org('field-auditor');
  const school = org('school');
  await append(log, sev(log.operator, 'org.register', { org: 'sunshine', name: 'Sunshine', roles: ['charity'], keys: [charity.verifierKey] }, 'reg-sunshine'));
  await append(log, sev(log.operator, 'org.register', { org: 'field-auditor', name: 'Auditor', roles: ['auditor'], keys: [auditor.verifierKey] }, 'reg-auditor'));
  await append(log, sev(log.operator, 'org.register', { org: 'school', name: 'School', roles: ['payee', 'charity'], keys: [school.verifierKey] }, 'reg-school'));
  await append(log, sev(charity, 'fund.open', { fund: 'water-filters-236-schools', name: 'Water', currency: 'CNY', restricted: true, purpose: 'water filters' }, 'open-water'));
  await append(log, sev(charity, 'fund.open', { fund: 'meals-elderly', name: 'Meals', currency: 'CNY', restricted: true, purpose: 'meals' }, 'open-meals'));
  await append(log, sev(charity, 'donation', { fund: 'water-filters-236-schools', amount: cny(1000), donor: donor('sfc-2020-001471'), channel: 'goods-for-good' }, 'sfc-2020-001471'));
  await append(log, sev(charity, 'donation', { fund: 'meals-elderly', amount: cny(500), donor: donor('d-meals'), channel: 'steps' }, 'd-meals'));
  await append(log, sev(charity, 'disbursement', { fund: 'meals-elderly', amount: cny(300), payee: 'Canteen Ltd', purpose: 'hot meals', receipts: [{ sha256: sha('a'), name: 'invoice.pdf' }] }, 'pay-meals'));
  await append(log, sev(auditor, 'confirmation', { disbursement: 'pay-meals', statement: 'meals served', evidence: [] }, 'conf-meals'));
  return { log, charity, auditor, school };
}

const seqOf = (log: SynthLog, id: string) => log.entries.findIndex((e) => e?.event.id === id);

/** The server-style bundle of `donation`, plus the (proven) entries of `ids`. */
async function bundleWith(log: SynthLog, donation: string, ids: string[]) {
  const { serverIndexes } = await import('./synthetic.ts');
  const indexes = [...new Set([...serverIndexes(log, donation), ...ids.map((id) => seqOf(log, id))])].sort((a, b) => a - b);
  return synthBundle(log, donation, { indexes });
}

test('the story verifies as it is (the attacks below change only what they say)', async () => {
  const { log } = await story();
  for (const d of ['sfc-2020-001471', 'd-meals']) {
    const r = await verifyBundle(await synthBundle(log, d), { logKey: log.logKey, donation: d });
    assert.equal(r.problems, [], d);
    assert.equal(r.operatorSigned, []);
  }
});

test('attack: forged effects — an unrelated confirmed payment from another fund shown as paying the donation → bad_continuity', async () => {
  const { log } = await story();
  // The operator rewrites only pay-meals' effects: its 300 now "came from" the water donation.
  const forged = await rewriteEffects(log, { [seqOf(log, 'pay-meals')]: [{ donation: 'sfc-2020-001471', via: 'sfc-2020-001471', value: '300' }] });
  const b = await synthBundle(forged, 'sfc-2020-001471');
  assert.ok(b.trace.nodes.some((n) => n.event === 'pay-meals'), 'the forged bundle shows the payment on the water donation’s path');
  const r = await verifyBundle(b, { logKey: forged.logKey, donation: 'sfc-2020-001471' });
  assert.not.ok(r.ok);
  // Everything else holds (signatures, proofs, sums, conservation): only continuity catches it.
  assert.equal(codes(r), ['bad_continuity'], JSON.stringify(r.problems));
  const p = r.problems[0]!;
  assert.is(p.event, 'pay-meals');
  assert.match(p.message, /draws from fund meals-elderly/);
  assert.not.ok(r.nodes.find((n) => n.event === 'pay-meals')!.ok);
  assert.ok(r.nodes.find((n) => n.event === 'sfc-2020-001471')!.ok);
  assert.match(formatTraceTree(r), /NOT VERIFIED/);
});

test('attack: forged effects through a real transfer — more taken via a hop than it brought → bad_continuity', async () => {
  const { log, school, charity } = await story();
  await append(log, sev(school, 'fund.open', { fund: 'school-water', name: 'S', currency: 'CNY', restricted: true, purpose: 'filters' }, 'open-sw'));
  await append(log, sev(charity, 'transfer', { from: 'water-filters-236-schools', to: 'school-water', amount: cny(400), memo: 'grant' }, 'grant'));
  await append(log, sev(school, 'disbursement', { fund: 'school-water', amount: cny(100), payee: 'Filter Co', purpose: 'filters', receipts: [] }, 'pay-sw'));
  // The grant carried 400 of the donation; the operator says pay-sw took 100 of it, then also
  // makes the grant claim 300 via the donation and 100 via d-meals (which is in another fund).
  const forged = await rewriteEffects(log, {
    [seqOf(log, 'grant')]: [
      { donation: 'sfc-2020-001471', via: 'sfc-2020-001471', value: '300' },
      { donation: 'd-meals', via: 'd-meals', value: '100' },
    ],
  });
  const b = await bundleWith(forged, 'sfc-2020-001471', ['d-meals']);
  const r = await verifyBundle(b, { logKey: forged.logKey });
  assert.ok(codes(r).includes('bad_continuity'), JSON.stringify(r.problems));
  assert.ok(r.problems.some((p) => p.code === 'bad_continuity' && p.event === 'grant' && /d-meals/.test(p.message)));
});

test('attack: a lot taken twice from one hop (each take within the donation’s amount) → bad_continuity', async () => {
  const { log, charity } = await story();
  await append(log, sev(charity, 'disbursement', { fund: 'water-filters-236-schools', amount: cny(600), payee: 'Filter Co', purpose: 'filters', receipts: [] }, 'pay-1'));
  await append(log, sev(charity, 'donation', { fund: 'water-filters-236-schools', amount: cny(600), donor: donor('d-late'), channel: 'steps' }, 'd-late'));
  await append(log, sev(charity, 'disbursement', { fund: 'water-filters-236-schools', amount: cny(600), payee: 'Pipe Co', purpose: 'pipes', receipts: [] }, 'pay-2'));
  // Honest: pay-2 takes 400 of the victim and 200 of d-late. Forged: all 600 of the victim
  // (1,200 of a 1,000 donation: conservation catches the total, continuity names the hop).
  const forged = await rewriteEffects(log, { [seqOf(log, 'pay-2')]: [{ donation: 'sfc-2020-001471', via: 'sfc-2020-001471', value: '600' }] });
  const r = await verifyBundle(await synthBundle(forged, 'sfc-2020-001471'), { logKey: forged.logKey });
  assert.ok(r.problems.some((p) => p.code === 'bad_continuity' && p.event === 'pay-2' && /only 400 of it was left/.test(p.message)), JSON.stringify(r.problems));
});

test('attack: a refund that takes another donation’s lot, or a lot that has moved on → bad_continuity', async () => {
  const { log, charity } = await story();
  await append(log, sev(charity, 'reversal', { event: 'd-meals', reason: 'order returned' }, 'refund'), {
    effects: [{ donation: 'sfc-2020-001471', via: 'd-meals', value: '500' }],
  });
  const r = await verifyBundle(await bundleWith(log, 'sfc-2020-001471', ['d-meals']), { logKey: log.logKey });
  assert.ok(r.problems.some((p) => p.code === 'bad_continuity' && p.event === 'refund'), JSON.stringify(r.problems));

  const s2 = await story();
  // d-meals' lot was partly paid out (pay-meals took 300): a refund of all 500 is impossible.
  await append(s2.log, sev(s2.charity, 'reversal', { event: 'd-meals', reason: 'order returned' }, 'refund'), { effects: [{ donation: 'd-meals', via: 'd-meals', value: '500' }] });
  const r2 = await verifyBundle(await synthBundle(s2.log, 'd-meals'), { logKey: s2.log.logKey });
  assert.ok(r2.problems.some((p) => p.code === 'bad_continuity' && /whole lot/.test(p.message)), JSON.stringify(r2.problems));
});

test('attack: a reversal that returns other lots than the reversed payment took → bad_continuity', async () => {
  const { log, charity } = await story();
  await append(log, sev(charity, 'disbursement', { fund: 'water-filters-236-schools', amount: cny(200), payee: 'Filter Co', purpose: 'filters', receipts: [] }, 'pay-w'));
  await append(log, sev(charity, 'reversal', { event: 'pay-w', reason: 'returned' }, 'rev-w'));
  const ok = await verifyBundle(await synthBundle(log, 'sfc-2020-001471'), { logKey: log.logKey });
  assert.equal(ok.problems, []);
  // The operator makes the reversal of pay-w "return" money of d-meals instead.
  const forged = await rewriteEffects(log, { [seqOf(log, 'rev-w')]: [{ donation: 'd-meals', via: 'pay-w', value: '200' }] });
  const r = await verifyBundle(await bundleWith(forged, 'd-meals', ['pay-w', 'sfc-2020-001471']), { logKey: forged.logKey });
  assert.ok(r.problems.some((p) => p.code === 'bad_continuity' && p.event === 'rev-w'), JSON.stringify(r.problems));
});

test('attack: a confirmation by an org that is neither the payee nor an auditor → unauthorised_confirmation', async () => {
  const { log, school } = await story();
  await append(log, sev(school, 'confirmation', { disbursement: 'pay-meals', statement: 'all delivered', evidence: [] }, 'conf-school'), { effects: [] });
  const r = await verifyBundle(await synthBundle(log, 'd-meals'), { logKey: log.logKey });
  assert.equal(codes(r), ['unauthorised_confirmation'], JSON.stringify(r.problems));
  assert.is(r.problems[0]!.event, 'conf-school');
  assert.not.ok(r.nodes.find((n) => n.event === 'conf-school')!.ok);
  assert.ok(r.nodes.find((n) => n.event === 'conf-meals')!.ok);
});

test('attack: self-confirmation — a charity pays itself and confirms as “the payee” → self_confirmation', async () => {
  const { log, charity } = await story();
  await append(log, sev(charity, 'disbursement', { fund: 'water-filters-236-schools', amount: cny(100), payee: 'sunshine', purpose: 'filters', receipts: [] }, 'pay-self'));
  // The state machine of today accepts it (sunshine is the payee); the verifier must not.
  await append(log, sev(charity, 'confirmation', { disbursement: 'pay-self', statement: 'received', evidence: [] }, 'conf-self'), { effects: [] });
  const r = await verifyBundle(await synthBundle(log, 'sfc-2020-001471'), { logKey: log.logKey });
  assert.equal(codes(r), ['self_confirmation'], JSON.stringify(r.problems));
  assert.is(r.problems[0]!.event, 'conf-self');
});

test('attack: self-confirmation — an auditor org confirms its own disbursement → self_confirmation', async () => {
  const log = await newLog();
  const aud = org('audit-charity');
  await append(log, sev(log.operator, 'org.register', { org: 'audit-charity', name: 'A', roles: ['charity', 'auditor'], keys: [aud.verifierKey] }, 'reg-a'));
  await append(log, sev(aud, 'fund.open', { fund: 'f', name: 'F', currency: 'CNY', restricted: false, purpose: 'p' }, 'open-f'));
  await append(log, sev(aud, 'donation', { fund: 'f', amount: cny(10), donor: donor('d'), channel: 'c' }, 'd'));
  await append(log, sev(aud, 'disbursement', { fund: 'f', amount: cny(10), payee: 'Cronies Ltd', purpose: 'q', receipts: [] }, 'x'));
  await append(log, sev(aud, 'confirmation', { disbursement: 'x', statement: 'delivered', evidence: [] }, 'cx'), { effects: [] });
  const r = await verifyBundle(await synthBundle(log, 'd'), { logKey: log.logKey });
  assert.equal(codes(r), ['self_confirmation']);
});

test('attack: operator-installed key — the operator adds a key to a charity and signs as it → shown as such', async () => {
  const { log } = await story();
  const opKey = org('sunshine'); // a key named for sunshine, held by the operator
  await append(log, sev(log.operator, 'org.keys', { org: 'sunshine', add: [opKey.verifierKey], revoke: [] }, 'op-adds-key'));
  await append(log, sev(opKey, 'disbursement', { fund: 'water-filters-236-schools', amount: cny(50), payee: 'Cronies Ltd', purpose: 'consulting', receipts: [] }, 'pay-op'));
  const r = await verifyBundle(await synthBundle(log, 'sfc-2020-001471'), { logKey: log.logKey });
  // Allowed by the rules (DESIGN.md "Bodies": org.keys by the org or the operator), so no problem, but said.
  assert.equal(r.problems, []);
  const n = r.nodes.find((x) => x.event === 'pay-op')!;
  assert.equal(n.signer, { org: 'sunshine', key: opKey.verifierKey, installedBy: 'operator' });
  assert.equal(r.nodes.find((x) => x.event === 'sfc-2020-001471')!.signer!.installedBy, undefined);
  assert.equal(r.operatorSigned, ['pay-op']);
  const out = formatTraceTree(r);
  assert.match(out, /pay-op[^\n]*signed with a key the log operator installed for sunshine, not by sunshine itself/);
  assert.match(out, /1 event signed with keys the log operator installed/);
  // A key the org adds itself is the org's own.
  const s2 = await story();
  const own = org('sunshine');
  await append(s2.log, sev(s2.charity, 'org.keys', { org: 'sunshine', add: [own.verifierKey], revoke: [] }, 'own-key'));
  await append(s2.log, sev(own, 'disbursement', { fund: 'water-filters-236-schools', amount: cny(50), payee: 'P', purpose: 'q', receipts: [] }, 'pay-own'));
  const r2 = await verifyBundle(await synthBundle(s2.log, 'sfc-2020-001471'), { logKey: s2.log.logKey });
  assert.equal(r2.operatorSigned, []);
  assert.equal(r2.nodes.find((x) => x.event === 'pay-own')!.signer!.installedBy, undefined);
  assert.not.match(formatTraceTree(r2), /operator installed/);
});

test('fund.open entries in a bundle: accepted; internal transfers marked; restricted money → restricted_fund', async () => {
  const { log, charity } = await story();
  await append(log, sev(charity, 'fund.open', { fund: 'water-2', name: 'W2', currency: 'CNY', restricted: true, purpose: 'filters' }, 'open-w2'));
  await append(log, sev(charity, 'fund.open', { fund: 'general', name: 'G', currency: 'CNY', restricted: false, purpose: 'anything' }, 'open-g'));
  for (let i = 0; i < 3; i++) {
    await append(log, sev(charity, 'transfer', { from: 'water-filters-236-schools', to: 'water-2', amount: cny(1), memo: 'bounce' }, `bounce-${i}a`));
    await append(log, sev(charity, 'transfer', { from: 'water-2', to: 'water-filters-236-schools', amount: cny(1), memo: 'bounce' }, `bounce-${i}b`));
  }
  const b = await synthBundle(log, 'sfc-2020-001471', { funds: true });
  const r = await verifyBundle(b, { logKey: log.logKey });
  assert.equal(r.problems, []);
  const moves = r.nodes.filter((n) => n.type === 'transfer');
  assert.is(moves.length, 6);
  assert.ok(moves.every((n) => n.internal === true));
  assert.match(formatTraceTree(r), /moved between sunshine's own funds 6 times/);
  // Without fund.open entries nothing is claimed.
  const r0 = await verifyBundle(await synthBundle(log, 'sfc-2020-001471'), { logKey: log.logKey });
  assert.ok(r0.nodes.every((n) => n.internal === undefined));

  // Restricted money into an unrestricted fund (the server refuses it from issue 9 on).
  await append(log, sev(charity, 'transfer', { from: 'water-filters-236-schools', to: 'general', amount: cny(5), memo: 'to general' }, 'leak'), {
    effects: [{ donation: 'sfc-2020-001471', via: `bounce-2b`, value: '1' }, { donation: 'sfc-2020-001471', via: 'sfc-2020-001471', value: '4' }],
  });
  const r2 = await verifyBundle(await synthBundle(log, 'sfc-2020-001471', { funds: true }), { logKey: log.logKey });
  assert.equal(codes(r2), ['restricted_fund'], JSON.stringify(r2.problems));
  assert.is(r2.problems[0]!.event, 'leak');
});

test('fund.open entries: money moved out of a fund by an org that does not own it → forbidden', async () => {
  const { log, school } = await story();
  await append(log, sev(school, 'disbursement', { fund: 'meals-elderly', amount: cny(10), payee: 'X', purpose: 'y', receipts: [] }, 'not-mine'), {
    effects: [{ donation: 'd-meals', via: 'd-meals', value: '10' }],
  });
  const r = await verifyBundle(await synthBundle(log, 'd-meals', { funds: true }), { logKey: log.logKey });
  assert.ok(r.problems.some((p) => p.code === 'forbidden' && p.event === 'not-mine'), JSON.stringify(r.problems));
});

test('a disbursement to a registered org says so; a free-text payee that looks like one does not', async () => {
  const { log, charity } = await story();
  await append(log, sev(charity, 'disbursement', { fund: 'water-filters-236-schools', amount: cny(10), payee: 'school', purpose: 'filters', receipts: [] }, 'pay-org'));
  await append(log, sev(charity, 'disbursement', { fund: 'water-filters-236-schools', amount: cny(10), payee: 'sch\u200bool', purpose: 'filters', receipts: [] }, 'pay-fake'));
  // school's registration is in the bundle only if it signed something: put it in.
  const b = await bundleWith(log, 'sfc-2020-001471', ['reg-school']);
  const r2 = await verifyBundle(b, { logKey: log.logKey });
  assert.equal(r2.problems, []);
  assert.is(r2.nodes.find((n) => n.event === 'pay-org')!.payeeRegistered, true);
  assert.is(r2.nodes.find((n) => n.event === 'pay-fake')!.payeeRegistered, undefined);
  const out = formatTraceTree(r2);
  assert.match(out, /pay-org: paid to organisation school /);
  assert.match(out, /pay-fake: paid to "sch\\u200bool"/);
});

test.run();
