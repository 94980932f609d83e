// GET /tile/<L>/<N>[.p/<W>] and /tile/entries/<N>[.p/<W>] (C2SP tlog-tiles, src/http/tiles.ts)
// against a real server grown past two full tiles in batches of varied sizes: every tile
// of every checkpoint's tree is served at its width and gives that checkpoint's root and
// the server's own proofs; entry bundles hold the entries' exact bytes; widths no
// checkpoint had are 404; malformed paths 400; caching headers as the spec says; an entry
// too large for a bundle's uint16 length is a named 422.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  consistencyFromTiles,
  decodeEntryBundle,
  entriesPath,
  fromBase64,
  hashTilePath,
  hex,
  inclusionFromTiles,
  leafHash,
  newTiles,
  parseCheckpoint,
  rootFromTiles,
  tileWidthAt,
} from '@cotc/tlog';
import { testServer } from '../helpers/server.ts';
import { cny, donor, ev, newOrg, sha, type Org } from '../helpers/events.ts';

let s: Awaited<ReturnType<typeof testServer>>;
const operator: Org = { id: 'operator', signerKey: '', verifierKey: '' };
const charity = newOrg('tl-charity');
/** size → checkpoint root (hex), for every head the test saw committed */
const heads = new Map<number, string>();

async function head(): Promise<number> {
  const note = await (await fetch(s.url + '/checkpoint')).text();
  const cp = parseCheckpoint(note.slice(0, note.indexOf('\n\n') + 1));
  heads.set(cp.size, hex(cp.root));
  return cp.size;
}

const get = async (p: string) => {
  const r = await fetch(`${s.url}/${p}`);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`${p}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
};

test.before(async () => {
  try {
    s = await testServer();
    operator.signerKey = s.operatorKey;
    const ok = (r: { status: number; body: any }) => {
      if (r.status !== 201 && r.status !== 200) throw new Error(`setup: ${r.status} ${JSON.stringify(r.body)}`);
      if (Array.isArray(r.body)) for (const x of r.body) if (x.status !== 201) throw new Error(`setup: ${JSON.stringify(x)}`);
    };
    ok(await s.client.post(ev(operator, 'org.register', { org: charity.id, name: 'Tiles charity', roles: ['charity'], keys: [charity.verifierKey] })));
    ok(await s.client.post(ev(charity, 'fund.open', { fund: 'tl-fund', name: 'Fund', currency: 'CNY', restricted: false, purpose: 'tiles' })));
    await head();
    // Batches of varied sizes: heads inside tiles, on tile edges and across them.
    let k = 0;
    for (const n of [1, 5, 250, 1, 3, 255, 40, 2]) {
      const batch = Array.from({ length: n }, () => {
        const id = `tl-d${k++}`;
        return ev(charity, 'donation', { fund: 'tl-fund', amount: cny(100), donor: donor(id), channel: 'tiles' }, id);
      });
      ok(await s.client.post(batch));
      await head();
    }
  } catch (e) {
    console.error('tiles.test setup failed', e);
    throw e;
  }
});
test.after(async () => {
  await s?.close();
});

test('every checkpoint’s tree, read from the served tiles: its root, and the server’s consistency proofs', async () => {
  const sizes = [...heads.keys()].sort((a, b) => a - b);
  const last = sizes[sizes.length - 1]!;
  assert.ok(last > 512, `grown to ${last}`);
  for (const size of sizes) {
    assert.is(hex(await rootFromTiles(get, size)), heads.get(size), `root at ${size}`);
    if (size < last) {
      const want = (await s.client.get<{ hashes: string[] }>(`/v1/proofs/consistency?from=${size}&to=${last}`)).hashes;
      assert.equal((await consistencyFromTiles(get, size, last)).map(hex), want, `${size}→${last}`);
    }
  }
  // Inclusion from tiles = the server's proof in /v1/events/:id.
  const e = await s.client.get<{ entry: { index: number }; proof: { hashes: string[]; size: number } }>('/v1/events/tl-d300');
  assert.equal((await inclusionFromTiles(get, e.entry.index, e.proof.size)).map(hex), e.proof.hashes);
});

test('each tile of the head is served at its width with the spec’s headers; entry bundles hold the exact entry bytes', async () => {
  const size = await head();
  for (const t of newTiles(0, size)) {
    const r = await fetch(`${s.url}/${hashTilePath(t.l, t.n, t.w)}`);
    assert.is(r.status, 200, hashTilePath(t.l, t.n, t.w));
    assert.is(r.headers.get('content-type'), 'application/octet-stream');
    assert.is(r.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.is((await r.arrayBuffer()).byteLength, t.w * 32);
  }
  const { entries } = await s.client.get<{ entries: Array<{ index: number; data: string }> }>(`/v1/entries?start=0&limit=1000`);
  assert.is(entries.length, size);
  for (let n = 0; n * 256 < size; n++) {
    const w = tileWidthAt(0, n, size);
    const bundle = decodeEntryBundle((await get(entriesPath(n, w)))!);
    const leaves = (await get(hashTilePath(0, n, w)))!;
    assert.is(bundle.length, w);
    bundle.forEach((b, i) => {
      assert.is(Buffer.from(b).toString('base64'), entries[n * 256 + i]!.data, `entry ${n * 256 + i}`);
      assert.is(hex(leafHash(b)), hex(leaves.subarray(i * 32, i * 32 + 32)), `leaf ${n * 256 + i}`);
    });
  }
  const cp = await fetch(`${s.url}/checkpoint`);
  assert.is(cp.headers.get('content-type'), 'text/plain; charset=utf-8');
  const age = Number(/max-age=(\d+)/.exec(cp.headers.get('cache-control') ?? '')?.[1]);
  assert.ok(age >= 0 && age <= 5, `checkpoint cache-control ${cp.headers.get('cache-control')}`);
});

test('partial tiles only at widths a checkpoint had; full tiles only once full; 404 beyond the tree', async () => {
  const sizes = [...heads.keys()].sort((a, b) => a - b);
  const had = new Set(sizes.map((x) => x % 256));
  const last = sizes[sizes.length - 1]!;
  for (const size of sizes) {
    const w = size % 256;
    if (w > 0 && size >= 256) {
      assert.ok(await get(hashTilePath(0, Math.floor(size / 256), w)), `level 0 at ${size}`);
      assert.ok(await get(entriesPath(Math.floor(size / 256), w)), `bundle at ${size}`);
    }
  }
  // Widths of the last level-0 tile that no checkpoint had.
  const n = Math.floor(last / 256);
  let missing = 0;
  for (let w = 1; w < tileWidthAt(0, n, last); w++) {
    if (sizes.includes(n * 256 + w)) continue;
    const r = await fetch(`${s.url}/${hashTilePath(0, n, w)}`);
    assert.is(r.status, 404, `tile/0/${n}.p/${w}`);
    assert.is((await r.json()).error.code, 'not_found');
    assert.is((await fetch(`${s.url}/${entriesPath(n, w)}`)).status, 404);
    missing++;
  }
  assert.ok(missing > 0 && had.size > 1);
  // Level 1: width 1 and 2 were checkpoint widths (sizes 256..511 and ≥ 512); 3 never.
  assert.ok(await get(hashTilePath(1, 0, 1)));
  assert.ok(await get(hashTilePath(1, 0, 2)));
  assert.is((await fetch(`${s.url}/${hashTilePath(1, 0, 3)}`)).status, 404);
  // Not full yet, or beyond the tree.
  for (const p of [hashTilePath(0, n), hashTilePath(1, 0), entriesPath(n), hashTilePath(0, n + 1, 1), hashTilePath(3, 0, 1), hashTilePath(63, 0), 'tile/0/x009/x007/x199/x254/x740/992']) {
    const r = await fetch(`${s.url}/${p}`);
    assert.is(r.status, 404, p);
    assert.is((await r.json()).error.code, 'not_found', p);
  }
});

test('malformed tile paths: 400 bad_request with the error body', async () => {
  for (const p of ['tile/0/1', 'tile/0/x000/001', 'tile/00/000', 'tile/64/000', 'tile/0/000.p/0', 'tile/0/000.p/256', 'tile/0/000.p/', 'tile/entries/000.p/1x', 'tile/data/000', 'tile/0/x001', 'tile/-1/000']) {
    const r = await fetch(`${s.url}/${p}`);
    assert.is(r.status, 400, p);
    const b = await r.json();
    assert.is(b.error.code, 'bad_request', p);
    assert.match(b.error.message, /^path: /, p);
  }
});

test('an entry over 65,535 bytes: its bundle is 422 entry_too_large naming it; its hash tile is served', async () => {
  // 64 receipts named by 256 four-byte characters: about 70 KB of entry.
  const name = '\u{1D11E}'.repeat(256);
  const receipts = Array.from({ length: 64 }, (_, i) => ({ sha256: sha(String(i % 10)), name }));
  const d = ev(charity, 'disbursement', { fund: 'tl-fund', amount: cny(1), payee: 'Someone', purpose: 'big', receipts });
  const r = await s.client.post(d);
  assert.is(r.status, 201, JSON.stringify(r.body).slice(0, 300));
  const seq = (r.body as { seq: number }).seq;
  const size = await head();
  const n = Math.floor(seq / 256);
  const w = tileWidthAt(0, n, size);
  const res = await fetch(`${s.url}/${entriesPath(n, w)}`);
  assert.is(res.status, 422);
  const b = await res.json();
  assert.is(b.error.code, 'entry_too_large');
  assert.match(b.error.message, new RegExp(`entry ${seq} is \\d+ bytes`));
  assert.ok(await get(hashTilePath(0, n, w)));
  // The entry itself is still readable the other way.
  const e = await s.client.get<{ entries: Array<{ data: string }> }>(`/v1/entries?start=${seq}&limit=1`);
  assert.ok(fromBase64(e.entries[0]!.data).length > 65535);
});

test.run();
