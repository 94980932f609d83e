// GET /metrics and the request logs: the appended counter counts the entries appended,
// the tree size gauge is /v1/log's size, HTTP requests are counted by route *pattern*;
// and neither the metrics nor the logs ever hold a donation id, a receipt secret or a
// donor commitment, whatever the requests carried (paths, query strings, headers, bodies).
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { donorCommitment } from '@cotc/ledger';
import { startServer, type RunningServer } from '../../src/server.ts';
import { resolveLogLevel } from '../../src/http/logging.ts';
import { tempDir } from '../helpers/server.ts';
import { cny, ev, newOrg, type Org } from '../helpers/events.ts';

const DONATION = 'zq7-donation-Mx93kPw';
const SECRET = 'receipt-secret-Vb28LqZt';
const COMMITMENT = donorCommitment(DONATION, SECRET);
const SECRETS = [DONATION, SECRET, COMMITMENT];

let s: RunningServer;
const logLines: string[] = [];
const operator: Org = { id: 'operator', signerKey: '', verifierKey: '' };
const charity = newOrg('mx-charity');
let appended = 1; // entry 0, the operator's self-registration
let posts = 0;
const requestIds: string[] = [];

test.before(async () => {
  try {
    const dir = tempDir();
    s = await startServer(dir, {
      port: 0,
      host: '127.0.0.1',
      logLevel: 'info',
      logDestination: { write: (line: string) => void logLines.push(line) },
    });
    operator.signerKey = fs.readFileSync(path.join(dir, 'operator.key'), 'utf8').trim();
  } catch (e) {
    console.error('metrics.test setup failed', e);
    throw e;
  }
});
test.after(async () => {
  await s?.close();
});

async function post(body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  posts++;
  const r = await fetch(s.url + '/v1/events', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  requestIds.push(r.headers.get('x-request-id') ?? '');
  const b = await r.json();
  if (r.status === 201) appended++;
  if (Array.isArray(b)) appended += b.filter((x) => x.status === 201).length;
  return { status: r.status, body: b };
}

async function get(p: string, headers: Record<string, string> = {}): Promise<Response> {
  const r = await fetch(s.url + p, { headers });
  requestIds.push(r.headers.get('x-request-id') ?? '');
  await r.arrayBuffer();
  return r;
}

const metricsText = async () => (await fetch(s.url + '/metrics')).text();

/** The value of one sample line: name{labels} value. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) got[k!] = v!;
    if (Object.entries(labels).every(([k, v]) => got[k] === v) && Object.keys(got).length === Object.keys(labels).length) return Number(m[3]);
  }
  return undefined;
}

function sum(text: string, name: string): number {
  let n = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{.*\})? (\S+)$/.exec(line);
    if (m && m[1] === name) n += Number(m[2]);
  }
  return n;
}

test('log level: explicit, quiet, NODE_ENV=test, COTC_LOG_LEVEL, default info', () => {
  assert.is(resolveLogLevel({}, {}), 'info');
  assert.is(resolveLogLevel({}, { COTC_LOG_LEVEL: 'warn' }), 'warn');
  assert.is(resolveLogLevel({}, { NODE_ENV: 'test', COTC_LOG_LEVEL: 'debug' }), 'silent');
  assert.is(resolveLogLevel({ quiet: true }, { COTC_LOG_LEVEL: 'debug' }), 'silent');
  assert.is(resolveLogLevel({ logLevel: 'debug' }, { NODE_ENV: 'test' }), 'debug');
  assert.throws(() => resolveLogLevel({}, { COTC_LOG_LEVEL: 'loud' }), /COTC_LOG_LEVEL/);
});

test('requests carrying a donation id, its receipt secret and its donor commitment', async () => {
  const reg = ev(operator, 'org.register', { org: charity.id, name: 'Charity', roles: ['charity'], keys: [charity.verifierKey] });
  assert.equal((await post([reg])).body.map((x: { status: number }) => x.status), [201]);
  assert.is((await post(ev(charity, 'fund.open', { fund: 'mx-fund', name: 'Meals', currency: 'CNY', restricted: false, purpose: 'meals for elderly people living alone' }))).status, 201);
  const d = ev(charity, 'donation', { fund: 'mx-fund', amount: cny(1234), donor: COMMITMENT, channel: 'goods-for-good' }, DONATION);
  assert.is((await post(d, { 'x-request-id': SECRET })).status, 201);
  assert.is((await post(d)).status, 200); // identical again: not appended
  assert.is((await post(ev(charity, 'donation', { fund: 'mx-nope', amount: cny(1), donor: COMMITMENT, channel: 'x' }, DONATION + '-2'))).status, 422);
  assert.is((await post(`{"id": "${DONATION}", "secret": "${SECRET}"`)).status, 400);
  assert.is((await post('[]')).status, 400);
  // Reads with the id in the path, the secret in query strings and headers.
  assert.is((await get(`/v1/events/${DONATION}`)).status, 200);
  assert.is((await get(`/v1/events/${DONATION}?receipt=${SECRET}`)).status, 200);
  assert.is((await get(`/v1/donations/${DONATION}/trace?secret=${SECRET}`, { 'x-request-id': SECRET, authorization: `Bearer ${SECRET}` })).status, 200);
  assert.is((await get(`/v1/events/${COMMITMENT}`)).status, 404);
  assert.is((await get(`/v1/donations/${SECRET}/trace`)).status, 404);
  assert.is((await get(`/v1/no-such-route/${DONATION}?secret=${SECRET}`)).status, 404);
  assert.is((await get(`/v1/events/-${SECRET}`)).status, 400);
  assert.is((await get('/v1/log')).status, 200);
  // Request ids are the server's own, one per request, never the client's.
  assert.not.ok(requestIds.includes(SECRET));
  assert.is(new Set(requestIds).size, requestIds.length);
  for (const id of requestIds) assert.match(id, /^[0-9a-f-]{36}$/);
});

test('the appended counter counts the entries appended; the tree size gauge is /v1/log size', async () => {
  const m = await metricsText();
  const size = ((await (await fetch(s.url + '/v1/log')).json()) as { size: number }).size;
  assert.is(size, 4);
  assert.is(sample(m, 'cotc_events_appended_total'), appended);
  assert.is(appended, size);
  assert.is(sample(m, 'cotc_tree_size'), size);
  // Batches: one per commit; their sizes sum to the appended entries.
  assert.is(sample(m, 'cotc_commit_batch_entries_sum'), appended);
  assert.ok((sample(m, 'cotc_commit_duration_seconds_count') ?? 0) >= 1);
  assert.is(sample(m, 'cotc_commit_duration_seconds_count'), sample(m, 'cotc_commit_batch_entries_count'));
  // Acknowledgement latency: every POST, by status.
  assert.is(sum(m, 'cotc_post_ack_duration_seconds_count'), posts);
  assert.is(sample(m, 'cotc_post_ack_duration_seconds_count', { status: '201' }), 2);
  // Rejections by code.
  assert.is(sample(m, 'cotc_events_rejected_total', { code: 'unknown_fund' }), 1);
  assert.is(sample(m, 'cotc_events_rejected_total', { code: 'schema' }), 2);
  // Default process metrics.
  assert.ok(sample(m, 'process_cpu_user_seconds_total') !== undefined, 'process metrics');
  assert.ok(/^nodejs_heap_size_used_bytes \d/m.test(m), 'nodejs metrics');
  // One metric family each, no duplicates (a valid exposition).
  const types = m.split('\n').filter((l) => l.startsWith('# TYPE '));
  assert.is(new Set(types.map((l) => l.split(' ')[2])).size, types.length);
});

test('HTTP requests are counted by route pattern and status, never by URL', async () => {
  const m = await metricsText();
  const req = (method: string, route: string, status: number) => sample(m, 'cotc_http_requests_total', { method, route, status: String(status) });
  assert.is(req('POST', '/v1/events', 201), 2);
  assert.is(req('POST', '/v1/events', 200), 2); // the batch and the identical re-post
  assert.is(req('POST', '/v1/events', 422), 1);
  assert.is(req('POST', '/v1/events', 400), 2);
  assert.is(req('GET', '/v1/events/:id', 200), 2);
  assert.is(req('GET', '/v1/events/:id', 404), 1);
  assert.is(req('GET', '/v1/events/:id', 400), 1);
  assert.is(req('GET', '/v1/donations/:id/trace', 200), 1);
  assert.is(req('GET', '/v1/donations/:id/trace', 404), 1);
  assert.is(req('GET', 'unmatched', 404), 1);
  assert.ok((req('GET', '/v1/log', 200) ?? 0) >= 1);
  // Every route label is a pattern (or "unmatched").
  for (const [, route] of m.matchAll(/route="([^"]*)"/g)) assert.ok(route === 'unmatched' || /^\/[a-z0-9/:._-]*$/i.test(route!), route);
  assert.ok(sample(m, 'cotc_http_request_duration_seconds_count', { method: 'GET', route: '/v1/events/:id' })! >= 4);
});

test('neither the metrics nor the request logs hold a donation id, a receipt secret or a donor commitment', async () => {
  const m = await metricsText();
  await new Promise((r) => setTimeout(r, 20)); // the last request's log line is written on 'finish'
  const logs = logLines.join('');
  assert.ok(logLines.length >= requestIds.length, `${logLines.length} log lines for ${requestIds.length} requests`);
  for (const secret of SECRETS) {
    assert.not.ok(m.includes(secret), `metrics hold ${secret}`);
    assert.not.ok(logs.includes(secret), `logs hold ${secret}`);
  }
  // A prefix long enough to matter never leaks either (e.g. a truncated URL).
  for (const secret of SECRETS) assert.not.ok(logs.includes(secret.slice(0, 12)), `logs hold a prefix of ${secret}`);
});

test('one log line per request: method, route pattern, status, ms, bytes, request id', async () => {
  const lines = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request');
  assert.ok(lines.length >= requestIds.length);
  for (const l of lines) {
    assert.equal(Object.keys(l).sort(), ['bytes', 'level', 'method', 'ms', 'msg', 'reqId', 'route', 'service', 'status', 'time']);
    assert.type(l.ms, 'number');
    assert.type(l.bytes, 'number');
    assert.type(l.status, 'number');
  }
  // Each of our requests is logged once, under the id the server answered with.
  for (const id of requestIds) assert.is(lines.filter((l) => l.reqId === id).length, 1, id);
  const trace = lines.find((l) => l.route === '/v1/donations/:id/trace' && l.status === 200)!;
  assert.ok(trace, 'the trace request is logged with its pattern');
  assert.ok((trace.bytes as number) > 100);
  const unmatched = lines.find((l) => l.route === 'unmatched');
  assert.ok(unmatched && unmatched.status === 404);
});

test('a server told to be silent logs nothing', async () => {
  const lines: string[] = [];
  const q = await startServer(tempDir(), { port: 0, host: '127.0.0.1', quiet: true, logDestination: { write: (l: string) => void lines.push(l) } });
  try {
    await (await fetch(q.url + '/v1/log')).arrayBuffer();
  } finally {
    await q.close();
  }
  assert.is(lines.length, 0);
});

test.run();
