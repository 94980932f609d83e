// Strict byte helpers: lowercase hex, RFC 4648 §4 standard base64 (canonical, padded),
// and RFC 3629 UTF-8. Browser-safe (no Buffer). Strict because every encoded value we
// accept is hashed or signed somewhere: two spellings of the same bytes would let one
// signed thing be shown two ways, so only the canonical spelling is accepted.

function needBytes(b: unknown, param: string): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array)) throw new TypeError(`${param}: expected a Uint8Array`);
}
function needString(s: unknown, param: string): asserts s is string {
  if (typeof s !== 'string') throw new TypeError(`${param}: expected a string`);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function hex(bytes: Uint8Array): string {
  needBytes(bytes, 'bytes');
  let s = '';
  for (const b of bytes) s += HEX[b];
  return s;
}

export function fromHex(s: string, param = 'hex'): Uint8Array {
  needString(s, param);
  // Lowercase only: hashes in our JSON have exactly one spelling.
  if (s.length % 2 !== 0 || !/^[0-9a-f]*$/.test(s)) {
    throw new TypeError(`${param}: expected lowercase hex of even length`);
  }
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));
/** char code → 6-bit value ('=' and anything else 0: the regex in fromBase64 has already
 * refused what is not base64). A table, not the Map, on the hot path (every event's sig). */
const B64_CODE = new Uint8Array(128);
for (let i = 0; i < B64.length; i++) B64_CODE[B64.charCodeAt(i)] = i;

export function base64(bytes: Uint8Array): string {
  needBytes(bytes, 'bytes');
  let s = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const left = bytes.length - i;
    s += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    s += left > 1 ? B64[(n >> 6) & 63]! : '=';
    s += left > 2 ? B64[n & 63]! : '=';
  }
  return s;
}

export function fromBase64(s: string, param = 'base64'): Uint8Array {
  needString(s, param);
  // Padded standard alphabet; no whitespace, no url-safe '-'/'_'; '=' only at the end.
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) {
    throw new TypeError(`${param}: expected padded standard base64 (RFC 4648 §4)`);
  }
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const n = (B64_CODE[s.charCodeAt(i)]! << 18) | (B64_CODE[s.charCodeAt(i + 1)]! << 12) | (B64_CODE[s.charCodeAt(i + 2)]! << 6) | B64_CODE[s.charCodeAt(i + 3)]!;
    out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  // Canonical: the bits below the last full byte must be zero (RFC 4648 §3.5), else
  // "AB==" and "AA==" would both decode to [0x00].
  if (pad > 0) {
    const last = B64_INDEX.get(s[s.length - pad - 1]!)!;
    if ((last & (pad === 2 ? 0x0f : 0x03)) !== 0) {
      throw new TypeError(`${param}: non-canonical base64 (nonzero padding bits)`);
    }
  }
  return out;
}

// Lone surrogates cannot be encoded in UTF-8; TextEncoder would silently turn them into
// U+FFFD, so what got signed would not be what the caller holds.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isWellFormed(s: string): boolean {
  return typeof s === 'string' && !LONE_SURROGATE.test(s);
}

export function utf8(s: string, param = 'text'): Uint8Array {
  needString(s, param);
  if (!isWellFormed(s)) throw new TypeError(`${param}: contains a lone UTF-16 surrogate`);
  return new TextEncoder().encode(s);
}

export function fromUtf8(bytes: Uint8Array, param = 'bytes'): string {
  needBytes(bytes, param);
  try {
    // fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: keep a BOM as a character.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new TypeError(`${param}: invalid UTF-8`);
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  parts.forEach((p, i) => needBytes(p, `parts[${i}]`));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// Not constant-time: used for public values (hashes, key ids, encodings) only.
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  needBytes(a, 'a');
  needBytes(b, 'b');
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
