// The donor page with a witness policy (issue 13), in headless Chromium: from the address
// (?witness=…&quorum=…) and baked into the static build; it says who witnessed the
// checkpoint in words, and refuses a checkpoint short of the policy's quorum.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cosignatureVerifier, generateCosignerKey, openNoteWith, parseSignerKey } from '@cotc/tlog';
import { startServer } from '../../src/server.ts';
import { startWitness } from '../../src/witness/server.ts';
import { openDataDir } from '../../src/log/datadir.ts';
import { writeStaticWeb } from '../../src/web/build.ts';
import { tempDir } from '../helpers/server.ts';
import { cny, donor, ev, type Org } from '../helpers/events.ts';
import { launchBrowser, watchErrors } from '../web/helpers.ts';

test('page: "Witnessed by w1.example and w2.example"; a policy the checkpoint misses is refused; the static build bakes the policy in', async () => {
  const dir = tempDir('cotc-wpage-');
  const dd = openDataDir(dir);
  const logKey = parseSignerKey(dd.logKey).verifierKey;
  const ws = [];
  for (const n of ['w1.example', 'w2.example']) ws.push(await startWitness({ dir: path.join(dir, n), name: n, logs: [logKey], port: 0, rateLimit: false }));
  const keys = ws.map((w) => w.witness.verifierKey);
  const s = await startServer(dir, { port: 0, logLevel: 'silent', witnesses: ws.map((w) => ({ url: w.url, key: w.witness.verifierKey })), checkpointIntervalMs: 50 });
  const { ctx, profile } = await launchBrowser();
  try {
    const op: Org = { id: 'operator', signerKey: dd.operatorKey, verifierKey: '' };
    assert.is((await s.log.submit(ev(op, 'fund.open', { fund: 'wp-f', name: 'F', currency: 'CNY', restricted: false, purpose: 'p' }))).status, 201);
    assert.is((await s.log.submit(ev(op, 'donation', { fund: 'wp-f', amount: cny(500), donor: donor('wp-d'), channel: 'x' }, 'wp-d'))).status, 201);
    const t0 = Date.now();
    while (Date.now() - t0 < 8000) {
      const cp = await (await fetch(`${s.url}/checkpoint`)).text();
      let n: string[] = [];
      try {
        n = openNoteWith(cp, keys.map((k) => cosignatureVerifier(k))).verified;
      } catch { /* not yet */ }
      if (n.length === 2 && cp.includes(`\n${s.log.size}\n`)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const page = await ctx.newPage();
    const errors = watchErrors(page, [s.url + '/']);
    const q = keys.map((k) => `witness=${encodeURIComponent(k)}`).join('&');
    await page.goto(`${s.url}/donations/wp-d?key=${encodeURIComponent(logKey)}&${q}`);
    await page.waitForSelector('#witnessed', { timeout: 30_000 });
    assert.is(await page.getAttribute('#witnessed', 'data-witnessed'), 'ok');
    const said = await page.textContent('#witnessed');
    assert.match(String(said), /Witnessed by w1\.example and w2\.example: 2 of the 2 independent witnesses/);
    assert.match(String(await page.textContent('#witnesses')), /Witnessed by w1\.example and w2\.example/);
    // The log's own page says it too.
    const pl = await ctx.newPage();
    await pl.goto(`${s.url}/log?key=${encodeURIComponent(logKey)}&${q}`);
    await pl.waitForSelector('#checkpoint-status', { timeout: 30_000 });
    assert.match(String(await pl.textContent('#witnesses')), /Witnessed by w1\.example and w2\.example/);
    // A 1-of-1 policy over a witness that never saw this log: refused, in words.
    const stranger = generateCosignerKey('stranger.example').verifierKey;
    const p2 = await ctx.newPage();
    await p2.goto(`${s.url}/donations/wp-d?key=${encodeURIComponent(logKey)}&witness=${encodeURIComponent(stranger)}&quorum=1`);
    await p2.waitForSelector('#witnessed', { timeout: 30_000 });
    assert.is(await p2.getAttribute('#witnessed', 'data-witnessed'), 'short');
    assert.match(String(await p2.textContent('#witnessed')), /Not witnessed enough: only 0 of the 1 witnesses/);
    assert.match(String(await p2.textContent('main')), /witness_quorum/);
    // The static build with the policy baked in (pnpm build:web OUT --witness K1 --witness K2).
    const out = path.join(dir, 'static');
    await writeStaticWeb(out, { minify: false, witnessPolicy: { witnesses: keys, quorum: 2 } });
    assert.match(fs.readFileSync(path.join(out, 'index.html'), 'utf8'), /<meta name="cotc-witness-policy" content="\{&quot;witnesses&quot;/);
    const p3 = await ctx.newPage();
    await p3.goto(`${pathToFileURL(path.join(out, 'index.html')).href}?server=${encodeURIComponent(s.url)}&key=${encodeURIComponent(logKey)}&donation=wp-d`);
    await p3.waitForSelector('#witnessed', { timeout: 30_000 });
    assert.is(await p3.getAttribute('#witnessed', 'data-witnessed'), 'ok');
    assert.equal(errors, []);
  } finally {
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
    await s.close();
    for (const w of ws) await w.close();
  }
});

test.run();
