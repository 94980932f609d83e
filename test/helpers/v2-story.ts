// A small wire-format-2 story for verifier tests and vectors: every kind of hop a trace can
// have (a split donation, transfers across orgs and back, disbursements with and without
// confirmations, a reversed disbursement, a refund, a key rotation of the charity whose
// old key signed earlier hops, an operator-installed key) in a few batches.
import { donorCommitment } from '@cotc/ledger';
import { V2Log, sev, v2org, type V2LogOptions, type V2Org } from './v2-log.ts';

const cny = (v: number) => ({ currency: 'CNY', value: String(v) });
const sha = (c: string) => c.repeat(64).slice(0, 64);

export interface V2Story {
  log: V2Log;
  orgs: Record<'charity' | 'charity2' | 'school' | 'auditor' | 'filters' | 'opkey', V2Org>;
  /** Donation ids: d1 (the rich one), d2 (shares d1's lots), d3 (refunded). */
  ids: Record<string, string>;
}

export async function v2Story(opts: V2LogOptions = {}): Promise<V2Story> {
  const log = await V2Log.create(opts);
  const o = (id: string, label = id) => v2org(id, opts.seed?.(label));
  const charity = o('charity');
  const charity2 = o('charity', 'charity#2'); // the charity's next key
  const school = o('school');
  const auditor = o('auditor');
  const filters = o('filters');
  const opkey = o('school', 'school#operator-installed'); // a key the operator installs for the school
  const op = log.operator;
  const reg = (x: V2Org, roles: string[], name: string) => sev(op, 'org.register', { org: x.id, name, roles, keys: [x.verifierKey] }, `reg-${x.id}`);
  await log.batch([reg(charity, ['charity'], 'Sunshine Charity'), reg(school, ['charity', 'payee'], 'Rural Schools'), reg(auditor, ['auditor'], 'Field Auditors'), reg(filters, ['payee'], 'AquaPure Filters')]);
  await log.batch([
    sev(charity, 'fund.open', { fund: 'water', name: 'Water filters', currency: 'CNY', restricted: true, purpose: 'water filters for 236 schools' }, 'open-water'),
    sev(school, 'fund.open', { fund: 'school-water', name: 'School water', currency: 'CNY', restricted: true, purpose: 'install filters' }, 'open-school-water'),
    sev(charity, 'fund.open', { fund: 'meals', name: 'Meals', currency: 'CNY', restricted: false, purpose: 'meals for the elderly' }, 'open-meals'),
  ]);
  await log.batch([
    sev(charity, 'donation', { fund: 'water', amount: cny(1000), donor: donorCommitment('d1', 'secret-d1'), channel: 'goods-for-good' }, 'd1'),
    sev(charity, 'donation', { fund: 'water', amount: cny(500), donor: donorCommitment('d2', 'secret-d2'), channel: 'steps' }, 'd2'),
    sev(charity, 'donation', { fund: 'meals', amount: cny(300), donor: donorCommitment('d3', 'secret-d3'), channel: 'steps' }, 'd3'),
  ]);
  // d1 split: 600 of it goes to the school (with nothing of d2), then the charity rotates its key.
  await log.batch([sev(charity, 'transfer', { from: 'water', to: 'school-water', amount: cny(600), memo: 'first grant' }, 't1')]);
  await log.batch([sev(charity, 'org.keys', { org: 'charity', add: [charity2.verifierKey], revoke: [charity.verifierKey] }, 'rotate-charity')]);
  await log.batch([
    sev(charity2, 'transfer', { from: 'water', to: 'school-water', amount: cny(700), memo: 'second grant: the rest of d1 and 300 of d2' }, 't2'),
    sev(school, 'disbursement', { fund: 'school-water', amount: cny(800), payee: 'filters', purpose: '236 water filters', receipts: [{ sha256: sha('a'), name: 'invoice.pdf' }] }, 'pay1'),
  ]);
  await log.batch([
    sev(filters, 'confirmation', { disbursement: 'pay1', statement: '236 filters installed', evidence: [{ sha256: sha('b'), name: 'report.pdf' }] }, 'pay1-conf-filters'),
    sev(auditor, 'confirmation', { disbursement: 'pay1', statement: 'field visit: filters in use', evidence: [] }, 'pay1-conf-auditor'),
  ]);
  await log.batch([sev(op, 'org.keys', { org: 'school', add: [opkey.verifierKey], revoke: [] }, 'op-adds-school-key')]);
  await log.batch([
    sev(opkey, 'disbursement', { fund: 'school-water', amount: cny(300), payee: 'Pipe Co', purpose: 'pipes', receipts: [] }, 'pay2'),
  ]);
  await log.batch([sev(opkey, 'reversal', { event: 'pay2', reason: 'returned payment' }, 'rev-pay2')]);
  await log.batch([sev(charity2, 'reversal', { event: 'd3', reason: 'refund asked by the donor' }, 'refund-d3')]);
  // A last unrelated batch: entry N−1 is not one of the trace's.
  await log.batch([sev(charity2, 'fund.open', { fund: 'music', name: 'Music classrooms', currency: 'CNY', restricted: false, purpose: 'music classrooms' }, 'open-music')]);
  return { log, orgs: { charity, charity2, school, auditor, filters, opkey }, ids: { d1: 'd1', d2: 'd2', d3: 'd3' } };
}
