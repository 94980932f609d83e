// Trace pages (issue 9): a trace too large for one answer comes in pages that each carry
// the same checkpoint; mergeTracePages joins them, fetchTraceBundle follows the cursors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchTraceBundle, isProblem, mergeTracePages, verifyBundle } from '@cotc/verify';
import { cny, donor } from '../helpers/events.ts';
import { append, newLog, org, sev, synthBundle } from './synthetic.ts';

async function fixture() {
  const log = await newLog();
  const c = org('charity');
  await append(log, sev(log.operator, 'org.register', { org: 'charity', name: 'C', roles: ['charity'], keys: [c.verifierKey] }, 'reg'));
  await append(log, sev(c, 'fund.open', { fund: 'f', name: 'F', currency: 'CNY', restricted: false, purpose: 'p' }, 'open-f'));
  await append(log, sev(c, 'donation', { fund: 'f', amount: cny(100), donor: donor('d'), channel: 'c' }, 'd'));
  for (let i = 0; i < 10; i++) await append(log, sev(c, 'disbursement', { fund: 'f', amount: cny(5), payee: 'P', purpose: `q${i}`, receipts: [] }, `x${i}`));
  const bundle = await synthBundle(log, 'd');
  return { log, bundle };
}

/** Splits a bundle into pages of `n` entries, the server's way. */
function paginate(b: Awaited<ReturnType<typeof synthBundle>>, n: number) {
  const pages: any[] = [];
  for (let i = 0; i < b.entries.length; i += n) pages.push({ version: 1, checkpoint: b.checkpoint, entries: b.entries.slice(i, i + n), page: { next: `c${i + n}` } });
  const last = pages[pages.length - 1];
  delete last.page;
  last.trace = b.trace;
  return pages;
}

test('pages: merged back, they are the bundle, and it verifies', async () => {
  const { log, bundle } = await fixture();
  const pages = paginate(bundle, 3);
  assert.ok(pages.length >= 4);
  const merged = mergeTracePages(pages);
  assert.not.ok(isProblem(merged));
  assert.equal(merged, bundle);
  const r = await verifyBundle(merged, { logKey: log.logKey, donation: 'd' });
  assert.equal(r.problems, []);
  // One page without `page` is an ordinary bundle.
  assert.equal(mergeTracePages([bundle]), bundle);
});

test('pages: different checkpoints, overlapping or backward entries, a trace too early, no last page → bad_pages / malformed_bundle', async () => {
  const { log, bundle } = await fixture();
  const { checkpointNote } = await import('./synthetic.ts');
  const older = await checkpointNote(log, log.tree.size - 1);
  const cases: Array<[string, (p: any[]) => void, string]> = [
    ['a page of another checkpoint', (p) => (p[1].checkpoint = older), 'bad_pages'],
    ['pages that overlap', (p) => p[1].entries.unshift(p[0].entries[p[0].entries.length - 1]), 'bad_pages'],
    ['pages that go backwards', (p) => ([p[0], p[1]] = [p[1], p[0]]), 'bad_pages'],
    ['a trace on a page with page.next', (p) => (p[0].trace = bundle.trace), 'bad_pages'],
    ['the last page missing', (p) => p.pop(), 'bad_pages'],
    ['a page after the last', (p) => p.push(structuredClone(p[p.length - 1])), 'bad_pages'],
    ['a page that is not an object', (p) => (p[1] = 'x'), 'malformed_bundle'],
    ['a cursor that is not a string', (p) => (p[0].page.next = 7), 'malformed_bundle'],
    ['a last page without a trace', (p) => delete p[p.length - 1].trace, 'malformed_bundle'],
  ];
  for (const [name, mutate, code] of cases) {
    const p = paginate(bundle, 3);
    mutate(p);
    const m = mergeTracePages(p);
    assert.ok(isProblem(m), name);
    assert.is((m as { code: string }).code, code, name);
  }
  assert.is((mergeTracePages([]) as { code: string }).code, 'malformed_bundle');
});

test('fetchTraceBundle follows cursors to the last page; bounded; loops and errors', async () => {
  const { log, bundle } = await fixture();
  const pages = paginate(bundle, 2);
  const byUrl = new Map<string, unknown>();
  byUrl.set('http://x.test/v1/donations/d/trace', pages[0]);
  for (let i = 1; i < pages.length; i++) byUrl.set(`http://x.test/v1/donations/d/trace?cursor=${encodeURIComponent(pages[i - 1].page.next)}`, pages[i]);
  const asked: string[] = [];
  const getJson = async (url: string) => {
    asked.push(url);
    if (!byUrl.has(url)) throw new Error(`404 ${url}`);
    return structuredClone(byUrl.get(url));
  };
  const b = await fetchTraceBundle(getJson, 'http://x.test/', 'd');
  assert.not.ok(isProblem(b));
  assert.equal(b, bundle);
  assert.is(asked.length, pages.length);
  assert.equal((await verifyBundle(b, { logKey: log.logKey })).problems, []);

  const few = await fetchTraceBundle(getJson, 'http://x.test', 'd', { maxPages: 2 });
  assert.is((few as { code: string }).code, 'bad_pages');

  // A server that sends the same cursor forever.
  let n = 0;
  const loop = await fetchTraceBundle(async () => ({ version: 1, checkpoint: bundle.checkpoint, entries: [], page: { next: 'again' } }), 'http://x.test', 'd');
  assert.is((loop as { code: string }).code, 'bad_pages');
  // A server that never ends, with fresh cursors: stopped at maxPages.
  const endless = await fetchTraceBundle(async () => ({ version: 1, checkpoint: bundle.checkpoint, entries: [], page: { next: `c${n++}` } }), 'http://x.test', 'd');
  assert.is((endless as { code: string }).code, 'bad_pages');
  assert.is(n, 1000);
  // A network error is the caller's.
  try {
    await fetchTraceBundle(async () => {
      throw new Error('ECONNREFUSED');
    }, 'http://x.test', 'd');
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /ECONNREFUSED/);
  }
  // Ids are URL-encoded.
  const seen: string[] = [];
  await fetchTraceBundle(async (u) => (seen.push(u), bundle), 'http://x.test', 'a/b?c');
  assert.equal(seen, ['http://x.test/v1/donations/a%2Fb%3Fc/trace']);
  await fetchTraceBundle(async (u) => (seen.push(u), bundle), '', 'd');
  assert.is(seen[1], '/v1/donations/d/trace');
});

test.run();
