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
