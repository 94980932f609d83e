// Gift batches over real HTTP (issue 15): POST /v1/batches stores the gifts; a gift.batch
// event is refused without its batch file (422 unknown_batch) and accepted with it; the
// batch's money moves by FIFO; GET /v1/batches/:id/gifts/:n serves a gift (by index or by
// donor commitment) with its sum-tree proof and the batch's entry; the gift verifies offline
// (gift → total → log → checkpoint) with its share of every hop; a tampered answer fails.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { giftDonorCommitment, type GiftRecord } from '@cotc/ledger';
import { fetchTraceBundle, verifyBundle, verifyGift } from '@cotc/verify';
import { testServer } from '../helpers/server.ts';
import { cny, ev, newOrg, type Org } from '../helpers/events.ts';

let s: Awaited<ReturnType<typeof testServer>>;
const operator: Org = { id: 'operator', signerKey: '', verifierKey: '' };
const platform = newOrg('shop');
const charity = newOrg('charity');
const BATCH = 'gfg-2020-12-31';
const secret = (i: number) => `receipt-secret-${i}-never-logged`;
const gifts: GiftRecord[] = [3, 5, 1, 12, 7, 2, 9].map((a, i) => ({
  amount: String(a),
  channel: i % 2 ? 'steps-for-charity' : 'goods-for-good',
  donor: giftDonorCommitment(BATCH, i, secret(i)),
  measure: i % 2 ? `steps:${a * 1000}` : `item:sku-${i}`,
}));

test.before(async () => {
  s = await testServer();
  operator.signerKey = s.operatorKey;
});
test.after(async () => {
  await s.close();
});

const status = async (p: string) => (await fetch(s.url + p)).status;

async function postBatch(body: unknown) {
  const res = await fetch(`${s.url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

test('store, post, move, serve and verify a gift', async () => {
  const reg = (o: Org, roles: string[]) => ev(operator, 'org.register', { org: o.id, name: o.id, roles: roles as never, keys: [o.verifierKey] });
  let r = await s.client.post([reg(platform, ['platform']), reg(charity, ['charity'])]);
  assert.equal(r.body.map((x: { status: number }) => x.status), [201, 201]);
  r = await s.client.post(ev(charity, 'fund.open', { fund: 'meals', name: 'Meals', currency: 'CNY', restricted: false, purpose: 'meals for elderly people living alone' }));
  assert.is(r.status, 201);

  const bad = await postBatch({ gifts: [{ ...gifts[0], amount: '0' }] });
  assert.is(bad.status, 400);
  assert.is(bad.body.error.code, 'schema');
  assert.is((await postBatch({ gifts: [], extra: 1 })).status, 400);

  const body = { fund: 'meals', amount: cny(39), count: 7, root: '' };
  const early = await s.client.post(ev(platform, 'gift.batch', { ...body, root: 'ab'.repeat(32) }, 'early'));
  assert.is(early.status, 422);
  assert.is(early.body.error.code, 'unknown_batch');

  const stored = await postBatch({ gifts });
  assert.is(stored.status, 201, JSON.stringify(stored.body));
  assert.is(stored.body.count, 7);
  assert.is(stored.body.total, '39');
  assert.is((await postBatch({ gifts })).status, 200, 'the same batch again is stored once');
  const file = path.join(s.dir, 'batches', stored.body.root.slice(0, 2), `${stored.body.root}.ndjson`);
  assert.ok(fs.existsSync(file));

  const wrongTotal = await s.client.post(ev(platform, 'gift.batch', { ...body, amount: cny(40), root: stored.body.root }, 'wrong'));
  assert.is(wrongTotal.body.error.code, 'unknown_batch');
  r = await s.client.post(ev(platform, 'gift.batch', { ...body, root: stored.body.root }, BATCH));
  assert.is(r.status, 201, JSON.stringify(r.body));
  r = await s.client.post(ev(charity, 'disbursement', { fund: 'meals', amount: cny(25), payee: 'Kitchen Co.', purpose: '50 meals', receipts: [] }, 'meals-1'));
  assert.is(r.status, 201, JSON.stringify(r.body));

  const info = await s.client.get<{ batch: { count: number; root: string } }>(`/v1/batches/${BATCH}`);
  assert.is(info.batch.root, stored.body.root);
  const g3 = await s.client.get<{ gift: { index: number; record: GiftRecord } }>(`/v1/batches/${BATCH}/gifts/3`);
  assert.is(g3.gift.index, 3);
  assert.equal(g3.gift.record, gifts[3]);
  const byDonor = await s.client.get<{ gift: { index: number } }>(`/v1/batches/${BATCH}/gifts/${giftDonorCommitment(BATCH, 5, secret(5))}`);
  assert.is(byDonor.gift.index, 5);
  assert.is(await status(`/v1/batches/${BATCH}/gifts/7`), 404);
  assert.is(await status(`/v1/batches/meals-1/gifts/0`), 404);
  assert.is(await status(`/v1/batches/${BATCH}/gifts/x1`), 400);

  const bundle = (await fetchTraceBundle((u) => s.client.get(u.slice(s.url.length)), s.url, BATCH)) as never;
  const vb = await verifyBundle(bundle, { logKey: s.log.verifierKey, donation: BATCH });
  assert.ok(vb.ok, JSON.stringify(vb.problems));
  let total = 0n;
  for (let i = 0; i < 7; i++) {
    const answer = await s.client.get(`/v1/batches/${BATCH}/gifts/${i}`);
    const g = verifyGift({ answer, bundle, batchId: BATCH, receipt: { index: i, secret: secret(i) } });
    assert.ok(g.ok, JSON.stringify(g.problems));
    assert.is(g.receipt, 'matched');
    assert.is(g.shares.length, 1);
    total += BigInt(g.shares[0]!.share);
    const held = g.held.find((h) => h.event === BATCH)!;
    assert.is(BigInt(g.shares[0]!.share) + BigInt(held.share), BigInt(gifts[i]!.amount), `gift ${i}: spent + unspent = amount`);
  }
  assert.is(total, 25n, 'the gifts\' shares of the disbursement add up to it');

  const answer = (await s.client.get(`/v1/batches/${BATCH}/gifts/3`)) as { gift: { record: GiftRecord }; proof: { path: Array<{ sum: string }> } };
  const wrong = verifyGift({ answer, bundle, batchId: BATCH, receipt: { index: 3, secret: 'guess' } });
  assert.is(wrong.problems[0]!.code, 'receipt_mismatch');
  const tampered = structuredClone(answer);
  tampered.gift.record.amount = '13';
  assert.is(verifyGift({ answer: tampered, bundle, batchId: BATCH }).problems[0]!.code, 'root_mismatch');
  const shifted = structuredClone(answer);
  shifted.proof.path[0]!.sum = String(Number(shifted.proof.path[0]!.sum) + 1);
  assert.not.ok(verifyGift({ answer: shifted, bundle, batchId: BATCH }).ok);

  // the secrets are nowhere on the server's disk
  const all: string[] = [];
  const walk = (d: string) => {
    for (const f of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, f.name);
      if (f.isDirectory()) walk(p);
      else all.push(fs.readFileSync(p).toString('latin1'));
    }
  };
  walk(s.dir);
  for (let i = 0; i < 7; i++) assert.not.ok(all.some((t) => t.includes(secret(i))), `secret ${i} found on disk`);
});

test('cotc verify <batch> --gift N --receipt SECRET: the nested proof and the shares', async () => {
  const { verifyCommand } = await import('../../src/cli/verify.ts');
  const state = path.join(s.dir, 'verify-state.json');
  const run = async (gift: string, receipt?: string) => {
    const out: string[] = [];
    const code = await verifyCommand(BATCH, { server: s.url, state, gift, ...(receipt !== undefined ? { receipt } : {}) }, { out: (l) => out.push(l), err: () => {} });
    return { code, text: out.join('\n') };
  };
  const ok = await run('3', secret(3));
  assert.is(ok.code, 0, ok.text);
  assert.match(ok.text, /gift 3 of batch gfg-2020-12-31: CNY 0\.12 \(steps-for-charity, steps:12000\)/);
  assert.match(ok.text, /the gift record: hash [0-9a-f]{16}… holding CNY 0\.12/);
  assert.match(ok.text, /= the batch's root [0-9a-f]{16}… and total CNY 0\.39 of 7 gifts, in log entry \d+, proven in the checkpoint/);
  assert.match(ok.text, /receipt matched: the gift is yours/);
  assert.match(ok.text, /gfg-2020-12-31 → meals-1: CNY 0\.\d\d of CNY 0\.25/);
  const bad = await run('3', secret(4));
  assert.is(bad.code, 1);
  assert.match(bad.text, /FAILED: receipt_mismatch/);
  assert.is((await run('99')).code, 1);

  // --json: one document, the gift's proof steps and shares in it (the same numbers verifyGift gives)
  const json = async (gift: string, receipt: string) => {
    const out: string[] = [];
    const code = await verifyCommand(BATCH, { server: s.url, state, gift, receipt, json: true }, { out: (l) => out.push(l), err: () => {} });
    assert.is(out.length, 1, out.join('\n'));
    return { code, doc: JSON.parse(out[0]!) };
  };
  const j = await json('3', secret(3));
  assert.is(j.code, 0);
  assert.is(j.doc.verified, true);
  assert.is(j.doc.receipt, 'matched');
  assert.is(j.doc.gift.verified, true);
  assert.equal(j.doc.gift.amount, { currency: 'CNY', value: '12' });
  assert.is(j.doc.gift.count, 7);
  assert.equal(j.doc.gift.total, { currency: 'CNY', value: '39' });
  assert.is(j.doc.gift.steps[0].side, 'leaf');
  const share = j.doc.gift.shares.find((x: { to: string }) => x.to === 'meals-1');
  assert.is(share.value, '25');
  const held = j.doc.gift.held.find((x: { event: string }) => x.event === BATCH);
  assert.is(BigInt(share.share) + BigInt(held.share), 12n, 'spent + unspent = the gift');
  const jb = await json('3', secret(4));
  assert.is(jb.code, 1);
  assert.is(jb.doc.verified, false);
  assert.is(jb.doc.receipt, 'mismatch');
  assert.is(jb.doc.problems[0].code, 'receipt_mismatch');
  const jn = await json('99', secret(3));
  assert.is(jn.code, 1);
  assert.is(jn.doc.problems[0].code, 'not_in_log');
});

test('DESIGN.md "Posting" order: schema, identical, signature and duplicate_id come before unknown_batch', async () => {
  const body = { fund: 'meals', amount: cny(39), count: 7, root: 'cd'.repeat(32) };
  // the signature: made by another key, by an unregistered org, by a key the org never had
  const forged = { ...ev(platform, 'gift.batch', body, 'order-1'), sig: ev(charity, 'gift.batch', body, 'order-1').sig };
  let r = await s.client.post(forged);
  assert.is(r.status, 401);
  assert.is(r.body.error.code, 'unknown_key', 'a key id the platform does not have');
  const tampered = ev(platform, 'gift.batch', body, 'order-2');
  r = await s.client.post({ ...tampered, body: { ...body, count: 8 } });
  assert.is(r.status, 401);
  assert.is(r.body.error.code, 'bad_signature');
  const stranger = newOrg('stranger');
  r = await s.client.post(ev(stranger, 'gift.batch', body, 'order-3'));
  assert.is(r.body.error.code, 'unknown_key', 'an unregistered org');
  // schema first: a bad body is 400 whatever its file
  r = await s.client.post(ev(platform, 'gift.batch', { ...body, count: 0 } as never, 'order-4'));
  assert.is(r.status, 400);
  // an id already used by another event: 409 before the missing file
  r = await s.client.post(ev(platform, 'gift.batch', body, BATCH));
  assert.is(r.status, 409);
  assert.is(r.body.error.code, 'duplicate_id');
  // a well-signed batch whose file is not stored: 422 unknown_batch; in an array, per element
  r = await s.client.post([ev(platform, 'gift.batch', body, 'order-5'), forged]);
  assert.equal(r.body.map((x: { status: number; error?: { code: string } }) => x.error?.code), ['unknown_batch', 'unknown_key']);
});

test('a refund of the whole batch while it is still whole', async () => {
  const g2: GiftRecord[] = [{ amount: '4', channel: 'goods-for-good', donor: giftDonorCommitment('b2', 0, 'x'), measure: 'item:a' }];
  const stored = await postBatch({ gifts: g2 });
  assert.is(stored.status, 201);
  let r = await s.client.post(ev(charity, 'gift.batch', { fund: 'meals', amount: cny(4), count: 1, root: stored.body.root }, 'b2'));
  assert.is(r.status, 201, JSON.stringify(r.body));
  r = await s.client.post(ev(charity, 'reversal', { event: 'b2', reason: 'the sale was returned' }, 'rb2'));
  assert.is(r.status, 201, JSON.stringify(r.body));
  r = await s.client.post(ev(charity, 'reversal', { event: BATCH, reason: 'try' }, 'rb1'));
  assert.is(r.status, 403, 'only the poster (the platform) or the operator reverses it');
  r = await s.client.post(ev(platform, 'reversal', { event: BATCH, reason: 'try' }, 'rb1b'));
  assert.is(r.body.error.code, 'not_reversible', 'part of it was spent');
});

test.run();
