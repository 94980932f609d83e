// Bounded read answers (issue 9, "resource exhaustion by a low-privilege org"): a trace
// bundle too large for one answer comes in pages, each a v1 bundle object against the same
// checkpoint; the pages together are exactly the one-piece bundle, which verifies; a
// cursor pins the checkpoint (writes between pages change nothing) and a forged or
// foreign cursor is 400 bad_request. /v1/entries stops at its byte cap and says where to
// continue.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKey } from '@cotc/tlog';
import { mergeTracePages, verifyBundle, isProblem } from '@cotc/verify';
import { testServer } from '../helpers/server.ts';
import { cny, donor, ev, newOrg, sha, type Org } from '../helpers/events.ts';
import { makeCursor, traceBundle, tracePage } from '../../src/log/bundle.ts';

type S = Awaited<ReturnType<typeof testServer>>;
let s: S;
let other: S;
const PAGE = 8 * 1024;
const ENTRIES_PAGE = 4 * 1024;
const operator: Org = { id: 'operator', signerKey: '', verifierKey: '' };
const charity = newOrg('pg-charity');
const payee = newOrg('pg-payee');
const auditors = [newOrg('pg-aud-1'), newOrg('pg-aud-2'), newOrg('pg-aud-3')];

async function ok(body: unknown) {
  const r = await s.client.post(body);
  const results = Array.isArray(r.body) ? r.body : [r.body];
  assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.body));
  for (const x of results) assert.ok(x.status === undefined || x.status === 201, JSON.stringify(x));
  return r;
}

async function get(path: string, server = s): Promise<{ status: number; body: any; bytes: number }> {
  const r = await fetch(server.url + path);
  const text = await r.text();
  return { status: r.status, body: JSON.parse(text), bytes: Buffer.byteLength(text) };
}

async function pages(id: string): Promise<Array<{ body: any; bytes: number }>> {
  const out = [];
  let url = `/v1/donations/${id}/trace`;
  for (let n = 0; n < 10_000; n++) {
    const r = await get(url);
    assert.is(r.status, 200, JSON.stringify(r.body).slice(0, 300));
    out.push(r);
    if (!r.body.page) return out;
    url = `/v1/donations/${id}/trace?cursor=${encodeURIComponent(r.body.page.next)}`;
  }
  throw new Error('pages never end');
}

test('setup: a donation bounced 40 times, disbursed, confirmed with large evidence by 4 orgs, its payee rotating keys', async () => {
  s = await testServer(undefined, { readLimits: { tracePageBytes: PAGE, entriesPageBytes: ENTRIES_PAGE } });
  other = await testServer(undefined, { readLimits: { tracePageBytes: PAGE } });
  operator.signerKey = s.operatorKey;
  const reg = (o: Org, roles: string[]) => ev(operator, 'org.register', { org: o.id, name: o.id, roles: roles as never, keys: [o.verifierKey] });
  await ok([reg(charity, ['charity']), reg(payee, ['payee']), ...auditors.map((a) => reg(a, ['auditor']))]);
  await ok([
    ev(charity, 'fund.open', { fund: 'pg-A', name: 'A', currency: 'CNY', restricted: false, purpose: 'p' }),
    ev(charity, 'fund.open', { fund: 'pg-B', name: 'B', currency: 'CNY', restricted: false, purpose: 'p' }),
    ev(charity, 'donation', { fund: 'pg-A', amount: cny(500), donor: donor('pg-d1'), channel: 'c' }, 'pg-d1'),
    ev(charity, 'donation', { fund: 'pg-A', amount: cny(500), donor: donor('pg-d2'), channel: 'c' }, 'pg-d2'),
  ]);
  const bounces = [];
  for (let i = 0; i < 40; i++) bounces.push(ev(charity, 'transfer', { from: i % 2 ? 'pg-B' : 'pg-A', to: i % 2 ? 'pg-A' : 'pg-B', amount: cny(1), memo: `bounce ${i}` }));
  await ok(bounces);
  await ok(ev(charity, 'disbursement', { fund: 'pg-A', amount: cny(600), payee: payee.id, purpose: 'filters', receipts: [] }, 'pg-pay'));
  const evidence = Array.from({ length: 8 }, (_, i) => ({ sha256: sha(String(i)), name: `photo-${i}-${'x'.repeat(200)}.jpg` }));
  await ok([payee, ...auditors].map((o) => ev(o, 'confirmation', { disbursement: 'pg-pay', statement: `delivered (${o.id})`, evidence })));
  await ok(ev(charity, 'donation', { fund: 'pg-B', amount: cny(5), donor: donor('pg-d3'), channel: 'c' }, 'pg-d3'));
  for (let i = 0; i < 20; i++) {
    const k = generateKey(payee.id);
    await ok(ev(payee, 'org.keys', { org: payee.id, add: [k.verifierKey], revoke: [payee.verifierKey] }));
    payee.signerKey = k.signerKey;
    payee.verifierKey = k.verifierKey;
  }
});

test('a trace over the byte cap comes in pages of one checkpoint that together are the bundle, and it verifies', async () => {
  assert.ok(s, 'setup ran');
  const whole = await traceBundle(s.log, 'pg-d1');
  assert.ok(whole);
  const ps = await pages('pg-d1');
  assert.ok(ps.length >= 4, `${ps.length} pages`);
  let last = -1;
  ps.forEach((p, i) => {
    const b = p.body;
    const isLast = i === ps.length - 1;
    assert.equal(Object.keys(b).sort(), isLast ? ['checkpoint', 'entries', 'trace', 'version'] : ['checkpoint', 'entries', 'page', 'version']);
    assert.is(b.version, 1);
    assert.is(b.checkpoint, ps[0]!.body.checkpoint, 'every page carries the identical checkpoint');
    assert.ok(b.entries.length >= 1, 'every page holds an entry');
    for (const e of b.entries) {
      assert.ok(e.index > last, 'entries strictly increase across pages');
      last = e.index;
    }
    const entryBytes = Buffer.byteLength(JSON.stringify(b.entries));
    if (b.entries.length > 1) assert.ok(entryBytes <= PAGE, `page ${i + 1}: ${entryBytes} bytes of entries`);
    if (isLast) assert.ok(p.bytes <= PAGE + Buffer.byteLength(JSON.stringify(b.trace)) + 1024, 'the last page is its entries plus the trace');
    else assert.ok(p.bytes <= PAGE + 1024, `page ${i + 1} is ${p.bytes} bytes`);
  });
  const merged = mergeTracePages(ps.map((p) => p.body));
  assert.not.ok(isProblem(merged), JSON.stringify(merged));
  assert.equal(JSON.parse(JSON.stringify(merged)), JSON.parse(JSON.stringify(whole)), 'the pages together are the one-piece bundle');
  const kinds = new Set(whole!.entries.map((e) => JSON.parse(Buffer.from(e.data, 'base64').toString()).event.type));
  for (const k of ['org.register', 'org.keys', 'fund.open', 'donation', 'transfer', 'disbursement', 'confirmation']) assert.ok(kinds.has(k), `the bundle holds ${k} entries`);
  assert.is(whole!.trace.nodes.filter((n) => n.type === 'transfer').length, 40);
  const r = await verifyBundle(merged, { logKey: s.log.verifierKey, donation: 'pg-d1' });
  assert.ok(r.ok, JSON.stringify(r.problems.slice(0, 5)));
});

/** The pages are not cut into more than the entries alone need, plus the last one. */
function notOverCut(got: any[], cap: number) {
  let greedy = 0;
  let fill = Infinity;
  for (const e of got.flatMap((b) => b.entries)) {
    const n = Buffer.byteLength(JSON.stringify(e)) + 1;
    if (fill + n > cap) {
      greedy++;
      fill = 0;
    }
    fill += n;
  }
  assert.ok(got.length <= greedy + 1, `${got.length} pages, the entries alone need ${greedy}`);
}

test('a trace that nearly fills the cap by itself: the last page is its tail that fits with the trace, the others full; the pages still make the bundle', async () => {
  const whole = (await traceBundle(s.log, 'pg-d1'))!;
  const T = Buffer.byteLength(JSON.stringify(whole.trace));
  for (let extra = 300; extra <= 6000; extra += 300) {
    const cap = T + extra;
    const got: any[] = [];
    let p = await tracePage(s.log, 'pg-d1', undefined, { pageBytes: cap });
    while (p) {
      got.push(JSON.parse(p.body));
      p = p.next === undefined ? null : await tracePage(s.log, 'pg-d1', p.next, { pageBytes: cap });
    }
    const last = got[got.length - 1];
    assert.ok(last.entries.length >= 1, 'the last page keeps an entry');
    for (const b of got.slice(0, -1)) if (b.entries.length > 1) assert.ok(Buffer.byteLength(JSON.stringify(b.entries)) <= cap);
    notOverCut(got, cap);
    const merged = mergeTracePages(got);
    assert.not.ok(isProblem(merged), JSON.stringify(merged));
    assert.equal(JSON.parse(JSON.stringify(merged)), JSON.parse(JSON.stringify(whole)));
  }
});

test('when entries and trace pass the cap together, a tail of entries moves to the last page (as many as fit)', async () => {
  const whole = (await traceBundle(s.log, 'pg-d1'))!;
  const traceBytes = Buffer.byteLength(JSON.stringify(whole.trace));
  const cap = traceBytes + 6000;
  const got: any[] = [];
  let p = await tracePage(s.log, 'pg-d1', undefined, { pageBytes: cap });
  while (p) {
    got.push(JSON.parse(p.body));
    p = p.next === undefined ? null : await tracePage(s.log, 'pg-d1', p.next, { pageBytes: cap });
  }
  const last = got[got.length - 1];
  assert.ok(last.entries.length >= 1);
  assert.ok(Buffer.byteLength(JSON.stringify(last)) <= cap, 'the last page, trace and all, is within the cap');
  assert.ok(last.entries.length > 1, 'the tail that fits with the trace moved there whole');
  notOverCut(got, cap);
  const merged = mergeTracePages(got);
  assert.not.ok(isProblem(merged));
  assert.equal(JSON.parse(JSON.stringify(merged)), JSON.parse(JSON.stringify(whole)));
});

test('a small trace is one page, exactly as before (no `page`)', async () => {
  const r = await get('/v1/donations/pg-d3/trace');
  assert.is(r.status, 200);
  assert.equal(Object.keys(r.body).sort(), ['checkpoint', 'entries', 'trace', 'version']);
  assert.equal(r.body, JSON.parse(JSON.stringify(await traceBundle(s.log, 'pg-d3'))));
  assert.is((await get('/v1/donations/pg-d3/trace', other)).status, 404, 'the other log has no such donation');
  const v = await verifyBundle(r.body, { logKey: s.log.verifierKey, donation: 'pg-d3' });
  assert.ok(v.ok, JSON.stringify(v.problems));
});

test('a cursor pins the checkpoint: writes between pages change nothing', async () => {
  const first = await get('/v1/donations/pg-d1/trace');
  const before = await pages('pg-d1');
  // More key rotations land in the payee's history (and so in this bundle) meanwhile.
  const k = generateKey(payee.id);
  await ok(ev(payee, 'org.keys', { org: payee.id, add: [k.verifierKey], revoke: [payee.verifierKey] }));
  payee.signerKey = k.signerKey;
  payee.verifierKey = k.verifierKey;
  assert.ok(s.log.size > JSON.parse(JSON.stringify(first.body.entries[0].proof)).size);
  const rest = [first];
  while (rest[rest.length - 1]!.body.page) {
    const r = await get(`/v1/donations/pg-d1/trace?cursor=${encodeURIComponent(rest[rest.length - 1]!.body.page.next)}`);
    assert.is(r.status, 200);
    assert.is(r.body.checkpoint, first.body.checkpoint);
    for (const e of r.body.entries) assert.is(e.proof.size, first.body.entries[0].proof.size, 'proofs against the pinned size');
    rest.push(r);
  }
  assert.equal(rest.map((p) => p.body), before.map((p) => p.body));
  // A fresh read is at the new size and has one more entry.
  const now = mergeTracePages((await pages('pg-d1')).map((p) => p.body));
  assert.not.ok(isProblem(now));
  const old = mergeTracePages(before.map((p) => p.body));
  assert.is((now as any).entries.length, (old as any).entries.length + 1);
});

test('witnessed logs: pages carry the exact published (cosigned) text of their first page, even when it is re-cosigned at the same size meanwhile', async () => {
  const h = s.log.committedHead();
  const cosigned = (t: string) => `${h.checkpoint}— witness.example/w1 ${Buffer.from(t.padEnd(72, '.')).toString('base64')}\n`;
  try {
    s.log.setPublished({ size: h.size, checkpoint: cosigned('first') });
    const got = [(await tracePage(s.log, 'pg-d1', undefined, { pageBytes: PAGE }))!];
    assert.is(got[0]!.checkpoint, cosigned('first'));
    s.log.setPublished({ size: h.size, checkpoint: cosigned('fresh timestamps') });
    while (got[got.length - 1]!.next) got.push((await tracePage(s.log, 'pg-d1', got[got.length - 1]!.next, { pageBytes: PAGE }))!);
    assert.ok(got.length > 2);
    for (const p of got) assert.is(p.checkpoint, cosigned('first'), 'every page: the text of the first');
    const again = (await tracePage(s.log, 'pg-d1', undefined, { pageBytes: PAGE }))!;
    assert.is(again.checkpoint, cosigned('fresh timestamps'), 'a new first page: the text published now');
    assert.is((await tracePage(s.log, 'pg-d1', again.next, { pageBytes: PAGE }))!.checkpoint, cosigned('fresh timestamps'));
  } finally {
    s.log.setPublished(null);
  }
});

test('a forged, altered or foreign cursor is 400 bad_request', async () => {
  const p1 = await get('/v1/donations/pg-d1/trace');
  const c: string = p1.body.page.next;
  const bad = async (path: string, server = s) => {
    const r = await get(path, server);
    assert.is(r.status, 400, `${path}: ${JSON.stringify(r.body)}`);
    assert.is(r.body.error.code, 'bad_request');
    assert.match(r.body.error.message, /cursor/);
  };
  await bad(`/v1/donations/pg-d1/trace?cursor=nonsense`);
  await bad(`/v1/donations/pg-d1/trace?cursor=`);
  await bad(`/v1/donations/pg-d1/trace?cursor=${'t'.repeat(300)}`);
  await bad(`/v1/donations/pg-d1/trace?cursor=${encodeURIComponent(c)}&cursor=${encodeURIComponent(c)}`);
  // Another donation's cursor.
  await bad(`/v1/donations/pg-d2/trace?cursor=${encodeURIComponent(c)}`);
  // The position or size altered (the MAC no longer matches).
  const parts = c.split('.');
  const altered = [parts[0], parts[1], (parseInt(parts[2]!, 36) + 1).toString(36), parts[3], parts[4]].join('.');
  await bad(`/v1/donations/pg-d1/trace?cursor=${encodeURIComponent(altered)}`);
  const resized = [parts[0], (parseInt(parts[1]!, 36) - 1).toString(36), ...parts.slice(2)].join('.');
  await bad(`/v1/donations/pg-d1/trace?cursor=${encodeURIComponent(resized)}`);
  // A cursor of another log (its own MAC key), even for a size both logs have.
  const foreign = makeCursor(other.log, 'pg-d1', other.log.size, 0);
  await bad(`/v1/donations/pg-d1/trace?cursor=${encodeURIComponent(foreign)}`);
  await bad(`/v1/donations/pg-d1/trace?cursor=${encodeURIComponent(c)}`, other);
  // A cursor for a size the log does not have yet.
  await bad(`/v1/donations/pg-d1/trace?cursor=${encodeURIComponent(makeCursor(s.log, 'pg-d1', s.log.size + 5, 0))}`);
});

test('/v1/entries stops at its byte cap and says where to continue; followed, the pages are the log', async () => {
  const size = s.log.size;
  const all: any[] = [];
  let start = 0;
  let cuts = 0;
  while (start < size) {
    const r = await get(`/v1/entries?start=${start}&limit=1000`);
    assert.is(r.status, 200);
    assert.ok(r.body.entries.length >= 1);
    if (r.body.entries.length > 1) assert.ok(r.bytes <= ENTRIES_PAGE + 64, `${r.bytes} bytes`);
    r.body.entries.forEach((e: any, i: number) => assert.is(e.index, start + i));
    all.push(...r.body.entries);
    if (r.body.next !== undefined) {
      cuts++;
      assert.is(r.body.next, start + r.body.entries.length, 'next = the last index + 1');
    } else assert.ok(start + r.body.entries.length === size || r.body.entries.length === 1000);
    start += r.body.entries.length;
  }
  assert.ok(cuts > 3, `${cuts} pages were cut by the byte cap`);
  assert.equal(all.map((e) => e.index), Array.from({ length: size }, (_, i) => i));
  const logged = await s.log.entries(0, size);
  assert.equal(all.map((e) => e.data), logged.map((d) => Buffer.from(d).toString('base64')));
  // A single entry larger than the cap is still served, alone.
  const tiny = await testServer(undefined, { readLimits: { entriesPageBytes: 1 } });
  try {
    const o = newOrg('pg-tiny');
    const reg = ev({ id: 'operator', signerKey: tiny.operatorKey, verifierKey: '' }, 'org.register', { org: o.id, name: o.id, roles: ['charity'], keys: [o.verifierKey] });
    assert.is((await tiny.client.post(reg)).status, 201);
    const r = await get('/v1/entries?start=0&limit=5', tiny);
    assert.is(r.body.entries.length, 1);
    assert.is(r.body.next, 1);
  } finally {
    await tiny.close();
  }
});

test('teardown', async () => {
  await s?.close();
  await other?.close();
});

test.run();
