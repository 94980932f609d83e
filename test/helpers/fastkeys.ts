// Ed25519 signed-note keys and event signing with node:crypto (OpenSSL), for tests that
// need thousands: the same key strings as @cotc/tlog's generateKey and the same signatures
// as @cotc/ledger's signEvent (Ed25519 is deterministic), without JavaScript curve math
// (and without OpenSSL's slow DER decoding of a key per use).
import { createPrivateKey, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { base64, concat, formatVerifierKey, hex, keyIdBytes } from '@cotc/tlog';
import { canonicalBytes, type Envelope } from '@cotc/ledger';

export interface FastKey {
  signerKey: string;
  verifierKey: string;
  /** signs an unsigned envelope: sig = base64(key id || Ed25519 signature over its canonical JSON) */
  sign: (unsigned: object) => Envelope;
}

// PKCS#8 DER prefix of an Ed25519 private key (RFC 8410 §7), followed by the 32-byte seed.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

// Keys come from random seeds, not generateKeyPairSync + JWK export: on Node 20 a GC that
// destroys a finished KeyGenJob while ExportJWK holds the key's mutex deadlocks the main
// thread (seen here: the exhaustion test hung in futex_wait after thousands of keys; gdb
// showed ~KeyGenJob inside ExportJWK's allocation).
export function fastKey(name: string): FastKey {
  const seed = new Uint8Array(randomBytes(32));
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const pub = new Uint8Array(spki.subarray(spki.length - 32));
  const id = keyIdBytes(name, pub);
  return {
    signerKey: `PRIVATE+KEY+${name}+${hex(id)}+${base64(concat(new Uint8Array([1]), seed))}`,
    verifierKey: formatVerifierKey(name, pub),
    sign: signer(id, privateKey),
  };
}

function signer(id: Uint8Array, key: KeyObject) {
  return (unsigned: object) => ({ ...unsigned, sig: base64(concat(id, new Uint8Array(sign(null, canonicalBytes(unsigned as never), key)))) }) as Envelope;
}
