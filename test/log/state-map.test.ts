// The state map the sequencer keeps (docs/wire-format-2.md §6, §10): after every batch the
// store holds the map's root at the log's size, and it is the root of the §10 records
// derived from the stored state records, computed from scratch; its proofs say where a
// donation's money is now and which keys an org has had; a failed commit leaves no map
// record of the batch behind; the root survives a reopen of a LevelDB store.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { generateKey, hex, mapNodesFromRecords, mapRootOf, proveMap, readMapRoot, verifyMapProof } from '@cotc/tlog';
import { mapRecordsOfAll, type Envelope } from '@cotc/ledger';
import { LogService } from '../../src/log/service.ts';
import { FaultyStore } from '../../src/storage/faulty.ts';
import { MemoryStore } from '../../src/storage/memory.ts';
import { LevelStore } from '../../src/storage/level.ts';
import type { LogStore } from '../../src/storage/types.ts';
import { cny, donor, ev, newOrg, sha, type Org } from '../helpers/events.ts';
import { tempDir } from '../helpers/server.ts';

const logKey = generateKey('map.example/log').signerKey;
const opKey = generateKey('operator');
const operator: Org = { id: 'operator', signerKey: opKey.signerKey, verifierKey: opKey.verifierKey };
const charity = newOrg('charity');
const payee = newOrg('payee');

/** The §10 records of a store, from scratch (every stored state record but the map's own). */
async function mapRecords(store: LogStore): Promise<Map<string, string>> {
  const stored: Array<[string, string]> = [];
  for await (const [k, v] of store.stateRecords()) if (!k.startsWith('map/')) stored.push([k, v]);
  return new Map(mapRecordsOfAll(stored));
}

async function checkRoot(store: LogStore): Promise<{ size: number; root: Uint8Array; records: Map<string, string> }> {
  const head = (await store.head())!;
  const root = await readMapRoot(mapNodesFromRecords(store), head.size);
  assert.ok(root, `no map root at size ${head.size}`);
  const records = await mapRecords(store);
  assert.is(hex(root!.hash), hex(mapRootOf(records)), `map root at size ${head.size}`);
  assert.is(root!.count, records.size);
  return { size: head.size, root: root!.hash, records };
}

function story(): Envelope[][] {
  const rotated = newOrg('charity');
  return [
    [
      ev(operator, 'org.register', { org: 'charity', name: 'Charity', roles: ['charity'], keys: [charity.verifierKey] }),
      ev(operator, 'org.register', { org: 'payee', name: 'Payee', roles: ['payee'], keys: [payee.verifierKey] }),
    ],
    [
      ev(charity, 'fund.open', { fund: 'f1', name: 'one', currency: 'CNY', restricted: false, purpose: 'p' }),
      ev(charity, 'fund.open', { fund: 'f2', name: 'two', currency: 'CNY', restricted: false, purpose: 'p' }),
      ev(charity, 'donation', { fund: 'f1', amount: cny(500), donor: donor('d1'), channel: 'c' }, 'd1'),
      ev(charity, 'donation', { fund: 'f1', amount: cny(300), donor: donor('d2'), channel: 'c' }, 'd2'),
    ],
    [ev(charity, 'transfer', { from: 'f1', to: 'f2', amount: cny(600), memo: 'm' }, 't1')],
    [
      ev(charity, 'disbursement', { fund: 'f2', amount: cny(550), payee: 'payee', purpose: 'p', receipts: [{ sha256: sha('a'), name: 'r.pdf' }] }, 'pay1'),
      ev(payee, 'confirmation', { disbursement: 'pay1', statement: 'done', evidence: [] }, 'c1'),
    ],
    [ev(charity, 'org.keys', { org: 'charity', add: [rotated.verifierKey], revoke: [charity.verifierKey] }, 'rot1')],
  ];
}

async function post(log: LogService, batch: Envelope[]): Promise<void> {
  const rs = await log.submitMany(batch);
  for (const r of rs) assert.ok(r.status === 201, JSON.stringify(r));
}

test('after every batch the stored map root is the root of the state records, from scratch; proofs say where a donation is', async () => {
  const store = new MemoryStore();
  const log = await LogService.open({ store, logKey, operatorKey: operator.signerKey });
  await checkRoot(store);
  const batches = story();
  for (const b of batches.slice(0, 4)) {
    await post(log, b);
    await checkRoot(store);
  }
  const { root, records } = await checkRoot(store);
  // d1's 500 went 500 → f2 by t1 (FIFO: d1 first), then 500 of the 550 paid: nothing of d1
  // is left; d2: 200 left in f1 (its own lot), 100 moved by t1, then 50 of it paid.
  assert.is(records.get('live/d1'), undefined);
  assert.equal(JSON.parse(records.get('live/d2')!), { lots: [{ fund: 'f1', pos: 1, value: '200', via: 'd2', viaSeq: 6 }, { fund: 'f2', pos: 1, value: '50', via: 't1', viaSeq: 7 }] });
  const head0 = (await store.head())!.size;
  assert.is(records.get('conf/pay1'), `[{"event":"c1","org":"payee","seq":${head0 - 1}}]`);
  const nodes = mapNodesFromRecords(store);
  const head = (await readMapRoot(nodes, (await store.head())!.size))!;
  const [d1, d2, k] = await proveMap(nodes, head, ['live/d1', 'live/d2', `orgkey/charity/${charity.verifierKey.split('+')[1]}`]);
  assert.ok(verifyMapProof(root, 'live/d1', null, d1!.proof).ok, 'absence of a spent donation');
  assert.ok(verifyMapProof(root, 'live/d2', records.get('live/d2')!, d2!.proof).ok, 'presence of the live lots');
  // A forged claim: d1 still live in f1.
  assert.not.ok(verifyMapProof(root, 'live/d1', '{"lots":[{"fund":"f1","pos":0,"value":"500","via":"d1"}]}', d1!.proof).ok);
  assert.equal(JSON.parse(records.get(`orgkey/charity/${charity.verifierKey.split('+')[1]}`)!), { addedSeq: 1, key: charity.verifierKey });
  assert.ok(k!.valueHash);
  await log.close();
});

test('a failed commit leaves no map record of its batch; the next batch builds on the committed root', async () => {
  for (const fault of ['fail-not-persisted', 'fail-midway'] as const) {
    const store = new FaultyStore(new MemoryStore());
    const log = await LogService.open({ store, logKey, operatorKey: operator.signerKey });
    const batches = story();
    await post(log, batches[0]!);
    await post(log, batches[1]!);
    const before = new Map<string, string>();
    for await (const [k, v] of store.stateRecords()) before.set(k, v);
    store.inject(fault);
    const [r] = await log.submitMany(batches[2]!);
    assert.is(r!.status, 503, fault);
    const after = new Map<string, string>();
    for await (const [k, v] of store.stateRecords()) after.set(k, v);
    assert.equal(after, before, `${fault}: the store's state records changed`);
    await post(log, batches[2]!);
    await post(log, batches[3]!);
    await checkRoot(store);
    await log.close();
  }
});

test('a LevelDB store keeps the map across a reopen, and an org key rotation updates only its keys', async () => {
  const dir = tempDir('cotc-map-');
  const file = path.join(dir, 'store');
  let log = await LogService.open({ store: new LevelStore(file), logKey, operatorKey: operator.signerKey });
  const batches = story();
  for (const b of batches.slice(0, 3)) await post(log, b);
  await log.close();
  log = await LogService.open({ store: new LevelStore(file), logKey, operatorKey: operator.signerKey });
  await post(log, batches[3]!);
  const before = await checkRoot(log.store);
  const rot = batches[4]![0]!;
  await post(log, [rot]);
  const after = await checkRoot(log.store);
  const id = charity.verifierKey.split('+')[1]!;
  const old = JSON.parse(after.records.get(`orgkey/charity/${id}`)!);
  assert.is(old.revokedSeq, after.size - 1);
  assert.is(JSON.parse(after.records.get('org/charity')!).keys, 2);
  // Only the org, its two keys' records (one revoked, one added) and meta changed.
  const changed = [...after.records].filter(([k, v]) => before.records.get(k) !== v).map(([k]) => k);
  assert.equal(changed.sort(), ['event/rot1', 'meta', 'org/charity', `orgkey/charity/${id}`, ...[...after.records.keys()].filter((k) => k.startsWith('orgkey/charity/') && !k.endsWith(id))].sort());
  await log.close();
});

test.run();
