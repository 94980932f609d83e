// The demo's gift days (issue 15, src/demo/gifts.ts): how N gifts split into daily batches
// (10^6 and more for `demo --gifts 1000000`), the demo's donor commitments equal the
// ledger's, and a demo with many small batches: every batch file stored, every gift of every
// batch verifies offline against the served trace with its receipt, the grant out of each
// campaign spans several batches and the gifts' shares of every hop add up to it exactly,
// the example receipts open their gifts, and no receipt secret is on the server's disk.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { giftDonorCommitment } from '@cotc/ledger';
import { fetchTraceBundle, verifyBundle, verifyGift } from '@cotc/verify';
import { createDemo, type DemoSummary } from '../../src/demo/demo.ts';
import { GIFTS_PER_BATCH, demoGiftDonor, demoGiftSecret, planGiftDays } from '../../src/demo/gifts.ts';
import { testServer, tempDir } from '../helpers/server.ts';

test('planGiftDays: a million gifts in days of two batches, none over the batch size, every gift once', () => {
  for (const n of [1, 2, 3, 999, 200_001, 1_000_000, 1_234_567]) {
    const plan = planGiftDays(n);
    assert.is(plan.reduce((s, b) => s + b.count, 0), n, `${n}: every gift in one batch`);
    assert.ok(plan.every((b) => b.count >= 1 && b.count <= GIFTS_PER_BATCH), `${n}: batch sizes`);
    assert.is(new Set(plan.map((b) => b.id)).size, plan.length, `${n}: batch ids unique`);
    assert.ok(plan.every((b, i) => b.channel === (i % 2 === 0 ? 'goods-for-good' : 'steps-for-charity')), `${n}: channels alternate`);
  }
  assert.is(planGiftDays(1_000_000).length, 10);
  assert.equal(planGiftDays(0), []);
  assert.throws(() => planGiftDays(-1), /gifts/);
  assert.throws(() => planGiftDays(10, 0), /perBatch/);
});

test("the demo's donor commitments are the ledger's (giftDonorCommitment)", () => {
  for (const [b, i] of [['gfg-day-2020-06-18', 0], ['sfc-day-2020-11-11', 99_999]] as const) {
    const secret = demoGiftSecret(2020, b, i);
    assert.is(secret.length, 43);
    assert.is(demoGiftDonor(b, i, secret), giftDonorCommitment(b, i, secret));
  }
  assert.is.not(demoGiftSecret(2020, 'b', 1), demoGiftSecret(2021, 'b', 1));
});

let demo: DemoSummary;
const root = tempDir('cotc-demo-gifts-');
const dir = path.join(root, 'data');

test('a demo with many small batches: every gift verifies, with its share of every hop', async () => {
  demo = await createDemo(dir, { donations: 100, gifts: 41, giftsPerBatch: 7 });
  assert.is(demo.gifts, 41);
  assert.is(demo.batches.length, 6, '41 gifts at 7 a batch: 3 days of 2 batches');
  assert.is(demo.giftExamples.length, 2, 'one receipt per channel');
  const saved = JSON.parse(fs.readFileSync(path.join(dir, 'demo-examples.json'), 'utf8'));
  assert.equal(saved.gifts, demo.giftExamples);
  const files = fs.readdirSync(path.join(dir, 'batches'), { recursive: true }).filter((f) => String(f).endsWith('.ndjson'));
  assert.is(files.length, 6, 'one batch file per batch');

  const s = await testServer(dir);
  try {
    const get = (u: string) => s.client.get(u.slice(s.url.length));
    const secrets: string[] = [];
    for (const batch of demo.batches) {
      const bundle = (await fetchTraceBundle(get, s.url, batch)) as never as { trace: { nodes: Array<{ type: string; event: string }>; flows: Array<{ from: string; to: string; value: string }> } };
      const vb = await verifyBundle(bundle as never, { logKey: demo.logKey, donation: batch });
      assert.ok(vb.ok, `${batch}: ${JSON.stringify(vb.problems)}`);
      const grant = bundle.trace.flows.find((f) => f.from === batch && bundle.trace.nodes.some((n) => n.event === f.to && n.type === 'transfer'));
      const info = await s.client.get<{ batch: { count: number } }>(`/v1/batches/${batch}`);
      const count = info.batch.count;
      const sums = new Map<string, bigint>();
      for (let i = 0; i < count; i++) {
        const secret = demoGiftSecret(2020, batch, i);
        secrets.push(secret);
        const answer = await s.client.get(`/v1/batches/${batch}/gifts/${i}`);
        const g = verifyGift({ answer, bundle: bundle as never, batchId: batch, receipt: { index: i, secret } });
        assert.ok(g.ok, `${batch} gift ${i}: ${JSON.stringify(g.problems)}`);
        assert.is(g.receipt, 'matched');
        for (const sh of g.shares) sums.set(`${sh.from}>${sh.to}`, (sums.get(`${sh.from}>${sh.to}`) ?? 0n) + BigInt(sh.share));
      }
      for (const f of bundle.trace.flows) assert.is(sums.get(`${f.from}>${f.to}`), BigInt(f.value), `${batch}: the gifts' shares of ${f.from} → ${f.to} add up to it`);
      if (batch === demo.batches[0] || batch === demo.batches[1]) assert.ok(grant, `${batch}: the grant draws on the first batch of its channel`);
    }
    // each campaign's grant spans more than one batch (FIFO, one lot a batch)
    for (const c of ['gfg-', 'sfc-']) {
      const spanned = [];
      for (const batch of demo.batches.filter((b) => b.startsWith(c))) {
        const b = (await fetchTraceBundle(get, s.url, batch)) as { trace: { nodes: Array<{ event: string }> } };
        if (b.trace.nodes.some((n) => n.event.startsWith('2020-gifts.grant.'))) spanned.push(batch);
      }
      assert.ok(spanned.length >= 2, `${c}: the grant draws on ${spanned.join(', ')}`);
    }
    // the examples' receipts open their gifts
    for (const e of demo.giftExamples) {
      const answer = await s.client.get<{ gift: { record: { amount: string; measure: string } } }>(`/v1/batches/${e.batch}/gifts/${e.index}`);
      assert.is(answer.gift.record.amount, e.amount.value);
      assert.is(answer.gift.record.measure, e.measure);
      assert.ok(e.hops >= 3, `${e.batch}: transfer, disbursement and confirmations`);
    }
    // no secret on the server's disk (the examples file aside, which holds the demo's receipts)
    const texts: string[] = [];
    const walk = (d: string) => {
      for (const f of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, f.name);
        if (f.isDirectory()) walk(p);
        else if (f.name !== 'demo-examples.json') texts.push(fs.readFileSync(p).toString('latin1'));
      }
    };
    walk(dir);
    for (const secret of secrets) assert.not.ok(texts.some((t) => t.includes(secret)), 'a gift receipt secret is on disk');
  } finally {
    await s.close();
  }
});

test.after(() => fs.rmSync(root, { recursive: true, force: true }));
test.run();
