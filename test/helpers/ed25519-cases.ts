// Hand-crafted Ed25519 inputs with the answer DESIGN.md's strict rule (tlog's verifyStrict:
// canonical A and R, neither of small order, S < L, cofactorless equation) gives on each:
// RFC 8032 §7.1 vectors, the 8-torsion points and their non-canonical spellings, S >= L,
// non-canonical and off-curve points, mixed-order keys and nonces, random bit flips.
// Data only: test/verify/sig-engines.test.ts holds every engine to these answers.
import { fromHex, publicKeyFromSeed, sign } from '@cotc/tlog';
// noble is not a root dependency; reach it through tlog's node_modules to craft points.
import { ed25519 } from '../../packages/tlog/node_modules/@noble/curves/ed25519.js';
import { sha512 } from '../../packages/tlog/node_modules/@noble/hashes/sha2.js';

export { ed25519 };
export const Point = ed25519.Point;
export const L = Point.Fn.ORDER;
export const P = (1n << 255n) - 19n;

export interface Case { pub: Uint8Array; msg: Uint8Array; sig: Uint8Array; want: boolean; what: string }
const c = (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array, want: boolean, what: string): Case => ({ pub, msg, sig, want, what });

export function le(n: bigint, len = 32): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}
export function fromLe(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}
export const cat = (...bs: Uint8Array[]) => {
  const out = new Uint8Array(bs.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of bs) (out.set(b, o), (o += b.length));
  return out;
};

// RFC 8032 §7.1 TEST 1, 2, 3 and TEST SHA(abc): [secret seed, public key, message, signature].
export const VECTORS = [
  ['9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '',
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'],
  ['4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '72',
    '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'],
  ['c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7', 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025', 'af82',
    '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a'],
  ['833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42', 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
    'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704'],
] as const;

/** Each vector's signature (valid) and the same signature over another message (invalid). */
export function vectorCases(): Case[] {
  return VECTORS.flatMap(([, pk, m, s]) => [
    c(fromHex(pk), fromHex(m), fromHex(s), true, `vector ${pk.slice(0, 8)}`),
    c(fromHex(pk), fromHex(m + '00'), fromHex(s), false, `vector ${pk.slice(0, 8)} with another message`),
  ]);
}

// The 8-torsion: T8 has order 8; its multiples are every point of small order.
const Y8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022n;
export const T8 = Point.fromBytes(le(Y8));
export const TORSION = Array.from({ length: 8 }, (_, i) => (i === 0 ? Point.ZERO : T8.multiplyUnsafe(BigInt(i))));
export const SMALL_CANONICAL = TORSION.map((p) => p.toBytes());
// Non-canonical spellings of the same points: "x = 0 with the sign bit set" for the two
// points with x = 0, and y + p (< 2^255) for y in {0, 1}, with either sign bit.
export const SMALL_NONCANONICAL: Uint8Array[] = [];
for (const y of [1n, P - 1n]) SMALL_NONCANONICAL.push(le(y | (1n << 255n)));
for (const y of [0n, 1n]) for (const sign of [0n, 1n << 255n]) SMALL_NONCANONICAL.push(le((y + P) | sign));
export const SMALL_ALL = [...SMALL_CANONICAL, ...SMALL_NONCANONICAL];

/** Small-order keys and nonces with degenerate signatures: all refused. */
export function smallOrderCases(): Case[] {
  const out: Case[] = [];
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const msgs = [new Uint8Array(0), new Uint8Array([0x61]), new TextEncoder().encode('cotc')];
  for (const A of SMALL_ALL) {
    for (const R of SMALL_ALL) {
      for (const m of msgs) {
        // S = 0: [0]B = R + [k]A holds for many (A, R, m) when both are of small order
        // (and always under a cofactored check): a "signature" that signs everything.
        out.push(c(A, m, cat(R, new Uint8Array(32)), false, `A=${hex(A)} R=${hex(R)} S=0`));
      }
    }
  }
  // The classic: A = identity, R = identity, S = 0.
  const id = fromHex('01' + '00'.repeat(31));
  out.push(c(id, new Uint8Array([1, 2, 3]), cat(id, new Uint8Array(32)), false, 'identity key, identity R, S=0'));
  // A real key with a small-order R.
  const pub9 = publicKeyFromSeed(new Uint8Array(32).fill(9));
  for (const R of SMALL_ALL) out.push(c(pub9, msgs[1]!, cat(R, new Uint8Array(32)), false, `small-order R ${hex(R)}`));
  return out;
}

// One ordinary key and good signature, for the cases that spoil one part of it.
export const seed = new Uint8Array(32).fill(42);
export const pub = publicKeyFromSeed(seed);
export const msg = new TextEncoder().encode('{"v":1}');
export const good = sign(seed, msg);

/** S >= L is refused (malleability); S = L - 1 is only a wrong signature. */
export function scalarCases(): Case[] {
  const S = fromLe(good.subarray(32));
  const R = good.subarray(0, 32);
  return [
    c(pub, msg, good, true, 'the good signature'),
    c(pub, msg, cat(R, le(S + L)), false, 'S + L'),
    c(pub, msg, cat(R, le(L)), false, 'S = L'),
    c(pub, msg, cat(R, le((1n << 256n) - 1n)), false, 'S = 2^256 - 1'),
    c(pub, msg, cat(R, le(L - 1n)), false, 'S = L - 1'),
  ];
}

/**
 * Non-canonical encodings (y + p, either sign bit) of ordinary points with y in 2..18, as A
 * and as R; and points not on the curve (y in 2..39), as A and as R. All refused.
 * `nonCanonical` lists the y + p encodings, `found` how many such y are on the curve.
 */
export function encodingCases(): { cases: Case[]; nonCanonical: Uint8Array[]; found: number } {
  const cases: Case[] = [];
  const nonCanonical: Uint8Array[] = [];
  let found = 0;
  for (let y = 2n; y < 19n; y++) {
    let pt;
    try {
      pt = Point.fromBytes(le(y));
    } catch {
      continue;
    }
    if (pt.isSmallOrder()) continue;
    found++;
    for (const sign of [0n, 1n << 255n]) {
      const nc = le((y + P) | sign);
      nonCanonical.push(nc);
      cases.push(c(nc, msg, good, false, `A = non-canonical y=${y}+p`));
      cases.push(c(pub, msg, cat(nc, good.subarray(32)), false, `R = non-canonical y=${y}+p`));
    }
  }
  for (let y = 2n; y < 40n; y++) {
    const enc = le(y);
    let on = true;
    try {
      Point.fromBytes(enc);
    } catch {
      on = false;
    }
    if (on) continue;
    cases.push(c(enc, msg, good, false, `A not on the curve (y=${y})`));
    cases.push(c(pub, msg, cat(enc, good.subarray(32)), false, `R not on the curve (y=${y})`));
  }
  return { cases, nonCanonical, found };
}

// Signs by hand with a public key / nonce point of our choosing (noble's scalar for the seed).
function craft(Abytes: Uint8Array, Rpoint: InstanceType<typeof Point>, r: bigint, a: bigint, m: Uint8Array) {
  const Rb = Rpoint.toBytes();
  const k = fromLe(sha512(cat(Rb, Abytes, m))) % L;
  const S = (r + k * a) % L;
  return { sig: cat(Rb, le(S)), k };
}

/**
 * Mixed-order points (key or nonce with a torsion component), signed by hand so that a
 * cofactored verifier accepts every one: A' = A + T8 is valid under the cofactorless rule
 * exactly when 8 divides k (`divisible` / `other` count both kinds); R = [r]B + T4 never.
 */
export function mixedOrderCases(): { cases: Case[]; Amixed: Uint8Array; divisible: number; other: number } {
  const cases: Case[] = [];
  const { scalar: a, point: A } = ed25519.utils.getExtendedPublicKey(seed);
  const Amixed = A.add(T8).toBytes();
  let divisible = 0;
  let other = 0;
  for (let i = 0; i < 400 && (divisible < 2 || other < 4); i++) {
    const m = new TextEncoder().encode(`mixed ${i}`);
    const r = (fromLe(sha512(m)) % (L - 1n)) + 1n;
    const { sig, k } = craft(Amixed, Point.BASE.multiply(r), r, a, m);
    // [S]B - [k]A' = R - [k]T8, which is R exactly when 8 divides k.
    const want = k % 8n === 0n;
    if (want) divisible++;
    else other++;
    cases.push(c(Amixed, m, sig, want, `mixed-order A, k mod 8 = ${k % 8n}`));
  }
  // Mixed-order R = [r]B + T4: [S]B - [k]A = [r]B != R, refused; cofactored accepts.
  const T4 = T8.multiplyUnsafe(2n);
  for (let i = 0; i < 8; i++) {
    const m = new TextEncoder().encode(`mixed R ${i}`);
    const r = (fromLe(sha512(m)) % (L - 1n)) + 1n;
    const { sig } = craft(pub, Point.BASE.multiply(r).add(T4), r, a, m);
    cases.push(c(pub, m, sig, false, 'mixed-order R'));
  }
  return { cases, Amixed, divisible, other };
}

/** A random key's signature of m, with the bit flipAt (mod the bit length of key || m || sig) flipped if flip. */
export function flipCase(sd: Uint8Array, m: Uint8Array, flipAt: number, flip: boolean): Case {
  const pk = publicKeyFromSeed(sd);
  const sig = sign(sd, m);
  const all = cat(pk, m, sig);
  if (flip) {
    const bit = flipAt % (all.length * 8);
    all[bit >> 3]! ^= 1 << (bit & 7);
  }
  return c(all.slice(0, 32), all.slice(32, 32 + m.length), all.slice(32 + m.length), !flip, flip ? `bit ${flipAt % (all.length * 8)} flipped` : 'unflipped');
}

/** Inputs of the wrong type or length, for which every engine must say false without throwing. */
export function badInputs(): Array<[unknown, unknown, unknown]> {
  const seed7 = new Uint8Array(32).fill(7);
  const p = publicKeyFromSeed(seed7);
  const m = new Uint8Array([1]);
  const s = sign(seed7, m);
  const out: Array<[unknown, unknown, unknown]> = [];
  for (const [k, mm, sg] of [[p, m, s], [pub, msg, good]] as const) {
    out.push([k.subarray(1), mm, sg], [k, mm, sg.subarray(1)], [null, mm, sg], [k, 'x', sg], [k, mm, [...sg]]);
  }
  return out;
}
