// Slow clients (slowloris): connections that send their headers or body a byte at a time,
// or nothing at all, are cut off by the server's timeouts, while a normal client is served
// promptly all along. The timeouts are lowered through startServer's `timeouts` option
// (production: headers 10 s, whole request 30 s, checked every second) so this takes
// seconds.
import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServer, type RunningServer } from '../../src/server.ts';
import { SERVER_TIMEOUTS } from '../../src/http/limits.ts';
import { tempDir } from '../helpers/server.ts';
import { parseAnswer } from './rawhttp.ts';

const HEADERS_MS = 1000;
const REQUEST_MS = 2000;
const CHECK_MS = 250;
// How late a cut-off may come: node checks every CHECK_MS, and a loaded CI machine adds
// event-loop delay. Far below "never", which is what an unprotected server does.
const SLACK_MS = 4000;
/** A test that waits longer than this for the slow clients to be cut off fails. */
const GIVE_UP_MS = 15_000;

let s: RunningServer;
let port: number;

test.before(async () => {
  s = await startServer(tempDir(), {
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    timeouts: { headersMs: HEADERS_MS, requestMs: REQUEST_MS, keepAliveMs: 1000, checkIntervalMs: CHECK_MS },
  });
  port = Number(new URL(s.url).port);
});
test.after(async () => {
  await s?.close();
});

interface Slow {
  /** ms from connect until the server closed the connection */
  closedAfter: Promise<number>;
  /** what the server sent before closing */
  received: () => Buffer;
  stop: () => void;
}

/** Connects, sends `prefix`, then one byte of `drip` every `everyMs` (looping), until closed. */
function slowClient(prefix: string, drip: string, everyMs: number): Slow {
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let timer: NodeJS.Timeout | undefined;
  const t0 = performance.now();
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  const closedAfter = new Promise<number>((resolve, reject) => {
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server did not cut off a slow client within ${GIVE_UP_MS} ms`));
    }, GIVE_UP_MS);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve(performance.now() - t0);
    });
  });
  socket.on('connect', () => {
    if (prefix) socket.write(prefix);
    let i = 0;
    if (drip) {
      timer = setInterval(() => {
        if (!socket.destroyed && socket.writable) socket.write(drip[i++ % drip.length]!);
      }, everyMs);
    }
  });
  return { closedAfter, received: () => Buffer.concat(chunks), stop: () => socket.destroy() };
}

/** Polls GET /healthz every 50 ms until `until` resolves; returns the latencies. */
async function probe(until: Promise<unknown>): Promise<number[]> {
  const lat: number[] = [];
  let done = false;
  void until.then(
    () => (done = true),
    () => (done = true),
  );
  while (!done) {
    const t = performance.now();
    const r = await fetch(s.url + '/healthz', { signal: AbortSignal.timeout(5000) });
    assert.is(r.status, 200);
    await r.json();
    lat.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 50));
  }
  return lat;
}

test('production timeouts: headers 10 s, whole request 30 s, idle keep-alive 5 s, checked every second', () => {
  assert.ok(s, 'server started');
  assert.equal(SERVER_TIMEOUTS, { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000, checkIntervalMs: 1_000 });
  assert.is(s.server.headersTimeout, HEADERS_MS);
  assert.is(s.server.requestTimeout, REQUEST_MS);
});

test('50 clients dripping their headers a byte every 100 ms are cut off (408, JSON); /healthz answers within 1 s meanwhile', async () => {
  const slow = Array.from({ length: 50 }, () => slowClient('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: aaaaaaaaaaaaaaaa\r\n', 100));
  const closed = Promise.all(slow.map((c) => c.closedAfter));
  const lat = await probe(closed);
  const times = await closed;
  const max = Math.max(...times);
  assert.ok(max < HEADERS_MS + SLACK_MS, `the last slow client was cut off after ${max.toFixed(0)} ms`);
  assert.ok(Math.min(...times) >= HEADERS_MS - 100, `not before the timeout: ${Math.min(...times).toFixed(0)} ms`);
  assert.ok(lat.length >= 5, `${lat.length} probes`);
  assert.ok(Math.max(...lat) < 1000, `healthz latencies during the attack: max ${Math.max(...lat).toFixed(0)} ms`);
  // What the slow clients got: a 408 in the JSON error shape (or nothing, if node gave up first).
  for (const c of slow) {
    const got = c.received();
    if (got.length === 0) continue;
    const a = parseAnswer(got);
    assert.is(a.status, 408, a.raw);
    assert.equal(JSON.parse(a.body.toString('utf8')).error.code, 'timeout');
  }
});

test('clients that connect and send nothing are cut off too', async () => {
  const idle = Array.from({ length: 20 }, () => slowClient('', '', 0));
  const lat = await probe(Promise.all(idle.map((c) => c.closedAfter)));
  const times = await Promise.all(idle.map((c) => c.closedAfter));
  assert.ok(Math.max(...times) < HEADERS_MS + SLACK_MS, `cut off after ${Math.max(...times).toFixed(0)} ms`);
  assert.ok(Math.max(...lat) < 1000);
});

test('a body dripped a byte every 100 ms is cut off by the request timeout; nothing appended; a normal post goes through meanwhile', async () => {
  const size0 = s.log.size;
  const head = 'POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n';
  const slow = Array.from({ length: 20 }, () => slowClient(head, '[{"v":1,', 100));
  const closed = Promise.all(slow.map((c) => c.closedAfter));
  // A normal client posts while the slow ones hold their connections.
  const t = performance.now();
  const r = await fetch(s.url + '/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.is(r.status, 400);
  assert.ok(performance.now() - t < 1000);
  const lat = await probe(closed);
  const times = await closed;
  assert.ok(Math.max(...times) < REQUEST_MS + SLACK_MS, `cut off after ${Math.max(...times).toFixed(0)} ms`);
  assert.ok(Math.min(...times) >= REQUEST_MS - 100, `not before the timeout: ${Math.min(...times).toFixed(0)} ms`);
  assert.ok(Math.max(...lat) < 1000, `healthz max ${Math.max(...lat).toFixed(0)} ms`);
  for (const c of slow) {
    const got = c.received();
    if (got.length === 0) continue;
    const a = parseAnswer(got);
    assert.is(a.status, 408, a.raw);
    assert.is(JSON.parse(a.body.toString('utf8')).error.code, 'timeout');
  }
  assert.is(s.log.size, size0);
  assert.is((await fetch(s.url + '/healthz')).status, 200);
});

test('an idle keep-alive connection is closed after keepAliveMs', async () => {
  const c = slowClient('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', '', 0);
  const ms = await c.closedAfter;
  const a = parseAnswer(c.received());
  assert.is(a.status, 200);
  assert.ok(ms >= 900 && ms < 1000 + SLACK_MS, `closed after ${ms.toFixed(0)} ms`);
});

test.run();
