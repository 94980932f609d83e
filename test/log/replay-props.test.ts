// Replay from entry 0 equals the live log (issue 3 §4): for random sequences of events
// posted through the real sequencer (real signatures, group commit), replaying the stored
// entries gives the checkpoint's root, the same state records as the store, and no
// problem; and flipping any one byte of any one entry makes replay name that entry.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { generateKey, hex, mapNodesFromRecords, mapRootOf, openNote, parseCheckpoint, readMapRoot } from '@cotc/tlog';
import { mapRecordsOfAll, replay } from '@cotc/ledger';
import { LogService } from '../../src/log/service.ts';
import { MemoryStore } from '../../src/storage/memory.ts';
import { verifyStrictNode } from '../../src/crypto/ed25519-node.ts';
import { cny, donor, ev, newOrg, type Org } from '../helpers/events.ts';
import { audit } from '../../src/audit/audit.ts';
import type { AuditSource } from '../../src/audit/audit.ts';

const logKey = generateKey('replay.example/log');
const opKey = generateKey('operator');
const operator: Org = { id: 'operator', signerKey: opKey.signerKey, verifierKey: opKey.verifierKey };
const orgs = [newOrg('alpha'), newOrg('beta')];

type Op = { kind: 'donate' | 'transfer' | 'disburse' | 'refund'; a: number; b: number; v: number };
const opArb = fc.record({ kind: fc.constantFrom('donate', 'donate', 'transfer', 'disburse', 'refund'), a: fc.nat(3), b: fc.nat(3), v: fc.integer({ min: 1, max: 500 }) }) as fc.Arbitrary<Op>;

async function build(ops: Op[]) {
  const store = new MemoryStore();
  const log = await LogService.open({ store, logKey: logKey.signerKey, operatorKey: operator.signerKey, maxBatch: 7 });
  const setup = [
    ...orgs.map((o) => ev(operator, 'org.register', { org: o.id, name: o.id, roles: ['charity'], keys: [o.verifierKey] })),
    ...[0, 1, 2, 3].map((i) => ev(orgs[i % 2]!, 'fund.open', { fund: `f${i}`, name: `fund ${i}`, currency: 'CNY', restricted: false, purpose: 'p' })),
  ];
  for (const e of setup) assert.is((await log.submit(e)).status, 201);
  const donations: string[] = [];
  const pending: Promise<unknown>[] = [];
  let n = 0;
  for (const op of ops) {
    const from = `f${op.a}`;
    const owner = orgs[op.a % 2]!;
    let e;
    if (op.kind === 'donate') {
      const id = `don-${n++}`;
      donations.push(id);
      e = ev(owner, 'donation', { fund: from, amount: cny(op.v), donor: donor(id), channel: 'c' }, id);
    } else if (op.kind === 'transfer') {
      e = ev(owner, 'transfer', { from, to: `f${op.b}`, amount: cny(op.v), memo: 'm' });
    } else if (op.kind === 'disburse') {
      e = ev(owner, 'disbursement', { fund: from, amount: cny(op.v), payee: 'someone', purpose: 'p', receipts: [] });
    } else {
      const target = donations[op.b % Math.max(1, donations.length)];
      if (!target) continue;
      e = ev(operator, 'reversal', { event: target, reason: 'refund' });
    }
    // Submitted concurrently: group commit batches them, many are rightly refused.
    pending.push(log.submit(e));
  }
  await Promise.all(pending);
  await log.idle();
  return { store, log };
}

test('replaying the stored entries reproduces the root and the state, for random histories', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
      const { store, log } = await build(ops);
      const head = (await store.head())!;
      const entries = await store.entries(0, head.size);
      const r = replay(entries, { verify: verifyStrictNode });
      assert.is(r.problem, null, JSON.stringify(r.problem));
      assert.is(r.size, head.size);
      const cp = parseCheckpoint(openNote(head.checkpoint, [logKey.verifierKey]).text);
      assert.is(hex(r.root), hex(cp.root));
      await r.state.finish();
      const replayed = new Map(r.state.takeChanges().filter((x): x is [string, string] => x[1] !== null));
      const stored = new Map<string, string>();
      // The state map's nodes (map/…) hash the records; the roots are checked elsewhere.
      for await (const [k, v] of store.stateRecords()) if (!k.startsWith('map/')) stored.set(k, v);
      assert.equal(stored, replayed);
      // The state map the sequencer kept batch by batch (docs/wire-format-2.md §10) has the
      // root of every record computed from scratch.
      const root = await readMapRoot(mapNodesFromRecords(store), head.size);
      assert.ok(root, `no map root at ${head.size}`);
      assert.is(hex(root!.hash), hex(mapRootOf(mapRecordsOfAll(stored))));
      await log.close();
    }),
    { numRuns: 12 },
  );
});

test('a flipped byte in any entry is named by replay at that seq', async () => {
  const { store, log } = await build([
    { kind: 'donate', a: 0, b: 0, v: 100 },
    { kind: 'donate', a: 0, b: 0, v: 50 },
    { kind: 'transfer', a: 0, b: 1, v: 120 },
    { kind: 'disburse', a: 1, b: 0, v: 100 },
  ]);
  const head = (await store.head())!;
  const entries = await store.entries(0, head.size);
  for (let i = 0; i < entries.length; i++) {
    for (const pos of [0, Math.floor(entries[i]!.length / 2), entries[i]!.length - 2]) {
      const copy = entries.map((e) => e.slice());
      copy[i]![pos] ^= 0x01;
      const r = replay(copy, { verify: verifyStrictNode });
      assert.ok(r.problem, `flip at entry ${i} byte ${pos} not caught`);
      // The entry itself is named, or the next one whose prev no longer matches.
      assert.ok(r.problem!.seq === i || r.problem!.seq === i + 1, `flip at ${i} named at ${r.problem!.seq}`);
    }
  }
  await log.close();
});

/** The entries as an audit source (the store's checkpoint, these entries, its state). */
function source(store: MemoryStore, entries: Uint8Array[], checkpoint: string): AuditSource {
  return {
    checkpoint: async () => checkpoint,
    entries: async (start, limit) => entries.slice(start, start + limit),
    stateRecords: () => store.stateRecords(),
  };
}

test('the auditor (state on disk, one-pass checks, signatures on workers) names the same problem as replay, for every flipped byte', async () => {
  const { store, log } = await build([
    { kind: 'donate', a: 0, b: 0, v: 100 },
    { kind: 'donate', a: 0, b: 0, v: 50 },
    { kind: 'transfer', a: 0, b: 1, v: 120 },
    { kind: 'disburse', a: 1, b: 0, v: 100 },
    { kind: 'refund', a: 0, b: 1, v: 1 },
  ]);
  const head = (await store.head())!;
  const entries = await store.entries(0, head.size);
  const clean = await audit(source(store, entries, head.checkpoint), { logKey: logKey.verifierKey, pageSize: 3 });
  assert.ok(clean.ok, JSON.stringify(clean.problems));
  assert.is(clean.size, head.size);
  let n = 0;
  for (let i = 0; i < entries.length; i++) {
    // About 12 places in each entry (every field is hit somewhere in the run), an odd stride.
    for (let pos = i % 5; pos < entries[i]!.length; pos += Math.floor(entries[i]!.length / 12) | 1) {
      const copy = entries.map((e) => e.slice());
      copy[i]![pos] ^= 0x01;
      const r = replay(copy, { verify: verifyStrictNode });
      // The last entry's flip may leave a valid entry: only the checkpoint's root then differs.
      const want = r.problem ?? { seq: entries.length - 1, check: 'root', message: `the replayed root ${hex(r.root)} differs from the checkpoint's ${hex(parseCheckpoint(openNote(head.checkpoint, [logKey.verifierKey]).text).root)}` };
      const got = await audit(source(store, copy, head.checkpoint), { logKey: logKey.verifierKey, pageSize: 3, verifyThreads: n++ % 2 });
      assert.ok(!got.ok, `flip at entry ${i} byte ${pos} not caught by the auditor`);
      const p = got.problems[0]!;
      assert.equal({ seq: p.seq, check: p.check, message: p.message }, want, `flip at entry ${i} byte ${pos}`);
    }
  }
  await log.close();
});

test.run();
