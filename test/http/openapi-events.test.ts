// The event union of the OpenAPI document (src/http/openapi-events.ts): POST /v1/events's
// request body is a discriminated oneOf on `type`, so a client generated from the document
// refuses `{nonsense: true}` as a body. Checked with a real validator (ajv, draft 2020-12,
// its OpenAPI `discriminator` keyword on) against the document as served, and against the
// ledger's own envelope validator: on every event type, valid and mutated, both agree.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { isUtcTime, schemas, validateEnvelope } from '@cotc/ledger';
import { openApiDocument } from '../../src/http/openapi.ts';
import { cny, donor, ev, newOrg, sha } from '../helpers/events.ts';

type Obj = Record<string, any>;
const doc = openApiDocument() as Obj;
const cs = doc.components.schemas as Obj;
const types: string[] = (schemas as Obj).envelope.properties.type.enum;

// ajv implements `discriminator` without `mapping` (it reads the tag values from each
// branch's `const`); the mapping is checked against those consts below, then left out.
function withoutMappings(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutMappings);
  if (node === null || typeof node !== 'object') return node;
  const out: Obj = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === 'discriminator' ? { propertyName: (v as Obj).propertyName } : withoutMappings(v);
  return out;
}

const ajv = new Ajv2020({ strict: false, allErrors: true, discriminator: true });
ajv.addFormat('date-time', { type: 'string', validate: isUtcTime });
const DOC_ID = 'https://cotc.test/openapi-events.json';
ajv.addSchema({ $id: DOC_ID, ...(withoutMappings({ paths: doc.paths, components: doc.components }) as Obj) });
const at = (ptr: string): ValidateFunction => ajv.compile({ $ref: DOC_ID + ptr });
const requestBody = at('#/paths/~1v1~1events/post/requestBody/content/application~1json/schema');
const eventSchema = at('#/components/schemas/Event');

const charity = newOrg('oe-charity');
const body: Record<string, Obj> = {
  'org.register': { org: 'oe-new', name: 'New Org', roles: ['charity'], keys: [newOrg('oe-new').verifierKey] },
  'org.keys': { org: charity.id, add: [newOrg(charity.id).verifierKey], revoke: [] },
  'fund.open': { fund: 'oe-fund', name: 'Water filters', currency: 'CNY', restricted: false, purpose: 'filters' },
  donation: { fund: 'oe-fund', amount: cny(100), donor: donor('oe-d'), channel: 'counter' },
  transfer: { from: 'oe-fund', to: 'oe-fund-2', amount: cny(50), memo: 'grant' },
  disbursement: { fund: 'oe-fund', amount: cny(30), payee: 'Canteen Co', purpose: 'lunches', receipts: [{ sha256: sha('a'), name: 'invoice.pdf' }] },
  confirmation: { disbursement: 'oe-pay', statement: 'delivered', evidence: [] },
  reversal: { event: 'oe-d', reason: 'refund' },
  'gift.batch': { fund: 'oe-fund', amount: cny(7), count: 1, root: sha('c') },
};
const signed = (type: string, b: Obj): Obj => ev(charity, type as never, b as never) as Obj;

test('every event type of the envelope has its branch, and the mapping names it', () => {
  assert.ok(types.length >= 9, `${types.length} types`);
  const union = cs.Event;
  assert.is(union.discriminator.propertyName, 'type');
  assert.equal(Object.keys(union.discriminator.mapping).sort(), [...types].sort());
  assert.equal(union.oneOf.map((r: Obj) => r.$ref).sort(), Object.values(union.discriminator.mapping).sort());
  for (const [type, target] of Object.entries<string>(union.discriminator.mapping)) {
    const branch = cs[target.replace('#/components/schemas/', '')];
    assert.ok(branch, target);
    assert.is(branch.properties.type.const, type, `${target}: its type`);
    assert.ok(branch.required.includes('type') && branch.required.includes('body'), `${target}: type and body required`);
    assert.is(branch.properties.body.$ref, `#/components/schemas/${type}`, `${target}: body`);
    assert.is(branch.additionalProperties, false, target);
  }
  assert.equal(Object.keys(body).sort(), [...types].sort(), 'a sample body for every type');
});

test('the request body takes one event or an array of them, typed by `type`', () => {
  for (const type of types) {
    const e = signed(type, body[type]!);
    assert.ok(validateEnvelope(e).ok, `${type}: the ledger accepts the sample`);
    assert.ok(requestBody(e), `${type}: ${ajv.errorsText(requestBody.errors)}`);
    assert.ok(requestBody([e, e]), `${type} in an array: ${ajv.errorsText(requestBody.errors)}`);
  }
});

test('{nonsense: true} is refused: as the request, as a body of every type, and in an array', () => {
  assert.not.ok(requestBody({ nonsense: true }));
  assert.not.ok(eventSchema({ nonsense: true }));
  assert.not.ok(requestBody([{ nonsense: true }]));
  for (const type of types) {
    const e = { ...signed(type, body[type]!), body: { nonsense: true } };
    assert.not.ok(requestBody(e), `${type} with body {nonsense: true}`);
    assert.not.ok(requestBody([signed(type, body[type]!), e]), `${type}: one bad element in an array`);
  }
  assert.not.ok(requestBody({ ...signed('donation', body.donation!), type: 'nonsense' }), 'an unknown type');
});

test('the union and the ledger validator agree on every type × every body (and on mutations)', () => {
  let n = 0;
  for (const type of types) {
    for (const other of types) {
      const e = { ...signed(type, body[type]!), body: body[other] };
      const ledger = validateEnvelope(e).ok;
      assert.is(requestBody(e), ledger, `type ${type} with a ${other} body: ledger ${ledger}`);
      if (other !== type && JSON.stringify(body[type]) !== JSON.stringify(body[other])) n += ledger ? 0 : 1;
    }
    const base = signed(type, body[type]!) as Obj;
    const mutations: Obj[] = [
      { ...base, extra: 1 },
      { ...base, v: 2 },
      { ...base, id: '-bad' },
      { ...base, time: '2026-12-07 10:00:00' },
      { ...base, sig: 'not base64' },
      { ...base, body: { ...base.body, extra: 'x' } },
      Object.fromEntries(Object.entries(base).filter(([k]) => k !== 'org')),
    ];
    for (const m of mutations) assert.is(requestBody(m), validateEnvelope(m).ok, `${type}: ${JSON.stringify(m).slice(0, 120)}`);
  }
  assert.ok(n >= 50, `only ${n} mismatched type/body pairs refused`);
});

test.run();
