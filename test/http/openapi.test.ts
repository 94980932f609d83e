// The OpenAPI document (GET /openapi.json): valid OpenAPI 3.1 in shape, every $ref
// resolves, every route of the app is in it and every documented operation is a route;
// and every route answers as the document says: real requests (valid ones, and invalid
// ones for each documented 4xx) against a real server, each status documented, each body
// valid against the documented schema (ajv, draft 2020-12).
import http from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { isUtcTime } from '@cotc/ledger';
import { testServer } from '../helpers/server.ts';
import { cny, donor, ev, newOrg, sha, type Org } from '../helpers/events.ts';
import { makeCursor } from '../../src/log/bundle.ts';

type Obj = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

let s: Awaited<ReturnType<typeof testServer>>;
let doc: Obj;
const operator: Org = { id: 'operator', signerKey: '', verifierKey: '' };
const platform = newOrg('oa-platform');
const charity = newOrg('oa-charity');
const school = newOrg('oa-school');
const auditor = newOrg('oa-auditor');
const ids = { donation: 'oa-d1', fund: 'oa-water', schoolFund: 'oa-school-water', disbursement: '', transfer: '', batch: 'oa-batch' };

test.before(async () => {
  // uvu swallows a throwing before hook: say why.
  try {
  s = await testServer();
  operator.signerKey = s.operatorKey;
  const reg = (o: Org, roles: string[]) => ev(operator, 'org.register', { org: o.id, name: o.id, roles: roles as never, keys: [o.verifierKey] });
  const ok = (r: { status: number; body: any }) => {
    if (r.status !== 201 && r.status !== 200) throw new Error(`setup: ${r.status} ${JSON.stringify(r.body)}`);
    return r;
  };
  ok(await s.client.post([reg(platform, ['platform']), reg(charity, ['charity']), reg(school, ['payee']), reg(auditor, ['auditor'])]));
  ok(await s.client.post(ev(charity, 'fund.open', { fund: ids.fund, name: 'Water filters', currency: 'CNY', restricted: true, purpose: 'filters for 236 schools' })));
  ok(await s.client.post(ev(school, 'fund.open', { fund: ids.schoolFund, name: 'School water', currency: 'CNY', restricted: true, purpose: 'install' })));
  ok(await s.client.post(ev(charity, 'donation', { fund: ids.fund, amount: cny(1000), donor: donor(ids.donation), channel: 'goods-for-good' }, ids.donation)));
  const t = ev(charity, 'transfer', { from: ids.fund, to: ids.schoolFund, amount: cny(800), memo: 'grant' });
  ok(await s.client.post(t));
  ids.transfer = t.id;
  const d = ev(school, 'disbursement', { fund: ids.schoolFund, amount: cny(600), payee: 'Filter Co', purpose: 'water filters', receipts: [{ sha256: sha('a'), name: 'invoice.pdf' }] });
  ok(await s.client.post(d));
  ids.disbursement = d.id;
  ok(await s.client.post(ev(auditor, 'confirmation', { disbursement: d.id, statement: '236 water filters installed', evidence: [{ sha256: sha('b'), name: 'photo.jpg' }] })));
  // a gift batch (issue 15): its gifts stored, then its event
  const gifts = [{ amount: '7', channel: 'goods-for-good', donor: donor('oa-g0'), measure: 'item:tea' }];
  const stored = await fetch(s.url + '/v1/batches', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ gifts }) });
  const sb = await stored.json();
  ok({ status: stored.status, body: sb });
  ok(await s.client.post(ev(platform, 'gift.batch', { fund: ids.fund, amount: cny(7), count: 1, root: sb.root }, ids.batch)));
  const r = await fetch(s.url + '/openapi.json');
  assert.is(r.status, 200);
  doc = await r.json();
  } catch (e) {
    console.error('openapi.test setup failed', e);
    throw e;
  }
});
test.after(async () => {
  await s?.close();
});

function pointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) throw new Error(`not a local ref: ${ref}`);
  const parts = ref.slice(1).split('/').slice(1).map((p) => decodeURIComponent(p).replace(/~1/g, '/').replace(/~0/g, '~'));
  let cur: any = root;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object' || !(p in cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

function walk(node: unknown, at: string, f: (node: Obj, at: string) => void): void {
  if (Array.isArray(node)) node.forEach((x, i) => walk(x, `${at}/${i}`, f));
  else if (node !== null && typeof node === 'object') {
    f(node as Obj, at);
    for (const [k, v] of Object.entries(node)) walk(v, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, f);
  }
}

// ---- the document's shape ---------------------------------------------------------

test('the document is OpenAPI 3.1 in shape', () => {
  assert.match(doc.openapi, /^3\.1\.\d+$/);
  assert.type(doc.info?.title, 'string');
  assert.type(doc.info?.version, 'string');
  assert.type(doc.paths, 'object');
  if (doc.jsonSchemaDialect !== undefined) assert.is(doc.jsonSchemaDialect, 'https://json-schema.org/draft/2020-12/schema');
  const opIds = new Set<string>();
  for (const [path, item] of Object.entries<Obj>(doc.paths)) {
    assert.ok(path.startsWith('/'), path);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const m of METHODS) {
      const op = item[m];
      if (!op) continue;
      assert.type(op.responses, 'object', `${m} ${path}: responses`);
      assert.ok(Object.keys(op.responses).length > 0, `${m} ${path}: no responses`);
      for (const [status, resp] of Object.entries<Obj>(op.responses)) {
        assert.match(status, /^([1-5][0-9]{2}|[1-5]XX|default)$/, `${m} ${path}: status ${status}`);
        assert.ok(resp.$ref || typeof resp.description === 'string', `${m} ${path} ${status}: description`);
      }
      if (op.operationId) {
        assert.not.ok(opIds.has(op.operationId), `operationId ${op.operationId} twice`);
        opIds.add(op.operationId);
      }
      const pathParams = (op.parameters ?? []).filter((p: Obj) => p.in === 'path').map((p: Obj) => p.name);
      if (m !== 'options') assert.equal(pathParams.sort(), [...templated].sort(), `${m} ${path}: path parameters`);
      for (const p of op.parameters ?? []) {
        assert.ok(['path', 'query', 'header', 'cookie'].includes(p.in), `${m} ${path}: parameter ${p.name} in ${p.in}`);
        if (p.in === 'path') assert.is(p.required, true, `${m} ${path}: path parameter ${p.name} must be required`);
      }
    }
  }
  // Component names are restricted by the spec.
  for (const kind of Object.keys(doc.components ?? {})) {
    for (const name of Object.keys(doc.components[kind])) assert.match(name, /^[a-zA-Z0-9.\-_]+$/, `components/${kind}/${name}`);
  }
});

test('every $ref resolves inside the document; no $id is left to shift the base', () => {
  let refs = 0;
  walk(doc, '#', (node, at) => {
    if (typeof node.$ref === 'string') {
      refs++;
      assert.ok(node.$ref.startsWith('#/'), `${at}: $ref ${node.$ref} is not local`);
      assert.ok(pointer(doc, node.$ref) !== undefined, `${at}: $ref ${node.$ref} does not resolve`);
    }
    assert.not.ok('$id' in node, `${at}: $id`);
  });
  assert.ok(refs > 50, `only ${refs} refs`);
});

test('the ledger schemas are published as components, unchanged but for refs', async () => {
  const { schemas } = await import('@cotc/ledger');
  const cs = doc.components.schemas;
  for (const name of ['envelope', 'entry', 'amount', 'donation', 'transfer', 'disbursement', 'confirmation', 'reversal', 'org.register', 'org.keys', 'fund.open', 'docHash']) {
    assert.ok(cs[name], name);
    assert.equal(cs[name].required, (schemas as Obj)[name].required, `${name}: required`);
  }
  assert.is(cs.id.pattern, '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$');
  assert.is(cs.donation.properties.amount.$ref, '#/components/schemas/amount');
  assert.is(cs.donation.properties.fund.$ref, '#/components/schemas/id');
  assert.is(cs.keyList.items.$ref, '#/components/schemas/verifierKey');
});

// ---- the app and the document list the same routes ---------------------------------

function appRoutes(): Set<string> {
  const out = new Set<string>();
  for (const layer of (s.app as unknown as { router: { stack: Array<{ route?: { path: unknown; methods: Record<string, boolean> } }> } }).router.stack) {
    if (!layer.route) continue;
    assert.type(layer.route.path, 'string', 'route paths are single strings');
    const path = (layer.route.path as string).replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    for (const [m, on] of Object.entries(layer.route.methods)) if (on) out.add(`${m.toUpperCase()} ${path}`);
  }
  return out;
}

function docRoutes(): Set<string> {
  const out = new Set<string>();
  for (const [path, item] of Object.entries<Obj>(doc.paths)) for (const m of METHODS) if (item[m]) out.add(`${m.toUpperCase()} ${path}`);
  return out;
}

test('every route of the app is in the document, and every documented operation is a route', () => {
  const app = appRoutes();
  const documented = docRoutes();
  assert.ok(app.size >= 25, `${app.size} routes`);
  for (const r of app) assert.ok(documented.has(r), `${r} is not in the document`);
  // The tile reads are one regex route (src/http/tiles.ts): checked against it below.
  for (const r of documented) if (!r.startsWith('GET /tile/')) assert.ok(app.has(r), `${r} is documented but not a route`);
});

// ---- every route answers as documented ---------------------------------------------

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
ajv.addFormat('date-time', { type: 'string', validate: isUtcTime });
const DOC_ID = 'https://cotc.test/openapi.json';
let docAdded = false;
const validators = new Map<string, ValidateFunction<any>>();

function validatorAt(ptr: string): ValidateFunction<any> {
  if (!docAdded) {
    // Local refs ('#/components/...') resolve against this root, as they do in the document.
    ajv.addSchema({ $id: DOC_ID, paths: doc.paths, components: doc.components });
    docAdded = true;
  }
  let v = validators.get(ptr);
  if (!v) {
    v = ajv.compile<any>({ $ref: DOC_ID + ptr });
    validators.set(ptr, v);
  }
  return v;
}

const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

interface Answer {
  status: number;
  contentType: string;
  headers: Headers | http.IncomingHttpHeaders;
  text: string;
}

/** Operations answered at least once with a documented 2xx. */
const covered = new Set<string>();
/** Documented (operation, 4xx status) pairs that were answered. */
const coveredErrors = new Set<string>();

function conforms(path: string, method: string, a: Answer, expectStatus?: number): Obj | string | undefined {
  const op = doc.paths[path]?.[method];
  assert.ok(op, `${method} ${path} is not documented`);
  const what = `${method.toUpperCase()} ${path} → ${a.status}`;
  if (expectStatus !== undefined) assert.is(a.status, expectStatus, `${what}: expected ${expectStatus}: ${a.text.slice(0, 300)}`);
  let resp = op.responses[String(a.status)];
  assert.ok(resp, `${what}: status not documented (${Object.keys(op.responses).join(', ')}): ${a.text.slice(0, 300)}`);
  if (resp.$ref) resp = pointer(doc, resp.$ref) as Obj;
  if (a.status < 300) covered.add(`${method} ${path}`);
  else coveredErrors.add(`${method} ${path} ${a.status}`);
  if (!resp.content) {
    assert.is(a.text, '', `${what}: documented without a body`);
    for (const h of Object.keys(resp.headers ?? {})) {
      const v = a.headers instanceof Headers ? a.headers.get(h) : a.headers[h.toLowerCase()];
      assert.ok(v, `${what}: documented header ${h} missing`);
      const hs = (resp.headers[h] as Obj).schema;
      if (hs?.const !== undefined) assert.is(v, hs.const, `${what}: header ${h}`);
      if (hs?.pattern) assert.match(String(v), new RegExp(hs.pattern), `${what}: header ${h}`);
    }
    return undefined;
  }
  const mediaType = a.contentType.split(';')[0]!.trim().toLowerCase();
  assert.ok(resp.content[mediaType], `${what}: content type ${a.contentType} not documented (${Object.keys(resp.content).join(', ')})`);
  if (mediaType !== 'application/json') {
    assert.ok(a.text.length > 0, `${what}: empty body`);
    return a.text;
  }
  const body = JSON.parse(a.text);
  const ptr = op.responses[String(a.status)].$ref
    ? `${op.responses[String(a.status)].$ref.slice(1)}/content/${esc(mediaType)}/schema`
    : `#/paths/${esc(path)}/${method}/responses/${a.status}/content/${esc(mediaType)}/schema`.slice(1);
  const v = validatorAt('#' + ptr);
  assert.ok(v(body), `${what}: body does not match the documented schema: ${ajv.errorsText(v.errors)}\n${a.text.slice(0, 500)}`);
  return body;
}

async function call(method: string, pathAndQuery: string, init: { body?: string; contentType?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (init.contentType) headers['content-type'] = init.contentType;
  const r = await fetch(s.url + pathAndQuery, { method: method.toUpperCase(), headers, body: init.body });
  return { status: r.status, contentType: r.headers.get('content-type') ?? '', headers: r.headers, text: await r.text() };
}

/** A request with a declared body over the limit, without sending it. */
function oversized(): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(s.url + '/v1/events');
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(3 * 1024 * 1024) } });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        resolve({ status: res.statusCode!, contentType: String(res.headers['content-type'] ?? ''), headers: res.headers, text });
        req.destroy();
      });
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

/** Fills a path template with valid values for this test's log. */
function fill(path: string): string {
  const byPath: Record<string, string> = {
    '/v1/events/{id}': ids.disbursement,
    '/v1/donations/{id}/trace': ids.donation,
    '/v1/funds/{id}': ids.fund,
    '/v1/orgs/{id}': charity.id,
    '/v1/batches/{id}': ids.batch,
    '/v1/batches/{id}/gifts/{n}': ids.batch,
  };
  const v = byPath[path];
  if (path.includes('{')) {
    assert.ok(v, `no test value for ${path}`);
    return path.replace(/\{id\}/, encodeURIComponent(v!)).replace('{n}', '0');
  }
  return path;
}

/** Valid query strings for each documented query parameter set. */
function validQueries(path: string, op: Obj): string[] {
  const params: Obj[] = (op.parameters ?? []).filter((p: Obj) => p.in === 'query');
  if (params.length === 0) return [''];
  const size = s.log.size;
  const values: Record<string, string> = {
    limit: '2',
    start: '1',
    from: '3',
    to: String(size),
    before: String(size),
    // A cursor as the server hands out (page.next): this log's, for this donation.
    cursor: makeCursor(s.log, ids.donation, size, 0),
  };
  const required = params.filter((p) => p.required).map((p) => `${p.name}=${values[p.name]}`);
  const all = params.map((p) => `${p.name}=${values[p.name] ?? assert.unreachable(`no value for ${p.name}`)}`);
  const out = ['?' + all.join('&')];
  out.push(required.length ? '?' + required.join('&') : '');
  if (path === '/v1/entries') out.push(`?start=${size}`); // past the end: empty page
  return out;
}

test('every GET answers as documented, valid and invalid', async () => {
  for (const [path, item] of Object.entries<Obj>(doc.paths)) {
    const op = item.get;
    if (!op) continue;
    if (path.startsWith('/tile/')) continue; // 'the tlog-tiles reads answer as documented'
    for (const q of validQueries(path, op)) conforms(path, 'get', await call('get', fill(path) + q), 200);
    const documented = Object.keys(op.responses);
    // Invalid path parameter: not an id.
    if (path.includes('{id}')) {
      conforms(path, 'get', await call('get', path.replace('{id}', '-not-an-id')), 400);
      conforms(path, 'get', await call('get', path.replace('{id}', 'no.such.thing')), 404);
    }
    // Invalid query parameters: out of range, not decimal, a required one missing.
    const qps: Obj[] = (op.parameters ?? []).filter((p: Obj) => p.in === 'query');
    for (const p of qps) {
      for (const bad of ['abc', '-1', '1.5', '99999999999999999999']) {
        const a = await call('get', `${fill(path)}?${p.name}=${bad}${p.name === 'from' ? '' : qps.some((x) => x.required && x.name !== p.name) ? '&from=1' : ''}`);
        conforms(path, 'get', a, 400);
      }
      if (p.required) conforms(path, 'get', await call('get', fill(path)), 400);
    }
    if (path === '/v1/proofs/consistency') {
      conforms(path, 'get', await call('get', `${path}?from=5&to=4`), 400);
      conforms(path, 'get', await call('get', `${path}?from=1&to=${s.log.size + 1}`), 400);
      conforms(path, 'get', await call('get', `${path}?from=0`), 400);
    }
    if (path === '/v1/donations') conforms(path, 'get', await call('get', `${path}?limit=1001`), 400);
    // A documented 400/404 must have been produced for routes that take input.
    if (path.includes('{id}') || qps.length) assert.ok(documented.includes('400'), `${path}: 400 documented`);
  }
  // Not-a-donation: an event id that is not a donation has no trace.
  conforms('/v1/donations/{id}/trace', 'get', await call('get', `/v1/donations/${ids.transfer}/trace`), 404);
  // HEAD answers like GET, without a body.
  const h = await fetch(s.url + '/v1/log', { method: 'HEAD' });
  assert.is(h.status, 200);
  assert.is(await h.text(), '');
});

test('the trace bundle and proofs say what the document says', async () => {
  const a = await call('get', `/v1/donations/${ids.donation}/trace`);
  const b = conforms('/v1/donations/{id}/trace', 'get', a, 200) as Obj;
  assert.equal(b.trace.nodes.map((n: Obj) => n.type), ['donation', 'transfer', 'disbursement', 'confirmation']);
  const e = conforms('/v1/events/{id}', 'get', await call('get', `/v1/events/${ids.donation}`), 200) as Obj;
  // The entry bytes validate against the published entry schema.
  const entry = JSON.parse(Buffer.from(e.entry.data, 'base64').toString('utf8'));
  assert.ok(validatorAt('#/components/schemas/entry')(entry), ajv.errorsText(validatorAt('#/components/schemas/entry').errors));
  assert.is(entry.event.id, ids.donation);
});

test('POST /v1/events answers as documented: every documented status that can be provoked', async () => {
  const path = '/v1/events';
  const post = (body: unknown, contentType = 'application/json') => call('post', path, { body: typeof body === 'string' ? body : JSON.stringify(body), contentType });
  // 201 single, 200 identical again, 200 batch with mixed results.
  const d2 = ev(charity, 'donation', { fund: ids.fund, amount: cny(50), donor: donor('oa-d2'), channel: 'steps' }, 'oa-d2');
  conforms(path, 'post', await post(d2), 201);
  conforms(path, 'post', await post(d2), 200);
  // The request body schema accepts what we post.
  const reqSchema = validatorAt('#/paths/~1v1~1events/post/requestBody/content/application~1json/schema');
  assert.ok(reqSchema(d2), ajv.errorsText(reqSchema.errors));
  assert.ok(reqSchema([d2]), ajv.errorsText(reqSchema.errors));
  assert.not.ok(reqSchema([]));
  const batch = [
    ev(charity, 'donation', { fund: ids.fund, amount: cny(70), donor: donor('oa-d3'), channel: 'steps' }, 'oa-d3'),
    ev(charity, 'donation', { fund: 'oa-nope', amount: cny(70), donor: donor('oa-d4'), channel: 'steps' }, 'oa-d4'),
    { v: 1 },
  ];
  const b = conforms(path, 'post', await post(batch), 200) as Obj[];
  assert.equal(b.map((x) => x.status), [201, 422, 400]);
  // 400 schema: wrong shape, not JSON, not I-JSON (duplicate key), empty array, array of non-objects.
  conforms(path, 'post', await post({ v: 1 }), 400);
  conforms(path, 'post', await post('{"v": 1'), 400);
  conforms(path, 'post', await post('{"v": 1, "v": 1}'), 400);
  conforms(path, 'post', await post([]), 400);
  conforms(path, 'post', await post([1, 2]), 400);
  // 401: a signature that does not verify; an unregistered org.
  const forged = { ...ev(charity, 'donation', { fund: ids.fund, amount: cny(1), donor: donor('oa-d5'), channel: 'x' }, 'oa-d5') };
  forged.body = { ...forged.body, amount: cny(2) };
  conforms(path, 'post', await post(forged), 401);
  conforms(path, 'post', await post(ev(newOrg('oa-stranger'), 'fund.open', { fund: 'oa-f9', name: 'n', currency: 'CNY', restricted: false, purpose: 'p' })), 401);
  // 409: the id of another event.
  conforms(path, 'post', await post(ev(charity, 'donation', { fund: ids.fund, amount: cny(9), donor: donor(ids.donation), channel: 'x' }, ids.donation)), 409);
  // 422: unknown fund; overdraft.
  conforms(path, 'post', await post(ev(charity, 'donation', { fund: 'oa-nope', amount: cny(9), donor: donor('oa-d6'), channel: 'x' })), 422);
  conforms(path, 'post', await post(ev(school, 'disbursement', { fund: ids.schoolFund, amount: cny(100000), payee: 'x', purpose: 'y', receipts: [] })), 422);
  // 403: not the fund's owner.
  conforms(path, 'post', await post(ev(charity, 'donation', { fund: ids.schoolFund, amount: cny(9), donor: donor('oa-d7'), channel: 'x' })), 403);
  // 415: not JSON.
  conforms(path, 'post', await post('hello', 'text/plain'), 415);
  // 413: declared over the limit.
  conforms(path, 'post', await oversized(), 413);
  for (const st of [200, 201]) assert.ok(covered.has('post /v1/events') && doc.paths[path].post.responses[String(st)], String(st));
  for (const st of [400, 401, 403, 409, 413, 415, 422]) assert.ok(coveredErrors.has(`post ${path} ${st}`), `POST ${st} not exercised`);
});

test('POST /v1/batches answers as documented', async () => {
  const path = '/v1/batches';
  const post = (body: string, contentType = 'application/json') => call('post', path, { body, contentType });
  const g = { amount: '3', channel: 'steps-for-charity', donor: donor('oa-g1'), measure: 'steps:3000' };
  conforms(path, 'post', await post(JSON.stringify({ gifts: [g] })), 201);
  conforms(path, 'post', await post(JSON.stringify({ gifts: [g] })), 200);
  conforms(path, 'post', await post(JSON.stringify({ gifts: [{ ...g, amount: '0' }] })), 400);
  conforms(path, 'post', await post(JSON.stringify({ gifts: [{ ...g, amount: '9223372036854775807' }, g] })), 422);
  conforms(path, 'post', await post('hello', 'text/plain'), 415);
});

test('OPTIONS on every path answers as documented (CORS preflight for reads)', async () => {
  for (const [path, item] of Object.entries<Obj>(doc.paths)) {
    if (!item.options) continue;
    const a = await call('options', fill(path));
    conforms(path, 'options', a, 204);
    const h = a.headers as Headers;
    if (item.get) {
      assert.is(h.get('access-control-allow-origin'), '*', path);
      assert.is(h.get('access-control-allow-methods'), 'GET, HEAD', path);
      assert.ok(Number(h.get('access-control-max-age')) > 0, path);
    } else {
      assert.is(h.get('access-control-allow-origin'), null, `${path}: writes are same-origin`);
    }
  }
});

/** A tile path template filled in: the index `n` in its groups, level `l`, width `w`. */
function tilePath(template: string, l: number, groups: string[], w?: number): string {
  const names = [...template.matchAll(/\{(N[0-9]*)\}/g)].map((m) => m[1]!);
  assert.is(names.length, groups.length, `${template}: ${groups.length} groups`);
  let out = template.replace('{L}', String(l));
  names.forEach((name, i) => (out = out.replace(`{${name}}`, groups[i]!)));
  if (out.includes('{W}')) out = out.replace('{W}', String(w ?? assert.unreachable(`${template}: a width`)));
  assert.not.match(out, /[{}]/, out);
  return out;
}

test('the tlog-tiles reads answer as documented (one path template per group count of the index)', async () => {
  const tiles = Object.keys(doc.paths).filter((p) => p.startsWith('/tile/'));
  assert.is(tiles.length, 20, tiles.join(' '));
  // Grow the log past one full tile, so that full and partial tiles both exist.
  const grow = 300 - s.log.size;
  if (grow > 0) {
    const r = await s.client.post(Array.from({ length: grow }, (_, i) => ev(charity, 'donation', { fund: ids.fund, amount: cny(1), donor: donor(`oa-t${i}`), channel: 'steps' }, `oa-t${i}`)));
    assert.is(r.status, 200);
  }
  const size = s.log.size;
  assert.ok(size > 256 && size < 512, `size ${size}`);
  const w = size - 256;
  for (const t of tiles) {
    const groups = t.split('/').filter((x) => x.includes('{N')).length;
    const partial = t.includes('.p/');
    if (groups === 1) {
      // Full tile 0 and the head's partial tile 1 exist; the tile after them does not.
      const a = conforms(t, 'get', await call('get', tilePath(t, 0, [partial ? '001' : '000'], w)), 200) as string;
      assert.ok(a.length > 0, t);
      conforms(t, 'get', await call('get', tilePath(t, 0, ['002'], partial ? 1 : undefined)), 404);
      // Out of the grammar: a 4-digit group, a width of 0, a level past 63.
      conforms(t, 'get', await call('get', tilePath(t, 0, ['0000'], 1)), 400);
      if (partial) conforms(t, 'get', await call('get', tilePath(t, 0, ['001'], 0)), 400);
      if (t.includes('{L}')) conforms(t, 'get', await call('get', tilePath(t, 64, ['000'], 1)), 400);
    } else {
      // A well-formed index of `groups` groups (≥ 1000 tiles): past this log, a documented 404.
      const idx = ['001', ...Array.from({ length: groups - 1 }, () => '000')];
      conforms(t, 'get', await call('get', tilePath(t, 0, idx, 5)), 404);
      // A leading x000 group is not the canonical form: 400.
      conforms(t, 'get', await call('get', tilePath(t, 0, Array.from({ length: groups }, () => '000'), 5)), 400);
    }
  }
  // The bytes are the log's: entry bundle 0 starts with entry 0's length and bytes.
  const bundle = Buffer.from(await (await fetch(s.url + '/tile/entries/000')).arrayBuffer());
  const e0 = conforms('/v1/entries', 'get', await call('get', '/v1/entries?start=0&limit=1'), 200) as Obj;
  const bytes = Buffer.from(e0.entries[0].data, 'base64');
  assert.is(bundle.readUInt16BE(0), bytes.length);
  assert.ok(bundle.subarray(2, 2 + bytes.length).equals(bytes));
});

test('every documented operation was exercised with a documented success', () => {
  for (const r of docRoutes()) {
    const [m, p] = r.split(' ');
    // A tile index of 2 or more groups needs 256,000 entries: those answered a documented 404 above.
    if (/\/x\{N1\}\//.test(p!)) {
      assert.ok(coveredErrors.has(`${m!.toLowerCase()} ${p} 404`), `${r} never answered`);
      continue;
    }
    assert.ok(covered.has(`${m!.toLowerCase()} ${p}`), `${r} never answered 2xx in these tests`);
  }
});

test('unknown routes answer 404 with the error object', async () => {
  const a = await call('get', '/v1/nothing-here');
  assert.is(a.status, 404);
  assert.ok(validatorAt('#/components/schemas/Error')(JSON.parse(a.text)));
});

test('limits and headers: security headers on every answer, request headers over 16 KiB refused', async () => {
  for (const p of ['/openapi.json', '/v1/log', '/v1/nothing-here']) {
    const r = await fetch(s.url + p);
    await r.arrayBuffer();
    assert.is(r.headers.get('x-content-type-options'), 'nosniff', p);
    assert.is(r.headers.get('x-frame-options'), 'DENY', p);
    assert.ok(r.headers.get('content-security-policy'), p);
    assert.is(r.headers.get('x-powered-by'), null, p);
    assert.match(r.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, p);
  }
  const status = await new Promise<number>((resolve, reject) => {
    const u = new URL(s.url);
    const req = http.request({ host: u.hostname, port: u.port, path: '/v1/log', headers: { 'x-big': 'a'.repeat(17 * 1024) } });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
  assert.is(status, 431);
  const ok = await fetch(s.url + '/v1/log', { headers: { 'x-big': 'a'.repeat(12 * 1024) } });
  assert.is(ok.status, 200);
  await ok.arrayBuffer();
});

test.run();
