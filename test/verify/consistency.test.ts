// Consistency with the last trusted checkpoint: a log that grows honestly passes; a log
// forked by copying its data directory to a second server that then diverges is caught
// (inconsistent_checkpoint), and so is a rollback to an older tree. Also the auditor's
// verifyCheckpointAdvance and the client's trust state (src/client/logtrust.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { generateKey } from '@cotc/tlog';
import { acceptLog, decideTrust, emptyLogTrust, parseLogTrust, rememberCheckpoint, serverLog } from '../../src/client/logtrust.ts';
import {
  readCheckpoint,
  verifyBundle,
  verifyCheckpointAdvance,
  type TrustedCheckpoint,
  type VerifyResult,
} from '@cotc/verify';
import { tempDir, testServer } from '../helpers/server.ts';
import { cny, donor, ev, newOrg, type Org } from '../helpers/events.ts';

type Server = Awaited<ReturnType<typeof testServer>>;
let a: Server;
let b: Server | undefined;
let logKey: string;
const operator: Org = { id: 'operator', signerKey: '', verifierKey: '' };
const charity = newOrg('charity');
const open: Server[] = [];

async function post(s: Server, e: unknown) {
  const r = await s.client.post(e);
  const list = Array.isArray(r.body) ? r.body : [r.body];
  for (const x of list) if ((x.status ?? r.status) >= 300) throw new Error(`post failed: ${JSON.stringify(r.body)}`);
}
const donation = (id: string, value = 100) => ev(charity, 'donation', { fund: 'water', amount: cny(value), donor: donor(id), channel: 'steps' }, id);
const trace = (s: Server, id = 'd1') => s.client.get<any>(`/v1/donations/${id}/trace`);
const proofs = (s: Server) => async (from: number, to: number) => (await s.client.get<{ hashes: string[] }>(`/v1/proofs/consistency?from=${from}&to=${to}`)).hashes;
const trustedOf = (r: VerifyResult, bundle: any): TrustedCheckpoint => ({ size: r.checkpoint!.size, root: r.checkpoint!.root, text: bundle.checkpoint });
const codes = (r: { problems: Array<{ code: string }> } | Array<{ code: string }>) => (Array.isArray(r) ? r : r.problems).map((p) => p.code);

let bundle1: any;
let trusted1: TrustedCheckpoint;
let bundle2: any;
let trusted2: TrustedCheckpoint;

test.before(async () => {
  a = await testServer();
  open.push(a);
  operator.signerKey = a.operatorKey;
  logKey = a.log.verifierKey;
  await post(a, ev(operator, 'org.register', { org: 'charity', name: 'Charity', roles: ['charity'], keys: [charity.verifierKey] }));
  await post(a, ev(charity, 'fund.open', { fund: 'water', name: 'Water', currency: 'CNY', restricted: false, purpose: 'water' }));
  await post(a, donation('d1', 1000));
  bundle1 = await trace(a);
  const r1 = await verifyBundle(bundle1, { logKey });
  if (!r1.ok) throw new Error(JSON.stringify(r1.problems));
  trusted1 = trustedOf(r1, bundle1);
  await post(a, donation('d2'));
  await post(a, ev(charity, 'transfer', { from: 'water', to: 'water', amount: cny(1), memo: 'x' })).catch(() => {}); // same_fund: rejected, appends nothing
  await post(a, ev(charity, 'disbursement', { fund: 'water', amount: cny(10), payee: 'P', purpose: 'q', receipts: [] }));
  bundle2 = await trace(a);
  trusted2 = trustedOf(await verifyBundle(bundle2, { logKey }), bundle2);
});

test.after(async () => {
  for (const s of open) await s.close().catch(() => {});
});

test('the server is up and the log grew', () => {
  assert.ok(a, 'server started');
  assert.ok(trusted2.size > trusted1.size, `${trusted1.size} → ${trusted2.size}`);
});

test('a later checkpoint consistent with the trusted one passes (proof fetched from the server)', async () => {
  const calls: Array<[number, number]> = [];
  const fetch = proofs(a);
  const r = await verifyBundle(bundle2, { logKey, trusted: trusted1, consistency: (f, t) => (calls.push([f, t]), fetch(f, t)) });
  assert.equal(r.problems, []);
  assert.equal(calls, [[trusted1.size, trusted2.size]]);
  // Equal size and root: nothing to fetch.
  const same = await verifyBundle(bundle2, { logKey, trusted: trusted2, consistency: () => assert.unreachable('no proof needed') as never });
  assert.equal(same.problems, []);
});

test('a rollback to an older tree is caught', async () => {
  const r = await verifyBundle(bundle1, { logKey, trusted: trusted2, consistency: proofs(a) });
  assert.equal(codes(r), ['rollback']);
  assert.not.ok(r.ok);
  assert.equal(codes(verifyCheckpointAdvance(trusted2, bundle1.checkpoint, logKey, [])), ['rollback']);
});

test('no way to get a proof → consistency_unavailable; a bogus proof → inconsistent_checkpoint', async () => {
  assert.equal(codes(await verifyBundle(bundle2, { logKey, trusted: trusted1 })), ['consistency_unavailable']);
  const failing = async () => {
    throw new Error('network down');
  };
  const r = await verifyBundle(bundle2, { logKey, trusted: trusted1, consistency: failing });
  assert.equal(codes(r), ['consistency_unavailable']);
  assert.match(r.problems[0]!.message, /network down/);
  for (const bogus of [[], ['zz'], ['ab'.repeat(32)], 'nope', [1, 2]]) {
    const x = await verifyBundle(bundle2, { logKey, trusted: trusted1, consistency: async () => bogus as never });
    assert.equal(codes(x), ['inconsistent_checkpoint'], JSON.stringify(bogus));
  }
});

test('a forked log (two servers on copies of one data directory) is caught', async () => {
  // Copy the data directory while the server is closed, then run both and let them diverge.
  await a.close();
  open.splice(open.indexOf(a), 1);
  const dirB = tempDir('cotc-fork-');
  fs.cpSync(a.dir, dirB, { recursive: true });
  a = await testServer(a.dir);
  open.push(a);
  b = await testServer(dirB);
  open.push(b);
  assert.is(b.log.verifierKey, logKey, 'the copy signs with the same log key');

  await post(a, donation('x-on-a'));
  await post(b, donation('y-on-b'));
  const onA = await trace(a);
  const onB = await trace(b);
  const rA = await verifyBundle(onA, { logKey, trusted: trusted2, consistency: proofs(a) });
  const rB = await verifyBundle(onB, { logKey, trusted: trusted2, consistency: proofs(b) });
  // Each alone extends the common history honestly...
  assert.equal(rA.problems, []);
  assert.equal(rB.problems, []);
  assert.is(rA.checkpoint!.size, rB.checkpoint!.size);
  assert.is.not(rA.checkpoint!.root, rB.checkpoint!.root);
  // ...but a client that saw A's tree catches B's: at equal size the roots differ.
  const trustedA = trustedOf(rA, onA);
  const sameSize = await verifyBundle(onB, { logKey, trusted: trustedA, consistency: proofs(b) });
  assert.equal(codes(sameSize), ['inconsistent_checkpoint']);
  assert.match(sameSize.problems[0]!.message, /forked/);

  // B grows on: no consistency proof from A's tree to B's can exist.
  await post(b, donation('z-on-b'));
  const onB2 = await trace(b);
  const later = await verifyBundle(onB2, { logKey, trusted: trustedA, consistency: proofs(b) });
  assert.equal(codes(later), ['inconsistent_checkpoint']);
  assert.ok(later.nodes.every((n) => n.ok), 'the path itself is proven; the checkpoint is what fails');
  // Even a proof from A (the honest branch) does not bridge A's tree to B's root.
  const rAtoB = await verifyBundle(onB2, { logKey, trusted: trustedA, consistency: proofs(a) });
  assert.not.ok(rAtoB.ok);

  // The auditor's check of a checkpoint advance says the same.
  const cpB = await b.client.getText('/checkpoint');
  const bSize = Number(cpB.split('\n')[1]);
  const proofB = await proofs(b)(trustedA.size, bSize);
  assert.equal(codes(verifyCheckpointAdvance(trustedA, cpB, logKey, proofB)), ['inconsistent_checkpoint']);
  assert.equal(codes(verifyCheckpointAdvance(trusted2, cpB, logKey, await proofs(b)(trusted2.size, bSize))), []);
});

test('verifyCheckpointAdvance: a consistent advance, a bad signature, a wrong key', async () => {
  const cp = await a.client.getText('/checkpoint');
  const size = Number(cp.split('\n')[1]);
  assert.equal(verifyCheckpointAdvance(trusted1, cp, logKey, await proofs(a)(trusted1.size, size)), []);
  assert.equal(verifyCheckpointAdvance(null, cp, logKey, []), []);
  assert.equal(codes(verifyCheckpointAdvance(trusted1, cp, generateKey('cotc.local/ledger').verifierKey, [])), ['bad_checkpoint_signature']);
  assert.equal(codes(verifyCheckpointAdvance(trusted1, cp.replace(/\n\d+\n/, '\n999\n'), logKey, [])), ['bad_checkpoint_signature']);
  assert.equal(codes(verifyCheckpointAdvance(trusted1, cp, logKey, [])), ['inconsistent_checkpoint']);
  const read = readCheckpoint(cp, logKey);
  assert.ok(read.ok);
  if (read.ok) assert.equal({ size: read.checkpoint.size, text: read.checkpoint.text }, { size, text: cp });
});

test('trust state: the key remembered on first use, the checkpoint only forwards, per log not per URL', () => {
  const url = 'http://ledger.example/';
  const ckpt = (t: TrustedCheckpoint) => ({ size: t.size, root: t.root, text: t.text! });
  let st = emptyLogTrust();
  assert.is(serverLog(st, url), null);
  assert.equal(decideTrust(st, url), { kind: 'ask-server' });
  st = rememberCheckpoint(acceptLog(st, url, logKey), url, logKey, ckpt(trusted2));
  assert.is(serverLog(st, 'http://ledger.example')!.record.logKey, logKey);
  assert.is(serverLog(st, url)!.record.checkpoint!.size, trusted2.size);
  // An older checkpoint never replaces a newer one under the same key; the input is not changed.
  const st2 = rememberCheckpoint(st, url, logKey, ckpt(trusted1));
  assert.is(serverLog(st2, url)!.record.checkpoint!.size, trusted2.size);
  assert.is(serverLog(st, url)!.record.checkpoint!.size, trusted2.size, 'the input state is not changed');
  // Another address of the same log shares the checkpoint (trust by identity).
  const d = decideTrust(st2, 'http://127.0.0.1:9/', logKey);
  assert.is(d.kind, 'trusted');
  if (d.kind === 'trusted') assert.is(d.checkpoint!.size, trusted2.size);
  // Another key for the same origin is a conflict naming both; only acceptLog replaces it,
  // and that forgets the old key's checkpoint.
  const other = generateKey(serverLog(st2, url)!.origin).verifierKey;
  const c = decideTrust(st2, url, other);
  assert.is(c.kind, 'conflict');
  if (c.kind === 'conflict') assert.equal([c.remembered, c.offered], [logKey, other]);
  assert.is(rememberCheckpoint(st2, url, other, ckpt(trusted2)), st2, 'a checkpoint under another key changes nothing');
  const st3 = acceptLog(st2, url, other);
  assert.is(serverLog(st3, url)!.record.logKey, other);
  assert.is(serverLog(st3, url)!.record.checkpoint, undefined);
  // Round trip through JSON, and hostile JSON.
  assert.equal(parseLogTrust(JSON.parse(JSON.stringify(st2))), st2);
  const hostile = parseLogTrust(JSON.parse(`{"version":2,"logs":{"__proto__":{"logKey":"k"},"x":{"logKey":1}},"servers":{"__proto__":"x","y":"nope"}}`));
  assert.is(serverLog(hostile, 'y'), null);
  assert.is(({} as any).logKey, undefined, 'no prototype pollution');
  assert.is(serverLog(emptyLogTrust(), 'constructor'), null);
});

// Issue 9 ("Equal-size consistency"): tlog's verifyConsistency now accepts size1 = size2
// with an empty proof and equal roots (the Go golden case); every caller here still calls a
// same-size checkpoint with another root a fork, proof or no proof.
test('equal sizes: the same root is consistent, another root is inconsistent_checkpoint whatever the proof', async () => {
  const { newLog, append, sev, checkpointNote } = await import('./synthetic.ts');
  const { readCheckpoint: read, consistencyProblems, checkConsistency } = await import('@cotc/verify');
  const a = await newLog('fork.example/log');
  const b = { ...a, tree: new (await import('@cotc/tlog')).MemoryTree(), data: [...a.data], entries: [...a.entries] };
  for (const d of a.data) await b.tree.append((await import('@cotc/tlog')).leafHash(d));
  await append(a, sev(a.operator, 'org.register', { org: 'x', name: 'X', roles: ['charity'], keys: [generateKey('x').verifierKey] }, 'reg-x'));
  await append(b as never, sev(a.operator, 'org.register', { org: 'y', name: 'Y', roles: ['charity'], keys: [generateKey('y').verifierKey] }, 'reg-y'), { effects: [] });
  const ca = read(await checkpointNote(a), a.logKey);
  const cb = read(await checkpointNote(b as never), a.logKey);
  assert.ok(ca.ok && cb.ok);
  if (!ca.ok || !cb.ok) return;
  assert.is(ca.checkpoint.size, cb.checkpoint.size);
  const { fromHex } = await import('@cotc/tlog');
  const cpB = { size: cb.checkpoint.size, root: fromHex(cb.checkpoint.root) };
  const cpA = { size: ca.checkpoint.size, root: fromHex(ca.checkpoint.root) };
  assert.equal(consistencyProblems(ca.checkpoint, cpA, []), []);
  assert.equal(await checkConsistency(ca.checkpoint, cpA, undefined), []);
  assert.equal(consistencyProblems(ca.checkpoint, cpB, []).map((p) => p.code), ['inconsistent_checkpoint']);
  assert.equal(consistencyProblems(ca.checkpoint, cpB, [ca.checkpoint.root]).map((p) => p.code), ['inconsistent_checkpoint']);
  assert.equal((await checkConsistency(ca.checkpoint, cpB, async () => [])).map((p) => p.code), ['inconsistent_checkpoint']);
  assert.equal(verifyCheckpointAdvance(ca.checkpoint, await checkpointNote(b as never), a.logKey, []).map((p) => p.code), ['inconsistent_checkpoint']);
  assert.equal(verifyCheckpointAdvance(ca.checkpoint, await checkpointNote(a), a.logKey, []), []);
});

test.run();
