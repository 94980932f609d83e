// The sequencer's queue is bounded (issue 9, "resource exhaustion"): while a commit is
// slow, writes beyond `maxQueue` events are refused at once — 503 `unavailable` with
// Retry-After over HTTP, as Tessera's pushback does — instead of piling up an unbounded
// backlog in memory. Nothing refused is appended; once the queue drains, writes pass.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKey } from '@cotc/tlog';
import { LogService, QueueFullError, MAX_QUEUE } from '../../src/log/service.ts';
import { MemoryStore } from '../../src/storage/memory.ts';
import type { CommitBatch } from '../../src/storage/types.ts';
import { createApp } from '../../src/http/app.ts';
import { ev, newOrg, type Org } from '../helpers/events.ts';

/** A store whose commits wait while the gate is shut (a slow disk). */
class GatedStore extends MemoryStore {
  #gate: Promise<void> | null = null;
  #open: (() => void) | null = null;
  commits = 0;
  shut() {
    this.#gate = new Promise((r) => (this.#open = r));
  }
  open_() {
    this.#open?.();
    this.#gate = null;
  }
  override async commit(b: CommitBatch) {
    if (this.#gate) await this.#gate;
    this.commits++;
    return super.commit(b);
  }
}

async function setup(maxQueue: number) {
  const logKey = generateKey('queue.test/log').signerKey;
  const operatorKey = generateKey('operator').signerKey;
  const store = new GatedStore();
  const log = await LogService.open({ store, logKey, operatorKey, maxQueue });
  const operator: Org = { id: 'operator', signerKey: operatorKey, verifierKey: '' };
  const reg = (id: string) => {
    const o = newOrg(id);
    return ev(operator, 'org.register', { org: id, name: id, roles: ['charity'], keys: [o.verifierKey] }, `reg-${id}`);
  };
  return { store, log, reg };
}

const tick = () => new Promise((r) => setTimeout(r, 20));
async function until(f: () => boolean, what: string) {
  for (let i = 0; i < 250 && !f(); i++) await tick();
  assert.ok(f(), what);
}

test('the default bound is finite', async () => {
  assert.ok(Number.isSafeInteger(MAX_QUEUE) && MAX_QUEUE >= 1000 && MAX_QUEUE <= 100_000);
  const err = await LogService.open({ store: new MemoryStore(), logKey: generateKey('x').signerKey, maxQueue: 0 }).catch((e) => e);
  assert.match(String(err), /maxQueue/);
});

test('in process: past maxQueue events waiting, a submission is refused whole (QueueFullError), never queued', async () => {
  const { store, log, reg } = await setup(5);
  store.shut();
  const first = log.submit(reg('q0')); // taken by the sequencer, stuck in its commit
  await tick();
  const more = [1, 2, 3, 4].map((i) => log.submit(reg(`q${i}`))); // queued: 5 admitted
  await tick();
  assert.is(log.queued, 5);
  let refused: unknown;
  await log.submit(reg('q5')).catch((e) => (refused = e));
  assert.instance(refused, QueueFullError);
  assert.is((refused as QueueFullError).retryAfter, 1);
  refused = undefined;
  await log.submitMany([reg('q6'), reg('q7')]).catch((e) => (refused = e));
  assert.instance(refused, QueueFullError, 'an array is refused whole');
  assert.is(log.queued, 5, 'nothing refused was taken');
  store.open_();
  const results = await Promise.all([first, ...more]);
  assert.equal(results.map((r) => r.status), [201, 201, 201, 201, 201]);
  assert.is(log.queued, 0);
  assert.is(log.size, 6, 'entry 0 and the five admitted; none of the refused');
  assert.is(await log.store.seqOf('reg-q5'), undefined);
  assert.is((await log.submit(reg('q5'))).status, 201, 'accepted once the queue drained');
  // A submission larger than the bound passes alone, on an idle log.
  const big = await log.submitMany([8, 9, 10, 11, 12, 13, 14].map((i) => reg(`q${i}`)));
  assert.ok(big.every((r) => r.status === 201));
  await log.close();
});

test('over HTTP: 503 unavailable with Retry-After while the queue is full', async () => {
  const { store, log, reg } = await setup(3);
  const server = http.createServer(createApp({ log }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`;
  const post = (body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  try {
    store.shut();
    const waiting = [post(reg('h0')), post([reg('h1'), reg('h2')])];
    await until(() => log.queued === 3, 'three events admitted');
    const r = await post(reg('h3'));
    assert.is(r.status, 503);
    assert.is(r.headers.get('retry-after'), '1');
    const body = await r.json();
    assert.is(body.error.code, 'unavailable');
    assert.match(body.error.message, /queue is full/);
    const m = await (await fetch(url.replace('/v1/events', '/metrics'))).text();
    assert.match(m, /^cotc_sequencer_queued_events 3$/m);
    assert.match(m, /^cotc_events_rejected_total\{code="unavailable"\} 1$/m);
    store.open_();
    const ok = await Promise.all(waiting);
    assert.equal(ok.map((x) => x.status), [201, 200]);
    assert.is((await post(reg('h3'))).status, 201);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await log.close();
  }
});

test.run();
