// Donor commitments of DESIGN.md "Wire formats (version 1) / Bodies": a donation names
// its donor only as donor = hex SHA-256("cotc-donor-v1\n" || donation id || "\n" ||
// receipt secret), all UTF-8. The donor keeps the secret (their receipt) and can later
// prove the donation is theirs; nobody else learns who gave.
//
// Receipt secrets made here are 32 random bytes in unpadded base64url (RFC 4648 §5),
// 43 characters: 256 bits, URL- and QR-friendly, shorter to type than hex. The commitment
// treats the secret as an opaque non-empty string, so any secret a platform issues works.

import { sha256 } from '@noble/hashes/sha2.js';
import { hex, utf8 } from '@cotc/tlog';
import type { Envelope } from './types.ts';
import { ID_RE as ID } from './limits.ts';

const HEX64 = /^[0-9a-f]{64}$/;
const PREFIX = 'cotc-donor-v1\n';

/** hex SHA-256("cotc-donor-v1\n" || donationId || "\n" || receiptSecret). */
export function donorCommitment(donationId: string, receiptSecret: string): string {
  if (typeof donationId !== 'string' || !ID.test(donationId)) {
    throw new TypeError('donorCommitment: parameter "donationId" must be an event id');
  }
  if (typeof receiptSecret !== 'string' || receiptSecret === '') {
    throw new TypeError('donorCommitment: parameter "receiptSecret" must be a non-empty string');
  }
  return hex(sha256(utf8(PREFIX + donationId + '\n' + receiptSecret, 'receiptSecret')));
}

// Compares two 64-character hex strings without an early exit, so the time taken does not
// tell how many leading characters of a guess were right.
function equalHex64(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < 64; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * True when receiptSecret opens the donation's donor commitment. Call as
 * checkReceipt(donationEnvelope, secret) or checkReceipt(donationId, donor, secret).
 * Malformed input is false, not an exception (a wrong receipt is an ordinary answer).
 */
export function checkReceipt(donation: Envelope<'donation'>, receiptSecret: string): boolean;
export function checkReceipt(donationId: string, donor: string, receiptSecret: string): boolean;
export function checkReceipt(a: Envelope<'donation'> | string, b: string, c?: string): boolean {
  let id: unknown;
  let donor: unknown;
  let secret: unknown;
  if (typeof a === 'string') {
    [id, donor, secret] = [a, b, c];
  } else {
    if (typeof a !== 'object' || a === null || a.type !== 'donation') return false;
    [id, donor, secret] = [a.id, a.body?.donor, b];
  }
  if (typeof id !== 'string' || !ID.test(id)) return false;
  if (typeof donor !== 'string' || !HEX64.test(donor)) return false;
  if (typeof secret !== 'string' || secret === '') return false;
  let mine: string;
  try {
    mine = donorCommitment(id, secret);
  } catch {
    return false; // e.g. a lone surrogate in the secret
  }
  return equalHex64(mine, donor);
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A fresh receipt secret: 32 bytes from crypto.getRandomValues, unpadded base64url (43 chars). */
export function newReceiptSecret(): string {
  const b = new Uint8Array(33); // 33 = 32 random bytes + 1, so the loop below has no tail case
  globalThis.crypto.getRandomValues(b.subarray(0, 32));
  let s = '';
  for (let i = 0; i < 33; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    s += B64URL[(n >> 18) & 63]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]! + B64URL[n & 63]!;
  }
  // 44 characters encode 33 bytes; the 44th holds only bits of the zero byte 32, and the
  // 43rd the last 4 bits of byte 31 plus 2 zero bits: dropping the 44th leaves exactly the
  // unpadded base64url encoding of the 32 random bytes.
  return s.slice(0, 43);
}
