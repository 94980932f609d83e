// `cotc verify <id> --watch` (src/cli/watch.ts) run as the real CLI against a real server,
// through a proxy this test controls: the first verification prints the path; each event
// that moves the donation's money is told once, verified (the new event named, the path's
// VERIFIED line after it); the log growing without touching the path tells nothing; a
// trace altered by the proxy after that is not shown as an update: FAILED, exit 1. Ctrl-C
// stops a watch with exit 0. No timings are asserted: each step waits (60 s at most) for
// the line it needs.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tempDir, testServer } from '../helpers/server.ts';
import { cny, donor, ev, newOrg, type Org } from '../helpers/events.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const WAIT_MS = 60_000;

let s: Awaited<ReturnType<typeof testServer>>;
let proxy: http.Server;
let proxyUrl = '';
let tamper = false;
const charity = newOrg('w-charity');
const school = newOrg('w-school');
const operator: Org = { id: 'operator', signerKey: '', verifierKey: '' };
const children: ChildProcess[] = [];

test.before(async () => {
  try {
    s = await testServer();
    operator.signerKey = s.operatorKey;
    const ok = async (e: unknown) => {
      const r = await s.client.post(e as never);
      if (r.status !== 201 && r.status !== 200) throw new Error(`setup: ${r.status} ${JSON.stringify(r.body)}`);
    };
    await ok([
      ev(operator, 'org.register', { org: charity.id, name: 'Charity', roles: ['charity'], keys: [charity.verifierKey] }),
      ev(operator, 'org.register', { org: school.id, name: 'School', roles: ['charity'], keys: [school.verifierKey] }),
    ]);
    await ok(ev(charity, 'fund.open', { fund: 'w-general', name: 'General', currency: 'CNY', restricted: false, purpose: 'anything' }));
    await ok(ev(school, 'fund.open', { fund: 'w-meals', name: 'Meals', currency: 'CNY', restricted: false, purpose: 'meals' }));
    await ok(ev(charity, 'donation', { fund: 'w-general', amount: cny(1000), donor: donor('w-gift'), channel: 'counter' }, 'w-gift'));
    // A proxy that can alter trace bundles: an entry's bytes changed (same length), so its
    // leaf hash no longer matches its inclusion proof.
    proxy = http.createServer(async (req, res) => {
      const r = await fetch(s.url + req.url!, { method: req.method, headers: { accept: String(req.headers.accept ?? '*/*') } });
      let body = Buffer.from(await r.arrayBuffer());
      if (tamper && req.url!.includes('/trace')) {
        const b = JSON.parse(body.toString('utf8'));
        for (const e of b.entries) {
          const text = Buffer.from(e.data, 'base64').toString('utf8');
          if (text.includes('"memo":"grant"')) e.data = Buffer.from(text.replace('"memo":"grant"', '"memo":"grunt"')).toString('base64');
        }
        body = Buffer.from(JSON.stringify(b));
      }
      res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/octet-stream' });
      res.end(body);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  } catch (e) {
    console.error('watch.test setup failed', e);
    throw e;
  }
});

test.after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await new Promise((r) => proxy?.close(r));
  await s?.close();
});

interface Watch {
  proc: ChildProcess;
  out: () => string;
  /** Resolves once stdout matches `re` (counting from `from` characters on). */
  until: (re: RegExp, from?: number) => Promise<string>;
  exit: Promise<number | null>;
}

function watch(args: string[]): Watch {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'verify', ...args], {
    cwd: ROOT,
    env: { ...process.env, XDG_STATE_HOME: tempDir('cotc-watch-state-'), LANG: 'C.UTF-8', LC_ALL: '', LC_MESSAGES: '', LANGUAGE: '', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  proc.stdout!.on('data', (b: Buffer) => {
    out += b;
    for (const w of waiters.splice(0)) w();
  });
  proc.stderr!.on('data', (b: Buffer) => (err += b));
  const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const until = (re: RegExp, from = 0) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${re} after ${WAIT_MS / 1000} s\n--- stdout\n${out}\n--- stderr\n${err}`)), WAIT_MS);
      const check = () => {
        const m = re.exec(out.slice(from));
        if (m) {
          clearTimeout(timer);
          resolve(m[0]);
        } else if (proc.exitCode !== null) {
          clearTimeout(timer);
          reject(new Error(`exited ${proc.exitCode} before ${re}\n--- stdout\n${out}\n--- stderr\n${err}`));
        } else waiters.push(check);
      };
      check();
    });
  return { proc, out: () => out, until, exit };
}

const count = (s: string, re: RegExp) => (s.match(new RegExp(re.source, 'g')) ?? []).length;

test('--watch tells each move of the money once, verified; a tampered update fails (exit 1)', async () => {
  const w = watch(['w-gift', '--server', proxyUrl, '--watch', '--interval', '0.2']);
  await w.until(/^VERIFIED: donation w-gift .*1 event on its path/m);
  // A transfer of the gift's money: one new event on the path.
  let mark = w.out().length;
  const t = ev(charity, 'transfer', { from: 'w-general', to: 'w-meals', amount: cny(600), memo: 'grant' }, 'w-grant');
  assert.is((await s.client.post(t)).status, 201);
  await w.until(/the money moved: 1 new event on the path, verified\n\s+\+ transfer w-grant \(seq \d+\)\n[\s\S]*^VERIFIED: donation w-gift .*2 events on its path/m, mark);
  // The log grows without touching the path, then the school pays from the money: only the payment is told.
  assert.is((await s.client.post(ev(charity, 'donation', { fund: 'w-general', amount: cny(5), donor: donor('w-other'), channel: 'counter' }, 'w-other'))).status, 201);
  mark = w.out().length;
  assert.is((await s.client.post(ev(school, 'disbursement', { fund: 'w-meals', amount: cny(400), payee: 'Canteen', purpose: 'lunches', receipts: [] }, 'w-pay'))).status, 201);
  await w.until(/\+ disbursement w-pay \(seq \d+\)\n[\s\S]*^VERIFIED: donation w-gift .*3 events on its path/m, mark);
  assert.is(count(w.out(), /the money moved/), 2, w.out());
  assert.not.match(w.out(), /w-other/);
  // Now the proxy alters the transfer's bytes; the next move is not shown as an update.
  tamper = true;
  mark = w.out().length;
  assert.is((await s.client.post(ev(school, 'disbursement', { fund: 'w-meals', amount: cny(100), payee: 'Canteen', purpose: 'plates', receipts: [] }, 'w-pay-2'))).status, 201);
  await w.until(/^FAILED: \S+/m, mark);
  assert.is(await w.exit, 1);
  assert.is(count(w.out(), /the money moved/), 2, w.out());
  assert.not.match(w.out().slice(mark), /VERIFIED:/);
  tamper = false;
});

test('Ctrl-C stops a watch: exit 0', async () => {
  const w = watch(['w-gift', '--server', s.url, '--watch', '--interval', '0.2']);
  await w.until(/^VERIFIED: donation w-gift/m);
  w.proc.kill('SIGINT');
  assert.is(await w.exit, 0);
});

test('--interval is checked, and needs --watch', async () => {
  for (const args of [['--watch', '--interval', '0'], ['--watch', '--interval', 'soon'], ['--interval', '5']]) {
    const w = watch(['w-gift', '--server', s.url, ...args]);
    assert.is(await w.exit, 2, args.join(' '));
  }
});

test.run();
