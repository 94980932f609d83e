// A data directory with a few real entries: a charity registered by the operator, a fund,
// and `n` donations, posted through a real server (which is closed again).
import * as assert from 'uvu/assert';
import { testServer } from './server.ts';
import { cny, donor, ev, newOrg, type Org } from './events.ts';

export async function populate(dir: string, tag: string, n = 5): Promise<void> {
  const s = await testServer(dir);
  try {
    const op: Org = { id: 'operator', signerKey: s.operatorKey, verifierKey: '' };
    const ch = newOrg(`charity-${tag}`);
    const events = [
      ev(op, 'org.register', { org: ch.id, name: 'A charity', roles: ['charity'], keys: [ch.verifierKey] }),
      ev(ch, 'fund.open', { fund: `fund-${tag}`, name: 'Fund', currency: 'CNY', restricted: false, purpose: 'testing' }),
    ];
    for (let i = 0; i < n; i++) events.push(ev(ch, 'donation', { fund: `fund-${tag}`, amount: cny(100 + i), donor: donor(`${tag}-${i}`), channel: 'steps-for-charity' }) as never);
    const r = await s.client.post(events);
    assert.ok(r.body.every((x: { status: number }) => x.status === 201), JSON.stringify(r.body));
  } finally {
    await s.close();
  }
}
