// Strict Ed25519 verification (RFC 8032 §5.1.7) with node:crypto (OpenSSL) doing the curve
// work: the same rule as @cotc/tlog's verifyStrict, several times faster on a server.
// The rule: A and R are canonical encodings (y < p, no "negative zero" x) and not of small
// order, S < L, and the cofactorless equation [S]B = R + [k]A holds with encode([S]B - [k]A)
// equal to the R bytes. OpenSSL's ossl_ed25519_verify checks S < L, decodes A, and compares
// the encoding of [S]B - [k]A with the R bytes byte for byte (cofactorless, as Go does),
// so what it leaves to us is the encoding and small-order checks, which are byte
// comparisons done here before the curve is touched.

import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';

// SubjectPublicKeyInfo DER prefix for an Ed25519 key (RFC 8410 §4): SEQUENCE { SEQUENCE {
// OID 1.3.101.112 }, BIT STRING (33 bytes, 0 unused bits) }, followed by the 32 key bytes.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function leBytes(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

const P = (1n << 255n) - 19n;
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const L_BYTES = leBytes(L);
// The y coordinates of the 8 points of small order (the 8-torsion subgroup): the identity
// (y = 1), the point of order 2 (y = -1), the two of order 4 (y = 0) and the four of order
// 8 (y = ±Y8, each with two x). With the sign bit ignored these five values cover every
// small-order encoding with canonical y, including the non-canonical "x = 0, sign 1" ones;
// encodings with y >= p are refused by the canonical check before this.
const Y8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022n;
const SMALL_ORDER_Y: readonly Uint8Array[] = [0n, 1n, P - 1n, Y8, P - Y8].map(leBytes);

/** True when the 32 bytes, sign bit cleared, are a y >= p (a non-canonical encoding). */
function yNotCanonical(b: Uint8Array): boolean {
  if ((b[31]! & 0x7f) !== 0x7f) return false;
  for (let i = 30; i >= 1; i--) if (b[i] !== 0xff) return false;
  return b[0]! >= 0xed; // p = 2^255 - 19 is ed ff .. ff 7f little-endian
}

function isSmallOrderY(b: Uint8Array): boolean {
  outer: for (const y of SMALL_ORDER_Y) {
    for (let i = 0; i < 31; i++) if (b[i] !== y[i]) continue outer;
    if ((b[31]! & 0x7f) === y[31]) return true;
  }
  return false;
}

/** The encoding checks shared by A and R: canonical y and not of small order. */
export function isStrictPointEncoding(b: Uint8Array): boolean {
  return b.length === 32 && !yNotCanonical(b) && !isSmallOrderY(b);
}

/** S < L, comparing 32 little-endian bytes from the most significant end. */
export function isCanonicalScalar(s: Uint8Array): boolean {
  if (s.length !== 32) return false;
  for (let i = 31; i >= 0; i--) {
    if (s[i]! < L_BYTES[i]!) return true;
    if (s[i]! > L_BYTES[i]!) return false;
  }
  return false; // s == L
}

// KeyObjects cost a DER parse each; a ledger has few keys and verifies many events by each.
// Bounded so that a flood of posts under random keys cannot grow memory: the oldest entry
// goes first (Map iterates in insertion order). null caches "OpenSSL refused this key".
const MAX_CACHED_KEYS = 4096;
const keyCache = new Map<string, KeyObject | null>();

function keyObject(pub: Uint8Array): KeyObject | null {
  const id = Buffer.from(pub.buffer, pub.byteOffset, 32).toString('latin1');
  const hit = keyCache.get(id);
  if (hit !== undefined) return hit;
  let k: KeyObject | null;
  try {
    k = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' });
  } catch {
    k = null;
  }
  if (keyCache.size >= MAX_CACHED_KEYS) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(id, k);
  return k;
}

/** Strict Ed25519 verification via node:crypto; the same answers as tlog's verifyStrict. Never throws. */
export function verifyStrictNode(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
    if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
    if (!(message instanceof Uint8Array)) return false;
    if (!isCanonicalScalar(signature.subarray(32))) return false;
    if (!isStrictPointEncoding(publicKey) || !isStrictPointEncoding(signature.subarray(0, 32))) return false;
    const key = keyObject(publicKey);
    if (key === null) return false;
    return nodeVerify(null, message, key, signature);
  } catch {
    return false;
  }
}
