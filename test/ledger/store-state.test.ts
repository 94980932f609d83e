// The state machine over a store (issue 10, "The state lives in the store"): the same
// events judged by a complete in-memory state and by a store-backed one with a tiny cache
// and a tiny queue window give the very same answers and the very same records, batch
// after batch; evaluation that reaches past what is loaded asks for it (NeedRecords) and
// the caller loads and judges again; a dropped batch leaves the committed state.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { LedgerState, NeedRecords, type RecordSource } from '../../packages/ledger/src/state.ts';
import type { Envelope } from '../../packages/ledger/src/types.ts';
import { conf, contentHash, disb, don, rev, world, xfer, type Harness } from './state-harness.ts';

/** A Map of encoded records as a RecordSource (what the LogStore's state records are),
 * counting its reads. */
class MapSource implements RecordSource {
  reads = 0;
  constructor(readonly m: Map<string, string>) {}
  async getMany(keys: readonly string[]) {
    this.reads++;
    return keys.map((k) => this.m.get(k));
  }
  async range(prefix: string, limit: number, gte = prefix) {
    this.reads++;
    return [...this.m.keys()]
      .filter((k) => k.startsWith(prefix) && k >= gte)
      .sort()
      .slice(0, limit)
      .map((k) => [k, this.m.get(k)!] as [string, string]);
  }
}

/** Judges like the sequencer: prefetch, then apply, loading and retrying on NeedRecords. */
async function applyStored(s: LedgerState, e: Envelope, retries: { n: number }) {
  for (;;) {
    try {
      return s.apply(e, { seq: s.size, contentHash: contentHash(e), verify: () => true });
    } catch (x) {
      if (!(x instanceof NeedRecords)) throw x;
      retries.n++;
      await s.load(x);
    }
  }
}

function commit(changes: Array<[string, string | null]>, m: Map<string, string>) {
  for (const [k, v] of changes) (v === null ? m.delete(k) : m.set(k, v));
}

async function twin(h: Harness, opts = { cacheRecords: 6, window: 2 }) {
  const m = new Map<string, string>();
  commit(h.state.takeChanges(), m);
  const src = new MapSource(m);
  const s = await LedgerState.open(src, opts);
  assert.is(s.size, h.state.size);
  return { m, src, s };
}

const op = fc.oneof(
  fc.record({ k: fc.constant('don' as const), f: fc.integer({ min: 0, max: 2 }), v: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ k: fc.constant('xfer' as const), f: fc.integer({ min: 0, max: 2 }), g: fc.integer({ min: 0, max: 2 }), v: fc.integer({ min: 1, max: 90 }) }),
  fc.record({ k: fc.constant('disb' as const), f: fc.integer({ min: 0, max: 2 }), v: fc.integer({ min: 1, max: 90 }) }),
  fc.record({ k: fc.constant('rev' as const), t: fc.nat() }),
  fc.record({ k: fc.constant('conf' as const), t: fc.nat() }),
);
const FUNDS = [
  ['fa', 'A'],
  ['fa2', 'A'],
  ['fb', 'B'],
] as const;

test('random batches: a store-backed state (cache of 6 records, window of 2 lots) answers and writes exactly as the in-memory one', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 12 }), async (batches) => {
      const h = world();
      const { m, src, s } = await twin(h);
      const ids: string[] = [];
      let n = 0;
      const retries = { n: 0 };
      for (const b of batches) {
        const events = b.map((o) => {
          const id = `e${n++}`;
          const [f, owner] = FUNDS['f' in o ? o.f : 0]!;
          const t = ids.length ? ids[('t' in o ? o.t : 0) % ids.length]! : 'none';
          switch (o.k) {
            case 'don':
              return don(id, f, o.v, owner);
            case 'xfer':
              return xfer(id, f, FUNDS[o.g]![0], o.v, owner);
            case 'disb':
              return disb(id, f, o.v, owner);
            case 'rev':
              return rev(id, t, h.state.event(t)?.org ?? 'A');
            case 'conf':
              return conf(id, t, 'P');
          }
        });
        await s.prefetch(events);
        for (const e of events) {
          const want = h.post(e);
          const got = await applyStored(s, e, retries);
          assert.equal(got, want, `${e.id} (${e.type})`);
          if (want.ok && !('duplicate' in want)) ids.push(e.id);
        }
        const a = h.state.takeChanges();
        const c = s.takeChanges();
        assert.equal(c, a, 'the same records change, in the same order');
        commit(c, m);
        s.adopt();
      }
      // The store now holds exactly the in-memory state's records.
      assert.equal(new Map([...m].sort()), new Map([...h.state.records()].sort()));
      void src;
    }),
    { numRuns: 60 },
  );
});

test('a take past the loaded window asks for the rest; a dropped batch leaves the committed state', async () => {
  const h = world();
  for (let i = 0; i < 50; i++) h.ok(don(`d${i}`, 'fa', 2));
  const { m, src, s } = await twin(h, { cacheRecords: 10_000, window: 8 });
  const retries = { n: 0 };
  const e = disb('all', 'fa', 100);
  await s.prefetch([e]);
  const before = src.reads;
  const r = await applyStored(s, e, retries);
  assert.equal(r, h.post(e));
  // 50 lots, 8 per range read after the prefetched front window: 6 more reads, not 50.
  assert.ok(retries.n >= 5 && retries.n <= 7, `retries ${retries.n}`);
  assert.is(src.reads - before, retries.n);
  // The commit failed: drop. The committed state is back, with no reload.
  s.drop();
  const reads = src.reads;
  assert.is(s.size, h.state.size - 1);
  assert.is(s.fund('fa')!.balance, '100');
  assert.equal(s.takeChanges(), []);
  assert.is(src.reads, reads);
  // And the same event judges the same again, then commits.
  assert.equal(await applyStored(s, e, retries), { ok: true, effects: h.entries.at(-1)!.effects, donations: h.entries.at(-1)!.donations });
  commit(s.takeChanges(), m);
  s.adopt();
  assert.is(s.fund('fa')!.balance, '0');
});

test('start-up reads one record: meta', async () => {
  const h = world();
  for (let i = 0; i < 200; i++) h.ok(don(`d${i}`, 'fa', 1));
  const { src, s } = await twin(h);
  assert.is(src.reads, 1);
  assert.is(s.size, h.state.size);
  assert.is(s.operator, 'operator');
});

test.run();
