// `cotc verify <batch-id> --gift N [--receipt SECRET] [--json]` (issue 15): after the batch's
// trace verified (log → checkpoint, every hop), fetch gift N (GET /v1/batches/:id/gifts/:n)
// and check the rest offline with @cotc/verify's verifyGift: the gift → the batch total (the
// sum tree) → the batch entry the trace proved, the receipt (batch id, index, secret), and the
// gift's share of every hop. Prints the nested proof and the shares in the CLI's language
// (strings*.ts), or gives them to --json (giftJson); everything from the server goes through
// safeText.
import { verifyGift, type GiftResult } from '@cotc/verify';
import { ClientError, type LedgerClient } from '../client/client.ts';
import { formatAmount, say, usage, type Io } from './common.ts';
import { m } from './strings.ts';

/** The --gift value: a gift index (the receipt's). */
export function needGiftIndex(v: string): number {
  if (!/^(0|[1-9][0-9]{0,8})$/.test(v)) throw usage(m('gift.badIndex'));
  return Number(v);
}

export interface GiftStepResult {
  ok: boolean;
  /** the gift's problems (stable codes), empty when it verified */
  problems: Array<{ code: string; message: string }>;
  receipt: 'matched' | 'mismatch' | 'not_given';
  /** the `gift` member of verify --json */
  json: Record<string, unknown>;
}

/** The gift part of `verify --json` (README "Micro-donations in batches"). */
export function giftJson(g: GiftResult, batchId: string, index: number): Record<string, unknown> {
  return {
    batch: batchId,
    index,
    verified: g.ok,
    receipt: g.receipt,
    ...(g.gift && g.batch
      ? {
          amount: { currency: g.batch.currency, value: g.gift.amount },
          channel: g.gift.channel,
          measure: g.gift.measure,
          donor: g.gift.donor,
          total: { currency: g.batch.currency, value: g.batch.total },
          count: g.batch.count,
          root: g.batch.root,
          entry: g.batch.index,
        }
      : {}),
    steps: g.steps,
    shares: g.shares,
    held: g.held,
    problems: g.problems,
  };
}

/** The gift's lines: gift → batch total → log → checkpoint, then its share of every hop. */
export function giftLines(g: GiftResult): string[] {
  const lines: string[] = [];
  if (!g.batch || !g.gift) return lines;
  const amt = (value: string) => formatAmount({ currency: g.batch!.currency, value });
  lines.push(m('gift.head', { index: g.gift.index, batch: say(g.batch.id), amount: amt(g.gift.amount), channel: say(g.gift.channel), measure: say(g.gift.measure, 260) }));
  for (const s of g.steps) {
    const hash = `${say(s.hash, 64).slice(0, 16)}…`;
    lines.push(s.side === 'leaf' ? m('gift.step.leaf', { hash, sum: amt(s.sum) }) : m('gift.step.level', { level: s.level, hash, sum: amt(s.sum) }));
  }
  if (g.problems.some((p) => p.code !== 'receipt_mismatch')) return lines;
  lines.push(m('gift.step.total', { root: `${say(g.batch.root, 64).slice(0, 16)}…`, total: amt(g.batch.total), count: g.batch.count, entry: g.batch.index }));
  lines.push(m('gift.shares'));
  for (const s of g.shares) lines.push(m('gift.share', { from: say(s.from), to: say(s.to), share: amt(s.share), value: amt(s.value) }));
  for (const h of g.held) if (h.share !== '0') lines.push(m('gift.held', { fund: say(h.fund ?? h.event), event: say(h.event), share: amt(h.share), value: amt(h.unspent) }));
  return lines;
}

/** Verifies gift `index` of the batch against its verified bundle; prints its lines unless `json`. */
export async function verifyGiftStep(c: LedgerClient, batchId: string, index: number, secret: string | undefined, bundle: unknown, io: Io, json = false): Promise<GiftStepResult> {
  let answer: unknown;
  try {
    answer = await c.get(`/v1/batches/${encodeURIComponent(batchId)}/gifts/${index}`);
  } catch (e) {
    if (e instanceof ClientError && e.status !== undefined && e.status < 500) {
      const problem = { code: 'not_in_log', message: m('gift.notInLog', { index, batch: say(batchId), status: e.status, message: say(e.serverMessage ?? '', 300) }).trimEnd() };
      if (!json) io.out(`FAILED: ${problem.code}: ${problem.message}`);
      return { ok: false, problems: [problem], receipt: secret === undefined ? 'not_given' : 'mismatch', json: { batch: batchId, index, verified: false, problems: [problem] } };
    }
    throw usage(`--server: ${(e as Error).message}`);
  }
  const g = verifyGift({ answer, bundle: bundle as never, batchId, ...(secret !== undefined ? { receipt: { index, secret } } : {}) });
  const out: GiftStepResult = { ok: g.ok, problems: g.problems, receipt: g.receipt, json: giftJson(g, batchId, index) };
  if (json) return out;
  for (const l of giftLines(g)) io.out(l);
  if (!g.ok) {
    for (const p of g.problems) io.out(`FAILED: ${say(p.code, 64)}: ${say(p.message, 600)}`);
    return out;
  }
  // What left the batch: the gift's shares of the flows out of the batch itself.
  const moved = g.shares.filter((s) => s.from === batchId).reduce((a, s) => a + BigInt(s.share), 0n);
  const receipt = g.receipt === 'matched' ? m('gift.receipt') : '';
  const amt = (value: string) => formatAmount({ currency: g.batch!.currency, value });
  io.out(`VERIFIED: ${m('gift.verified', { index, batch: say(batchId), amount: amt(g.gift!.amount), total: amt(g.batch!.total), receipt, spent: amt(moved.toString()) })}`);
  return out;
}
