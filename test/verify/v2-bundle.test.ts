// Trace bundles of wire format 2 (docs/wire-format-2.md §11, §12) against @cotc/verify:
// honest bundles of a story with every kind of hop verify; leaving out any entry, effect,
// confirmation or key record, and rebuilding the trace from what is left (so only the
// proven state can tell), is reported with its code, every time (on the story, exhaustively,
// and on random ledgers with fast-check); a forged presence or absence in the map fails; an
// event signed by a revoked key fails. Bundles are built from the ledger's and the map's own
// primitives (test/helpers/v2-log.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { base64 } from '@cotc/tlog';
import { canonicalize, donorCommitment } from '@cotc/ledger';
import { fetchTraceBundle, isProblem, mergeTracePages, verifyBundle, type VerifyCode, type VerifyResult } from '@cotc/verify';
import { V2Log, sev, v2org, type V2Bundle } from '../helpers/v2-log.ts';
import { v2Story, type V2Story } from '../helpers/v2-story.ts';
import { clone, decodeEntry, dropEffect, dropEntry, dropState, forgeState, retrace } from '../helpers/v2-tamper.ts';

let story: V2Story;
const bundles: Record<string, V2Bundle> = {};

const check = (b: unknown, d: string, extra: Record<string, unknown> = {}): Promise<VerifyResult> => verifyBundle(b, { logKey: story.log.logKey, donation: d, engine: 'noble', ...extra });
const codes = (r: VerifyResult) => r.problems.map((p) => p.code);
function has(r: VerifyResult, code: VerifyCode, what: string): void {
  assert.ok(codes(r).includes(code), `${what}: expected ${code}, got ${JSON.stringify(r.problems.map((p) => `${p.code}: ${p.message}`))}`);
}

test.before(async () => {
  story = await v2Story({ addedBy: true });
  for (const d of ['d1', 'd2', 'd3']) bundles[d] = await story.log.bundle(d);
});

test('honest v2 bundles verify: every hop, split lots, a reversed payment, a refund, a rotated key', async () => {
  for (const d of ['d1', 'd2', 'd3']) {
    const r = await check(bundles[d], d, { receiptSecret: `secret-${d}` });
    assert.equal(r.problems, [], d);
    assert.ok(r.ok, d);
    assert.is(r.version, 2);
    assert.is(r.receipt, 'matched');
  }
  const r = await check(bundles.d1, 'd1');
  assert.equal(r.nodes.map((n) => n.event), ['d1', 't1', 't2', 'pay1', 'pay1-conf-filters', 'pay1-conf-auditor', 'pay2', 'rev-pay2']);
  assert.ok(r.nodes.every((n) => n.ok));
  assert.is(r.nodes.find((n) => n.event === 'rev-pay2')!.unspent, '200');
  assert.is(r.nodes.find((n) => n.event === 'pay1')!.amount, '800');
  // The school's key the operator installed signed pay2 and its reversal: said so.
  assert.equal(r.operatorSigned, ['pay2', 'rev-pay2']);
  assert.is(r.nodes.find((n) => n.event === 'pay1')!.payeeRegistered, true);
  assert.equal(r.proven!.orgs.filters, { name: 'AquaPure Filters', roles: ['payee'] });
  assert.is(r.proven!.funds['school-water']!.name, 'School water');
  // The refunded donation: nothing left anywhere (live/d3 proven absent).
  const r3 = await check(bundles.d3, 'd3');
  assert.equal(r3.nodes.map((n) => n.type), ['donation', 'reversal']);
  assert.is(bundles.d3.state.find((s) => s.key === 'live/d3')!.value, null);
});

test('a v2 bundle carries only its donation\'s lots (never other donations\' sharing an entry)', () => {
  for (const d of ['d1', 'd2']) assert.ok(bundles[d]!.effects.every((e) => e.effect.donation === d));
  // t2 moved lots of d1 and d2; each bundle proves only its own, by index into t2's effects.
  const t2 = (d: string) => bundles[d]!.effects.filter((e) => decodeEntry(bundles[d]!.entries.find((x) => x.index === e.index)!).event.id === 't2').map((e) => e.proof.index);
  assert.equal(t2('d1'), [0]);
  assert.equal(t2('d2'), [1]);
});

test('leaving out any entry of the story\'s bundles is reported, with the trace rebuilt to match', async () => {
  for (const d of ['d1', 'd2', 'd3']) {
    const b = bundles[d]!;
    const n = b.entries[b.entries.length - 1]!.index;
    for (const e of b.entries) {
      const r = await check(dropEntry(b, e.index), d);
      assert.not.ok(r.ok, `${d} without entry ${e.index}`);
      const ev = decodeEntry(e).event;
      const want: VerifyCode = e.index === n ? 'missing_state_root' : ev.id === d ? 'not_in_log' : ev.type === 'confirmation' ? 'missing_confirmation' : 'incomplete_trace';
      has(r, want, `${d} without ${ev.type} ${ev.id}`);
    }
  }
});

test('leaving out any effect is reported as an incomplete trace', async () => {
  for (const d of ['d1', 'd2', 'd3']) {
    const b = bundles[d]!;
    for (let i = 0; i < b.effects.length; i++) has(await check(dropEffect(b, i), d), 'incomplete_trace', `${d} without effects[${i}]`);
  }
});

test('leaving out a key record, the live record or a confirmation record is reported', async () => {
  const b = bundles.d1!;
  for (const s of b.state) {
    const want: VerifyCode | null = s.key.startsWith('orgkey/') ? 'key_not_proven' : s.key.startsWith('live/') ? 'incomplete_trace' : s.key.startsWith('conf/') ? 'missing_confirmation' : null;
    if (want === null) continue;
    has(await check(dropState(b, s.key), 'd1'), want, `d1 without ${s.key}`);
  }
});

test('forged state: a spent lot claimed live, confirmations or a revocation claimed absent, all fail their map proofs', async () => {
  const b = bundles.d1!;
  // d1 as if t1 had never moved it: its lot still in the water fund.
  const stillThere = canonicalize({ lots: [{ fund: 'water', pos: 0, value: '1000', via: 'd1', viaSeq: 8 }] });
  has(await check(retrace(forgeState(b, 'live/d1', stillThere)), 'd1'), 'map_root_mismatch', 'forged live lot');
  // No confirmation of pay1, with the presence proof: a forged absence.
  has(await check(forgeState(b, 'conf/pay1', null), 'd1'), 'map_root_mismatch', 'forged absence of conf/pay1');
  // The charity's old key without its revocation.
  const old = b.state.find((s) => s.key.startsWith('orgkey/charity/') && s.value?.includes('revokedSeq'))!;
  const unrevoked = JSON.parse(old.value!);
  delete unrevoked.revokedSeq;
  has(await check(forgeState(b, old.key, canonicalize(unrevoked)), 'd1'), 'map_root_mismatch', 'forged unrevoked key');
  // An absence proof given for a present record (the proof of another, absent key).
  const f = clone(b);
  const conf = f.state.find((s) => s.key === 'conf/pay1')!;
  conf.value = null;
  conf.proof = (await story.log.mapProofs(['conf/no-such-payment']))[0]!.proof;
  assert.not.ok((await check(f, 'd1')).ok);
});

test('an event signed by a revoked key is revoked_key; swapped key records fail their proofs', async () => {
  const s = await v2Story({ addedBy: true });
  // The log operator appends an event signed by the charity's revoked key (the state machine would refuse it).
  const e = sev(s.orgs.charity, 'fund.open', { fund: 'bogus', name: 'Bogus', currency: 'CNY', restricted: false, purpose: 'x' }, 'signed-by-revoked');
  await s.log.batch([e], { forged: true });
  const b = await s.log.bundle('d1');
  const r = await verifyBundle(b, { logKey: s.log.logKey, donation: 'd1', engine: 'noble' });
  has(r, 'revoked_key', 'revoked key');
  const r0 = await verifyBundle(bundles.d1, { logKey: story.log.logKey, donation: 'd1', engine: 'noble' });
  assert.ok(r0.ok);
  // The two charity key records swapped: each proof now proves the other key's record, and fails.
  const b2 = clone(bundles.d1!);
  const next = b2.state.find((x) => x.key.startsWith('orgkey/charity/') && !x.value?.includes('revokedSeq'))!;
  const oldKey = b2.state.find((x) => x.key.startsWith('orgkey/charity/') && x.value?.includes('revokedSeq'))!;
  [next.key, oldKey.key] = [oldKey.key, next.key];
  const r2 = await check(b2, 'd1');
  assert.not.ok(r2.ok);
  assert.ok(codes(r2).includes('map_root_mismatch'));
});

test('a registration posted by an org that is not the operator is forbidden (by the proven roles)', async () => {
  const s = await v2Story({ addedBy: true });
  await s.log.batch([sev(s.orgs.charity2, 'org.register', { org: 'charity-friend', name: 'Friend', roles: ['charity'], keys: [v2org('charity-friend').verifierKey] }, 'reg-by-charity')], { forged: true });
  const r = await verifyBundle(await s.log.bundle('d1'), { logKey: s.log.logKey, donation: 'd1', engine: 'noble' });
  has(r, 'forbidden', 'org.register by a charity');
  // The operator's own key changes, as entry N−1, are fine.
  const s2 = await v2Story({ addedBy: true });
  await s2.log.batch([sev(s2.log.operator, 'org.keys', { org: 'charity', add: [v2org('charity').verifierKey], revoke: [] }, 'op-adds-charity-key')]);
  assert.equal((await verifyBundle(await s2.log.bundle('d1'), { logKey: s2.log.logKey, donation: 'd1', engine: 'noble' })).problems, []);
});

test('version and shape: unsupported_version, malformed_bundle, missing_state_root, proof codes', async () => {
  const b = bundles.d1!;
  assert.equal(codes(await check({ ...clone(b), version: 3 }, 'd1')), ['unsupported_version']);
  for (const k of ['effects', 'state', 'entries', 'checkpoint', 'trace'] as const) {
    const x = clone(b) as unknown as Record<string, unknown>;
    delete x[k];
    assert.equal(codes(await check(x, 'd1')), ['malformed_bundle'], k);
  }
  // A sibling of a map proof changed.
  const m = clone(b);
  const live = m.state.find((s) => s.key === 'live/d1')! as { proof: { siblings: Array<string | null> } };
  live.proof.siblings[0] = 'f'.repeat(64);
  has(await check(m, 'd1'), 'map_root_mismatch', 'bad sibling');
  live.proof.siblings[0] = '0'.repeat(64);
  has(await check(m, 'd1'), 'map_proof_noncanonical', 'zeros for EMPTY');
  // An effect proof pointing past its entry's count, and one with a wrong hash.
  const ef = clone(b);
  ef.effects[1]!.proof.index = 99;
  has(await check(ef, 'd1'), 'effect_index_out_of_range', 'effect index');
  const eh = clone(b);
  eh.effects[1]!.effect.value = '1';
  has(await check(eh, 'd1'), 'effect_root_mismatch', 'effect value');
  // An entry's bytes changed: not proven.
  const en = clone(b);
  en.entries[1]!.data = base64(new TextEncoder().encode('{}'));
  has(await check(en, 'd1'), 'bad_inclusion_proof', 'entry bytes');
});

test('v2 trace pages merge into the bundle (effects and state carried along) and verify; mixed versions are bad_pages', async () => {
  const b = bundles.d1!;
  const cut = Math.floor(b.entries.length / 2);
  const first = b.entries.slice(0, cut);
  const idx = new Set(first.map((e) => e.index));
  const pages = [
    { version: 2, checkpoint: b.checkpoint, entries: first, effects: b.effects.filter((e) => idx.has(e.index)), state: [], page: { next: 'c1' } },
    { version: 2, checkpoint: b.checkpoint, entries: b.entries.slice(cut), effects: b.effects.filter((e) => !idx.has(e.index)), state: b.state, trace: b.trace },
  ];
  const merged = mergeTracePages(pages);
  assert.not.ok(isProblem(merged));
  assert.ok((await check(merged, 'd1')).ok);
  const fetched = await fetchTraceBundle(async (url) => (url.includes('cursor=c1') ? pages[1] : pages[0]), 'http://x', 'd1');
  assert.equal(fetched, merged);
  const mixed = mergeTracePages([pages[0], { ...pages[1], version: 1 }]);
  assert.ok(isProblem(mixed) && mixed.code === 'bad_pages');
  // The server's way: effects and state only on the last page.
  const lastOnly = mergeTracePages([{ version: 2, checkpoint: b.checkpoint, entries: first, page: { next: 'c1' } }, { ...pages[1], effects: b.effects }]);
  assert.ok((await check(lastOnly, 'd1')).ok);
  const noLists = mergeTracePages([{ version: 2, checkpoint: b.checkpoint, entries: b.entries, trace: b.trace }]);
  assert.ok(isProblem(noLists) && noLists.code === 'malformed_bundle');
  const single = mergeTracePages([b]);
  assert.equal(single, b);
});

test('hostile v2 bundles: any value anywhere replaced by any JSON never throws, and never verifies', async () => {
  const b = bundles.d1!;
  // Every path to a value in the bundle (objects and arrays), to pick one and replace it.
  const paths: Array<Array<string | number>> = [];
  const walk = (x: unknown, p: Array<string | number>) => {
    if (p.length) paths.push(p);
    if (Array.isArray(x)) x.forEach((y, i) => walk(y, [...p, i]));
    else if (x && typeof x === 'object') for (const [k, y] of Object.entries(x)) walk(y, [...p, k]);
  };
  walk(b, []);
  await fc.assert(
    fc.asyncProperty(fc.nat(), fc.jsonValue({ maxDepth: 2 }), async (n, value) => {
      const p = paths[n % paths.length]!;
      const x = clone(b) as unknown as Record<string | number, unknown>;
      let at = x as Record<string | number, unknown>;
      for (const k of p.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
      const before = JSON.stringify(at[p[p.length - 1]!]);
      if (JSON.stringify(value) === before) return;
      at[p[p.length - 1]!] = value;
      const r = await check(x, 'd1');
      // A changed checkpoint note may still carry the log's signature only if unchanged; anything else must fail.
      assert.not.ok(r.ok, `replacing ${JSON.stringify(p)} by ${JSON.stringify(value).slice(0, 80)} still verifies`);
      assert.ok(r.problems.length > 0);
    }),
    { numRuns: Number(process.env.FC_RUNS ?? 300) },
  );
});

// --- Random ledgers (fast-check): every omission reported, every time.

type Op = { kind: number; a: number; b: number; frac: number; batch: boolean };
const opArb: fc.Arbitrary<Op> = fc.record({ kind: fc.integer({ min: 0, max: 6 }), a: fc.nat(50), b: fc.nat(50), frac: fc.integer({ min: 1, max: 100 }), batch: fc.boolean() });

async function randomLedger(ops: Op[]): Promise<{ log: V2Log; donations: string[] }> {
  const log = await V2Log.create({ addedBy: true });
  const op = log.operator;
  let charity = v2org('charity');
  const school = v2org('school');
  const auditor = v2org('auditor');
  await log.batch([
    sev(op, 'org.register', { org: 'charity', name: 'Charity', roles: ['charity'], keys: [charity.verifierKey] }, 'reg-charity'),
    sev(op, 'org.register', { org: 'school', name: 'School', roles: ['charity', 'payee'], keys: [school.verifierKey] }, 'reg-school'),
    sev(op, 'org.register', { org: 'auditor', name: 'Auditor', roles: ['auditor'], keys: [auditor.verifierKey] }, 'reg-auditor'),
  ]);
  const funds = [['f0', 'charity'], ['f1', 'charity'], ['f2', 'school']] as const;
  await log.batch(funds.map(([f, o]) => sev(o === 'charity' ? charity : school, 'fund.open', { fund: f, name: f, currency: 'CNY', restricted: false, purpose: 'p' }, `open-${f}`)));
  const donations: string[] = [];
  const disbs: string[] = [];
  const movers: string[] = [];
  let pending: ReturnType<typeof sev>[] = [];
  let n = 0;
  const signer = (org: string) => (org === 'charity' ? charity : school);
  const flush = async () => {
    if (pending.length) await log.batch(pending, { skipRejected: true });
    pending = [];
  };
  for (const o of ops) {
    const id = `e${n++}`;
    const [fund, owner] = funds[o.a % 3]!;
    const bal = BigInt(log.state.fund(fund)?.balance ?? '0');
    const part = (bal * BigInt(o.frac) + 99n) / 100n;
    switch (o.kind) {
      case 0:
        pending.push(sev(signer(owner), 'donation', { fund, amount: { currency: 'CNY', value: String(1 + o.b * 7) }, donor: donorCommitment(id, 's'), channel: 'c' }, id));
        donations.push(id);
        break;
      case 1: {
        const [to] = funds[o.b % 3]!;
        if (to === fund || part === 0n) break;
        pending.push(sev(signer(owner), 'transfer', { from: fund, to, amount: { currency: 'CNY', value: String(part) }, memo: 'm' }, id));
        movers.push(id);
        break;
      }
      case 2:
        if (part === 0n) break;
        pending.push(sev(signer(owner), 'disbursement', { fund, amount: { currency: 'CNY', value: String(part) }, payee: o.b % 2 ? 'school' : 'Shop', purpose: 'p', receipts: [] }, id));
        disbs.push(id);
        movers.push(id);
        break;
      case 3: {
        const d = disbs[o.b % Math.max(1, disbs.length)];
        if (d) pending.push(sev(o.frac % 2 ? auditor : school, 'confirmation', { disbursement: d, statement: 's', evidence: [] }, id));
        break;
      }
      case 4: {
        const all = [...movers, ...donations];
        const t = all[o.b % Math.max(1, all.length)];
        const f = t ? log.state.event(t) : undefined;
        if (f) pending.push(sev(signer(f.org), 'reversal', { event: t!, reason: 'r' }, id));
        break;
      }
      case 5: {
        // The charity rotates its key (the old one signs its own revocation).
        await flush();
        const next = v2org('charity');
        await log.batch([sev(charity, 'org.keys', { org: 'charity', add: [next.verifierKey], revoke: [charity.verifierKey] }, id)]);
        charity = next;
        break;
      }
      default:
        break;
    }
    if (o.batch) await flush();
  }
  await flush();
  return { log, donations: donations.filter((d) => log.state.event(d) !== undefined) };
}

test('random ledgers: honest bundles verify; dropping any entry, effect, confirmation or key record is reported', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 3, maxLength: 25 }), fc.nat(), fc.nat(), async (ops, pick, which) => {
      const { log, donations } = await randomLedger([{ kind: 0, a: 0, b: 3, frac: 50, batch: true }, ...ops]);
      const d = donations[pick % donations.length]!;
      const b = await log.bundle(d);
      const v = (x: unknown) => verifyBundle(x, { logKey: log.logKey, donation: d, engine: 'noble' });
      const honest = await v(b);
      assert.equal(honest.problems, [], `honest bundle of ${d}`);
      // One omission, chosen by `which` among every entry, effect and orgkey record.
      const keys = b.state.filter((s) => s.key.startsWith('orgkey/')).map((s) => s.key);
      const choices = b.entries.length + b.effects.length + keys.length;
      const c = which % choices;
      let bad: V2Bundle;
      let what: string;
      if (c < b.entries.length) {
        bad = dropEntry(b, b.entries[c]!.index);
        what = `entry ${b.entries[c]!.index}`;
      } else if (c < b.entries.length + b.effects.length) {
        bad = dropEffect(b, c - b.entries.length);
        what = `effect ${c - b.entries.length}`;
      } else {
        bad = dropState(b, keys[c - b.entries.length - b.effects.length]!);
        what = keys[c - b.entries.length - b.effects.length]!;
      }
      const r = await v(bad);
      assert.not.ok(r.ok, `${d} without ${what} verified`);
      const known: VerifyCode[] = ['incomplete_trace', 'missing_confirmation', 'missing_state_root', 'not_in_log', 'key_not_proven'];
      assert.ok(r.problems.some((p) => known.includes(p.code)), `${d} without ${what}: ${JSON.stringify(codes(r))}`);
    }),
    { numRuns: Number(process.env.FC_RUNS ?? 60) },
  );
});

test.run();
