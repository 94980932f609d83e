// Strict hex, base64 (RFC 4648 §4, vectors from RFC 4648 §10) and UTF-8 helpers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import {
  base64, concat, equalBytes, fromBase64, fromHex, fromUtf8, hex, isWellFormed, utf8,
} from '../../packages/tlog/src/bytes.ts';

const u8 = (...b: number[]) => new Uint8Array(b);

test('hex round-trips and matches Buffer', () => {
  for (let n = 0; n < 40; n++) {
    const b = new Uint8Array(randomBytes(n));
    assert.is(hex(b), Buffer.from(b).toString('hex'));
    assert.equal(fromHex(hex(b)), b);
  }
});

test('fromHex refuses uppercase, odd length, non-hex, and names the parameter', () => {
  for (const bad of ['ABCD', 'aBcd', 'abc', '0x00', 'zz', ' 00', '00\n']) {
    assert.throws(() => fromHex(bad, 'leafHash'), (e: unknown) => e instanceof TypeError && /^leafHash:/.test(e.message));
  }
  assert.throws(() => fromHex(42 as unknown as string), /^hex:/);
  assert.equal(fromHex(''), u8());
});

test('base64: RFC 4648 §10 vectors', () => {
  const vectors: [string, string][] = [
    ['', ''], ['f', 'Zg=='], ['fo', 'Zm8='], ['foo', 'Zm9v'], ['foob', 'Zm9vYg=='], ['fooba', 'Zm9vYmE='], ['foobar', 'Zm9vYmFy'],
  ];
  for (const [plain, enc] of vectors) {
    assert.is(base64(utf8(plain)), enc);
    assert.is(fromUtf8(fromBase64(enc)), plain);
  }
});

test('base64 round-trips random bytes and matches Buffer', () => {
  for (let n = 0; n < 70; n++) {
    const b = new Uint8Array(randomBytes(n));
    assert.is(base64(b), Buffer.from(b).toString('base64'));
    assert.equal(fromBase64(base64(b)), b);
  }
});

test('fromBase64 refuses non-canonical, unpadded, whitespace, url-safe and misplaced padding', () => {
  const bad = [
    'Zh==', 'Zm9=', // nonzero padding bits: would decode to the same bytes as Zg== / Zm8=
    'Zg', 'Zm8', 'Zg=', 'Zg===', '====', '=', 'Zg==Zm9v', 'Z===',
    'Zm9v\n', ' Zm9v', 'Zm 9v', 'Zm9v\r\n',
    'Zm-_', '+/-_', 'Zm9v.', 'Zm9vYg%3D%3D',
  ];
  for (const s of bad) {
    assert.throws(() => fromBase64(s, 'sig'), (e: unknown) => e instanceof TypeError && /^sig:/.test(e.message), JSON.stringify(s));
  }
  assert.throws(() => fromBase64(null as unknown as string), /^base64:/);
});

test('utf8 refuses lone surrogates; fromUtf8 refuses invalid UTF-8 and keeps a BOM', () => {
  assert.equal(utf8('é€😀'), u8(0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80));
  assert.is(fromUtf8(utf8('é€😀')), 'é€😀');
  for (const s of ['\ud800', 'a\udc00', '\ud83d!', '😀'.slice(1)]) {
    assert.not.ok(isWellFormed(s));
    assert.throws(() => utf8(s, 'origin'), /^origin:.*surrogate/);
  }
  const invalid = [u8(0xff), u8(0xc0, 0x80), u8(0xe2, 0x82), u8(0xed, 0xa0, 0x80), u8(0xf4, 0x90, 0x80, 0x80)];
  for (const b of invalid) assert.throws(() => fromUtf8(b, 'entry'), /^entry: invalid UTF-8/);
  assert.is(fromUtf8(u8(0xef, 0xbb, 0xbf, 0x61)), '\ufeffa');
});

test('concat and equalBytes', () => {
  assert.equal(concat(), u8());
  assert.equal(concat(u8(1), u8(), u8(2, 3)), u8(1, 2, 3));
  assert.ok(equalBytes(u8(1, 2), u8(1, 2)));
  assert.not.ok(equalBytes(u8(1, 2), u8(1, 3)));
  assert.not.ok(equalBytes(u8(1, 2), u8(1, 2, 0)));
  assert.throws(() => concat(u8(1), [2] as unknown as Uint8Array), /^parts\[1\]:/);
  assert.throws(() => equalBytes(u8(), 'x' as unknown as Uint8Array), /^b:/);
  assert.throws(() => hex([1, 2] as unknown as Uint8Array), /^bytes:/);
  assert.throws(() => base64('ab' as unknown as Uint8Array), /^bytes:/);
});

test.run();
