// Per-client write limits (src/http/ratelimit.ts): a token bucket per client address for
// requests and one for events on POST /v1/events, 429 rate_limited with Retry-After, other
// clients and reads unaffected, X-Forwarded-For ignored unless trusted, memory bounded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Request } from 'express';
import { startServer, type RunningServer } from '../../src/server.ts';
import { RateLimiter, clientKey, RATE_LIMIT_DEFAULTS } from '../../src/http/ratelimit.ts';
import { tempDir } from '../helpers/server.ts';
import { cny, donor, ev, newOrg, uid, type Org } from '../helpers/events.ts';
import { errorBody, rawRequest } from './rawhttp.ts';
import fs from 'node:fs';
import path from 'node:path';

const charity = newOrg('charity');
let s: RunningServer;

async function post(body: unknown, headers: Record<string, string> = {}) {
  const b = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return rawRequest(s.url, { method: 'POST', path: '/v1/events', headers: { 'Content-Type': 'application/json', ...headers }, body: b });
}

test.before(async () => {
  // 2 requests/s (burst 10) per client; events generous.
  s = await startServer(tempDir(), { port: 0, host: '127.0.0.1', logLevel: 'silent', rateLimit: { requestsPerSecond: 2, requestBurst: 10 } });
});
test.after(async () => {
  await s?.close();
});

test('defaults are generous (2000 events/s, burst 20000 per client) and on unless turned off', () => {
  assert.ok(s, 'server started');
  assert.is(RATE_LIMIT_DEFAULTS.eventsPerSecond, 2000);
  assert.is(RATE_LIMIT_DEFAULTS.eventBurst, 20_000);
  assert.is(RATE_LIMIT_DEFAULTS.requestsPerSecond, 2000);
  assert.is(RATE_LIMIT_DEFAULTS.requestBurst, 20_000);
  assert.is(RATE_LIMIT_DEFAULTS.maxClients, 10_000);
  assert.is(RATE_LIMIT_DEFAULTS.trustForwardedFor, false);
  assert.ok(s.rateLimiter);
  assert.throws(() => new RateLimiter({ eventsPerSecond: 0 }), /positive/);
  assert.throws(() => new RateLimiter({ requestBurst: -1 }), /positive/);
});

test('requests: a burst of garbage is refused 429 rate_limited with Retry-After, before the body is read; nothing appended', async () => {
  const size0 = s.log.size;
  const answers = [];
  for (let i = 0; i < 14; i++) answers.push(await post('{"not":"an event"}'));
  const statuses = answers.map((a) => a.status);
  assert.equal(statuses.slice(0, 10), Array(10).fill(400), 'the burst of 10 gets through (and is refused as schema)');
  assert.ok(statuses.slice(10).every((x) => x === 429), statuses.join(','));
  const last = answers[13]!;
  assert.is(errorBody(last).code, 'rate_limited');
  assert.match(errorBody(last).message, /retry after/);
  const ra = Number(last.headers['retry-after']);
  assert.ok(Number.isInteger(ra) && ra === 1, `Retry-After ${last.headers['retry-after']}`);
  // A wrong content type costs a request too (the limit comes first).
  const ct = await rawRequest(s.url, { method: 'POST', path: '/v1/events', headers: { 'Content-Type': 'text/plain' }, body: Buffer.from('x') });
  assert.is(ct.status, 429);
  // Reads are not limited.
  for (let i = 0; i < 20; i++) assert.is((await rawRequest(s.url, { method: 'GET', path: '/healthz' })).status, 200);
  assert.is(s.log.size, size0);
  // The metrics count the refusals.
  const m = await (await fetch(s.url + '/metrics')).text();
  assert.match(m, /rate_limited/);
});

test('after Retry-After seconds the client may post again', async () => {
  await new Promise((r) => setTimeout(r, 1100));
  const a = await post('{}');
  assert.is(a.status, 400, a.raw);
});

test('events: an array costs one token per event; over the bucket is 429 and nothing of it is appended', async () => {
  // A server of its own: requests generous, events 1/s with a burst of 30.
  const dir = tempDir();
  const q = await startServer(dir, { port: 0, host: '127.0.0.1', logLevel: 'silent', rateLimit: { eventsPerSecond: 1, eventBurst: 30 } });
  try {
    const op: Org = { id: 'operator', signerKey: fs.readFileSync(path.join(dir, 'operator.key'), 'utf8').trim(), verifierKey: '' };
    const fund = uid('f');
    const setup = [
      ev(op, 'org.register', { org: charity.id, name: 'Charity', roles: ['charity'], keys: [charity.verifierKey] }),
      ev(charity, 'fund.open', { fund, name: 'F', currency: 'CNY', restricted: false, purpose: 'p' }),
    ];
    const donations = (n: number) => Array.from({ length: n }, () => ev(charity, 'donation', { fund, amount: cny(1), donor: donor(uid('d')), channel: 'web' }));
    const big = donations(29);
    const fits = donations(27);
    const one = donations(1)[0];
    const send = (b: unknown) => rawRequest(q.url, { method: 'POST', path: '/v1/events', headers: { 'Content-Type': 'application/json' }, body: Buffer.from(JSON.stringify(b)) });
    const first = await send(setup); // 2 events: 28 tokens left
    assert.is(first.status, 200, first.raw);
    const size0 = q.log.size;
    const refused = await send(big); // 29 > 28 (+ well under one token of refill)
    assert.is(refused.status, 429, refused.raw);
    assert.is(errorBody(refused).code, 'rate_limited');
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    assert.is(q.log.size, size0, 'nothing of the refused array appended');
    const ok = await send(fits); // 27 of 28
    assert.is(ok.status, 200, ok.raw);
    assert.ok(JSON.parse(ok.body.toString('utf8')).every((r: any) => r.status === 201));
    assert.is((await send(one)).status, 201, 'the last token: accepted');
    const over = await send(donations(1)[0]);
    assert.is(over.status, 429, 'the bucket is empty');
    assert.is(q.log.size, size0 + 28);
  } finally {
    await q.close();
  }
});

test('X-Forwarded-For is ignored by default: a spoofed header does not buy a fresh bucket', async () => {
  await new Promise((r) => setTimeout(r, 1100));
  let refused = 0;
  for (let i = 0; i < 15; i++) {
    const a = await post('{}', { 'X-Forwarded-For': `10.0.${i}.1` });
    if (a.status === 429) refused++;
  }
  assert.ok(refused >= 4, `${refused} refused`);
});

test('other clients are not limited by one that is (the bucket is per address)', async () => {
  await new Promise((r) => setTimeout(r, 1100));
  // Exhaust 127.0.0.1, then post from 127.0.0.2 (another loopback address).
  for (let i = 0; i < 12; i++) await post('{}');
  assert.is((await post('{}')).status, 429);
  const u = new URL(s.url);
  const other = await new Promise<number>((resolve, reject) => {
    import('node:http').then(({ default: http }) => {
      const req = http.request({ host: u.hostname, port: u.port, path: '/v1/events', method: 'POST', localAddress: '127.0.0.2', headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject);
      req.end('{}');
    });
  });
  assert.is(other, 400, 'another address has its own bucket');
});

// ---- the limiter alone, on a fake clock ------------------------------------------------

const fakeReq = (addr: string, xff?: string) => ({ socket: { remoteAddress: addr }, headers: xff ? { 'x-forwarded-for': xff } : {} }) as unknown as Request;

test('token bucket: refill at the rate, capped at the burst; Retry-After is the wait for the missing tokens', () => {
  let t = 0;
  const l = new RateLimiter({ eventsPerSecond: 10, eventBurst: 50, requestsPerSecond: 1, requestBurst: 1, now: () => t });
  assert.is(l.takeEvents('a', 50), 0);
  assert.is(l.takeEvents('a', 1), 1);
  t += 500; // 5 tokens back
  assert.is(l.takeEvents('a', 5), 0);
  assert.is(l.takeEvents('a', 30), 3);
  t += 1_000_000; // long idle: the bucket is full, not more
  assert.is(l.takeEvents('a', 50), 0);
  assert.is(l.takeEvents('a', 1), 1);
  // More than the burst costs the whole burst (a maximal batch passes on a full bucket).
  t += 5000;
  assert.is(l.takeEvents('a', 1000), 0);
  assert.is(l.takeEvents('a', 1), 1);
  // Requests are separate.
  assert.is(l.takeRequest('a'), 0);
  assert.is(l.takeRequest('a'), 1);
  assert.is(l.takeRequest('b'), 0);
});

test('memory is bounded: a flood of addresses keeps at most maxClients buckets (LRU)', () => {
  let t = 0;
  const l = new RateLimiter({ requestsPerSecond: 1, requestBurst: 1, maxClients: 100, now: () => t });
  assert.is(l.takeRequest('10.0.0.1'), 0);
  for (let i = 0; i < 10_000; i++) {
    l.takeRequest(`198.51.${i >> 8}.${i & 255}`);
    if (i % 50 === 0) assert.is(l.takeRequest('10.0.0.1'), 1, 'the busy client stays tracked (recently used)');
    assert.ok(l.size <= 100);
  }
  assert.is(l.size, 100);
  t += 0;
});

test('client keys: IPv4-mapped IPv6 is IPv4, IPv6 grouped by /56 (configurable), X-Forwarded-For only when trusted', () => {
  assert.is(clientKey('::ffff:203.0.113.7'), '203.0.113.7');
  assert.is(clientKey('203.0.113.7'), '203.0.113.7');
  assert.is(RATE_LIMIT_DEFAULTS.ipv6Prefix, 56);
  assert.is(clientKey('2001:db8:1:2ff:3:4:5:6'), '2001:db8:1:200::/56');
  assert.is(clientKey('2001:db8:1:2::9'), '2001:db8:1:0::/56');
  assert.is(clientKey('2001:db8::1'), '2001:db8:0:0::/56');
  assert.is(clientKey('::1'), '0:0:0:0::/56');
  assert.is(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/56');
  assert.is(clientKey('[2001:db8:1:2ff::1]'), '2001:db8:1:200::/56');
  // Other prefixes.
  assert.is(clientKey('2001:db8:1:2:3:4:5:6', 64), '2001:db8:1:2::/64');
  assert.is(clientKey('2001:0db8:0001:0002:ffff::1', 64), '2001:db8:1:2::/64');
  assert.is(clientKey('2001:db8:1:2:3:4:5:6', 48), '2001:db8:1::/48');
  assert.is(clientKey('2001:db8:1:2:3:4:5:6', 128), '2001:db8:1:2:3:4:5:6/128');
  assert.is(clientKey('64:ff9b::192.0.2.33', 128), '64:ff9b:0:0:0:0:c000:221/128', 'an embedded IPv4 tail is two groups');
  assert.throws(() => new RateLimiter({ ipv6Prefix: 16 }), /ipv6Prefix/);
  assert.throws(() => new RateLimiter({ ipv6Prefix: 129 }), /ipv6Prefix/);
  assert.is(clientKey(undefined), 'unknown');
  const plain = new RateLimiter();
  assert.is(plain.keyOf(fakeReq('127.0.0.1', '203.0.113.9')), '127.0.0.1');
  const proxied = new RateLimiter({ trustForwardedFor: true });
  assert.is(proxied.keyOf(fakeReq('127.0.0.1', '198.51.100.1, 203.0.113.9')), '203.0.113.9', 'the entry our proxy appended');
  assert.is(proxied.keyOf(fakeReq('127.0.0.1')), '127.0.0.1');
});

// Attack (issue 9): 50 /64s of one /48 got 50x the write burst, since clients were keyed
// by /64. One subscriber commonly holds a /56: its /64s now share one bucket.
test('IPv6: 50 /64s of one /56 share one bucket (the default); with ipv6Prefix 64 they do not', () => {
  const t = 0;
  const addrs = Array.from({ length: 50 }, (_, i) => `2001:db8:77:ab${i.toString(16).padStart(2, '0')}::${i + 1}`);
  const shared = new RateLimiter({ eventBurst: 100, eventsPerSecond: 1, now: () => t });
  const granted = addrs.filter((a) => shared.takeEvents(shared.keyOf(fakeReq(a)), 10) === 0).length;
  assert.is(granted, 10, 'one burst of 100 events for the whole /56');
  assert.is(new Set(addrs.map((a) => shared.keyOf(fakeReq(a)))).size, 1);
  // Another /56 of the same /48 is another subscriber.
  assert.is(shared.takeEvents(shared.keyOf(fakeReq('2001:db8:77:ac00::1')), 10), 0);
  const per64 = new RateLimiter({ eventBurst: 100, eventsPerSecond: 1, ipv6Prefix: 64, now: () => t });
  assert.is(addrs.filter((a) => per64.takeEvents(per64.keyOf(fakeReq(a)), 10) === 0).length, 50);
});

test('startServer({rateLimit: false}) turns the limits off', async () => {
  const q = await startServer(tempDir(), { port: 0, host: '127.0.0.1', logLevel: 'silent', rateLimit: false });
  try {
    assert.is(q.rateLimiter, null);
    const codes = await Promise.all(Array.from({ length: 50 }, () => fetch(q.url + '/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then((r) => r.status)));
    assert.ok(codes.every((c) => c === 400));
  } finally {
    await q.close();
  }
});

test.run();
