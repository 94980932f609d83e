// "Check a document" on the donor page (issue 12 item 10), in a real browser: a receipt
// file picked in the file input, and an evidence file dropped on the box, are hashed with
// WebCrypto in the page and matched against the proven hashes of the path; another file
// matches none; the file's bytes are never sent anywhere (every request is watched).
import crypto from 'node:crypto';
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BrowserContext, Page } from 'playwright-core';
import { testServer } from '../helpers/server.ts';
import { cny, donor, ev, newOrg, type Org } from '../helpers/events.ts';
import { launchBrowser, watchErrors } from './helpers.ts';

const INVOICE = Buffer.from('%PDF-1.4 invoice 2020-07: 236 water filters, CNY 45.00\n');
const PHOTO = Buffer.from('JPEG: 236 water filters installed in 236 schools');
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const DONATION = 'gift-doc-1';

type Server = Awaited<ReturnType<typeof testServer>>;
let server: Server;
let ctx: BrowserContext;
let profile: string;

test('setup: a donation whose money was paid with a receipt and confirmed with evidence; Chromium', async () => {
  const browser = launchBrowser();
  browser.catch(() => {});
  server = await testServer();
  const op: Org = { id: 'operator', signerKey: server.operatorKey, verifierKey: '' };
  const ch = newOrg('charity-d');
  const py = newOrg('payee-d');
  const accept = async (events: unknown[]) => {
    const r = await server.client.post(events);
    assert.ok(Array.isArray(r.body) && r.body.every((x: { status: number }) => x.status === 201), JSON.stringify(r.body));
  };
  await accept([
    ev(op, 'org.register', { org: ch.id, name: 'Charity D', roles: ['charity'], keys: [ch.verifierKey] }),
    ev(op, 'org.register', { org: py.id, name: 'Water filters Ltd', roles: ['payee'], keys: [py.verifierKey] }),
    ev(ch, 'fund.open', { fund: 'water-d', name: 'Water', currency: 'CNY', restricted: false, purpose: 'water filters' }),
    ev(ch, 'donation', { fund: 'water-d', amount: cny(10000), donor: donor(DONATION), channel: 'counter' }, DONATION),
    ev(ch, 'disbursement', { fund: 'water-d', amount: cny(4500), payee: py.id, purpose: 'water filters', receipts: [{ sha256: sha(INVOICE), name: 'invoice-2020-07.pdf' }] }, 'dis-d'),
  ]);
  await accept([ev(py, 'confirmation', { disbursement: 'dis-d', statement: 'installed', evidence: [{ sha256: sha(PHOTO), name: 'photo-1.jpg' }] }, 'conf-d')]);
  ({ ctx, profile } = await browser);
});

async function open(): Promise<{ page: Page; errors: string[]; sent: string[] }> {
  const page = await ctx.newPage();
  const errors = watchErrors(page, [server.url + '/']);
  const sent: string[] = [];
  page.on('request', (r) => sent.push(`${r.url()} ${r.postData() ?? ''}`));
  await page.goto(`${server.url}/donations/${DONATION}?lang=en`);
  await page.waitForSelector('#document-input', { timeout: 60_000 });
  return { page, errors, sent };
}

const result = async (page: Page, want: 'yes' | 'no') => {
  await page.waitForSelector(`#document-result[data-match="${want}"]`, { timeout: 30_000 });
  return (await page.textContent('#document-result')) ?? '';
};

test('a receipt picked in the file input matches the proven receipt of the payment', async () => {
  const { page, errors, sent } = await open();
  assert.match((await page.textContent('#document-check')) ?? '', /compared with the 2 documents proven on this path/);
  await page.setInputFiles('#document-input', { name: 'my-invoice.pdf', mimeType: 'application/pdf', buffer: INVOICE });
  const text = await result(page, 'yes');
  assert.match(text, /my-invoice\.pdf is the receipt “invoice-2020-07\.pdf” of the payment dis-d, proven in the log/);
  assert.is(await page.getAttribute('#document-result', 'data-sha256'), sha(INVOICE));
  // Another file: no match, its hash shown.
  await page.setInputFiles('#document-input', { name: 'other.pdf', mimeType: 'application/pdf', buffer: Buffer.concat([INVOICE, Buffer.from('x')]) });
  const none = await result(page, 'no');
  assert.match(none, /other\.pdf matches none of the 2 documents proven on this path/);
  assert.ok(none.includes(sha(Buffer.concat([INVOICE, Buffer.from('x')]))), none);
  assert.equal(errors, []);
  for (const r of sent) assert.not.ok(r.includes('invoice 2020-07'), `the file was sent: ${r.slice(0, 200)}`);
  await page.close();
});

test('evidence dropped on the box matches the proven evidence of the confirmation', async () => {
  const { page, errors } = await open();
  await page.evaluate((bytes: number[]) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'IMG_0001.jpg', { type: 'image/jpeg' }));
    document.querySelector('#document-drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, [...PHOTO]);
  const text = await result(page, 'yes');
  assert.match(text, /IMG_0001\.jpg is the delivery evidence “photo-1\.jpg” of the confirmation conf-d/);
  assert.equal(errors, []);
  await page.close();
});

test('teardown', async () => {
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
  await server.close();
});

test.run();
