// The gift record of a micro-donation batch (issue 15; docs/gifts.md "The gift record"):
// {"amount", "channel", "donor", "measure"}, no names. Its canonical bytes (RFC 8785) are
// what the sum tree's leaf hashes, so any verifier in any language rebuilds them from the
// record alone. The currency is the batch's (the fund's), not the gift's.
import { sha256 } from '@noble/hashes/sha2.js';
import { hex, isWellFormed, utf8 } from '@cotc/tlog';
import { MAX_VALUE } from '../state/types.ts';
import { ID_RE } from '../limits.ts';

export interface GiftRecord {
  /** minor units, ^[1-9][0-9]{0,18}$, at most 2^63−1 */
  amount: string;
  /** how the gift was made: goods-for-good, steps-for-charity, … (^[a-z0-9][a-z0-9-]{0,63}$) */
  channel: string;
  /** hex SHA-256 commitment to the donor's receipt (giftDonorCommitment) */
  donor: string;
  /** what the channel measured: the item sold, the steps walked (1..256 code points) */
  measure: string;
}

export const GIFT_KEYS = ['amount', 'channel', 'donor', 'measure'] as const;
const AMOUNT = /^[1-9][0-9]{0,18}$/;
const CHANNEL = /^[a-z0-9][a-z0-9-]{0,63}$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** Why a record is not a gift record: null when it is one. `where` names the field. */
export function giftRecordProblem(x: unknown): string | null {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return 'must be an object';
  const r = x as Record<string, unknown>;
  let keys = 0;
  for (const k in r) {
    if (!Object.hasOwn(r, k)) continue;
    if (k !== 'amount' && k !== 'channel' && k !== 'donor' && k !== 'measure') return `/${k} is not allowed`;
    keys++;
  }
  if (keys !== 4) for (const k of GIFT_KEYS) if (!Object.hasOwn(r, k)) return `/${k} is required`;
  for (const k of GIFT_KEYS) if (typeof r[k] !== 'string') return `/${k} must be a string`;
  const a = r.amount as string;
  if (!AMOUNT.test(a) || BigInt(a) > MAX_VALUE) return '/amount must be an integer string in 1..2^63-1';
  if (!CHANNEL.test(r.channel as string)) return '/channel must match ^[a-z0-9][a-z0-9-]{0,63}$';
  if (!HEX64.test(r.donor as string)) return '/donor must be 64 lowercase hex digits';
  const m = r.measure as string;
  // (code points are counted only when the UTF-16 length could exceed 256 of them)
  if (m === '' || !isWellFormed(m) || (m.length > 256 && [...m].length > 256)) return '/measure must be 1 to 256 code points of well-formed text';
  return null;
}

/**
 * RFC 8785 canonical JSON of a gift record, as a string. The keys are fixed and sort as
 * amount < channel < donor < measure (UTF-16 order); RFC 8785 §3.2.2.2 serialises strings
 * exactly as ECMAScript's JSON.stringify does, so this equals canonicalize(record) (the
 * test checks it) at a fraction of the cost: it runs once per gift.
 */
export function giftCanonical(r: GiftRecord): string {
  return `{"amount":"${r.amount}","channel":"${r.channel}","donor":"${r.donor}","measure":${JSON.stringify(r.measure)}}`;
}

const DONOR_PREFIX = 'cotc-gift-donor-v1\n';

/**
 * The donor commitment of a gift: hex SHA-256("cotc-gift-donor-v1\n" || batch id || "\n" ||
 * index (decimal) || "\n" || receipt secret). Binding the batch id and the index means one
 * receipt opens exactly one gift: the same secret used twice still gives two commitments.
 * The secret never leaves the donor (their app or the platform's receipt to them).
 */
export function giftDonorCommitment(batchId: string, index: number, receiptSecret: string): string {
  if (typeof batchId !== 'string' || !ID_RE.test(batchId)) throw new TypeError('giftDonorCommitment: parameter "batchId" must be an event id');
  if (!Number.isSafeInteger(index) || index < 0) throw new TypeError('giftDonorCommitment: parameter "index" must be a non-negative integer');
  if (typeof receiptSecret !== 'string' || receiptSecret === '') {
    throw new TypeError('giftDonorCommitment: parameter "receiptSecret" must be a non-empty string');
  }
  return hex(sha256(utf8(DONOR_PREFIX + batchId + '\n' + index + '\n' + receiptSecret, 'receiptSecret')));
}

/** True when the receipt (batch id, index, secret) opens the record's donor commitment; malformed input is false. */
export function checkGiftReceipt(batchId: string, index: number, receiptSecret: string, record: { donor?: unknown }): boolean {
  let mine: string;
  try {
    mine = giftDonorCommitment(batchId, index, receiptSecret);
  } catch {
    return false;
  }
  const d = record?.donor;
  if (typeof d !== 'string' || d.length !== 64) return false;
  let diff = 0;
  for (let i = 0; i < 64; i++) diff |= mine.charCodeAt(i) ^ d.charCodeAt(i);
  return diff === 0;
}
