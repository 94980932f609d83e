// Hot-path decoders for verifyBundle (issue 9's speed budget): the same accept/reject rule
// as @cotc/tlog's fromBase64 (padded standard alphabet, RFC 4648 §4, canonical: zero
// padding bits, §3.5), with a typed lookup table instead of a Map. test/verify/fast.test.ts
// holds it to fromBase64's answers.
const TABLE = new Int16Array(128).fill(-1);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
for (let i = 0; i < 64; i++) TABLE[ALPHABET.charCodeAt(i)] = i;

/** Decodes padded canonical standard base64; throws TypeError otherwise (as fromBase64). */
export function decodeBase64(s: string): Uint8Array {
  if (typeof s !== 'string' || s.length % 4 !== 0) throw new TypeError('base64: expected padded standard base64 (RFC 4648 §4)');
  const n = s.length;
  const pad = n > 0 && s.charCodeAt(n - 1) === 61 ? (s.charCodeAt(n - 2) === 61 ? 2 : 1) : 0;
  const out = new Uint8Array((n / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < n; i += 4) {
    const last = i + 4 === n;
    const c0 = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    const c2 = s.charCodeAt(i + 2);
    const c3 = s.charCodeAt(i + 3);
    const a = c0 < 128 ? TABLE[c0]! : -1;
    const b = c1 < 128 ? TABLE[c1]! : -1;
    const c = last && pad === 2 ? 0 : c2 < 128 ? TABLE[c2]! : -1;
    const d = last && pad >= 1 ? 0 : c3 < 128 ? TABLE[c3]! : -1;
    if ((a | b | c | d) < 0) throw new TypeError('base64: expected padded standard base64 (RFC 4648 §4)');
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    if (o < out.length) out[o++] = (v >> 8) & 255;
    if (o < out.length) out[o++] = v & 255;
    if (last && pad > 0) {
      // Canonical: the bits below the last full byte are zero.
      if ((pad === 2 ? b & 0x0f : c & 0x03) !== 0) throw new TypeError('base64: non-canonical base64 (nonzero padding bits)');
    }
  }
  return out;
}
