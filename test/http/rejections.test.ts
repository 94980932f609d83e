// Every rejection code of DESIGN.md "Wire formats (version 1) / Posting", over real HTTP on
// 127.0.0.1, from a table of cases; plus the check order (an event failing two checks
// answers the earlier one). After every rejection the log is untouched: GET /checkpoint is
// byte-identical and /v1/log's size unchanged. Every error body is exactly
// {"error": {"code", "message"}}.
import http from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { concat, formatVerifierKey, generateKey } from '@cotc/tlog';
import { signEvent, type BodyByType, type EventType } from '@cotc/ledger';
import { testServer } from '../helpers/server.ts';
import { cny, donor, ev, newOrg, now, sha, uid, type Org } from '../helpers/events.ts';

let s: Awaited<ReturnType<typeof testServer>>;
const operator: Org = { id: 'operator', signerKey: '', verifierKey: '' };
const charity = newOrg('charity');
const other = newOrg('other');
const payee = newOrg('payee');
const auditor = newOrg('auditor');
const rotA = newOrg('rot');
const rotB = newOrg('rot'); // a second key of org "rot", revoked during setup
const lonely = newOrg('lonely');
const ghost = newOrg('ghost'); // never registered

const MAX = '9223372036854775807'; // 2^63 - 1
const OVER = '9223372036854775808'; // 2^63

// Events of the setup that cases refer to.
let fundOpenCny: { id: string };
let disb1: { id: string };
let signedByRotB: unknown; // accepted before rotB was revoked
let disbSelf: { id: string }; // charity pays itself (payee = "charity")
let disbAud: { id: string }; // a disbursement by the auditor org

// ---- HTTP ----------------------------------------------------------------------------

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function request(method: string, path: string, body?: string | Uint8Array, headers: Record<string, string> = {}): Promise<Answer> {
  const u = new URL(s.url + path);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function postRaw(body: string | Uint8Array): Promise<Answer> {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return request('POST', '/v1/events', b, { 'content-type': 'application/json', 'content-length': String(b.length) });
}

async function getJson(path: string): Promise<any> {
  const a = await request('GET', path);
  assert.is(a.status, 200, `GET ${path}: ${a.status} ${a.text}`);
  return JSON.parse(a.text);
}

async function snapshot(): Promise<{ checkpoint: string; size: number }> {
  const cp = await request('GET', '/checkpoint');
  assert.is(cp.status, 200);
  const log = await getJson('/v1/log');
  return { checkpoint: cp.text, size: log.size };
}

/** The error body, checked to be exactly {"error": {"code", "message"}}. */
function errorOf(text: string): { code: string; message: string } {
  const body = JSON.parse(text);
  assert.equal(Object.keys(body), ['error'], `error body ${text}`);
  assert.equal(Object.keys(body.error).sort(), ['code', 'message'], `error body ${text}`);
  assert.type(body.error.code, 'string');
  assert.type(body.error.message, 'string');
  assert.ok(body.error.message.length > 0, 'the message says something');
  return body.error;
}

// ---- events --------------------------------------------------------------------------

/** An event signed by `key` (whose name need not be `org`), with optional id and time. */
function signed<T extends EventType>(key: Org, type: T, body: BodyByType[T], over: { id?: string; org?: string; time?: string } = {}) {
  return signEvent({ v: 1, type, id: over.id ?? uid(type.replace('.', '-')), org: over.org ?? key.id, time: over.time ?? now(), body } as never, key.signerKey) as Record<string, any>;
}

const reg = (o: Org, roles: string[], keys = [o.verifierKey]) => ev(operator, 'org.register', { org: o.id, name: o.id, roles: roles as never, keys });
const fundOpen = (o: Org, fund: string, currency = 'CNY') => ev(o, 'fund.open', { fund, name: `Fund ${fund}`, currency, restricted: false, purpose: 'testing' });
const donation = (o: Org, fund: string, value: string, id?: string, currency = 'CNY') =>
  ev(o, 'donation', { fund, amount: { currency, value }, donor: donor(id ?? 'x'), channel: 'test' }, id);
const disbursement = (o: Org, fund: string, value: string, payeeName = 'Supplier Ltd', currency = 'CNY') =>
  ev(o, 'disbursement', { fund, amount: { currency, value }, payee: payeeName, purpose: 'goods', receipts: [{ sha256: sha('a'), name: 'invoice.pdf' }] });
const transfer = (o: Org, from: string, to: string, value: string, currency = 'CNY') => ev(o, 'transfer', { from, to, amount: { currency, value }, memo: 'grant' });
const reversal = (o: Org, event: string) => ev(o, 'reversal', { event, reason: 'refund' });
const confirmation = (o: Org, disbursementId: string) => ev(o, 'confirmation', { disbursement: disbursementId, statement: 'delivered', evidence: [] });
const orgKeys = (o: Org, org: string, add: string[], revoke: string[]) => ev(o, 'org.keys', { org, add, revoke });

/** A valid fund.open as JSON text with `"name":"<placeholder>"` replaced by `replacement`. */
function rawFundOpen(replacement: string): string {
  const e = fundOpen(charity, uid('raw'));
  const text = JSON.stringify(e);
  const needle = `"name":${JSON.stringify(e.body.name)}`;
  assert.ok(text.includes(needle));
  return text.replace(needle, `"name":${replacement}`);
}

function without(o: object, key: string): Record<string, unknown> {
  const { [key]: _drop, ...rest } = o as Record<string, unknown>;
  return rest;
}

// ---- the table -----------------------------------------------------------------------

type Built = unknown | { raw: string | Uint8Array };
interface Case {
  name: string;
  build: () => Built;
  status: number;
  code: string;
}

const isRaw = (b: Built): b is { raw: string | Uint8Array } => typeof b === 'object' && b !== null && 'raw' in b && Object.keys(b).length === 1;

const cases: Case[] = [
  // 400 schema
  { name: 'malformed JSON', build: () => ({ raw: '{"v":1,"type":' }), status: 400, code: 'schema' },
  { name: 'empty body', build: () => ({ raw: '' }), status: 400, code: 'schema' },
  { name: 'a JSON string, not an event', build: () => ({ raw: '"hello"' }), status: 400, code: 'schema' },
  { name: 'missing field (time)', build: () => without(fundOpen(charity, uid('f')), 'time'), status: 400, code: 'schema' },
  { name: 'missing body field (purpose)', build: () => ({ ...fundOpen(charity, uid('f')), body: without(fundOpen(charity, 'x').body, 'purpose') }), status: 400, code: 'schema' },
  { name: 'extra envelope field', build: () => ({ ...fundOpen(charity, uid('f')), extra: 1 }), status: 400, code: 'schema' },
  { name: 'extra body field', build: () => signed(charity, 'fund.open', { fund: uid('f'), name: 'n', currency: 'CNY', restricted: false, purpose: 'p', extra: true } as never), status: 400, code: 'schema' },
  {
    name: 'float amount (JSON number 1.5)',
    build: () => {
      const text = JSON.stringify(donation(charity, 'c-cny', '15'));
      return { raw: text.replace('"value":"15"', '"value":1.5') };
    },
    status: 400,
    code: 'schema',
  },
  { name: 'float amount (string "10.5")', build: () => signed(charity, 'donation', { fund: 'c-cny', amount: cny('10.5'), donor: donor('f'), channel: 'c' }), status: 400, code: 'schema' },
  { name: 'integer amount value (JSON number 15)', build: () => ({ raw: JSON.stringify(donation(charity, 'c-cny', '15')).replace('"value":"15"', '"value":15') }), status: 400, code: 'schema' },
  { name: 'amount "0"', build: () => signed(charity, 'donation', { fund: 'c-cny', amount: cny('0'), donor: donor('z'), channel: 'c' }), status: 400, code: 'schema' },
  { name: 'amount "01"', build: () => signed(charity, 'donation', { fund: 'c-cny', amount: cny('01'), donor: donor('z'), channel: 'c' }), status: 400, code: 'schema' },
  { name: 'amount "-5"', build: () => signed(charity, 'donation', { fund: 'c-cny', amount: cny('-5'), donor: donor('z'), channel: 'c' }), status: 400, code: 'schema' },
  { name: 'amount of 20 digits', build: () => signed(charity, 'donation', { fund: 'c-cny', amount: cny('10000000000000000000'), donor: donor('z'), channel: 'c' }), status: 400, code: 'schema' },
  { name: 'lower-case currency', build: () => signed(charity, 'donation', { fund: 'c-cny', amount: { currency: 'cny', value: '5' }, donor: donor('z'), channel: 'c' }), status: 400, code: 'schema' },
  { name: "event id with a '/'", build: () => signed(charity, 'fund.open', { fund: uid('f'), name: 'n', currency: 'CNY', restricted: false, purpose: 'p' }, { id: 'a/b' }), status: 400, code: 'schema' },
  { name: "fund id with a '/'", build: () => signed(charity, 'fund.open', { fund: 'x/y', name: 'n', currency: 'CNY', restricted: false, purpose: 'p' }), status: 400, code: 'schema' },
  { name: 'time 6 minutes ahead', build: () => signed(charity, 'fund.open', { fund: uid('f'), name: 'n', currency: 'CNY', restricted: false, purpose: 'p' }, { time: now(6 * 60_000) }), status: 400, code: 'schema' },
  { name: 'time not ending in Z', build: () => signed(charity, 'fund.open', { fund: uid('f'), name: 'n', currency: 'CNY', restricted: false, purpose: 'p' }, { time: '2024-01-01T00:00:00+00:00' }), status: 400, code: 'schema' },
  { name: 'time on a day that does not exist', build: () => signed(charity, 'fund.open', { fund: uid('f'), name: 'n', currency: 'CNY', restricted: false, purpose: 'p' }, { time: '2023-02-29T00:00:00Z' }), status: 400, code: 'schema' },
  { name: 'bad base64 sig', build: () => ({ ...fundOpen(charity, uid('f')), sig: '*'.repeat(92) }), status: 400, code: 'schema' },
  { name: 'sig too short', build: () => ({ ...fundOpen(charity, uid('f')), sig: 'AAAA' }), status: 400, code: 'schema' },
  { name: 'v = 2', build: () => signEvent({ ...without(fundOpen(charity, uid('f')), 'sig'), v: 2 } as never, charity.signerKey), status: 400, code: 'schema' },
  { name: 'unknown type', build: () => signEvent({ ...without(fundOpen(charity, uid('f')), 'sig'), type: 'fund.close' } as never, charity.signerKey), status: 400, code: 'schema' },
  { name: 'lone surrogate escape "\\ud800" in a string', build: () => ({ raw: rawFundOpen('"\\ud800"') }), status: 400, code: 'schema' },
  { name: 'lone low surrogate escape "\\udc00" in a string', build: () => ({ raw: rawFundOpen('"a\\udc00b"') }), status: 400, code: 'schema' },
  {
    name: 'duplicate keys',
    build: () => {
      const text = JSON.stringify(fundOpen(charity, uid('f')));
      return { raw: '{"v":1,' + text.slice(1) };
    },
    status: 400,
    code: 'schema',
  },
  { name: 'duplicate keys inside the body', build: () => ({ raw: rawFundOpen('"a","name":"b"') }), status: 400, code: 'schema' },
  { name: 'a byte-order mark', build: () => ({ raw: concat(new Uint8Array([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(fundOpen(charity, uid('f'))))) }), status: 400, code: 'schema' },
  {
    name: 'invalid UTF-8 in a string',
    build: () => {
      const b = Buffer.from(rawFundOpen('"XX"'));
      const i = b.indexOf('"XX"') + 1;
      b[i] = 0xff;
      b[i + 1] = 0xfe;
      return { raw: b };
    },
    status: 400,
    code: 'schema',
  },
  { name: 'nesting deeper than 64', build: () => ({ raw: '['.repeat(70) + ']'.repeat(70) }), status: 400, code: 'schema' },
  { name: 'an integer above 2^53-1 (v)', build: () => ({ raw: JSON.stringify(fundOpen(charity, uid('f'))).replace('"v":1', '"v":9007199254740993') }), status: 400, code: 'schema' },
  { name: 'an exponent number (v = 1e0)', build: () => ({ raw: JSON.stringify(fundOpen(charity, uid('f'))).replace('"v":1', '"v":1e0') }), status: 400, code: 'schema' },
  { name: 'trailing garbage after the event', build: () => ({ raw: JSON.stringify(fundOpen(charity, uid('f'))) + 'x' }), status: 400, code: 'schema' },
  { name: 'two events concatenated', build: () => ({ raw: JSON.stringify(fundOpen(charity, uid('f'))) + JSON.stringify(fundOpen(charity, uid('f'))) }), status: 400, code: 'schema' },
  { name: 'a name of 257 code points', build: () => signed(charity, 'fund.open', { fund: uid('f'), name: 'n'.repeat(257), currency: 'CNY', restricted: false, purpose: 'p' }), status: 400, code: 'schema' },
  { name: 'an empty memo', build: () => signed(charity, 'transfer', { from: 'c-cny', to: 'c-cny2', amount: cny(1), memo: '' }), status: 400, code: 'schema' },
  { name: 'an unknown role', build: () => signed(operator, 'org.register', { org: uid('o'), name: 'n', roles: ['bank' as never], keys: [generateKey('x').verifierKey] }), status: 400, code: 'schema' },
  { name: 'a donor that is not 64 hex', build: () => signed(charity, 'donation', { fund: 'c-cny', amount: cny(5), donor: 'ABC', channel: 'c' }), status: 400, code: 'schema' },

  // 401
  {
    name: 'bad_signature: one body field changed after signing',
    build: () => {
      const e = fundOpen(charity, uid('f'));
      return { ...e, body: { ...e.body, name: e.body.name + '!' } };
    },
    status: 401,
    code: 'bad_signature',
  },
  {
    name: 'bad_signature: the time changed after signing',
    build: () => {
      const e = fundOpen(charity, uid('f'));
      return { ...e, time: new Date(Date.parse(e.time) - 1000).toISOString() };
    },
    status: 401,
    code: 'bad_signature',
  },
  {
    name: 'bad_signature: a signature of another event under the right key id',
    build: () => ({ ...fundOpen(charity, uid('f')), sig: fundOpen(charity, uid('g')).sig }),
    status: 401,
    code: 'bad_signature',
  },
  { name: 'unknown_key: unregistered org', build: () => fundOpen(ghost, uid('f')), status: 401, code: 'unknown_key' },
  { name: 'unknown_key: key id not of that org', build: () => signed(other, 'fund.open', { fund: uid('f'), name: 'n', currency: 'CNY', restricted: false, purpose: 'p' }, { org: 'charity' }), status: 401, code: 'unknown_key' },
  { name: 'revoked_key: signed by a key revoked by org.keys', build: () => fundOpen(rotB, uid('f')), status: 401, code: 'revoked_key' },

  // 409
  { name: 'duplicate_id: same id, different content', build: () => donation(charity, 'c-cny', '1000', 'dA'), status: 409, code: 'duplicate_id' },
  { name: 'duplicate_id: the id of an org.register reused by a fund.open', build: () => signed(charity, 'fund.open', { fund: uid('f'), name: 'n', currency: 'CNY', restricted: false, purpose: 'p' }, { id: 'operator.register' }), status: 409, code: 'duplicate_id' },

  // 422 unknown_*
  { name: 'unknown_org: org.keys for an org that does not exist, by the operator', build: () => orgKeys(operator, 'nobody', [generateKey('nobody').verifierKey], []), status: 422, code: 'unknown_org' },
  { name: 'unknown_fund: donation', build: () => donation(charity, 'no-such-fund', '5'), status: 422, code: 'unknown_fund' },
  { name: 'unknown_fund: transfer to', build: () => transfer(charity, 'c-cny', 'no-such-fund', '5'), status: 422, code: 'unknown_fund' },
  { name: 'unknown_fund: disbursement', build: () => disbursement(charity, 'no-such-fund', '5'), status: 422, code: 'unknown_fund' },
  { name: 'unknown_event: reversal of a non-existent event', build: () => reversal(charity, 'no-such-event'), status: 422, code: 'unknown_event' },
  { name: 'unknown_disbursement: confirmation of a non-existent event', build: () => confirmation(payee, 'no-such-event'), status: 422, code: 'unknown_disbursement' },
  { name: 'unknown_disbursement: confirmation of a donation', build: () => confirmation(auditor, 'dA'), status: 422, code: 'unknown_disbursement' },

  // 403
  { name: "forbidden: donation into another org's fund", build: () => donation(charity, 'o-cny', '5'), status: 403, code: 'forbidden' },
  { name: "forbidden: transfer out of another org's fund", build: () => transfer(charity, 'o-cny', 'c-cny', '5'), status: 403, code: 'forbidden' },
  { name: "forbidden: disbursement from another org's fund", build: () => disbursement(other, 'c-cny', '5'), status: 403, code: 'forbidden' },
  { name: 'forbidden: org.register by a non-operator', build: () => signed(charity, 'org.register', { org: uid('newbie'), name: 'n', roles: ['charity'], keys: [generateKey('newbie').verifierKey] }), status: 403, code: 'forbidden' },
  { name: "forbidden: org.keys for another org by a non-operator", build: () => orgKeys(charity, 'other', [generateKey('other').verifierKey], []), status: 403, code: 'forbidden' },
  { name: 'forbidden: confirmation by a non-payee non-auditor', build: () => confirmation(other, disb1.id), status: 403, code: 'forbidden' },
  { name: "forbidden: reversal of another org's event", build: () => reversal(other, 'dA'), status: 403, code: 'forbidden' },
  // Issue 9: a confirmation by the org that posted the payment proves nothing.
  { name: 'forbidden: self-confirmation, a charity confirms its payment to itself (payee = its own org id)', build: () => confirmation(charity, disbSelf.id), status: 403, code: 'forbidden' },
  { name: 'forbidden: self-confirmation, an auditor org confirms its own disbursement', build: () => confirmation(auditor, disbAud.id), status: 403, code: 'forbidden' },

  // 422 the rest
  { name: 'already_exists: fund id taken', build: () => fundOpen(charity, 'c-cny'), status: 422, code: 'already_exists' },
  { name: "already_exists: fund id taken by another org's fund", build: () => fundOpen(charity, 'o-cny'), status: 422, code: 'already_exists' },
  // Issue 9: one confirmation per org per disbursement (a payee flooding a payment's traces).
  { name: 'already_exists: a second confirmation of one disbursement by its payee', build: () => confirmation(payee, disb1.id), status: 422, code: 'already_exists' },
  { name: 'already_exists: a second confirmation of one disbursement by an auditor', build: () => confirmation(auditor, disb1.id), status: 422, code: 'already_exists' },
  { name: 'already_exists: org id taken', build: () => reg({ ...charity, verifierKey: generateKey('charity').verifierKey }, ['charity']), status: 422, code: 'already_exists' },
  { name: 'currency_mismatch: USD donation into a CNY fund', build: () => donation(charity, 'c-cny', '5', undefined, 'USD'), status: 422, code: 'currency_mismatch' },
  { name: 'currency_mismatch: transfer between funds of different currencies', build: () => transfer(charity, 'c-cny', 'c-usd', '5'), status: 422, code: 'currency_mismatch' },
  { name: 'currency_mismatch: disbursement in another currency', build: () => disbursement(charity, 'c-cny', '5', 'x', 'USD'), status: 422, code: 'currency_mismatch' },
  { name: 'same_fund: transfer to itself', build: () => transfer(charity, 'c-cny', 'c-cny', '5'), status: 422, code: 'same_fund' },
  // Issue 9: restricted money leaves only by disbursement or to another restricted fund.
  { name: 'restricted_fund: a restricted fund moved into an unrestricted fund of the same org', build: () => transfer(charity, 'c-restricted', 'c-cny', '5'), status: 422, code: 'restricted_fund' },
  { name: "restricted_fund: a restricted fund granted into another org's unrestricted fund", build: () => transfer(charity, 'c-restricted', 'o-cny', '5'), status: 422, code: 'restricted_fund' },
  { name: 'bad_amount: value 2^63 ("9223372036854775808")', build: () => donation(charity, 'c-cny', OVER), status: 422, code: 'bad_amount' },
  { name: 'bad_amount: value 9999999999999999999', build: () => disbursement(charity, 'c-cny', '9999999999999999999'), status: 422, code: 'bad_amount' },
  { name: 'bad_amount: a donation taking a balance above 2^63-1', build: () => donation(charity, 'c-big', '1'), status: 422, code: 'bad_amount' },
  { name: 'bad_amount: a transfer taking a balance above 2^63-1', build: () => transfer(charity, 'c-cny', 'c-big', '1'), status: 422, code: 'bad_amount' },
  { name: 'bad_key: adding a key named for another org', build: () => orgKeys(charity, 'charity', [generateKey('other').verifierKey], []), status: 422, code: 'bad_key' },
  { name: 'bad_key: registering an org with a key named for another org', build: () => signed(operator, 'org.register', { org: uid('newbie'), name: 'n', roles: ['charity'], keys: [generateKey('someone-else').verifierKey] }), status: 422, code: 'bad_key' },
  { name: "bad_key: revoking a key the org doesn't have", build: () => orgKeys(charity, 'charity', [], [generateKey('charity').verifierKey]), status: 422, code: 'bad_key' },
  { name: 'bad_key: revoking the last key', build: () => orgKeys(lonely, 'lonely', [], [lonely.verifierKey]), status: 422, code: 'bad_key' },
  { name: 'bad_key: revoking an already revoked key', build: () => orgKeys(rotA, 'rot', [], [rotB.verifierKey]), status: 422, code: 'bad_key' },
  { name: 'bad_key: adding a revoked key again', build: () => orgKeys(rotA, 'rot', [rotB.verifierKey], []), status: 422, code: 'bad_key' },
  { name: 'bad_key: adding a current key again', build: () => orgKeys(charity, 'charity', [charity.verifierKey], []), status: 422, code: 'bad_key' },
  {
    name: 'bad_key: a small-order public key (the identity point)',
    build: () => {
      const id = uid('weak');
      const identity = new Uint8Array(32);
      identity[0] = 0x01; // y = 1, x = 0: the neutral element, order 1
      const key = formatVerifierKey(id, identity);
      return signed(operator, 'org.register', { org: id, name: 'weak', roles: ['charity'], keys: [key] });
    },
    status: 422,
    code: 'bad_key',
  },
  {
    name: 'bad_key: a small-order public key (order 2, y = -1)',
    build: () => {
      const id = uid('weak');
      const pt = new Uint8Array(32).fill(0xff);
      pt[0] = 0xec; // p - 1 little-endian
      pt[31] = 0x7f;
      return signed(operator, 'org.register', { org: id, name: 'weak', roles: ['charity'], keys: [formatVerifierKey(id, pt)] });
    },
    status: 422,
    code: 'bad_key',
  },
  { name: 'bad_key: a key id that does not match the key', build: () => signed(operator, 'org.register', { org: 'mismatch', name: 'm', roles: ['charity'], keys: [generateKey('mismatch').verifierKey.replace(/\+[0-9a-f]{8}\+/, '+00000000+')] }), status: 422, code: 'bad_key' },
  { name: 'overdraft: disbursement above the balance', build: () => disbursement(charity, 'c-cny', '100000'), status: 422, code: 'overdraft' },
  { name: 'overdraft: transfer above the balance', build: () => transfer(charity, 'c-cny', 'c-cny2', '100000'), status: 422, code: 'overdraft' },
  { name: 'overdraft: disbursement from an empty fund', build: () => disbursement(charity, 'c-cny2', '1'), status: 422, code: 'overdraft' },
  { name: 'not_reversible: a donation whose money moved on', build: () => reversal(charity, 'dMoved'), status: 422, code: 'not_reversible' },
  { name: 'not_reversible: a donation partly disbursed', build: () => reversal(charity, 'dA'), status: 422, code: 'not_reversible' },
  { name: 'not_reversible: reversing twice', build: () => reversal(charity, 'dRef'), status: 422, code: 'not_reversible' },
  { name: 'not_reversible: reversing a fund.open', build: () => reversal(charity, fundOpenCny.id), status: 422, code: 'not_reversible' },
  { name: 'not_reversible: reversing a reversal', build: () => reversal(charity, 'rev-dRef'), status: 422, code: 'not_reversible' },
  { name: 'not_reversible: the operator reversing an org.register', build: () => reversal(operator, 'operator.register'), status: 422, code: 'not_reversible' },

  // Check order: each fails two (or more) checks and answers the earlier one.
  { name: 'order: schema before unknown_key (6 minutes ahead, unregistered org)', build: () => signed(ghost, 'fund.open', { fund: 'f', name: 'n', currency: 'CNY', restricted: false, purpose: 'p' }, { time: now(6 * 60_000) }), status: 400, code: 'schema' },
  { name: 'order: schema before everything (amount "0", unknown org, unknown fund)', build: () => signed(ghost, 'donation', { fund: 'nope', amount: cny('0'), donor: donor('q'), channel: 'c' }), status: 400, code: 'schema' },
  {
    name: 'order: bad_signature before duplicate_id',
    build: () => {
      const e = donation(charity, 'c-cny', '7', 'dA');
      return { ...e, body: { ...e.body, channel: 'tampered' } };
    },
    status: 401,
    code: 'bad_signature',
  },
  { name: 'order: unknown_key before duplicate_id and unknown_fund', build: () => donation(ghost, 'no-such-fund', '5', 'dA'), status: 401, code: 'unknown_key' },
  { name: 'order: revoked_key before duplicate_id', build: () => donation(rotB, 'c-cny', '5', 'dA'), status: 401, code: 'revoked_key' },
  { name: 'order: duplicate_id before unknown_fund', build: () => donation(charity, 'no-such-fund', '5', 'dA'), status: 409, code: 'duplicate_id' },
  { name: 'order: duplicate_id before forbidden', build: () => donation(other, 'c-cny', '5', 'dA'), status: 409, code: 'duplicate_id' },
  { name: "order: unknown_fund before forbidden (transfer from another's fund to nowhere)", build: () => transfer(charity, 'o-cny', 'no-such-fund', '5'), status: 422, code: 'unknown_fund' },
  { name: 'order: unknown_org before forbidden (org.keys of a missing org by a non-operator)', build: () => orgKeys(charity, 'nobody', [generateKey('nobody').verifierKey], []), status: 422, code: 'unknown_org' },
  { name: 'order: unknown_event before forbidden', build: () => reversal(other, 'no-such-event'), status: 422, code: 'unknown_event' },
  { name: 'order: unknown_disbursement before forbidden', build: () => confirmation(other, 'no-such-event'), status: 422, code: 'unknown_disbursement' },
  { name: 'order: forbidden before currency_mismatch', build: () => donation(charity, 'o-cny', '5', undefined, 'USD'), status: 403, code: 'forbidden' },
  { name: 'order: forbidden before bad_amount', build: () => donation(charity, 'o-cny', OVER), status: 403, code: 'forbidden' },
  { name: 'order: forbidden before overdraft', build: () => disbursement(other, 'c-cny', '100000'), status: 403, code: 'forbidden' },
  { name: 'order: forbidden before already_exists (org.register of a taken id by a non-operator)', build: () => signed(charity, 'org.register', { org: 'other', name: 'n', roles: ['charity'], keys: [generateKey('other').verifierKey] }), status: 403, code: 'forbidden' },
  { name: 'order: forbidden before bad_key (org.keys of another org, revoking its last key)', build: () => orgKeys(charity, 'lonely', [], [lonely.verifierKey]), status: 403, code: 'forbidden' },
  { name: 'order: forbidden before not_reversible', build: () => reversal(other, fundOpenCny.id), status: 403, code: 'forbidden' },
  { name: 'order: already_exists before bad_key', build: () => reg({ ...charity, verifierKey: generateKey('not-charity').verifierKey }, ['charity']), status: 422, code: 'already_exists' },
  { name: 'order: currency_mismatch before same_fund', build: () => transfer(charity, 'c-cny', 'c-cny', '5', 'USD'), status: 422, code: 'currency_mismatch' },
  { name: 'order: currency_mismatch before bad_amount', build: () => donation(charity, 'c-cny', OVER, undefined, 'USD'), status: 422, code: 'currency_mismatch' },
  { name: 'order: same_fund before bad_amount', build: () => transfer(charity, 'c-cny', 'c-cny', OVER), status: 422, code: 'same_fund' },
  { name: 'order: same_fund before overdraft', build: () => transfer(charity, 'c-cny', 'c-cny', '100000'), status: 422, code: 'same_fund' },
  { name: 'order: forbidden before restricted_fund', build: () => transfer(other, 'c-restricted', 'o-cny', '5'), status: 403, code: 'forbidden' },
  { name: 'order: currency_mismatch before restricted_fund', build: () => transfer(charity, 'c-restricted', 'c-usd', '5'), status: 422, code: 'currency_mismatch' },
  { name: 'order: restricted_fund before bad_amount', build: () => transfer(charity, 'c-restricted', 'c-big', '1'), status: 422, code: 'restricted_fund' },
  { name: 'order: restricted_fund before overdraft', build: () => transfer(charity, 'c-restricted', 'c-cny', '100000'), status: 422, code: 'restricted_fund' },
  { name: 'order: unknown_disbursement before forbidden (self-confirmation of no payment)', build: () => confirmation(charity, 'no-such-payment'), status: 422, code: 'unknown_disbursement' },
  { name: 'order: bad_amount before overdraft', build: () => disbursement(charity, 'c-cny', OVER), status: 422, code: 'bad_amount' },
];

// ---- setup ---------------------------------------------------------------------------

test.before(async () => {
  s = await testServer();
  operator.signerKey = s.operatorKey;
});
test.after(async () => {
  await s?.close();
});

async function postAll(events: unknown[]): Promise<any[]> {
  const r = await s.client.post(events);
  assert.is(r.status, 200, JSON.stringify(r.body));
  r.body.forEach((x: any, i: number) => assert.is(x.status, 201, `setup element ${i}: ${JSON.stringify(x)}`));
  return r.body;
}

test('the server is up; setup', async () => {
  assert.ok(s, 'testServer() started');
  const h = await getJson('/healthz');
  assert.is(h.ok, true);
  assert.is(h.size, 1);

  await postAll([
    reg(charity, ['charity']),
    reg(other, ['charity']),
    reg(payee, ['payee']),
    reg(auditor, ['auditor']),
    reg(rotA, ['charity'], [rotA.verifierKey, rotB.verifierKey]),
    reg(lonely, ['charity']),
  ]);
  const fo = fundOpen(charity, 'c-cny');
  fundOpenCny = fo;
  signedByRotB = fundOpen(rotB, 'rot-fund');
  await postAll([fo, fundOpen(charity, 'c-cny2'), fundOpen(charity, 'c-usd', 'USD'), fundOpen(charity, 'c-big'), fundOpen(other, 'o-cny'), signedByRotB]);
  const d = disbursement(charity, 'c-cny', '10', 'payee');
  disb1 = d;
  await postAll([donation(charity, 'c-cny', '1000', 'dA'), donation(charity, 'c-cny2', '500', 'dMoved'), donation(charity, 'c-cny', '100', 'dRef'), donation(charity, 'c-big', MAX, 'dMax'), d]);
  await postAll([transfer(charity, 'c-cny2', 'c-cny', '500'), ev(charity, 'reversal', { event: 'dRef', reason: 'refund' }, 'rev-dRef'), orgKeys(rotA, 'rot', [], [rotB.verifierKey])]);

  // Issue 9 setup: a restricted fund, a charity paying itself, an auditor org paying, and
  // the payee's and the auditor's one confirmation of disb1.
  const restricted = (fund: string) => ev(charity, 'fund.open', { fund, name: `Fund ${fund}`, currency: 'CNY', restricted: true, purpose: 'water filters' });
  await postAll([restricted('c-restricted'), restricted('c-restricted2'), fundOpen(auditor, 'a-cny')]);
  disbSelf = disbursement(charity, 'c-restricted', '10', 'charity');
  disbAud = disbursement(auditor, 'a-cny', '10', 'payee');
  await postAll([donation(charity, 'c-restricted', '300', 'dR'), donation(auditor, 'a-cny', '100', 'dAud'), disbSelf, disbAud]);
  await postAll([confirmation(payee, disb1.id), confirmation(auditor, disb1.id), transfer(charity, 'c-restricted', 'c-restricted2', '20')]);

  const fund = await getJson('/v1/funds/c-cny');
  assert.is(fund.balance.value, '1490'); // 1000 - 10 + 100 - 100 + 500
  const big = await getJson('/v1/funds/c-big');
  assert.is(big.balance.value, MAX);
  const rot = await getJson('/v1/orgs/rot');
  assert.ok(rot.keys.find((k: any) => k.key === rotB.verifierKey).revokedSeq > 0);
});

// ---- the cases -----------------------------------------------------------------------

test('the table covers every rejection code of DESIGN.md "Posting"', () => {
  const codes = new Set(cases.map((c) => c.code));
  const all = ['schema', 'bad_signature', 'unknown_key', 'revoked_key', 'duplicate_id', 'unknown_org', 'unknown_fund', 'unknown_event', 'unknown_disbursement', 'forbidden', 'already_exists', 'currency_mismatch', 'same_fund', 'bad_amount', 'bad_key', 'overdraft', 'not_reversible', 'restricted_fund'];
  for (const c of all) assert.ok(codes.has(c), `no case for ${c}`);
});

for (const c of cases) {
  test(`${c.status} ${c.code}: ${c.name}`, async () => {
    const before = await snapshot();
    const built = c.build();
    const raw = isRaw(built) ? built.raw : JSON.stringify(built);
    const a = await postRaw(raw);
    assert.is(a.status, c.status, a.text);
    assert.match(String(a.headers['content-type']), /^application\/json/);
    const err = errorOf(a.text);
    assert.is(err.code, c.code, err.message);
    let after = await snapshot();
    assert.is(after.checkpoint, before.checkpoint, 'the checkpoint is byte-identical');
    assert.is(after.size, before.size, 'nothing appended');

    // The same event as the only element of an array: 200, its own status and error.
    if (!isRaw(built)) {
      const b = await postRaw(JSON.stringify([built]));
      assert.is(b.status, 200, b.text);
      const arr = JSON.parse(b.text);
      assert.is(arr.length, 1);
      assert.equal(Object.keys(arr[0]).sort(), ['error', 'status']);
      assert.is(arr[0].status, c.status);
      assert.equal(Object.keys(arr[0].error).sort(), ['code', 'message']);
      assert.is(arr[0].error.code, c.code);
      after = await snapshot();
      assert.is(after.checkpoint, before.checkpoint, 'the checkpoint is byte-identical (array)');
      assert.is(after.size, before.size, 'nothing appended (array)');
    }
    // A rejected event with its own id never shows up.
    const id = !isRaw(built) && typeof (built as any)?.id === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test((built as any).id) ? (built as any).id : undefined;
    if (id && !['dA', 'operator.register'].includes(id)) {
      const g = await request('GET', `/v1/events/${id}`);
      assert.is(g.status, 404, `${id}: ${g.text}`);
      assert.is(errorOf(g.text).code, 'not_found');
    }
  });
}

test('order: the identical event posted before answers 200 even though its key is revoked since', async () => {
  const before = await snapshot();
  const a = await postRaw(JSON.stringify(signedByRotB));
  assert.is(a.status, 200, a.text);
  const body = JSON.parse(a.text);
  assert.equal(Object.keys(body).sort(), ['checkpoint', 'leafHash', 'proof', 'seq']);
  assert.is(body.checkpoint, before.checkpoint);
  const after = await snapshot();
  assert.is(after.checkpoint, before.checkpoint);
  assert.is(after.size, before.size);
});

test('a key may sign its own revocation; the org keeps the other key', async () => {
  // Not a rejection, but the contrast to "revoking the last key": with two keys, one goes.
  const extra = generateKey('lonely');
  const r1 = await s.client.post(orgKeys(lonely, 'lonely', [extra.verifierKey], []));
  assert.is(r1.status, 201, JSON.stringify(r1.body));
  const r2 = await s.client.post(orgKeys(lonely, 'lonely', [], [lonely.verifierKey]));
  assert.is(r2.status, 201, JSON.stringify(r2.body));
  // Now the old key signs nothing.
  const r3 = await s.client.post(fundOpen(lonely, uid('f')));
  assert.is(r3.status, 401);
  assert.is(r3.body.error.code, 'revoked_key');
});

test.run();
