// A gift of a batch (issue 15, docs/gifts.md) verified through a trace bundle of wire format 2
// (docs/wire-format-2.md §11): verifyGift reads the batch's units off the bundle's proven
// effects (a v2 entry only commits to its effects), and gives the same shares as the hops'
// flows add up to.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hex } from '@cotc/tlog';
import { giftDonorCommitment, sumProof, sumTreeOfGifts, type GiftRecord } from '@cotc/ledger';
import { verifyBundle, verifyGift } from '@cotc/verify';
import { V2Log, sev, v2org } from '../helpers/v2-log.ts';
import { decodeEntry } from '../helpers/v2-tamper.ts';

const BATCH = 'steps-2020-batch-1';
const secret = (i: number) => `gift-secret-${i}`;

test('a gift of a batch verifies through a v2 bundle, with its share of every hop', async () => {
  const log = await V2Log.create();
  const platform = v2org('platform');
  const charity = v2org('charity');
  const op = log.operator;
  await log.batch([
    sev(op, 'org.register', { org: 'platform', name: 'Platform', roles: ['platform'], keys: [platform.verifierKey] }, 'reg-platform'),
    sev(op, 'org.register', { org: 'charity', name: 'Charity', roles: ['charity'], keys: [charity.verifierKey] }, 'reg-charity'),
  ]);
  await log.batch([
    sev(charity, 'fund.open', { fund: 'meals', name: 'Meals', currency: 'CNY', restricted: false, purpose: 'meals' }, 'open-meals'),
    sev(charity, 'fund.open', { fund: 'kitchen', name: 'Kitchen', currency: 'CNY', restricted: false, purpose: 'kitchen' }, 'open-kitchen'),
  ]);
  const gifts: GiftRecord[] = [3, 5, 7, 11, 13].map((a, i) => ({ amount: String(a), channel: 'steps-for-charity', donor: giftDonorCommitment(BATCH, i, secret(i)), measure: `${a * 5000} steps` }));
  const t = sumTreeOfGifts(gifts);
  await log.batch([sev(platform, 'gift.batch', { fund: 'meals', amount: { currency: 'CNY', value: '39' }, count: 5, root: hex(t.root) }, BATCH)]);
  await log.batch([sev(charity, 'donation', { fund: 'meals', amount: { currency: 'CNY', value: '100' }, donor: 'ab'.repeat(32), channel: 'c' }, 'other')]);
  await log.batch([sev(charity, 'transfer', { from: 'meals', to: 'kitchen', amount: { currency: 'CNY', value: '50' }, memo: 'm' }, 't1')]);
  await log.batch([sev(charity, 'disbursement', { fund: 'kitchen', amount: { currency: 'CNY', value: '20' }, payee: 'Shop', purpose: 'rice', receipts: [] }, 'pay1')]);
  const bundle = await log.bundle(BATCH);
  const vb = await verifyBundle(bundle, { logKey: log.logKey, donation: BATCH, engine: 'noble' });
  assert.equal(vb.problems, []);
  const entry = bundle.entries.find((e) => decodeEntry(e).event.id === BATCH)!;
  let shared = 0n;
  for (let i = 0; i < gifts.length; i++) {
    const answer = { batch: BATCH, gift: { index: i, record: gifts[i] }, proof: sumProof(t, i), entry: { index: entry.index, data: entry.data } };
    const g = verifyGift({ answer, bundle: bundle as never, batchId: BATCH, receipt: { index: i, secret: secret(i) } });
    assert.equal(g.problems, [], `gift ${i}`);
    assert.is(g.receipt, 'matched');
    shared += BigInt(g.shares.find((s) => s.from === BATCH && s.to === 't1')!.share);
  }
  // The batch's 39 went first in FIFO: all of it moved by t1, and the gifts' shares add up to that hop.
  assert.is(bundle.trace.flows.find((f) => f.from === BATCH && f.to === 't1')!.value, '39');
  assert.is(shared, 39n);
});

test.run();
