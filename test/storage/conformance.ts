// The storage conformance suite, one function for every LogStore backend (DESIGN.md
// "Durability"; src/storage/types.ts is the contract it pins):
//
//   import { conformance } from '../storage/conformance.ts';
//   conformance('postgres', async () => ({ store, reopen, removeEntry, cleanup }));
//
// `makeStore` is called once per case and must give a NEW, EMPTY store, not opened; the
// optional hooks widen what is checked:
//   reopen()          a second handle on the same store (after close): durability
//   removeEntry(seq)  deletes one entry behind the store's back (the store is open):
//                     what entries() answers for a range with a gap
//   cleanup()         runs after the case (drop a database, a schema)
// Each case closes the stores it opens. The suite registers a uvu suite named
// `storage conformance: NAME` and runs it.
//
// What it pins: commits read back exactly; a commit out of order is refused and changes
// nothing; partial tiles are replaced; state records delete; entries() never skips a
// gap; state ranges and the full state listing page past 1,000 records; and a fault
// injection run (FaultyStore, src/storage/faulty.ts): a commit that fails before, in the
// middle of, or after writing leaves all of the batch or none of it, a reopened store
// sees the old head (or, for a commit that landed, the new one), and a store that was
// down serves again once healed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FaultyStore } from '../../src/storage/faulty.ts';
import type { CommitBatch, LogStore } from '../../src/storage/types.ts';

export interface MadeStore {
  store: LogStore;
  reopen?: () => LogStore | Promise<LogStore>;
  removeEntry?: (seq: number) => Promise<void>;
  cleanup?: () => Promise<void>;
}

export type MakeStore = () => MadeStore | Promise<MadeStore>;

const enc = new TextEncoder();
const dec = new TextDecoder();
const hexOf = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : 'none');
const texts = (es: Uint8Array[]) => es.map((e) => dec.decode(e));
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => `entry ${a + i}`);

/** A batch of n entries after fromSize, with a posting of each kind and a state record. */
export function batch(fromSize: number, n: number, extra: Partial<CommitBatch> = {}): CommitBatch {
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

async function rejects(p: Promise<unknown>, what: string): Promise<Error> {
  const r = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (r === null) assert.unreachable(what);
  assert.instance(r, Error);
  assert.not.instance(r, assert.Assertion);
  return r as Error;
}

/** Everything batch(from, n, {state}) would have written is absent (the batch left nothing). */
async function assertNothingOf(store: LogStore, from: number, n: number, stateKeys: string[]): Promise<void> {
  assert.is((await store.head())!.size, from, 'head unchanged');
  assert.equal(await store.entries(from, n), [], 'no entry of the batch');
  assert.is(await store.checkpointAt(from + n), undefined, 'no checkpoint of the batch');
  for (let i = 0; i < n; i++) assert.is(await store.seqOf(`ev-${from + i}`), undefined, `no id posting ev-${from + i}`);
  assert.equal(await store.traceSeqs('d:don', 1000, from - 1), [], 'no trace posting');
  assert.is((await store.recentDonations(1))[0]?.[0] === from, false, 'no donation posting');
  assert.equal(await store.getStateRecords(stateKeys), stateKeys.map(() => undefined), 'no state record');
  const [tile] = await store.readTiles([{ l: 0, n: 0 }]);
  assert.is(tile!.length, 32 * from, 'the tile as it was');
}

async function assertAllOf(store: LogStore, from: number, n: number, state: Array<[string, string]>): Promise<void> {
  assert.equal(await store.head(), { size: from + n, checkpoint: `cp ${from + n}\n` });
  assert.equal(texts(await store.entries(from, n)), range(from, from + n));
  assert.is(await store.checkpointAt(from + n), `cp ${from + n}\n`);
  for (let i = 0; i < n; i++) assert.is(await store.seqOf(`ev-${from + i}`), from + i);
  assert.equal(await store.traceSeqs('d:don', 1000, from - 1), Array.from({ length: n }, (_, i) => from + i));
  assert.equal((await store.recentDonations(1))[0], [from, `don-${from}`]);
  assert.equal(await store.getStateRecords(state.map(([k]) => k)), state.map(([, v]) => v));
  const [tile] = await store.readTiles([{ l: 0, n: 0 }]);
  assert.is(tile!.length, 32 * (from + n));
}

export function conformance(name: string, makeStore: MakeStore): void {
  const t = suite(`storage conformance: ${name}`);
  /** Runs one case on a new store; closes what it opened; cleans up. */
  const each = (title: string, body: (m: MadeStore, opened: LogStore[]) => Promise<void>) =>
    t(title, async () => {
      const m = await makeStore();
      const opened: LogStore[] = [];
      try {
        await body(m, opened);
      } finally {
        for (const s of opened) await s.close().catch(() => {});
        await m.cleanup?.();
      }
    });
  const open = async (opened: LogStore[], s: LogStore) => {
    await s.open();
    opened.push(s);
    return s;
  };
  const reopened = async (m: MadeStore, opened: LogStore[], old: LogStore) => {
    await old.close();
    opened.splice(opened.indexOf(old), 1);
    return open(opened, await m.reopen!());
  };

  each('a new store is empty', async (m, opened) => {
    const store = await open(opened, m.store);
    assert.is(await store.head(), null);
    assert.equal(await store.entries(0, 10), []);
    assert.equal(await store.entries(0, 100), []);
    assert.is(await store.seqOf('x'), undefined);
    assert.equal(await store.traceSeqs('d:don', 10), []);
    assert.equal(await store.recentDonations(10), []);
    assert.equal(await store.readTiles([{ l: 0, n: 0 }]), [undefined]);
    assert.equal(await store.readTiles([]), []);
    assert.is(await store.checkpointAt(0), undefined);
    const recs: unknown[] = [];
    for await (const r of store.stateRecords()) recs.push(r);
    assert.equal(recs, []);
  });

  each('commits read back exactly', async (m, opened) => {
    const store = await open(opened, m.store);
    await store.commit(batch(0, 3));
    await store.commit(batch(3, 2, { state: [['k0', null], ['k3', '{"v":3}']] }));
    assert.equal((await store.head())!, { size: 5, checkpoint: 'cp 5\n' });
    assert.equal(texts(await store.entries(1, 10)), ['entry 1', 'entry 2', 'entry 3', 'entry 4']);
    assert.equal(texts(await store.entries(1, 100)), ['entry 1', 'entry 2', 'entry 3', 'entry 4']);
    assert.equal(await store.entries(5, 10), []);
    assert.equal(await store.entries(2, 0), []);
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
    assert.equal(await store.recentDonations(1), [[3, 'don-3']]);
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
  });

  each('entries() answers a prefix of the range: it stops at the first missing entry, never skips it', async (m, opened) => {
    if (!m.removeEntry) return; // the backend cannot lose an entry (memory)
    const store = await open(opened, m.store);
    await store.commit(batch(0, 40));
    await m.removeEntry(3);
    await m.removeEntry(25);
    // Short ranges (point reads in level.ts) and long ones (an iterator there) alike.
    assert.equal(texts(await store.entries(0, 10)), range(0, 3));
    assert.equal(texts(await store.entries(0, 40)), range(0, 3));
    assert.equal(await store.entries(3, 1), []);
    assert.equal(await store.entries(3, 30), []);
    assert.equal(texts(await store.entries(4, 30)), range(4, 25));
    assert.equal(texts(await store.entries(20, 10)), range(20, 25));
    assert.equal(texts(await store.entries(26, 100)), range(26, 40));
    assert.equal(texts(await store.entries(39, 5)), ['entry 39']);
    assert.equal(await store.entries(40, 5), []);
  });

  each('state records: one batched read of many keys, prefix ranges in key order, paging past 1,000', async (m, opened) => {
    const store = await open(opened, m.store);
    const lots: Array<[string, string | null]> = [];
    // Queue positions as the codec writes them (n… before p…), shuffled into the batch.
    const keys = Array.from({ length: 1205 }, (_, i) => `lot/fa/${i < 5 ? 'n' + String(1e15 - 5 + i).padStart(15, '0') : 'p' + String(i - 5).padStart(15, '0')}`);
    for (const k of [...keys].reverse()) lots.push([k, `{"k":"${k}"}`]);
    lots.push(['lot/fab/p000000000000000', '"other fund"'], ['lot/f/p000000000000000', '"shorter id"'], ['fund/fa', '{}']);
    await store.commit(batch(0, 1, { state: lots }));
    await store.commit(batch(1, 1, { state: [[keys[7]!, null]] }));
    const live = keys.filter((_, i) => i !== 7);
    assert.equal(await store.getStateRecords([]), []);
    assert.equal(await store.getStateRecords(['fund/fa', 'nope', keys[0]!, keys[7]!, 'fund/fa']), ['{}', undefined, `{"k":"${keys[0]}"}`, undefined, '{}']);
    // Many keys in one read (a batch's prefetch names thousands).
    const many = await store.getStateRecords(keys);
    assert.is(many.length, keys.length);
    assert.equal(many.filter((v) => v === undefined).length, 1);
    assert.is(many[1204], `{"k":"${keys[1204]}"}`);
    const front = await store.stateRange('lot/fa/', 10);
    assert.equal(front.map(([k]) => k), live.slice(0, 10));
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
    assert.equal(all, live);
    // One range read asked for more than 1,000 gets them all (a backend's own page size
    // is its business).
    const big = await store.stateRange('lot/fa/', 5000);
    assert.equal(big.map(([k]) => k), live);
    assert.equal((await store.stateRange('lot/fa/', 1100, keys[50])).map(([k]) => k), live.slice(49, 49 + 1100));
    assert.equal((await store.stateRange('lot/fa/', 3, keys[6])).map(([k]) => k), [keys[6], keys[8], keys[9]]);
    assert.equal(await store.stateRange('lot/none/', 10), []);
    assert.equal(await store.stateRange('lot/fa/', 0), []);
    // The full listing, in key order, past 1,000 records and past any page boundary.
    const listed: Array<[string, string]> = [];
    for await (const r of store.stateRecords()) listed.push(r);
    const expected = [...live.map((k) => [k, `{"k":"${k}"}`] as [string, string]), ['lot/fab/p000000000000000', '"other fund"'], ['lot/f/p000000000000000', '"shorter id"'], ['fund/fa', '{}']] as Array<[string, string]>;
    expected.sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
    assert.is(listed.length, expected.length);
    assert.equal(listed, expected);
  });

  each('a commit that does not start at the head is refused and changes nothing', async (m, opened) => {
    const store = await open(opened, m.store);
    await store.commit(batch(0, 2));
    for (const bad of [batch(1, 2), batch(3, 1), { ...batch(2, 2), head: { size: 5, checkpoint: 'x' } }]) {
      await rejects(store.commit(bad), 'accepted a commit out of order');
    }
    assert.is((await store.head())!.size, 2);
    assert.is((await store.entries(0, 10)).length, 2);
    assert.is(await store.checkpointAt(5), undefined);
    assert.is(await store.seqOf('ev-2'), undefined);
  });

  each('what was committed survives close and reopen', async (m, opened) => {
    if (!m.reopen) return;
    const store = await open(opened, m.store);
    await store.commit(batch(0, 4));
    const again = await reopened(m, opened, store);
    assert.equal(await again.head(), { size: 4, checkpoint: 'cp 4\n' });
    assert.is((await again.entries(0, 10)).length, 4);
    assert.is(await again.seqOf('ev-3'), 3);
    assert.is(await again.stateRecord('k0'), '{"v":0}');
    await again.commit(batch(4, 1));
    assert.is((await again.head())!.size, 5);
  });

  each('fault injection: a failed commit leaves all of its batch or none of it', async (m, opened) => {
    let store = new FaultyStore(await open(opened, m.store));
    /** A new handle on the same store (when the backend has one), behind a new FaultyStore. */
    const again = async () => {
      if (m.reopen) store = new FaultyStore(await reopened(m, opened, store.inner));
    };
    await store.commit(batch(0, 3));
    const stateOf = (from: number): Array<[string, string]> => [
      [`k${from}`, `{"v":${from}}`],
      [`s/${from}/a`, '"a"'],
      [`s/${from}/b`, '"b"'],
      [`s/${from}/c`, '"c"'],
    ];
    const b = (from: number) => batch(from, 3, { state: stateOf(from) });
    const keys = (from: number) => stateOf(from).map(([k]) => k);

    // Failed before anything was written, and failed in the middle of the batch (the
    // backend's reads of it throw half-way through its state writes): none of it, and a
    // reopened store sees the old head.
    for (const f of ['fail-not-persisted', 'fail-midway'] as const) {
      store.inject(f);
      await rejects(store.commit(b(3)), `a commit with ${f} resolved`);
      await assertNothingOf(store, 3, 3, keys(3));
      await again();
      await assertNothingOf(store, 3, 3, keys(3));
    }
    // The same batch again, now without a fault: all of it.
    await store.commit(b(3));
    await assertAllOf(store, 3, 3, stateOf(3));

    // Written, but the acknowledgement was lost: the store says it landed (and after a
    // reopen too), so the caller acknowledges it.
    store.inject('fail-persisted');
    await rejects(store.commit(b(6)), 'a commit with fail-persisted resolved');
    await assertAllOf(store, 6, 3, stateOf(6));
    await again();
    await assertAllOf(store, 6, 3, stateOf(6));

    // Down: every call fails, nothing is written; healed: it serves and takes the next batch.
    store.inject('down');
    await rejects(store.head(), 'a store that is down answered head()');
    await rejects(store.commit(b(9)), 'a store that is down took a commit');
    store.heal();
    await assertAllOf(store, 6, 3, stateOf(6));
    await store.commit(b(9));
    await assertAllOf(store, 9, 3, stateOf(9));
  });

  t.run();
}
