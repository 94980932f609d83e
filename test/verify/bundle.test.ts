// @cotc/verify's verifyBundle against real bundles from a real server (over HTTP), a
// hostile corpus of mutations of one (each refused with the right code), synthetic logs
// for what an honest server cannot be made to produce (bad keys, bad effects, overflow),
// a small fuzz (never a throw), and the CLI's text tree.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { base64, fromBase64, fromUtf8, generateKey, utf8 } from '@cotc/tlog';
import { buildTrace } from '@cotc/ledger';
import { verifyBundle, formatTraceTree, VerifyError, type VerifyCode, type VerifyResult } from '@cotc/verify';
import { testServer } from '../helpers/server.ts';
import { cny, donor, ev, newOrg, sha, type Org } from '../helpers/events.ts';
import { append, appendRaw, newLog, org, sev, synthBundle } from './synthetic.ts';

let s: Awaited<ReturnType<typeof testServer>>;
let logKey: string;
const operator: Org = { id: 'operator', signerKey: '', verifierKey: '' };
const charity = newOrg('charity');
const charity2 = newOrg('charity'); // charity's second key (after rotation)
const school = newOrg('school');
const auditor = newOrg('auditor');
let bundle: any; // the trace of d1, fetched once everything is posted
let ids: Record<string, string> = {};
let extra: Record<string, any> = {}; // GET /v1/events/:id answers against the same checkpoint
let earlyProof: any; // an inclusion proof of d1 against a smaller tree

const clone = <T>(x: T): T => structuredClone(x);

test.before(async () => {
  s = await testServer();
  operator.signerKey = s.operatorKey;
  logKey = s.log.verifierKey;
  const reg = (o: Org, roles: string[]) => ev(operator, 'org.register', { org: o.id, name: o.id, roles: roles as never, keys: [o.verifierKey] });
  const post = async (e: unknown) => {
    const r = await s.client.post(e);
    const list = Array.isArray(r.body) ? r.body : [r.body];
    for (const x of list) if (x.status !== undefined ? x.status >= 300 : r.status >= 300) throw new Error(`post failed: ${JSON.stringify(r.body)}`);
    return r;
  };
  await post([reg(charity, ['charity']), reg(school, ['charity', 'payee']), reg(auditor, ['auditor'])]);
  await post(ev(charity, 'fund.open', { fund: 'water', name: 'Water', currency: 'CNY', restricted: true, purpose: 'water filters' }));
  await post(ev(school, 'fund.open', { fund: 'school-water', name: 'School water', currency: 'CNY', restricted: true, purpose: 'install filters' }));
  await post(ev(charity, 'fund.open', { fund: 'meals', name: 'Meals', currency: 'CNY', restricted: false, purpose: 'meals for the elderly' }));
  const d1 = ev(charity, 'donation', { fund: 'water', amount: cny(1000), donor: donor('d1'), channel: 'goods-for-good' }, 'd1');
  const d2 = ev(charity, 'donation', { fund: 'water', amount: cny(500), donor: donor('d2'), channel: 'steps' }, 'd2');
  const d3 = ev(charity, 'donation', { fund: 'meals', amount: cny(300), donor: donor('d3'), channel: 'steps' }, 'd3');
  const r = await post([d1, d2, d3]);
  earlyProof = r.body[0];
  // The charity rotates its key: the old key signs its own revocation.
  await post(ev(charity, 'org.keys', { org: 'charity', add: [charity2.verifierKey], revoke: [charity.verifierKey] }));
  const t = ev(charity2, 'transfer', { from: 'water', to: 'school-water', amount: cny(1200), memo: 'grant for 236 schools' });
  await post(t);
  const disb1 = ev(school, 'disbursement', { fund: 'school-water', amount: cny(400), payee: 'Filter Co', purpose: '236 water filters', receipts: [{ sha256: sha('a'), name: 'invoice.pdf' }] });
  await post(disb1);
  const conf = ev(auditor, 'confirmation', { disbursement: disb1.id, statement: '236 water filters installed', evidence: [{ sha256: sha('b'), name: 'photos.zip' }] });
  await post(conf);
  const disb2 = ev(school, 'disbursement', { fund: 'school-water', amount: cny(100), payee: 'Pipe Co', purpose: 'pipes', receipts: [] });
  await post(disb2);
  const rev = ev(school, 'reversal', { event: disb2.id, reason: 'returned payment' });
  await post(rev);
  const disb3 = ev(charity2, 'disbursement', { fund: 'meals', amount: cny(300), payee: 'Canteen', purpose: 'meals', receipts: [] });
  await post(disb3);
  const conf3 = ev(auditor, 'confirmation', { disbursement: disb3.id, statement: 'meals served', evidence: [] });
  await post(conf3);
  ids = { d1: d1.id, t: t.id, disb1: disb1.id, conf: conf.id, disb2: disb2.id, rev: rev.id, disb3: disb3.id, conf3: conf3.id, d2: d2.id, d3: d3.id };
  bundle = await s.client.get('/v1/donations/d1/trace');
  for (const id of [conf3.id, disb3.id, 'd2', 'd3']) extra[id] = await s.client.get(`/v1/events/${id}`);
});

test.after(async () => {
  await s?.close();
});

const codes = (r: VerifyResult) => r.problems.map((p) => p.code);

test('the server is up and the bundle was fetched', () => {
  assert.ok(s, 'server started');
  assert.is(bundle?.version, 1);
  assert.ok(bundle.entries.length >= 8);
});

test('a valid bundle verifies, every node and flow ✓', async () => {
  const t0 = performance.now();
  const r = await verifyBundle(bundle, { logKey, donation: 'd1' });
  const ms = performance.now() - t0;
  assert.equal(r.problems, []);
  assert.ok(r.ok);
  assert.is(r.receipt, 'not_given');
  assert.is(r.checkpoint!.size, parseInt(bundle.checkpoint.split('\n')[1], 10));
  assert.equal(r.donation, { id: 'd1', org: 'charity', fund: 'water', amount: cny(1000), channel: 'goods-for-good', time: r.donation!.time, index: r.donation!.index });
  assert.equal(r.nodes.map((n) => [n.type, n.event]), [
    ['donation', 'd1'],
    ['transfer', ids.t],
    ['disbursement', ids.disb1],
    ['confirmation', ids.conf],
    ['disbursement', ids.disb2],
    ['reversal', ids.rev],
  ]);
  assert.ok(r.nodes.every((n) => n.ok && n.problems.length === 0));
  const byId = Object.fromEntries(r.nodes.map((n) => [n.event, n]));
  assert.equal(byId.d1.signer, { org: 'charity', key: charity.verifierKey });
  assert.equal(byId[ids.t].signer, { org: 'charity', key: charity2.verifierKey });
  assert.is(byId[ids.t].amount, '1000');
  assert.is(byId[ids.t].unspent, '500');
  assert.is(byId[ids.rev].unspent, '100');
  assert.is(byId.d1.unspent, '0');
  assert.equal(byId[ids.disb1].receipts, [{ sha256: sha('a'), name: 'invoice.pdf' }]);
  assert.is(byId[ids.conf].statement, '236 water filters installed');
  assert.equal(r.flows.map((f) => [f.from, f.to, f.value, f.ok]), [
    ['d1', ids.t, '1000', true],
    [ids.t, ids.disb1, '400', true],
    [ids.t, ids.disb2, '100', true],
    [ids.disb2, ids.rev, '100', true],
  ]);
  assert.ok(ms < 1000, `took ${ms} ms`);
});

test('the receipt secret: the right one matches, a wrong one is receipt_mismatch', async () => {
  const good = await verifyBundle(bundle, { logKey, receiptSecret: 'secret-d1' });
  assert.ok(good.ok);
  assert.is(good.receipt, 'matched');
  const bad = await verifyBundle(bundle, { logKey, receiptSecret: 'secret-d2' });
  assert.not.ok(bad.ok);
  assert.is(bad.receipt, 'mismatch');
  assert.equal(codes(bad), ['receipt_mismatch']);
  // The path itself is still proven: only the receipt failed.
  assert.ok(bad.nodes.every((n) => n.ok));
});

test('bad arguments throw VerifyError; the bundle never does', async () => {
  for (const o of [{ logKey: 'nonsense' }, { logKey: 42 }, { logKey, witnessKeys: ['x'] }, { logKey, trusted: { size: -1, root: '' } }, { logKey, receiptSecret: '' }]) {
    try {
      await verifyBundle(bundle, o as never);
      assert.unreachable('should throw');
    } catch (e) {
      assert.instance(e, VerifyError);
      assert.ok(['bad_log_key', 'bad_witness_key', 'bad_argument'].includes((e as VerifyError).code));
    }
  }
  for (const b of [null, 1, 'x', [], {}, { version: 2 }, { version: 1, checkpoint: 1 }]) {
    const r = await verifyBundle(b, { logKey });
    assert.not.ok(r.ok);
    assert.equal(codes(r), ['malformed_bundle']);
  }
});

// --- The hostile corpus: each a mutation of the valid bundle, with the code it must raise.

function entryAt(b: any, id: string): any {
  for (const e of b.entries) if (fromUtf8(fromBase64(e.data)).includes(`"id":"${id}"`)) return e;
  throw new Error(`no entry of ${id}`);
}
function editData(e: any, f: (text: string) => string) {
  e.data = base64(utf8(f(fromUtf8(fromBase64(e.data)))));
}
const idx = (b: any, id: string) => b.entries.indexOf(entryAt(b, id));

const corpus: Array<[string, (b: any) => any, VerifyCode, { logKey?: string; donation?: string }?]> = [
  ['one entry’s bytes altered', (b) => editData(entryAt(b, 'd1'), (t) => t.replace('"channel":"goods-for-good"', '"channel":"goods-for-evil"')), 'bad_inclusion_proof'],
  ['an amount in an entry altered', (b) => editData(entryAt(b, ids.t), (t) => t.replace('"value":"1200"', '"value":"1300"')), 'bad_inclusion_proof'],
  ['entry data not base64', (b) => (entryAt(b, 'd1').data = '!!!'), 'bad_entry_encoding'],
  ['entry data not canonical JSON (proven as is)', (b) => editData(entryAt(b, 'd1'), (t) => t + ' '), 'bad_inclusion_proof'],
  ['a trace flow amount altered', (b) => (b.trace.flows[0].value = '999'), 'trace_mismatch'],
  ['a trace unspent altered', (b) => (b.trace.nodes[1].unspent = '0'), 'trace_mismatch'],
  ['a trace amount that overflows', (b) => (b.trace.nodes[0].unspent = '99999999999999999999999999'), 'trace_mismatch'],
  ['a trace fund altered', (b) => (b.trace.nodes[0].fund = 'meals'), 'trace_mismatch'],
  ['the trace currency altered', (b) => (b.trace.currency = 'USD'), 'trace_mismatch'],
  ['a node type altered', (b) => (b.trace.nodes[2].type = 'transfer'), 'trace_mismatch'],
  ['a node index altered', (b) => (b.trace.nodes[2].index += 1), 'trace_mismatch'],
  ['flows reordered', (b) => b.trace.flows.reverse(), 'trace_mismatch'],
  ['an extra field in the trace', (b) => (b.trace.nodes[0].note = 'hi'), 'trace_mismatch'],
  ['a proof hash altered', (b) => { const h = b.entries[3].proof.hashes; h[0] = (h[0][0] === 'a' ? 'b' : 'a') + h[0].slice(1); }, 'bad_inclusion_proof'],
  ['a proof hash upper-cased', (b) => { const h = b.entries[3].proof.hashes; h[0] = h[0].toUpperCase(); }, 'bad_inclusion_proof'],
  ['a proof hash dropped', (b) => b.entries[3].proof.hashes.pop(), 'bad_inclusion_proof'],
  ['a proof for another index', (b) => (b.entries[3].proof.index += 1), 'bad_inclusion_proof'],
  ['the checkpoint signature altered', (b) => {
    const lines = b.checkpoint.split('\n');
    const sig = lines[lines.length - 2];
    const at = sig.length - 20;
    lines[lines.length - 2] = sig.slice(0, at) + (sig[at] === 'A' ? 'B' : 'A') + sig.slice(at + 1);
    b.checkpoint = lines.join('\n');
  }, 'bad_checkpoint_signature'],
  ['the checkpoint text altered (size)', (b) => (b.checkpoint = b.checkpoint.replace(/\n(\d+)\n/, (_: string, n: string) => `\n${Number(n) + 1}\n`)), 'bad_checkpoint_signature'],
  ['the checkpoint unsigned', (b) => (b.checkpoint = b.checkpoint.slice(0, b.checkpoint.indexOf('\n\n') + 1)), 'bad_checkpoint'],
  ['a different log key', (b) => b, 'bad_checkpoint_signature', { logKey: generateKey('other.example/log').verifierKey }],
  ['a different key of the same name', (b) => b, 'bad_checkpoint_signature', { logKey: generateKey('cotc.local/ledger').verifierKey }],
  ['the transfer’s entry dropped', (b) => b.entries.splice(idx(b, ids.t), 1), 'missing_entry'],
  ['the donation’s entry dropped', (b) => b.entries.splice(idx(b, 'd1'), 1), 'not_in_log'],
  ['entry 0 dropped', (b) => b.entries.splice(0, 1), 'missing_entry'],
  ['the charity’s registration dropped', (b) => b.entries.splice(b.entries.findIndex((e: any) => fromUtf8(fromBase64(e.data)).includes('"type":"org.register"') && fromUtf8(fromBase64(e.data)).includes('"org":"charity","roles"')), 1), 'unknown_key'],
  ['the charity’s key rotation dropped', (b) => b.entries.splice(b.entries.findIndex((e: any) => fromUtf8(fromBase64(e.data)).includes('"type":"org.keys"')), 1), 'unknown_key'],
  ['a duplicate entry', (b) => b.entries.splice(4, 0, clone(b.entries[4])), 'duplicate_entry'],
  ['entries out of order', (b) => ([b.entries[3], b.entries[4]] = [b.entries[4], b.entries[3]]), 'entry_out_of_order'],
  ['proofs for a smaller tree (size altered)', (b) => (b.entries[2].proof.size -= 1), 'bad_inclusion_proof'],
  ['a real proof for a smaller tree', (b) => (entryAt(b, 'd1').proof = earlyProof.proof), 'bad_inclusion_proof'],
  ['a leaf proven at another index', (b) => {
    // d2's index and proof (valid for d2's bytes) carrying d1's bytes.
    const d1 = entryAt(b, 'd1');
    const other = extra.d2;
    b.entries.push({ index: other.entry.index, data: d1.data, proof: other.proof });
    b.entries.sort((x: any, y: any) => x.index - y.index);
  }, 'bad_inclusion_proof'],
  ['a trace naming an event not in entries', (b) => b.trace.nodes.push({ event: 'ghost', type: 'transfer', index: 9999, fund: 'water', unspent: '0' }), 'missing_entry'],
  ['a flow the effects do not imply', (b) => b.trace.flows.push({ from: 'd1', to: ids.disb1, value: '1' }), 'trace_mismatch'],
  ['a flow that is not there', (b) => b.trace.flows.splice(1, 1), 'trace_mismatch'],
  ['a confirmation hidden (removed from nodes)', (b) => (b.trace.nodes = b.trace.nodes.filter((n: any) => n.type !== 'confirmation')), 'trace_mismatch'],
  ['a confirmation invented (a proven one of another donation)', (b) => {
    b.entries.push({ ...extra[ids.conf3].entry, proof: extra[ids.conf3].proof });
    b.entries.sort((x: any, y: any) => x.index - y.index);
    b.trace.nodes.push({ event: ids.conf3, type: 'confirmation', index: extra[ids.conf3].entry.index });
  }, 'trace_mismatch'],
  ['another donation’s disbursement invented as a hop', (b) => {
    b.entries.push({ ...extra[ids.disb3].entry, proof: extra[ids.disb3].proof });
    b.entries.sort((x: any, y: any) => x.index - y.index);
    b.trace.nodes.push({ event: ids.disb3, type: 'disbursement', index: extra[ids.disb3].entry.index });
    b.trace.flows.push({ from: 'd1', to: ids.disb3, value: '1' });
  }, 'trace_mismatch'],
  ['a trace node listed twice', (b) => b.trace.nodes.splice(1, 0, clone(b.trace.nodes[1])), 'trace_mismatch'],
  ['the trace of another donation', (b) => b, 'wrong_donation', { donation: 'd2' }],
  ['a donation not in the log', (b) => (b.trace.donation = 'nope'), 'not_in_log'],
  ['trace nodes not an array', (b) => (b.trace.nodes = {}), 'malformed_bundle'],
  ['an entry without an index', (b) => delete b.entries[1].index, 'malformed_bundle'],
  ['a node of the wrong shape', (b) => (b.trace.nodes[1].index = '3'), 'malformed_bundle'],
];

for (const [name, mutate, code, o] of corpus) {
  test(`hostile: ${name} → ${code}`, async () => {
    const b = clone(bundle);
    mutate(b);
    const r = await verifyBundle(b, { logKey: o?.logKey ?? logKey, donation: o?.donation });
    assert.not.ok(r.ok, 'must not verify');
    assert.ok(codes(r).includes(code), `expected ${code}, got ${JSON.stringify(r.problems, null, 1)}`);
  });
}

test('a mutated bundle marks the affected node ✗ and leaves the others ✓', async () => {
  const b = clone(bundle);
  b.trace.nodes[1].unspent = '0';
  const r = await verifyBundle(b, { logKey });
  const bad = r.nodes.filter((n) => !n.ok).map((n) => n.event);
  assert.equal(bad, [ids.t]);
});

test('a huge hostile trace is handled in linear time (or refused)', async () => {
  const b = clone(bundle);
  for (let i = 0; i < 10_000; i++) b.trace.nodes.push({ event: `ghost-${i}`, type: 'transfer', index: 1000 + i, fund: 'f', unspent: '1' });
  for (let i = 0; i < 10_000; i++) b.trace.flows.push({ from: 'd1', to: `ghost-${i}`, value: '1' });
  const t0 = performance.now();
  const r = await verifyBundle(b, { logKey });
  const ms = performance.now() - t0;
  assert.not.ok(r.ok);
  assert.ok(codes(r).includes('missing_entry'));
  assert.ok(ms < 5000, `took ${ms} ms`);
  const huge = await verifyBundle({ ...bundle, entries: new Array(100_001).fill(bundle.entries[0]) }, { logKey });
  assert.equal(codes(huge), ['malformed_bundle']);
});

test('witness keys: a listed witness must have cosigned', async () => {
  const w = generateKey('witness.example');
  const r = await verifyBundle(bundle, { logKey, witnessKeys: [w.verifierKey] });
  assert.ok(codes(r).includes('missing_witness'));
  const { signNote } = await import('@cotc/tlog');
  const b = clone(bundle);
  b.checkpoint = signNote(b.checkpoint, w.signerKey);
  const r2 = await verifyBundle(b, { logKey, witnessKeys: [w.verifierKey] });
  assert.equal(r2.problems, []);
});

test('fuzz: random mutations of a valid bundle never throw, and verify only if unchanged in meaning', async () => {
  const good = await verifyBundle(bundle, { logKey });
  const text = JSON.stringify(bundle);
  const paths: Array<Array<string | number>> = [];
  const walk = (v: unknown, p: Array<string | number>) => {
    paths.push(p);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) walk((v as any)[k], [...p, k]);
  };
  walk(bundle, []);
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('replace' as const), path: fc.constantFrom(...paths), value: fc.jsonValue({ maxDepth: 2 }) }),
    fc.record({ kind: fc.constant('delete' as const), path: fc.constantFrom(...paths) }),
    fc.record({ kind: fc.constant('char' as const), at: fc.nat(text.length - 1), c: fc.constantFrom('0', 'a', '"', '{', ']', 'Z', '+', '=') }),
  );
  await fc.assert(
    fc.asyncProperty(mutation, async (m) => {
      let b: any;
      if (m.kind === 'char') {
        try {
          b = JSON.parse(text.slice(0, m.at) + m.c + text.slice(m.at + 1));
        } catch {
          return; // not JSON: the client never gets this far
        }
      } else {
        b = JSON.parse(text);
        if (m.path.length === 0) b = m.kind === 'replace' ? m.value : undefined;
        else {
          let o = b;
          for (const k of m.path.slice(0, -1)) o = o[k];
          const k = m.path[m.path.length - 1]!;
          if (m.kind === 'replace') o[k] = m.value;
          else if (Array.isArray(o)) o.splice(k as number, 1);
          else delete o[k];
        }
      }
      const r = await verifyBundle(b, { logKey });
      if (r.ok) assert.equal(r, good, `mutation ${JSON.stringify(m)} verified with a different result`);
    }),
    { numRuns: 100 },
  );
});

test('formatTraceTree draws the path from the donation to the confirmations', async () => {
  const r = await verifyBundle(bundle, { logKey, receiptSecret: 'secret-d1' });
  const out = formatTraceTree(r, bundle);
  assert.match(out, /^✓ donation d1: every hop verified/);
  assert.match(out, /this donation is yours/);
  assert.match(out, /✓ donation d1: CNY 10\.00 into fund water/);
  assert.match(out, new RegExp(`✓ CNY 10\\.00 → transfer ${ids.t}: water → fund school-water "grant for 236 schools"`));
  assert.match(out, /✓ CNY 4\.00 → disbursement .*paid to "Filter Co" for "236 water filters"/);
  assert.match(out, new RegExp(`receipt "invoice.pdf" sha256 ${sha('a')}`));
  assert.match(out, /✓ confirmation .*"236 water filters installed" — signed by auditor/);
  assert.match(out, /✓ CNY 1\.00 → reversal .* of .*"returned payment", money back into fund school-water/);
  assert.match(out, /unspent: CNY 5\.00 still in fund school-water/);
  assert.not.match(out, /✗/);

  const b = clone(bundle);
  b.trace.nodes = b.trace.nodes.filter((n: any) => n.type !== 'confirmation');
  b.trace.nodes[0].fund = 'evil\u001b[2J\u202efund';
  const bad = formatTraceTree(await verifyBundle(b, { logKey }), b);
  if (process.env.SHOW_TREE) console.log(out + "\n" + bad);
  assert.match(bad, /^✗ donation d1: NOT VERIFIED/);
  assert.match(bad, /✗ confirmation [^\n]*\n(.*\n)*?.*✗ the trace leaves out confirmation/);
  assert.not.match(bad, /\u001b|\u202e/);
  // The message quotes the fund as JSON (ESC already written as the six characters \u001b,
  // whose backslash safeText escapes in turn); the override is escaped by safeText itself.
  assert.match(bad, /evil\\\\u001b\[2J\\u202efund/);
});

// --- Synthetic logs: what an honest server never sends.

async function synthBase() {
  const log = await newLog();
  const charityA = org('charity');
  await append(log, sev(log.operator, 'org.register', { org: 'charity', name: 'Charity', roles: ['charity'], keys: [charityA.verifierKey] }, 'reg-charity'));
  await append(log, sev(charityA, 'fund.open', { fund: 'f', name: 'F', currency: 'CNY', restricted: false, purpose: 'p' }, 'open-f'));
  return { log, charityA };
}

test('synthetic: a valid synthetic bundle verifies (the helper is sound)', async () => {
  const { log, charityA } = await synthBase();
  await append(log, sev(charityA, 'donation', { fund: 'f', amount: cny(10), donor: donor('sd'), channel: 'c' }, 'sd'));
  await append(log, sev(charityA, 'disbursement', { fund: 'f', amount: cny(4), payee: 'P', purpose: 'q', receipts: [] }, 'sx'));
  const r = await verifyBundle(await synthBundle(log, 'sd'), { logKey: log.logKey });
  assert.equal(r.problems, []);
});

test('synthetic: a key registered after the event it signed → unknown_key', async () => {
  const { log, charityA } = await synthBase();
  const charityB = org('charity');
  // The donation is signed with key B before the org.keys that adds B is logged.
  await append(log, sev(charityB, 'donation', { fund: 'f', amount: cny(10), donor: donor('sd'), channel: 'c' }, 'sd'), { effects: [] });
  await append(log, sev(charityA, 'org.keys', { org: 'charity', add: [charityB.verifierKey], revoke: [] }, 'keys-b'), { effects: [] });
  const r = await verifyBundle(await synthBundle(log, 'sd'), { logKey: log.logKey });
  assert.equal(codes(r), ['unknown_key']);
  assert.is(r.problems[0]!.index, 3);
  assert.not.ok(r.nodes[0]!.ok);
});

test('synthetic: a key signs its own revocation, but nothing after → revoked_key', async () => {
  const { log, charityA } = await synthBase();
  const charityB = org('charity');
  await append(log, sev(charityA, 'org.keys', { org: 'charity', add: [charityB.verifierKey], revoke: [charityA.verifierKey] }, 'rotate'));
  await append(log, sev(charityB, 'donation', { fund: 'f', amount: cny(10), donor: donor('sd'), channel: 'c' }, 'sd'));
  const ok = await verifyBundle(await synthBundle(log, 'sd'), { logKey: log.logKey });
  assert.equal(ok.problems, []);
  await append(log, sev(charityA, 'disbursement', { fund: 'f', amount: cny(3), payee: 'P', purpose: 'q', receipts: [] }, 'late'), {
    effects: [{ donation: 'sd', via: 'sd', value: '3' }],
  });
  const r = await verifyBundle(await synthBundle(log, 'sd'), { logKey: log.logKey });
  assert.equal(codes(r), ['revoked_key']);
  assert.is(r.problems[0]!.event, 'late');
});

test('synthetic: an org registered by someone other than the operator → forbidden, its keys vouch for nothing', async () => {
  const { log, charityA } = await synthBase();
  const rogue = org('rogue');
  await append(log, sev(charityA, 'org.register', { org: 'rogue', name: 'Rogue', roles: ['charity'], keys: [rogue.verifierKey] }, 'reg-rogue'), { effects: [] });
  await append(log, sev(charityA, 'donation', { fund: 'f', amount: cny(10), donor: donor('sd'), channel: 'c' }, 'sd'), { effects: [] });
  await append(log, sev(rogue, 'transfer', { from: 'f', to: 'g', amount: cny(10), memo: 'm' }, 'steal'), { effects: [{ donation: 'sd', via: 'sd', value: '10' }] });
  const b = await synthBundle(log, 'sd', { indexes: [0, 1, 2, 3, 4, 5] });
  const r = await verifyBundle(b, { logKey: log.logKey });
  assert.ok(codes(r).includes('forbidden'));
  assert.ok(codes(r).includes('unknown_key'));
});

test('synthetic: entry 0 not the operator’s self-registration → forbidden / unknown_key', async () => {
  const log = await newLog();
  const r0 = await verifyBundle(await synthBundle(log, 'x', { indexes: [0], trace: { donation: 'x', currency: 'CNY', nodes: [], flows: [] } }), { logKey: log.logKey });
  assert.equal(codes(r0), ['not_in_log']); // entry 0 itself is fine
  // Entry 0 signed by a key it does not carry.
  const other = await newLog();
  const stranger = org('operator');
  other.data.length = 0;
  other.entries.length = 0;
  const { MemoryTree } = await import('@cotc/tlog');
  other.tree = new MemoryTree();
  other.state = null;
  await append(other, sev(stranger, 'org.register', { org: 'operator', name: 'Op', roles: ['operator'], keys: [other.operator.verifierKey] }, 'op'), { effects: [] });
  const r = await verifyBundle(await synthBundle(other, 'x', { indexes: [0], trace: { donation: 'x', currency: 'CNY', nodes: [], flows: [] } }), { logKey: other.logKey });
  assert.ok(codes(r).includes('unknown_key'));
});

test('synthetic: a bad event signature in a proven entry → bad_event_signature', async () => {
  const { log, charityA } = await synthBase();
  const d = sev(charityA, 'donation', { fund: 'f', amount: cny(10), donor: donor('sd'), channel: 'c' }, 'sd');
  const forged = { ...d, body: { ...(d.body as object), amount: cny(11) } } as typeof d;
  await append(log, forged, { effects: [] });
  const r = await verifyBundle(await synthBundle(log, 'sd'), { logKey: log.logKey });
  assert.equal(codes(r), ['bad_event_signature']);
});

test('synthetic: amounts that overflow 2^63-1 → bad_amount', async () => {
  const { log, charityA } = await synthBase();
  await append(log, sev(charityA, 'donation', { fund: 'f', amount: cny('9999999999999999999'), donor: donor('sd'), channel: 'c' }, 'sd'), { effects: [] });
  await append(log, sev(charityA, 'transfer', { from: 'f', to: 'g', amount: cny('9999999999999999999'), memo: 'm' }, 'big'), {
    effects: [{ donation: 'sd', via: 'sd', value: '9999999999999999999' }],
  });
  const r = await verifyBundle(await synthBundle(log, 'sd'), { logKey: log.logKey });
  assert.ok(codes(r).includes('bad_amount'));
  assert.not.ok(r.ok);
});

test('synthetic: effects that do not add up, or spend more than the donation → bad_effects / conservation', async () => {
  const { log, charityA } = await synthBase();
  await append(log, sev(charityA, 'donation', { fund: 'f', amount: cny(10), donor: donor('sd'), channel: 'c' }, 'sd'), { effects: [] });
  await append(log, sev(charityA, 'disbursement', { fund: 'f', amount: cny(5), payee: 'P', purpose: 'q', receipts: [] }, 'x1'), {
    effects: [{ donation: 'sd', via: 'sd', value: '6' }],
  });
  await append(log, sev(charityA, 'disbursement', { fund: 'f', amount: cny(8), payee: 'P', purpose: 'q', receipts: [] }, 'x2'), {
    effects: [{ donation: 'sd', via: 'sd', value: '8' }],
  });
  const r = await verifyBundle(await synthBundle(log, 'sd'), { logKey: log.logKey });
  assert.ok(codes(r).includes('bad_effects'), JSON.stringify(r.problems));
  assert.ok(codes(r).includes('conservation'), JSON.stringify(r.problems)); // 6 + 8 out of 10
});

test('synthetic: an entry whose seq is not its index → bad_entry; a broken prev → bad_chain', async () => {
  const { log, charityA } = await synthBase();
  await append(log, sev(charityA, 'donation', { fund: 'f', amount: cny(10), donor: donor('sd'), channel: 'c' }, 'sd'), { effects: [], seq: 7 });
  const r = await verifyBundle(await synthBundle(log, 'sd', { indexes: [0, 1, 2, 3] }), { logKey: log.logKey });
  assert.ok(codes(r).includes('bad_entry'));
  const l2 = (await synthBase()).log;
  const c2 = org('charity');
  void c2;
  await append(l2, sev(l2.operator, 'org.register', { org: 'school', name: 'S', roles: ['payee'], keys: [org('school').verifierKey] }, 'reg-school'), { prev: 'ab'.repeat(32) });
  const r2 = await verifyBundle(await synthBundle(l2, 'none', { indexes: [0, 1, 2, 3], trace: { donation: 'none', currency: 'CNY', nodes: [], flows: [] } }), { logKey: l2.logKey });
  assert.ok(codes(r2).includes('bad_chain'));
});

test('synthetic: proven bytes that are not canonical JSON → bad_entry_encoding', async () => {
  const { log, charityA } = await synthBase();
  const d = sev(charityA, 'donation', { fund: 'f', amount: cny(10), donor: donor('sd'), channel: 'c' }, 'sd');
  const entry = { seq: 3, prev: '0'.repeat(64), time: '2021-01-01T00:00:00Z', event: d, effects: [] };
  await appendRaw(log, utf8(JSON.stringify(entry, null, 1)));
  const r = await verifyBundle(await synthBundle(log, 'sd', { indexes: [0, 1, 3], trace: { donation: 'sd', currency: 'CNY', nodes: [], flows: [] } }), { logKey: log.logKey });
  assert.ok(codes(r).includes('bad_entry_encoding'));
  assert.ok(codes(r).includes('not_in_log'));
});

test('synthetic: the trace recomputed by buildTrace equals the server-style bundle for a longer path', async () => {
  const { log, charityA } = await synthBase();
  await append(log, sev(log.operator, 'org.register', { org: 'ngo', name: 'NGO', roles: ['charity'], keys: [org('ngo').verifierKey] }, 'reg-ngo'));
  await append(log, sev(charityA, 'fund.open', { fund: 'g', name: 'G', currency: 'CNY', restricted: false, purpose: 'p' }, 'open-g'));
  await append(log, sev(charityA, 'donation', { fund: 'f', amount: cny(10), donor: donor('sd'), channel: 'c' }, 'sd'));
  await append(log, sev(charityA, 'donation', { fund: 'f', amount: cny(7), donor: donor('se'), channel: 'c' }, 'se'));
  await append(log, sev(charityA, 'transfer', { from: 'f', to: 'g', amount: cny(12), memo: 'm' }, 'tr'));
  await append(log, sev(charityA, 'transfer', { from: 'g', to: 'f', amount: cny(11), memo: 'back' }, 'tr2'));
  await append(log, sev(charityA, 'reversal', { event: 'tr2', reason: 'oops' }, 'rv'));
  const b = await synthBundle(log, 'sd');
  assert.equal(b.trace, buildTrace('sd', log.entries));
  const r = await verifyBundle(b, { logKey: log.logKey });
  assert.equal(r.problems, []);
  assert.ok(r.nodes.some((n) => n.type === 'reversal' && n.ok));
});

test.run();
