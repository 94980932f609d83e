// The demo's micro-donation days (issue 15, docs/gifts.md): Goods for Good sale days and
// Steps for Charity days, each day's gifts of one channel posted as one gift.batch by the
// platform (the batch file stored under DIR/batches first, as POST /v1/batches does), into
// two campaign funds of their own; then each campaign grants to a local partner, who pays a
// supplier and has the delivery confirmed, so a gift's trace shows its share of every hop.
//
// Why funds of their own, opened after the year's donations were spent: the donations'
// story (their seqs, traces and the README's examples) stays exactly as it was with or
// without gifts, whatever --gifts N is.
//
// Deterministic given the seed, like the rest of the demo: amounts, measures and every
// gift's receipt secret (derived from the seed, the batch id and the index: fine for a demo,
// never for real gifts, whose secrets the platform draws at random for each giver).
import { createHash } from 'node:crypto';
import { GiftStore } from '../gifts/store.ts';
import type { GiftRecord } from '@cotc/ledger';

/** Gifts in one batch at most: a day's gifts of a channel beyond it make more days. */
export const GIFTS_PER_BATCH = 100_000;
export const DEFAULT_GIFTS = 1_000;
export const MAX_GIFTS_DEMO = 20_000_000;

const counted = (n: number, one: string, many: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
/** CNY 1,800 a filter installed, CNY 15 a meal */
const filters = (fen: number) => counted(Math.max(1, Math.floor(fen / 180_000)), 'water filter', 'water filters');
const meals = (fen: number) => counted(Math.max(1, Math.floor(fen / 1_500)), 'hot meal', 'hot meals');

/** The two campaign funds the gift days give to, their owners, and where the money goes. */
export const GIFT_CAMPAIGNS = [
  {
    channel: 'goods-for-good',
    prefix: 'gfg',
    fund: { id: 'goods-for-good-water-2020', owner: 'sunshine-childrens-foundation', name: 'Goods for Good days: clean water for schools', purpose: 'water filters for rural schools, from the shares of Goods for Good sales' },
    partner: { id: 'yunnan-schools-water-gifts', owner: 'yunnan-rural-schools', name: 'Yunnan schools: water filters from Goods for Good days', purpose: 'buying and installing water filters in more partner schools' },
    payee: 'aquapure-filters',
    purpose: (fen: number) => `${filters(fen)} for more partner schools (Goods for Good days)`,
    statement: (fen: number) => `${filters(fen)} installed and tested in partner schools`,
    evidence: 'installation-report',
  },
  {
    channel: 'steps-for-charity',
    prefix: 'sfc',
    fund: { id: 'steps-for-charity-meals-2020', owner: 'silver-years-elderly-care', name: 'Steps for Charity days: meals for elderly people living alone', purpose: 'hot meals for elderly people living alone, from the steps walked on Steps for Charity days' },
    partner: { id: 'chengdu-meals-alone-steps', owner: 'chengdu-neighbourhood-centre', name: 'Chengdu: meals from Steps for Charity days', purpose: 'daily hot meals for elderly people living alone' },
    payee: 'sunrise-kitchen',
    purpose: (fen: number) => `${meals(fen)} delivered to elderly people living alone (Steps for Charity days)`,
    statement: (fen: number) => `${meals(fen)} delivered`,
    evidence: 'delivery-log',
  },
] as const;

const ITEMS = ['tea-001', 'rice-5kg', 'school-bag', 'water-bottle', 'notebook-set', 'wool-scarf', 'honey-500g', 'rain-boots', 'desk-lamp', 'toy-xylophone'];
/** Sale days (Goods for Good) and walking days (Steps for Charity) of 2020, in order; more days follow on from the last. */
const DAYS = ['2020-06-18', '2020-08-08', '2020-09-09', '2020-10-01', '2020-11-11', '2020-12-12'];

/** The demo's receipt secret of a gift: base64url(SHA-256(seed, batch id, index)), 43 characters. */
export function demoGiftSecret(seed: number, batchId: string, index: number): string {
  return createHash('sha256').update(`cotc-demo-gift-receipt-v1\n${seed}\n${batchId}\n${index}`, 'utf8').digest('base64url');
}

/** giftDonorCommitment (packages/ledger/src/gifts/record.ts) with node:crypto: the demo makes millions. */
export function demoGiftDonor(batchId: string, index: number, secret: string): string {
  return createHash('sha256').update(`cotc-gift-donor-v1\n${batchId}\n${index}\n${secret}`, 'utf8').digest('hex');
}

/** The day of the k-th day of gifts: the named days first, then one day after another. */
export function giftDay(k: number): string {
  if (k < DAYS.length) return DAYS[k]!;
  const d = new Date(Date.parse(`${DAYS[DAYS.length - 1]!}T00:00:00Z`) + (k - DAYS.length + 1) * 86_400_000);
  return d.toISOString().slice(0, 10);
}

export interface GiftBatchPlan {
  id: string;
  channel: string;
  fund: string;
  count: number;
}

/** How N gifts are split: each day one batch per channel, at most GIFTS_PER_BATCH gifts a batch. */
export function planGiftDays(n: number, perBatch = GIFTS_PER_BATCH): GiftBatchPlan[] {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_GIFTS_DEMO) throw new RangeError(`gifts: expected an integer from 0 to ${MAX_GIFTS_DEMO}, got ${n}`);
  if (!Number.isSafeInteger(perBatch) || perBatch < 1) throw new RangeError(`perBatch: expected a positive integer, got ${perBatch}`);
  if (n === 0) return [];
  const batches = Math.max(2, 2 * Math.ceil(n / (2 * perBatch)));
  const out: GiftBatchPlan[] = [];
  for (let b = 0; b < batches; b++) {
    const c = GIFT_CAMPAIGNS[b % 2]!;
    // the first batches take one gift more when n does not divide evenly
    const count = Math.floor(n / batches) + (b < n % batches ? 1 : 0);
    if (count === 0) continue;
    out.push({ id: `${c.prefix}-day-${giftDay(b >> 1)}`, channel: c.channel, fund: c.fund.id, count });
  }
  return out;
}

/** mulberry32 seeded from a text through SHA-256 (the demo's prng, keyed per batch). */
function prngOf(text: string): () => number {
  let a = createHash('sha256').update(text, 'utf8').digest().readUInt32BE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The gift records of one batch. Goods for Good: a share of one sale, CNY 0.01–3.00;
 * Steps for Charity: 1,000 to 30,000 steps at CNY 2.00 per 10,000 steps (CNY 0.20–6.00).
 */
export function makeGiftRecords(seed: number, plan: GiftBatchPlan): GiftRecord[] {
  const rnd = prngOf(`cotc-demo-gifts-v1\n${seed}\n${plan.id}`);
  const out: GiftRecord[] = new Array(plan.count);
  const steps = plan.channel === 'steps-for-charity';
  for (let i = 0; i < plan.count; i++) {
    const u = rnd();
    const donor = demoGiftDonor(plan.id, i, demoGiftSecret(seed, plan.id, i));
    if (steps) {
      const walked = 1_000 + Math.floor(u * u * 29_001);
      out[i] = { amount: String(Math.floor(walked / 50)), channel: plan.channel, donor, measure: `steps:${walked}` };
    } else {
      out[i] = { amount: String(1 + Math.floor(u * u * 300)), channel: plan.channel, donor, measure: `item:${ITEMS[Math.floor(rnd() * ITEMS.length)]!}` };
    }
  }
  return out;
}

/** Builds and stores one batch's file; answers what its gift.batch commits to. */
export function storeGiftBatch(store: GiftStore, records: GiftRecord[]): { root: string; count: number; total: string } {
  const s = store.put(records);
  return { root: s.root, count: s.count, total: s.total };
}
