// A full disk (DESIGN.md "Durability"): the data directory sits on a real 8 MiB tmpfs; the
// disk is filled while four clients post batches. The server must answer 503 `unavailable`
// (never 500, never hang), /healthz 503; once a filler file is deleted it recovers by
// itself (the next writes, retried for a bounded time, succeed); every event acknowledged
// before, during and after is there, the tree is consistent with every checkpoint handed
// out, and all of that still holds after a restart (LevelDB drops everything written behind
// a torn log record on the next open: the store must reopen after a failed write, see
// src/storage/level.ts), and a full audit of the data directory finds nothing wrong.
//
// Needs root (mount -t tmpfs); where mount is refused the tmpfs test is skipped with a
// note, and the second test (always run) injects ENOSPC-like failures with FaultyStore.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fromBase64, fromHex, generateKey, hex, leafHash, openNote, parseCheckpoint, verifyConsistency, type Checkpoint } from '@cotc/tlog';
import { startServer, type RunningServer } from '../../src/server.ts';
import { auditCommand } from '../../src/cli/audit.ts';
import { LogService } from '../../src/log/service.ts';
import { LevelStore } from '../../src/storage/level.ts';
import { FaultyStore } from '../../src/storage/faulty.ts';
import { createApp } from '../../src/http/app.ts';
import { cny, donor, ev, newOrg, type Org } from '../helpers/events.ts';
import { tempDir } from '../helpers/server.ts';

const MiB = 1 << 20;

function tryMount(dir: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim();
  }
}
function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    } catch {
      /* not mounted */
    }
  }
}

interface Seen {
  acked: Map<string, { seq: number; leafHash: string }>;
  checkpoints: Map<number, Checkpoint>;
  statuses: Map<string, number>;
}

async function fetchT(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  // Never hang: every request must be answered within 15 s.
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  const text = await r.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* text */
  }
  return { status: r.status, body };
}

function note(seen: Seen, logKey: string, text: string) {
  const c = parseCheckpoint(openNote(text, [logKey]).text);
  const old = seen.checkpoints.get(c.size);
  if (old) assert.is(hex(old.root), hex(c.root), `two checkpoints of size ${c.size}`);
  seen.checkpoints.set(c.size, c);
}

async function post(url: string, seen: Seen, logKey: string, events: ReturnType<typeof ev>[]): Promise<number> {
  const r = await fetchT(url + '/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
  const key = (s: number, code?: string) => `${s}${code ? ' ' + code : ''}`;
  if (r.status !== 200) {
    seen.statuses.set(key(r.status, r.body?.error?.code), (seen.statuses.get(key(r.status, r.body?.error?.code)) ?? 0) + 1);
    return r.status;
  }
  let worst = 201;
  (r.body as Array<{ status: number; seq: number; leafHash: string; checkpoint: string; error?: { code: string } }>).forEach((x, i) => {
    const k = key(x.status, x.error?.code);
    seen.statuses.set(k, (seen.statuses.get(k) ?? 0) + 1);
    if (x.status === 201 || x.status === 200) {
      seen.acked.set(events[i]!.id, { seq: x.seq, leafHash: x.leafHash });
      note(seen, logKey, x.checkpoint);
    } else worst = x.status;
  });
  return worst;
}

/** Every acknowledged event is served at its seq with its leaf hash; the tree is
 * consistent with every checkpoint handed out. Returns the current size. */
async function checkAll(url: string, seen: Seen, logKey: string, when: string): Promise<number> {
  const now = parseCheckpoint(openNote((await fetchT(url + '/checkpoint')).body as string, [logKey]).text);
  for (const [id, a] of seen.acked) {
    const r = await fetchT(`${url}/v1/events/${id}`);
    assert.is(r.status, 200, `${when}: acknowledged ${id} (seq ${a.seq}) is missing: ${JSON.stringify(r.body)}`);
    assert.is(r.body.entry.index, a.seq, `${when}: ${id} moved`);
    assert.is(hex(leafHash(fromBase64(r.body.entry.data))), a.leafHash, `${when}: ${id} changed`);
  }
  for (const c of seen.checkpoints.values()) {
    assert.ok(c.size <= now.size, `${when}: checkpoint ${c.size} handed out, the log is at ${now.size}`);
    if (c.size === now.size) {
      assert.is(hex(c.root), hex(now.root), `${when}: a fork at size ${c.size}`);
      continue;
    }
    const p = await fetchT(`${url}/v1/proofs/consistency?from=${c.size}&to=${now.size}`);
    assert.is(p.status, 200);
    assert.ok(verifyConsistency(c.size, now.size, (p.body.hashes as string[]).map((h) => fromHex(h)), c.root, now.root), `${when}: inconsistent with checkpoint ${c.size}`);
  }
  return now.size;
}

// ---- a real full disk (tmpfs) ----------------------------------------------------------

const real = suite('disk full (tmpfs)');
let mnt = '';
let mounted = false;
let server: RunningServer | undefined;
const cleanup = () => {
  if (mounted) unmount(mnt);
  mounted = false;
};
process.once('exit', cleanup); // even if the suite dies half-way

real.before(() => {
  mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'cotc-diskfull-'));
  const why = tryMount(mnt);
  mounted = why === null;
  if (!mounted) console.log(`  (disk full on tmpfs skipped: mount -t tmpfs refused: ${why}; the FaultyStore test below still runs)`);
});

real.after(async () => {
  await server?.close().catch(() => {});
  server = undefined;
  cleanup();
  fs.rmSync(mnt, { recursive: true, force: true });
});

real('a full disk answers 503 unavailable, appends nothing half-way, and recovers by itself', async () => {
  if (!mounted) return;
  const dir = path.join(mnt, 'data');
  server = await startServer(dir, { port: 0, host: '127.0.0.1', logLevel: 'silent', verifyThreads: 0 });
  const url = server.url;
  const logKey = server.log.verifierKey;
  const op: Org = { id: 'operator', signerKey: fs.readFileSync(path.join(dir, 'operator.key'), 'utf8').trim(), verifierKey: '' };
  const seen: Seen = { acked: new Map(), checkpoints: new Map(), statuses: new Map() };
  assert.is(await post(url, seen, logKey, [ev(op, 'fund.open', { fund: 'disk', name: 'Disk fund', currency: 'CNY', restricted: false, purpose: 'disk-full testing' })]), 201);
  let n = 0;
  const batch = (k: number) =>
    Array.from({ length: k }, () => {
      const id = `disk-${n++}`;
      return ev(op, 'donation', { fund: 'disk', amount: cny(1 + (n % 500)), donor: donor(id), channel: 'disk-full-test' }, id);
    });
  for (let i = 0; i < 5; i++) assert.is(await post(url, seen, logKey, batch(20)), 201);

  // Four posters; meanwhile a filler file takes every free byte.
  let stop = false;
  let refused = 0;
  const bad: string[] = [];
  const poster = async () => {
    while (!stop) {
      const s = await post(url, seen, logKey, batch(10)).catch((e) => {
        bad.push(`no answer: ${(e as Error).message}`);
        return 0;
      });
      if (s === 503) refused++;
      else if (s !== 201) bad.push(String(s));
      if (s === 503) await new Promise((r) => setTimeout(r, 20));
    }
  };
  const posters = Array.from({ length: 4 }, poster);
  const filler = path.join(mnt, 'filler');
  try {
    await new Promise((r) => setTimeout(r, 300));
    const fd = fs.openSync(filler, 'w');
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    try {
      for (;;) fs.writeSync(fd, chunk);
    } catch (e) {
      assert.is((e as NodeJS.ErrnoException).code, 'ENOSPC');
    }
    for (let k = 4096; k >= 1; k >>= 1) {
      try {
        for (;;) fs.writeSync(fd, chunk.subarray(0, k));
      } catch {
        /* full to the byte */
      }
    }
    fs.closeSync(fd);
    // Wait for the refusals (bounded), then look at the server while the disk is full.
    const t0 = Date.now();
    while (refused < 8 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    assert.ok(refused >= 8, `the full disk was not noticed: ${refused} refusals; statuses ${JSON.stringify([...seen.statuses])}`);
    const health = await fetchT(url + '/healthz');
    assert.is(health.status, 503, `healthz while the disk is full: ${JSON.stringify(health.body)}`);
    assert.is(health.body.error.code, 'unavailable');
    // Reads answer from what is committed, or 503 while the store is being reopened: never 500.
    const cp = await fetchT(url + '/checkpoint');
    assert.is(cp.status, 200);
    note(seen, logKey, cp.body);
    const someId = [...seen.acked.keys()][3]!;
    const read = await fetchT(`${url}/v1/events/${someId}`);
    assert.ok(read.status === 200 || read.status === 503, `read while the disk is full: ${read.status} ${JSON.stringify(read.body)}`);
    const single = await fetchT(url + '/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch(1)[0]) });
    assert.is(single.status, 503);
    assert.is(single.body.error.code, 'unavailable');
  } finally {
    stop = true;
    await Promise.all(posters);
  }
  assert.equal(bad, [], `answers other than 201 and 503: ${bad.join(', ')}`);
  for (const k of seen.statuses.keys()) assert.ok(/^(201|503 unavailable)$/.test(k), `unexpected answer ${k}`);

  // Space returns: the server recovers by itself on the next writes, within a bounded time.
  fs.rmSync(filler);
  const t1 = Date.now();
  let ok = false;
  while (!ok && Date.now() - t1 < 10_000) {
    ok = (await post(url, seen, logKey, batch(5))) === 201;
    if (!ok) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(ok, 'no post succeeded within 10 s of space returning');
  assert.is((await fetchT(url + '/healthz')).status, 200);
  // Write on after the recovery: these land behind the failed write in the store's history.
  for (let i = 0; i < 20; i++) assert.is(await post(url, seen, logKey, batch(10)), 201);
  const size = await checkAll(url, seen, logKey, 'after recovery');
  assert.ok(size >= 1 + 1 + 100 + 5 + 200, `log size ${size}`);

  // A restart keeps every acknowledgement (the torn log record does not take later ones).
  await server.close();
  server = undefined;
  const codes: string[] = [];
  const audited = await auditCommand({ data: dir, state: path.join(mnt, 'audit-state.json') }, (s) => codes.push(s), (s) => codes.push(s));
  assert.is(audited, 0, `audit of the data dir after the disk-full episode: ${codes.join('\n')}`);
  server = await startServer(dir, { port: 0, host: '127.0.0.1', logLevel: 'silent', verifyThreads: 0 });
  assert.is(await checkAll(server.url, seen, logKey, 'after restart'), size);
  assert.is(await post(server.url, seen, logKey, batch(3)), 201);
});

// ---- ENOSPC-like failures injected (runs everywhere) -----------------------------------

const injected = suite('disk full (injected, FaultyStore)');

injected('a store failing with ENOSPC answers 503 over HTTP, /healthz 503, and recovers when it heals', async () => {
  const dir = tempDir('cotc-enospc-');
  const logKey = generateKey('test.example/log').signerKey;
  const opKey = generateKey('operator');
  const op: Org = { id: 'operator', signerKey: opKey.signerKey, verifierKey: opKey.verifierKey };
  const store = new FaultyStore(new LevelStore(path.join(dir, 'store')));
  const log = await LogService.open({ store, logKey, operatorKey: op.signerKey });
  const srv = http.createServer(createApp({ log }));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  try {
    const seen: Seen = { acked: new Map(), checkpoints: new Map(), statuses: new Map() };
    const verifier = log.verifierKey;
    const a = newOrg('a');
    assert.is(await post(url, seen, verifier, [ev(op, 'org.register', { org: 'a', name: 'A', roles: ['charity'], keys: [a.verifierKey] })]), 201);
    assert.is(await post(url, seen, verifier, [ev(a, 'fund.open', { fund: 'fa', name: 'FA', currency: 'CNY', restricted: false, purpose: 'p' })]), 201);
    const don = (id: string) => ev(a, 'donation', { fund: 'fa', amount: cny(5), donor: donor(id), channel: 'c' }, id);
    assert.is(await post(url, seen, verifier, [don('x1'), don('x2')]), 201);
    const before = log.size;
    store.inject('fail-not-persisted'); // the write fails (ENOSPC), nothing of it is stored
    const r = await fetchT(url + '/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(don('x3')) });
    assert.is(r.status, 503);
    assert.is(r.body.error.code, 'unavailable');
    assert.is((await fetchT(url + '/healthz')).status, 503, 'healthz after a failed commit');
    assert.is(log.size, before);
    store.inject('down'); // and then every call fails, until it heals
    assert.is(await post(url, seen, verifier, [don('x4')]), 503);
    assert.is((await fetchT(url + '/healthz')).status, 503);
    store.heal();
    assert.is(await post(url, seen, verifier, [don('x3'), don('x4')]), 201);
    assert.is((await fetchT(url + '/healthz')).status, 200);
    assert.is(log.size, before + 2);
    await checkAll(url, seen, verifier, 'after healing');
  } finally {
    await new Promise<void>((r) => srv.close(() => r()));
    await log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

real.run();
injected.run();
void MiB;
