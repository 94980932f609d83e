// The static mirror (src/mirror/) served by a real nginx (Debian's, started here on a free
// port with the config of src/mirror/nginx.ts) answers `cotc verify --server` and `cotc
// audit --tiles` exactly as the API does, before and after the log grows (the second pass
// incremental: full tiles untouched, consistency computed from the mirror's tiles), and the
// donor page loads and verifies a donation from it in headless Chromium (and the log page's
// event search, from the /v1/events files); a tampered tile on the mirror is caught by the
// audit; the content types and caching headers are the API's; an event file is written once
// and stays a proof (against the checkpoint of the pass that wrote it).
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromBase64, fromHex, hashTilePath, leafHash, newTiles, openNote, parseCheckpoint, verifyInclusion } from '@cotc/tlog';
import { giftDonorCommitment } from '@cotc/ledger';
import { testServer, tempDir } from '../helpers/server.ts';
import { cny, donor, ev, newOrg, sha, type Org } from '../helpers/events.ts';
import { startNginx, type Nginx } from '../helpers/nginx.ts';
import { launchBrowser, watchErrors } from '../web/helpers.ts';
import { mirrorPass, type Page as WebPage } from '../../src/mirror/mirror.ts';
import { webBuild } from '../../src/web/serve.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let s: Awaited<ReturnType<typeof testServer>>;
let ngx: Nginx;
let out: string;
let page: WebPage;
const work = tempDir('cotc-mirror-test-');
const operator: Org = { id: 'operator', signerKey: '', verifierKey: '' };
const charity = newOrg('mx-charity');
const school = newOrg('mx-school');
const auditor = newOrg('mx-auditor');
const platform = newOrg('mx-shop');
const BATCH = 'mx-gifts-2020';
const DONATION = 'mx-d7';
let firstEvent = ''; // entry 0's id

/** An event file's answer checked as the page's event search checks it: the checkpoint is
 * signed by the log key, the entry is event `id`, and its inclusion proof leads to the root. */
function provenEvent(answer: any, id: string): { index: number; size: number } {
  const cp = parseCheckpoint(openNote(answer.checkpoint, [s.log.verifierKey]).text);
  const bytes = fromBase64(answer.entry.data);
  assert.is(JSON.parse(Buffer.from(bytes).toString('utf8')).event.id, id);
  assert.is(answer.proof.size, cp.size);
  assert.ok(verifyInclusion(leafHash(bytes), answer.entry.index, cp.size, answer.proof.hashes.map((h: string) => fromHex(h)), cp.root), `inclusion of ${id}`);
  return { index: answer.entry.index, size: cp.size };
}

interface Run {
  code: number;
  out: string;
  err: string;
}
function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env: { ...process.env, XDG_STATE_HOME: path.join(work, 'xdg'), FORCE_COLOR: '0' }, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
      resolve({ code, out: stdout, err: stderr });
    });
  });
}
/** POST, once more on a network error: a keep-alive socket the server closed while the
 * test was signing (a repost of identical events is answered 200, appended once). */
async function post(body: unknown) {
  try {
    return await s.client.post(body as never);
  } catch (e) {
    if ((e as { code?: string }).code !== 'network') throw e;
    return s.client.post(body as never);
  }
}
const ok = (r: { status: number; body: any }) => {
  if (r.status !== 201 && r.status !== 200) throw new Error(`setup: ${r.status} ${JSON.stringify(r.body)}`);
  if (Array.isArray(r.body)) for (const x of r.body) if (x.status !== 201 && x.status !== 200) throw new Error(`setup: ${JSON.stringify(x)}`);
};
let k = 0;
async function donations(n: number) {
  const batch = Array.from({ length: n }, () => {
    const id = `mx-d${k++}`;
    return ev(charity, 'donation', { fund: 'mx-water', amount: cny(100 + k), donor: donor(id), channel: 'goods-for-good' }, id);
  });
  ok(await post(batch));
}
/** The verdict lines of `verify` (what differs between two addresses is only timing). */
const verdict = (r: Run) => r.out.split('\n').filter((l) => /^(VERIFIED|FAILED)/.test(l)).join('\n');
const auditLine = (r: Run) => (/clean\. (\d+ (?:new )?entries) .*checkpoint (\d+) root ([0-9a-f]{64})(, consistent with checkpoint \d+ seen before)?/.exec(r.out) ?? []).slice(1).join(' ');

test.before(async () => {
  try {
    s = await testServer(path.join(work, 'data'));
    operator.signerKey = s.operatorKey;
    const reg = (o: Org, roles: string[]) => ev(operator, 'org.register', { org: o.id, name: o.id, roles: roles as never, keys: [o.verifierKey] });
    ok(await post([reg(charity, ['charity']), reg(school, ['payee']), reg(auditor, ['auditor']), reg(platform, ['platform'])]));
    ok(await post(ev(charity, 'fund.open', { fund: 'mx-water', name: 'Water filters', currency: 'CNY', restricted: true, purpose: 'filters for 236 schools' })));
    ok(await post(ev(school, 'fund.open', { fund: 'mx-school', name: 'School water', currency: 'CNY', restricted: true, purpose: 'install' })));
    await donations(150);
    await donations(150);
    // A gift batch (issue 15): its trace is mirrored like a donation's.
    const gifts = [3, 5, 1].map((a, i) => ({ amount: String(a), channel: 'goods-for-good', donor: giftDonorCommitment(BATCH, i, `secret-${i}`), measure: `item:sku-${i}` }));
    const stored = await fetch(`${s.url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ gifts }) });
    const root = ((await stored.json()) as { root: string }).root;
    ok(await post(ev(platform, 'gift.batch', { fund: 'mx-water', amount: cny(9), count: 3, root }, BATCH)));
    ok(await post(ev(charity, 'transfer', { from: 'mx-water', to: 'mx-school', amount: cny(5000), memo: 'grant' })));
    const d = ev(school, 'disbursement', { fund: 'mx-school', amount: cny(3000), payee: 'Filter Co', purpose: 'water filters', receipts: [{ sha256: sha('a'), name: 'invoice.pdf' }] });
    ok(await post(d));
    ok(await post(ev(auditor, 'confirmation', { disbursement: d.id, statement: '236 water filters installed', evidence: [{ sha256: sha('b'), name: 'photo.jpg' }] })));
    const b = await webBuild();
    page = { html: b.html, js: b.js, css: b.css, favicon: b.favicon };
    firstEvent = JSON.parse(Buffer.from((await s.log.entries(0, 1))[0]!).toString('utf8')).event.id;
    out = path.join(work, 'out');
    const r = await mirrorPass(s.log, out, { page });
    assert.is(r.size, s.log.size);
    // nginx's workers (as nobody, under root) read the tree: the temp dir must be traversable.
    fs.chmodSync(work, 0o755);
    ngx = await startNginx(out);
  } catch (e) {
    console.error('nginx.test setup failed', e);
    throw e;
  }
});
test.after(async () => {
  await ngx?.stop();
  await s?.close();
});

test('nginx serves the API’s content types and the C2SP caching headers; 404s carry the house error body', async () => {
  const cp = await fetch(`${ngx.url}/checkpoint`);
  assert.is(cp.status, 200);
  assert.is(cp.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.is(cp.headers.get('cache-control'), 'public, max-age=2');
  assert.is(await cp.text(), s.log.checkpoint);
  const tile = await fetch(`${ngx.url}/tile/0/000`);
  assert.is(tile.status, 200);
  assert.is(tile.headers.get('content-type'), 'application/octet-stream');
  assert.is(tile.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(new Uint8Array(await tile.arrayBuffer()), new Uint8Array(await (await fetch(`${s.url}/tile/0/000`)).arrayBuffer()));
  for (const p of ['/v1/log', `/v1/events/${DONATION}`, `/v1/events/${firstEvent}`, `/v1/donations/${DONATION}/trace`, '/v1/funds/mx-water', '/v1/orgs/mx-school', '/v1/donations?limit=8']) {
    const r = await fetch(ngx.url + p);
    assert.is(r.status, 200, p);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/, p);
    assert.is(r.headers.get('access-control-allow-origin'), '*', p);
    const api = await (await fetch(s.url + p)).json();
    const mine = await r.json();
    if (p.startsWith('/v1/donations?')) assert.equal(mine.donations.slice(0, 8), api.donations, p);
    else assert.equal(mine, api, p);
  }
  for (const p of ['/v1/funds/nope', '/v1/events/nope', '/v1/donations/nope/trace', '/tile/0/999', '/.cotc-mirror/state.json']) {
    const r = await fetch(ngx.url + p);
    assert.is(r.status, 404, p);
    assert.is((await r.json()).error.code, 'not_found', p);
  }
  const html = await fetch(`${ngx.url}/donations/${DONATION}`);
  assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(html.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.is((await fetch(`${ngx.url}/assets/app.js`)).headers.get('content-type'), 'text/javascript');
});

test('verify and audit --tiles: the mirror answers as the API; after growth the second pass is incremental and consistency comes from the tiles', async () => {
  const api1 = await cli(['verify', DONATION, '--server', s.url, '--state', path.join(work, 'api.json')]);
  const mir1 = await cli(['verify', DONATION, '--server', ngx.url, '--state', path.join(work, 'mirror.json')]);
  assert.is(api1.code, 0, api1.out + api1.err);
  assert.is(mir1.code, 0, mir1.out + mir1.err);
  assert.is(verdict(mir1), verdict(api1));
  // Each auditor its own saved replay state (else the second resumes from the first's).
  const viaTiles = ['--state', path.join(work, 'audit-mirror.json'), '--audit-state', path.join(work, 'replay-mirror')];
  const viaApi = ['--state', path.join(work, 'audit-api.json'), '--audit-state', path.join(work, 'replay-api')];
  const a1 = await cli(['audit', '--tiles', ngx.url, ...viaTiles]);
  const b1 = await cli(['audit', '--server', s.url, ...viaApi]);
  assert.is(a1.code, 0, a1.out + a1.err);
  assert.is(b1.code, 0, b1.out + b1.err);
  assert.ok(auditLine(a1).length > 0, a1.out);
  assert.is(auditLine(a1), auditLine(b1));

  // Grow the log; mirror again: only what the growth made.
  const before = s.log.size;
  const fullTile = path.join(out, hashTilePath(0, 0));
  const st0 = fs.statSync(fullTile);
  const eventFile = path.join(out, 'v1/events', DONATION);
  const ev0 = fs.statSync(eventFile);
  await donations(40);
  const grant = ev(charity, 'transfer', { from: 'mx-water', to: 'mx-school', amount: cny(700), memo: 'second grant' });
  ok(await post(grant));
  const r2 = await mirrorPass(s.log, out, { page });
  assert.is(r2.from, before);
  assert.is(r2.size, s.log.size);
  assert.is(r2.tiles, newTiles(before, s.log.size).length);
  // One event file per new entry; the old ones are not rewritten and still prove their
  // event, at the first pass's checkpoint; a new one is the API's answer at this head.
  assert.is(r2.events, s.log.size - before);
  const ev1 = fs.statSync(eventFile);
  assert.is(ev1.ino, ev0.ino, 'an event file is written once');
  assert.is(ev1.mtimeMs, ev0.mtimeMs);
  const old = await (await fetch(`${ngx.url}/v1/events/${DONATION}`)).json();
  assert.is(provenEvent(old, DONATION).size, before);
  const fresh = await (await fetch(`${ngx.url}/v1/events/${grant.id}`)).json();
  assert.equal(provenEvent(fresh, grant.id), { index: s.log.size - 1, size: s.log.size });
  assert.equal(fresh, await (await fetch(`${s.url}/v1/events/${grant.id}`)).json());
  const st1 = fs.statSync(fullTile);
  assert.is(st1.ino, st0.ino, 'a full tile is never rewritten');
  assert.is(st1.mtimeMs, st0.mtimeMs);
  // The partial tile of the first pass is gone once full (here: level 0 tile 1 is still partial; its old width is kept until then).
  assert.ok(fs.existsSync(path.join(out, hashTilePath(0, 1, s.log.size - 256))));

  const api2 = await cli(['verify', DONATION, '--server', s.url, '--state', path.join(work, 'api.json')]);
  const mir2 = await cli(['verify', DONATION, '--server', ngx.url, '--state', path.join(work, 'mirror.json')]);
  assert.is(api2.code, 0, api2.out + api2.err);
  assert.is(mir2.code, 0, mir2.out + mir2.err);
  assert.match(verdict(mir2), new RegExp(`consistent with checkpoint ${before} seen before`));
  assert.is(verdict(mir2), verdict(api2));
  // A gift batch's trace, from the mirror as from the API.
  const batchApi = await cli(['verify', BATCH, '--server', s.url, '--state', path.join(work, 'api.json')]);
  const batchMir = await cli(['verify', BATCH, '--server', ngx.url, '--state', path.join(work, 'mirror.json')]);
  assert.is(batchMir.code, 0, batchMir.out + batchMir.err);
  assert.is(verdict(batchMir), verdict(batchApi));
  // One log at two addresses: a checkpoint seen at the API, checked against the mirror.
  const cross = await cli(['verify', 'mx-d3', '--server', ngx.url, '--state', path.join(work, 'api.json')]);
  assert.is(cross.code, 0, cross.out + cross.err);
  const a2 = await cli(['audit', '--tiles', ngx.url, ...viaTiles]);
  const b2 = await cli(['audit', '--server', s.url, ...viaApi]);
  assert.is(a2.code, 0, a2.out + a2.err);
  assert.match(auditLine(a2), new RegExp(`consistent with checkpoint ${before} seen before`));
  assert.is(auditLine(a2), auditLine(b2));
});

test('audit --tiles catches a mirror whose hash tile is not the entries’ tree', async () => {
  const p = path.join(out, hashTilePath(0, 0));
  const good = fs.readFileSync(p);
  const bad = Buffer.from(good);
  bad[100]! ^= 1;
  fs.writeFileSync(p, bad);
  try {
    const r = await cli(['audit', '--tiles', ngx.url, '--state', path.join(work, 'audit-tampered.json'), '--audit-state', path.join(work, 'replay-tampered')]);
    assert.is(r.code, 1, r.out + r.err);
    assert.match(r.out + r.err, /tile\/0\/000 does not hold the hashes of the entries/);
  } finally {
    fs.writeFileSync(p, good);
  }
});

test('the donor page from nginx loads and verifies a donation, and again after the mirror moves on', async () => {
  const { ctx, profile } = await launchBrowser();
  try {
    const tab = await ctx.newPage();
    const errors = watchErrors(tab, [ngx.url + '/']);
    const asked: string[] = [];
    tab.on('request', (r) => asked.push(new URL(r.url()).pathname));
    await tab.goto(`${ngx.url}/donations/${DONATION}`);
    await tab.waitForSelector('#status[data-status="verified"]', { timeout: 30_000 });
    assert.match((await tab.textContent('#status')) ?? '', /Verified/);
    // The page remembers this checkpoint; the log grows; the mirror follows; the page
    // checks the new checkpoint against the remembered one with a proof from the tiles.
    await donations(3);
    await mirrorPass(s.log, out, { page });
    await tab.reload();
    await tab.waitForSelector('#status[data-status="verified"]', { timeout: 30_000 });
    // The mirror has no proof endpoint (404, which Chromium logs): the proof came from tiles.
    assert.ok(asked.includes('/v1/proofs/consistency'), asked.join(' '));
    assert.ok(asked.some((p) => p.startsWith('/tile/')), asked.join(' '));
    // The log page's event search reads /v1/events/<id> and checks its proof.
    await tab.goto(`${ngx.url}/log`);
    await tab.fill('#event-id', DONATION);
    await tab.click('form[role="search"] button[type="submit"]');
    await tab.waitForSelector('[data-proven]', { timeout: 30_000 });
    assert.is(await tab.getAttribute('[data-proven]', 'data-proven'), 'true', (await tab.textContent('main')) ?? '');
    assert.ok(asked.includes(`/v1/events/${DONATION}`), asked.join(' '));
    assert.equal(errors.filter((e) => !/status of 404 \(Not Found\)/.test(e)), []);
  } finally {
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
});

test('cotc mirror on the data directory (server stopped): one more pass, nothing new to write but the page', async () => {
  await s.close();
  const r = await cli(['mirror', '--data', path.join(work, 'data'), '--out', out]);
  assert.is(r.code, 0, r.out + r.err);
  assert.match(r.out, new RegExp(`at size \\d+ \\(no new entries`));
  // --follow: a pass every --interval until SIGTERM, then exit 0.
  const follow = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'mirror', '--data', path.join(work, 'data'), '--out', out, '--follow', '--interval', '0.2', '--no-page'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let said = '';
  follow.stdout!.on('data', (d) => (said += d));
  follow.stderr!.on('data', (d) => (said += d));
  const exit = new Promise<number | null>((r) => follow.once('exit', (code) => r(code)));
  for (let i = 0; (said.match(/cotc mirror: /g) ?? []).length < 2; i++) {
    if (i > 1200 || follow.exitCode !== null) throw new Error(`mirror --follow: ${said}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  follow.kill('SIGTERM');
  assert.is(await exit, 0, said);
  assert.match(said, /no new entries/);
  const bad = await cli(['mirror', '--data', path.join(work, 'nothing-here'), '--out', out]);
  assert.is(bad.code, 2);
  assert.match(bad.err, /has no log.key/);
});

test.run();
