// The two engines of @cotc/verify (sig.ts) must give tlog verifyStrict's answer on every
// input (issue 9: WebCrypto's Ed25519 decides only the final equation, behind the same
// strict byte checks; noble where there is no WebCrypto): RFC 8032 §7.1 vectors, the
// small-order keys and nonces of test/vectors/ed25519-small-order.json, non-canonical
// encodings, S >= L, mixed-order points, points off the curve, random bit flips. Node 20
// has Ed25519 under globalThis.crypto.subtle, so both engines run here.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { fromHex, hex, isCanonicalScalar, isStrictPointEncoding, isWeakPublicKey, publicKeyFromSeed, sign, strictPrecheck, verifyStrict } from '@cotc/tlog';
import { nobleEngine, webCryptoEngine, type SigEngine } from '../../packages/verify/src/sig.ts';
// noble is not a root dependency; reach it through tlog's node_modules to craft points.
import { ed25519 } from '../../packages/tlog/node_modules/@noble/curves/ed25519.js';
import { sha512 } from '../../packages/tlog/node_modules/@noble/hashes/sha2.js';

const Point = ed25519.Point;
const L = Point.Fn.ORDER;
const P = (1n << 255n) - 19n;

function le(n: bigint, len = 32): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}
function fromLe(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}
const cat = (...bs: Uint8Array[]) => {
  const out = new Uint8Array(bs.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of bs) (out.set(b, o), (o += b.length));
  return out;
};

let web: SigEngine | null = null;
const cases: Array<{ pub: Uint8Array; msg: Uint8Array; sig: Uint8Array; want: boolean; what: string }> = [];
/** Records a case; every case is run through both engines in the last test. */
function agree(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array, want: boolean, what: string): void {
  assert.is(verifyStrict(pub, msg, sig), want, `tlog verifyStrict on ${what}`);
  cases.push({ pub: pub.slice(), msg: msg.slice(), sig: sig.slice(), want, what });
}

test('WebCrypto Ed25519 is there in Node 20 and passes the probe', async () => {
  web = await webCryptoEngine();
  assert.ok(web, 'globalThis.crypto.subtle has Ed25519');
  assert.is(web!.name, 'webcrypto');
});

test('the vector file: every small-order and non-canonical encoding is refused by the byte checks', () => {
  const v = JSON.parse(readFileSync(new URL('../vectors/ed25519-small-order.json', import.meta.url), 'utf8'));
  const all = [...v.canonical, ...v.nonCanonical].map((x: { hex: string }) => fromHex(x.hex));
  assert.ok(all.length >= 8);
  for (const enc of all) {
    assert.not.ok(isStrictPointEncoding(enc), hex(enc));
    assert.ok(isWeakPublicKey(enc), hex(enc));
  }
});
// RFC 8032 §7.1 TEST 1, 2, 3 and TEST SHA(abc).
const VECTORS = [
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

test('RFC 8032 §7.1 vectors: signatures reproduce and verify in both', () => {
  for (const [sk, pk, m, s] of VECTORS) {
    const seed = fromHex(sk);
    assert.is(hex(publicKeyFromSeed(seed)), pk);
    assert.is(hex(sign(seed, fromHex(m))), s);
    agree(fromHex(pk), fromHex(m), fromHex(s), true, `vector ${pk.slice(0, 8)}`);
    agree(fromHex(pk), fromHex(m + '00'), fromHex(s), false, `vector ${pk.slice(0, 8)} with another message`);
  }
});

// The 8-torsion: T8 has order 8; its multiples are every point of small order.
const Y8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022n;
const T8 = Point.fromBytes(le(Y8));
const TORSION = Array.from({ length: 8 }, (_, i) => (i === 0 ? Point.ZERO : T8.multiplyUnsafe(BigInt(i))));
const SMALL_CANONICAL = TORSION.map((p) => p.toBytes());
// Non-canonical spellings of the same points: "x = 0 with the sign bit set" for the two
// points with x = 0, and y + p (< 2^255) for y in {0, 1}, with either sign bit.
const SMALL_NONCANONICAL: Uint8Array[] = [];
for (const y of [1n, P - 1n]) SMALL_NONCANONICAL.push(le(y | (1n << 255n)));
for (const y of [0n, 1n]) for (const sign of [0n, 1n << 255n]) SMALL_NONCANONICAL.push(le((y + P) | sign));
const SMALL_ALL = [...SMALL_CANONICAL, ...SMALL_NONCANONICAL];

test('the small-order encodings: 8 distinct points, all refused by both key checks', () => {
  assert.is(new Set(SMALL_CANONICAL.map(hex)).size, 8);
  for (const p of TORSION) assert.ok(p.multiplyUnsafe(8n).is0());
  assert.is(hex(SMALL_CANONICAL[0]!), '01' + '00'.repeat(31)); // the identity
  for (const enc of SMALL_ALL) {
    assert.ok(isWeakPublicKey(enc), `tlog: ${hex(enc)} is weak`);
    assert.not.ok(isStrictPointEncoding(enc), `byte check: ${hex(enc)} is refused`);
  }
  for (let i = 0; i < 20; i++) {
    const pub = publicKeyFromSeed(le(BigInt(i) + 12345n));
    assert.not.ok(isWeakPublicKey(pub));
    assert.ok(isStrictPointEncoding(pub));
  }
});

test('small-order keys and nonces with degenerate signatures are refused by both', () => {
  const msgs = [new Uint8Array(0), new Uint8Array([0x61]), new TextEncoder().encode('cotc')];
  for (const A of SMALL_ALL) {
    for (const R of SMALL_ALL) {
      for (const m of msgs) {
        // S = 0: [0]B = R + [k]A holds for many (A, R, m) when both are of small order
        // (and always under a cofactored check): a "signature" that signs everything.
        agree(A, m, cat(R, new Uint8Array(32)), false, `A=${hex(A)} R=${hex(R)} S=0`);
      }
    }
  }
  // The classic: A = identity, R = identity, S = 0.
  const id = fromHex('01' + '00'.repeat(31));
  agree(id, new Uint8Array([1, 2, 3]), cat(id, new Uint8Array(32)), false, 'identity key, identity R, S=0');
  // A real key with a small-order R.
  const pub = publicKeyFromSeed(new Uint8Array(32).fill(9));
  for (const R of SMALL_ALL) agree(pub, msgs[1]!, cat(R, new Uint8Array(32)), false, `small-order R ${hex(R)}`);
});

const seed = new Uint8Array(32).fill(42);
const pub = publicKeyFromSeed(seed);
const msg = new TextEncoder().encode('{"v":1}');
const good = sign(seed, msg);

test('S >= L is refused (malleability), S just below L is only a wrong signature', () => {
  const S = fromLe(good.subarray(32));
  agree(pub, msg, good, true, 'the good signature');
  agree(pub, msg, cat(good.subarray(0, 32), le(S + L)), false, 'S + L');
  agree(pub, msg, cat(good.subarray(0, 32), le(L)), false, 'S = L');
  agree(pub, msg, cat(good.subarray(0, 32), le((1n << 256n) - 1n)), false, 'S = 2^256 - 1');
  agree(pub, msg, cat(good.subarray(0, 32), le(L - 1n)), false, 'S = L - 1');
  assert.ok(isCanonicalScalar(le(L - 1n)));
  assert.not.ok(isCanonicalScalar(le(L)));
  assert.ok(isCanonicalScalar(le(0n)));
});

test('non-canonical encodings of ordinary points (y + p) are refused as A and as R', () => {
  // y in 2..18 with y + p < 2^255: find those on the curve and not of small order.
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
      assert.not.ok(isStrictPointEncoding(nc));
      assert.ok(isWeakPublicKey(nc));
      agree(nc, msg, good, false, `A = non-canonical y=${y}+p`);
      agree(pub, msg, cat(nc, good.subarray(32)), false, `R = non-canonical y=${y}+p`);
    }
  }
  assert.ok(found > 0, 'some y < 19 is on the curve');
  // Points not on the curve at all.
  for (let y = 2n; y < 40n; y++) {
    const enc = le(y);
    let on = true;
    try {
      Point.fromBytes(enc);
    } catch {
      on = false;
    }
    if (on) continue;
    agree(enc, msg, good, false, `A not on the curve (y=${y})`);
    agree(pub, msg, cat(enc, good.subarray(32)), false, `R not on the curve (y=${y})`);
  }
});

// Signs by hand with a public key / nonce point of our choosing (noble's scalar for the seed).
function craft(Abytes: Uint8Array, Rpoint: InstanceType<typeof Point>, r: bigint, a: bigint, m: Uint8Array) {
  const Rb = Rpoint.toBytes();
  const k = fromLe(sha512(cat(Rb, Abytes, m))) % L;
  const S = (r + k * a) % L;
  return { sig: cat(Rb, le(S)), k };
}

test('mixed-order points (key or nonce with a torsion component): the cofactorless rule, in both', () => {
  const { scalar: a, point: A } = ed25519.utils.getExtendedPublicKey(seed);
  const Amixed = A.add(T8).toBytes();
  assert.not.ok(isWeakPublicKey(Amixed)); // not small order, so registrable, as in Go
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
    agree(Amixed, m, sig, want, `mixed-order A, k mod 8 = ${k % 8n}`);
    // A cofactored verifier (noble's own verify) accepts all of them: why we do not use it.
    assert.ok(ed25519.verify(sig, m, Amixed));
  }
  assert.ok(divisible >= 1 && other >= 1, `both cases seen (${divisible}, ${other})`);
  // Mixed-order R = [r]B + T4: [S]B - [k]A = [r]B != R, refused; cofactored accepts.
  const T4 = T8.multiplyUnsafe(2n);
  for (let i = 0; i < 8; i++) {
    const m = new TextEncoder().encode(`mixed R ${i}`);
    const r = (fromLe(sha512(m)) % (L - 1n)) + 1n;
    const { sig } = craft(pub, Point.BASE.multiply(r).add(T4), r, a, m);
    agree(pub, m, sig, false, 'mixed-order R');
    assert.ok(ed25519.verify(sig, m, pub));
  }
});

test('property: random keys and messages, random single-bit flips: both agree, valid only unflipped', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ maxLength: 80 }),
      fc.nat(),
      fc.boolean(),
      (sd, m, flipAt, flip) => {
        const pk = publicKeyFromSeed(sd);
        const sig = sign(sd, m);
        const all = cat(pk, m, sig);
        if (flip) {
          const bit = flipAt % (all.length * 8);
          all[bit >> 3]! ^= 1 << (bit & 7);
        }
        const p2 = all.subarray(0, 32);
        const m2 = all.subarray(32, 32 + m.length);
        const s2 = all.subarray(32 + m.length);
        agree(p2, m2, s2, !flip, flip ? `bit ${flipAt % (all.length * 8)} flipped` : 'unflipped');
      },
    ),
    { numRuns: 250 },
  );
});

test('property: random garbage agrees (refused)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), (pk, sig) => {
      agree(pk, msg, sig, false, 'random bytes');
    }),
    { numRuns: 100 },
  );
});

test('strictPrecheck never throws on bad types or lengths, and the engines say false', async () => {
  const seed2 = new Uint8Array(32).fill(7);
  const p = publicKeyFromSeed(seed2);
  const m = new Uint8Array([1]);
  const s = sign(seed2, m);
  for (const [a, b, c] of [[p.subarray(1), m, s], [p, m, s.subarray(1)], [null, m, s], [p, 'x', s], [p, m, [...s]]] as unknown as [Uint8Array, Uint8Array, Uint8Array][]) {
    if (b === m) assert.is(strictPrecheck(a, c), false);
    assert.is(await nobleEngine.verify(a, b, c), false);
    assert.is(await web!.verify(a, b, c), false);
  }
  assert.ok(isCanonicalScalar(new Uint8Array(32)));
});

test(`both engines give verifyStrict's answer on every crafted case`, async () => {
  assert.ok(cases.length > 500, `${cases.length} cases`);
  let accepted = 0;
  for (const c of cases) {
    const [n, w] = await Promise.all([nobleEngine.verify(c.pub, c.msg, c.sig), web!.verify(c.pub, c.msg, c.sig)]);
    assert.is(n, c.want, `noble engine on ${c.what}`);
    assert.is(w, c.want, `webcrypto engine on ${c.what}`);
    if (c.want) accepted++;
  }
  assert.ok(accepted > 100, 'valid signatures are among the cases');
});

test.run();
