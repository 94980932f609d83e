// Event signatures of DESIGN.md "Wire formats (version 1) / Event envelope": sig is
// base64(key id (4 bytes) || Ed25519 signature (64 bytes), RFC 8032) over the UTF-8 bytes
// of the RFC 8785 canonical JSON of the envelope without `sig`. Key ids and key strings
// are those of the C2SP signed-note spec, so an event signature looks like a note
// signature line's payload and interoperates with Go's golang.org/x/mod/sumdb/note keys.

import { base64, concat, equalBytes, fromBase64, parseSignerKey, parseVerifierKey, sign, verifyStrict } from '@cotc/tlog';
import { canonicalBytes } from './canonical.ts';
import { isPlainObject } from './limits.ts';
import type { Envelope, UnsignedEvent } from './types.ts';

/** A signature check with the signature of tlog's verifyStrict (swap in verifyStrictNode on a server). */
export type VerifyFn = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

/** A parsed verifier key: what verifyEventSignature needs of one (tlog's VerifierKey fits). */
export interface EventVerifierKey {
  id: Uint8Array;
  publicKey: Uint8Array;
}


/**
 * The bytes a signature covers: canonical JSON (UTF-8) of the envelope without `sig`.
 * Accepts a signed envelope or an unsigned event; throws CanonicalError when the value is
 * not of our JSON subset.
 */
export function signingBytes(event: UnsignedEvent | Envelope | Record<string, unknown>): Uint8Array {
  if (!isPlainObject(event)) throw new TypeError('signingBytes: parameter "event" must be a plain object');
  if (!('sig' in event)) return canonicalBytes(event);
  // Copying is cheaper than it looks (seven keys) and leaves the caller's object alone.
  const { sig: _sig, ...unsigned } = event as Record<string, unknown>;
  return canonicalBytes(unsigned);
}

/**
 * Signs an unsigned event with a signed-note signer key string
 * (PRIVATE+KEY+name+hexid+base64(0x01||seed)). Any `sig` already present is replaced.
 * The key's name should be the event's org (the state machine checks whose key it is).
 */
export function signEvent<T extends UnsignedEvent>(unsigned: T, signerKey: string): T & { sig: string } {
  if (!isPlainObject(unsigned)) throw new TypeError('signEvent: parameter "unsigned" must be a plain object');
  if (typeof signerKey !== 'string') throw new TypeError('signEvent: parameter "signerKey" must be a signer key string');
  const key = parseSignerKey(signerKey, 'signerKey');
  const { sig: _old, ...rest } = unsigned as T & { sig?: unknown };
  const signature = sign(key.seed, canonicalBytes(rest));
  return { ...(rest as T), sig: base64(concat(key.id, signature)) };
}

/** Splits sig into its key id and Ed25519 signature; null unless it is canonical base64 of exactly 68 bytes. */
export function splitSig(sig: string): { keyId: Uint8Array; signature: Uint8Array } | null {
  if (typeof sig !== 'string' || sig.length !== 92) return null;
  let raw: Uint8Array;
  try {
    raw = fromBase64(sig, 'sig');
  } catch {
    return null;
  }
  if (raw.length !== 68) return null;
  return { keyId: raw.slice(0, 4), signature: raw.slice(4) };
}

/**
 * True when envelope.sig is a valid signature of the envelope by verifierKey (a verifier
 * key string, or one already parsed, which saves the curve work of parsing on hot paths).
 * The key id in sig must be the key's id. Never throws: anything malformed is false.
 */
export function verifyEventSignature(
  envelope: Envelope | Record<string, unknown>,
  verifierKey: string | EventVerifierKey,
  verify: VerifyFn = verifyStrict,
): boolean {
  try {
    if (!isPlainObject(envelope)) return false;
    const parts = splitSig(envelope.sig as string);
    if (parts === null) return false;
    const key = typeof verifierKey === 'string' ? parseVerifierKey(verifierKey) : verifierKey;
    if (!(key?.id instanceof Uint8Array) || !(key.publicKey instanceof Uint8Array)) return false;
    if (!equalBytes(parts.keyId, key.id)) return false;
    return verify(key.publicKey, signingBytes(envelope), parts.signature) === true;
  } catch {
    return false;
  }
}
