// The registry of event kinds: type → its rules. A new kind (e.g. a micro-donation batch)
// is one new file beside these and one line here.
import type { EventType } from '../../types.ts';
import type { EventKind } from '../kind.ts';
import { orgRegister } from './org-register.ts';
import { orgKeys } from './org-keys.ts';
import { fundOpen } from './fund-open.ts';
import { donation } from './donation.ts';
import { transfer } from './transfer.ts';
import { disbursement } from './disbursement.ts';
import { confirmation } from './confirmation.ts';
import { reversal } from './reversal.ts';
import { giftBatch } from './gift-batch.ts';

export const KINDS: { readonly [T in EventType]?: EventKind<T> } = {
  'org.register': orgRegister,
  'org.keys': orgKeys,
  'fund.open': fundOpen,
  donation,
  transfer,
  disbursement,
  confirmation,
  reversal,
  'gift.batch': giftBatch,
};
