// One key registry, two users (issue 10, "The shape of the house"): the server's state
// machine (packages/ledger LedgerState) and the verifier's KeyHistory (packages/verify
// keys.ts) must decide every key question the same way. Random sequences of org.register,
// org.keys and fund.open events — honest ones and every kind of bad one (posted by the wrong
// org, a second registration, misnamed, weak, duplicate or already-revoked keys, revoking a
// key the org lacks, revoking the last key, signed by an unknown, revoked or wrong key, a
// broken signature) — are judged by the ledger, and the same events, as the entries a
// hostile log could hold at those seqs, by the verifier. For each event: accepted by the
// ledger ⇔ no problem in the verifier, and a refusal gets the same code from both.
// Signatures are real (node:crypto), so signature mistakes are the real thing too.
import { createHash, verify as nodeVerify, createPublicKey } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { hex, isWeakPublicKey } from '@cotc/tlog';
import { LedgerState, canonicalBytes, signingBytes, type Entry, type Envelope, type Role } from '@cotc/ledger';
import { KeyHistory } from '../../packages/verify/src/keys.ts';
import type { Problem } from '../../packages/verify/src/types.ts';
import { fastKey, type FastKey } from '../helpers/fastkeys.ts';
import { keyFromPub } from '../ledger/state-harness.ts';

const ORGS = ['operator', 'a', 'b', 'c'] as const;
type OrgName = (typeof ORGS)[number];

/** The ledger's 401 codes as the verifier names them; every other code is the same string. */
const SIG_CODES: Record<string, string> = { bad_signature: 'bad_event_signature', unknown_key: 'unknown_key', revoked_key: 'revoked_key' };
const KEY_EVENTS = new Set(['org.register', 'org.keys']);

// SPKI DER prefix of an Ed25519 public key (RFC 8410 §4), followed by the 32-byte key.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
function nodeCheck(pub: Uint8Array, ev: Envelope): boolean {
  if (isWeakPublicKey(pub)) return false;
  const raw = Buffer.from(ev.sig, 'base64');
  if (raw.length !== 68) return false;
  const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' });
  return nodeVerify(null, signingBytes(ev), key, raw.subarray(4));
}

// A weak key (the identity point, of small order), correctly named and id'd: refused as bad_key.
const WEAK_PUB = new Uint8Array(32);
WEAK_PUB[0] = 1;

const action = fc.oneof(
  fc.record({
    k: fc.constant('register' as const),
    poster: fc.constantFrom(...ORGS),
    org: fc.constantFrom(...ORGS),
    fresh: fc.integer({ min: 0, max: 2 }),
    misnamed: fc.boolean(),
    weak: fc.boolean(),
    operatorRole: fc.boolean(),
  }),
  fc.record({
    k: fc.constant('keys' as const),
    poster: fc.constantFrom(...ORGS),
    org: fc.constantFrom(...ORGS),
    fresh: fc.integer({ min: 0, max: 2 }),
    reAdd: fc.option(fc.nat(), { nil: undefined }),
    revoke: fc.array(fc.nat(), { maxLength: 3 }),
    misnamed: fc.boolean(),
    weak: fc.boolean(),
  }),
  fc.record({ k: fc.constant('fund' as const), poster: fc.constantFrom(...ORGS) }),
);
const signing = fc.record({
  // which of the poster's known keys signs (modulo their count), or another org's key
  pick: fc.nat(),
  foreign: fc.boolean(),
  // a key the ledger accepted a revocation of (when the poster has one): revoked_key
  revoked: fc.boolean(),
  breakSig: fc.boolean(),
});

test('the state machine and the verifier decide every key question alike (fast-check)', () => {
  let compared = 0;
  let refusals = 0;
  const codesSeen = new Set<string>();
  fc.assert(
    fc.property(fc.array(fc.tuple(action, signing), { minLength: 1, maxLength: 24 }), (steps) => {
      const known = new Map<OrgName, FastKey[]>(ORGS.map((o) => [o, []]));
      const fresh = (o: OrgName) => {
        const k = fastKey(o);
        known.get(o)!.push(k);
        return k;
      };
      const revoked = new Map<OrgName, FastKey[]>(ORGS.map((o) => [o, []]));
      const state = new LedgerState({ isWeakKey: isWeakPublicKey });
      const problems: Problem[] = [];
      const history = new KeyHistory(problems);
      let n = 0;
      const judge = (ev: Envelope, expectedOk?: boolean) => {
        const seq = state.size;
        const hash = createHash('sha256').update(canonicalBytes(ev)).digest('hex');
        const r = state.apply(ev, { seq, contentHash: hash, verify: (pub) => nodeCheck(pub, ev) });
        const before = problems.length;
        const entry: Entry = { seq, prev: '0'.repeat(64), time: ev.time, event: ev, effects: [] };
        history.check(entry);
        const got = problems.slice(before).map((p) => p.code);
        if (expectedOk !== undefined) assert.is(r.ok, expectedOk, r.ok ? '' : `${r.code}: ${r.message}`);
        compared++;
        if (r.ok && ev.type === 'org.keys') {
          const b = ev.body as { org: OrgName; revoke: string[] };
          for (const k of b.revoke) revoked.get(b.org)!.push(known.get(b.org)!.find((x) => x.verifierKey === k)!);
        }
        if (r.ok) {
          assert.equal(got, [], `${ev.type} ${ev.id} accepted by the ledger, refused by the verifier: ${JSON.stringify(problems.slice(before))}`);
          return;
        }
        refusals++;
        const want = SIG_CODES[r.code] ?? r.code;
        if (want in SIG_CODES || Object.values(SIG_CODES).includes(want) || KEY_EVENTS.has(ev.type)) {
          codesSeen.add(want);
          assert.equal(got, [want], `${ev.type} ${ev.id}: the ledger says ${r.code} (${r.message}); the verifier ${JSON.stringify(problems.slice(before))}`);
        } else {
          // A refusal that is not about keys (fund.open's own rules): the key registry has no say.
          assert.equal(got, [], `${ev.type} ${ev.id}: the ledger refused it for ${r.code}, not a key rule; the verifier ${JSON.stringify(problems.slice(before))}`);
        }
      };
      const time = '2021-01-01T00:00:00Z';
      const op = fresh('operator');
      judge(op.sign({ v: 1, type: 'org.register', id: `e${n++}`, org: 'operator', time, body: { org: 'operator', name: 'Operator', roles: ['operator'], keys: [op.verifierKey] } }), true);

      for (const [a, s] of steps) {
        const poster = a.poster;
        // Keys named for the subject org, fresh or (misnamed) for another org, or weak.
        const newKeys = (org: OrgName, count: number, misnamed: boolean, weak: boolean): string[] => {
          const out: string[] = [];
          for (let i = 0; i < count; i++) out.push(fresh(misnamed && i === 0 ? (org === 'a' ? 'b' : 'a') : org).verifierKey);
          if (weak) out.push(keyFromPub(org, WEAK_PUB));
          return out;
        };
        let body: Record<string, unknown>;
        let type: 'org.register' | 'org.keys' | 'fund.open';
        if (a.k === 'register') {
          type = 'org.register';
          const roles: Role[] = a.operatorRole ? ['operator'] : ['charity'];
          body = { org: a.org, name: `Org ${a.org}`, roles, keys: newKeys(a.org, a.fresh, a.misnamed, a.weak) };
        } else if (a.k === 'keys') {
          type = 'org.keys';
          const mine = known.get(a.org)!;
          const add = newKeys(a.org, a.fresh, a.misnamed, a.weak);
          if (a.reAdd !== undefined && mine.length > 0) add.push(mine[a.reAdd % mine.length]!.verifierKey);
          const revoke = mine.length === 0 ? [] : a.revoke.map((i) => mine[i % mine.length]!.verifierKey);
          body = { org: a.org, add, revoke };
        } else {
          type = 'fund.open';
          body = { fund: `f${n}`, name: 'Fund', currency: 'CNY', restricted: false, purpose: 'Purpose' };
        }
        // The signing key: one of the poster's keys (current or not), or a key of another org.
        const gone = revoked.get(poster)!;
        const pool = s.revoked && gone.length > 0 ? gone : s.foreign ? known.get(poster === 'a' ? 'b' : 'a')! : known.get(poster)!;
        const signer = pool.length === 0 ? fresh(poster) : pool[s.pick % pool.length]!;
        let ev = signer.sign({ v: 1, type, id: `e${n++}`, org: poster, time, body });
        if (s.breakSig) {
          const raw = Buffer.from(ev.sig, 'base64');
          raw[10] = raw[10]! ^ 0x40;
          ev = { ...ev, sig: raw.toString('base64') };
        }
        judge(ev);
      }
    }),
    { numRuns: 120 },
  );
  // The property must have had something to compare: refusals of many kinds, acceptances.
  assert.ok(compared > 500, `compared ${compared}`);
  assert.ok(refusals > 100, `refusals ${refusals}`);
  // Which codes a run generates is random; the fixed sequence below covers each of them.
});

test('differential, fixed: one event for each key rule and each signature failure, the same code from both', () => {
  const op = fastKey('operator');
  const a = fastKey('a');
  const a2 = fastKey('a');
  const b = fastKey('b');
  const stranger = fastKey('a');
  const state = new LedgerState({ isWeakKey: isWeakPublicKey });
  const problems: Problem[] = [];
  const history = new KeyHistory(problems);
  const time = '2021-01-01T00:00:00Z';
  let n = 0;
  const reg = (signer: FastKey, org: string, body: Record<string, unknown>) => signer.sign({ v: 1, type: 'org.register', id: `e${n++}`, org, time, body });
  const keys = (signer: FastKey, org: string, body: Record<string, unknown>) => signer.sign({ v: 1, type: 'org.keys', id: `e${n++}`, org, time, body });
  const broken = (ev: Envelope) => {
    const raw = Buffer.from(ev.sig, 'base64');
    raw[20] = raw[20]! ^ 1;
    return { ...ev, sig: raw.toString('base64') };
  };
  const cases: Array<[string, Envelope]> = [
    ['ok', reg(op, 'operator', { org: 'operator', name: 'Op', roles: ['operator'], keys: [op.verifierKey] })],
    ['ok', reg(op, 'operator', { org: 'a', name: 'A', roles: ['charity'], keys: [a.verifierKey] })],
    ['ok', reg(op, 'operator', { org: 'b', name: 'B', roles: ['charity'], keys: [b.verifierKey] })],
    ['forbidden', reg(a, 'a', { org: 'c', name: 'C', roles: ['charity'], keys: [fastKey('c').verifierKey] })],
    ['already_exists', reg(op, 'operator', { org: 'a', name: 'A again', roles: ['charity'], keys: [fastKey('a').verifierKey] })],
    ['bad_key', reg(op, 'operator', { org: 'c', name: 'C', roles: ['charity'], keys: [] })],
    ['bad_key', reg(op, 'operator', { org: 'c', name: 'C', roles: ['charity'], keys: [keyFromPub('c', WEAK_PUB)] })],
    ['unknown_org', keys(op, 'operator', { org: 'nobody', add: [fastKey('nobody').verifierKey], revoke: [] })],
    ['forbidden', keys(b, 'b', { org: 'a', add: [fastKey('a').verifierKey], revoke: [] })],
    ['bad_key', keys(a, 'a', { org: 'a', add: [], revoke: [] })],
    ['bad_key', keys(a, 'a', { org: 'a', add: [fastKey('b').verifierKey], revoke: [] })],
    ['bad_key', keys(a, 'a', { org: 'a', add: [], revoke: [a.verifierKey] })],
    ['bad_key', keys(a, 'a', { org: 'a', add: [], revoke: [a2.verifierKey] })],
    ['ok', keys(a, 'a', { org: 'a', add: [a2.verifierKey], revoke: [a.verifierKey] })],
    ['bad_key', keys(a2, 'a', { org: 'a', add: [a.verifierKey], revoke: [] })],
    ['revoked_key', keys(a, 'a', { org: 'a', add: [fastKey('a').verifierKey], revoke: [] })],
    ['unknown_key', keys(stranger, 'a', { org: 'a', add: [fastKey('a').verifierKey], revoke: [] })],
    ['unknown_key', reg(fastKey('c'), 'c', { org: 'c', name: 'C', roles: ['charity'], keys: [] })],
    ['bad_signature', broken(keys(a2, 'a', { org: 'a', add: [fastKey('a').verifierKey], revoke: [] }))],
    ['ok', keys(op, 'operator', { org: 'a', add: [fastKey('a').verifierKey], revoke: [] })],
  ];
  const ledgerCodes: string[] = [];
  const verifierCodes: string[] = [];
  for (const [, ev] of cases) {
    const seq = state.size;
    const r = state.apply(ev, { seq, contentHash: hex(new Uint8Array(createHash('sha256').update(canonicalBytes(ev)).digest())), verify: (pub) => nodeCheck(pub, ev) });
    ledgerCodes.push(r.ok ? 'ok' : r.code);
    const before = problems.length;
    history.check({ seq, prev: '0'.repeat(64), time, event: ev, effects: [] });
    const got = problems.slice(before).map((p) => p.code);
    verifierCodes.push(got.length === 0 ? 'ok' : got.join('+'));
  }
  assert.equal(ledgerCodes, cases.map(([c]) => c), 'the ledger refuses each case as intended');
  assert.equal(verifierCodes, ledgerCodes.map((c) => SIG_CODES[c] ?? c), 'the verifier reports the ledger’s code for each');
});

test.run();
