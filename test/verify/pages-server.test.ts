// Trace pages against a real server (issue 9; the server side is helper "limits"'s): a small
// page cap splits one donation's trace into many pages; fetchTraceBundle follows them and the
// merged bundle verifies, with the fund.open entries the server adds (internal moves marked).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchTraceBundle, formatTraceTree, isProblem, verifyBundle } from '@cotc/verify';
import { tempDir, testServer } from '../helpers/server.ts';
import { cny, donor, ev, newOrg, type Org } from '../helpers/events.ts';

test('a paged trace from the server: followed, merged, verified', async () => {
  const s = await testServer(tempDir(), { readLimits: { tracePageBytes: 3000 } });
  try {
    const operator: Org = { id: 'operator', signerKey: s.operatorKey, verifierKey: '' };
    const charity = newOrg('charity');
    const post = async (e: unknown) => {
      const r = await s.client.post(e);
      const list = Array.isArray(r.body) ? r.body : [r.body];
      for (const x of list) if ((x.status ?? r.status) >= 300) throw new Error(`post failed: ${JSON.stringify(r.body)}`);
    };
    await post(ev(operator, 'org.register', { org: 'charity', name: 'C', roles: ['charity'], keys: [charity.verifierKey] }));
    await post(ev(charity, 'fund.open', { fund: 'a', name: 'A', currency: 'CNY', restricted: true, purpose: 'p' }));
    await post(ev(charity, 'fund.open', { fund: 'b', name: 'B', currency: 'CNY', restricted: true, purpose: 'p' }));
    await post(ev(charity, 'donation', { fund: 'a', amount: cny(1000), donor: donor('dp'), channel: 'c' }, 'dp'));
    const batch = [];
    for (let i = 0; i < 30; i++) {
      batch.push(ev(charity, 'transfer', { from: 'a', to: 'b', amount: cny(2), memo: `move ${i}` }));
      batch.push(ev(charity, 'disbursement', { fund: 'b', amount: cny(1), payee: 'Supplier', purpose: `item ${i}`, receipts: [] }));
    }
    await post(batch);
    let pages = 0;
    const getJson = async (url: string) => {
      pages++;
      const r = await fetch(url);
      if (r.status !== 200) throw new Error(`${r.status} ${await r.text()}`);
      return r.json();
    };
    const b = await fetchTraceBundle(getJson, s.url, 'dp');
    assert.not.ok(isProblem(b), JSON.stringify(b));
    assert.ok(pages > 3, `${pages} pages`);
    const logKey = (await (await fetch(`${s.url}/v1/log`)).json()).key;
    const r = await verifyBundle(b, { logKey, donation: 'dp' });
    assert.equal(r.problems, []);
    const moves = r.nodes.filter((n) => n.type === 'transfer');
    assert.is(moves.length, 30);
    assert.ok(moves.every((n) => n.internal === true), 'the server sent both funds’ fund.open');
    assert.match(formatTraceTree(r), /moved between charity's own funds 30 times/);
  } finally {
    await s.close();
  }
});

test.run();
