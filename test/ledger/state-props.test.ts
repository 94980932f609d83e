// Properties of the state machine over random event sequences (DESIGN.md "FIFO", "Entries",
// "Trace bundle", "Durability"): money is conserved, every trace conserves, restore and
// replay reproduce the live state exactly; plus a linear-time case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { LedgerState } from '../../packages/ledger/src/state.ts';
import { buildTrace, checkConservation } from '../../packages/ledger/src/trace.ts';
import type { Envelope } from '../../packages/ledger/src/types.ts';
import { Harness, conf, contentHash, disb, don, ev, keyFor, rev, world, xfer } from './state-harness.ts';

const ORGS = ['A', 'B', 'P', 'AUD', 'operator'];
const PAYEES = ['P', 'B', 'a school'];

type Op =
  | { k: 'don'; fund: number; org: number; value: number }
  | { k: 'xfer'; from: number; to: number; org: number; value: number }
  | { k: 'disb'; fund: number; org: number; value: number; payee: number }
  | { k: 'conf'; target: number; org: number }
  | { k: 'rev'; target: number; org: number }
  | { k: 'open'; org: number }
  | { k: 'rotate'; org: number }
  | { k: 'repost'; target: number; tweak: boolean };

const small = fc.integer({ min: 0, max: 1000 });
const value = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 120 }) }, { weight: 1, arbitrary: fc.integer({ min: 121, max: 600 }) });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('don' as const), fund: small, org: small, value }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('xfer' as const), from: small, to: small, org: small, value }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('disb' as const), fund: small, org: small, value, payee: small }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('conf' as const), target: small, org: small }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('rev' as const), target: small, org: small }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('open' as const), org: small }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('rotate' as const), org: small }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('repost' as const), target: small, tweak: fc.boolean() }) },
);

/** Turns ops into envelopes, tracking only what the generator needs (ids, funds, keys). */
class Gen {
  funds = [
    { id: 'fa', owner: 'A' },
    { id: 'fa2', owner: 'A' },
    { id: 'fb', owner: 'B' },
    { id: 'fu', owner: 'A' },
  ];
  posted: Envelope[] = [];
  keyN = new Map<string, number>(ORGS.map((o) => [o, 0]));
  n = 0;
  constructor(private state: () => LedgerState) {}
  key(org: string) {
    return keyFor(org, this.keyN.get(org)!);
  }
  /** Mostly the right poster, sometimes someone else. */
  poster(pick: number, right: string) {
    return pick % 7 === 0 ? ORGS[pick % ORGS.length]! : right;
  }
  make(op: Op): Envelope {
    const id = `e${this.n++}`;
    // The USD fund (index 3) comes up rarely, so most moves are between compatible funds.
    const fund = (i: number) => {
      const j = i % (this.funds.length + 6);
      return this.funds[j < this.funds.length ? j : j % 3]!;
    };
    let e: Envelope;
    switch (op.k) {
      case 'don': {
        const f = fund(op.fund);
        e = don(id, f.id, op.value, this.poster(op.org, f.owner));
        break;
      }
      case 'xfer': {
        const f = fund(op.from);
        e = xfer(id, f.id, fund(op.to).id, op.value, this.poster(op.org, f.owner));
        break;
      }
      case 'disb': {
        const f = fund(op.fund);
        e = disb(id, f.id, op.value, this.poster(op.org, f.owner), PAYEES[op.payee % PAYEES.length]!);
        break;
      }
      case 'conf': {
        const ds = this.posted.filter((p) => p.type === 'disbursement');
        const d = ds.length ? ds[op.target % ds.length]! : undefined;
        const payee = d ? (d as Envelope<'disbursement'>).body.payee : 'P';
        e = conf(id, d?.id ?? 'none', op.org % 3 === 0 ? 'AUD' : ORGS.includes(payee) ? payee : ORGS[op.org % ORGS.length]!);
        break;
      }
      case 'rev': {
        // Mostly something reversible; sometimes anything at all.
        const pool = op.target % 5 === 0 ? this.posted : this.posted.filter((p) => ['donation', 'transfer', 'disbursement'].includes(p.type));
        const t = pool.length ? pool[op.target % pool.length]! : undefined;
        e = rev(id, t?.id ?? 'none', op.org % 5 === 0 ? 'operator' : t?.org ?? 'A');
        break;
      }
      case 'open': {
        const owner = ['A', 'B'][op.org % 2]!;
        const f = `f${this.funds.length}`;
        this.funds.push({ id: f, owner });
        e = ev('fund.open', id, owner, { fund: f, name: f, currency: 'CNY', restricted: false, purpose: 'p' });
        break;
      }
      case 'rotate': {
        const org = ['A', 'B'][op.org % 2]!;
        const old = this.key(org);
        const next = keyFor(org, this.keyN.get(org)! + 1);
        e = ev('org.keys', id, org, { org, add: [next], revoke: [old] }, old);
        break;
      }
      case 'repost': {
        const t = this.posted.length ? this.posted[op.target % this.posted.length]! : undefined;
        if (!t) return this.make({ k: 'open', org: 0 });
        this.n--;
        e = op.tweak ? { ...t, time: '2021-01-02T00:00:00Z' } : t;
        break;
      }
    }
    // Sign with the org's current key, except reposts (kept as they were).
    if (op.k !== 'repost' && op.k !== 'rotate') e = { ...e, sig: ev('fund.open', 'x', e.org, {} as never, this.key(e.org)).sig };
    this.posted.push(e);
    return e;
  }
  /** After acceptance: a rotation really happened. */
  accepted(e: Envelope) {
    if (e.type === 'org.keys') this.keyN.set(e.org, this.keyN.get(e.org)! + 1);
    void this.state;
  }
}

function run(h: Harness, gen: Gen, op: Op) {
  const e = gen.make(op);
  const judged = h.judge(e);
  const r = h.post(e);
  assert.equal(r, judged, 'judge and apply agree');
  if (r.ok && !('duplicate' in r)) gen.accepted(e);
  return r;
}

function snapshot(s: LedgerState, gen: Gen) {
  return {
    size: s.size,
    operator: s.operator,
    orgs: ORGS.map((o) => s.org(o)),
    funds: gen.funds.map((f) => [s.fund(f.id), s.lots(f.id)]),
    events: gen.posted.map((e) => s.event(e.id)),
  };
}

function checkMoney(h: Harness, gen: Gen) {
  let donated = 0n;
  let refunded = 0n;
  let disbursed = 0n;
  const type = new Map<string, string>();
  const val = new Map<string, bigint>();
  for (const { event: e } of h.entries) {
    type.set(e.id, e.type);
    if (e.type === 'donation' || e.type === 'disbursement' || e.type === 'transfer') val.set(e.id, BigInt(e.body.amount.value));
    if (e.type === 'donation') donated += BigInt(e.body.amount.value);
    if (e.type === 'disbursement') disbursed += BigInt(e.body.amount.value);
    if (e.type === 'reversal') {
      const t = type.get(e.body.event);
      if (t === 'donation') refunded += val.get(e.body.event)!;
      if (t === 'disbursement') disbursed -= val.get(e.body.event)!;
    }
  }
  let balances = 0n;
  for (const f of gen.funds) {
    const info = h.state.fund(f.id);
    if (!info) continue;
    const lots = h.state.lots(f.id)!;
    assert.is(lots.length, info.lots);
    assert.is(lots.reduce((a, l) => a + BigInt(l.value), 0n), BigInt(info.balance));
    for (const l of lots) assert.ok(BigInt(l.value) > 0n);
    balances += BigInt(info.balance);
  }
  assert.is(donated - refunded, balances + disbursed, 'donations − refunds = balances + disbursed − returned');
}

function checkTraces(h: Harness) {
  for (const { event: e } of h.entries) {
    if (e.type !== 'donation') continue;
    const t = buildTrace(e.id, h.entries);
    assert.equal(checkConservation(t, e.body.amount.value), [], `trace of ${e.id}`);
    const d = t.nodes[0]!;
    const out = t.flows.filter((f) => f.from === e.id).reduce((a, f) => a + BigInt(f.value), 0n);
    assert.is(out + BigInt(d.unspent!), BigInt(e.body.amount.value));
    // apply's trace index names exactly the trace's entries
    assert.equal(h.entries.filter((x) => x.donations.includes(e.id)).map((x) => x.seq), t.nodes.map((n) => n.index));
  }
}

test('random sequences: conservation, traces, restore, replay', () => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 150, size: 'max' }), fc.array(opArb, { maxLength: 60, size: 'max' }), fc.array(fc.boolean(), { minLength: 200, maxLength: 200 }), (ops1, ops2, flushes) => {
      const h = world();
      const gen = new Gen(() => h.state);
      const store = new Map<string, string>();
      const flush = () => {
        for (const [k, v] of h.state.takeChanges()) (v === null ? store.delete(k) : store.set(k, v));
      };
      ops1.forEach((op, i) => {
        run(h, gen, op);
        if (flushes[i]) flush(); // batches of random size
      });
      flush();
      checkMoney(h, gen);
      checkTraces(h);

      // restore: same reads, then the same behaviour on what follows
      const restored = LedgerState.restore(store);
      assert.equal(snapshot(restored, gen), snapshot(h.state, gen));
      const twin = new Harness();
      twin.state = restored;
      for (const op of ops2) {
        const e = gen.make(op);
        const a = h.post(e);
        const b = twin.post(e);
        assert.equal(b, a, 'restored state answers like the live one');
        if (a.ok && !('duplicate' in a)) gen.accepted(e);
        if (flushes[199 - (gen.n % 100)]) flush();
      }
      flush();
      assert.equal(snapshot(restored, gen), snapshot(h.state, gen));
      assert.equal(snapshot(LedgerState.restore(store), gen), snapshot(h.state, gen));
      checkMoney(h, gen);
      checkTraces(h);

      // replay of the accepted events into a fresh state: identical effects
      const fresh = new LedgerState();
      for (const x of h.entries) {
        const r = fresh.apply(x.event, { seq: x.seq, contentHash: contentHash(x.event), verify: () => true });
        assert.equal(r, { ok: true, effects: x.effects, donations: x.donations }, `replay of seq ${x.seq}`);
      }
      assert.equal(snapshot(fresh, gen), snapshot(h.state, gen));
    }),
    { numRuns: 150 },
  );
});

test('20k tiny donations, then one disbursement of everything (linear in the lots)', () => {
  const h = world();
  const N = 20000;
  for (let i = 0; i < N; i++) h.ok(don(`g${i}`, 'fa', 1 + (i % 3)));
  const total = Array.from({ length: N }, (_, i) => 1 + (i % 3)).reduce((a, b) => a + b, 0);
  h.state.takeChanges();
  const t0 = performance.now();
  const effects = h.ok(disb('all', 'fa', total));
  const ms = performance.now() - t0;
  assert.is(effects.length, N);
  effects.forEach((e, i) => assert.equal(e, { donation: `g${i}`, via: `g${i}`, value: String(1 + (i % 3)) }));
  assert.equal(h.state.fund('fa')!.balance, '0');
  assert.equal(h.state.lots('fa'), []);
  assert.is(h.state.takeChanges().length, N + 3); // meta, fund header, N lot deletions, the event
  // and back: the reversal returns all 20k lots, a refund-style lookup stays cheap
  assert.is(h.ok(rev('back', 'all')).length, N);
  assert.is(h.state.fund('fa')!.lots, N);
  assert.ok(ms < 5000, `took ${ms} ms`); // generous: a quadratic queue takes far longer
});

test('many refunds from the middle of a long queue stay cheap, and gaps are skipped', () => {
  const h = world();
  const N = 5000;
  for (let i = 0; i < N; i++) h.ok(don(`g${i}`, 'fa', 2));
  for (let i = 1; i < N; i += 2) h.ok(rev(`r${i}`, `g${i}`));
  assert.is(h.state.fund('fa')!.lots, N / 2);
  const effects = h.ok(disb('half', 'fa', N / 2 + 1));
  assert.is(effects.length, N / 4 + 1);
  assert.equal(effects[0], { donation: 'g0', via: 'g0', value: '2' });
  assert.equal(effects.at(-1), { donation: `g${N / 2}`, via: `g${N / 2}`, value: '1' });
});

test.run();
