// The one POST body reader (src/http/body.ts), for POST /v1/events (2 MiB) and POST
// /v1/batches (its own 256 MiB): 415 unless JSON in UTF-8 without a content encoding; 413
// past the limit, from Content-Length before reading or counted as the bytes arrive.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import express from 'express';
import { readJsonBody } from '../../src/http/body.ts';
import { HttpError } from '../../src/http/errors.ts';
import { MAX_BATCH_BODY_BYTES } from '../../src/gifts/routes.ts';
import { testServer } from '../helpers/server.ts';

/** A server whose one route reads the body with `limit` and answers its length or the error. */
async function bodyServer(limit: number) {
  const app = express();
  app.post('/', async (req, res) => {
    try {
      const b = await readJsonBody(req, limit);
      res.json({ bytes: b.length });
    } catch (e) {
      const h = e as HttpError;
      res.status(h.status ?? 500).json({ code: h.code });
    }
  });
  const server = await new Promise<http.Server>((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  return { url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** POSTs `body`, chunked (no Content-Length) when `chunked`. */
function post(url: string, body: Buffer, headers: Record<string, string>, chunked = false): Promise<{ status: number; body: { bytes?: number; code?: string } }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: chunked ? headers : { ...headers, 'content-length': String(body.length) } }, (res) => {
      let t = '';
      res.on('data', (c) => (t += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(t) }));
    });
    // The server may answer 413 and drop the rest before all of it is written.
    req.on('error', reject);
    if (chunked) for (let i = 0; i < body.length; i += 7) req.write(body.subarray(i, i + 7));
    else req.write(body);
    req.end();
  });
}

const JSON_CT = { 'content-type': 'application/json' };

test('the limit is the one given: at it read, one byte over 413 (declared or chunked)', async () => {
  for (const limit of [10, 64]) {
    const s = await bodyServer(limit);
    try {
      assert.equal(await post(s.url, Buffer.alloc(limit, 0x20), JSON_CT), { status: 200, body: { bytes: limit } });
      assert.equal(await post(s.url, Buffer.alloc(limit, 0x20), JSON_CT, true), { status: 200, body: { bytes: limit } });
      assert.equal(await post(s.url, Buffer.alloc(limit + 1, 0x20), JSON_CT), { status: 413, body: { code: 'too_large' } });
      assert.equal(await post(s.url, Buffer.alloc(limit + 1, 0x20), JSON_CT, true), { status: 413, body: { code: 'too_large' } });
    } finally {
      await s.close();
    }
  }
});

test('415 for another media type, charset or content encoding', async () => {
  const s = await bodyServer(100);
  try {
    for (const h of [{ 'content-type': 'text/plain' }, { 'content-type': 'application/json; charset=latin1' }, { ...JSON_CT, 'content-encoding': 'gzip' }]) {
      assert.equal(await post(s.url, Buffer.from('{}'), h), { status: 415, body: { code: 'unsupported_media_type' } }, JSON.stringify(h));
    }
    assert.equal(await post(s.url, Buffer.from('{}'), { 'content-type': 'application/json; charset=utf-8' }), { status: 200, body: { bytes: 2 } });
  } finally {
    await s.close();
  }
});

test('POST /v1/batches reads with its own limit: a declared body past 256 MiB is 413, a 3 MiB one (past 2 MiB) is read', async () => {
  const s = await testServer();
  try {
    const over = await new Promise<{ status: number; code: string }>((resolve, reject) => {
      const req = http.request(`${s.url}/v1/batches`, { method: 'POST', headers: { ...JSON_CT, 'content-length': String(MAX_BATCH_BODY_BYTES + 1) } }, (res) => {
        let t = '';
        res.on('data', (c) => (t += c));
        res.on('end', () => resolve({ status: res.statusCode!, code: JSON.parse(t).error?.code }));
      });
      req.on('error', reject);
      req.write('{');
    });
    assert.equal(over, { status: 413, code: 'too_large' });
    // 3 MiB of whitespace around {}: past /v1/events's 2 MiB, so read only under the batch
    // limit; the route then refuses it as a body without gifts (400 schema), not 413.
    const r = await post(`${s.url}/v1/batches`, Buffer.concat([Buffer.from('{'), Buffer.alloc(3 << 20, 0x20), Buffer.from('}')]), JSON_CT);
    assert.is(r.status, 400);
    assert.is((r.body as { error?: { code?: string } }).error?.code, 'schema');
    assert.equal(await post(`${s.url}/v1/batches`, Buffer.from('{}'), { 'content-type': 'text/plain' }).then((x) => x.status), 415);
  } finally {
    await s.close();
  }
});

test.run();
