// JSON Schemas of DESIGN.md "Wire formats (version 1) / Bodies" and "Entries":
// packages/ledger/schemas/*.json via packages/ledger/src/schema.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKey } from '@cotc/tlog';
import { checkClockSkew, isUtcTime, schemas, utcTimeMillis, validateEntryShape, validateEnvelope } from '../../packages/ledger/src/schema.ts';
import { signEvent } from '../../packages/ledger/src/signature.ts';
import type { Envelope, EventType, UnsignedEvent } from '../../packages/ledger/src/types.ts';

const seed = (n: number) => new Uint8Array(32).fill(n);
const acme = generateKey('acme', seed(1));
const acme2 = generateKey('acme', seed(2));
const H = 'ab'.repeat(32);
const T = '2020-12-31T23:59:59Z';

const BODIES: { [K in EventType]: UnsignedEvent<K>['body'] } = {
  'org.register': { org: 'acme', name: 'Acme Foundation', roles: ['charity', 'payee'], keys: [acme.verifierKey] },
  'org.keys': { org: 'acme', add: [acme2.verifierKey], revoke: [] },
  'fund.open': { fund: 'acme:water', name: 'Water filters', currency: 'CNY', restricted: true, purpose: 'Water filters for 236 schools' },
  donation: { fund: 'acme:water', amount: { currency: 'CNY', value: '1250' }, donor: H, channel: 'Goods for Good' },
  transfer: { from: 'acme:water', to: 'other:grant', amount: { currency: 'CNY', value: '9223372036854775807' }, memo: 'grant' },
  disbursement: {
    fund: 'acme:water', amount: { currency: 'CNY', value: '1' }, payee: 'Filter Co. Ltd',
    purpose: '236 water filters', receipts: [{ sha256: H, name: 'invoice.pdf' }],
  },
  confirmation: { disbursement: 'ev-3', statement: '236 water filters installed', evidence: [] },
  reversal: { event: 'ev-3', reason: 'returned payment' },
  'gift.batch': { fund: 'acme:water', amount: { currency: 'CNY', value: '20' }, count: 3, root: H },
};

function envelopeOf(type: EventType, body: unknown = BODIES[type]): Envelope {
  return signEvent({ v: 1, type, id: `ev.${type}`, org: 'acme', time: T, body } as UnsignedEvent, acme.signerKey);
}

test('one valid example per type passes', () => {
  for (const type of Object.keys(BODIES) as EventType[]) {
    const r = validateEnvelope(envelopeOf(type));
    assert.ok(r.ok, `${type}: ${r.ok ? '' : r.message}`);
  }
});

type Mutation = [string, (e: Record<string, any>) => void, string];
const del = (o: Record<string, unknown>, k: string) => delete o[k];

const INVALID: Mutation[] = [
  ['not an object', () => {}, '/'],
  ['v is 2', (e) => (e.v = 2), '/v'],
  ['v is "1"', (e) => (e.v = '1'), '/v'],
  ['unknown type', (e) => (e.type = 'grant'), '/type'],
  ['missing sig', (e) => del(e, 'sig'), '/sig'],
  ['missing time', (e) => del(e, 'time'), '/time'],
  ['extra envelope field', (e) => (e.extra = 1), '/extra'],
  ['id starts with "-"', (e) => (e.id = '-x'), '/id'],
  ['id too long', (e) => (e.id = 'a'.repeat(129)), '/id'],
  ['id with a space', (e) => (e.id = 'a b'), '/id'],
  ['org empty', (e) => (e.org = ''), '/org'],
  ['time without Z', (e) => (e.time = '2020-12-31T23:59:59+00:00'), '/time'],
  ['time lowercase z', (e) => (e.time = '2020-12-31t23:59:59z'), '/time'],
  ['time 30 February', (e) => (e.time = '2020-02-30T00:00:00Z'), '/time'],
  ['time 29 February 2100', (e) => (e.time = '2100-02-29T00:00:00Z'), '/time'],
  ['time hour 24', (e) => (e.time = '2020-01-01T24:00:00Z'), '/time'],
  ['time leap second', (e) => (e.time = '2016-12-31T23:59:60Z'), '/time'],
  ['time 10 fraction digits', (e) => (e.time = '2020-01-01T00:00:00.1234567890Z'), '/time'],
  ['sig too short', (e) => (e.sig = e.sig.slice(4)), '/sig'],
  ['sig non-canonical padding bits', (e) => (e.sig = e.sig.slice(0, 90) + 'B='), '/sig'],
  ['sig url-safe alphabet', (e) => (e.sig = '-' + e.sig.slice(1)), '/sig'],
  ['body is an array', (e) => (e.body = []), '/body'],
  ['body of another type', (e) => (e.type = 'transfer'), '/body/from'],
  ['donation: missing donor', (e) => e.type === 'donation' && del(e.body, 'donor'), '/body/donor'],
  ['donation: extra field', (e) => (e.body.note = 'x'), '/body/note'],
  ['donation: donor uppercase hex', (e) => (e.body.donor = H.toUpperCase()), '/body/donor'],
  ['donation: donor 63 hex', (e) => (e.body.donor = H.slice(1)), '/body/donor'],
  ['donation: amount value 0', (e) => (e.body.amount.value = '0'), '/body/amount/value'],
  ['donation: amount value leading zero', (e) => (e.body.amount.value = '0100'), '/body/amount/value'],
  ['donation: amount value negative', (e) => (e.body.amount.value = '-5'), '/body/amount/value'],
  ['donation: amount value 20 digits', (e) => (e.body.amount.value = '1'.repeat(20)), '/body/amount/value'],
  ['donation: amount value a number', (e) => (e.body.amount.value = 5), '/body/amount/value'],
  ['donation: amount value decimal', (e) => (e.body.amount.value = '1.5'), '/body/amount/value'],
  ['donation: currency lowercase', (e) => (e.body.amount.currency = 'cny'), '/body/amount/currency'],
  ['donation: amount extra field', (e) => (e.body.amount.scale = 2), '/body/amount/scale'],
  ['donation: channel empty', (e) => (e.body.channel = ''), '/body/channel'],
  ['donation: fund bad id', (e) => (e.body.fund = 'fund/1'), '/body/fund'],
];

test('table of invalid envelopes: each rejected as 400 schema, naming the JSON pointer', () => {
  for (const [what, mutate, pointer] of INVALID) {
    const e: Record<string, any> = structuredClone(envelopeOf('donation'));
    mutate(e);
    const r = validateEnvelope(what === 'not an object' ? 'donation' : e);
    assert.not.ok(r.ok, `${what} was accepted`);
    if (!r.ok) {
      assert.is(r.code, 'schema', what);
      assert.is(r.status, 400, what);
      assert.ok(r.message.startsWith(pointer + ' '), `${what}: "${r.message}" should name ${pointer}`);
    }
  }
});

type BodyMutation = [EventType, string, (b: Record<string, any>) => void, string];
const BODY_INVALID: BodyMutation[] = [
  ['org.register', 'no roles', (b) => (b.roles = []), '/body/roles'],
  ['org.register', 'unknown role', (b) => (b.roles = ['donor']), '/body/roles/0'],
  ['org.register', 'duplicate role', (b) => (b.roles = ['charity', 'charity']), '/body/roles'],
  ['org.register', 'no keys', (b) => (b.keys = []), '/body/keys'],
  ['org.register', 'key not a verifier key', (b) => (b.keys = ['acme+12345678+AAAA']), '/body/keys/0'],
  ['org.register', 'signer key instead of verifier key', (b) => (b.keys = [acme.signerKey]), '/body/keys/0'],
  ['org.register', 'key with uppercase hex id', (b) => (b.keys = [acme.verifierKey.replace(/\+([0-9a-f]{8})\+/, (_, h: string) => `+${h.toUpperCase()}+`)]), '/body/keys/0'],
  ['org.register', '17 keys', (b) => (b.keys = Array.from({ length: 17 }, (_, i) => generateKey('acme', seed(i + 10)).verifierKey)), '/body/keys'],
  ['org.register', 'duplicate key', (b) => (b.keys = [acme.verifierKey, acme.verifierKey]), '/body/keys'],
  ['org.register', 'name of 257 code points', (b) => (b.name = '😀'.repeat(257)), '/body/name'],
  ['org.keys', 'nothing added or revoked', (b) => (b.add = []), '/body'],
  ['org.keys', 'missing revoke', (b) => del(b, 'revoke'), '/body/revoke'],
  ['fund.open', 'restricted not boolean', (b) => (b.restricted = 'yes'), '/body/restricted'],
  ['fund.open', 'currency 4 letters', (b) => (b.currency = 'CNYY'), '/body/currency'],
  ['fund.open', 'purpose empty', (b) => (b.purpose = ''), '/body/purpose'],
  ['transfer', 'memo of 1025 code points', (b) => (b.memo = 'x'.repeat(1025)), '/body/memo'],
  ['transfer', 'missing to', (b) => del(b, 'to'), '/body/to'],
  ['disbursement', 'receipt without name', (b) => del(b.receipts[0], 'name'), '/body/receipts/0/name'],
  ['disbursement', 'receipt bad hash', (b) => (b.receipts[0].sha256 = 'xyz'), '/body/receipts/0/sha256'],
  ['disbursement', '65 receipts', (b) => (b.receipts = Array.from({ length: 65 }, () => ({ sha256: H, name: 'r' }))), '/body/receipts'],
  ['disbursement', 'payee of 257 characters', (b) => (b.payee = 'p'.repeat(257)), '/body/payee'],
  ['confirmation', 'statement empty', (b) => (b.statement = ''), '/body/statement'],
  ['confirmation', 'evidence extra field', (b) => (b.evidence = [{ sha256: H, name: 'x', url: 'u' }]), '/body/evidence/0/url'],
  ['reversal', 'missing reason', (b) => del(b, 'reason'), '/body/reason'],
  ['reversal', 'event bad id', (b) => (b.event = ''), '/body/event'],
];

test('table of invalid bodies, per type', () => {
  for (const [type, what, mutate, pointer] of BODY_INVALID) {
    const body: Record<string, any> = structuredClone(BODIES[type]);
    mutate(body);
    const r = validateEnvelope(envelopeOf(type, body));
    assert.not.ok(r.ok, `${type}: ${what} was accepted`);
    if (!r.ok) assert.ok(r.message.startsWith(pointer + ' '), `${type}: ${what}: "${r.message}" should name ${pointer}`);
  }
});

test('lengths count Unicode code points: 256 astral characters pass as a name', () => {
  const r = validateEnvelope(envelopeOf('fund.open', { ...BODIES['fund.open'], name: '😀'.repeat(256) }));
  assert.ok(r.ok);
});

test('isUtcTime: the calendar is real', () => {
  for (const t of ['2024-02-29T00:00:00Z', '2000-02-29T12:34:56.789Z', '1999-12-31T23:59:59.123456789Z', '0001-01-01T00:00:00Z']) {
    assert.ok(isUtcTime(t), t);
  }
  for (const t of ['2023-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2020-04-31T00:00:00Z', '2020-13-01T00:00:00Z',
    '2020-00-10T00:00:00Z', '2020-01-00T00:00:00Z', '2020-01-01T00:60:00Z', '2020-01-01T00:00:00.Z', '2020-01-01 00:00:00Z', '']) {
    assert.not.ok(isUtcTime(t), t);
  }
});

test('utcTimeMillis and checkClockSkew (5 minutes ahead at most)', () => {
  assert.is(utcTimeMillis('2021-01-01T00:00:00Z'), Date.parse('2021-01-01T00:00:00Z'));
  assert.is(utcTimeMillis('2021-01-01T00:00:00.123456789Z'), Date.parse('2021-01-01T00:00:00.123Z'));
  assert.is(utcTimeMillis('2021-01-01T00:00:00.5Z'), Date.parse('2021-01-01T00:00:00.500Z'));
  assert.is(utcTimeMillis('0050-06-01T00:00:00Z'), Date.parse('0050-06-01T00:00:00Z'));
  assert.ok(Number.isNaN(utcTimeMillis('2021-02-29T00:00:00Z')));
  const now = Date.parse('2021-01-01T00:00:00Z');
  assert.is(checkClockSkew({ time: '2021-01-01T00:05:00Z' }, now), null);
  assert.is(checkClockSkew({ time: '2000-01-01T00:00:00Z' }, now), null);
  const r = checkClockSkew({ time: '2021-01-01T00:05:00.001Z' }, now);
  assert.ok(r && r.code === 'schema' && r.message.startsWith('/time '));
  assert.throws(() => checkClockSkew({ time: T }, NaN), /parameter "nowMs"/);
});

test('entry shape', () => {
  const ev = envelopeOf('transfer');
  const good = { seq: 3, prev: H, time: T, event: ev, effects: [{ donation: 'd1', via: 'd1', value: '10' }] };
  assert.ok(validateEntryShape(good).ok);
  assert.ok(validateEntryShape({ ...good, seq: 0, prev: '0'.repeat(64), effects: [] }).ok);
  const bad: [Record<string, unknown>, string][] = [
    [{ ...good, seq: -1 }, '/seq'],
    [{ ...good, seq: 1.5 }, '/seq'],
    [{ ...good, prev: 'AB'.repeat(32) }, '/prev'],
    [{ ...good, effects: [{ donation: 'd1', via: 'd1', value: '0' }] }, '/effects/0/value'],
    [{ ...good, effects: [{ donation: 'd1', via: 'd1' }] }, '/effects/0/value'],
    [{ ...good, event: { ...ev, body: {} } }, '/event/body/from'],
    [{ ...good, extra: true }, '/extra'],
  ];
  for (const [e, pointer] of bad) {
    const r = validateEntryShape(e);
    assert.not.ok(r.ok, pointer);
    if (!r.ok) assert.ok(r.message.startsWith(pointer + ' '), `"${r.message}" should name ${pointer}`);
  }
});

test('schemas are exported, draft 2020-12, with ids', () => {
  for (const [name, s] of Object.entries(schemas)) {
    assert.is(s.$schema, 'https://json-schema.org/draft/2020-12/schema', name);
    assert.ok(s.$id.endsWith(`/${name}.json`), name);
  }
});

test.run();
