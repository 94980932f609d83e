// @cotc/verify in headless Chromium, for its speed (issue 9: a 10,000-entry bundle in under
// 2 s): esbuild bundles the package for the browser, a small HTTP server on 127.0.0.1 (a
// secure context, so WebCrypto is there) serves it with the bundles to verify, and the page
// times verifyBundle itself (performance.now around the call; the JSON parse is not timed).
// Shared by test/verify/speed.test.ts and scripts/bench-verify.ts.
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { fromBase64, fromUtf8, parseVerifierKey, hex } from '@cotc/tlog';
import { signingBytes, splitSig, type Envelope } from '@cotc/ledger';
import { CHROMIUM, FLAGS } from '../web/helpers.ts';
import type { LargeBundle } from './large.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const ENTRY = `
import { verifyBundle, sigEngine } from './src/index.ts';
const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const fromHex = (s) => Uint8Array.from(s.match(/../g), (x) => parseInt(x, 16));
globalThis.cotcBench = {
  async verify(name, engine) {
    const meta = await (await fetch('/meta/' + name)).json();
    const bundle = await (await fetch('/bundle/' + name)).json();
    const used = (await sigEngine(engine)).name;
    const t0 = performance.now();
    const r = await verifyBundle(bundle, { logKey: meta.logKey, donation: meta.donation, engine });
    return { ms: performance.now() - t0, ok: r.ok, problems: r.problems.slice(0, 3), engine: used };
  },
  // The ceiling: the same signatures, WebCrypto verify alone (keys imported first).
  async raw(name) {
    const sigs = await (await fetch('/sigs/' + name)).json();
    const keys = new Map();
    for (const s of sigs) if (!keys.has(s.pub)) keys.set(s.pub, await crypto.subtle.importKey('raw', fromHex(s.pub), { name: 'Ed25519' }, false, ['verify']));
    const items = sigs.map((s) => [keys.get(s.pub), b64(s.sig), b64(s.msg)]);
    const t0 = performance.now();
    const oks = await Promise.all(items.map(([k, sig, msg]) => crypto.subtle.verify({ name: 'Ed25519' }, k, sig, msg)));
    return { ms: performance.now() - t0, ok: oks.every(Boolean) };
  },
};
`;

/** The bundle's event signatures as {pub, msg, sig} (hex / base64), for the raw ceiling. */
export function signaturesOf(b: LargeBundle): Array<{ pub: string; msg: string; sig: string }> {
  const entries = b.bundle.entries.map((e) => JSON.parse(fromUtf8(fromBase64(e.data))) as { event: Envelope });
  const pubs = new Map<string, Uint8Array>();
  for (const { event } of entries) {
    const body = event.body as { org?: string; keys?: string[] };
    if (event.type === 'org.register') for (const k of body.keys ?? []) pubs.set(body.org!, parseVerifierKey(k).publicKey);
  }
  return entries.map(({ event }) => {
    const parts = splitSig(event.sig)!;
    return { pub: hex(pubs.get(event.org)!), msg: Buffer.from(signingBytes(event)).toString('base64'), sig: Buffer.from(parts.signature).toString('base64') };
  });
}

export interface Harness {
  verify(name: string, engine: 'auto' | 'webcrypto' | 'noble'): Promise<{ ms: number; ok: boolean; problems: unknown[]; engine: string }>;
  raw(name: string): Promise<{ ms: number; ok: boolean }>;
  /** verify() under Chromium's CPU profiler (DevTools protocol): the .cpuprofile JSON. */
  profile(name: string, engine: 'auto' | 'webcrypto' | 'noble'): Promise<unknown>;
  version: string;
  close(): Promise<void>;
}

/** Serves `bundles` by name and opens a Chromium page on them. */
export async function startHarness(bundles: Map<string, LargeBundle>): Promise<Harness> {
  const js = (
    await build({
      stdin: { contents: ENTRY, resolveDir: path.join(root, 'packages', 'verify'), loader: 'ts' },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      write: false,
      logLevel: 'silent',
    })
  ).outputFiles[0]!.text;
  const bodies = new Map<string, { type: string; body: string }>();
  bodies.set('/', { type: 'text/html', body: '<!doctype html><meta charset="utf-8"><title>verify bench</title><script src="/bench.js"></script>' });
  bodies.set('/bench.js', { type: 'text/javascript', body: js });
  for (const [name, b] of bundles) {
    bodies.set(`/bundle/${name}`, { type: 'application/json', body: JSON.stringify(b.bundle) });
    bodies.set(`/meta/${name}`, { type: 'application/json', body: JSON.stringify({ logKey: b.logKey, donation: b.donation }) });
    // The raw ceiling needs the keys of the bundle's org.register entries (v1); a v2 bundle proves keys by the map instead.
    if (b.bundle.version === 1) bodies.set(`/sigs/${name}`, { type: 'application/json', body: JSON.stringify(signaturesOf(b)) });
  }
  const server = http.createServer((req, res) => {
    const hit = bodies.get(req.url ?? '');
    if (!hit) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': hit.type, 'cache-control': 'no-store' }).end(hit.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000 });
    const page: Page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as { cotcBench?: unknown }).cotcBench !== undefined);
    const version = browser.version();
    return {
      version,
      verify: (name, engine) => page.evaluate(([n, e]) => (globalThis as any).cotcBench.verify(n, e), [name, engine] as const),
      raw: (name) => page.evaluate((n) => (globalThis as any).cotcBench.raw(n), name),
      async profile(name, engine) {
        const cdp = await page.context().newCDPSession(page);
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
        await cdp.send('Profiler.start');
        await page.evaluate(([n, e]) => (globalThis as any).cotcBench.verify(n, e), [name, engine] as const);
        const { profile } = await cdp.send('Profiler.stop');
        await cdp.detach();
        return profile;
      },
      async close() {
        await browser?.close();
        await new Promise((r) => server.close(r));
      },
    };
  } catch (e) {
    await browser?.close();
    server.close();
    throw e;
  }
}
