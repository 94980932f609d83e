// The donor page with trace bundles of wire format 2 (docs/wire-format-2.md §11), in headless
// Chromium: the page is served by a real server, and a proxy in front answers the log's key,
// checkpoint and traces from a v2 log built from the ledger's and the map's primitives
// (test/helpers/v2-story.ts), as a v2 server will. A honest v2 bundle opens verified, with the
// receipt matched, the orgs' and funds' names from the proven records and the operator-
// installed key said in words; a bundle with a hop left out (the trace rebuilt to match, so
// only the proven state can tell) fails with incomplete_trace on the page.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BrowserContext, Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/server.ts';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { launchBrowser, watchErrors, type Proxy } from './helpers.ts';
import { v2Story, type V2Story } from '../helpers/v2-story.ts';
import { decodeEntry, dropEntry } from '../helpers/v2-tamper.ts';

/** Answers `answers` by path itself (as a v2 server would, 200), forwards everything else (the page, its assets) to `target`. */
async function answering(target: string, answers: Map<string, string>): Promise<Proxy> {
  const t = new URL(target);
  const server = http.createServer((req, res) => {
    const a = answers.get((req.url ?? '').split('?')[0]!);
    if (a !== undefined) {
      res.writeHead(200, { 'content-type': a.startsWith('{') ? 'application/json' : 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(a);
      return;
    }
    const up = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', (e) => res.writeHead(502).end(String(e)));
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

interface Env {
  ctx: BrowserContext;
  profile: string;
  root: string;
  server: RunningServer;
  proxy: Proxy;
  story: V2Story;
}
let env: Env | undefined;
const need = (): Env => {
  if (!env) throw new Error('setup failed (see the first test)');
  return env;
};

test('setup: a server for the page, a proxy answering from a v2 log', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cotc-web-v2-'));
  const browser = launchBrowser();
  browser.catch(() => {});
  const story = await v2Story({ addedBy: true });
  const answers = new Map<string, string>();
  answers.set('/v1/log', JSON.stringify({ origin: story.log.origin, size: story.log.size, key: story.log.logKey }));
  answers.set('/checkpoint', await story.log.checkpoint());
  for (const d of ['d1', 'd2', 'd3']) answers.set(`/v1/donations/${d}/trace`, JSON.stringify(await story.log.bundle(d)));
  const b = await story.log.bundle('d2');
  const pay1 = b.entries.find((e) => decodeEntry(e).event.id === 'pay2')!.index;
  answers.set('/v1/donations/d2-hidden/trace', JSON.stringify(dropEntry(b, pay1)));
  const server = await startServer(path.join(root, 'data'), { port: 0, host: '127.0.0.1', logLevel: 'silent' });
  const proxy = await answering(server.url, answers);
  const { ctx, profile } = await browser;
  env = { ctx, profile, root, server, proxy, story };
});

/** Waits for the page's verdict and says it (with the problems shown) when it is not `want`. */
async function verdict(page: Page, want: string): Promise<void> {
  await page.waitForSelector('#status:not([data-status="loading"])', { timeout: 60_000 });
  const got = await page.getAttribute('#status', 'data-status');
  if (got !== want) assert.unreachable(`status ${got}, not ${want}: ${await page.textContent('#status')} ${(await page.$('#problems')) ? await page.textContent('#problems') : ''}`);
}

async function open(url: string): Promise<{ page: Page; errors: string[] }> {
  const { ctx, proxy } = need();
  const page = await ctx.newPage();
  const errors = watchErrors(page, [proxy.url + '/']);
  await page.goto(url);
  return { page, errors };
}

test('a v2 bundle opens verified: receipt matched, names from the proven records, the operator-installed key said', async () => {
  const { proxy } = need();
  const { page, errors } = await open(`${proxy.url}/donations/d1#secret=secret-d1`);
  await verdict(page, 'verified');
  assert.is(await page.getAttribute('#receipt', 'data-receipt'), 'matched');
  const text = (await page.textContent('main')) ?? '';
  for (const name of ['Sunshine Charity', 'Rural Schools', 'AquaPure Filters', 'School water']) assert.ok(text.includes(name), `the page names ${name}`);
  assert.is(await page.getAttribute('#operator-signed', 'data-count'), '2');
  assert.equal(errors, []);
  await page.close();
});

test('a v2 bundle with a hop left out fails on the page with incomplete_trace', async () => {
  const { proxy } = need();
  const { page, errors } = await open(`${proxy.url}/donations/d2-hidden`);
  await verdict(page, 'failed');
  const codes = await page.$$eval('#problems code', (xs) => xs.map((x) => x.textContent));
  assert.ok(codes.includes('incomplete_trace'), JSON.stringify(codes));
  assert.equal(errors, []);
  await page.close();
});

test('teardown', async () => {
  if (!env) return;
  await env.ctx.close();
  await env.proxy.close();
  await env.server.close();
  fs.rmSync(env.root, { recursive: true, force: true });
  fs.rmSync(env.profile, { recursive: true, force: true });
});

test.run();
