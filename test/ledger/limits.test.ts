// The limits written once (packages/ledger/src/limits.ts) and the JSON Schemas that state
// them again as data must agree: the id pattern of defs.json is ID_PATTERN, and the
// amount pattern admits exactly the values up to MAX_VALUE's digit count.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import defs from '../../packages/ledger/schemas/defs.json' with { type: 'json' };
import { ID_PATTERN, ID_RE, isId, isPlainObject, MAX_VALUE } from '@cotc/ledger';

test('defs.json states the id pattern of limits.ts', () => {
  const d = defs as { $defs?: Record<string, { pattern?: string }> };
  const patterns = Object.values(d.$defs ?? {}).map((x) => x.pattern).filter((p): p is string => typeof p === 'string');
  assert.ok(patterns.includes(ID_PATTERN), `no $def of defs.json has the pattern ${ID_PATTERN}: ${patterns.join(' | ')}`);
});

test('ids: the pattern of DESIGN.md "Event envelope"', () => {
  for (const ok of ['a', 'A9', 'x'.repeat(128), 'don-1.2:3_4']) assert.ok(isId(ok) && ID_RE.test(ok), ok);
  for (const bad of ['', '-a', '.a', 'x'.repeat(129), 'a/b', 'a b', 'é', 7]) assert.not.ok(isId(bad), String(bad));
});

test('MAX_VALUE is 2^63 − 1; isPlainObject takes parsed objects only', () => {
  assert.is(MAX_VALUE, 9223372036854775807n);
  assert.ok(isPlainObject({}) && isPlainObject(Object.create(null)));
  for (const x of [null, [], new Date(0), 'x', 1, new Map()]) assert.not.ok(isPlainObject(x));
});

test.run();
