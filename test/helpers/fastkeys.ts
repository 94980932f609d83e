// Ed25519 signed-note keys and event signing with node:crypto (OpenSSL), for tests that
// need thousands: the same key strings as @cotc/tlog's generateKey and the same signatures
// as @cotc/ledger's signEvent (Ed25519 is deterministic), without JavaScript curve math
// (and without OpenSSL's slow DER decoding of a key per use).
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { base64, concat, formatVerifierKey, hex, keyIdBytes } from '@cotc/tlog';
import { canonicalBytes, type Envelope } from '@cotc/ledger';

export interface FastKey {
  signerKey: string;
  verifierKey: string;
  /** signs an unsigned envelope: sig = base64(key id || Ed25519 signature over its canonical JSON) */
  sign: (unsigned: object) => Envelope;
}

export function fastKey(name: string): FastKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'));
  const seed = new Uint8Array(Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url'));
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
