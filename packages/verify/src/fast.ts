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

/** ledger's splitSig with the table decoder: base64 of 92 characters, exactly 68 bytes (key id, signature); else null. */
export function splitSigFast(sig: unknown): { keyId: Uint8Array; signature: Uint8Array } | null {
  if (typeof sig !== 'string' || sig.length !== 92) return null;
  let raw: Uint8Array;
  try {
    raw = decodeBase64(sig);
  } catch {
    return null;
  }
  if (raw.length !== 68) return null;
  return { keyId: raw.subarray(0, 4), signature: raw.subarray(4) };
}

interface EntryLike {
  seq: number;
  prev: string;
  time: string;
  event: { sig: string; time: string; type: string; v: number };
  effects: ReadonlyArray<{ donation: string; via: string; value: string }>;
}

/** A string value RFC 8785 writes as is between quotes: printable ASCII, no quote, no backslash. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function plain(...values: unknown[]): boolean {
  for (const v of values) if (typeof v !== 'string' || !PLAIN.test(v)) return false;
  return true;
}

/** ASCII text (the templates below, built only from plain values) as bytes. */
const ascii = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
};

function at(bytes: Uint8Array, offset: number, want: Uint8Array): boolean {
  if (offset < 0 || offset + want.length > bytes.length) return false;
  for (let i = 0; i < want.length; i++) if (bytes[offset + i] !== want[i]) return false;
  return true;
}

/**
 * The bytes an entry's event signature covers (ledger's signingBytes: RFC 8785 JSON of the
 * envelope without `sig`), cut out of the entry's own bytes instead of serialising the event
 * again. Valid only for `bytes` already proven to be the canonical JSON of `entry`. RFC 8785
 * writes an object as its members in sorted key order joined by commas, so the entry is
 * {"effects":E,"event":V,"prev":…,"seq":…,"time":…} and V ends with
 * ,"sig":"…","time":"…","type":"…","v":1} (body, id, org come before sig); dropping the sig
 * member leaves exactly the unsigned envelope's canonical JSON. Every piece around V is
 * rebuilt from the parsed entry and compared byte for byte; anything unexpected (a value
 * that is not plain ASCII, another v, bytes that do not match) answers null and the caller serialises as usual.
 */
export function signingBytesFromEntry(bytes: Uint8Array, entry: EntryLike): Uint8Array | null {
  try {
    const ev0 = entry.event;
    if (!plain(entry.prev, entry.time, ev0.sig, ev0.time, ev0.type)) return null;
    for (const x of entry.effects) if (!plain(x.donation, x.value, x.via)) return null;
    const effects = entry.effects.map((x) => `{"donation":"${x.donation}","value":"${x.value}","via":"${x.via}"}`).join(',');
    const head = ascii(`{"effects":[${effects}],"event":`);
    const tail = ascii(`,"prev":"${entry.prev}","seq":${entry.seq},"time":"${entry.time}"}`);
    const ev = entry.event;
    if (ev.v !== 1 || !Number.isSafeInteger(entry.seq)) return null;
    const evTail = ascii(`,"time":"${ev.time}","type":"${ev.type}","v":1}`);
    const sigMember = ascii(`,"sig":"${ev.sig}"`);
    const end = bytes.length - tail.length;
    const sigAt = end - evTail.length - sigMember.length;
    if (!at(bytes, 0, head) || !at(bytes, end, tail) || !at(bytes, sigAt + sigMember.length, evTail) || !at(bytes, sigAt, sigMember)) return null;
    if (sigAt <= head.length || bytes[head.length] !== 0x7b) return null;
    const out = new Uint8Array(sigAt - head.length + evTail.length);
    out.set(bytes.subarray(head.length, sigAt), 0);
    out.set(evTail, sigAt - head.length);
    return out;
  } catch {
    return null;
  }
}
