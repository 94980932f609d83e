// One conformance suite for every LogStore backend (DESIGN.md "Durability"): what a
// commit writes reads back exactly, a commit out of order is refused and changes
// nothing, partial tiles are replaced, state records delete, and (LevelDB) everything
// survives close and reopen.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { MemoryStore } from '../../src/storage/memory.ts';
import { LevelStore } from '../../src/storage/level.ts';
import type { CommitBatch, LogStore } from '../../src/storage/types.ts';
import { tempDir } from '../helpers/server.ts';

const enc = new TextEncoder();
const hexOf = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : 'none');

function batch(fromSize: number, n: number, extra: Partial<CommitBatch> = {}): CommitBatch {
  const entries = Array.from({ length: n }, (_, i) => enc.encode(`entry ${fromSize + i}`));
  return {
    fromSize,
    entries,
    tiles: [{ l: 0, n: 0, data: new Uint8Array(32 * (fromSize + n)).fill(fromSize + n) }],
    ids: entries.map((_, i) => [`ev-${fromSize + i}`, fromSize + i] as [string, number]),
    traces: entries.map((_, i) => ['d:don', fromSize + i] as [string, number]),
    donations: [[fromSize, `don-${fromSize}`]],
    state: [[`k${fromSize}`, `{"v":${fromSize}}`]],
    head: { size: fromSize + n, checkpoint: `cp ${fromSize + n}\n` },
    ...extra,
  };
}

const backends: Array<[string, () => { store: LogStore; reopen?: () => LogStore }]> = [
  ['memory', () => ({ store: new MemoryStore() })],
  [
    'level',
    () => {
      const dir = path.join(tempDir(), 'store');
      return { store: new LevelStore(dir), reopen: () => new LevelStore(dir) };
    },
  ],
];

for (const [name, make] of backends) {
  const t = suite(`storage conformance: ${name}`);

  t('a new store is empty', async () => {
    const { store } = make();
    await store.open();
    assert.is(await store.head(), null);
    assert.equal(await store.entries(0, 10), []);
    assert.is(await store.seqOf('x'), undefined);
    assert.equal(await store.readTiles([{ l: 0, n: 0 }]), [undefined]);
    await store.close();
  });

  t('commits read back exactly', async () => {
    const { store } = make();
    await store.open();
    await store.commit(batch(0, 3));
    await store.commit(batch(3, 2, { state: [['k0', null], ['k3', '{"v":3}']] }));
    assert.equal((await store.head())!, { size: 5, checkpoint: 'cp 5\n' });
    const es = await store.entries(1, 10);
    assert.equal(es.map((e) => new TextDecoder().decode(e)), ['entry 1', 'entry 2', 'entry 3', 'entry 4']);
    assert.is(await store.seqOf('ev-4'), 4);
    assert.equal(await store.traceSeqs('d:don', 100), [0, 1, 2, 3, 4]);
    assert.equal(await store.traceSeqs('d:don', 2), [0, 1]);
    assert.equal(await store.traceSeqs('d:do', 100), []);
    // Read in pages: only seqs above `after`.
    assert.equal(await store.traceSeqs('d:don', 2, 1), [2, 3]);
    assert.equal(await store.traceSeqs('d:don', 100, 3), [4]);
    assert.equal(await store.traceSeqs('d:don', 100, 4), []);
    assert.equal(await store.traceSeqs('d:don', 100, -1), [0, 1, 2, 3, 4]);
    assert.equal(await store.recentDonations(10), [
      [3, 'don-3'],
      [0, 'don-0'],
    ]);
    assert.equal(await store.recentDonations(10, 3), [[0, 'don-0']]);
    // The partial tile was replaced by the wider one.
    const [tile] = await store.readTiles([{ l: 0, n: 0 }]);
    assert.is(tile!.length, 32 * 5);
    assert.is(hexOf(tile).slice(0, 2), '05');
    assert.is(await store.stateRecord('k0'), undefined);
    assert.is(await store.stateRecord('k3'), '{"v":3}');
    const recs: Array<[string, string]> = [];
    for await (const r of store.stateRecords()) recs.push(r);
    assert.equal(recs, [['k3', '{"v":3}']]);
    assert.is(await store.checkpointAt(3), 'cp 3\n');
    assert.is(await store.checkpointAt(5), 'cp 5\n');
    assert.is(await store.checkpointAt(4), undefined);
    await store.close();
  });

  t('state records: one batched read of many keys, prefix ranges in key order, paging past 1,000', async () => {
    const { store } = make();
    await store.open();
    const lots: Array<[string, string | null]> = [];
    // Queue positions as the codec writes them (n… before p…), shuffled into the batch.
    const keys = Array.from({ length: 1205 }, (_, i) => `lot/fa/${i < 5 ? 'n' + String(1e15 - 5 + i).padStart(15, '0') : 'p' + String(i - 5).padStart(15, '0')}`);
    for (const k of [...keys].reverse()) lots.push([k, `{"k":"${k}"}`]);
    lots.push(['lot/fab/p000000000000000', '"other fund"'], ['lot/f/p000000000000000', '"shorter id"'], ['fund/fa', '{}']);
    await store.commit(batch(0, 1, { state: lots }));
    await store.commit(batch(1, 1, { state: [[keys[7]!, null]] }));
    assert.equal(await store.getStateRecords([]), []);
    assert.equal(await store.getStateRecords(['fund/fa', 'nope', keys[0]!, keys[7]!, 'fund/fa']), ['{}', undefined, `{"k":"${keys[0]}"}`, undefined, '{}']);
    const front = await store.stateRange('lot/fa/', 10);
    assert.equal(front.map(([k]) => k), keys.filter((_, i) => i !== 7).slice(0, 10));
    assert.is(front[0]![1], `{"k":"${keys[0]}"}`);
    // From a key on (inclusive), across pages, never into fund "fab" or "f".
    const all: string[] = [];
    let from: string | undefined;
    for (;;) {
      const page = await store.stateRange('lot/fa/', 1000, from);
      const fresh = from === undefined ? page : page.slice(1);
      all.push(...fresh.map(([k]) => k));
      if (page.length < 1000) break;
      from = page[page.length - 1]![0];
    }
    assert.equal(all, keys.filter((_, i) => i !== 7));
    assert.equal((await store.stateRange('lot/fa/', 3, keys[6])).map(([k]) => k), [keys[6], keys[8], keys[9]]);
    assert.equal(await store.stateRange('lot/none/', 10), []);
    assert.equal(await store.stateRange('lot/fa/', 0), []);
    await store.close();
  });

  t('a commit that does not start at the head is refused and changes nothing', async () => {
    const { store } = make();
    await store.open();
    await store.commit(batch(0, 2));
    for (const bad of [batch(1, 2), batch(3, 1), { ...batch(2, 2), head: { size: 5, checkpoint: 'x' } }]) {
      try {
        await store.commit(bad);
        assert.unreachable('accepted a commit out of order');
      } catch (e) {
        assert.instance(e, Error);
        assert.not.instance(e, assert.Assertion);
      }
    }
    assert.is((await store.head())!.size, 2);
    assert.is((await store.entries(0, 10)).length, 2);
    await store.close();
  });

  t('what was committed survives close and reopen', async () => {
    const { store, reopen } = make();
    if (!reopen) return;
    await store.open();
    await store.commit(batch(0, 4));
    await store.close();
    const again = reopen();
    await again.open();
    assert.equal(await again.head(), { size: 4, checkpoint: 'cp 4\n' });
    assert.is((await again.entries(0, 10)).length, 4);
    await again.commit(batch(4, 1));
    assert.is((await again.head())!.size, 5);
    await again.close();
  });

  t.run();
}

// LevelDB specifics: the data directory is really on disk, and a foreign store is refused.
const lv = suite('storage: level specifics');
lv('refuses a directory whose format marker is not ours', async () => {
  const dir = path.join(tempDir(), 'store');
  const s = new LevelStore(dir);
  await s.open();
  await s.db.put('m', enc.encode('{"format":"other","version":9}'));
  await s.close();
  assert.ok(fs.existsSync(dir));
  const again = new LevelStore(dir);
  try {
    await again.open();
    assert.unreachable('opened a foreign store');
  } catch (e) {
    assert.match((e as Error).message, /unknown store format/);
  } finally {
    await again.close().catch(() => {});
  }
});
lv.run();
