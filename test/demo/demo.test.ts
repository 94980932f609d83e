// The demo data set (src/demo/demo.ts): a new data directory with the seed story, every
// event appended, traces that reach confirmed deliveries, one refund, one key rotation,
// receipts that open their commitments and never reach the log; refuses an existing store.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSignerKey } from '@cotc/tlog';
import { checkReceipt, type Entry, type Envelope } from '@cotc/ledger';
import { createDemo, demoReceiptSecret, DemoError, type DemoSummary } from '../../src/demo/demo.ts';
import { ROTATING } from '../../src/demo/story.ts';
import { openLog } from '../../src/server.ts';
import { traceBundle } from '../../src/log/bundle.ts';
import { verifyBundle } from '@cotc/verify';
import { LogService } from '../../src/log/service.ts';
import { defaultOrigin } from '../../src/log/datadir.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cotc-demo-'));
const dir = path.join(root, 'data');
const lines: string[] = [];
let summary: DemoSummary | undefined;

async function allEntries(log: LogService): Promise<Array<{ data: Uint8Array; entry: Entry }>> {
  const out = [];
  for (let start = 0; start < log.size; start += 1000) {
    for (const data of await log.entries(start, 1000)) out.push({ data, entry: LogService.parseEntry(data) });
  }
  return out;
}

function need(): DemoSummary {
  if (!summary) throw new Error('the demo was not created (see the first test)');
  return summary;
}

test('createDemo writes a new data directory with the story and reports examples', async () => {
  const t0 = performance.now();
  summary = await createDemo(dir, { donations: 300, log: (l) => lines.push(l) });
  const ms = performance.now() - t0;
  assert.ok(ms < 10_000, `took ${ms.toFixed(0)} ms`);
  assert.is(summary.donations, 300);
  assert.is(summary.examples.length, 5);
  assert.ok(summary.traced >= 20, `traced ${summary.traced}`);
  assert.ok(summary.orgs.length >= 10);
  for (const f of ['water-filters-236-schools', 'music-classrooms', 'playgrounds', 'meals-elderly', 'health-insurance', 'women-training-remote-villages']) {
    assert.ok(summary.funds.includes(f), f);
  }
  // Files: the keys and the examples, mode 0600; no signer key ever printed.
  for (const f of ['log.key', 'operator.key', 'demo-examples.json', ...fs.readdirSync(path.join(dir, 'demo-keys')).map((k) => path.join('demo-keys', k))]) {
    assert.is(fs.statSync(path.join(dir, f)).mode & 0o777, 0o600, f);
  }
  assert.is(fs.readdirSync(path.join(dir, 'demo-keys')).length, summary.orgs.length - 1); // every org but the operator
  const out = lines.join('\n');
  assert.not.ok(out.includes('PRIVATE+KEY'), 'a signer key was printed');
  for (const e of summary.examples) {
    assert.ok(out.includes(`pnpm cotc verify ${e.id} --server http://127.0.0.1:8080 --receipt ${e.receiptSecret}`), e.id);
  }
  assert.match(out, /236/);
  assert.match(out, /refunded/);
});

test('the log holds the story: size, donations, exactly one refund, a key rotation', async () => {
  const s = need();
  const log = await openLog(dir);
  try {
    assert.is(log.size, s.size);
    const all = await allEntries(log);
    const byId = new Map(all.map((x) => [x.entry.event.id, x.entry]));
    const count = (t: string) => all.filter((x) => x.entry.event.type === t).length;
    assert.is(count('donation'), 300);
    assert.ok(count('transfer') >= 8);
    assert.ok(count('disbursement') >= 10);
    assert.ok(count('confirmation') >= 10);
    const channels = new Set(all.filter((x) => x.entry.event.type === 'donation').map((x) => (x.entry.event as Envelope<'donation'>).body.channel));
    assert.equal([...channels].sort(), ['goods-for-good', 'steps-for-charity']);
    for (const x of all.filter((x) => x.entry.event.type === 'donation')) {
      const v = Number((x.entry.event as Envelope<'donation'>).body.amount.value);
      assert.ok(v >= 100 && v <= 5000, `${x.entry.event.id}: ${v}`);
    }
    // Exactly one reversal, and it is the refund of a donation.
    const reversals = all.filter((x) => x.entry.event.type === 'reversal');
    assert.is(reversals.length, 1);
    const target = (reversals[0]!.entry.event as Envelope<'reversal'>).body.event;
    assert.is(target, s.refunded);
    assert.is(byId.get(target)!.event.type, 'donation');
    // Registered payees confirm; disbursements carry invoice hashes.
    const disb = all.filter((x) => x.entry.event.type === 'disbursement').map((x) => x.entry.event as Envelope<'disbursement'>);
    assert.ok(disb.some((d) => d.body.payee === 'aquapure-filters'));
    assert.ok(disb.some((d) => !s.orgs.includes(d.body.payee)), 'a free-text payee');
    for (const d of disb) assert.match(d.body.receipts[0]!.name, /^invoice-2020-\d\d\.pdf$/);
    // The key rotation: one revoked key, one current, and the charity signed after it.
    const org = await log.org(ROTATING.id);
    assert.ok(org);
    const revoked = org.keys.filter((k: { revokedSeq?: number }) => k.revokedSeq !== undefined);
    const current = org.keys.filter((k: { revokedSeq?: number }) => k.revokedSeq === undefined);
    assert.is(revoked.length, 1);
    assert.is(current.length, 1);
    const rotatedAt = revoked[0].revokedSeq as number;
    assert.ok(all.some((x) => x.entry.seq > rotatedAt && x.entry.event.org === ROTATING.id), 'the charity signs after the rotation');
    const keyFile = fs.readFileSync(path.join(dir, 'demo-keys', `${ROTATING.id}.key`), 'utf8').trim();
    assert.is(parseSignerKey(keyFile).verifierKey, current[0].key, 'the key file holds the new key');
  } finally {
    await log.close();
  }
});

test('the story keeps the issue 9 rules: no self-confirmation, one confirmation per org per payment, restricted money stays restricted', async () => {
  const log = await openLog(dir);
  try {
    const all = await allEntries(log);
    const funds = new Map<string, { restricted: boolean; owner: string }>();
    const disbursements = new Map<string, Envelope<'disbursement'>>();
    const confirmed = new Set<string>();
    let restrictedDonations = 0;
    let restrictedSpent = 0;
    let grantsBetweenRestricted = 0;
    for (const { entry } of all) {
      const e = entry.event;
      if (e.type === 'fund.open') funds.set(e.body.fund, { restricted: e.body.restricted, owner: e.org });
      if (e.type === 'donation' && funds.get(e.body.fund)!.restricted) restrictedDonations++;
      if (e.type === 'disbursement') {
        disbursements.set(e.id, e);
        if (funds.get(e.body.fund)!.restricted) restrictedSpent++;
      }
      if (e.type === 'transfer' && funds.get(e.body.from)!.restricted) {
        assert.ok(funds.get(e.body.to)!.restricted, `${e.id} moves restricted money from ${e.body.from} into unrestricted ${e.body.to}`);
        grantsBetweenRestricted++;
      }
      if (e.type === 'confirmation') {
        const d = disbursements.get(e.body.disbursement)!;
        assert.ok(d, e.id);
        assert.is.not(e.org, d.org, `${e.id}: the paying org confirms its own payment`);
        const pair = `${e.body.disbursement} ${e.org}`;
        assert.not.ok(confirmed.has(pair), `${e.id}: a second confirmation of ${e.body.disbursement} by ${e.org}`);
        confirmed.add(pair);
      }
    }
    // The page has restricted funds to show, used as restricted funds are.
    assert.ok([...funds.values()].some((f) => f.restricted) && [...funds.values()].some((f) => !f.restricted));
    assert.ok(restrictedDonations > 0 && restrictedSpent > 0 && grantsBetweenRestricted > 0);
    assert.is((await log.fund('water-filters-236-schools'))!.restricted, true);
  } finally {
    await log.close();
  }
});

test('the demo log has a name of its own: <hostname>/cotc-demo, not the name a served log gets by default', async () => {
  const s = need();
  assert.is(s.origin, defaultOrigin('cotc-demo'));
  assert.is.not(s.origin, defaultOrigin());
  assert.is(parseSignerKey(fs.readFileSync(path.join(dir, 'log.key'), 'utf8').trim()).name, s.origin);
  assert.match(lines.join('\n'), new RegExp(`origin ${s.origin.replace(/[.]/g, '\\.')}`));
  // A chosen name is kept.
  const named = await createDemo(path.join(root, 'named'), { donations: 100, origin: 'demo.example.org/cotc' });
  assert.is(named.origin, 'demo.example.org/cotc');
});

test('at least 20 donations trace through transfer, disbursement and confirmation (trace bundles)', async () => {
  const s = need();
  const log = await openLog(dir);
  try {
    const all = await allEntries(log);
    let found = 0;
    for (const x of all) {
      if (x.entry.event.type !== 'donation') continue;
      const b = await traceBundle(log, x.entry.event.id);
      assert.ok(b, x.entry.event.id);
      const types = new Set(b.trace.nodes.map((n) => n.type));
      if (types.has('transfer') && types.has('disbursement') && types.has('confirmation')) found++;
      if (found >= 20) break;
    }
    assert.ok(found >= 20, `only ${found}`);
    for (const e of s.examples) {
      const b = await traceBundle(log, e.id);
      assert.ok(b);
      const types = new Set(b.trace.nodes.map((n) => n.type));
      assert.ok(types.has('transfer') && types.has('disbursement') && types.has('confirmation'), e.id);
      assert.is(b.trace.nodes.length - 1, e.hops);
      // What `cotc verify` checks: every hop proven, and the receipt opens the commitment.
      const r = await verifyBundle(JSON.parse(JSON.stringify(b)), { logKey: log.verifierKey, donation: e.id, receiptSecret: e.receiptSecret });
      assert.ok(r.ok, JSON.stringify(r.problems));
      assert.is(r.receipt, 'matched');
    }
  } finally {
    await log.close();
  }
});

test('the saved examples open their donations; no receipt secret reaches the store', async () => {
  const s = need();
  const saved = JSON.parse(fs.readFileSync(path.join(dir, 'demo-examples.json'), 'utf8'));
  assert.equal(saved.examples, s.examples);
  const log = await openLog(dir);
  let all;
  try {
    all = await allEntries(log);
  } finally {
    await log.close();
  }
  const donations = new Map(all.filter((x) => x.entry.event.type === 'donation').map((x) => [x.entry.event.id, x.entry.event as Envelope<'donation'>]));
  for (const e of saved.examples as DemoSummary['examples']) {
    const d = donations.get(e.id);
    assert.ok(d, e.id);
    assert.ok(checkReceipt(d, e.receiptSecret), e.id);
    assert.not.ok(checkReceipt(d, e.receiptSecret + 'x'));
    assert.is(d.body.amount.value, e.amount.value);
  }
  // Every donation's secret (the demo derives them from the seed): in no entry, nor in any
  // file of the store.
  const secrets = [...donations.keys()].map((id) => demoReceiptSecret(2020, id));
  for (const [i, id] of [...donations.keys()].entries()) assert.ok(checkReceipt(donations.get(id)!, secrets[i]!), id);
  const text = all.map((x) => Buffer.from(x.data).toString('utf8')).join('\n');
  const files = fs
    .readdirSync(path.join(dir, 'store'))
    .map((f) => fs.readFileSync(path.join(dir, 'store', f)).toString('latin1'))
    .join('\n');
  for (const secret of secrets) {
    assert.not.ok(text.includes(secret), 'a receipt secret is in an entry');
    assert.not.ok(files.includes(secret), 'a receipt secret is in the store');
  }
});

test('createDemo refuses a directory that already holds a store, and leaves it alone', async () => {
  const s = need();
  try {
    await createDemo(dir, { donations: 300 });
    assert.unreachable('createDemo ran twice into one directory');
  } catch (e) {
    assert.instance(e, DemoError);
    assert.match((e as Error).message, /already holds a ledger/);
  }
  const log = await openLog(dir);
  try {
    assert.is(log.size, s.size);
  } finally {
    await log.close();
  }
});

test('the same seed tells the same story', async () => {
  const a = await createDemo(path.join(root, 'a'), { donations: 100, seed: 7 });
  const b = await createDemo(path.join(root, 'b'), { donations: 100, seed: 7 });
  assert.equal(a.examples, b.examples);
  assert.is(a.size, b.size);
  assert.is(a.refunded, b.refunded);
  const bodies = async (d: string) => {
    const log = await openLog(d);
    try {
      return (await allEntries(log)).slice(1).map((x) => [x.entry.event.id, x.entry.event.type === 'org.register' || x.entry.event.type === 'org.keys' ? null : x.entry.event.body]);
    } finally {
      await log.close();
    }
  };
  assert.equal(await bodies(path.join(root, 'a')), await bodies(path.join(root, 'b')));
});

test.after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

test.run();
