// The OpenAPI description of the batch routes (src/gifts/routes.ts), merged into
// src/http/openapi.ts's paths. Built with that file's helpers, passed in, so the shapes of
// errors and GETs stay the same everywhere.
type Obj = Record<string, any>;

export interface OpenApiHelpers {
  get: (summary: string, responses: Obj, extra?: Obj) => Obj;
  json: (schema: Obj) => Obj;
  errorResponse: (description: string, codes: string[]) => Obj;
  idParam: (description: string) => Obj;
  ref: (name: string) => Obj;
  maxBody: number;
}

const HEX64 = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const INT = { type: 'string', pattern: '^(0|[1-9][0-9]{0,18})$' };

export function giftPaths(h: OpenApiHelpers): Obj {
  const giftRecord = {
    type: 'object',
    required: ['amount', 'channel', 'donor', 'measure'],
    additionalProperties: false,
    properties: {
      amount: { type: 'string', pattern: '^[1-9][0-9]{0,18}$', description: 'minor units, at most 2^63-1' },
      channel: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$' },
      donor: { ...HEX64, description: 'hex SHA-256("cotc-gift-donor-v1\\n" || batch id || "\\n" || index || "\\n" || receipt secret)' },
      measure: { type: 'string', minLength: 1, description: '1 to 256 code points: the item sold, the steps walked' },
    },
  };
  const summary = {
    type: 'object',
    required: ['id', 'org', 'fund', 'amount', 'count', 'root', 'index'],
    properties: { id: h.ref('id'), org: h.ref('id'), fund: h.ref('id'), amount: h.ref('amount'), count: { type: 'integer', minimum: 1 }, root: HEX64, index: { type: 'integer', minimum: 0 } },
  };
  const proof = {
    type: 'object',
    required: ['index', 'size', 'hashes'],
    properties: { index: { type: 'integer' }, size: { type: 'integer' }, hashes: { type: 'array', items: HEX64 } },
  };
  const stored = { type: 'object', required: ['root', 'count', 'total', 'bytes'], properties: { root: HEX64, count: { type: 'integer' }, total: INT, bytes: { type: 'integer' } } };
  const idP = h.idParam('The gift.batch event id');
  return {
    '/v1/batches': {
      post: {
        operationId: 'postBatch',
        summary: 'Store the gifts of a batch (docs/gifts.md); then post the gift.batch event with the root, count and total answered',
        requestBody: {
          required: true,
          description: `I-JSON, at most ${h.maxBody} bytes: {"gifts": [gift record…]}, 1 to 2^24 gifts, in index order. Never a receipt secret: donor commitments only.`,
          content: h.json({ type: 'object', required: ['gifts'], additionalProperties: false, properties: { gifts: { type: 'array', minItems: 1, items: giftRecord } } }),
        },
        responses: {
          '201': { description: 'Stored', content: h.json(stored) },
          '200': { description: 'The same batch was stored before', content: h.json(stored) },
          '400': h.errorResponse('Not {"gifts": [gift record…]}, or a gift record that is not one', ['schema']),
          '413': h.errorResponse(`Body over ${h.maxBody} bytes`, ['too_large']),
          '415': h.errorResponse('A content type other than application/json', ['unsupported_media_type']),
          '422': h.errorResponse('The total would exceed 2^63-1', ['bad_amount']),
          '500': { $ref: '#/components/responses/Internal' },
        },
      },
    },
    '/v1/batches/{id}': {
      get: h.get('A gift batch as committed in the log, and whether this server stores its gifts', {
        '200': { description: 'The batch', content: h.json({ type: 'object', required: ['batch', 'stored'], properties: { batch: summary, stored: { type: 'boolean' } } }) },
        '400': h.errorResponse('Not a valid id', ['bad_request']),
        '404': h.errorResponse('No such gift batch in the log', ['not_found']),
      }, { operationId: 'getBatch', parameters: [idP] }),
    },
    '/v1/batches/{id}/gifts/{n}': {
      get: h.get('One gift with its sum-tree proof, the batch entry and its inclusion proof', {
        '200': {
          description: 'The gift (verify: packages/verify verifyGift)',
          content: h.json({
            type: 'object',
            required: ['batch', 'gift', 'proof', 'entry', 'inclusion', 'checkpoint'],
            properties: {
              batch: summary,
              gift: { type: 'object', required: ['index', 'record'], properties: { index: { type: 'integer', minimum: 0 }, record: giftRecord } },
              proof: {
                type: 'object',
                required: ['index', 'count', 'path'],
                properties: { index: { type: 'integer' }, count: { type: 'integer' }, path: { type: 'array', items: { type: 'object', required: ['hash', 'sum'], properties: { hash: HEX64, sum: INT } } } },
              },
              entry: { type: 'object', required: ['index', 'data'], properties: { index: { type: 'integer' }, data: { type: 'string' } } },
              inclusion: proof,
              checkpoint: { type: 'string' },
            },
          }),
        },
        '400': h.errorResponse('Not a valid id, or n is neither an index nor a donor commitment', ['bad_request']),
        '404': h.errorResponse('No such batch, no such gift, or its gifts are not stored here', ['not_found']),
      }, {
        operationId: 'getGift',
        parameters: [idP, { name: 'n', in: 'path', required: true, description: 'The gift index, or its 64-hex donor commitment (a donor finds theirs without revealing the secret)', schema: { type: 'string' } }],
      }),
    },
  };
}
