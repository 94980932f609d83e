// `cotc verify <batch-id> --gift N [--receipt SECRET]` (issue 15): after the batch's trace
// verified (log → checkpoint, every hop), fetch gift N (GET /v1/batches/:id/gifts/:n) and
// check the rest offline with @cotc/verify's verifyGift: the gift → the batch total (the sum
// tree) → the batch entry the trace proved, the receipt (batch id, index, secret), and the
// gift's share of every hop. Prints the nested proof and the shares; everything from the
// server goes through safeText.
import { formatGift, verifyGift } from '@cotc/verify';
import { ClientError, type LedgerClient } from '../client/client.ts';
import { say, usage, type Io } from './common.ts';
import { m } from './strings.ts';

/** The --gift value: a gift index (the receipt's). */
export function needGiftIndex(v: string): number {
  if (!/^(0|[1-9][0-9]{0,8})$/.test(v)) throw usage(m('gift.badIndex'));
  return Number(v);
}

/** True when the gift verified; prints its lines (or FAILED lines). */
export async function verifyGiftStep(c: LedgerClient, batchId: string, index: number, secret: string | undefined, bundle: unknown, io: Io): Promise<boolean> {
  let answer: unknown;
  try {
    answer = await c.get(`/v1/batches/${encodeURIComponent(batchId)}/gifts/${index}`);
  } catch (e) {
    if (e instanceof ClientError && e.status !== undefined && e.status < 500) {
      io.out(`FAILED: not_in_log: ${m('gift.notInLog', { index, batch: say(batchId), status: e.status, message: say(e.serverMessage ?? '', 300) })}`.trimEnd());
      return false;
    }
    throw usage(`--server: ${(e as Error).message}`);
  }
  const g = verifyGift({ answer, bundle: bundle as never, batchId, ...(secret !== undefined ? { receipt: { index, secret } } : {}) });
  for (const l of formatGift(g, (x) => say(x, 200))) io.out(l);
  if (!g.ok) {
    for (const p of g.problems) io.out(`FAILED: ${say(p.code, 64)}: ${say(p.message, 600)}`);
    return false;
  }
  const spent = g.shares.reduce((a, s) => a + BigInt(s.share), 0n);
  const receipt = g.receipt === 'matched' ? m('gift.receipt') : '';
  io.out(`VERIFIED: ${m('gift.verified', { index, batch: say(batchId), amount: say(g.gift!.amount), currency: say(g.batch!.currency), total: say(g.batch!.total), receipt, spent: spent.toString() })}`);
  return true;
}
