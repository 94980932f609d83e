// What the page says happened to a step (src/web/client/facts.ts stepStates, issue 12:
// "an unconfirmed payment shows the same ✓ Verified as a confirmed one; a refunded
// donation never says refunded"), and the card text wrapping that replaced cutting
// purposes at 60 characters (diagram.ts wrapLines).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NodeResult } from '@cotc/verify';
import { stepStates, payeeName, fundName, orgName, type BundleFacts } from '../../src/web/client/facts.ts';
import { wrapLines, textEm } from '../../src/web/client/diagram.ts';

const n = (event: string, type: NodeResult['type'], extra: Partial<NodeResult> = {}): NodeResult => ({ event, type, index: 0, ok: true, problems: [], ...extra });

test('payments: delivered (by whom) only with a verified confirmation, else awaiting; returned when reversed', () => {
  const s = stepStates({
    nodes: [
      n('gift', 'donation'),
      n('pay-1', 'disbursement', { from: 'water' }),
      n('pay-2', 'disbursement'),
      n('pay-3', 'disbursement'),
      n('pay-4', 'disbursement', { from: 'water' }),
      n('conf-1', 'confirmation', { confirms: 'pay-1', signer: { org: 'auditors', key: 'k' } }),
      n('conf-3', 'confirmation', { confirms: 'pay-3', signer: { org: 'auditors', key: 'k' }, ok: false, problems: ['bad signature'] }),
      n('back-4', 'reversal', { reverses: 'pay-4' }),
    ],
  });
  assert.equal(s.get('pay-1'), { kind: 'delivered', by: ['auditors'] });
  assert.equal(s.get('pay-2'), { kind: 'awaiting' });
  assert.equal(s.get('pay-3'), { kind: 'awaiting' }, 'a failed confirmation proves no delivery');
  assert.equal(s.get('pay-4'), { kind: 'returned', fund: 'water' });
  assert.is(s.get('gift'), undefined);
});

test('a reversed donation is refunded; a reversed transfer moved back (a failed reversal counts for nothing)', () => {
  const s = stepStates({ nodes: [n('gift', 'donation'), n('t1', 'transfer', { from: 'general' }), n('t2', 'transfer'), n('r0', 'reversal', { reverses: 'gift' }), n('r1', 'reversal', { reverses: 't1' }), n('r2', 'reversal', { reverses: 't2', ok: false })] });
  assert.equal(s.get('gift'), { kind: 'refunded' });
  assert.equal(s.get('t1'), { kind: 'movedBack', fund: 'general' });
  assert.is(s.get('t2'), undefined);
});

test('names from the proven registrations, else the id; a free-text payee as written', () => {
  const facts: BundleFacts = { orgs: new Map([['aquapure', 'AquaPure Water Filters Co.']]), funds: new Map([['water', { name: 'Clean water', purpose: 'filters', restricted: true, owner: 'x' }]]) };
  assert.is(orgName(facts, 'aquapure'), 'AquaPure Water Filters Co.');
  assert.is(orgName(facts, 'nobody'), 'nobody');
  assert.is(fundName(facts, 'water'), 'Clean water');
  assert.is(payeeName(facts, { payee: 'aquapure', payeeRegistered: true }), 'AquaPure Water Filters Co.');
  assert.is(payeeName(facts, { payee: 'aquapure' }), 'aquapure', 'an unregistered payee is not given a registered name');
});

test('card text wraps at word boundaries (Thai and Chinese too) and is only cut past the line limit, with …', () => {
  const purpose = 'water filters for 236 rural schools in Yunnan province, installed and inspected';
  const lines = wrapLines(purpose, 13, 10);
  assert.ok(lines.length > 2);
  assert.is(lines.join(' '), purpose, 'nothing lost when it fits');
  for (const l of lines) assert.ok(textEm(l) <= 13, l);
  const cut = wrapLines(purpose, 13, 2);
  assert.is(cut.length, 2);
  assert.match(cut[1]!, /…$/);
  const zh = wrapLines('为云南省二百三十六所农村学校安装并检查净水器', 6, 10);
  assert.ok(zh.length >= 3 && zh.join('') === '为云南省二百三十六所农村学校安装并检查净水器', zh.join('|'));
  const th = wrapLines('เครื่องกรองน้ำสำหรับโรงเรียนในชนบทสองร้อยสามสิบหกแห่ง', 8, 10);
  assert.ok(th.length >= 2 && th.join('') === 'เครื่องกรองน้ำสำหรับโรงเรียนในชนบทสองร้อยสามสิบหกแห่ง', th.join('|'));
});

test.run();
