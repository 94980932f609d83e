// The sequencer under injected storage faults (Sunlight/Tessera-style fakes): "failed and
// not persisted" answers 503 and appends nothing (the state rolls back, a retry is
// appended once); "failed but persisted" is found out and acknowledged; a store that is
// down refuses writes until it heals. And a reopened store that was tampered with is
// named, never served.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { generateKey } from '@cotc/tlog';
import { LogService } from '../../src/log/service.ts';
import { FaultyStore } from '../../src/storage/faulty.ts';
import { MemoryStore } from '../../src/storage/memory.ts';
import { LevelStore } from '../../src/storage/level.ts';
import { StoreCorruptError } from '../../src/storage/types.ts';
import { ev, newOrg, type Org } from '../helpers/events.ts';
import { tempDir } from '../helpers/server.ts';

const logKey = generateKey('test.example/log').signerKey;
const opKey = generateKey('operator');
const operator: Org = { id: 'operator', signerKey: opKey.signerKey, verifierKey: opKey.verifierKey };

async function open(store: FaultyStore | LevelStore | MemoryStore) {
  return LogService.open({ store, logKey, operatorKey: operator.signerKey });
}
const reg = (o: Org) => ev(operator, 'org.register', { org: o.id, name: o.id, roles: ['charity'], keys: [o.verifierKey] });

test('failed and not persisted: 503, nothing appended, the retry is appended once', async () => {
  const store = new FaultyStore(new MemoryStore());
  const log = await open(store);
  const a = newOrg('a');
  const cp = log.checkpoint;
  store.inject('fail-not-persisted');
  const r1 = await log.submit(reg(a));
  assert.is(r1.status, 503);
  assert.is(log.size, 1);
  assert.is(log.checkpoint, cp);
  assert.is(await log.org('a'), undefined);
  // The state rolled back: the same org can be registered, by the same event, once.
  const e = reg(a);
  const r2 = await log.submit(e);
  assert.is(r2.status, 201);
  assert.is((r2 as { seq: number }).seq, 1);
  const r3 = await log.submit(e);
  assert.is(r3.status, 200);
  assert.is(log.size, 2);
  await log.close();
});

/** A store that counts its state reads and refuses the full scan (issue 10: nothing at
 * start-up, recovery or after a failed commit reads every state record). */
class CountingStore extends MemoryStore {
  pointReads = 0;
  override async getStateRecords(keys: readonly string[]) {
    this.pointReads += keys.length;
    return super.getStateRecords(keys);
  }
  override stateRecords(): AsyncIterable<[string, string]> {
    throw new Error('stateRecords() called: a scan of every state record');
  }
}

test('start-up, a failed commit and recovery read a bounded number of state records, never all of them (issue 10)', async () => {
  const inner = new CountingStore();
  const store = new FaultyStore(inner);
  const log = await open(store);
  for (const o of ['p', 'q', 'r', 's', 't', 'u']) assert.is((await log.submit(reg(newOrg(o)))).status, 201);
  await log.close();
  inner.pointReads = 0;
  const again = await open(store); // old code: restore from stateRecords(), which throws here
  assert.is(again.size, 7);
  assert.is(inner.pointReads, 2, 'start-up reads the meta record and the state map root only');
  store.inject('fail-not-persisted');
  const e = reg(newOrg('v'));
  assert.is((await again.submit(e)).status, 503);
  // The overlay was dropped: the same event is judged again on the committed state.
  assert.is((await again.submit(e)).status, 201);
  await again.recover();
  assert.is(again.size, 8);
  // (the state map's update reads the pages along the batch's paths: a handful here)
  assert.ok(inner.pointReads < 40, `${inner.pointReads} state records read`);
  await again.close();
});

test('failed but persisted: the service finds the write and acknowledges it', async () => {
  const store = new FaultyStore(new MemoryStore());
  const log = await open(store);
  store.inject('fail-persisted');
  const e = reg(newOrg('b'));
  const r = await log.submit(e);
  assert.is(r.status, 201);
  assert.is(log.size, 2);
  assert.is((await log.submit(e)).status, 200);
  await log.close();
});

test('a store that is down refuses writes with 503 and recovers when it heals', async () => {
  const store = new FaultyStore(new MemoryStore());
  const log = await open(store);
  store.inject('down');
  const e = reg(newOrg('c'));
  assert.is((await log.submit(e)).status, 503);
  assert.ok(log.broken);
  assert.is((await log.submit(reg(newOrg('d')))).status, 503);
  store.heal();
  const r = await log.submit(e);
  assert.is(r.status, 201);
  assert.is(log.broken, null);
  assert.is(log.size, 2);
  await log.close();
});

async function tampered(mutate: (s: LevelStore) => Promise<void>): Promise<Error> {
  const dir = path.join(tempDir(), 'store');
  const log = await open(new LevelStore(dir));
  for (const o of ['e', 'f', 'g', 'h']) assert.is((await log.submit(reg(newOrg(o)))).status, 201);
  await log.close();
  const s = new LevelStore(dir);
  await s.open();
  await mutate(s);
  await s.close();
  try {
    const again = await open(new LevelStore(dir));
    await again.close();
  } catch (e) {
    return e as Error;
  }
  throw new Error('a tampered store was opened');
}

test('a tampered last entry is named at open', async () => {
  const e = await tampered(async (s) => {
    const key = 'e/' + (4).toString(16).padStart(16, '0');
    const v = await s.db.get(key);
    v![10] ^= 1;
    await s.db.put(key, v!);
  });
  assert.instance(e, StoreCorruptError);
  assert.match(e.message, /entry 4/);
});

test('a tampered tile is named at open', async () => {
  const e = await tampered(async (s) => {
    const key = 't/0/' + (0).toString(16).padStart(16, '0');
    const v = await s.db.get(key);
    v![0] ^= 1;
    await s.db.put(key, v!);
  });
  assert.instance(e, StoreCorruptError);
  assert.match(e.message, /root/);
});

test('a head whose checkpoint is not signed by the log key is named at open', async () => {
  const e = await tampered(async (s) => {
    const h = JSON.parse(new TextDecoder().decode((await s.db.get('h'))!));
    h.checkpoint = h.checkpoint.replace(/— (\S+) (\S)/, (_m: string, n: string, c: string) => `— ${n} ${c === 'A' ? 'B' : 'A'}`);
    await s.db.put('h', new TextEncoder().encode(JSON.stringify(h)));
  });
  assert.instance(e, StoreCorruptError);
  assert.match(e.message, /checkpoint/);
});

test.run();
