// End to end over real HTTP on 127.0.0.1: register, fund, donate, grant, disburse,
// confirm; proofs verify against the checkpoint; the trace bundle is complete.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromBase64, fromHex, leafHash, openNote, parseCheckpoint, verifyInclusion, verifyConsistency } from '@cotc/tlog';
import { testServer } from '../helpers/server.ts';
import { cny, donor, ev, newOrg, sha, type Org } from '../helpers/events.ts';

let s: Awaited<ReturnType<typeof testServer>>;
const operator: Org = { id: 'operator', signerKey: '', verifierKey: '' };
const platform = newOrg('platform');
const charity = newOrg('charity');
const school = newOrg('school');

test.before(async () => {
  s = await testServer();
  operator.signerKey = s.operatorKey;
});
test.after(async () => {
  await s.close();
});

function checkProof(r: { leafHash: string; proof: { index: number; size: number; hashes: string[] }; checkpoint: string }, logKey: string) {
  const cp = parseCheckpoint(openNote(r.checkpoint, [logKey]).text);
  assert.is(cp.size, r.proof.size);
  assert.ok(verifyInclusion(fromHex(r.leafHash), r.proof.index, r.proof.size, r.proof.hashes.map((h) => fromHex(h)), cp.root));
}

test('a donation travels from a platform through a grant to a disbursement and is proven', async () => {
  const logKey = s.log.verifierKey;
  const reg = (o: Org, roles: string[]) => ev(operator, 'org.register', { org: o.id, name: o.id, roles: roles as never, keys: [o.verifierKey] });
  let r = await s.client.post([reg(platform, ['platform']), reg(charity, ['charity']), reg(school, ['payee'])]);
  assert.is(r.status, 200);
  assert.equal(r.body.map((x: { status: number }) => x.status), [201, 201, 201]);
  r.body.forEach((x: never) => checkProof(x, logKey));
  const early = parseCheckpoint(openNote(await s.client.getText('/checkpoint'), [logKey]).text);
  assert.is(early.size, 4);

  r = await s.client.post(ev(charity, 'fund.open', { fund: 'water', name: 'Water filters', currency: 'CNY', restricted: true, purpose: 'filters for schools' }));
  assert.is(r.status, 201, JSON.stringify(r.body));
  r = await s.client.post(ev(school, 'fund.open', { fund: 'school-water', name: 'School water', currency: 'CNY', restricted: true, purpose: 'install' }));
  assert.is(r.status, 201);
  const d1 = ev(charity, 'donation', { fund: 'water', amount: cny(1000), donor: donor('d1'), channel: 'goods-for-good' }, 'd1');
  const d2 = ev(charity, 'donation', { fund: 'water', amount: cny(500), donor: donor('d2'), channel: 'steps' }, 'd2');
  r = await s.client.post([d1, d2]);
  assert.equal(r.body.map((x: { status: number }) => x.status), [201, 201]);
  // Posting the identical event again answers 200 with the same seq.
  const again = await s.client.post(d1);
  assert.is(again.status, 200);
  assert.is(again.body.seq, r.body[0].seq);
  const t = ev(charity, 'transfer', { from: 'water', to: 'school-water', amount: cny(1200), memo: 'grant' });
  r = await s.client.post(t);
  assert.is(r.status, 201, JSON.stringify(r.body));
  const disb = ev(school, 'disbursement', { fund: 'school-water', amount: cny(1100), payee: 'Filter Co', purpose: '236 water filters', receipts: [{ sha256: sha('a'), name: 'invoice.pdf' }] });
  r = await s.client.post(disb);
  assert.is(r.status, 201, JSON.stringify(r.body));
  checkProof(r.body, logKey);

  const fund = await s.client.get<{ balance: { value: string } }>('/v1/funds/school-water');
  assert.is(fund.balance.value, '100');
  const over = await s.client.post(ev(school, 'disbursement', { fund: 'school-water', amount: cny(101), payee: 'x', purpose: 'y', receipts: [] }));
  assert.is(over.status, 422);
  assert.is(over.body.error.code, 'overdraft');

  const bundle = await s.client.get<any>('/v1/donations/d1/trace');
  assert.is(bundle.version, 1);
  const cp = parseCheckpoint(openNote(bundle.checkpoint, [logKey]).text);
  for (const e of bundle.entries) {
    assert.is(e.proof.size, cp.size);
    assert.ok(verifyInclusion(leafHash(fromBase64(e.data)), e.index, cp.size, e.proof.hashes.map((h: string) => fromHex(h)), cp.root));
  }
  assert.equal(
    bundle.trace.flows,
    [
      { from: 'd1', to: t.id, value: '1000' },
      { from: t.id, to: disb.id, value: '1000' },
    ],
  );
  const donations = await s.client.get<any>('/v1/donations?limit=1');
  assert.equal(donations.donations, [{ id: 'd2', fund: 'water', amount: cny(500), index: r.body.seq - 2 }]);

  // The tree grew consistently from the checkpoint seen after the registrations.
  const c = await s.client.get<any>(`/v1/proofs/consistency?from=${early.size}&to=${cp.size}`);
  assert.ok(verifyConsistency(early.size, cp.size, c.hashes.map((h: string) => fromHex(h)), early.root, cp.root));
  assert.not.ok(verifyConsistency(early.size, cp.size, c.hashes.map((h: string) => fromHex(h)), cp.root, cp.root));
});

test.run();
