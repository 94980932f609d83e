// Event signatures (DESIGN.md "Event envelope") and donor commitments ("Bodies"):
// packages/ledger/src/signature.ts and donor.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { base64, fromBase64, generateKey, parseVerifierKey, verifyStrict } from '@cotc/tlog';
import { createHash } from 'node:crypto';
import { signEvent, signingBytes, splitSig, verifyEventSignature } from '../../packages/ledger/src/signature.ts';
import { checkReceipt, donorCommitment, newReceiptSecret } from '../../packages/ledger/src/donor.ts';
import { canonicalize } from '../../packages/ledger/src/canonical.ts';
import { verifyStrictNode } from '../../src/crypto/ed25519-node.ts';
import type { Envelope, UnsignedEvent } from '../../packages/ledger/src/types.ts';

const acme = generateKey('acme', new Uint8Array(32).fill(1));
const other = generateKey('acme', new Uint8Array(32).fill(2));
const unsigned: UnsignedEvent<'donation'> = {
  v: 1, type: 'donation', id: 'don-1', org: 'acme', time: '2021-01-01T00:00:00Z',
  body: { fund: 'acme:water', amount: { currency: 'CNY', value: '500' }, donor: 'ab'.repeat(32), channel: 'Steps for Charity' },
};

test('signingBytes: canonical JSON of the envelope without sig, same for signed and unsigned', () => {
  const env = signEvent(unsigned, acme.signerKey);
  const want = new TextEncoder().encode(canonicalize(unsigned));
  assert.equal(signingBytes(unsigned), want);
  assert.equal(signingBytes(env), want);
  assert.ok(new TextDecoder().decode(want).startsWith('{"body":{"amount":{"currency":"CNY","value":"500"},'));
  assert.throws(() => signingBytes(null as never), /parameter "event"/);
  assert.throws(() => signingBytes([] as never), /parameter "event"/);
});

test('sign and verify round-trip, with a string key, a parsed key, and node:crypto', () => {
  const env = signEvent(unsigned, acme.signerKey);
  assert.is(env.sig.length, 92);
  assert.equal({ ...env, sig: undefined }, { ...unsigned, sig: undefined });
  assert.ok(verifyEventSignature(env, acme.verifierKey));
  assert.ok(verifyEventSignature(env, parseVerifierKey(acme.verifierKey)));
  assert.ok(verifyEventSignature(env, acme.verifierKey, verifyStrictNode));
  // Deterministic (RFC 8032): the same event signs to the same sig; re-signing replaces sig.
  assert.is(signEvent(env as unknown as UnsignedEvent<'donation'>, acme.signerKey).sig, env.sig);
  // Key order and whitespace of the posted JSON do not matter: the canonical form is signed.
  const reordered = JSON.parse(JSON.stringify({ sig: env.sig, body: env.body, v: 1, time: env.time, org: 'acme', id: env.id, type: env.type }));
  assert.ok(verifyEventSignature(reordered, acme.verifierKey));
});

test('tampered fields fail', () => {
  const env = signEvent(unsigned, acme.signerKey);
  const tampers: ((e: any) => void)[] = [
    (e) => (e.body.amount.value = '5000'),
    (e) => (e.body.fund = 'acme:other'),
    (e) => (e.id = 'don-2'),
    (e) => (e.time = '2021-01-01T00:00:01Z'),
    (e) => (e.body.extra = 1),
    (e) => (e.org = 'acmf'),
  ];
  for (const t of tampers) {
    const e = structuredClone(env);
    t(e);
    assert.not.ok(verifyEventSignature(e, acme.verifierKey), String(t));
    assert.not.ok(verifyEventSignature(e, acme.verifierKey, verifyStrictNode), String(t));
  }
  const raw = fromBase64(env.sig);
  raw[40]! ^= 0x01;
  assert.not.ok(verifyEventSignature({ ...env, sig: base64(raw) }, acme.verifierKey));
});

test('wrong key or wrong key id fails; malformed input is false, never a throw', () => {
  const env = signEvent(unsigned, acme.signerKey);
  assert.not.ok(verifyEventSignature(env, other.verifierKey)); // another key (and id)
  // The right signature bytes under another key id.
  const raw = fromBase64(env.sig);
  raw[0]! ^= 0xff;
  assert.not.ok(verifyEventSignature({ ...env, sig: base64(raw) }, acme.verifierKey));
  // The right key id, but a signature by another key.
  const byOther = signEvent(unsigned, other.signerKey);
  const mixed = fromBase64(byOther.sig);
  mixed.set(fromBase64(env.sig).subarray(0, 4), 0);
  assert.not.ok(verifyEventSignature({ ...env, sig: base64(mixed) }, acme.verifierKey));
  for (const bad of [null, 'x', [], { ...env, sig: 'AAAA' }, { ...env, sig: 42 }, { ...env, body: { x: 1.5 } }]) {
    assert.not.ok(verifyEventSignature(bad as Envelope, acme.verifierKey));
  }
  assert.not.ok(verifyEventSignature(env, 'not a key'));
  assert.not.ok(verifyEventSignature(env, acme.signerKey));
  assert.not.ok(verifyEventSignature(env, { id: new Uint8Array(4), publicKey: new Uint8Array(32) }));
});

test('splitSig', () => {
  const env = signEvent(unsigned, acme.signerKey);
  const parts = splitSig(env.sig)!;
  assert.is(parts.keyId.length, 4);
  assert.is(parts.signature.length, 64);
  assert.equal(parts.keyId, parseVerifierKey(acme.verifierKey).id);
  assert.ok(verifyStrict(parseVerifierKey(acme.verifierKey).publicKey, signingBytes(env), parts.signature));
  assert.is(splitSig(base64(new Uint8Array(67))), null);
  assert.is(splitSig(base64(new Uint8Array(69))), null);
  assert.is(splitSig(env.sig.slice(0, 90) + 'B='), null); // non-canonical padding bits
  assert.is(splitSig(env.sig.replace(/=$/, '')), null);
  assert.is(splitSig(42 as unknown as string), null);
});

test('signEvent checks its parameters', () => {
  assert.throws(() => signEvent(unsigned, acme.verifierKey), /signerKey/);
  assert.throws(() => signEvent(null as never, acme.signerKey), /parameter "unsigned"/);
  assert.throws(() => signEvent(unsigned, 1 as never), /parameter "signerKey"/);
  assert.throws(() => signEvent({ ...unsigned, time: 1.5 } as never, acme.signerKey), /non-integer/);
});

test('donor commitment: SHA-256("cotc-donor-v1\\n" || id || "\\n" || secret), checkReceipt', () => {
  const secret = 'MIDvvJpmuBI_-w1i_wZkooLJXMGWFWVX5VbWdlQol1E';
  const want = createHash('sha256').update(`cotc-donor-v1\ndon-1\n${secret}`, 'utf8').digest('hex');
  assert.is(donorCommitment('don-1', secret), want);
  assert.is(donorCommitment('don-1', 'é'), createHash('sha256').update('cotc-donor-v1\ndon-1\né', 'utf8').digest('hex'));
  const env = signEvent({ ...unsigned, body: { ...unsigned.body, donor: want } }, acme.signerKey);
  assert.ok(checkReceipt(env, secret));
  assert.ok(checkReceipt('don-1', want, secret));
  assert.not.ok(checkReceipt(env, secret + 'x'));
  assert.not.ok(checkReceipt('don-2', want, secret));
  assert.not.ok(checkReceipt('don-1', want.toUpperCase(), secret));
  assert.not.ok(checkReceipt(env, ''));
  assert.not.ok(checkReceipt({ ...env, type: 'transfer' } as never, secret));
  assert.not.ok(checkReceipt('don-1', want, '\ud800'));
  assert.throws(() => donorCommitment('bad id', secret), /parameter "donationId"/);
  assert.throws(() => donorCommitment('don-1', ''), /parameter "receiptSecret"/);
});

test('newReceiptSecret: 32 random bytes, unpadded base64url', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const s = newReceiptSecret();
    assert.match(s, /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/);
    assert.is(Buffer.from(s, 'base64url').length, 32);
    seen.add(s);
  }
  assert.is(seen.size, 100);
});

test.run();
