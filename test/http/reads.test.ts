// The read endpoints of DESIGN.md "The HTTP API" and "Wire formats (version 1) / Reads",
// over real HTTP on 127.0.0.1, and the trace bundle of a donation that was partly
// transferred, disbursed and confirmed (with a refund of another donation beside it),
// checked against a hand-computed graph.
import http from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromBase64, fromHex, hex, leafHash, openNote, parseCheckpoint, parseVerifierKey, rootHash, verifyConsistency, verifyInclusion } from '@cotc/tlog';
import { checkConservation } from '@cotc/ledger';
import { testServer } from '../helpers/server.ts';
import { createApp } from '../../src/http/app.ts';
import { cny, donor, ev, newOrg, sha, type Org } from '../helpers/events.ts';

let s: Awaited<ReturnType<typeof testServer>>;
let logKey: string;
const operator: Org = { id: 'operator', signerKey: '', verifierKey: '' };
const charity = newOrg('charity');
const school = newOrg('school');
const school2 = newOrg('school'); // school's second key, added by org.keys
const supplier = newOrg('supplier');
const bystander = newOrg('bystander');

// ---- HTTP ----------------------------------------------------------------------------

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function request(method: string, path: string, body?: string): Promise<Answer> {
  const u = new URL(s.url);
  return new Promise((resolve, reject) => {
    // `path` goes out exactly as written (no URL normalisation of "..", "%2F").
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    const req = http.request({ host: u.hostname, port: u.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function getJson(path: string): Promise<any> {
  const a = await request('GET', path);
  assert.is(a.status, 200, `GET ${path}: ${a.status} ${a.text}`);
  assert.match(String(a.headers['content-type']), /^application\/json/);
  return JSON.parse(a.text);
}

async function getError(path: string, status: number, code: string, method = 'GET'): Promise<void> {
  const a = await request(method, path);
  assert.is(a.status, status, `${method} ${path}: ${a.text}`);
  const body = JSON.parse(a.text);
  assert.equal(Object.keys(body), ['error'], a.text);
  assert.equal(Object.keys(body.error).sort(), ['code', 'message'], a.text);
  assert.is(body.error.code, code, a.text);
  assert.type(body.error.message, 'string');
}

const openCp = (note: string) => parseCheckpoint(openNote(note, [logKey]).text);
const hashes = (hs: string[]) => hs.map((h) => fromHex(h));
const decode = (data: string) => JSON.parse(new TextDecoder().decode(fromBase64(data)));

// ---- the scenario --------------------------------------------------------------------

const reg = (o: Org, roles: string[]) => ev(operator, 'org.register', { org: o.id, name: `The ${o.id}`, roles: roles as never, keys: [o.verifierKey] });
const scenario = () => ({
  regCharity: reg(charity, ['charity']), // 1
  regSchool: reg(school, ['charity']), // 2
  regSupplier: reg(supplier, ['payee']), // 3
  regBystander: reg(bystander, ['auditor']), // 4
  addKey: ev(school, 'org.keys', { org: 'school', add: [school2.verifierKey], revoke: [] }), // 5
  openA: ev(charity, 'fund.open', { fund: 'A', name: 'Music classrooms', currency: 'CNY', restricted: true, purpose: 'music classrooms in rural schools' }), // 6
  openS: ev(school, 'fund.open', { fund: 'S', name: 'School projects', currency: 'CNY', restricted: true, purpose: 'instruments' }), // 7
  dX: ev(charity, 'donation', { fund: 'A', amount: cny(300), donor: donor('dX'), channel: 'goods-for-good' }, 'dX'), // 8
  dT: ev(charity, 'donation', { fund: 'A', amount: cny(1000), donor: donor('dT'), channel: 'steps-for-charity' }, 'dT'), // 9
  dR: ev(charity, 'donation', { fund: 'A', amount: cny(200), donor: donor('dR'), channel: 'goods-for-good' }, 'dR'), // 10
  refund: ev(charity, 'reversal', { event: 'dR', reason: 'donor asked for a refund' }, 'rR'), // 11
  t1: ev(charity, 'transfer', { from: 'A', to: 'S', amount: cny(800), memo: 'grant to the school' }, 't1'), // 12
  disb1: ev(school2, 'disbursement', { fund: 'S', amount: cny(600), payee: 'supplier', purpose: 'pianos', receipts: [{ sha256: sha('1'), name: 'invoice.pdf' }] }, 'disb1'), // 13
  conf1: ev(supplier, 'confirmation', { disbursement: 'disb1', statement: '2 pianos delivered', evidence: [{ sha256: sha('2'), name: 'photo.jpg' }] }, 'conf1'), // 14
  disb2: ev(charity, 'disbursement', { fund: 'A', amount: cny(100), payee: 'Music Co', purpose: 'sheet music', receipts: [] }, 'disb2'), // 15
  revokeKey1: ev(school2, 'org.keys', { org: 'school', add: [], revoke: [school.verifierKey] }), // 16
});
let E: ReturnType<typeof scenario>; // signed once the operator key is known
const order = [
  'regCharity', 'regSchool', 'regSupplier', 'regBystander', 'addKey', 'openA', 'openS', 'dX', 'dT', 'dR',
  'refund', 't1', 'disb1', 'conf1', 'disb2', 'revokeKey1',
] as const;
const seqOf = (k: keyof typeof E) => order.indexOf(k) + 1;
let earlyCheckpoint: string; // after the registrations only
const posted = new Map<string, { seq: number; leafHash: string }>();

test.before(async () => {
  s = await testServer();
  operator.signerKey = s.operatorKey;
  E = scenario();
});
test.after(async () => {
  await s?.close();
});

test('the server is up; the scenario is posted', async () => {
  assert.ok(s, 'testServer() started');
  assert.ok(E, 'the scenario was signed');
  assert.equal(Object.keys(E), [...order]);
  logKey = (await getJson('/v1/log')).key;
  const first = await s.client.post(order.slice(0, 4).map((k) => E[k]));
  assert.is(first.status, 200);
  earlyCheckpoint = await (await fetch(s.url + '/checkpoint')).text();
  const rest = await s.client.post(order.slice(4).map((k) => E[k]));
  const all = [...first.body, ...rest.body];
  all.forEach((x: any, i: number) => {
    assert.is(x.status, 201, `${order[i]}: ${JSON.stringify(x)}`);
    assert.is(x.seq, i + 1, order[i]);
    posted.set(E[order[i]!].id, { seq: x.seq, leafHash: x.leafHash });
  });
});

test('GET /healthz', async () => {
  const h = await getJson('/healthz');
  assert.equal(h, { ok: true, size: order.length + 1 });
});

test('GET /v1/log: {origin, size, key}', async () => {
  const l = await getJson('/v1/log');
  assert.equal(Object.keys(l).sort(), ['key', 'origin', 'size']);
  assert.is(l.size, order.length + 1);
  assert.is(l.key.split('+')[0], l.origin, "the origin is the log key's name");
  assert.match(l.key, /^[^+]+\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$/);
  assert.is(parseVerifierKey(l.key).name, l.origin);
  const cp = openCp(await (await fetch(s.url + '/checkpoint')).text());
  assert.is(cp.origin, l.origin);
  assert.is(cp.size, l.size);
});

test('GET /checkpoint: text/plain, a C2SP checkpoint signed by the log key', async () => {
  const a = await request('GET', '/checkpoint');
  assert.is(a.status, 200);
  assert.match(String(a.headers['content-type']), /^text\/plain/);
  assert.is(a.headers['access-control-allow-origin'], '*');
  const cp = openCp(a.text);
  assert.is(cp.size, order.length + 1);
  const lines = a.text.split('\n');
  assert.is(lines[1], String(cp.size));
});

test('GET /v1/events/:id: the entry bytes hash to the proven leaf; the entry is the event as posted', async () => {
  let prevLeaf = '0'.repeat(64);
  const e0 = await getJson('/v1/events/operator.register');
  assert.is(e0.entry.index, 0);
  prevLeaf = hex(leafHash(fromBase64(e0.entry.data)));
  for (const k of order) {
    const posted_ = E[k];
    const r = await getJson(`/v1/events/${posted_.id}`);
    assert.equal(Object.keys(r).sort(), ['checkpoint', 'entry', 'proof']);
    assert.equal(Object.keys(r.entry).sort(), ['data', 'index']);
    const cp = openCp(r.checkpoint);
    const bytes = fromBase64(r.entry.data);
    const leaf = leafHash(bytes);
    assert.is(r.entry.index, seqOf(k));
    assert.equal(r.proof.index, r.entry.index);
    assert.is(r.proof.size, cp.size);
    assert.ok(verifyInclusion(leaf, r.entry.index, cp.size, hashes(r.proof.hashes), cp.root), `${k}: proof verifies`);
    assert.is(hex(leaf), posted.get(posted_.id)!.leafHash, `${k}: the leaf hash POST answered`);
    const entry = decode(r.entry.data);
    assert.equal(Object.keys(entry).sort(), ['effects', 'event', 'prev', 'seq', 'time']);
    assert.is(entry.seq, r.entry.index);
    assert.is(entry.prev, prevLeaf, `${k}: the hash chain`);
    assert.equal(entry.event, posted_);
    prevLeaf = hex(leaf);
  }
  // The effects the sequencer wrote, by hand.
  const effects = async (id: string) => decode((await getJson(`/v1/events/${id}`)).entry.data).effects;
  assert.equal(await effects('dT'), []);
  assert.equal(await effects('rR'), [{ donation: 'dR', via: 'dR', value: '200' }]);
  assert.equal(await effects('t1'), [
    { donation: 'dX', via: 'dX', value: '300' },
    { donation: 'dT', via: 'dT', value: '500' },
  ]);
  assert.equal(await effects('disb1'), [
    { donation: 'dX', via: 't1', value: '300' },
    { donation: 'dT', via: 't1', value: '300' },
  ]);
  assert.equal(await effects('conf1'), []);
  assert.equal(await effects('disb2'), [{ donation: 'dT', via: 'dT', value: '100' }]);
});

test('GET /v1/events/:id: 404 not_found for a missing id, 400 bad_request for an invalid one', async () => {
  await getError('/v1/events/no-such-event', 404, 'not_found');
  await getError('/v1/events/..%2F..', 400, 'bad_request');
  await getError('/v1/events/a%2Fb', 400, 'bad_request');
  await getError('/v1/events/' + 'a'.repeat(129), 400, 'bad_request');
  await getError('/v1/events/%20x', 400, 'bad_request');
  await getError('/v1/events/.hidden', 400, 'bad_request');
});

test('GET /v1/entries: paging', async () => {
  const size = order.length + 1;
  const all = await getJson('/v1/entries?start=0&limit=1000');
  assert.equal(Object.keys(all), ['entries']);
  assert.is(all.entries.length, size);
  all.entries.forEach((e: any, i: number) => {
    assert.equal(Object.keys(e).sort(), ['data', 'index']);
    assert.is(e.index, i);
  });
  // The leaves hash to the checkpoint's root; the hash chain holds.
  const leaves = all.entries.map((e: any) => leafHash(fromBase64(e.data)));
  const cp = openCp(await (await fetch(s.url + '/checkpoint')).text());
  assert.equal(rootHash(leaves), cp.root);
  all.entries.forEach((e: any, i: number) => assert.is(decode(e.data).prev, i === 0 ? '0'.repeat(64) : hex(leaves[i - 1])));

  // Pages of 3 put together are the whole log.
  const paged: any[] = [];
  for (let start = 0; start < size; start += 3) {
    const p = await getJson(`/v1/entries?start=${start}&limit=3`);
    assert.ok(p.entries.length === 3 || start + p.entries.length === size);
    paged.push(...p.entries);
  }
  assert.equal(paged, all.entries);
  assert.equal((await getJson('/v1/entries')).entries, all.entries, 'defaults: start 0, limit 100');
  assert.equal((await getJson('/v1/entries?start=5&limit=2')).entries, all.entries.slice(5, 7));
  assert.equal((await getJson(`/v1/entries?start=${size - 1}&limit=10`)).entries, [all.entries[size - 1]]);
  assert.equal(await getJson(`/v1/entries?start=${size}&limit=10`), { entries: [] });
  assert.equal(await getJson('/v1/entries?start=1000000&limit=10'), { entries: [] });
  await getError('/v1/entries?start=0&limit=1001', 400, 'bad_request');
  await getError('/v1/entries?start=0&limit=0', 400, 'bad_request');
  await getError('/v1/entries?start=-1', 400, 'bad_request');
  await getError('/v1/entries?start=abc', 400, 'bad_request');
  await getError('/v1/entries?start=1.5', 400, 'bad_request');
  await getError('/v1/entries?limit=1&limit=2', 400, 'bad_request');
});

test('GET /v1/donations?limit=N: newest first, {id, fund, amount, index}', async () => {
  const r = await getJson('/v1/donations?limit=2');
  assert.equal(r, {
    donations: [
      { id: 'dR', fund: 'A', amount: cny(200), index: seqOf('dR') },
      { id: 'dT', fund: 'A', amount: cny(1000), index: seqOf('dT') },
    ],
    next: seqOf('dT'),
  });
  // The next page: below the last index of this one (the `before=` cursor).
  assert.equal(await getJson(`/v1/donations?limit=2&before=${seqOf('dT')}`), { donations: [{ id: 'dX', fund: 'A', amount: cny(300), index: seqOf('dX') }] });
  assert.equal(await getJson(`/v1/donations?before=${seqOf('dX')}`), { donations: [] });
  await getError('/v1/donations?before=0', 400, 'bad_request');
  await getError('/v1/donations?before=x', 400, 'bad_request');
  const all = await getJson('/v1/donations?limit=1000');
  assert.equal(all.donations.map((d: any) => d.id), ['dR', 'dT', 'dX']);
  assert.equal((await getJson('/v1/donations')).donations, all.donations);
  await getError('/v1/donations?limit=0', 400, 'bad_request');
  await getError('/v1/donations?limit=1001', 400, 'bad_request');
  await getError('/v1/donations?limit=x', 400, 'bad_request');
});

test('GET /v1/proofs/consistency', async () => {
  const size = order.length + 1;
  const early = openCp(earlyCheckpoint);
  assert.is(early.size, 5);
  const now = openCp(await (await fetch(s.url + '/checkpoint')).text());
  const c = await getJson(`/v1/proofs/consistency?from=${early.size}&to=${now.size}`);
  assert.equal(Object.keys(c).sort(), ['from', 'hashes', 'to']);
  assert.is(c.from, early.size);
  assert.is(c.to, now.size);
  assert.ok(verifyConsistency(early.size, now.size, hashes(c.hashes), early.root, now.root));
  assert.not.ok(verifyConsistency(early.size, now.size, hashes(c.hashes), now.root, now.root));
  // `to` defaults to the current size.
  assert.equal(await getJson(`/v1/proofs/consistency?from=${early.size}`), c);
  // Every earlier size is consistent with the current tree.
  const all = await getJson('/v1/entries?limit=1000');
  const leaves = all.entries.map((e: any) => leafHash(fromBase64(e.data)));
  for (let from = 1; from <= size; from++) {
    const p = await getJson(`/v1/proofs/consistency?from=${from}&to=${size}`);
    assert.ok(verifyConsistency(from, size, hashes(p.hashes), rootHash(leaves.slice(0, from)), now.root), `from ${from}`);
  }
  await getError(`/v1/proofs/consistency?from=${size}&to=${size - 1}`, 400, 'bad_request');
  await getError(`/v1/proofs/consistency?from=0&to=${size}`, 400, 'bad_request');
  await getError(`/v1/proofs/consistency?from=1&to=${size + 1}`, 400, 'bad_request');
  await getError('/v1/proofs/consistency', 400, 'bad_request');
  await getError('/v1/proofs/consistency?from=x', 400, 'bad_request');
});

test('GET /v1/funds/:id', async () => {
  // A: dX 300 and dT 500 went to S, dR 200 was refunded, disb2 took 100 of dT: 400 of dT left.
  assert.equal(await getJson('/v1/funds/A'), {
    id: 'A',
    owner: 'charity',
    name: 'Music classrooms',
    currency: 'CNY',
    restricted: true,
    purpose: 'music classrooms in rural schools',
    balance: cny(400),
    lots: 1,
    openedSeq: seqOf('openA'),
  });
  // S: got dX 300 + dT 500 via t1; disb1 took 600 (dX 300, dT 300): 200 of dT left.
  assert.equal(await getJson('/v1/funds/S'), {
    id: 'S',
    owner: 'school',
    name: 'School projects',
    currency: 'CNY',
    restricted: true,
    purpose: 'instruments',
    balance: cny(200),
    lots: 1,
    openedSeq: seqOf('openS'),
  });
  await getError('/v1/funds/nope', 404, 'not_found');
  await getError('/v1/funds/..%2F..', 400, 'bad_request');
});

test('GET /v1/orgs/:id: keys with addedSeq / revokedSeq', async () => {
  assert.equal(await getJson('/v1/orgs/school'), {
    id: 'school',
    name: 'The school',
    roles: ['charity'],
    registeredSeq: seqOf('regSchool'),
    keys: [
      { key: school.verifierKey, addedSeq: seqOf('regSchool'), revokedSeq: seqOf('revokeKey1') },
      { key: school2.verifierKey, addedSeq: seqOf('addKey') },
    ],
  });
  const op = await getJson('/v1/orgs/operator');
  assert.is(op.registeredSeq, 0);
  assert.equal(op.roles, ['operator']);
  assert.is(op.keys.length, 1);
  assert.is(op.keys[0].addedSeq, 0);
  assert.is(op.keys[0].revokedSeq, undefined);
  await getError('/v1/orgs/nobody', 404, 'not_found');
  await getError('/v1/orgs/a%2Fb', 400, 'bad_request');
});

test('unknown routes: 404 {"error": {"code": "not_found"}}', async () => {
  await getError('/nope', 404, 'not_found');
  await getError('/v1/nope', 404, 'not_found');
  await getError('/v2/log', 404, 'not_found');
  await getError('/v1/events', 404, 'not_found');
  await getError('/v1/nope', 404, 'not_found', 'POST');
  await getError('/v1/events/dT', 404, 'not_found', 'DELETE');
});

// ---- trace bundles -------------------------------------------------------------------

async function bundleOf(id: string): Promise<any> {
  const b = await getJson(`/v1/donations/${id}/trace`);
  assert.equal(Object.keys(b).sort(), ['checkpoint', 'entries', 'trace', 'version']);
  assert.is(b.version, 1);
  const cp = openCp(b.checkpoint);
  let last = -1;
  for (const e of b.entries) {
    assert.equal(Object.keys(e).sort(), ['data', 'index', 'proof']);
    assert.ok(e.index > last, 'entries in index order, each once');
    last = e.index;
    assert.is(e.proof.index, e.index);
    assert.is(e.proof.size, cp.size, "every proof's size is the checkpoint's");
    assert.ok(verifyInclusion(leafHash(fromBase64(e.data)), e.index, cp.size, hashes(e.proof.hashes), cp.root), `entry ${e.index} verifies`);
    assert.is(decode(e.data).seq, e.index);
  }
  // Every node's event is among the entries, at its index.
  const byIndex = new Map<number, any>(b.entries.map((e: any) => [e.index, decode(e.data)]));
  for (const n of b.trace.nodes) assert.is(byIndex.get(n.index)?.event.id, n.event, `node ${n.event}`);
  // Entry 0 and the org.register of every signer are there.
  assert.is(byIndex.get(0)?.event.type, 'org.register');
  const signers = new Set([...byIndex.values()].map((e) => e.event.org));
  const registered = new Set([...byIndex.values()].filter((e) => e.event.type === 'org.register').map((e) => e.event.body.org));
  for (const o of signers) assert.ok(registered.has(o), `the org.register of signer ${o} is in the bundle`);
  return b;
}

test('trace bundle: a donation partly transferred, disbursed, confirmed by the payee, beside a refund of another', async () => {
  const b = await bundleOf('dT');
  assert.equal(b.trace, {
    donation: 'dT',
    currency: 'CNY',
    nodes: [
      { event: 'dT', type: 'donation', index: seqOf('dT'), fund: 'A', unspent: '400' },
      { event: 't1', type: 'transfer', index: seqOf('t1'), fund: 'S', unspent: '200' },
      { event: 'disb1', type: 'disbursement', index: seqOf('disb1') },
      { event: 'conf1', type: 'confirmation', index: seqOf('conf1') },
      { event: 'disb2', type: 'disbursement', index: seqOf('disb2') },
    ],
    flows: [
      { from: 'dT', to: 't1', value: '500' },
      { from: 't1', to: 'disb1', value: '300' },
      { from: 'dT', to: 'disb2', value: '100' },
    ],
  });
  assert.equal(checkConservation(b.trace, '1000'), []);
  // Entries: entry 0; the registrations of every signer (operator, charity, school,
  // supplier) and school's org.keys (both, the later revocation too); the graph's events.
  // The fund.open of every fund a node names (A and S: owners and restricted flags). Not
  // the bystander's registration, nor the other donations and the refund.
  assert.equal(
    b.entries.map((e: any) => e.index),
    [0, seqOf('regCharity'), seqOf('regSchool'), seqOf('regSupplier'), seqOf('addKey'), seqOf('openA'), seqOf('openS'), seqOf('dT'), seqOf('t1'), seqOf('disb1'), seqOf('conf1'), seqOf('disb2'), seqOf('revokeKey1')].sort((x, y) => x - y),
  );
});

test('trace bundle: the refunded donation', async () => {
  const b = await bundleOf('dR');
  assert.equal(b.trace, {
    donation: 'dR',
    currency: 'CNY',
    nodes: [
      { event: 'dR', type: 'donation', index: seqOf('dR'), fund: 'A', unspent: '0' },
      { event: 'rR', type: 'reversal', index: seqOf('refund') },
    ],
    flows: [{ from: 'dR', to: 'rR', value: '200' }],
  });
  assert.equal(checkConservation(b.trace, '200'), []);
  assert.equal(b.entries.map((e: any) => e.index), [0, seqOf('regCharity'), seqOf('openA'), seqOf('dR'), seqOf('refund')]);
});

test('trace bundle: the donation spent in full through the transfer', async () => {
  const b = await bundleOf('dX');
  assert.equal(b.trace.nodes, [
    { event: 'dX', type: 'donation', index: seqOf('dX'), fund: 'A', unspent: '0' },
    { event: 't1', type: 'transfer', index: seqOf('t1'), fund: 'S', unspent: '0' },
    { event: 'disb1', type: 'disbursement', index: seqOf('disb1') },
    { event: 'conf1', type: 'confirmation', index: seqOf('conf1') },
  ]);
  assert.equal(b.trace.flows, [
    { from: 'dX', to: 't1', value: '300' },
    { from: 't1', to: 'disb1', value: '300' },
  ]);
  assert.equal(checkConservation(b.trace, '300'), []);
});

test('trace bundle: 404 for a missing donation or a non-donation, 400 for an invalid id', async () => {
  await getError('/v1/donations/nope/trace', 404, 'not_found');
  await getError('/v1/donations/t1/trace', 404, 'not_found');
  await getError('/v1/donations/disb1/trace', 404, 'not_found');
  await getError('/v1/donations/..%2F../trace', 400, 'bad_request');
});

test('reads cover only the committed head: an entry the store holds beyond it is not served yet', async () => {
  // A stub log caught between a batch's store write and its head update: the store knows
  // event "late" at seq 5 (a donation), the head still says size 5.
  const stub = {
    size: 5,
    head: () => ({ size: 5, checkpoint: 'stub\n5\n' }),
    entryOf: async (id: string) => (id === 'late' ? { seq: 5, data: new Uint8Array([0x7b, 0x7d]) } : undefined),
    proveInclusion: async (index: number, size: number) => {
      throw new Error(`proof of ${index} asked at size ${size}`);
    },
    store: { recentDonations: async () => [[5, 'late']], entries: async () => [new Uint8Array([0x7b, 0x7d])] },
  };
  const server = http.createServer(createApp({ log: stub as never }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (server.address() as { port: number }).port;
    const get = async (path: string) => {
      const r = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: r.status, body: await r.json() };
    };
    const e = await get('/v1/events/late');
    assert.is(e.status, 404, JSON.stringify(e.body));
    assert.is(e.body.error.code, 'not_found');
    assert.equal(await get('/v1/donations?limit=5'), { status: 200, body: { donations: [] } });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test.run();
