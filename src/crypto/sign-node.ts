// Event signing with node:crypto (OpenSSL) doing the curve work: the same signatures as
// @cotc/ledger's signEvent (Ed25519 is deterministic), some 30 times faster, which is most
// of the demo's running time with thousands of donations.
import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import { base64, concat, parseSignerKey } from '@cotc/tlog';
import { canonicalBytes, type Envelope, type UnsignedEvent } from '@cotc/ledger';

// PKCS#8 DER prefix of an Ed25519 private key (RFC 8410 §7), followed by the 32-byte seed.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A signer for one signed-note signer key string: sig = base64(key id || Ed25519 signature)
 * over the canonical JSON of the unsigned envelope, exactly as signEvent. */
export function eventSigner(signerKey: string): (unsigned: UnsignedEvent) => Envelope {
  const k = parseSignerKey(signerKey, 'signerKey');
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, Buffer.from(k.seed)]), format: 'der', type: 'pkcs8' });
  return (unsigned) => ({ ...unsigned, sig: base64(concat(k.id, new Uint8Array(nodeSign(null, canonicalBytes(unsigned), key)))) }) as Envelope;
}
