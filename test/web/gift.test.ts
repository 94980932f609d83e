// The donor page's gift view (issue 15) in headless Chromium, on a demo with gift batches:
// a gift receipt in the address (/donations/<batch>#gift=N&secret=S) shows the nested proof
// gift → batch total → log → checkpoint and the gift's share of every hop, in the diagram
// (band labels and cards) and in the list, the same shares as @cotc/verify computes here;
// a wrong secret is a calm mismatch; a tampered gift answer fails with its code; the page
// speaks Chinese and Thai; the secret is never sent; no console error (CSP).
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BrowserContext, Page } from 'playwright-core';
import { fetchTraceBundle, verifyBundle, verifyGift, type GiftResult } from '@cotc/verify';
import { createDemo, type DemoGiftExample, type DemoSummary } from '../../src/demo/demo.ts';
import { testServer, tempDir } from '../helpers/server.ts';
import { launchBrowser, startProxy, watchErrors, type Proxy } from './helpers.ts';

type Server = Awaited<ReturnType<typeof testServer>>;
let server: Server;
let proxy: Proxy;
let ctx: BrowserContext;
let profile: string;
let demo: DemoSummary;
let ex: DemoGiftExample;
let expected: GiftResult;
const root = tempDir('cotc-web-gift-');

test('setup: a demo with gift batches, its server, a tampering proxy, Chromium', async () => {
  const browser = launchBrowser();
  browser.catch(() => {});
  demo = await createDemo(path.join(root, 'data'), { donations: 100, gifts: 40, giftsPerBatch: 10 });
  ex = demo.giftExamples[0]!;
  server = await testServer(path.join(root, 'data'));
  // the page's answer, as @cotc/verify computes it in Node
  const get = (u: string) => server.client.get(u.slice(server.url.length));
  const bundle = await fetchTraceBundle(get, server.url, ex.batch);
  const vb = await verifyBundle(bundle as never, { logKey: demo.logKey, donation: ex.batch });
  assert.ok(vb.ok, JSON.stringify(vb.problems));
  expected = verifyGift({ answer: await server.client.get(`/v1/batches/${ex.batch}/gifts/${ex.index}`), bundle: bundle as never, batchId: ex.batch, receipt: { index: ex.index, secret: ex.receiptSecret } });
  assert.ok(expected.ok && expected.shares.length >= 2, JSON.stringify(expected.problems));
  // a gift answer with its amount changed by one (the sum-tree proof then leads elsewhere)
  proxy = await startProxy(server.url, (p, body) => {
    if (!p.startsWith(`/v1/batches/${ex.batch}/gifts/`)) return null;
    const j = JSON.parse(body.toString('utf8'));
    j.gift.record.amount = String(Number(j.gift.record.amount) + 1);
    return Buffer.from(JSON.stringify(j));
  });
  ({ ctx, profile } = await browser);
});

async function open(base: string, fragment: string, lang = 'en'): Promise<{ page: Page; errors: string[]; sent: string[] }> {
  const page = await ctx.newPage();
  const errors = watchErrors(page, [base + '/']);
  const sent: string[] = [];
  page.on('request', (r) => sent.push(`${r.url()} ${JSON.stringify(r.headers())} ${r.postData() ?? ''}`));
  await page.goto(`${base}/donations/${ex.batch}?lang=${lang}#${fragment}`);
  await page.waitForSelector('#status[data-status]:not([data-status="loading"])', { timeout: 60_000 });
  return { page, errors, sent };
}

test('a gift receipt: verified, the nested proof, the share of every hop in the list and the diagram', async () => {
  const { page, errors, sent } = await open(server.url, `gift=${ex.index}&secret=${ex.receiptSecret}`);
  assert.is(await page.getAttribute('#status', 'data-status'), 'verified', (await page.textContent('#main')) ?? '');
  assert.is(await page.getAttribute('#gift', 'data-ok'), 'true');
  assert.is(await page.getAttribute('#gift-receipt', 'data-receipt'), 'matched');
  assert.match((await page.textContent('#gift-title')) ?? '', new RegExp(`Gift ${ex.index} of batch ${ex.batch}`));
  // gift → batch total → log → checkpoint
  const steps = await page.$$eval('#gift-proof li', (ls) => ls.map((l) => l.getAttribute('data-step')));
  assert.is(steps[0], 'leaf');
  assert.equal(steps.slice(-3), ['total', 'log', 'checkpoint']);
  assert.is(steps.length, expected.steps.length + 3);
  // the list of shares: exactly the verifier's
  const listed = await page.$$eval('#gift-shares li[data-from]', (ls) => ls.map((l) => `${l.getAttribute('data-from')}>${l.getAttribute('data-to')}=${l.getAttribute('data-share')}`));
  assert.equal(listed, expected.shares.map((s) => `${s.from}>${s.to}=${s.share}`));
  const sharesText = (await page.textContent('#gift-shares')) ?? '';
  assert.match(sharesText, /your share \S+\s?[0-9.]+ of \S+\s?[0-9,.]+/, sharesText);
  // the diagram: each band labelled with the gift's share, the cards say it too
  const bands = await page.$$eval('.sankey .flow-labels text[data-kind="flow"]', (ts) =>
    ts.map((x) => `${x.getAttribute('data-from')}>${x.getAttribute('data-to')}=${x.querySelector('.gift-share')?.getAttribute('data-share') ?? '-'}`),
  );
  for (const s of expected.shares) assert.ok(bands.includes(`${s.from}>${s.to}=${s.share}`), `band ${s.from} → ${s.to}: ${bands.join(' ')}`);
  const cards = await page.$$eval('.sankey .c-gift', (ts) => ts.map((x) => x.textContent ?? ''));
  assert.ok(cards.some((c) => /^Your gift: /.test(c)), cards.join(' | '));
  assert.ok(cards.some((c) => /^Your share: /.test(c)), cards.join(' | '));
  // the list of the path, in words
  const inList = await page.$$eval('#path-list .gift-share', (ss) => ss.map((x) => x.getAttribute('data-share')));
  assert.is(inList[0], ex.amount.value, 'the batch step says the gift itself');
  assert.ok(inList.length >= expected.shares.length, inList.join(' '));
  assert.equal(errors, []);
  assert.not.ok(sent.some((r) => r.includes(ex.receiptSecret)), 'the secret was sent');
  await page.close();
});

test('a wrong secret: a calm mismatch, the gift still proven', async () => {
  const { page, errors } = await open(server.url, `gift=${ex.index}&secret=not-my-secret`);
  assert.is(await page.getAttribute('#status', 'data-status'), 'mismatch');
  assert.is(await page.getAttribute('#gift-receipt', 'data-receipt'), 'mismatch');
  assert.ok((await page.$('#receipt-input')) !== null, 'the form to try again');
  assert.equal(errors, []);
  await page.close();
});

test('a tampered gift answer fails with its code', async () => {
  const { page } = await open(proxy.url, `gift=${ex.index}&secret=${ex.receiptSecret}`);
  assert.is(await page.getAttribute('#status', 'data-status'), 'failed');
  assert.is(await page.getAttribute('#gift', 'data-ok'), 'false');
  assert.ok((await page.$('#gift-problems [data-code="root_mismatch"]')) !== null, (await page.textContent('#gift')) ?? '');
  assert.is(await page.$('#gift-shares'), null, 'no shares from an unproven gift');
  await page.close();
});

test('in Chinese and Thai', async () => {
  for (const [lang, re] of [['zh-CN', /[\u4e00-\u9fff]/], ['th', /[\u0e00-\u0e7f]/]] as const) {
    const { page, errors } = await open(server.url, `gift=${ex.index}&secret=${ex.receiptSecret}`, lang);
    assert.is(await page.getAttribute('#status', 'data-status'), 'verified');
    for (const sel of ['#gift-title', '#gift-receipt', '#gift-shares']) assert.match((await page.textContent(sel)) ?? '', re, `${lang} ${sel}`);
    assert.equal(errors, []);
    await page.close();
  }
});

test.after(async () => {
  await ctx?.close();
  await proxy?.close();
  await server?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  fs.rmSync(root, { recursive: true, force: true });
});
test.run();
