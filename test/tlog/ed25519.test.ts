// Ed25519: RFC 8032 §7.1 vectors, agreement with node:crypto on honest signatures, and the
// strict refusals (small-order and non-canonical points, S >= L, any flipped bit).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fromHex, hex } from '../../packages/tlog/src/bytes.ts';
import { isWeakPublicKey, publicKeyFromSeed, sign, verifyStrict } from '../../packages/tlog/src/ed25519.ts';

const load = (f: string) => JSON.parse(readFileSync(new URL(`../vectors/${f}`, import.meta.url), 'utf8'));
const rfc = load('rfc8032-ed25519.json') as { vectors: { name: string; secretKey: string; publicKey: string; message: string; signature: string }[] };
const small = load('ed25519-small-order.json') as { canonical: { hex: string }[]; nonCanonical: { hex: string }[] };

const p = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const le = (b: Uint8Array) => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
const toLe = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 255n));
const modpow = (b: bigint, e: bigint, m: bigint) => {
  let r = 1n;
  for (b %= m; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
};
const sha512 = (...parts: Uint8Array[]) => new Uint8Array(createHash('sha512').update(Buffer.concat(parts)).digest());
const nodePub = (pub: Uint8Array) =>
  createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pub]), format: 'der', type: 'spki' });
const nodePriv = (seed: Uint8Array) =>
  createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });

test('RFC 8032 §7.1: public key, signature and verification, byte for byte', () => {
  for (const v of rfc.vectors) {
    const seed = fromHex(v.secretKey);
    const msg = fromHex(v.message);
    assert.is(hex(publicKeyFromSeed(seed)), v.publicKey, v.name);
    assert.is(hex(sign(seed, msg)), v.signature, v.name);
    assert.ok(verifyStrict(fromHex(v.publicKey), msg, fromHex(v.signature)), v.name);
    assert.not.ok(isWeakPublicKey(fromHex(v.publicKey)), v.name);
  }
});

test('agrees with node:crypto on honest keys and signatures', () => {
  for (let i = 0; i < 40; i++) {
    const seed = new Uint8Array(randomBytes(32));
    const msg = new Uint8Array(randomBytes(i * 7));
    const pub = publicKeyFromSeed(seed);
    assert.is(hex(pub), hex(new Uint8Array(nodePub(pub).export({ format: 'der', type: 'spki' }).subarray(12))));
    const theirs = new Uint8Array(nodeSign(null, msg, nodePriv(seed)));
    assert.is(hex(sign(seed, msg)), hex(theirs));
    assert.ok(verifyStrict(pub, msg, theirs));
    assert.ok(nodeVerify(null, msg, nodePub(pub), sign(seed, msg)));
  }
});

test('one flipped bit anywhere in key, message or signature: false', () => {
  const v = rfc.vectors[2]!; // TEST 3, a 2-byte message
  const parts = [fromHex(v.publicKey), fromHex(v.message), fromHex(v.signature)];
  for (let which = 0; which < 3; which++) {
    for (let bit = 0; bit < parts[which]!.length * 8; bit++) {
      const copy = parts.map((x) => x.slice());
      copy[which]![bit >> 3]! ^= 1 << (bit & 7);
      assert.not.ok(verifyStrict(copy[0]!, copy[1]!, copy[2]!), `part ${which} bit ${bit}`);
    }
  }
});

test('S >= L is refused (the same signature with S + L)', () => {
  const v = rfc.vectors[1]!;
  const sig = fromHex(v.signature);
  const S = le(sig.subarray(32));
  for (const s2 of [S + L, S + 2n * L, L]) {
    const forged = sig.slice();
    forged.set(toLe(s2), 32);
    assert.not.ok(verifyStrict(fromHex(v.publicKey), fromHex(v.message), forged));
  }
});

test('small-order public keys (canonical and not): weak, and forgeries node:crypto accepts are refused', () => {
  const points = small.canonical.map((c) => fromHex(c.hex));
  assert.is(new Set(small.canonical.map((c) => c.hex)).size, 8);
  for (const a of [...small.canonical, ...small.nonCanonical].map((c) => fromHex(c.hex))) {
    assert.ok(isWeakPublicKey(a), hex(a));
    // R a small-order point and S = 0: [0]B = R + [k]A holds for one R in 8, by the message.
    let forged = 0;
    for (let i = 0; i < 64 && forged === 0; i++) {
      const msg = new TextEncoder().encode(`m${i}`);
      for (const r of points) {
        const sig = new Uint8Array(64);
        sig.set(r);
        if (!nodeVerify(null, msg, nodePub(a), sig)) continue;
        forged++;
        assert.not.ok(verifyStrict(a, msg, sig), hex(a));
      }
    }
    assert.ok(forged > 0, `no forgery found for ${hex(a)}`);
  }
});

test('small-order and non-canonical R are refused, even from the key holder', () => {
  // With R = identity, S = k·a satisfies the cofactorless equation: [S]B - [k]A = O = R.
  const seed = fromHex(rfc.vectors[0]!.secretKey);
  const pub = publicKeyFromSeed(seed);
  const h = sha512(seed).slice(0, 32);
  h[0]! &= 248; h[31]! &= 127; h[31]! |= 64; // RFC 8032 §5.1.5 clamping
  const a = le(h);
  const msg = new TextEncoder().encode('small R');
  for (const r of [...small.canonical, ...small.nonCanonical].map((c) => fromHex(c.hex))) {
    const k = le(sha512(r, pub, msg)) % L;
    const sig = new Uint8Array(64);
    sig.set(r);
    sig.set(toLe((k * a) % L), 32);
    assert.not.ok(verifyStrict(pub, msg, sig), hex(r));
    if (hex(r) === '01' + '00'.repeat(31)) assert.ok(nodeVerify(null, msg, nodePub(pub), sig), 'node:crypto accepts R = identity');
  }
});

test('a y with no point on the curve is a weak key', () => {
  const d = (((-121665n * modpow(121666n, p - 2n, p)) % p) + p) % p;
  let found = 0;
  for (let y = 2n; found < 5; y++) {
    const x2 = (((y * y - 1n) * modpow(d * y * y + 1n, p - 2n, p)) % p + p) % p;
    if (modpow(x2, (p - 1n) / 2n, p) !== p - 1n) continue; // a square: on the curve
    found++;
    assert.ok(isWeakPublicKey(toLe(y)), `y = ${y}`);
    assert.not.ok(verifyStrict(toLe(y), new Uint8Array(), new Uint8Array(64)));
  }
});

test('wrong lengths and types: false, never a throw; bad seeds: TypeError naming seed', () => {
  const v = rfc.vectors[1]!;
  const pub = fromHex(v.publicKey);
  const msg = fromHex(v.message);
  const sig = fromHex(v.signature);
  assert.not.ok(verifyStrict(pub.subarray(1), msg, sig));
  assert.not.ok(verifyStrict(new Uint8Array([...pub, 0]), msg, sig));
  assert.not.ok(verifyStrict(pub, msg, sig.subarray(1)));
  assert.not.ok(verifyStrict(pub, msg, new Uint8Array([...sig, 0])));
  assert.not.ok(verifyStrict(v.publicKey as unknown as Uint8Array, msg, sig));
  assert.not.ok(verifyStrict(pub, 'r' as unknown as Uint8Array, sig));
  assert.not.ok(verifyStrict(pub, msg, null as unknown as Uint8Array));
  assert.ok(isWeakPublicKey(pub.subarray(1)));
  assert.ok(isWeakPublicKey('x' as unknown as Uint8Array));
  assert.throws(() => sign(new Uint8Array(31), msg), (e: unknown) => e instanceof TypeError && /^seed:/.test(e.message));
  assert.throws(() => publicKeyFromSeed(new Uint8Array(64)), /^seed:/);
  assert.throws(() => sign(new Uint8Array(32), 'x' as unknown as Uint8Array), /^message:/);
});

test.run();
