// Resource exhaustion by a low-privilege org (issue 9). The red team's attacks, against a
// server in a child process whose heap is capped at 256 MiB:
//   - a payee posts 1,500 large (~74 KB) confirmations of one payment: only the first is
//     accepted (one confirmation per org per disbursement), and 100 auditor orgs each add
//     one large confirmation more;
//   - the payee rotates its key 10,000 times (every rotation is in the bundle of every
//     donor whose money reached the payment: it vouches for the payee's keys);
//   - a charity bounces 1 fen 10,001 times between its own funds, then pays "Cronies Ltd".
// Then every affected trace is read, all its pages, several at once. On the old code the
// first GET of such a trace killed the server (heap out of memory) or answered 422
// trace_too_large, locking the donors out of their own traces. Now: every page 200, at
// most the byte cap, one checkpoint per trace, entries strictly increasing, the bundle
// complete, and the server alive.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromBase64, leafHash, openNote, parseCheckpoint, verifyInclusion, fromHex } from '@cotc/tlog';
import { donorCommitment, type Envelope } from '@cotc/ledger';
import { fetchTraceBundle, isProblem } from '@cotc/verify';
import { eventSigner } from '../../src/crypto/sign-node.ts';
import { READ_LIMITS } from '../../src/http/limits.ts';
import { tempDir } from '../helpers/server.ts';
import { fastKey } from '../helpers/fastkeys.ts';
import fs from 'node:fs';

const ROTATIONS = Number(process.env.EXHAUST_ROTATIONS ?? 10_000);
const BOUNCES = Number(process.env.EXHAUST_BOUNCES ?? 10_001);
const PAYEE_CONFIRMATIONS = Number(process.env.EXHAUST_CONFIRMATIONS ?? 1500);
const AUDITORS = 100;
const DONORS = 3;
const HEAP_MB = 256;
const CAP = READ_LIMITS.tracePageBytes;

const here = path.dirname(fileURLToPath(import.meta.url));
const childScript = path.join(here, '..', 'helpers', 'serve-child.ts');

interface Org {
  id: string;
  signerKey: string;
  verifierKey: string;
  sign: (u: object) => Envelope;
}
const org = (id: string): Org => ({ id, ...fastKey(id) });
let n = 0;
const time = () => new Date().toISOString();
const ev = (o: Org, type: string, body: object, id = `x-${type.replace('.', '-')}-${(n++).toString(36)}`) => o.sign({ v: 1, type, id, org: o.id, time: time(), body });
const cny = (v: number) => ({ currency: 'CNY', value: String(v) });

let proc: ChildProcess | undefined;
let dataDir = '';
let url = '';
let stderr = '';
const exited = { code: null as number | null, signal: null as string | null };

async function post(body: unknown): Promise<any> {
  const text = JSON.stringify(body);
  const once = () => fetch(url + '/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
  // A keep-alive socket the server has just closed fails before any answer: send again
  // (the identical events are appended once; a resend answers 200 for those that landed).
  const r = await once().catch((e) => {
    console.log(`  POST failed (${e.cause?.message ?? e.message}), sent again`);
    return once();
  }).catch((e) => {
    throw new Error(`POST failed: ${e.cause?.message ?? e.message}; server exit ${exited.code} ${exited.signal}; stderr: ${stderr.slice(-2000)}`);
  });
  const answer = await r.text();
  assert.ok(r.status === 200 || r.status === 201, `POST: ${r.status} ${answer.slice(0, 300)}`);
  return JSON.parse(answer);
}
/** Posts an array; every element must get `status` (a code list: per element). */
async function postAll(events: unknown[], want: (i: number) => number | string = () => 201) {
  const rs = await post(events);
  rs.forEach((r: any, i: number) => {
    const w = want(i);
    if (typeof w === 'number') assert.ok(r.status === w || (w === 201 && r.status === 200), JSON.stringify(r).slice(0, 300));
    else assert.is(r.error?.code, w, JSON.stringify(r).slice(0, 300));
  });
  return rs;
}

const t0 = Date.now();
let tPhase = Date.now();
const phase = (what: string) => {
  console.log(`  ${what}: ${((Date.now() - tPhase) / 1000).toFixed(1)} s`);
  tPhase = Date.now();
};
const donors = Array.from({ length: DONORS }, (_, i) => `ex-donor-${i}`);

test('the server starts in a child process with its heap capped', async () => {
  dataDir = tempDir('cotc-exhaust-');
  proc = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, '--import', 'tsx', childScript, dataDir, JSON.stringify({ rateLimit: false })], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString();
    if (stderr.length > 1 << 16) stderr = stderr.slice(-(1 << 15));
  });
  proc.once('exit', (code, signal) => Object.assign(exited, { code, signal }));
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('server did not start in 30 s')), 30_000);
    proc!.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc!.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
});

const operator = { id: 'operator', signerKey: '', verifierKey: '', sign: (_: object) => ({}) as Envelope } as Org;
const charity = org('ex-charity');
const payee = org('ex-payee');
const auditors = Array.from({ length: AUDITORS }, (_, i) => org(`ex-auditor-${i}`));

// ~74 KB: the largest confirmation the schema allows (1024-code-point statement, 64
// evidence names of 256 code points, each a 4-byte UTF-8 character).
const big = '\u{1D11E}';
const largeConfirmation = (o: Org, statement: string) =>
  ev(o, 'confirmation', {
    disbursement: 'ex-pay',
    statement: Array.from(statement + big.repeat(1024)).slice(0, 1024).join(''),
    evidence: Array.from({ length: 64 }, (_, i) => ({ sha256: (i % 10).toString().repeat(64), name: big.repeat(256) })),
  });

test('setup: orgs, funds, donations, a payment to the payee', async () => {
  assert.ok(url, 'the server is up');
  const opKey = fs.readFileSync(path.join(dataDir, 'operator.key'), 'utf8').trim();
  Object.assign(operator, { signerKey: opKey, sign: eventSigner(opKey) as Org['sign'] });
  const reg = (o: Org, roles: string[]) => ev(operator, 'org.register', { org: o.id, name: o.id, roles, keys: [o.verifierKey] });
  await postAll([reg(charity, ['charity']), reg(payee, ['payee']), ...auditors.map((a) => reg(a, ['auditor']))]);
  const fund = (id: string) => ev(charity, 'fund.open', { fund: id, name: id, currency: 'CNY', restricted: false, purpose: 'testing' });
  await postAll([
    fund('ex-A'),
    fund('ex-C1'),
    fund('ex-C2'),
    ...donors.map((d) => ev(charity, 'donation', { fund: 'ex-A', amount: cny(100), donor: donorCommitment(d, 's'), channel: 'c' }, d)),
    ev(charity, 'donation', { fund: 'ex-C1', amount: cny(1), donor: donorCommitment('ex-bounced', 's'), channel: 'c' }, 'ex-bounced'),
    ev(charity, 'disbursement', { fund: 'ex-A', amount: cny(100 * DONORS), payee: payee.id, purpose: 'water filters', receipts: [] }, 'ex-pay'),
  ]);
  phase('started and set up');
});

test(`attack: the payee posts ${PAYEE_CONFIRMATIONS} large confirmations of one payment (one accepted), ${AUDITORS} auditors one each`, async () => {
  const per = 20; // ~1.5 MB per request, under the 2 MiB body limit
  for (let i = 0; i < PAYEE_CONFIRMATIONS; i += per) {
    const batch = Array.from({ length: Math.min(per, PAYEE_CONFIRMATIONS - i) }, (_, j) => largeConfirmation(payee, `delivered #${i + j} `));
    await postAll(batch, (j) => (i + j === 0 ? 201 : 'already_exists'));
  }
  for (let i = 0; i < AUDITORS; i += per) await postAll(auditors.slice(i, i + per).map((a) => largeConfirmation(a, `field visit by ${a.id} `)));
  phase('confirmations posted');
});

test(`attack: the payee rotates its key ${ROTATIONS} times`, async () => {
  let cur = payee;
  for (let i = 0; i < ROTATIONS; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(ROTATIONS, i + 1000); j++) {
      const next = { id: payee.id, ...fastKey(payee.id) };
      batch.push(ev(cur, 'org.keys', { org: payee.id, add: [next.verifierKey], revoke: [cur.verifierKey] }));
      cur = next;
    }
    await postAll(batch);
  }
  phase('rotations posted');
});

test(`attack: a charity bounces 1 fen ${BOUNCES} times between its own funds, then pays Cronies Ltd`, async () => {
  for (let i = 0; i < BOUNCES; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(BOUNCES, i + 1000); j++) {
      const [from, to] = j % 2 === 0 ? ['ex-C1', 'ex-C2'] : ['ex-C2', 'ex-C1'];
      batch.push(ev(charity, 'transfer', { from, to, amount: cny(1), memo: 'b' }));
    }
    await postAll(batch);
  }
  const last = BOUNCES % 2 === 1 ? 'ex-C2' : 'ex-C1';
  await postAll([ev(charity, 'disbursement', { fund: last, amount: cny(1), payee: 'Cronies Ltd', purpose: 'consulting', receipts: [] }, 'ex-cronies')]);
  phase('bounces posted');
});

interface Read {
  pages: number;
  entries: Array<{ index: number; data: string }>;
  trace: any;
  maxPage: number;
}

/** Reads every page of a trace, checking each as it comes. */
async function readTrace(id: string): Promise<Read> {
  let next: string | undefined;
  let checkpoint: string | undefined;
  let last = -1;
  const entries: Read['entries'] = [];
  let pages = 0;
  let maxPage = 0;
  for (;;) {
    const r = await fetch(`${url}/v1/donations/${id}/trace${next ? `?cursor=${encodeURIComponent(next)}` : ''}`);
    const text = await r.text();
    assert.is(r.status, 200, `${id} page ${pages + 1}: ${r.status} ${text.slice(0, 200)}`);
    pages++;
    const b = JSON.parse(text);
    const bytes = Buffer.byteLength(text);
    const traceBytes = b.trace ? Buffer.byteLength(JSON.stringify(b.trace)) : 0;
    maxPage = Math.max(maxPage, bytes - traceBytes);
    if (b.entries.length > 1) assert.ok(bytes - traceBytes <= CAP + 4096, `${id} page ${pages}: ${bytes} bytes (cap ${CAP})`);
    checkpoint ??= b.checkpoint;
    assert.is(b.checkpoint, checkpoint, 'one checkpoint for every page');
    const cp = parseCheckpoint(openNote(b.checkpoint, [logKey]).text);
    b.entries.forEach((e: any, i: number) => {
      assert.ok(e.index > last, 'entries strictly increase across pages');
      last = e.index;
      // A sample of the proofs (all of them is the verifier's job).
      if (i === 0 || i === b.entries.length - 1) {
        assert.ok(verifyInclusion(leafHash(fromBase64(e.data)), e.index, cp.size, e.proof.hashes.map((h: string) => fromHex(h)), cp.root), `${id}: entry ${e.index} proven`);
      }
      entries.push({ index: e.index, data: e.data });
    });
    if (!b.page) {
      assert.ok(b.trace, 'the last page carries the trace');
      return { pages, entries, trace: b.trace, maxPage };
    }
    assert.is(b.trace, undefined);
    next = b.page.next;
  }
}

let logKey = '';
const typeOf = (e: { data: string }) => JSON.parse(Buffer.from(e.data, 'base64').toString('utf8')).event.type as string;

test('every affected trace is served, in pages of at most the cap, complete, several at once; the server stays up', async () => {
  logKey = (await (await fetch(url + '/v1/log')).json()).key;
  const t1 = Date.now();
  const ids = [...donors, 'ex-bounced'];
  const reads = await Promise.all(ids.map((id) => readTrace(id)));
  const health = await fetch(url + '/healthz');
  assert.is(health.status, 200, 'the server is alive after the reads');
  assert.is(exited.code, null, `the server exited: ${stderr}`);
  assert.not.match(stderr, /heap out of memory/i);
  for (const [i, r] of reads.entries()) {
    const id = ids[i]!;
    if (id === 'ex-bounced') {
      assert.is(r.trace.nodes.filter((x: any) => x.type === 'transfer').length, BOUNCES, 'every bounce is in the trace');
      assert.is(r.trace.nodes[r.trace.nodes.length - 1].event, 'ex-cronies', 'and the payment to Cronies Ltd');
    } else {
      const kinds = r.entries.map(typeOf);
      assert.is(kinds.filter((k) => k === 'org.keys').length, ROTATIONS, `${id}: every key rotation of the payee is in its bundle`);
      assert.is(kinds.filter((k) => k === 'confirmation').length, 1 + AUDITORS, `${id}: one confirmation per org`);
      assert.is(r.trace.nodes.filter((x: any) => x.type === 'confirmation').length, 1 + AUDITORS);
    }
    assert.ok(r.pages >= 2, `${id}: ${r.pages} pages`);
    console.log(`  ${id}: ${r.entries.length} entries in ${r.pages} pages, largest ${(r.maxPage / 1048576).toFixed(2)} MiB of entries`);
  }
  console.log(`  read in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  const metrics = await (await fetch(url + '/metrics')).text();
  const gauge = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics)?.[1]);
  const heap = gauge('nodejs_heap_size_used_bytes');
  const rss = gauge('process_resident_memory_bytes');
  console.log(`  server heap used ${(heap / 1048576).toFixed(0)} MiB (cap ${HEAP_MB}), RSS ${(rss / 1048576).toFixed(0)} MiB`);
  assert.ok(heap < HEAP_MB * 1048576, 'the heap stayed under its cap');
  // The payee's org record lists its keys in pages too: every answer bounded.
  let keys = 0;
  let maxOrgBytes = 0;
  for (let start: number | undefined = 0; start !== undefined; ) {
    const r = await fetch(`${url}/v1/orgs/${payee.id}?start=${start}`);
    const text = await r.text();
    assert.is(r.status, 200);
    maxOrgBytes = Math.max(maxOrgBytes, text.length);
    const o = JSON.parse(text);
    assert.ok(o.keys.length <= 1000);
    keys += o.keys.length;
    start = o.next;
  }
  assert.is(keys, ROTATIONS + 1, 'every key the payee held, in pages');
  assert.ok(maxOrgBytes < 512 * 1024, `org answers up to ${maxOrgBytes} bytes`);
  // The verifier's page-following client agrees with the pages.
  const merged = await fetchTraceBundle(async (u) => (await fetch(u)).json(), url, donors[0]!);
  assert.not.ok(isProblem(merged), JSON.stringify(merged));
  assert.is((merged as any).entries.length, reads[0]!.entries.length);
});

test('teardown', async () => {
  if (proc && exited.code === null) {
    proc.kill('SIGTERM');
    await new Promise((r) => proc!.once('exit', r));
  }
  console.log(`  total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test.run();
