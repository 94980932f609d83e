// The log side of witnessing (src/log/publisher.ts): the served checkpoint carries the
// witnesses' cosignatures, every read proves against the size of the checkpoint it carries,
// 409s are handled, and a witness that is down, slow or hostile never stalls writes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseSignerKey, cosignatureVerifier, ed25519Verifier, fromHex, openNoteWith, parseCheckpoint, verifyInclusion, fromBase64 } from '@cotc/tlog';
import { startServer, type RunningServer } from '../../src/server.ts';
import { startWitness, type RunningWitness } from '../../src/witness/server.ts';
import { openDataDir } from '../../src/log/datadir.ts';
import { Publisher, parseWitnessOption, type PublisherEvent, type WitnessEndpoint } from '../../src/log/publisher.ts';
import { LedgerClient } from '../../src/client/client.ts';
import { tempDir } from '../helpers/server.ts';
import { cny, donor, ev, type Org } from '../helpers/events.ts';

async function setup(n: number, opts: { quorum?: number; extra?: WitnessEndpoint[]; timeoutMs?: number } = {}) {
  const dir = tempDir('cotc-pub-');
  const dd = openDataDir(dir);
  const logVkey = parseSignerKey(dd.logKey).verifierKey;
  const ws: RunningWitness[] = [];
  for (let i = 0; i < n; i++) ws.push(await startWitness({ dir: path.join(dir, `w${i}`), name: `w${i}.example`, logs: [logVkey], port: 0, rateLimit: false }));
  const witnesses = [...ws.map((w) => ({ url: w.url, key: w.witness.verifierKey })), ...(opts.extra ?? [])];
  const s = await startServer(dir, {
    port: 0, host: '127.0.0.1', logLevel: 'silent', web: false, witnesses, quorum: opts.quorum, checkpointIntervalMs: 50,
    publisherOptions: { timeoutMs: opts.timeoutMs ?? 2000 },
  });
  return { dir, s, ws, witnesses, logVkey, client: new LedgerClient(s.url), close: async () => { await s.close(); for (const w of ws) await w.close(); } };
}

const op = (dir: string): Org => {
  const k = openDataDir(dir);
  return { id: 'operator', signerKey: k.operatorKey, verifierKey: '' };
};

async function waitFor<T>(f: () => Promise<T | null> | T | null, ms = 5000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v !== null && v !== undefined && v !== false) return v as T;
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function cosigners(note: string, keys: string[]): string[] {
  return openNoteWith(note, keys.map((k) => cosignatureVerifier(k))).verified;
}

test('the served checkpoint is cosigned by both witnesses; proofs are against its size', async () => {
  const { s, ws, witnesses, logVkey, dir, close } = await setup(2);
  try {
    const o = op(dir);
    const keys = witnesses.map((w) => w.key);
    await waitFor(async () => {
      const cp = await (await fetch(`${s.url}/checkpoint`)).text();
      try {
        return cosigners(cp, keys).length === 2 ? cp : null;
      } catch {
        return null;
      }
    });
    const fund = await s.log.submit(ev(o, 'fund.open', { fund: 'pub-f', name: 'F', currency: 'CNY', restricted: false, purpose: 'p' }));
    assert.is(fund.status, 201);
    const don = await s.log.submit(ev(o, 'donation', { fund: 'pub-f', amount: cny(5), donor: donor('pub-d1'), channel: 'x' }, 'pub-d1'));
    assert.is(don.status, 201);
    // Soon the new size is published, cosigned by both.
    const cp = await waitFor(async () => {
      const t = await (await fetch(`${s.url}/checkpoint`)).text();
      const c = parseCheckpoint(openNoteWith(t, [ed25519Verifier(logVkey)]).text);
      return c.size === s.log.size && cosigners(t, keys).length === 2 ? t : null;
    });
    assert.equal(cosigners(cp, keys), ['w0.example', 'w1.example']);
    // Extension lines: none (public witnesses refuse them).
    assert.equal(parseCheckpoint(openNoteWith(cp, [ed25519Verifier(logVkey)]).text).extensions, []);
    // An event read: the checkpoint it carries is the cosigned one, and its proof is against that size.
    const e = await (await fetch(`${s.url}/v1/events/pub-d1`)).json();
    assert.is(e.checkpoint, cp);
    const c = parseCheckpoint(openNoteWith(e.checkpoint, [ed25519Verifier(logVkey)]).text);
    assert.is(e.proof.size, c.size);
    const leaf = (await import('@cotc/tlog')).leafHash(fromBase64(e.entry.data));
    assert.ok(verifyInclusion(leaf, e.proof.index, e.proof.size, e.proof.hashes.map((h: string) => fromHex(h)), c.root));
    // A trace bundle too.
    const b = await (await fetch(`${s.url}/v1/donations/pub-d1/trace`)).json();
    assert.equal(cosigners(b.checkpoint, keys).length, 2);
    const bc = parseCheckpoint(openNoteWith(b.checkpoint, [ed25519Verifier(logVkey)]).text);
    for (const en of b.entries) assert.is(en.proof.size, bc.size);
    // The witnesses remember the published size.
    for (const w of ws) assert.is(w.witness.logs()[0]!.size, bc.size);
  } finally {
    await close();
  }
});

test('a witness that hangs never stalls writes: they are answered while its request is still open', async () => {
  const sockets: import('node:net').Socket[] = [];
  const hang = http.createServer((req) => sockets.push(req.socket));
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
  const { generateCosignerKey } = await import('@cotc/tlog');
  const extra = [{ url: `http://127.0.0.1:${(hang.address() as AddressInfo).port}`, key: generateCosignerKey('hang.example').verifierKey }];
  // The publisher gives witnesses a minute: its request to the hanging one stays open all
  // through the writes, so the writes being answered proves they never wait for a witness.
  const { s, dir, close } = await setup(0, { quorum: 1, extra, timeoutMs: 60_000 });
  try {
    const o = op(dir);
    await waitFor(() => sockets.length > 0); // a publication round is waiting on the hanging witness
    const r = await s.log.submit(ev(o, 'fund.open', { fund: 'pub-h', name: 'H', currency: 'CNY', restricted: false, purpose: 'p' }));
    assert.is(r.status, 201);
    for (let i = 0; i < 20; i++) {
      const d = await s.log.submit(ev(o, 'donation', { fund: 'pub-h', amount: cny(1), donor: donor(`h${i}`), channel: 'x' }, `pub-h${i}`));
      assert.is(d.status, 201);
    }
    assert.ok(sockets.some((so) => !so.destroyed), '21 writes were answered while the witness request was still unanswered');
  } finally {
    for (const so of sockets) so.destroy();
    await close();
    await new Promise((r) => hang.close(r));
  }
});

test('a witness that is down, or hangs, or lies: a quorum of 1 of 3 still publishes, lies dropped', async () => {
  // A witness that never answers (holds the socket), and one that answers 200 with garbage.
  const sockets: import('node:net').Socket[] = [];
  const hang = http.createServer((req) => sockets.push(req.socket));
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
  const liar = http.createServer((_req, res) => res.end('\u2014 liar.example AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n'));
  await new Promise<void>((r) => liar.listen(0, '127.0.0.1', () => r()));
  const url = (srv: http.Server) => `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const { generateCosignerKey } = await import('@cotc/tlog');
  const extra = [
    { url: url(hang), key: generateCosignerKey('hang.example').verifierKey },
    { url: url(liar), key: generateCosignerKey('liar.example').verifierKey },
  ];
  const { s, dir, witnesses, close } = await setup(1, { quorum: 1, extra, timeoutMs: 3000 });
  try {
    const o = op(dir);
    const r = await s.log.submit(ev(o, 'fund.open', { fund: 'pub-g', name: 'G', currency: 'CNY', restricted: false, purpose: 'p' }));
    assert.is(r.status, 201);
    for (let i = 0; i < 20; i++) {
      const d = await s.log.submit(ev(o, 'donation', { fund: 'pub-g', amount: cny(1), donor: donor(`g${i}`), channel: 'x' }, `pub-g${i}`));
      assert.is(d.status, 201);
    }
    const keys = witnesses.map((w) => w.key);
    const cp = await waitFor(async () => {
      const t = await (await fetch(`${s.url}/checkpoint`)).text();
      return t.includes('w0.example') && parseCheckpoint(t.slice(0, t.indexOf('\n\n') + 1)).size === s.log.size ? t : null;
    });
    assert.equal(cosigners(cp, keys), ['w0.example']);
    assert.not.ok(cp.includes('liar.example'), 'a cosignature that does not verify is dropped');
  } finally {
    await close();
    for (const so of sockets) so.destroy();
    hang.close();
    liar.close();
  }
});

test('409: a publisher that does not know the witness\'s size learns it and proves from there', async () => {
  const { s, ws, dir, witnesses, close } = await setup(1);
  try {
    const o = op(dir);
    await s.publisher!.publishNow();
    await s.publisher!.stop();
    const before = ws[0]!.witness.logs()[0]!.size;
    assert.ok(before >= 1);
    await s.log.submit(ev(o, 'fund.open', { fund: 'pub-h', name: 'H', currency: 'CNY', restricted: false, purpose: 'p' }));
    const events: PublisherEvent[] = [];
    const bodies: string[] = [];
    const spy: typeof fetch = async (u, init) => {
      bodies.push(String(init?.body).split('\n')[0]!);
      return fetch(u, init);
    };
    const p = new Publisher({ log: s.log, witnesses, intervalMs: 1000, fetch: spy, onEvent: (e) => events.push(e) });
    await p.publishNow();
    assert.equal(bodies, ['old 0', `old ${before}`]);
    assert.is(ws[0]!.witness.logs()[0]!.size, s.log.size);
    assert.equal(events.filter((e) => e.type === 'published').map((e) => (e as { cosigners: string[] }).cosigners), [['w0.example']]);
    // Unchanged and fresh: nothing is sent; once its cosignatures are refreshMs old, it is re-submitted.
    await p.publishNow();
    assert.is(bodies.length, 2);
    const q = new Publisher({ log: s.log, witnesses, intervalMs: 1000, refreshMs: 0, fetch: spy });
    await q.publishNow();
    await q.publishNow();
    assert.equal(bodies.slice(2), ['old 0', `old ${s.log.size}`, `old ${s.log.size}`]);
    assert.equal(cosigners(q.published!, witnesses.map((w) => w.key)), ['w0.example']);
  } finally {
    await close();
  }
});

test('serve --witness parsing', () => {
  assert.throws(() => parseWitnessOption('http://x'), /URL=VKEY/);
  assert.throws(() => parseWitnessOption('ftp://x=' + 'a'), /http or https/);
  assert.throws(() => parseWitnessOption('http://x=nope'), /--witness/);
});

test.run();
