// RFC 8785 (JCS) canonicalization and RFC 7493 (I-JSON) parsing of our subset:
// packages/ledger/src/canonical.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { CanonicalError, canonicalBytes, canonicalize, parseIJson, parseIJsonBytes } from '../../packages/ledger/src/canonical.ts';

function rejects(text: string, fragment: string): void {
  try {
    parseIJson(text);
  } catch (e) {
    assert.instance(e, CanonicalError, `${JSON.stringify(text)} threw a CanonicalError`);
    assert.ok((e as Error).message.includes(fragment), `${JSON.stringify(text)}: "${(e as Error).message}" mentions "${fragment}"`);
    assert.type((e as CanonicalError).position, 'number');
    return;
  }
  assert.unreachable(`${JSON.stringify(text)} was accepted`);
}

test('RFC 8785 §3.2.3 sorting example: keys by UTF-16 code units, non-BMP included', () => {
  const input = `{
    "\\u20ac": "Euro Sign",
    "\\r": "Carriage Return",
    "\\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\\ud83d\\ude00": "Emoji: Grinning Face",
    "\\u0080": "Control",
    "\\u00f6": "Latin Small Letter O With Diaeresis"
  }`;
  const out = canonicalize(parseIJson(input));
  assert.is(
    out,
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
      '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  );
});

test('RFC 8785 §3.2.2 example, without its non-integer numbers', () => {
  const input = `{
    "numbers": [333333333, 4, 2, 1000000000000000, -0000000000000000000000000000000000000000000000000000000000000000001],
    "string": "\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\"\\/",
    "literals": [null, true, false]
  }`;
  // RFC 8259 forbids leading zeros, so the -000…1 spelling is refused; use -1 instead.
  rejects(input, 'leading zero');
  const ok = input.replace(/-0+1/, '-1');
  assert.is(
    canonicalize(parseIJson(ok)),
    '{"literals":[null,true,false],"numbers":[333333333,4,2,1000000000000000,-1],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
  );
});

test('string escapes are exactly JSON.stringify\'s (RFC 8785 §3.2.2.2)', () => {
  const all = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(i)).join('') + '\u2028\u2029\u00e9\ud83d\ude00';
  assert.is(canonicalize(all), JSON.stringify(all));
  assert.is(canonicalize('\b\f\n\r\t"\\/'), '"\\b\\f\\n\\r\\t\\"\\\\/"');
  assert.is(canonicalize('\u001f\u007f'), '"\\u001f\u007f"');
  assert.is(parseIJson('"\\u00E9\\u00e9\\/"'), 'éé/');
});

test('numbers: integers only, safe range, -0 refused on input and written as 0', () => {
  assert.is(parseIJson('9007199254740991'), Number.MAX_SAFE_INTEGER);
  assert.is(parseIJson('-9007199254740991'), -Number.MAX_SAFE_INTEGER);
  assert.is(parseIJson('0'), 0);
  assert.is(canonicalize(-0), '0');
  assert.is(canonicalize([1, -2, 0]), '[1,-2,0]');
  rejects('9007199254740992', 'beyond');
  rejects('-9007199254740992', 'beyond');
  rejects('123456789012345678901234567890', 'beyond');
  rejects('1.0', 'non-integer');
  rejects('1e3', 'non-integer');
  rejects('1E3', 'non-integer');
  rejects('[0.5]', 'non-integer');
  rejects('-0', '-0');
  rejects('01', 'leading zero');
  rejects('-', 'digit');
  rejects('+1', 'unexpected');
});

test('I-JSON rejections: duplicate keys, lone surrogates, BOM', () => {
  rejects('{"a":1,"a":2}', 'duplicate key "a"');
  rejects('{"a":{"b":1},"b":{"b":2,"c":{"x":1,"x":1}}}', 'duplicate key "x"');
  rejects('{"\\u0061":1,"a":2}', 'duplicate key'); // same key, spelled differently
  rejects('"\\ud800"', 'lone surrogate');
  rejects('"\\udc00"', 'lone surrogate');
  rejects('"\\ud800\\u0041"', 'lone surrogate');
  rejects('"\\ud800x"', 'lone surrogate');
  rejects('"\ud800"', 'lone surrogate');
  rejects('"\udc00\ud800"', 'lone surrogate');
  rejects('"a\ud83d"', 'lone surrogate');
  rejects('{"\ud800":1}', 'lone surrogate');
  rejects('\ufeff{}', 'byte-order mark');
  assert.is(parseIJson('"\\ud83d\\ude00\ud83d\ude00"'), '\ud83d\ude00\ud83d\ude00');
});

test('grammar rejections (RFC 8259)', () => {
  for (const [text, frag] of [
    ['', 'empty'], [' ', 'empty'], ['{', 'expected a string key'], ['{"a":1,}', 'expected a string key'],
    ['[1,]', 'expected a value'], ['[1 2]', "expected ',' or ']'"], ['{"a":1 "b":2}', "expected ',' or '}'"],
    ['"abc', 'unterminated'], ['"a\nb"', 'control character'], ['"\\x"', 'invalid escape'], ['"\\u12"', '4 hex digits'],
    ['tru', 'expected a value'], ['nul', 'expected a value'], ['[] []', 'after the value'], ['\u00a0[]', 'expected a value'],
    ["{'a':1}", 'expected a string key'], ['NaN', 'expected a value'], ['[1]\u000b', 'after the value'],
  ] as const) {
    rejects(text, frag);
  }
});

test('nesting: 64 levels accepted, 65 refused, in parse and canonicalize', () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  assert.is(canonicalize(parseIJson(deep(64))), deep(64));
  rejects(deep(65), 'nesting deeper than 64');
  rejects('{"a":'.repeat(65) + '1' + '}'.repeat(65), 'nesting deeper than 64');
  let v: unknown = [];
  for (let i = 1; i < 65; i++) v = [v];
  assert.throws(() => canonicalize(v), /nesting deeper than 64/);
  const cyc: Record<string, unknown> = {};
  cyc.self = cyc;
  assert.throws(() => canonicalize(cyc), /nesting deeper than 64/);
});

test('canonicalize refuses what is not of our subset, naming the JSON pointer', () => {
  const cases: [unknown, RegExp][] = [
    [{ a: [1, { b: 1.5 }] }, /at \/a\/1\/b: non-integer number 1.5/],
    [{ n: 2 ** 53 }, /at \/n: integer .* beyond/],
    [{ n: NaN }, /non-integer/],
    [{ n: Infinity }, /non-integer/],
    [{ u: undefined }, /at \/u: unsupported value of type undefined/],
    [[() => 1], /at \/0: unsupported value of type function/],
    [{ b: 1n }, /bigint/],
    [{ s: Symbol('x') }, /symbol/],
    [{ d: new Date(0) }, /unsupported object type Date/],
    [{ m: new Map() }, /unsupported object type Map/],
    [{ x: new Uint8Array(1) }, /unsupported object type Uint8Array/],
    [{ 'a/b~': { s: 'x\ud800' } }, /at \/a~1b~0\/s: lone surrogate/],
    [{ ['k\udc00']: 1 }, /lone surrogate in a key/],
    [[1, , 3], /at \/1: unsupported value of type undefined/], // eslint-disable-line no-sparse-arrays
  ];
  for (const [v, re] of cases) {
    try {
      canonicalize(v);
      assert.unreachable(`accepted ${String(re)}`);
    } catch (e) {
      assert.instance(e, CanonicalError);
      assert.match((e as Error).message, re);
    }
  }
  assert.is(canonicalize(Object.assign(Object.create(null), { b: 1, a: 2 })), '{"a":2,"b":1}');
});

test('"__proto__" is an ordinary key both ways', () => {
  const v = parseIJson('{"__proto__":{"x":1},"a":2}') as Record<string, unknown>;
  assert.is(Object.getPrototypeOf(v), Object.prototype);
  assert.equal(Object.keys(v), ['__proto__', 'a']);
  assert.is(canonicalize(v), '{"__proto__":{"x":1},"a":2}');
  rejects('{"__proto__":1,"__proto__":2}', 'duplicate key');
});

test('parseIJsonBytes: fatal UTF-8, BOM kept and refused; canonicalBytes is UTF-8', () => {
  const enc = new TextEncoder();
  assert.equal(parseIJsonBytes(enc.encode('{"é":"😀"}')), { é: '😀' });
  assert.throws(() => parseIJsonBytes(new Uint8Array([0x22, 0xff, 0x22])), (e: unknown) => e instanceof CanonicalError && /UTF-8/.test((e as Error).message));
  assert.throws(() => parseIJsonBytes(new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22])), /UTF-8/); // encoded surrogate
  assert.throws(() => parseIJsonBytes(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), /byte-order mark/);
  assert.equal(canonicalBytes({ b: 'é', a: 1 }), enc.encode('{"a":1,"b":"é"}'));
  assert.throws(() => parseIJson(1 as unknown as string), /parameter "text"/);
  assert.throws(() => parseIJsonBytes('x' as unknown as Uint8Array), /parameter "bytes"/);
});

// Structural equality that ignores prototypes: fast-check makes objects holding a
// "__proto__" key with a null prototype, which uvu's assert.equal tells apart.
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true; // also -0 === 0
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ob = b as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && same((a as Record<string, unknown>)[k], ob[k]));
}

// An independent RFC 8785 serialiser for our subset: JSON.stringify after sorting keys.
function reference(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(reference).join(',') + ']';
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return '{' + Object.keys(o).sort().map((k) => JSON.stringify(k) + ':' + reference(o[k])).join(',') + '}';
  }
  return JSON.stringify(v);
}

// Values of our subset: null, booleans, safe integers, any well-formed strings (astral
// code points included), arrays, objects.
const { value: jsonValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.string({ unit: 'binary' }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), tie('value'), { maxKeys: 5 }),
  ),
}));

test('property: parseIJson(canonicalize(v)) deep-equals v; canonicalize is idempotent', () => {
  fc.assert(
    fc.property(jsonValue, (v) => {
      const c = canonicalize(v);
      const back = parseIJson(c);
      assert.ok(same(back, v), c);
      assert.is(canonicalize(back), c);
      assert.ok(same(JSON.parse(c), back), c);
      assert.is(c, reference(v));
    }),
    { numRuns: 500 },
  );
});

test('property: on valid JSON of our subset the parser agrees with JSON.parse, whatever the whitespace', () => {
  fc.assert(
    fc.property(jsonValue, fc.constantFrom(undefined, 1, '\t', ' \r\n '), (v, indent) => {
      const text = JSON.stringify(v, null, indent);
      assert.ok(same(parseIJson(text), JSON.parse(text)), text);
    }),
    { numRuns: 300 },
  );
});

test.run();
