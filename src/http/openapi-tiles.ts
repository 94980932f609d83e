// The OpenAPI description of the C2SP tlog-tiles reads (src/http/tiles.ts), merged into
// src/http/openapi.ts's paths.
//
// A tile index N is written in 3-digit groups, each but the last prefixed with `x`
// (c2sp.org/tlog-tiles: 1234067 → x001/x234/067), so one N spans 1 to 5 path segments
// (a log of 2^53 entries has 2^45 level-0 tiles: 5 groups). OpenAPI path parameters cannot
// hold a `/` (3.1 §4.8.8.2 "Path Templating"), so each group count is its own path
// template: /tile/{L}/{N}, /tile/{L}/x{N4}/{N}, … with N the last group and N1…N4 the
// earlier ones from the most significant; and the same with `.p/{W}` for a partial tile.
type Obj = Record<string, any>;

export interface TileOpenApiHelpers {
  get: (summary: string, responses: Obj, extra?: Obj) => Obj;
  errorResponse: (description: string, codes: string[]) => Obj;
}

/** How many 3-digit groups a tile index can take (2^45 level-0 tiles: 35 184 372 088 832). */
export const MAX_TILE_GROUPS = 5;

/** Path template suffix for a tile index of `groups` groups, and its parameter names. */
export function tileIndexTemplate(groups: number): { path: string; names: string[] } {
  if (!Number.isInteger(groups) || groups < 1 || groups > MAX_TILE_GROUPS) throw new RangeError(`groups: expected 1..${MAX_TILE_GROUPS}, got ${groups}`);
  const names: string[] = [];
  const parts: string[] = [];
  for (let i = groups - 1; i >= 1; i--) {
    names.push(`N${i}`);
    parts.push(`x{N${i}}`);
  }
  names.push('N');
  parts.push('{N}');
  return { path: parts.join('/'), names };
}

const group = (name: string, last: boolean): Obj => ({
  name,
  in: 'path',
  required: true,
  description: last
    ? 'The last 3-digit group of the tile index (the whole index when it is below 1000)'
    : `A 3-digit group of the tile index, before the last (N${name.slice(1)} × 1000^${name.slice(1)}; without its \`x\` prefix, which the path carries)`,
  schema: { type: 'string', pattern: '^[0-9]{3}$' },
});

export function tilePaths(h: TileOpenApiHelpers): Obj {
  const level = {
    name: 'L',
    in: 'path',
    required: true,
    description: 'The tile level: hashes of tree level 8·L (0 holds the leaf hashes). This server serves 0 to 6.',
    schema: { type: 'integer', minimum: 0, maximum: 63 },
  };
  const width = {
    name: 'W',
    in: 'path',
    required: true,
    description: 'The width of a partial tile: served only at a width some committed checkpoint had (level 2 and up: only the head\'s)',
    schema: { type: 'integer', minimum: 1, maximum: 255 },
  };
  const binary = (description: string): Obj => ({
    description,
    headers: { 'Cache-Control': { description: 'Full and partial tiles never change at their path', schema: { type: 'string', const: 'public, max-age=31536000, immutable' } } },
    content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } },
  });
  const errors = (entries: boolean): Obj => ({
    '400': h.errorResponse('A path outside the tile grammar (a non-canonical index, a level or width out of range)', ['bad_request']),
    '404': h.errorResponse('A tile the tree does not reach, or a partial width no checkpoint had', ['not_found']),
    ...(entries ? { '422': h.errorResponse('An entry of the bundle is over 65,535 bytes (uint16 lengths): the error names it', ['entry_too_large']) } : {}),
  });
  const out: Obj = {};
  for (let g = 1; g <= MAX_TILE_GROUPS; g++) {
    const { path, names } = tileIndexTemplate(g);
    const idx = names.map((n, i) => group(n, i === names.length - 1));
    const id = g === 1 ? '' : `G${g}`;
    const note = g === 1 ? '' : ` (an index of ${g} groups)`;
    out[`/tile/{L}/${path}`] = {
      get: h.get(`A full hash tile${note}`, { '200': binary('256 hashes of 32 bytes'), ...errors(false) }, { operationId: `hashTile${id}`, parameters: [level, ...idx] }),
    };
    out[`/tile/{L}/${path}.p/{W}`] = {
      get: h.get(`A partial hash tile${note}`, { '200': binary('W hashes of 32 bytes'), ...errors(false) }, { operationId: `partialHashTile${id}`, parameters: [level, ...idx, width] }),
    };
    out[`/tile/entries/${path}`] = {
      get: h.get(`A full entry bundle${note}`, { '200': binary('256 entries, each a big-endian uint16 length and the entry\'s exact bytes'), ...errors(true) }, { operationId: `entryBundle${id}`, parameters: idx }),
    };
    out[`/tile/entries/${path}.p/{W}`] = {
      get: h.get(`A partial entry bundle${note}`, { '200': binary('W entries, each a big-endian uint16 length and the entry\'s exact bytes'), ...errors(true) }, { operationId: `partialEntryBundle${id}`, parameters: [...idx, width] }),
    };
  }
  return out;
}
