// safeText: the one escaping function for every string from outside (issue 9, "Terminal
// escapes"). A table of hostile strings, each with exactly what must be shown; and the
// property that the output is plain (no control, format, invisible or lone-surrogate
// character survives) and unambiguous (distinct inputs stay distinct).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { safeText } from '@cotc/verify';

const table: Array<[string, string, string]> = [
  ['plain text is unchanged', 'Filter Co: 236 water filters', 'Filter Co: 236 water filters'],
  ['Chinese text is unchanged', '阳光儿童基金会', '阳光儿童基金会'],
  ['an emoji (a surrogate pair) is unchanged', 'ok 😀', 'ok 😀'],
  ['clear screen and a fake green VERIFIED', '\u001b[2J\u001b[32mVERIFIED', '\\u001b[2J\\u001b[32mVERIFIED'],
  ['a carriage return that overwrites the line', 'FAILED\rVERIFIED', 'FAILED\\u000dVERIFIED'],
  ['a newline that fakes a second line', 'x\n✓ every hop verified', 'x\\u000a✓ every hop verified'],
  ['NUL, BEL, DEL', 'a\u0000b\u0007c\u007f', 'a\\u0000b\\u0007c\\u007f'],
  ['C1 CSI (a one-byte ESC [)', 'a\u009b2Jb', 'a\\u009b2Jb'],
  ['right-to-left override', 'evil\u202etxt.exe', 'evil\\u202etxt.exe'],
  ['all bidi embeddings and overrides', '\u202a\u202b\u202c\u202d\u202e', '\\u202a\\u202b\\u202c\\u202d\\u202e'],
  ['bidi isolates', '\u2066\u2067\u2068\u2069', '\\u2066\\u2067\\u2068\\u2069'],
  ['LRM, RLM, Arabic letter mark', '\u200e\u200f\u061c', '\\u200e\\u200f\\u061c'],
  ['zero-width space, non-joiner, joiner, word joiner, BOM', 'a\u200bb\u200cc\u200dd\u2060e\ufeff', 'a\\u200bb\\u200cc\\u200dd\\u2060e\\ufeff'],
  ['soft hyphen (Cf)', 'sun\u00adshine', 'sun\\u00adshine'],
  ['Hangul fillers', '\u115f\u1160\u3164\uffa0', '\\u115f\\u1160\\u3164\\uffa0'],
  ['a variation selector (invisible)', 'school\ufe0f', 'school\\ufe0f'],
  ['a tag character above U+FFFF', 'a\u{e0041}b', 'a\\u{e0041}b'],
  ['line and paragraph separators', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
  ['a lone high surrogate', 'a\ud800b', 'a\\ud800b'],
  ['a lone low surrogate', 'a\udc00b', 'a\\udc00b'],
  ['a literal backslash-u sequence is not an escape', 'a\\u202eb', 'a\\\\u202eb'],
  [
    'a free-text payee that would look exactly like a registered org id',
    'sunshine-childrens\u200b-foundation',
    'sunshine-childrens\\u200b-foundation',
  ],
];

for (const [name, input, want] of table) {
  test(`safeText: ${name}`, () => {
    assert.is(safeText(input), want);
  });
}

test('safeText: a payee made to look like an org id never prints as that id', () => {
  const org = 'sunshine-childrens-foundation';
  for (const c of ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u034f', '\u180e', '\u3164', '\ufe0f', '\u{e0020}', '\u202d', '\u2066']) {
    for (let at = 0; at <= org.length; at++) {
      const fake = org.slice(0, at) + c + org.slice(at);
      assert.is.not(safeText(fake), org, JSON.stringify(fake));
    }
  }
});

test('safeText: long strings are cut (without splitting a surrogate pair); non-strings are shown', () => {
  assert.is(safeText('x'.repeat(400)).length, 300);
  assert.ok(safeText('x'.repeat(400)).endsWith('…'));
  const s = 'x'.repeat(298) + '😀' + 'y';
  assert.not.match(safeText(s), /\\ud83d/);
  assert.is(safeText(42), '42');
  assert.is(safeText(null), 'null');
});

const invisible = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u115f\u1160\u3164\uffa0]|\p{Cf}|\p{Default_Ignorable_Code_Point}/u;
const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

test('safeText: property — output has no control, format, invisible or lone-surrogate character, and is injective', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 }), (a, b) => {
      const x = safeText(a, 10_000);
      assert.not.ok(invisible.test(x), JSON.stringify(x));
      assert.not.ok(lone.test(x), JSON.stringify(x));
      if (a !== b) assert.is.not(x, safeText(b, 10_000));
    }),
    { numRuns: 2000 },
  );
});

test.run();
