// Every Ed25519 engine in the system must give the answer DESIGN.md's strict rule wants
// (tlog's verifyStrict, noble) on every input: src/crypto/ed25519-node.ts's verifyStrictNode
// (node:crypto, the server), src/crypto/verify-pool.ts's VerifyPool (the same on worker
// threads), and @cotc/verify's two engines (packages/verify/src/sig.ts; issue 9: WebCrypto
// decides only the final equation, behind the same strict byte checks; noble where there
// is no WebCrypto). The inputs are test/helpers/ed25519-cases.ts's: RFC 8032 §7.1 vectors,
// small-order keys and nonces, non-canonical encodings, S >= L, points off the curve,
// mixed-order (torsion) points, random signatures with random single-bit flips, garbage.
// The synchronous engines are checked as each case is made; the asynchronous ones over all
// the cases in the last tests. Node 20 has Ed25519 under globalThis.crypto.subtle.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { fromHex, hex, isWeakPublicKey, publicKeyFromSeed, sign, strictPrecheck, verifyStrict } from '@cotc/tlog';
import { isCanonicalScalar, isStrictPointEncoding, verifyStrictNode } from '../../src/crypto/ed25519-node.ts';
import { VerifyPool } from '../../src/crypto/verify-pool.ts';
import { nobleEngine, webCryptoEngine, type SigEngine } from '../../packages/verify/src/sig.ts';
import {
  L, SMALL_ALL, SMALL_CANONICAL, TORSION, VECTORS, badInputs, ed25519, encodingCases, flipCase, le, mixedOrderCases, msg,
  scalarCases, smallOrderCases, vectorCases, type Case,
} from '../helpers/ed25519-cases.ts';

let web: SigEngine | null = null;
const cases: Case[] = [];
/** Asserts the synchronous verifiers give the expected answer; records the case for the rest. */
function agree(all: Case[]): void {
  for (const c of all) {
    assert.is(verifyStrict(c.pub, c.msg, c.sig), c.want, `tlog verifyStrict on ${c.what}`);
    assert.is(verifyStrictNode(c.pub, c.msg, c.sig), c.want, `verifyStrictNode on ${c.what}`);
    cases.push(c);
  }
}

test('WebCrypto Ed25519 is there in Node 20 and passes the probe', async () => {
  web = await webCryptoEngine();
  assert.ok(web, 'globalThis.crypto.subtle has Ed25519');
  assert.is(web!.name, 'webcrypto');
});

test('RFC 8032 §7.1 vectors: signatures reproduce and verify in all', () => {
  for (const [sk, pk, m, s] of VECTORS) {
    const seed = fromHex(sk);
    assert.is(hex(publicKeyFromSeed(seed)), pk);
    assert.is(hex(sign(seed, fromHex(m))), s);
  }
  agree(vectorCases());
});

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

test('the vector file: every small-order and non-canonical encoding is refused by the byte checks', () => {
  const v = JSON.parse(readFileSync(new URL('../vectors/ed25519-small-order.json', import.meta.url), 'utf8'));
  const all = [...v.canonical, ...v.nonCanonical].map((x: { hex: string }) => fromHex(x.hex));
  assert.ok(all.length >= 8);
  for (const enc of all) {
    assert.not.ok(isStrictPointEncoding(enc), hex(enc));
    assert.ok(isWeakPublicKey(enc), hex(enc));
  }
});

test('small-order keys and nonces with degenerate signatures are refused by all', () => {
  agree(smallOrderCases());
});

test('S >= L is refused (malleability), S just below L is only a wrong signature', () => {
  agree(scalarCases());
  assert.ok(isCanonicalScalar(le(L - 1n)));
  assert.not.ok(isCanonicalScalar(le(L)));
  assert.ok(isCanonicalScalar(le(0n)));
});

test('non-canonical encodings of ordinary points (y + p) are refused as A and as R', () => {
  const { cases: cs, nonCanonical, found } = encodingCases();
  assert.ok(found > 0, 'some y < 19 is on the curve');
  assert.is(nonCanonical.length, 2 * found);
  for (const nc of nonCanonical) {
    assert.not.ok(isStrictPointEncoding(nc));
    assert.ok(isWeakPublicKey(nc));
  }
  agree(cs);
});

test('mixed-order points (key or nonce with a torsion component): the cofactorless rule, in all', () => {
  const { cases: cs, Amixed, divisible, other } = mixedOrderCases();
  assert.not.ok(isWeakPublicKey(Amixed)); // not small order, so registrable, as in Go
  assert.ok(divisible >= 1 && other >= 1, `both cases seen (${divisible}, ${other})`);
  agree(cs);
  // A cofactored verifier (noble's own verify) accepts all of them: why we do not use it.
  for (const c of cs) assert.ok(ed25519.verify(c.sig, c.msg, c.pub), `cofactored verify accepts ${c.what}`);
});

test('property: random keys and messages, random single-bit flips: all agree, valid only unflipped', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ maxLength: 80 }),
      fc.nat(),
      fc.boolean(),
      (sd, m, flipAt, flip) => agree([flipCase(sd, m, flipAt, flip)]),
    ),
    { numRuns: 250 },
  );
});

test('property: random garbage agrees (refused)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), (pk, sig) => {
      agree([{ pub: pk, msg, sig, want: false, what: 'random bytes' }]);
    }),
    { numRuns: 100 },
  );
});

test('no engine throws on bad types or lengths: strictPrecheck and every engine say false', async () => {
  const pool = new VerifyPool(1);
  try {
    for (const [a, b, c] of badInputs() as [Uint8Array, Uint8Array, Uint8Array][]) {
      if (b instanceof Uint8Array) assert.is(strictPrecheck(a, c), false);
      assert.is(verifyStrict(a, b, c), false);
      assert.is(verifyStrictNode(a, b, c), false);
      assert.is(await nobleEngine.verify(a, b, c), false);
      assert.is(await web!.verify(a, b, c), false);
      assert.is(await pool.verify(a, b, c), false);
    }
  } finally {
    await pool.close();
  }
  assert.ok(isCanonicalScalar(new Uint8Array(32)));
});

test(`every engine gives verifyStrict's answer on every crafted case`, async () => {
  assert.ok(cases.length > 500, `${cases.length} cases`);
  const pool = new VerifyPool(1);
  try {
    const pooled = await Promise.all(cases.map((c) => pool.verify(c.pub, c.msg, c.sig)));
    let accepted = 0;
    for (const [i, c] of cases.entries()) {
      const [n, w] = await Promise.all([nobleEngine.verify(c.pub, c.msg, c.sig), web!.verify(c.pub, c.msg, c.sig)]);
      assert.is(n, c.want, `noble engine on ${c.what}`);
      assert.is(w, c.want, `webcrypto engine on ${c.what}`);
      assert.is(pooled[i], c.want, `VerifyPool on ${c.what}`);
      if (c.want) accepted++;
    }
    assert.ok(accepted > 100, 'valid signatures are among the cases');
  } finally {
    await pool.close();
  }
});

test.run();
