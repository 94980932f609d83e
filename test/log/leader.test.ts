// Many servers on one PostgreSQL database (issue 14 §2), in one process: exactly one
// sequences, the others serve reads from the database and refuse writes with 503 +
// Retry-After, /healthz and /v1/log say which role; a reader follows the head; when the
// sequencer goes away another takes over, and the one that stepped down appends nothing.
// (SIGKILL and SIGSTOP of real processes: test/log/failover.test.ts.)
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import type { PgStore } from '../../src/storage/postgres.ts';
import { freshDatabase, pgServers } from '../helpers/postgres.ts';
import { tempDir, testServer } from '../helpers/server.ts';
import { cny, donor, ev, type Org } from '../helpers/events.ts';

const servers = await pgServers();
const t = suite('leadership: many servers, one sequencer');
const fast = { intervalMs: 50, leaseMs: 1000 };

async function until(what: string, f: () => Promise<boolean> | boolean, ms = 30_000) {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

t('one sequences, the other reads, refuses writes with 503 + Retry-After, follows, and takes over', async () => {
  const db = await freshDatabase(servers!);
  const dir = tempDir();
  const a = await testServer(dir, { store: db.url, verifyThreads: 0, leader: fast });
  const b = await testServer(dir, { store: db.url, verifyThreads: 0, leader: fast });
  assert.is(a.leadership!.role, 'sequencer');
  assert.is(b.leadership!.role, 'reader');
  assert.is((await a.client.get<{ role: string }>('/healthz')).role, 'sequencer');
  assert.is((await b.client.get<{ role: string }>('/v1/log')).role, 'reader');
  const op: Org = { id: 'operator', signerKey: a.operatorKey, verifierKey: '' };
  const fund = ev(op, 'fund.open', { fund: 'lf', name: 'Leader fund', currency: 'CNY', restricted: false, purpose: 'testing' });
  const refused = await fetch(b.url + '/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fund) });
  assert.is(refused.status, 503);
  assert.is(refused.headers.get('retry-after'), '1');
  assert.is(((await refused.json()) as { error: { code: string } }).error.code, 'unavailable');
  assert.is((await a.client.post(fund)).status, 201);
  // The reader follows the head and serves what the sequencer wrote.
  await until('the reader to follow', () => b.log.size === 2);
  assert.is((await b.client.get<{ id: string }>('/v1/funds/lf')).id, 'lf');
  assert.is(await b.client.getText('/checkpoint'), a.log.checkpoint);
  // The sequencer goes away: the reader takes over and appends from where it was.
  await a.close();
  await until('the takeover', () => b.leadership!.role === 'sequencer');
  const d = ev(op, 'donation', { fund: 'lf', amount: cny(5), donor: donor('x'), channel: 'test' }, 'don-1');
  const r = await b.client.post(d);
  assert.is(r.status, 201, JSON.stringify(r.body));
  assert.is(b.log.size, 3);
  assert.is(b.leadership!.takeovers, 1);
  await b.close();
});

t('a sequencer that lost its term is fenced: its write answers 503, appends nothing, and it steps down', async () => {
  const db = await freshDatabase(servers!);
  const dir = tempDir();
  const a = await testServer(dir, { store: db.url, verifyThreads: 0, leader: fast });
  const b = await testServer(dir, { store: db.url, verifyThreads: 0, leader: fast });
  const op: Org = { id: 'operator', signerKey: fs.readFileSync(path.join(dir, 'operator.key'), 'utf8').trim(), verifierKey: '' };
  assert.is((await a.client.post(ev(op, 'fund.open', { fund: 'ff', name: 'F', currency: 'CNY', restricted: false, purpose: 'p' }))).status, 201);
  // What a paused sequencer sees when it wakes: the term moved on (b claimed it while a
  // still believes it leads).
  const store = b.log.store as PgStore;
  await store.claim();
  const r = await a.client.post(ev(op, 'donation', { fund: 'ff', amount: cny(1), donor: donor('y'), channel: 'test' }, 'fenced-1'));
  assert.is(r.status, 503, JSON.stringify(r.body));
  await until('the step-down', () => a.leadership!.role === 'reader');
  assert.is(a.leadership!.stepDowns, 1);
  assert.is((await fetch(b.url + '/v1/events/fenced-1')).status, 404);
  assert.is((await store.entries(0, 100)).length, 2, 'nothing appended by the fenced sequencer');
  assert.is((await store.head())!.size, 2);
  // Then the election runs again and either process may win it (a, having stepped down and
  // released its lock, can win it back): exactly one sequences, and both are healthy.
  await until('one sequencer again', () => [a, b].filter((s) => s.leadership!.role === 'sequencer').length === 1);
  for (const s of [a, b]) await until('healthy', async () => (await fetch(s.url + '/healthz')).status === 200);
  await a.close();
  await b.close();
});

if (servers) t.run();
