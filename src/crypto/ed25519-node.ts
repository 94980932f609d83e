// Strict Ed25519 verification (RFC 8032 §5.1.7) with node:crypto (OpenSSL) doing the curve
// work: the same rule as @cotc/tlog's verifyStrict, several times faster on a server.
// The rule: A and R are canonical encodings (y < p, no "negative zero" x) and not of small
// order, S < L, and the cofactorless equation [S]B = R + [k]A holds with encode([S]B - [k]A)
// equal to the R bytes. OpenSSL's ossl_ed25519_verify checks S < L, decodes A, and compares
// the encoding of [S]B - [k]A with the R bytes byte for byte (cofactorless, as Go does),
// so what it leaves to us is the encoding and small-order checks, which are byte
// comparisons done here before the curve is touched.

import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { strictPrecheck } from '@cotc/tlog';

// The byte checks (S < L; A and R canonical and not of small order) are tlog's, written
// once for every engine that delegates only the final equation (WebCrypto in @cotc/verify,
// OpenSSL here); re-exported for the worker pool and the agreement tests.
export { isCanonicalScalar, isStrictPointEncoding } from '@cotc/tlog';

// SubjectPublicKeyInfo DER prefix for an Ed25519 key (RFC 8410 §4): SEQUENCE { SEQUENCE {
// OID 1.3.101.112 }, BIT STRING (33 bytes, 0 unused bits) }, followed by the 32 key bytes.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

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
    if (!(message instanceof Uint8Array) || !strictPrecheck(publicKey, signature)) return false;
    const key = keyObject(publicKey);
    if (key === null) return false;
    return nodeVerify(null, message, key, signature);
  } catch {
    return false;
  }
}
