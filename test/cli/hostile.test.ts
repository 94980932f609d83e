// Issue 9, what the CLI shows when a server is hostile, each attack named:
//  - terminal escapes: a hostile server (test-local, 127.0.0.1:0) puts ESC sequences, C1
//    controls, bidi overrides, zero-width characters and a fake "VERIFIED" line in its
//    error codes, messages, key names and trace ids; `cotc verify`, `cotc audit --server`
//    and `cotc post` print none of those characters raw (stdout and stderr);
//  - exit codes: an answer the server refuses to give about the donation (422
//    trace_too_large, 500 with an error document) is exit 1 with the reason; "not now"
//    (503) and the network are exit 2; a store that fails its checks is exit 1 naming the
//    file and the check; a store held by a running server is exit 2 "is a server running";
//  - trust by identity: a log key that differs from the one remembered for that log
//    (offered by a server, or given with --log-key) is refused naming both keys, unless
//    --replace-log-key; http://localhost:PORT and http://127.0.0.1:PORT are one log, and a
//    fork shown at one address is caught through the other;
//  - operator-installed keys: an event signed with a key the operator added to a charity
//    is said so, in words, by `cotc verify` and counted and listed by `cotc audit`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatCheckpoint, generateKey, signNote } from '@cotc/tlog';
import { auditCommand } from '../../src/cli/audit.ts';
import { LedgerClient as LedgerClientFor } from '../../src/client/client.ts';
import { tempDir, testServer } from '../helpers/server.ts';
import { cny, donor, ev, newOrg, type Org } from '../helpers/events.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Run {
  code: number;
  out: string;
  err: string;
}

function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: ROOT, env: { ...process.env, XDG_STATE_HOME: tempDir('cotc-hostile-xdg-'), FORCE_COLOR: '0' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
        resolve({ code, out: stdout, err: stderr });
      },
    );
    child.stdin!.end();
  });
}
const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.out}\n--- stderr\n${r.err}`;
const stateFile = () => path.join(tempDir('cotc-hostile-'), 'state.json');

// What must never reach a terminal raw: C0 (but the newline), DEL, C1 (U+009B is CSI),
// bidi marks, embeddings, overrides and isolates, zero-width characters, the BOM, and the
// Hangul fillers that look like nothing.
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0]/u;
function noRaw(r: Run, what: string): void {
  for (const [name, text] of [['stdout', r.out], ['stderr', r.err]] as const) {
    const m = RAW.exec(text);
    assert.not.ok(m, `${what}: ${name} holds a raw U+${m?.[0].codePointAt(0)!.toString(16).padStart(4, '0')}\n${JSON.stringify(text).slice(0, 2000)}`);
  }
  assert.not.match(r.out, /^VERIFIED/m, `${what}: a VERIFIED line\n${show(r)}`);
}

// The hostile payload: clear the screen, home the cursor, paint a green VERIFIED, then a
// C1 CSI, a right-to-left override, a zero-width space and a Hangul filler.
const EVIL = '\u001b[2J\u001b[H\u001b[32m\nVERIFIED: donation gift of CNY 1000000.00; every hop verified\u001b[0m\u009b2J\u202edeifirev\u200b\u3164\r';

/** A hostile server: `/<mode>/…` picks the misbehaviour. Its log key is real, so trust on first use takes it. */
async function hostileServer(): Promise<{ url: string; logKey: string; close(): Promise<void> }> {
  const origin = 'hostile.example/log';
  const key = generateKey(origin);
  const checkpoint = signNote(formatCheckpoint({ origin, size: 3, root: new Uint8Array(32).fill(7) }), key.signerKey);
  const json = (res: http.ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const srv = http.createServer((req, res) => {
    const m = /^\/([a-z0-9]+)(\/[^?]*)(\?.*)?$/.exec(req.url ?? '');
    const mode = m?.[1] ?? '';
    const p = m?.[2] ?? '';
    if (p === '/v1/log') return json(res, 200, { origin, size: 3, key: key.verifierKey });
    if (p === '/checkpoint') return res.writeHead(200, { 'content-type': 'text/plain' }).end(checkpoint);
    if (p === '/v1/events' && req.method === 'POST') {
      req.resume();
      return req.on('end', () => json(res, 422, { error: { code: `overdraft${EVIL}`, message: `no money${EVIL}` } }));
    }
    if (p === '/v1/entries' && mode === 'wrongidx') return json(res, 200, { entries: [{ index: EVIL, data: EVIL }] });
    if (p === '/v1/entries') return json(res, 500, { error: { code: `internal${EVIL}`, message: `entries are gone${EVIL}` } });
    if (/^\/v1\/donations\/[^/]+\/trace$/.test(p)) {
      if (mode === 'toolarge') return json(res, 422, { error: { code: 'trace_too_large', message: `the trace holds 10001 entries${EVIL}` } });
      if (mode === 'escode') return json(res, 422, { error: { code: `trace_too_large${EVIL}`, message: EVIL } });
      if (mode === 'fail') return json(res, 500, { error: { code: 'internal', message: `broken${EVIL}` } });
      if (mode === 'later') return json(res, 503, { error: { code: 'unavailable', message: `try later${EVIL}` } });
      if (mode === 'missing') return json(res, 404, { error: { code: 'not_found', message: `no such donation${EVIL}` } });
      if (mode === 'bundle') {
        // A "bundle" whose ids and fields are the payload: every problem message quotes them.
        const id = `gift${EVIL}`;
        return json(res, 200, {
          version: 1,
          checkpoint,
          entries: [{ index: 0, data: Buffer.from(`{"seq":0,"event":"${EVIL}"}`).toString('base64'), proof: { index: 0, size: 3, hashes: [EVIL] } }],
          trace: {
            donation: id,
            currency: `CNY${EVIL}`,
            nodes: [
              { event: id, type: 'donation', index: 0, fund: `fund${EVIL}`, unspent: '100' },
              { event: `pay${EVIL}`, type: 'disbursement', index: 1 },
            ],
            flows: [{ from: id, to: `pay${EVIL}`, value: `5${EVIL}` }],
          },
        });
      }
    }
    return json(res, 404, { error: { code: 'not_found', message: `nothing here${EVIL}` } });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    logKey: key.verifierKey,
    close: () =>
      new Promise<void>((r) => {
        srv.close(() => r());
        srv.closeAllConnections();
      }),
  };
}

test('terminal escapes: a hostile server cannot write control, bidi or invisible characters through verify, audit or post (issue 9)', async () => {
  const h = await hostileServer();
  try {
    const keyFile = path.join(tempDir('cotc-hostile-key-'), 'charity.key');
    fs.writeFileSync(keyFile, generateKey('charity').signerKey + '\n', { mode: 0o600 });
    const unsigned = path.join(path.dirname(keyFile), 'ev.json');
    fs.writeFileSync(unsigned, JSON.stringify({ type: 'fund.open', id: 'f1', body: { fund: 'f', name: 'F', currency: 'CNY', restricted: false, purpose: 'p' } }));
    const [bundle, escode, later, missing, auditRun, post] = await Promise.all([
      cli(['verify', 'gift', '--server', `${h.url}/bundle`, '--state', stateFile()]),
      cli(['verify', 'gift', '--server', `${h.url}/escode`, '--state', stateFile()]),
      cli(['verify', 'gift', '--server', `${h.url}/later`, '--state', stateFile()]),
      cli(['verify', 'gift', '--server', `${h.url}/missing`, '--state', stateFile()]),
      cli(['audit', '--server', `${h.url}/x`, '--state', stateFile()]),
      cli(['post', unsigned, '--key', keyFile, '--server', `${h.url}/x`]),
    ]);
    const wrongIndex = await cli(['audit', '--server', `${h.url}/wrongidx`, '--state', stateFile()]);
    noRaw(wrongIndex, 'audit --server, entries of another index');
    assert.is(wrongIndex.code, 1, show(wrongIndex));
    assert.match(wrongIndex.out, /^PROBLEM at seq 0: answer: the server sent entry \\u001b\[2J\\u001b\[H/m, show(wrongIndex));
    noRaw(bundle, 'verify of a hostile bundle');
    assert.is(bundle.code, 1, show(bundle));
    assert.match(bundle.out, /^FAILED: /m, show(bundle));
    // The payload is there, escaped, on one line: the reader sees what the server sent.
    assert.match(bundle.out + bundle.err, /\\u001b\[2J/, show(bundle));
    assert.match(bundle.out + bundle.err, /\\u202e/, show(bundle));

    noRaw(escode, 'verify, an error code and message of escapes');
    assert.is(escode.code, 1, show(escode));
    assert.match(escode.out, /^FAILED: http: the server refuses to give the trace of donation gift: 422 \\u001b\[2J/m, show(escode));

    noRaw(later, 'verify, 503 with escapes');
    assert.is(later.code, 2, show(later));
    assert.match(later.err, /503 unavailable try later\\u001b/, show(later));

    noRaw(missing, 'verify, 404');
    assert.is(missing.code, 1, show(missing));
    assert.match(missing.out, /FAILED: not_in_log: /);

    noRaw(auditRun, 'audit --server, entries answered with escapes');
    assert.is(auditRun.code, 2, show(auditRun));
    assert.match(auditRun.err, /500 internal\\u001b\[2J/, show(auditRun));

    noRaw(post, 'post, a rejection with escapes');
    assert.is(post.code, 1, show(post));
    assert.match(post.out, /rejected fund\.open f1: 422 overdraft\\u001b\[2J/, show(post));
  } finally {
    await h.close();
  }
});

test('exit codes: trace_too_large and a 500 with an error document are exit 1 with the reason, not "usage or network error" (issue 9)', async () => {
  const h = await hostileServer();
  try {
    const [tooLarge, fail] = await Promise.all([
      cli(['verify', 'gift', '--server', `${h.url}/toolarge`, '--state', stateFile()]),
      cli(['verify', 'gift', '--server', `${h.url}/fail`, '--state', stateFile()]),
    ]);
    assert.is(tooLarge.code, 1, show(tooLarge));
    assert.match(tooLarge.out, /^FAILED: trace_too_large: the server refuses to give the trace of donation gift: 422 the trace holds 10001 entries/m, show(tooLarge));
    noRaw(tooLarge, 'trace_too_large');
    assert.is(fail.code, 1, show(fail));
    assert.match(fail.out, /^FAILED: internal: the server refuses to give the trace of donation gift: 500 broken/m, show(fail));
  } finally {
    await h.close();
  }
});

test('exit codes: audit --data of a store failing its checks is exit 1 naming the file and the check; a store a server holds is exit 2 (issue 9)', async () => {
  const dir = tempDir('cotc-hostile-store-');
  const s = await testServer(dir);
  await s.close();
  // A running server holds the store's lock: that is the "is a server running on it?" case.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--data', dir, '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let text = '';
      const t = setTimeout(() => reject(new Error(`serve did not start: ${text}`)), 30_000);
      child.stdout!.on('data', (c: Buffer) => {
        text += c.toString();
        if (/serving/.test(text)) {
          clearTimeout(t);
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`serve exited: ${text}`)));
    });
    const held = await cli(['audit', '--data', dir, '--state', stateFile()]);
    assert.is(held.code, 2, show(held));
    assert.match(held.err, /is a server running on it\?/, show(held));
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  // CURRENT names no MANIFEST: the store fails its own start checks.
  fs.writeFileSync(path.join(dir, 'store', 'CURRENT'), 'garbage\n');
  const lines: string[] = [];
  const code = await auditCommand({ data: dir, state: stateFile() }, (l) => lines.push(l), (l) => lines.push(l));
  assert.is(code, 1, lines.join('\n'));
  const text = lines.join('\n');
  assert.match(text, /PROBLEM: store: .*CURRENT: fails its check/, text);
  assert.not.match(text, /server running/);
});

test('trust by identity: a changed log key is refused naming both keys, unless --replace-log-key; localhost and 127.0.0.1 are one log (issue 9)', async () => {
  const a = await testServer();
  const other = generateKey(a.log.origin); // another key, same origin: an impostor of this log
  try {
    const op: Org = { id: 'operator', signerKey: a.operatorKey, verifierKey: '' };
    const ch = newOrg('charity-id');
    await a.client.post([
      ev(op, 'org.register', { org: ch.id, name: 'Charity', roles: ['charity'], keys: [ch.verifierKey] }),
      ev(ch, 'fund.open', { fund: 'general-id', name: 'General', currency: 'CNY', restricted: false, purpose: 'anything' }),
      ev(ch, 'donation', { fund: 'general-id', amount: cny(500), donor: donor('gift-id'), channel: 'counter' }, 'gift-id'),
    ]);
    const st = stateFile();
    const port = new URL(a.url).port;
    const first = await cli(['verify', 'gift-id', '--server', `http://127.0.0.1:${port}`, '--state', st]);
    assert.is(first.code, 0, show(first));
    // The same log at another address: no new trust on first use, the remembered checkpoint applies.
    const viaLocalhost = await cli(['verify', 'gift-id', '--server', `http://localhost:${port}`, '--state', st]);
    assert.is(viaLocalhost.code, 0, show(viaLocalhost));
    assert.not.match(viaLocalhost.err, /first use/);
    assert.match(viaLocalhost.out, /consistent with checkpoint \d+ seen before/);
    // Another key for the same origin, given on the command line: refused, naming both keys; nothing changes.
    const before = fs.readFileSync(st, 'utf8');
    const pinned = await cli(['verify', 'gift-id', '--server', `http://localhost:${port}`, '--state', st, '--log-key', other.verifierKey]);
    assert.is(pinned.code, 1, show(pinned));
    assert.ok(pinned.err.includes(other.verifierKey) && pinned.err.includes(a.log.verifierKey), show(pinned));
    assert.match(pinned.err, /--replace-log-key/);
    assert.is(fs.readFileSync(st, 'utf8'), before, 'a refused key changes nothing');
    // The explicit choice replaces it (and forgets the old checkpoint); the checkpoint then fails under the wrong key.
    const replaced = await cli(['verify', 'gift-id', '--server', `http://localhost:${port}`, '--state', st, '--log-key', other.verifierKey, '--replace-log-key']);
    assert.is(replaced.code, 1, show(replaced));
    assert.match(replaced.err, /--replace-log-key: trusting/);
    assert.match(replaced.out, /FAILED: bad_checkpoint_signature/);
    assert.is(fs.readFileSync(st, 'utf8'), before, 'nothing is remembered from a failed verification');
    // The audit keeps to the same rule and the same memory.
    const lines: string[] = [];
    assert.is(await auditCommand({ server: `http://localhost:${port}`, state: st, logKey: other.verifierKey }, (l) => lines.push(l), (l) => lines.push(l)), 1, lines.join('\n'));
    assert.ok(lines.join('\n').includes(other.verifierKey) && lines.join('\n').includes(a.log.verifierKey), lines.join('\n'));
    const lines2: string[] = [];
    assert.is(await auditCommand({ server: `http://localhost:${port}`, state: st }, (l) => lines2.push(l), (l) => lines2.push(l)), 0, lines2.join('\n'));
    assert.match(lines2.join('\n'), /consistent with checkpoint \d+ seen before/);
  } finally {
    await a.close();
  }
  // A server that offers another key for a remembered origin: refused unless --replace-log-key.
  const h = await hostileServer();
  try {
    const st = stateFile();
    const impostor = generateKey('hostile.example/log').verifierKey;
    fs.writeFileSync(st, JSON.stringify({ version: 2, logs: { 'hostile.example/log': { logKey: impostor } }, servers: {} }));
    const refused = await cli(['verify', 'gift', '--server', `${h.url}/toolarge`, '--state', st]);
    assert.is(refused.code, 1, show(refused));
    assert.ok(refused.err.includes(impostor) && refused.err.includes(h.logKey), show(refused));
    assert.match(refused.err, /now gives the log key .* but the key remembered for log hostile\.example\/log is/);
    assert.not.match(refused.out, /trace_too_large/, 'nothing is fetched with an untrusted key');
  } finally {
    await h.close();
  }
});

test('a v1 state file (by server URL) is read and its checkpoint kept under the log\'s identity', async () => {
  const { parseLogTrust, decideTrust } = await import('../../src/client/logtrust.ts');
  const k = generateKey('cotc.local/ledger');
  const k2 = generateKey('cotc.local/ledger');
  const cp = { size: 5, root: 'ab'.repeat(32), text: 'note' };
  const stored = JSON.stringify({ version: 1, logs: { 'http://127.0.0.1:8080': { logKey: k.verifierKey, checkpoint: cp }, 'http://other:1': { logKey: k2.verifierKey } } });
  const s = parseLogTrust(JSON.parse(stored.replace('{"http', '{"__proto__":{"logKey":"x"},"http')));
  assert.is(Object.getPrototypeOf(s.logs), null);
  assert.equal(s.logs['cotc.local/ledger'], { logKey: k.verifierKey, checkpoint: cp });
  assert.is(s.servers['http://127.0.0.1:8080'], 'cotc.local/ledger');
  assert.is(s.servers['http://other:1'], undefined, 'a second key for one origin is not kept');
  const d = decideTrust(s, 'http://localhost:8080', undefined, k.verifierKey);
  assert.equal(d, { kind: 'trusted', origin: 'cotc.local/ledger', logKey: k.verifierKey, source: 'remembered', checkpoint: cp });
  const c = decideTrust(s, 'http://other:1', undefined, k2.verifierKey);
  assert.is(c.kind, 'conflict');
});

test('parseLogTrust: any stored value (a tampered file or localStorage) gives a trust state, never a throw', async () => {
  const fc = (await import('fast-check')).default;
  const { parseLogTrust, decideTrust } = await import('../../src/client/logtrust.ts');
  const k = generateKey('cotc.local/ledger').verifierKey;
  const record = fc.record({ logKey: fc.oneof(fc.constant(k), fc.string()), checkpoint: fc.anything() }, { requiredKeys: [] });
  const shaped = fc.record({
    version: fc.constantFrom(1, 2, undefined, '2'),
    logs: fc.dictionary(fc.oneof(fc.constant('cotc.local/ledger'), fc.constant('__proto__'), fc.string()), fc.oneof(record, fc.anything())),
    servers: fc.dictionary(fc.string(), fc.oneof(fc.constant('cotc.local/ledger'), fc.anything())),
  });
  fc.assert(
    fc.property(fc.oneof(fc.anything(), shaped), (v) => {
      const st = parseLogTrust(v);
      if (Object.getPrototypeOf(st.logs) !== null || Object.getPrototypeOf(st.servers) !== null) return false;
      for (const [o, r] of Object.entries(st.logs)) if (typeof r.logKey !== 'string' || !r.logKey.startsWith(o + '+')) return false;
      decideTrust(st, 'http://127.0.0.1:8080', undefined, k);
      decideTrust(st, 'http://127.0.0.1:8080', k);
      return true;
    }),
    { numRuns: 2000 },
  );
});

test('operator-installed keys: verify says so in words, audit counts and lists them (issue 9)', async () => {
  const s = await testServer();
  try {
    const op: Org = { id: 'operator', signerKey: s.operatorKey, verifierKey: '' };
    const ch = newOrg('sunshine-op');
    const installed = newOrg('sunshine-op'); // a key named for the charity, but made and added by the operator
    const r1 = await s.client.post([
      ev(op, 'org.register', { org: ch.id, name: 'Sunshine', roles: ['charity'], keys: [ch.verifierKey] }),
      ev(ch, 'fund.open', { fund: 'sun-general', name: 'General', currency: 'CNY', restricted: false, purpose: 'anything' }),
      ev(op, 'org.keys', { org: ch.id, add: [installed.verifierKey], revoke: [] }),
      ev(installed, 'donation', { fund: 'sun-general', amount: cny(700), donor: donor('gift-op'), channel: 'counter' }, 'gift-op'),
      ev(ch, 'donation', { fund: 'sun-general', amount: cny(300), donor: donor('gift-own'), channel: 'counter' }, 'gift-own'),
    ]);
    assert.ok(r1.body.every((x: { status: number }) => x.status === 201), JSON.stringify(r1.body));
    const [byOp, byOrg] = await Promise.all([
      cli(['verify', 'gift-op', '--server', s.url, '--state', stateFile()]),
      cli(['verify', 'gift-own', '--server', s.url, '--state', stateFile()]),
    ]);
    assert.is(byOp.code, 0, show(byOp));
    assert.match(byOp.out, /^WARNING: 1 event signed with a key the log operator installed for the org, not by the org itself: gift-op \(signed as sunshine-op\)/m, show(byOp));
    assert.match(byOp.out, /VERIFIED: .*1 signed with a key the log operator installed/);
    assert.is(byOrg.code, 0, show(byOrg));
    assert.not.match(byOrg.out, /operator installed/, show(byOrg));
    const lines: string[] = [];
    assert.is(await auditCommand({ server: s.url, state: stateFile() }, (l) => lines.push(l), (l) => lines.push(l)), 0, lines.join('\n'));
    const text = lines.join('\n');
    assert.match(text, /1 event signed with a key the log operator installed for sunshine-op, not by the org itself/, text);
    assert.match(text, /seq 4: donation gift-op signed as sunshine-op with sunshine-op\+[0-9a-f]{8}\+\S+, installed by the operator at seq 3/, text);
    assert.not.match(text, /gift-own/);
    assert.match(text, /clean\..*1 event\(s\) signed with keys the log operator installed/);
  } finally {
    await s.close();
  }
});

test('trace pages: verify follows every page of a trace served in pages (issue 9)', async () => {
  const { startServer } = await import('../../src/server.ts');
  const dir = tempDir('cotc-hostile-pages-');
  const s = await startServer(dir, { port: 0, host: '127.0.0.1', logLevel: 'silent', readLimits: { tracePageBytes: 1200, entriesPageBytes: 4096 } });
  try {
    const op: Org = { id: 'operator', signerKey: fs.readFileSync(path.join(dir, 'operator.key'), 'utf8').trim(), verifierKey: '' };
    const ch = newOrg('paged-charity');
    const events: unknown[] = [
      ev(op, 'org.register', { org: ch.id, name: 'Paged', roles: ['charity'], keys: [ch.verifierKey] }),
      ev(ch, 'fund.open', { fund: 'p-0', name: 'p', currency: 'CNY', restricted: false, purpose: 'p' }),
      ev(ch, 'donation', { fund: 'p-0', amount: cny(1000), donor: donor('gift-paged'), channel: 'counter' }, 'gift-paged'),
    ];
    for (let i = 1; i <= 12; i++) {
      events.push(ev(ch, 'fund.open', { fund: `p-${i}`, name: 'p', currency: 'CNY', restricted: false, purpose: 'p' }));
      events.push(ev(ch, 'transfer', { from: `p-${i - 1}`, to: `p-${i}`, amount: cny(1000 - i), memo: `hop ${i}` }, `hop-${i}`));
    }
    const r = await new LedgerClientFor(s.url).post(events);
    assert.ok(r.body.every((x: { status: number }) => x.status === 201), JSON.stringify(r.body));
    const first = (await (await fetch(`${s.url}/v1/donations/gift-paged/trace`)).json()) as { page?: { next?: string } };
    assert.ok(first.page?.next, 'the trace is served in pages');
    const run = await cli(['verify', 'gift-paged', '--server', s.url, '--state', stateFile()]);
    assert.is(run.code, 0, show(run));
    assert.match(run.out, /VERIFIED: donation gift-paged of CNY 10\.00/);
    const lines: string[] = [];
    assert.is(await auditCommand({ server: s.url, state: stateFile() }, (l) => lines.push(l), (l) => lines.push(l)), 0, lines.join('\n'));
  } finally {
    await s.close();
  }
});

test.run();
