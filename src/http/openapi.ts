// The OpenAPI 3.1 document of the HTTP API (served at GET /openapi.json), built from the
// ledger's own JSON Schemas (packages/ledger/schemas, draft 2020-12, which is OpenAPI
// 3.1's default dialect) so that the published request schemas are exactly the ones the
// server validates with. Each schema file becomes components/schemas/<file name without
// .json>; the shared definitions of defs.json are hoisted to components of their own
// (id, name, memo, hex256, time, verifierKey, keyList, role); every $ref between files is
// rewritten to a '#/components/schemas/...' ref, and the files' $id/$schema are dropped
// (a $id inside the document would change the base that its refs resolve against).
//
// Keep this next to app.ts: every route there is here (test/http/openapi.test.ts checks
// both ways, and that every route answers as documented).
import { REJECTION_STATUS, schemas } from '@cotc/ledger';
import { giftPaths } from '../gifts/openapi.ts';
import { MAX_BATCH_BODY_BYTES } from '../gifts/routes.ts';
import { MAX_BATCH, MAX_BODY_BYTES, MAX_PAGE, READ_LIMITS } from './limits.ts';
import { eventSchemas } from './openapi-events.ts';
import { tilePaths } from './openapi-tiles.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const SCHEMA_BASE = 'https://charities-on-the-chain.example/schemas/v1/';
const DEFS_FILE = 'defs';
const ref = (name: string): Obj => ({ $ref: `#/components/schemas/${name}` });

/** Maps a $ref found in schema file `file` to a ref inside the OpenAPI document. */
function rewriteRef(ref: string, file: string): string {
  const url = new URL(ref, `${SCHEMA_BASE}${file}.json`);
  if (!url.href.startsWith(SCHEMA_BASE)) throw new Error(`schema ${file}: $ref ${ref} leaves the schema set`);
  const target = decodeURIComponent(url.pathname.slice(new URL(SCHEMA_BASE).pathname.length)).replace(/\.json$/, '');
  if (!(target in schemas)) throw new Error(`schema ${file}: $ref ${ref} names an unknown schema file ${target}`);
  const fragment = decodeURIComponent(url.hash.replace(/^#/, ''));
  if (target === DEFS_FILE) {
    const m = /^\/\$defs\/([^/]+)(\/.*)?$/.exec(fragment);
    if (!m) throw new Error(`schema ${file}: $ref ${ref} must point into defs.json's $defs`);
    return `#/components/schemas/${m[1]}${m[2] ?? ''}`;
  }
  if (fragment !== '' && !fragment.startsWith('/')) throw new Error(`schema ${file}: $ref ${ref}: anchors are not supported`);
  return `#/components/schemas/${target}${fragment}`;
}

function convert(node: unknown, file: string, top: boolean): Json {
  if (Array.isArray(node)) return node.map((x) => convert(x, file, false));
  if (node === null || typeof node !== 'object') return node as Json;
  const out: Obj = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (top && (k === '$id' || k === '$schema')) continue;
    if (k === '$ref' && typeof v === 'string') out[k] = rewriteRef(v, file);
    else out[k] = convert(v, file, false);
  }
  return out;
}

/** The ledger's schemas as OpenAPI components (defs.json's $defs hoisted). */
export function ledgerComponents(): Obj {
  const out: Obj = {};
  for (const [file, schema] of Object.entries(schemas)) {
    if (file === DEFS_FILE) {
      const defs = (schema as { $defs: Record<string, unknown> }).$defs;
      for (const [name, def] of Object.entries(defs)) {
        if (name in schemas) throw new Error(`defs.json: $defs/${name} collides with a schema file`);
        out[name] = convert(def, file, false);
      }
      continue;
    }
    out[file] = convert(schema, file, true);
  }
  return out;
}

// ---- response schemas --------------------------------------------------------------

const int0: Obj = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER };
const int1: Obj = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER };
const obj = (properties: Obj, required = Object.keys(properties), extra: Obj = {}): Obj => ({
  type: 'object',
  required,
  additionalProperties: false,
  properties,
  ...extra,
});

const apiSchemas: Obj = {
  Checkpoint: {
    type: 'string',
    minLength: 1,
    description: 'A C2SP signed note whose text is a tlog-checkpoint (origin, size, base64 root hash), signed by the log key.',
  },
  Proof: obj(
    { index: int0, size: int1, hashes: { type: 'array', items: ref('hex256') } },
    undefined,
    { description: 'RFC 9162 §2.1.3 inclusion proof of leaf `index` in the tree of `size` entries.' },
  ),
  ConsistencyProof: obj(
    { from: int1, to: int1, hashes: { type: 'array', items: ref('hex256') } },
    undefined,
    { description: 'RFC 9162 §2.1.4 consistency proof between tree sizes `from` and `to`.' },
  ),
  EntryData: obj(
    {
      index: int0,
      data: {
        type: 'string',
        contentEncoding: 'base64',
        contentMediaType: 'application/json',
        // JSON Schema 2020-12 §8.5: what the decoded bytes are (annotation; verifiers hash the bytes first).
        contentSchema: ref('entry'),
        description: 'The entry\'s exact bytes (RFC 8785 canonical JSON of {seq, prev, time, event, effects}, see the schema "entry"), base64; the leaf hash is SHA-256(0x00 || bytes).',
      },
    },
  ),
  ErrorBody: obj({ code: { type: 'string', pattern: '^[a-z_]+$' }, message: { type: 'string' } }),
  Error: obj({ error: ref('ErrorBody') }, undefined, { description: 'Every error answer.' }),
  Accepted: obj(
    { seq: int0, leafHash: ref('hex256'), proof: ref('Proof'), checkpoint: ref('Checkpoint') },
    undefined,
    { description: 'The event\'s seq and leaf hash, and an inclusion proof against a checkpoint that contains it.' },
  ),
  BatchAccepted: obj({
    status: { enum: [200, 201] },
    seq: int0,
    leafHash: ref('hex256'),
    proof: ref('Proof'),
    checkpoint: ref('Checkpoint'),
  }),
  BatchRejected: obj({ status: { type: 'integer', minimum: 400, maximum: 599 }, error: ref('ErrorBody') }),
  BatchResult: { oneOf: [ref('BatchAccepted'), ref('BatchRejected')] },
  BatchResults: { type: 'array', minItems: 1, maxItems: MAX_BATCH, items: ref('BatchResult'), description: 'One result per posted event, in the same order.' },
  LogKey: {
    type: 'string',
    description: "The log's C2SP signed-note Ed25519 verifier key, name+hexid+base64(0x01||pub), named by the checkpoint origin.",
    pattern: '^[^+\\s]+\\+[0-9a-f]{8}\\+A[Q-Za-f][A-Za-z0-9+/]{42}$',
  },
  LogInfo: obj({ origin: { type: 'string', minLength: 1, description: 'The checkpoint origin (the log key\'s name)' }, size: int1, key: ref('LogKey'), role: ref('Role') }, ['origin', 'size', 'key']),
  Health: obj({ ok: { const: true }, size: int0, role: ref('Role') }, ['ok', 'size']),
  Role: {
    enum: ['sequencer', 'reader'],
    description: 'Present when many servers share one PostgreSQL database: `sequencer` appends; a `reader` serves reads from the database and answers writes 503 `unavailable` with Retry-After.',
  },
  EventProof: obj({ entry: ref('EntryData'), proof: ref('Proof'), checkpoint: ref('Checkpoint') }),
  DonationList: obj({
    donations: {
      type: 'array',
      maxItems: MAX_PAGE,
      description: 'Newest first.',
      items: obj({ id: ref('id'), fund: ref('id'), amount: ref('amount'), index: int0 }),
    },
    next: { ...int0, description: 'Present when the page is full: the index of its last donation; GET ?before=<next> for the next page.' },
  }, ['donations']),
  EntriesPage: obj(
    {
      entries: { type: 'array', maxItems: MAX_PAGE, items: ref('EntryData') },
      next: {
        ...int1,
        description: `Present when the byte cap (default ${READ_LIMITS.entriesPageBytes} bytes of entries; a page always holds at least one) cut the page short of \`limit\`: the index to continue from (the last index + 1).`,
      },
    },
    ['entries'],
  ),
  Balance: obj({ currency: { type: 'string', pattern: '^[A-Z]{3}$' }, value: { type: 'string', pattern: '^(0|[1-9][0-9]{0,18})$' } }),
  Fund: obj({
    id: ref('id'),
    owner: ref('id'),
    name: ref('name'),
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    restricted: { type: 'boolean' },
    purpose: ref('name'),
    balance: ref('Balance'),
    lots: { ...int0, description: 'Lots in the fund\'s FIFO queue.' },
    openedSeq: int0,
  }),
  Org: obj({
    id: ref('id'),
    name: ref('name'),
    roles: { type: 'array', items: ref('role') },
    registeredSeq: int0,
    keys: {
      type: 'array',
      maxItems: MAX_PAGE,
      description: `Every key the org ever held, in the order added, with the seq it was added at and, once revoked, the seq of its revocation; at most ${MAX_PAGE} from \`start\`.`,
      items: obj({ key: ref('verifierKey'), addedSeq: int0, revokedSeq: int0 }, ['key', 'addedSeq']),
    },
    next: { ...int1, description: 'Present when more keys follow: GET ?start=<next>.' },
  }, ['id', 'name', 'roles', 'registeredSeq', 'keys']),
  TraceNode: obj(
    {
      event: ref('id'),
      type: { enum: ['donation', 'transfer', 'disbursement', 'reversal', 'confirmation'] },
      index: int0,
      fund: ref('id'),
      unspent: { type: 'string', pattern: '^(0|[1-9][0-9]{0,18})$' },
    },
    ['event', 'type', 'index'],
    { dependentRequired: { fund: ['unspent'], unspent: ['fund'] } },
  ),
  Flow: obj({ from: ref('id'), to: ref('id'), value: { type: 'string', pattern: '^[1-9][0-9]{0,18}$' } }),
  Trace: obj({
    donation: ref('id'),
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    nodes: { type: 'array', minItems: 1, items: ref('TraceNode') },
    flows: { type: 'array', items: ref('Flow') },
  }),
  TraceBundle: obj(
    {
      version: { const: 1 },
      checkpoint: ref('Checkpoint'),
      entries: {
        type: 'array',
        items: obj({ index: int0, data: { type: 'string', contentEncoding: 'base64', contentMediaType: 'application/json' }, proof: ref('Proof') }),
        description: 'In index order; across the pages of one bundle, strictly increasing.',
      },
      trace: ref('Trace'),
      page: obj(
        { next: { type: 'string', minLength: 1, maxLength: 256, description: 'Opaque: GET /v1/donations/{id}/trace?cursor=<next> for the next page.' } },
        undefined,
        { description: 'Present exactly when more pages follow (and then `trace` is absent).' },
      ),
    },
    ['version', 'checkpoint', 'entries'],
    {
      oneOf: [{ required: ['trace'], not: { required: ['page'] } }, { required: ['page'], not: { required: ['trace'] } }],
      description: `Everything a verifier needs for one donation: the flow graph, and every entry in it, entry 0, the fund.open of every fund a node names, and every org.register/org.keys of every signer, each with its inclusion proof against the one checkpoint. A bundle over the byte cap (default ${READ_LIMITS.tracePageBytes} bytes of entries per page) comes in pages: each page is a bundle object with the same checkpoint; all but the last carry \`page.next\` and no trace; the last carries \`trace\`. The entries of all pages together are the bundle's.`,
    },
  ),
};

// ---- responses ---------------------------------------------------------------------

const json = (schema: Obj): Obj => ({ 'application/json': { schema } });
const text = (description: string): Obj => ({ 'text/plain': { schema: { type: 'string', description } } });

function errorResponse(description: string, codes: string[]): Obj {
  return {
    description: `${description} (code: ${codes.join(', ')})`,
    content: json({
      allOf: [ref('Error')],
      properties: { error: { properties: { code: { enum: codes } } } },
    }),
  };
}

/** POST /v1/events: the rejection codes for each status (DESIGN.md "Posting"). */
function postErrors(): Obj {
  const byStatus = new Map<number, string[]>();
  for (const [code, status] of Object.entries(REJECTION_STATUS)) byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  byStatus.set(413, ['too_large']);
  byStatus.set(415, ['unsupported_media_type']);
  byStatus.set(429, ['rate_limited']);
  byStatus.set(503, ['unavailable']);
  const what: Record<number, string> = {
    400: `Malformed: not I-JSON, wrong shape, \`time\` more than 5 minutes ahead, or an array outside 1–${MAX_BATCH} or not of objects`,
    401: 'The signature does not verify with a current key of `org` (or `org` is not registered)',
    403: 'Not the poster this event needs',
    409: 'The id is used by a different event',
    413: `Body over ${MAX_BODY_BYTES} bytes`,
    415: 'A content type other than application/json (utf-8), or a content encoding',
    429: 'This client posted more requests or events than its per-client limit allows; the Retry-After header says when to retry. Nothing was appended',
    422: 'What the event refers to does not exist, or the state machine refuses it',
    503: "The log could not commit, or the sequencer's queue is full (then a Retry-After header says when to retry); nothing was appended",
  };
  const out: Obj = {};
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) out[String(status)] = errorResponse(what[status] ?? 'Rejected', byStatus.get(status)!);
  return out;
}

const internal: Obj = { $ref: '#/components/responses/Internal' };
const badRequestResp = (what: string) => errorResponse(what, ['bad_request']);
const notFoundResp = (what: string) => errorResponse(what, ['not_found']);

const idParam = (description: string): Obj => ({ name: 'id', in: 'path', required: true, description, schema: ref('id') });
const intQuery = (name: string, description: string, schema: Obj, required = false): Obj => ({
  name,
  in: 'query',
  required,
  description,
  schema: { type: 'integer', ...schema },
});

function get(summary: string, responses: Obj, extra: Obj = {}): Obj {
  return { summary, ...extra, responses: { ...responses, '500': internal } };
}

function paths(): Obj {
  return {
    '/healthz': {
      get: get('Liveness and readiness', {
        '200': { description: 'Ready: the store answers; `size` is the committed tree size', content: json(ref('Health')) },
        '503': errorResponse('The store is failing; writes are refused until it recovers', ['unavailable']),
      }, { operationId: 'health' }),
    },
    '/checkpoint': {
      get: get('The latest signed checkpoint', {
        '200': { description: 'A C2SP signed note (tlog-checkpoint text signed by the log key)', content: text('signed note text') },
      }, { operationId: 'checkpoint' }),
    },
    '/v1/log': {
      get: get('The log: origin, tree size, verifier key', {
        '200': { description: 'The log', content: json(ref('LogInfo')) },
      }, { operationId: 'log' }),
    },
    '/v1/events': {
      post: {
        operationId: 'postEvents',
        summary: 'Append one signed event, or an array of 1 to 1000',
        description:
          'One envelope answers with its own status. An array answers 200 with one result per event, in order, each with its own `status`; the elements are judged in order, each seeing those accepted before it, and the accepted ones are appended even when others fail. The identical event (same canonical bytes) posted again answers 200 with its seq and a fresh proof. Checks run in the order of the statuses below; the first failure answers.',
        requestBody: {
          required: true,
          description: `I-JSON (RFC 7493), at most ${MAX_BODY_BYTES} bytes.`,
          content: json({
            oneOf: [ref('Event'), { type: 'array', minItems: 1, maxItems: MAX_BATCH, items: ref('Event') }],
          }),
        },
        responses: {
          '200': {
            description: 'An array was judged (one result per element), or this identical event was appended before',
            content: json({ oneOf: [ref('Accepted'), ref('BatchResults')] }),
          },
          '201': { description: 'Appended (durably, in one synced write)', content: json(ref('Accepted')) },
          ...postErrors(),
          '500': internal,
        },
      },
    },
    '/v1/events/{id}': {
      get: get('An entry, its inclusion proof and the checkpoint', {
        '200': { description: 'The entry bytes, proven against the checkpoint', content: json(ref('EventProof')) },
        '400': badRequestResp('Not a valid id'),
        '404': notFoundResp('No such event in the log'),
      }, { operationId: 'getEvent', parameters: [idParam('The event id')] }),
    },
    '/v1/donations': {
      get: get('Recent donations, newest first', {
        '200': { description: 'Donations', content: json(ref('DonationList')) },
        '400': badRequestResp('`limit` or `before` is not an integer in range'),
      }, {
        operationId: 'listDonations',
        parameters: [
          intQuery('limit', 'How many', { minimum: 1, maximum: MAX_PAGE, default: 20 }),
          intQuery('before', 'Only donations at indexes below this (the `next` of the previous page)', { minimum: 1 }),
        ],
      }),
    },
    '/v1/donations/{id}/trace': {
      get: get('The trace bundle of a donation (one page of it)', {
        '200': { description: 'The flow graph with every entry a verifier needs, or one page of it', content: json(ref('TraceBundle')) },
        '400': badRequestResp('Not a valid id, or a cursor this log did not give out for this donation'),
        '404': notFoundResp('No such donation in the log'),
      }, {
        operationId: 'traceDonation',
        parameters: [
          idParam('The donation\'s event id'),
          { name: 'cursor', in: 'query', required: false, description: 'The `page.next` of the previous page (it pins the checkpoint and the position)', schema: { type: 'string', minLength: 1, maxLength: 256 } },
        ],
      }),
    },
    '/v1/proofs/consistency': {
      get: get('A consistency proof between two tree sizes', {
        '200': { description: 'The proof', content: json(ref('ConsistencyProof')) },
        '400': badRequestResp('`from` missing, or a size out of range (1 ≤ from ≤ to ≤ the current size)'),
      }, {
        operationId: 'consistency',
        parameters: [
          intQuery('from', 'The older tree size', { minimum: 1 }, true),
          intQuery('to', 'The newer tree size (default: the current size)', { minimum: 1 }),
        ],
      }),
    },
    '/v1/entries': {
      get: get('A page of entries', {
        '200': { description: `Entries from \`start\`, at most \`limit\` (≤ ${MAX_PAGE}) and at most the byte cap (then \`next\` says where to continue); empty past the end`, content: json(ref('EntriesPage')) },
        '400': badRequestResp('`start` or `limit` is not an integer in range'),
      }, {
        operationId: 'entries',
        parameters: [
          intQuery('start', 'The first index', { minimum: 0, default: 0 }),
          intQuery('limit', 'How many', { minimum: 1, maximum: MAX_PAGE, default: 100 }),
        ],
      }),
    },
    '/v1/funds/{id}': {
      get: get('A fund as committed', {
        '200': { description: 'The fund', content: json(ref('Fund')) },
        '400': badRequestResp('Not a valid id'),
        '404': notFoundResp('No such fund'),
      }, { operationId: 'getFund', parameters: [idParam('The fund id')] }),
    },
    '/v1/orgs/{id}': {
      get: get('An organisation as committed, with every key it ever held (in pages of 1000 keys)', {
        '200': { description: 'The organisation', content: json(ref('Org')) },
        '400': badRequestResp('Not a valid id, or `start` is not an integer in range'),
        '404': notFoundResp('No such organisation'),
      }, {
        operationId: 'getOrg',
        parameters: [idParam('The org id'), intQuery('start', 'The position of the first key listed in the org\'s key history', { minimum: 0, default: 0 })],
      }),
    },
    '/openapi.json': {
      get: get('This document', {
        '200': { description: 'OpenAPI 3.1', content: json({ type: 'object', required: ['openapi', 'info', 'paths'], properties: { openapi: { type: 'string' }, info: { type: 'object' }, paths: { type: 'object' } } }) },
      }, { operationId: 'openapi' }),
    },
    // issue 15: micro-donation batches (src/gifts/)
    ...giftPaths({ get, json, errorResponse, idParam, ref, maxBody: MAX_BATCH_BODY_BYTES }),
    // C2SP tlog-tiles (src/http/tiles.ts)
    ...tilePaths({ get, errorResponse }),
    '/metrics': {
      get: get('Prometheus metrics', {
        '200': { description: 'Prometheus text exposition format 0.0.4', content: text('Prometheus text format') },
      }, { operationId: 'metrics' }),
    },
  };
}

/** OPTIONS, on every path: Allow lists the path's methods; on paths with GET it is also
 * the CORS preflight answer (reads from any origin; writes stay same-origin). */
const preflight: Obj = {
  summary: 'CORS preflight for reads',
  description: 'Reads may be fetched from any origin; writes may not (POST is never among the allowed methods).',
  responses: { '204': { $ref: '#/components/responses/Preflight' } },
};
const options: Obj = {
  summary: 'The methods of this path',
  description: 'No CORS headers: writes are same-origin only.',
  responses: { '204': { $ref: '#/components/responses/Options' } },
};

function mergeSchemas(a: Obj, b: Obj): Obj {
  for (const k of Object.keys(b)) if (k in a) throw new Error(`openapi: component ${k} is defined twice`);
  return { ...a, ...b };
}

let cached: Obj | undefined;

/** The document (built once; treat as read-only). */
export function openApiDocument(): Obj {
  if (cached) return cached;
  const p = paths();
  for (const [path, item] of Object.entries(p) as Array<[string, Obj]>) {
    // The tile reads are one regex route of their own router (src/http/tiles.ts), not among
    // the app's paths that app.ts gives an OPTIONS answer.
    if (path.startsWith('/tile/')) continue;
    // An operation names every parameter of its path (Redocly path-parameters-defined).
    const op = Object.values(item).find((o) => Array.isArray((o as Obj).parameters)) as Obj | undefined;
    const pathParams = ((op?.parameters ?? []) as Obj[]).filter((x) => x.in === 'path');
    item.options = {
      ...('get' in item ? preflight : options),
      operationId: `preflight${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      ...(pathParams.length ? { parameters: pathParams } : {}),
    };
  }
  const ledger = ledgerComponents();
  cached = {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Charities on the Chain',
      version: '1',
      summary: 'A public, append-only, hash-chained ledger of donation money',
      description:
        'JSON over HTTP (DESIGN.md "The HTTP API" and "Wire formats (version 1)"). Requests and entries are I-JSON; hashes are lowercase hex, entry bytes and signatures standard base64, times RFC 3339 UTC. Every error is {"error": {"code", "message"}}. GET routes also answer HEAD. Every answer carries a server-side X-Request-Id. Reads allow any origin (Access-Control-Allow-Origin: *).',
    },
    servers: [{ url: '/' }],
    // Nothing needs credentials: reads are public and every write is an event signed by its
    // org's key (the signature is the authorisation, checked per event). An empty list is
    // OpenAPI 3.1's "no security requirement" (§4.8.30).
    security: [],
    paths: p,
    components: {
      schemas: mergeSchemas(mergeSchemas(ledger, eventSchemas(ledger)), apiSchemas),
      responses: {
        Internal: { description: 'An unexpected failure (code: internal)', content: json(ref('Error')) },
        Options: {
          description: 'The methods of this path',
          headers: { Allow: { schema: { type: 'string' } } },
        },
        Preflight: {
          description: 'CORS preflight answer',
          headers: {
            Allow: { schema: { type: 'string' } },
            'Access-Control-Allow-Origin': { schema: { const: '*' } },
            'Access-Control-Allow-Methods': { schema: { type: 'string', const: 'GET, HEAD' } },
            'Access-Control-Max-Age': { schema: { type: 'string', pattern: '^[0-9]+$' } },
          },
        },
      },
    },
  };
  return cached;
}
