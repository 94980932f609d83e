// What gift.ts takes from @cotc/ledger, in one place, plus the parse of a proven entry.
import { fromBase64 } from '@cotc/tlog';
import { parseIJsonBytes, type Entry } from '@cotc/ledger';
export { batchUnits, checkGiftReceipt, flowKey, giftUnits, shareOf, verifyGiftProof } from '@cotc/ledger';
export type { Entry, Envelope, GiftStep } from '@cotc/ledger';

/** The entry in base64 entry bytes (already proven by verifyBundle), or null when it does not parse. */
export function fromBase64Entry(data: string): Entry | null {
  try {
    return parseIJsonBytes(fromBase64(data)) as Entry;
  } catch {
    return null;
  }
}
