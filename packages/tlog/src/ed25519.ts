// Ed25519 (RFC 8032 §5.1), verification per RFC 8032 §5.1.7 with the strict choices:
// A and R must be canonical encodings (y < p, no "negative zero" x), S < L, neither A nor
// R of small order, and the cofactorless equation [S]B = R + [k]A checked as Go's
// crypto/ed25519 does it: encode([S]B - [k]A) must equal the R bytes. Every signature an
// honest signer makes passes here, in Go and in node:crypto; the odd ones that some
// implementations accept and others refuse (small-order keys, non-canonical points,
// S >= L) are refused, so "valid" means one thing to every verifier of our log.
//
// noble's own verify({zip215: false}) is strict on encodings but checks the cofactored
// equation, which accepts a few signatures Go refuses; hence the check by hand below.

import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concat, equalBytes } from './bytes.ts';

const Point = ed25519.Point;
type Point = InstanceType<typeof Point>;
const L = Point.Fn.ORDER;

function leToBigint(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

// Decodes a point, refusing non-canonical encodings, points not on the curve and points of
// small order; null instead of an exception, because a verifier must never throw.
function decodeStrict(bytes: Uint8Array): Point | null {
  try {
    const p = Point.fromBytes(bytes, false); // zip215=false: y < p, x=0 only with sign bit 0
    return p.isSmallOrder() ? null : p;
  } catch {
    return null;
  }
}

/** True when pub is not a usable Ed25519 public key: wrong length, non-canonical, not on the curve, or of small order. */
export function isWeakPublicKey(pub: Uint8Array): boolean {
  return !(pub instanceof Uint8Array) || pub.length !== 32 || decodeStrict(pub) === null;
}

/** RFC 8032 §5.1.7 strict verification (see the file comment). Never throws. */
export function verifyStrict(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
    if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
    if (!(message instanceof Uint8Array)) return false;
    const A = decodeStrict(publicKey);
    const rBytes = signature.subarray(0, 32);
    if (A === null || decodeStrict(rBytes) === null) return false;
    const S = leToBigint(signature.subarray(32));
    if (S >= L) return false; // malleability: S and S+L would both verify
    const k = leToBigint(sha512(concat(rBytes, publicKey, message))) % L;
    const R = Point.BASE.multiplyUnsafe(S).subtract(A.multiplyUnsafe(k));
    return equalBytes(R.toBytes(), rBytes);
  } catch {
    return false;
  }
}

function needSeed(seed: unknown, param: string): asserts seed is Uint8Array {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new TypeError(`${param}: expected a 32-byte Ed25519 seed (Uint8Array)`);
  }
}

/** RFC 8032 §5.1.6 signature (64 bytes) of message by the key derived from seed. */
export function sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  needSeed(seed, 'seed');
  if (!(message instanceof Uint8Array)) throw new TypeError('message: expected a Uint8Array');
  return ed25519.sign(message, seed);
}

/** RFC 8032 §5.1.5 public key (32 bytes) of a 32-byte seed. */
export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  needSeed(seed, 'seed');
  return ed25519.getPublicKey(seed);
}

// --- The strict pre-checks as byte comparisons, for verifiers that delegate only the final
// cofactorless equation to another engine (WebCrypto's Ed25519 in @cotc/verify): those
// engines (OpenSSL, BoringSSL) check S < L themselves, decode A (refusing points off the
// curve) and compare encode([S]B - [k]A) with the R bytes, but accept non-canonical and
// small-order A and small-order R. These two functions refuse exactly what decodeStrict
// refuses beyond "not on the curve": a non-canonical y (y >= p), and the 8 points of small
// order in every spelling whose y is canonical (the sign bit ignored, which also covers the
// "x = 0 with the sign bit set" spellings). A non-canonical or off-curve R can never equal
// an encoding the equation produces, so every engine refuses it at the equation anyway.

function le32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}
const P_FIELD = (1n << 255n) - 19n;
const L_BYTES = le32(L);
// y of the 8-torsion: the identity (1), order 2 (p - 1), order 4 (0), order 8 (±Y8).
const Y8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022n;
const SMALL_ORDER_Y: readonly Uint8Array[] = [0n, 1n, P_FIELD - 1n, Y8, P_FIELD - Y8].map(le32);

/** True for 32 bytes that are a canonical y (< p) of a point not of small order (the curve itself not checked). */
export function isStrictPointEncoding(b: Uint8Array): boolean {
  if (!(b instanceof Uint8Array) || b.length !== 32) return false;
  // y >= p: p = 2^255 - 19 is ed ff .. ff 7f little-endian (sign bit cleared).
  if ((b[31]! & 0x7f) === 0x7f && b[0]! >= 0xed) {
    let all = true;
    for (let i = 30; i >= 1; i--) if (b[i] !== 0xff) all = false;
    if (all) return false;
  }
  outer: for (const y of SMALL_ORDER_Y) {
    for (let i = 0; i < 31; i++) if (b[i] !== y[i]) continue outer;
    if ((b[31]! & 0x7f) === y[31]) return false;
  }
  return true;
}

/** True for a 32-byte little-endian scalar S < L (RFC 8032 §5.1.7: S >= L is malleable). */
export function isCanonicalScalar(s: Uint8Array): boolean {
  if (!(s instanceof Uint8Array) || s.length !== 32) return false;
  for (let i = 31; i >= 0; i--) {
    if (s[i]! < L_BYTES[i]!) return true;
    if (s[i]! > L_BYTES[i]!) return false;
  }
  return false; // S = L
}

/**
 * The byte checks of verifyStrict, without the curve: lengths, S < L, A and R canonical and
 * not of small order. A signature that fails them is invalid; one that passes still needs
 * the cofactorless equation with A decoded (verifyStrict, or an engine that does exactly that).
 */
export function strictPrecheck(publicKey: Uint8Array, signature: Uint8Array): boolean {
  return (
    publicKey instanceof Uint8Array &&
    signature instanceof Uint8Array &&
    publicKey.length === 32 &&
    signature.length === 64 &&
    isCanonicalScalar(signature.subarray(32)) &&
    isStrictPointEncoding(publicKey) &&
    isStrictPointEncoding(signature.subarray(0, 32))
  );
}
