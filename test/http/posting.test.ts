// POST /v1/events over real HTTP on 127.0.0.1 (DESIGN.md "Wire formats (version 1) /
// Posting"): arrays of 1..1000, whole-array rejections, mixed arrays judged in order,
// idempotent reposts with fresh proofs, media type and size limits, concurrent posters
// and a race of two disbursements for one balance.
import http from 'node:http';
import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { base64, concat, fromHex, openNote, parseCheckpoint, parseSignerKey, verifyInclusion } from '@cotc/tlog';
import { canonicalBytes, signEvent, type BodyByType, type EventType } from '@cotc/ledger';
import { testServer } from '../helpers/server.ts';
import { cny, donor, ev, newOrg, now, sha, uid, type Org } from '../helpers/events.ts';

let s: Awaited<ReturnType<typeof testServer>>;
let logKey: string;
const operator: Org = { id: 'operator', signerKey: '', verifierKey: '' };
const charity = newOrg('charity');
const other = newOrg('other');

// ---- HTTP ----------------------------------------------------------------------------

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function request(method: string, path: string, body?: string | Uint8Array, headers: Record<string, string> = {}): Promise<Answer> {
  const u = new URL(s.url + path);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        answered = true;
        resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    // The server may answer (413) and close before the whole body is written.
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    req.end(body);
  });
}

function postJson(body: string | Uint8Array, contentType: string | null = 'application/json'): Promise<Answer> {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const headers: Record<string, string> = { 'content-length': String(b.length) };
  if (contentType !== null) headers['content-type'] = contentType;
  return request('POST', '/v1/events', b, headers);
}

async function post(events: unknown): Promise<{ status: number; body: any }> {
  const a = await postJson(JSON.stringify(events));
  return { status: a.status, body: JSON.parse(a.text) };
}

async function getJson(path: string): Promise<any> {
  const a = await request('GET', path);
  assert.is(a.status, 200, `GET ${path}: ${a.status} ${a.text}`);
  return JSON.parse(a.text);
}

async function snapshot(): Promise<{ checkpoint: string; size: number }> {
  const cp = await request('GET', '/checkpoint');
  const log = await getJson('/v1/log');
  return { checkpoint: cp.text, size: log.size };
}

function errorOf(text: string): { code: string; message: string } {
  const body = JSON.parse(text);
  assert.equal(Object.keys(body), ['error'], text);
  assert.equal(Object.keys(body.error).sort(), ['code', 'message'], text);
  return body.error;
}

async function absent(id: string): Promise<void> {
  const g = await request('GET', `/v1/events/${id}`);
  assert.is(g.status, 404, `${id} should not be in the log: ${g.text}`);
}

// Opening a note checks its signature (slow in pure JS): once per distinct checkpoint.
const opened = new Map<string, ReturnType<typeof parseCheckpoint>>();
function openCheckpoint(note: string) {
  let cp = opened.get(note);
  if (!cp) opened.set(note, (cp = parseCheckpoint(openNote(note, [logKey]).text)));
  return cp;
}

/** An accepted answer: exactly {seq, leafHash, proof, checkpoint} (+ status in arrays), the
 * proof verifying against the checkpoint, which is signed by the log key and contains it. */
function checkAccepted(r: any, inArray: boolean): void {
  const keys = ['checkpoint', 'leafHash', 'proof', 'seq'];
  assert.equal(Object.keys(r).sort(), inArray ? [...keys, 'status'].sort() : keys, JSON.stringify(r));
  assert.match(r.leafHash, /^[0-9a-f]{64}$/);
  const cp = openCheckpoint(r.checkpoint);
  assert.is(r.proof.size, cp.size);
  assert.is(r.proof.index, r.seq);
  assert.ok(r.seq < cp.size, 'the checkpoint contains the entry');
  assert.ok(
    verifyInclusion(fromHex(r.leafHash), r.seq, cp.size, r.proof.hashes.map((h: string) => fromHex(h)), cp.root),
    `inclusion proof of seq ${r.seq} verifies`,
  );
}

// ---- events --------------------------------------------------------------------------

// Ed25519 is deterministic: node:crypto signs the same bytes as signEvent, ~50x faster,
// which keeps the 1000-event and concurrency tests quick (checked below).
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
function fastSigner(o: Org) {
  const k = parseSignerKey(o.signerKey);
  const priv = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, Buffer.from(k.seed)]), format: 'der', type: 'pkcs8' });
  return <T extends EventType>(type: T, body: BodyByType[T], id = uid(type.replace('.', '-'))) => {
    const unsigned = { v: 1, type, id, org: o.id, time: now(), body };
    return { ...unsigned, sig: base64(concat(k.id, nodeSign(null, canonicalBytes(unsigned), priv))) };
  };
}
const fast = fastSigner(charity);
const fastDonation = (fund: string, value: string | number, id = uid('d')) => fast('donation', { fund, amount: cny(value), donor: sha('d'), channel: 'bulk' }, id);

const reg = (o: Org, roles: string[]) => ev(operator, 'org.register', { org: o.id, name: o.id, roles: roles as never, keys: [o.verifierKey] });
const fundOpen = (o: Org, fund: string) => ev(o, 'fund.open', { fund, name: `Fund ${fund}`, currency: 'CNY', restricted: false, purpose: 'testing' });
const donation = (o: Org, fund: string, value: string | number, id?: string) => ev(o, 'donation', { fund, amount: cny(value), donor: donor(id ?? 'x'), channel: 'test' }, id);
const disbursement = (o: Org, fund: string, value: string | number) =>
  ev(o, 'disbursement', { fund, amount: cny(value), payee: 'Supplier Ltd', purpose: 'goods', receipts: [{ sha256: sha('b'), name: 'invoice.pdf' }] });

// ---- tests ---------------------------------------------------------------------------

test.before(async () => {
  s = await testServer();
  operator.signerKey = s.operatorKey;
});
test.after(async () => {
  await s?.close();
});

test('the server is up; setup', async () => {
  assert.ok(s, 'testServer() started');
  const h = await getJson('/healthz');
  assert.is(h.ok, true);
  logKey = (await getJson('/v1/log')).key;
  const r = await post([reg(charity, ['charity']), reg(other, ['charity']), fundOpen(charity, 'bulk'), fundOpen(other, 'other-fund')]);
  assert.is(r.status, 200);
  assert.equal(r.body.map((x: any) => x.status), [201, 201, 201, 201]);
  // The fast signer signs exactly as signEvent does.
  const e = fastDonation('bulk', 5, 'same-id');
  const { sig: _sig, ...unsigned } = e;
  assert.is((signEvent(unsigned as never, charity.signerKey) as { sig: string }).sig, e.sig);
});

test('a single event: 201 {seq, leafHash, proof, checkpoint}', async () => {
  const before = await snapshot();
  const r = await post(donation(charity, 'bulk', 10));
  assert.is(r.status, 201);
  checkAccepted(r.body, false);
  assert.is(r.body.seq, before.size);
  assert.is((await snapshot()).size, before.size + 1);
});

test('an array of 1: 200 with one result carrying its status', async () => {
  const before = await snapshot();
  const r = await post([donation(charity, 'bulk', 11)]);
  assert.is(r.status, 200);
  assert.is(r.body.length, 1);
  assert.is(r.body[0].status, 201);
  checkAccepted(r.body[0], true);
  assert.is(r.body[0].seq, before.size);
});

test('an array of 1000: all accepted, in order, every proof verifies', async () => {
  const before = await snapshot();
  const events = Array.from({ length: 1000 }, (_, i) => fastDonation('bulk', i + 1));
  const r = await post(events);
  assert.is(r.status, 200);
  assert.is(r.body.length, 1000);
  r.body.forEach((x: any, i: number) => {
    assert.is(x.status, 201, JSON.stringify(x));
    assert.is(x.seq, before.size + i);
    checkAccepted(x, true);
  });
  assert.is((await snapshot()).size, before.size + 1000);
  const fund = await getJson('/v1/funds/bulk');
  assert.is(fund.balance.value, String(10 + 11 + (1000 * 1001) / 2));
});

test('an empty array: 400 schema, nothing appended', async () => {
  const before = await snapshot();
  const a = await postJson('[]');
  assert.is(a.status, 400);
  assert.is(errorOf(a.text).code, 'schema');
  assert.equal(await snapshot(), before);
});

test('an array of 1001: 400 schema whole, nothing appended', async () => {
  const before = await snapshot();
  const events = Array.from({ length: 1001 }, () => fastDonation('bulk', 1));
  const a = await postJson(JSON.stringify(events));
  assert.is(a.status, 400, a.text);
  assert.is(errorOf(a.text).code, 'schema');
  assert.equal(await snapshot(), before);
  await absent(events[0]!.id);
  await absent(events[1000]!.id);
});

for (const [what, intruder] of [
  ['a number', 5],
  ['null', null],
  ['a string', 'event'],
  ['a boolean', true],
  ['an array', []],
  ['a nested array of an event', [{}]],
] as const) {
  test(`an array containing ${what}: 400 schema whole, nothing appended`, async () => {
    const before = await snapshot();
    const good = donation(charity, 'bulk', 3);
    const a = await postJson(JSON.stringify([good, intruder]));
    assert.is(a.status, 400, a.text);
    assert.is(errorOf(a.text).code, 'schema');
    assert.equal(await snapshot(), before);
    await absent(good.id);
  });
}

test('a mixed array: accepted ones appended in order, failures each with its own status, later ones see earlier ones', async () => {
  const before = await snapshot();
  const fund = uid('mixed');
  const events = [
    fundOpen(charity, fund), // 201
    donation(charity, fund, 100), // 201: sees the fund opened just before
    disbursement(charity, fund, 150), // 422 overdraft: only 100 so far
    donation(charity, uid('nowhere'), 5), // 422 unknown_fund
    donation(charity, fund, 100), // 201
    disbursement(charity, fund, 150), // 201: now 200 are there
    donation(other, fund, 5), // 403 forbidden
    { ...donation(charity, fund, 1), sig: donation(charity, fund, 2).sig }, // 401 bad_signature
    { ...donation(charity, fund, 1), amount: 1 }, // 400 schema
    fundOpen(charity, fund), // 422 already_exists: the fund.open of this array counts
    disbursement(charity, fund, 51), // 422 overdraft: 50 left
    disbursement(charity, fund, 50), // 201
  ];
  const r = await post(events);
  assert.is(r.status, 200);
  assert.equal(
    r.body.map((x: any) => x.status),
    [201, 201, 422, 422, 201, 201, 403, 401, 400, 422, 422, 201],
  );
  assert.equal(
    r.body.map((x: any) => x.error?.code ?? null),
    [null, null, 'overdraft', 'unknown_fund', null, null, 'forbidden', 'bad_signature', 'schema', 'already_exists', 'overdraft', null],
  );
  const seqs = r.body.filter((x: any) => x.status === 201).map((x: any) => x.seq);
  assert.equal(seqs, [0, 1, 2, 3, 4].map((i) => before.size + i));
  for (const x of r.body) {
    if (x.status === 201) checkAccepted(x, true);
    else {
      assert.equal(Object.keys(x).sort(), ['error', 'status']);
      assert.equal(Object.keys(x.error).sort(), ['code', 'message']);
    }
  }
  assert.is((await snapshot()).size, before.size + 5);
  for (const i of [2, 3, 6, 7, 9, 10]) await absent(events[i]!.id as string);
  const f = await getJson(`/v1/funds/${fund}`);
  assert.is(f.balance.value, '0');
});

test('an array whose events all fail: 200, nothing appended, checkpoint unchanged', async () => {
  const before = await snapshot();
  const r = await post([donation(charity, 'nowhere', 1), donation(other, 'bulk', 1)]);
  assert.is(r.status, 200);
  assert.equal(r.body.map((x: any) => x.error.code), ['unknown_fund', 'forbidden']);
  assert.equal(await snapshot(), before);
});

test('identical repost: 200 with the same seq and leaf hash and a fresh proof that verifies', async () => {
  const d = donation(charity, 'bulk', 42);
  const first = await post(d);
  assert.is(first.status, 201);
  checkAccepted(first.body, false);
  // Let the log grow, so that the repost's proof is against a newer checkpoint.
  assert.is((await post([donation(charity, 'bulk', 1), donation(charity, 'bulk', 2)])).status, 200);
  const before = await snapshot();
  const again = await post(d);
  assert.is(again.status, 200, JSON.stringify(again.body));
  checkAccepted(again.body, false);
  assert.is(again.body.seq, first.body.seq);
  assert.is(again.body.leafHash, first.body.leafHash);
  assert.is(again.body.checkpoint, before.checkpoint);
  assert.is(again.body.proof.size, before.size);
  assert.ok(again.body.proof.size > first.body.proof.size);
  assert.equal(await snapshot(), before, 'nothing appended');
  // In an array too, as its own element.
  const arr = await post([d]);
  assert.is(arr.status, 200);
  assert.is(arr.body[0].status, 200);
  assert.is(arr.body[0].seq, first.body.seq);
  checkAccepted(arr.body[0], true);
  // The same JSON with other whitespace and key order is the identical event.
  const reordered = '{ "sig": ' + JSON.stringify(d.sig) + ', "body": ' + JSON.stringify(d.body) + ',\n "time": "' + d.time + '", "org": "charity", "id": "' + d.id + '", "type": "donation", "v": 1 }';
  const r = await postJson(reordered);
  assert.is(r.status, 200, r.text);
  assert.is(JSON.parse(r.text).seq, first.body.seq);
  assert.equal(await snapshot(), before, 'nothing appended');
});

test('the same new event twice in one array: 201 then 200 with the same seq', async () => {
  const before = await snapshot();
  const d = donation(charity, 'bulk', 7);
  const r = await post([d, d]);
  assert.equal(r.body.map((x: any) => x.status), [201, 200]);
  assert.is(r.body[0].seq, before.size);
  assert.is(r.body[1].seq, before.size);
  assert.is(r.body[1].leafHash, r.body[0].leafHash);
  checkAccepted(r.body[1], true);
  assert.is((await snapshot()).size, before.size + 1);
});

test('time up to 5 minutes ahead is accepted', async () => {
  const e = signEvent({ v: 1, type: 'donation', id: uid('ahead'), org: 'charity', time: now(4 * 60_000), body: { fund: 'bulk', amount: cny(1), donor: sha('c'), channel: 'c' } } as never, charity.signerKey);
  const r = await post(e);
  assert.is(r.status, 201, JSON.stringify(r.body));
});

for (const [what, ct] of [
  ['text/plain', 'text/plain'],
  ['no content type', null],
  ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'],
  ['application/json with charset latin1', 'application/json; charset=latin1'],
] as const) {
  test(`415 unsupported_media_type for ${what}, nothing appended`, async () => {
    const before = await snapshot();
    const d = donation(charity, 'bulk', 9);
    const a = await postJson(JSON.stringify(d), ct);
    assert.is(a.status, 415, a.text);
    assert.is(errorOf(a.text).code, 'unsupported_media_type');
    assert.equal(await snapshot(), before);
    await absent(d.id);
  });
}

test('application/json; charset=utf-8 (any case) is accepted', async () => {
  const a = await postJson(JSON.stringify(donation(charity, 'bulk', 8)), 'Application/JSON; charset=UTF-8');
  assert.is(a.status, 201, a.text);
});

const MiB2 = 2 * 1024 * 1024;

/** A valid event padded with JSON whitespace to exactly n bytes. */
function padded(e: unknown, n: number): Uint8Array {
  const text = JSON.stringify(e);
  const b = Buffer.alloc(n, 0x20);
  b.write(text, 0, 'utf8');
  return b;
}

test('a body of exactly 2 MiB is read (a valid event padded with whitespace is accepted)', async () => {
  const d = donation(charity, 'bulk', 6);
  const a = await postJson(padded(d, MiB2));
  assert.is(a.status, 201, a.text);
});

test('413 too_large for 2 MiB + 1 byte (with content-length), nothing appended', async () => {
  const before = await snapshot();
  const d = donation(charity, 'bulk', 5);
  const a = await postJson(padded(d, MiB2 + 1));
  assert.is(a.status, 413, a.text);
  assert.is(errorOf(a.text).code, 'too_large');
  assert.equal(await snapshot(), before);
  await absent(d.id);
});

test('413 too_large for 2 MiB + 1 byte sent chunked (no content-length), nothing appended', async () => {
  const before = await snapshot();
  const d = donation(charity, 'bulk', 4);
  const a = await request('POST', '/v1/events', padded(d, MiB2 + 1), { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
  assert.is(a.status, 413, a.text);
  assert.is(errorOf(a.text).code, 'too_large');
  assert.equal(await snapshot(), before);
  await absent(d.id);
});

test('concurrent posters: 20 clients x 25 events, all 201, distinct seqs, every proof verifies', async () => {
  const before = await snapshot();
  const clients = 20;
  const each = 25;
  const funds = Array.from({ length: clients }, (_, c) => `conc-${c}`);
  const opened = await post(funds.map((f) => fast('fund.open', { fund: f, name: f, currency: 'CNY', restricted: false, purpose: 'p' })));
  assert.ok(opened.body.every((x: any) => x.status === 201));
  const results = await Promise.all(
    funds.map(async (fund) => {
      const out = [];
      for (let i = 0; i < each; i++) out.push(await post(fastDonation(fund, i + 1)));
      return out;
    }),
  );
  const seqs = new Set<number>();
  for (const rs of results) {
    for (const r of rs) {
      assert.is(r.status, 201, JSON.stringify(r.body));
      checkAccepted(r.body, false);
      seqs.add(r.body.seq);
    }
  }
  assert.is(seqs.size, clients * each);
  const after = await snapshot();
  assert.is(after.size, before.size + clients + clients * each);
  for (const q of seqs) assert.ok(q >= before.size + clients && q < after.size);
  for (const f of funds) assert.is((await getJson(`/v1/funds/${f}`)).balance.value, String((each * (each + 1)) / 2));
});

test('concurrent posters of whole arrays: interleaved, each array in order', async () => {
  const fund = 'conc-0';
  const arrays = Array.from({ length: 10 }, () => Array.from({ length: 20 }, () => fastDonation(fund, 1)));
  const rs = await Promise.all(arrays.map((a) => post(a)));
  const all = new Set<number>();
  for (const r of rs) {
    assert.is(r.status, 200);
    let last = -1;
    for (const x of r.body) {
      assert.is(x.status, 201);
      assert.ok(x.seq > last, 'an array keeps its order');
      last = x.seq;
      all.add(x.seq);
      checkAccepted(x, true);
    }
  }
  assert.is(all.size, 200);
});

test('two disbursements at once against a balance that covers one: one 201, one 422 overdraft', async () => {
  const fund = uid('race');
  const r = await post([fundOpen(charity, fund), donation(charity, fund, 100)]);
  assert.equal(r.body.map((x: any) => x.status), [201, 201]);
  const before = await snapshot();
  const a = disbursement(charity, fund, 70);
  const b = disbursement(charity, fund, 70);
  const [ra, rb] = await Promise.all([post(a), post(b)]);
  const statuses = [ra.status, rb.status].sort();
  assert.equal(statuses, [201, 422], JSON.stringify([ra.body, rb.body]));
  const lost = ra.status === 422 ? ra : rb;
  const won = ra.status === 201 ? ra : rb;
  assert.equal(Object.keys(lost.body), ['error']);
  assert.is(lost.body.error.code, 'overdraft');
  checkAccepted(won.body, false);
  assert.is((await snapshot()).size, before.size + 1);
  assert.is((await getJson(`/v1/funds/${fund}`)).balance.value, '30');
  await absent((ra.status === 422 ? a : b).id);
});

test.run();
