// The gift view of the donor page (issue 15, docs/gifts.md): a gift receipt (batch id, the
// gift's index or its donor commitment, the secret after #) opens one gift of a batch. The
// batch's trace is verified as a donation's is (log → checkpoint, every hop); then gift.ts
// of @cotc/verify checks the rest here, offline: the gift → the batch total (the sum tree),
// the batch entry the trace proved, the receipt, and the gift's share of every hop. This
// file draws that: the nested proof, the shares as a list, and what the diagram marks.
import { verifyGift, type GiftResult } from '@cotc/verify';
import { t } from '../strings.ts';
import { getJson } from './api.ts';
import { h, u } from './dom.ts';
import { money, num } from './locale.ts';
import { fundName, type BundleFacts } from './facts.ts';

/** What the address says about the gift: `gift=<index>` or `gift=<64 hex donor commitment>`. */
export const GIFT_REF = /^(0|[1-9][0-9]{0,8}|[0-9a-f]{64})$/;

/** The gift's share of every flow ("from>to") and of what each hop still holds (by event), for the diagram. */
export interface GiftMarks {
  amount: string;
  flows: Map<string, string>;
  held: Map<string, string>;
}

/** This gift's part of a step (issue 15): of the batch, the gift itself; of a hop, its share of what flowed in. */
export function giftShareOf(mine: GiftMarks, event: string, type: string, flows: ReadonlyArray<{ from: string; to: string }>): string | null {
  if (type === 'gift.batch') return mine.amount;
  let sum = 0n;
  let any = false;
  for (const f of flows) {
    if (f.to !== event) continue;
    const x = mine.flows.get(`${f.from}>${f.to}`);
    if (x !== undefined) {
      sum += BigInt(x);
      any = true;
    }
  }
  return any ? sum.toString() : null;
}
export const flowMark = (from: string, to: string) => `${from}>${to}`;

export function giftMarks(g: GiftResult): GiftMarks | undefined {
  if (!g.ok || !g.gift) return undefined;
  return {
    amount: g.gift.amount,
    flows: new Map(g.shares.map((s) => [flowMark(s.from, s.to), s.share])),
    held: new Map(g.held.map((x) => [x.event, x.share])),
  };
}

/** Fetches gift `ref` of the batch and verifies it against the batch's verified bundle. */
export async function loadGift(server: string, batchId: string, ref: string, bundle: unknown, secret: string | undefined): Promise<GiftResult> {
  const answer = await getJson<{ proof?: { index?: unknown } }>(server, `/v1/batches/${encodeURIComponent(batchId)}/gifts/${ref}`);
  // By commitment the index comes from the proof: the commitment binds it, so the receipt check still holds.
  const index = /^[0-9]+$/.test(ref) ? Number(ref) : typeof answer?.proof?.index === 'number' ? answer.proof.index : -1;
  return verifyGift({ answer, bundle: bundle as never, batchId, ...(secret ? { receipt: { index, secret } } : {}) });
}

/** The gift panel: what the gift is, whether the receipt opens it, the nested proof, and its share of every hop. */
export function giftPanel(g: GiftResult, facts: BundleFacts, checkpointSize: number): HTMLElement {
  const sec = h('section', { id: 'gift', class: `panel gift ${g.ok ? 'ok' : 'bad'}`, 'aria-labelledby': 'gift-title', 'data-ok': String(g.ok) });
  const cur = g.batch?.currency ?? '';
  sec.append(h('h2', { id: 'gift-title' }, g.ok ? '✓ ' : '✗ ', t('gift.title', { index: g.gift ? num(g.gift.index) : '?', batch: u(g.batch?.id ?? '') })));
  if (g.gift && g.batch) {
    const row = (k: string, v: string | Node, id?: string) => [h('div', { class: 'fact', id: id ?? null }, h('dt', {}, k), h('dd', {}, v))];
    sec.append(
      h(
        'dl',
        { class: 'facts' },
        ...row(t('gift.amount'), money(g.gift.amount, cur), 'gift-amount'),
        ...row(t('gift.channel'), u(g.gift.channel)),
        ...row(t('gift.measure'), u(g.gift.measure, 260)),
        ...row(t('gift.inBatch'), t('gift.inBatchText', { total: money(g.batch.total, cur), count: num(g.batch.count) })),
      ),
    );
  }
  const receipt =
    g.receipt === 'matched'
      ? h('p', { id: 'gift-receipt', class: 'receipt ok', 'data-receipt': 'matched' }, h('span', { 'aria-hidden': 'true' }, '✓ '), t('gift.receipt.matched'))
      : g.receipt === 'mismatch'
        ? h('p', { id: 'gift-receipt', class: 'receipt bad', 'data-receipt': 'mismatch' }, h('span', { 'aria-hidden': 'true' }, '? '), t('gift.receipt.mismatch'))
        : h('p', { id: 'gift-receipt', class: 'receipt none', 'data-receipt': 'not_given' }, t('gift.receipt.notGiven'));
  sec.append(receipt);
  if (g.problems.length) {
    sec.append(h('ul', { class: 'node-problems', id: 'gift-problems' }, ...g.problems.map((p) => h('li', { 'data-code': p.code }, h('code', { class: 'code' }, p.code), ' ', u(p.message, 600)))));
  }

  // gift → batch total → log → checkpoint
  if (g.steps.length && g.batch) {
    const ol = h('ol', { class: 'gift-proof', id: 'gift-proof' });
    for (const s of g.steps) {
      const hash = h('code', { class: 'hash' }, u(s.hash, 64).slice(0, 16), '…');
      if (s.side === 'leaf') ol.append(h('li', { 'data-step': 'leaf' }, t('gift.proof.leaf', { amount: money(s.sum, cur) }), ' ', hash));
      else ol.append(h('li', { 'data-step': String(s.level) }, t('gift.proof.level', { level: num(s.level), sum: money(s.sum, cur) }), ' ', hash));
    }
    const ok = g.problems.every((p) => p.code === 'receipt_mismatch');
    if (ok) {
      ol.append(
        h('li', { 'data-step': 'total' }, t('gift.proof.total', { total: money(g.batch.total, cur), count: num(g.batch.count) }), ' ', h('code', { class: 'hash' }, u(g.batch.root, 64).slice(0, 16), '…')),
        h('li', { 'data-step': 'log' }, t('gift.proof.log', { index: g.batch.index })),
        h('li', { 'data-step': 'checkpoint' }, t('gift.proof.checkpoint', { size: num(checkpointSize) })),
      );
    }
    sec.append(h('h3', {}, t('gift.proof.title')), ol);
  }

  // the gift's share of every hop, in words
  if (g.ok) {
    const ul = h('ul', { class: 'gift-shares', id: 'gift-shares' });
    for (const s of g.shares) {
      ul.append(h('li', { 'data-from': s.from, 'data-to': s.to, 'data-share': s.share }, t('gift.share.flow', { from: u(s.from), to: u(s.to), share: money(s.share, cur), value: money(s.value, cur) })));
    }
    for (const x of g.held) {
      if (x.share === '0') continue;
      ul.append(h('li', { 'data-held': x.event, 'data-share': x.share }, t('gift.share.held', { fund: u(fundName(facts, x.fund ?? '')), share: money(x.share, cur), value: money(x.unspent, cur) })));
    }
    sec.append(h('h3', {}, t('gift.share.title')), h('p', { class: 'muted' }, t('gift.share.rule')), ul);
  }
  return sec;
}
