// Races over real HTTP: requests that arrive at once and compete for the same money or the
// same id. The sequencer judges them one after another, so exactly one wins each race,
// money is conserved, and an id is appended once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { testServer } from '../helpers/server.ts';
import { cny, donor, ev, newOrg, sha, uid, type Org } from '../helpers/events.ts';

let s: Awaited<ReturnType<typeof testServer>>;
const operator: Org = { id: 'operator', signerKey: '', verifierKey: '' };
const charity = newOrg('charity');
const school = newOrg('school');

async function post(e: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(s.url + '/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(e) });
  return { status: r.status, body: await r.json() };
}
async function ok(e: unknown): Promise<any> {
  const r = await post(e);
  assert.ok(r.status === 201 || (r.status === 200 && Array.isArray(r.body) && r.body.every((x: any) => x.status === 201)), JSON.stringify(r.body));
  return r.body;
}
async function balance(fund: string): Promise<bigint> {
  const r = await fetch(`${s.url}/v1/funds/${fund}`);
  assert.is(r.status, 200);
  return BigInt((await r.json()).balance.value);
}
async function size(): Promise<number> {
  return (await (await fetch(s.url + '/v1/log')).json()).size;
}
const openFund = (o: Org, id: string) => ev(o, 'fund.open', { fund: id, name: id, currency: 'CNY', restricted: false, purpose: 'races' });

test.before(async () => {
  s = await testServer();
  operator.signerKey = s.operatorKey;
  const reg = (o: Org, roles: string[]) => ev(operator, 'org.register', { org: o.id, name: o.id, roles: roles as never, keys: [o.verifierKey] });
  await ok([reg(charity, ['charity']), reg(school, ['charity', 'payee'])]);
});
test.after(async () => {
  await s?.close();
});

test('two disbursements at once against a balance that covers one: one 201, one 422 overdraft (20 times)', async () => {
  assert.ok(s, 'server started');
  for (let round = 0; round < 20; round++) {
    const fund = uid('race-fund');
    await ok([openFund(charity, fund), ev(charity, 'donation', { fund, amount: cny(100), donor: donor(uid('d')), channel: 'web' })]);
    const before = await size();
    const pay = (who: string) => ev(charity, 'disbursement', { fund, amount: cny(70), payee: who, purpose: 'goods', receipts: [{ sha256: sha('c'), name: 'invoice.pdf' }] });
    const [a, b] = await Promise.all([post(pay('Supplier A')), post(pay('Supplier B'))]);
    const statuses = [a.status, b.status].sort();
    assert.equal(statuses, [201, 422], `round ${round}: ${JSON.stringify([a.body, b.body])}`);
    const loser = a.status === 422 ? a : b;
    assert.is(loser.body.error.code, 'overdraft');
    assert.is(await balance(fund), 30n);
    assert.is(await size(), before + 1, 'exactly one appended');
  }
});

test('a refund racing a transfer of the same donation: exactly one wins, money is conserved (20 times)', async () => {
  let refunds = 0;
  let transfers = 0;
  for (let round = 0; round < 20; round++) {
    const from = uid('src');
    const to = uid('dst');
    const d = uid('don');
    await ok([openFund(charity, from), openFund(charity, to), ev(charity, 'donation', { fund: from, amount: cny(500), donor: donor(d), channel: 'web' }, d)]);
    const before = await size();
    const refund = ev(charity, 'reversal', { event: d, reason: 'refund' });
    const transfer = ev(charity, 'transfer', { from, to, amount: cny(500), memo: 'grant' });
    // Alternate who is sent first, so both orders happen.
    const [r, t] = round % 2 === 0 ? await Promise.all([post(refund), post(transfer)]) : (await Promise.all([post(transfer), post(refund)])).reverse();
    const won = [r.status, t.status].filter((x) => x === 201).length;
    assert.is(won, 1, `round ${round}: exactly one wins: ${JSON.stringify([r.body, t.body])}`);
    const bFrom = await balance(from);
    const bTo = await balance(to);
    if (r.status === 201) {
      refunds++;
      // The refund took the money out of the ledger; the transfer found nothing to move.
      assert.is(t.status, 422);
      assert.is(t.body.error.code, 'overdraft');
      assert.is(bFrom + bTo, 0n);
    } else {
      transfers++;
      assert.is(t.status, 201);
      assert.is(r.status, 422);
      assert.is(r.body.error.code, 'not_reversible');
      assert.is(bFrom, 0n);
      assert.is(bTo, 500n);
    }
    assert.is(await size(), before + 1);
  }
  assert.is(refunds + transfers, 20);
});

test('the same event posted 10 times at once: one 201, nine 200, all with the same seq', async () => {
  const fund = uid('same');
  await ok(openFund(charity, fund));
  for (let round = 0; round < 5; round++) {
    const before = await size();
    const e = ev(charity, 'donation', { fund, amount: cny(7), donor: donor(uid('x')), channel: 'web' });
    const rs = await Promise.all(Array.from({ length: 10 }, () => post(e)));
    const statuses = rs.map((r) => r.status).sort();
    assert.equal(statuses, [200, 200, 200, 200, 200, 200, 200, 200, 200, 201], JSON.stringify(rs.map((r) => r.body)));
    const seqs = new Set(rs.map((r) => r.body.seq));
    assert.is(seqs.size, 1);
    assert.is([...seqs][0], before);
    assert.ok(new Set(rs.map((r) => r.body.leafHash)).size === 1);
    assert.is(await size(), before + 1);
    assert.is(await balance(fund), 7n * BigInt(round + 1));
  }
});

test('one id, ten different contents at once: one 201, nine 409 duplicate_id', async () => {
  const fund = uid('dup');
  await ok(openFund(charity, fund));
  const before = await size();
  const id = uid('contested');
  const rs = await Promise.all(Array.from({ length: 10 }, (_, i) => post(ev(charity, 'donation', { fund, amount: cny(i + 1), donor: donor(id), channel: 'web' }, id))));
  const statuses = rs.map((r) => r.status).sort();
  assert.equal(statuses, [201, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
  for (const r of rs) if (r.status === 409) assert.is(r.body.error.code, 'duplicate_id');
  assert.is(await size(), before + 1);
  const winner = rs.find((r) => r.status === 201)!;
  const got = await (await fetch(`${s.url}/v1/events/${id}`)).json();
  assert.is(got.entry.index, winner.body.seq);
});

test('many spenders of one fund at once (single posts and arrays): never below zero, the books add up', async () => {
  const fund = uid('pool');
  const sink = uid('sink');
  await ok([openFund(charity, fund), openFund(school, sink)]);
  await ok(Array.from({ length: 10 }, () => ev(charity, 'donation', { fund, amount: cny(100), donor: donor(uid('p')), channel: 'web' })));
  // 1000 in the pool; 60 spenders of 30 each (1800 wanted), mixed transfers and disbursements.
  const reqs = Array.from({ length: 60 }, (_, i) =>
    i % 3 === 0
      ? ev(charity, 'transfer', { from: fund, to: sink, amount: cny(30), memo: 'grant' })
      : ev(charity, 'disbursement', { fund, amount: cny(30), payee: `P${i}`, purpose: 'goods', receipts: [] }),
  );
  const singles = reqs.slice(0, 40).map((e) => post(e));
  const arrays = [post(reqs.slice(40, 50)), post(reqs.slice(50, 60))];
  const results = [...(await Promise.all(singles)).map((r) => ({ status: r.status, code: r.body.error?.code })), ...(await Promise.all(arrays)).flatMap((r) => r.body.map((x: any) => ({ status: x.status, code: x.error?.code })))];
  const won = results.filter((r) => r.status === 201).length;
  assert.is(won, 33, 'floor(1000 / 30) spends fit');
  assert.ok(results.every((r) => r.status === 201 || (r.status === 422 && r.code === 'overdraft')), JSON.stringify(results));
  const transferred = reqs.filter((_, i) => results[i]!.status === 201 && i % 3 === 0).length;
  assert.is(await balance(fund), 1000n - 30n * 33n);
  assert.is(await balance(sink), 30n * BigInt(transferred));
});

test.run();
