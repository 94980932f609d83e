// `cotc verify <donation-id> --server URL [--log-key KEY] [--receipt SECRET] [--state FILE]`
// run as the real CLI against a real server: a real donation verifies (exit 0) and its
// path is printed with amounts; receipts match or not; unknown donations and a server
// that is down; a malicious proxy that alters the trace bundle in five ways; and a fork
// (two copies of one data directory that diverge) caught by the remembered checkpoint.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import crypto from 'node:crypto';
import { generateKey } from '@cotc/tlog';
import { freePort } from '../helpers/daemon.ts';
import { tempDir, testServer } from '../helpers/server.ts';
import { cny, donor, ev, newOrg, type Org } from '../helpers/events.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const stateHome = tempDir('cotc-verify-state-');

interface Run {
  code: number;
  out: string;
  err: string;
}

// Node with tsx's loader on the CLI's entry point: what `pnpm cotc` runs, without pnpm's
// and tsx's start-up; the first test goes through `pnpm --silent cotc` itself.
function cli(args: string[], viaPnpm = false): Promise<Run> {
  return new Promise((resolve) => {
    const [cmd, pre] = viaPnpm ? ['pnpm', ['--silent', 'cotc']] : [process.execPath, ['--import', 'tsx', 'src/cli/main.ts']];
    const child = execFile(
      cmd,
      [...pre, ...args],
      { cwd: ROOT, env: { ...process.env, XDG_STATE_HOME: stateHome, FORCE_COLOR: '0' }, timeout: 180_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
        resolve({ code, out: stdout, err: stderr });
      },
    );
    child.stdin!.end();
  });
}
const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.out}\n--- stderr\n${r.err}`;
const stateFile = () => path.join(tempDir('cotc-verify-'), 'state.json');

type Server = Awaited<ReturnType<typeof testServer>>;

// The invoice whose SHA-256 the disbursement carries, and a photo whose hash is the confirmation's evidence.
const INVOICE = Buffer.from('INVOICE 2020-07: 236 water filters, CNY 45.00\n');
const INVOICE_SHA = crypto.createHash('sha256').update(INVOICE).digest('hex');
const PHOTO = Buffer.from('JPEG: 236 water filters installed');
const PHOTO_SHA = crypto.createHash('sha256').update(PHOTO).digest('hex');

async function accept(s: Server, events: unknown[]): Promise<void> {
  const r = await s.client.post(events);
  assert.ok(Array.isArray(r.body) && r.body.every((x: { status: number }) => x.status === 201), JSON.stringify(r.body));
}

/** Registers a charity and a payee, opens two funds, and gives donation `id` (100.00 CNY) a path: transfer, disbursement, confirmation. */
async function populate(s: Server, tag: string, id: string, secret: string) {
  const op: Org = { id: 'operator', signerKey: s.operatorKey, verifierKey: '' };
  const ch = newOrg(`charity-${tag}`);
  const py = newOrg(`payee-${tag}`);
  await accept(s, [
    ev(op, 'org.register', { org: ch.id, name: 'Charity', roles: ['charity'], keys: [ch.verifierKey] }),
    ev(op, 'org.register', { org: py.id, name: 'Water filters Ltd', roles: ['payee'], keys: [py.verifierKey] }),
    ev(ch, 'fund.open', { fund: `general-${tag}`, name: 'General', currency: 'CNY', restricted: false, purpose: 'where most needed' }),
    ev(ch, 'fund.open', { fund: `schools-${tag}`, name: 'Schools', currency: 'CNY', restricted: true, purpose: 'water filters for 236 schools' }),
    ev(ch, 'donation', { fund: `general-${tag}`, amount: cny(10000), donor: donor(id, secret), channel: 'goods-for-good' }, id),
    ev(ch, 'transfer', { from: `general-${tag}`, to: `schools-${tag}`, amount: cny(6000), memo: 'grant for water filters' }, `tr-${tag}`),
    ev(ch, 'disbursement', { fund: `schools-${tag}`, amount: cny(4500), payee: py.id, purpose: 'water filters', receipts: [{ sha256: INVOICE_SHA, name: 'invoice.pdf' }] }, `dis-${tag}`),
  ]);
  await accept(s, [ev(py, 'confirmation', { disbursement: `dis-${tag}`, statement: '236 water filters installed', evidence: [{ sha256: PHOTO_SHA, name: 'photo.jpg' }] }, `conf-${tag}`)]);
  return { ch, py };
}

let server: Server;
const DONATION = 'gift-verify-1';
const SECRET = 'kFjycPu3oaSPtfl1neH6yDRZXM4tthgQ4Z_pDQEPHbg';

test('setup: a server with a donation whose money moved', async () => {
  server = await testServer();
  await populate(server, 'v', DONATION, SECRET);
});

test('a real donation verifies with its path and amounts; receipts; unknown donation; server down', async () => {
  const down = `http://127.0.0.1:${await freePort()}`;
  const st = stateFile();
  const [ok, right, wrong, unknown, off] = await Promise.all([
    cli(['verify', DONATION, '--server', server.url, '--state', st], true),
    cli(['verify', DONATION, '--server', server.url, '--state', stateFile(), '--receipt', SECRET, '--log-key', server.log.verifierKey]),
    cli(['verify', DONATION, '--server', server.url, '--state', stateFile(), '--receipt', 'not-my-secret']),
    cli(['verify', 'no-such-gift', '--server', server.url, '--state', stateFile()]),
    cli(['verify', DONATION, '--server', down, '--state', stateFile()]),
  ]);
  assert.is(ok.code, 0, show(ok));
  assert.match(ok.err, /trusting .* log key on first use: \S+\+[0-9a-f]{8}\+/);
  assert.match(ok.out, /donation gift-verify-1: CNY 100\.00 into fund general-v/);
  assert.match(ok.out, /CNY 60\.00 → transfer tr-v/);
  assert.match(ok.out, /CNY 45\.00 → disbursement dis-v: paid to organisation payee-v for "water filters"/);
  assert.ok(ok.out.includes(`receipt "invoice.pdf" sha256 ${INVOICE_SHA}`), show(ok));
  assert.match(ok.out, /confirmation conf-v: "236 water filters installed"/);
  assert.match(ok.out, /unspent: CNY 40\.00 still in fund general-v/);
  assert.match(ok.out, /\nVERIFIED: donation gift-verify-1 of CNY 100\.00 into general-v; 4 events .* checkpoint 9 /);
  const saved = JSON.parse(fs.readFileSync(st, 'utf8'));
  // Remembered by the log's identity (its origin, the key's name), and the URL as serving it.
  assert.is(saved.version, 2);
  assert.is(saved.servers[server.url], server.log.origin);
  const rec = saved.logs[server.log.origin];
  assert.is(rec.logKey, server.log.verifierKey);
  assert.is(rec.checkpoint.size, 9);
  assert.is((fs.statSync(st).mode & 0o777).toString(8), '600');

  assert.is(right.code, 0, show(right));
  assert.match(right.out, /receipt: the secret opens the donor commitment/);
  assert.match(right.out, /VERIFIED: .*receipt matched/);
  assert.not.match(right.err, /first use/);

  assert.is(wrong.code, 1, show(wrong));
  assert.match(wrong.out, /FAILED: receipt_mismatch: /, show(wrong));
  assert.not.match(wrong.out, /^VERIFIED:/m);

  assert.is(unknown.code, 1, show(unknown));
  assert.match(unknown.out, /FAILED: not_in_log: donation no-such-gift is not in the log/);

  assert.is(off.code, 2, show(off));
  assert.match(off.err, /--server: cannot reach http:\/\/127\.0\.0\.1:\d+/);
});

test('--document: a file held by the donor matches a proven receipt or evidence hash, or none (exit 1)', async () => {
  const dir = tempDir('cotc-docs-');
  const inv = path.join(dir, 'my-invoice.pdf');
  const photo = path.join(dir, 'IMG_0001.jpg');
  const other = path.join(dir, 'other.pdf');
  fs.writeFileSync(inv, INVOICE);
  fs.writeFileSync(photo, PHOTO);
  fs.writeFileSync(other, Buffer.concat([INVOICE, Buffer.from(' ')]));
  const [both, none, json, missing] = await Promise.all([
    cli(['verify', DONATION, '--server', server.url, '--state', stateFile(), '--document', inv, '--document', photo]),
    cli(['verify', DONATION, '--server', server.url, '--state', stateFile(), '--document', other]),
    cli(['verify', DONATION, '--server', server.url, '--state', stateFile(), '--document', inv, '--document', other, '--json']),
    cli(['verify', DONATION, '--server', server.url, '--state', stateFile(), '--document', path.join(dir, 'no-such.pdf')]),
  ]);
  assert.is(both.code, 0, show(both));
  assert.ok(both.out.includes(`MATCH: ${inv} (sha256 ${INVOICE_SHA}) is the receipt "invoice.pdf" of disbursement dis-v`), show(both));
  assert.ok(both.out.includes(`MATCH: ${photo} (sha256 ${PHOTO_SHA}) is the evidence "photo.jpg" of confirmation conf-v`), show(both));
  assert.is(none.code, 1, show(none));
  assert.match(none.out, /^VERIFIED: /m);
  assert.match(none.out, /NO MATCH: .*other\.pdf \(sha256 [0-9a-f]{64}\) is none of the 2 receipt and evidence documents proven/);
  assert.is(json.code, 1, show(json));
  const j = JSON.parse(json.out);
  assert.is(j.verified, true);
  assert.equal(j.documents.map((d: { matched: boolean }) => d.matched), [true, false]);
  assert.is(j.documents[0].matches[0].event, 'dis-v');
  assert.is(j.documents[0].sha256, INVOICE_SHA);
  assert.is(missing.code, 2, show(missing));
  assert.match(missing.err, /--document: cannot read .*no-such\.pdf: no such file/);
});

test('--json: one document, verified or not; a wrong receipt on a proven path is said calmly', async () => {
  const [ok, wrong, unknown, calm] = await Promise.all([
    cli(['verify', DONATION, '--server', server.url, '--state', stateFile(), '--receipt', SECRET, '--json']),
    cli(['verify', DONATION, '--server', server.url, '--state', stateFile(), '--receipt', 'not-my-secret', '--json']),
    cli(['verify', 'no-such-gift', '--server', server.url, '--state', stateFile(), '--json']),
    cli(['verify', DONATION, '--server', server.url, '--state', stateFile(), '--receipt', 'not-my-secret']),
  ]);
  assert.is(ok.code, 0, show(ok));
  const j = JSON.parse(ok.out);
  assert.is(j.verified, true);
  assert.is(j.donation, DONATION);
  assert.equal(j.amount, { currency: 'CNY', value: '10000' });
  assert.is(j.receipt, 'matched');
  assert.is(j.checkpoint.size, 9);
  assert.is(j.events, 4);
  assert.equal(j.problems, []);
  assert.is(wrong.code, 1, show(wrong));
  const w = JSON.parse(wrong.out);
  assert.is(w.verified, false);
  assert.is(w.receipt, 'mismatch');
  assert.equal(w.problems.map((p: { code: string }) => p.code), ['receipt_mismatch']);
  assert.is(unknown.code, 1, show(unknown));
  assert.equal(JSON.parse(unknown.out).problems.map((p: { code: string }) => p.code), ['not_in_log']);
  for (const r of [ok, wrong, unknown]) assert.is(r.out.trim().split('\n').length, 1, show(r));
  // Without --json: the tree, then the calm words, then the stable FAILED line (issue 12 item 1).
  assert.is(calm.code, 1, show(calm));
  assert.match(calm.out, /This receipt does not match donation gift-verify-1\. The path of the money above is verified/);
  assert.match(calm.out, /FAILED: receipt_mismatch: /);
});

// A proxy in front of the real server that alters the trace bundle; the mode is the
// first path segment of the URL the CLI is given (http://proxy/<mode>).
type Bundle = {
  checkpoint: string;
  entries: Array<{ index: number; data: string; proof: { index: number; size: number; hashes: string[] } }>;
  trace: { nodes: Array<{ event: string; index: number; unspent?: string }>; flows: Array<{ from: string; to: string; value: string }> };
};

const tamper: Record<string, (b: Bundle) => void> = {
  // One entry's bytes: the donation's amount, 100.00 → 900.00 (still canonical JSON).
  bytes(b) {
    const e = b.entries.find((x) => Buffer.from(x.data, 'base64').toString('utf8').includes('"value":"10000"'))!;
    e.data = Buffer.from(Buffer.from(e.data, 'base64').toString('utf8').replace('"value":"10000"', '"value":"90000"'), 'utf8').toString('base64');
  },
  // One trace amount: the flow into the disbursement.
  amount(b) {
    const f = b.trace.flows.find((x) => x.to === 'dis-v')!;
    f.value = String(Number(f.value) + 100);
  },
  // One proof hash.
  proof(b) {
    const e = b.entries.find((x) => x.proof.hashes.length > 0)!;
    const h = e.proof.hashes[0]!;
    e.proof.hashes[0] = (h[0] === '0' ? '1' : '0') + h.slice(1);
  },
  // The checkpoint's signature: one base64 character of the signature line.
  signature(b) {
    const lines = b.checkpoint.split('\n');
    const i = lines.findIndex((l) => l.startsWith('\u2014 '));
    const l = lines[i]!;
    const at = l.length - 10;
    lines[i] = l.slice(0, at) + (l[at] === 'A' ? 'B' : 'A') + l.slice(at + 1);
    b.checkpoint = lines.join('\n');
  },
  // Drop one entry: the transfer's.
  drop(b) {
    const tr = b.trace.nodes.find((n) => n.event === 'tr-v')!;
    b.entries = b.entries.filter((e) => e.index !== tr.index);
  },
};

function proxy(upstream: string): Promise<{ url: string; close(): Promise<void> }> {
  const srv = http.createServer(async (req, res) => {
    const m = /^\/([a-z]+)(\/.*)$/.exec(req.url ?? '');
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const [, mode, rest] = m;
    try {
      const r = await fetch(upstream + rest);
      let body = await r.text();
      if (/^\/v1\/donations\/[^/]+\/trace$/.test(rest!) && r.ok) {
        const b = JSON.parse(body) as Bundle;
        tamper[mode!]!(b);
        body = JSON.stringify(b);
      }
      res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' }).end(body);
    } catch (e) {
      res.writeHead(502).end(String(e));
    }
  });
  return new Promise((resolve) => {
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((r) => {
            srv.close(() => r());
            srv.closeAllConnections();
          }),
      });
    });
  });
}

test('a malicious proxy altering the trace is caught, naming the problem (exit 1)', async () => {
  const p = await proxy(server.url);
  try {
    const expected: Record<string, RegExp> = {
      bytes: /FAILED: bad_inclusion_proof: .*entry \d+/,
      amount: /FAILED: (trace_mismatch|conservation): /,
      proof: /FAILED: bad_inclusion_proof: /,
      signature: /FAILED: bad_checkpoint_signature: /,
      drop: /FAILED: missing_entry: /,
    };
    const modes = Object.keys(expected);
    const runs = await Promise.all(modes.map((m) => cli(['verify', DONATION, '--server', `${p.url}/${m}`, '--log-key', server.log.verifierKey, '--state', stateFile()])));
    modes.forEach((m, i) => {
      const r = runs[i]!;
      assert.is(r.code, 1, `${m}: ${show(r)}`);
      assert.match(r.out, expected[m]!, `${m}: ${show(r)}`);
      assert.not.match(r.out, /^VERIFIED:/m, `${m}: ${show(r)}`);
    });
  } finally {
    await p.close();
  }
});

test('a fork: two copies of one data directory that diverge; the remembered checkpoint catches it', async () => {
  const dirA = tempDir('cotc-fork-a-');
  const base = await testServer(dirA);
  await populate(base, 'f', 'gift-fork', 'fork-secret');
  await base.close();
  const dirB = tempDir('cotc-fork-b-');
  fs.cpSync(dirA, dirB, { recursive: true });
  const a = await testServer(dirA);
  const b = await testServer(dirB);
  try {
    // The two logs diverge: each gets its own next events (B more of them).
    const opA: Org = { id: 'operator', signerKey: a.operatorKey, verifierKey: '' };
    await accept(a, [ev(opA, 'org.register', { org: 'only-on-a', name: 'A', roles: ['charity'], keys: [newOrg('only-on-a').verifierKey] })]);
    const opB: Org = { id: 'operator', signerKey: b.operatorKey, verifierKey: '' };
    await accept(b, [
      ev(opB, 'org.register', { org: 'only-on-b', name: 'B', roles: ['charity'], keys: [newOrg('only-on-b').verifierKey] }),
      ev(opB, 'org.register', { org: 'only-on-b2', name: 'B2', roles: ['charity'], keys: [newOrg('only-on-b2').verifierKey] }),
    ]);
    assert.is(a.log.verifierKey, b.log.verifierKey);

    const st = stateFile();
    const first = await cli(['verify', 'gift-fork', '--server', a.url, '--state', st]);
    assert.is(first.code, 0, show(first));
    const state = JSON.parse(fs.readFileSync(st, 'utf8'));
    assert.is(state.logs[a.log.origin].checkpoint.size, 10);
    // B has the same key and origin: to the client it is the same log at another URL, so
    // the checkpoint remembered from A is the one B must be consistent with.

    // A grows honestly meanwhile, so verifying A again needs (and gets) a consistency proof.
    await accept(a, [ev(opA, 'org.register', { org: 'only-on-a2', name: 'A2', roles: ['charity'], keys: [newOrg('only-on-a2').verifierKey] })]);
    const other = generateKey(a.log.origin).verifierKey;
    const [forked, grown, pinned] = await Promise.all([
      cli(['verify', 'gift-fork', '--server', b.url, '--state', st]),
      cli(['verify', 'gift-fork', '--server', a.url, '--state', st]),
      cli(['verify', 'gift-fork', '--server', a.url, '--state', st, '--log-key', other]),
    ]);
    assert.is(forked.code, 1, show(forked));
    assert.match(forked.err, /serves log .*, known from another address/);
    assert.match(forked.out, /FAILED: inconsistent_checkpoint: /);
    assert.not.match(forked.out, /^VERIFIED:/m);
    assert.is(grown.code, 0, show(grown));
    assert.match(grown.out, /VERIFIED: .*checkpoint 11 .*consistent with checkpoint 10 seen before/);
    assert.is(pinned.code, 1, show(pinned));
    assert.match(pinned.err, /--log-key gives .*, but the key remembered for log .* is .*: refusing/);
    const after = JSON.parse(fs.readFileSync(st, 'utf8'));
    assert.is(after.logs[a.log.origin].checkpoint.size, 11, 'the fork (12 entries) is not remembered; A\'s growth is');
    assert.is(after.logs[a.log.origin].logKey, a.log.verifierKey);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('teardown', async () => {
  await server.close();
});

test.run();
