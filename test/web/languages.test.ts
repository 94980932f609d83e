// The donor page in Chinese, Thai and English, on a phone, in words people use (issue 12),
// in headless Chromium against the demo's ledger:
//  - the language from navigator.languages, the switcher, ?lang= remembered;
//  - every page rendered in th and zh-CN shows none of the English table's phrases;
//  - amounts as each locale writes them (¥ in zh-CN), times with UTC on hover;
//  - nothing scrolls sideways at 360 px (home, log, donation) in any language;
//  - names instead of slugs, and states that say what happened (refunded, delivered,
//    awaiting confirmation, still in fund);
//  - screenshots of the donation page per language, phone and desktop (docs/ with
//    UPDATE_DOCS_SCREENSHOT=1, else test-artifacts/).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BrowserContext, Page } from 'playwright-core';
import { createDemo, type DemoExample, type DemoSummary } from '../../src/demo/demo.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { TABLES, en } from '../../src/web/strings.ts';
import { ARTIFACTS, CHROMIUM, launchBrowser, watchErrors } from './helpers.ts';

interface Env {
  ctx: BrowserContext;
  profile: string;
  server: RunningServer;
  demo: DemoSummary;
  example: DemoExample;
  root: string;
}
let env: Env | undefined;
const need = (): Env => {
  if (!env) throw new Error('setup failed (see the first test)');
  return env;
};
const DOCS = path.resolve(ARTIFACTS, '..', 'docs');
const LANGS = ['en', 'zh-CN', 'th'] as const;

async function open(url: string, width = 1280, height = 900): Promise<{ page: Page; errors: string[] }> {
  const page = await need().ctx.newPage();
  await page.setViewportSize({ width, height });
  const errors = watchErrors(page, [need().server.url + '/']);
  await page.goto(url);
  return { page, errors };
}

async function donationPage(lang: string, width = 1280, height = 900, secret = true): Promise<{ page: Page; errors: string[] }> {
  const { server, example } = need();
  const r = await open(`${server.url}/donations/${example.id}?lang=${lang}${secret ? `#secret=${example.receiptSecret}` : ''}`, width, height);
  await r.page.waitForSelector('#status[data-status="verified"]', { timeout: 20_000 });
  return r;
}

/**
 * The English table's phrases (two or more words, placeholders and symbols taken out), to
 * be looked for on a page in another language.
 */
function englishPhrases(): string[] {
  const out = new Set<string>();
  for (const v of Object.values(en)) {
    for (const part of v.split(/\{[a-zA-Z]+\}|[—:;()✓✗⚠→…]/)) {
      const p = part.trim().replace(/[.,]+$/, '').trim();
      // (Commands such as "pnpm build:web" read the same in every language.)
      if (/[A-Za-z]{2,}[ ’'][A-Za-z]{2,}/.test(p) && p.length >= 8 && !/pnpm|GET \/v1/.test(p)) out.add(p);
    }
  }
  return [...out];
}

/** The page's visible words and its title/aria-label/placeholder texts, without code, hashes and the switcher. */
async function pageWords(page: Page): Promise<string> {
  // (A string: tsx would wrap the inner arrows in a helper the page does not have.)
  return page.evaluate(`(() => {
    const skip = (e) => !!e.closest('#lang, code, pre, .hash, noscript');
    const texts = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || skip(el)) continue;
      texts.push(n.textContent || '');
    }
    for (const el of Array.from(document.querySelectorAll('[title], [aria-label], [placeholder]'))) {
      if (skip(el)) continue;
      for (const a of ['title', 'aria-label', 'placeholder']) if (el.getAttribute(a)) texts.push(el.getAttribute(a));
    }
    return texts.join('\\n');
  })()`);
}

test('setup: Chromium, the demo ledger served', async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cotc-web-lang-'));
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: the browser tests need Debian's chromium (apt-get install -y chromium; .ci/run installs it)`);
  const browser = launchBrowser();
  browser.catch(() => {});
  const demo = await createDemo(path.join(root, 'data'), { donations: 120 });
  const server = await startServer(path.join(root, 'data'), { port: 0, host: '127.0.0.1', logLevel: 'silent' });
  const { ctx, profile } = await browser;
  const example = [...demo.examples].sort((a, b) => b.hops - a.hops)[0]!;
  env = { ctx, profile, server, demo, example, root };
});

test('the language follows navigator.languages; the switcher and ?lang= override it, remembered', async () => {
  const { server } = need();
  const page = await need().ctx.newPage();
  const errors = watchErrors(page, [server.url + '/']);
  // (A string: tsx would wrap a function's inner arrows in a helper the page does not have.)
  await page.addInitScript("Object.defineProperty(navigator, 'languages', { get: () => ['th-TH', 'th', 'en'] })");
  await page.goto(`${server.url}/`);
  await page.evaluate(() => localStorage.removeItem('cotc.lang'));
  await page.reload();
  await page.waitForSelector('#find');
  assert.is(await page.getAttribute('html', 'lang'), 'th');
  assert.is((await page.textContent('h1'))?.trim(), TABLES.th['home.title']);
  assert.is((await page.textContent('.brand'))?.trim(), TABLES.th['app.name']);
  // The switcher: each language by its own name, the current one marked.
  assert.equal(await page.$$eval('#lang a', (as) => as.map((a) => [a.textContent, a.getAttribute('aria-current')])), [['English', null], ['简体中文', null], ['ไทย', 'true']]);
  await page.click('#lang a[data-lang="zh-CN"]');
  await page.waitForURL(/\?lang=zh-CN/);
  await page.waitForSelector('#find');
  assert.is((await page.textContent('h1'))?.trim(), TABLES['zh-CN']['home.title']);
  // Remembered: the address without ?lang= stays in Chinese (navigator says Thai).
  await page.goto(`${server.url}/log`);
  await page.waitForSelector('#log-size');
  assert.is(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.is((await page.textContent('h1'))?.trim(), TABLES['zh-CN']['log.title']);
  // An unknown ?lang= changes nothing.
  await page.goto(`${server.url}/?lang=xx`);
  await page.waitForSelector('#find');
  assert.is(await page.getAttribute('html', 'lang'), 'zh-CN');
  await page.goto(`${server.url}/?lang=en`);
  await page.waitForSelector('#find');
  assert.is((await page.textContent('h1'))?.trim(), en['home.title']);
  assert.equal(errors, []);
  await page.close();
});

test('in th and zh-CN, home, log and donation pages show none of the English table’s phrases', async () => {
  const { server, example } = need();
  const phrases = englishPhrases();
  assert.ok(phrases.length > 150, `${phrases.length} phrases`);
  for (const lang of ['th', 'zh-CN'] as const) {
    for (const [name, url, ready] of [
      ['home', `${server.url}/?lang=${lang}`, '#recent li'],
      ['log', `${server.url}/log?lang=${lang}`, '#recent li'],
      ['donation', `${server.url}/donations/${example.id}?lang=${lang}#secret=${example.receiptSecret}`, '#status[data-status="verified"]'],
      ['donation, phone', `${server.url}/donations/${example.id}?lang=${lang}`, '#status[data-status="verified"]'],
    ] as const) {
      const { page, errors } = await open(url, name.includes('phone') ? 390 : 1280);
      await page.waitForSelector(ready, { timeout: 20_000 });
      if (name.startsWith('donation')) {
        // A step's details too.
        await page.click(name.includes('phone') ? '#vpath .vcard.node-disbursement' : '.sankey .node-disbursement');
        await page.waitForSelector('#details[data-event]');
      }
      const words = await pageWords(page);
      const english = phrases.filter((p) => words.includes(p));
      assert.equal(english, [], `${lang} ${name}: English left on the page`);
      assert.is(await page.getAttribute('html', 'lang'), lang);
      assert.equal(errors, [], `${lang} ${name}`);
      await page.close();
    }
  }
  // The check can fail: the English page has these phrases.
  const { page } = await donationPage('en');
  const words = await pageWords(page);
  assert.ok(phrases.filter((p) => words.includes(p)).length > 20);
  await page.close();
});

test('amounts as each locale writes them (Intl, ISO 4217 digits); times in the viewer’s zone, UTC on hover', async () => {
  const { example } = need();
  const major = `${example.amount.value.slice(0, -2) || '0'}.${example.amount.value.slice(-2).padStart(2, '0')}`;
  const want: Record<string, string> = {};
  for (const lang of LANGS) {
    const { page, errors } = await donationPage(lang);
    want[lang] = await page.evaluate(([l, v]) => new Intl.NumberFormat(l, { style: 'currency', currency: 'CNY', minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(v as unknown as number), [lang, major] as const);
    const amount = (await page.textContent('.summary .facts .fact:first-child dd'))?.trim();
    assert.is(amount, want[lang], lang);
    const time = page.locator('.summary time').first();
    assert.match((await time.getAttribute('title')) ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d.*UTC/);
    assert.is.not((await time.textContent())?.trim(), '');
    assert.equal(errors, []);
    await page.close();
  }
  assert.match(want['zh-CN']!, /^¥\d/, 'zh-CN writes ¥');
  assert.match(want.en!, /^CN¥\d/, 'en writes CN¥');
  assert.not.match(Object.values(want).join(' '), /CNY/);
  // Thai writes its own currency with ฿ (the same formatter).
  const { page } = await donationPage('th');
  assert.match(await page.evaluate(() => new Intl.NumberFormat('th', { style: 'currency', currency: 'THB' }).format(35.45)), /฿/);
  await page.close();
});

test('nothing scrolls sideways on a 360-px screen: home, log and donation pages, in every language', async () => {
  const { server, example } = need();
  for (const lang of LANGS) {
    for (const [name, url, ready] of [
      ['home', `${server.url}/?lang=${lang}`, '#recent li'],
      ['log', `${server.url}/log?lang=${lang}`, '#recent li'],
      ['donation', `${server.url}/donations/${example.id}?lang=${lang}#secret=${example.receiptSecret}`, '#status[data-status="verified"]'],
    ] as const) {
      const { page, errors } = await open(url, 360, 740);
      await page.waitForSelector(ready, { timeout: 20_000 });
      if (name === 'donation') {
        await page.click('#vpath .vcard.node-disbursement');
        await page.waitForSelector('#details[data-event]');
      }
      const w = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
      assert.ok(w.scroll <= w.inner, `${lang} ${name}: scrollWidth ${w.scroll} > innerWidth ${w.inner}`);
      assert.equal(errors, []);
      await page.close();
    }
  }
});

test('names instead of slugs; what happened: delivered or awaiting, refunded, still in fund', async () => {
  const { server, example, demo } = need();
  const { page, errors } = await donationPage('en');
  // The fund and the org by their registered names (the id on hover).
  const fund = page.locator('.summary .fact:has(dt:text("Into fund")) dd span');
  assert.is(await fund.getAttribute('title'), example.fund);
  assert.is.not((await fund.textContent())?.trim(), example.fund);
  // Every payment says whether its delivery is confirmed, and they do not look the same.
  const pays = await page.$$eval('.sankey .node-disbursement', (els) => els.map((e) => ({ state: e.getAttribute('data-state'), text: e.textContent ?? '', stroke: getComputedStyle(e.querySelector('.card')!).strokeDasharray })));
  assert.ok(pays.length > 0);
  for (const p of pays) {
    assert.ok(p.state === 'delivered' || p.state === 'awaiting' || p.state === 'returned', String(p.state));
    if (p.state === 'delivered') assert.match(p.text, /Delivered, confirmed by/);
    if (p.state === 'awaiting') {
      assert.match(p.text, /awaiting confirmation of delivery/);
      assert.not.match(p.text, /Delivered/);
      assert.is.not(p.stroke, 'none', 'an unconfirmed payment is drawn dashed');
    }
  }
  const confirmedBy = await page.$$eval('.sankey .node-confirmation', (els) => els.length);
  if (confirmedBy > 0) assert.ok(pays.some((p) => p.state === 'delivered'), 'a confirmed payment says delivered');
  // Money left in a fund says which fund, by name.
  const unspent = await page.$$eval('.sankey .node-unspent', (els) => els.map((e) => e.textContent ?? ''));
  for (const u of unspent) assert.match(u, /Still in fund /);
  assert.equal(errors, []);
  await page.close();

  // The refunded donation says refunded, not "paid out 0.00".
  const r = await open(`${server.url}/donations/${demo.refunded}`);
  await r.page.waitForSelector('#status[data-status="verified"]', { timeout: 20_000 });
  assert.match((await r.page.textContent('#refunded')) ?? '', /This donation was refunded/);
  assert.match((await r.page.textContent('#fact-refunded')) ?? '', /Refunded to the donor/);
  assert.is(await r.page.$('#fact-delivered'), null);
  assert.is(await r.page.getAttribute(`.sankey .node-donation`, 'data-state'), 'refunded');
  assert.equal(r.errors, []);
  await r.page.close();
});

test('a log key pasted into ?key= as it is (its + read as spaces) is still the key (issue 12)', async () => {
  const { server, example, demo } = need();
  assert.match(demo.logKey, /\+/);
  const { page, errors } = await open(`${server.url}/donations/${example.id}?key=${demo.logKey}`);
  await page.waitForSelector('#status[data-status="verified"]', { timeout: 20_000 });
  assert.is(await page.getAttribute('#key-source', 'data-source'), 'pinned');
  assert.is((await page.textContent('#log-key'))?.trim(), demo.logKey);
  // The page's own links repeat the key correctly.
  const nav = await page.getAttribute('#nav a[href^="/log"]', 'href');
  assert.is(new URLSearchParams(nav!.split('?')[1]).get('key'), demo.logKey);
  assert.equal(errors, []);
  await page.close();
});

test('screenshots: the donation page in each language, phone (390 px) and desktop', async () => {
  const write = process.env.UPDATE_DOCS_SCREENSHOT === '1';
  for (const lang of LANGS) {
    for (const [form, width, height] of [['phone', 390, 844], ['desktop', 1280, 900]] as const) {
      const { page, errors } = await donationPage(lang, width, height);
      await page.evaluate(() => document.fonts.ready);
      const file = path.join(write ? DOCS : ARTIFACTS, `donation-${lang}-${form}.png`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const bottom = await page.evaluate((f) => {
        const el = document.getElementById(f === 'phone' ? 'vdiagram' : 'diagram')!;
        return el.getBoundingClientRect().bottom + window.scrollY + 12;
      }, form);
      await page.screenshot({ path: file, fullPage: true, clip: { x: 0, y: 0, width, height: Math.min(bottom, form === 'phone' ? 2600 : 1800) } });
      const kb = fs.statSync(file).size / 1024;
      assert.ok(kb < 600, `${file} is ${kb.toFixed(0)} KB`);
      assert.equal(errors, []);
      await page.close();
    }
  }
});

test.after(async () => {
  if (!env) return;
  await env.ctx.close().catch(() => {});
  await env.server.close().catch(() => {});
  fs.rmSync(env.root, { recursive: true, force: true });
  fs.rmSync(env.profile, { recursive: true, force: true });
});

test.run();
