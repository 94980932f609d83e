// `audit --follow --witness-key` (src/witness/monitor.ts): a monitor cosigns only what it
// has fully replayed; a log-signed checkpoint whose root the replay does not reach is
// refused (attack: a log that signs a root for entries it does not serve).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { cosignatureVerifier, formatCheckpoint, openNoteWith, parseSignerKey, signNote, base64 } from '@cotc/tlog';
import { startServer } from '../../src/server.ts';
import { openDataDir } from '../../src/log/datadir.ts';
import { Monitor } from '../../src/witness/monitor.ts';
import { Witness } from '../../src/witness/witness.ts';
import { tempDir } from '../helpers/server.ts';
import { cny, donor, ev, type Org } from '../helpers/events.ts';

test('the monitor replays, then cosigns exactly the replayed checkpoint; refuses a root it did not replay', async () => {
  const dir = tempDir('cotc-mon-');
  const dd = openDataDir(dir);
  const logKey = parseSignerKey(dd.logKey).verifierKey;
  const op: Org = { id: 'operator', signerKey: dd.operatorKey, verifierKey: '' };
  const s = await startServer(dir, { port: 0, logLevel: 'silent', web: false });
  const w = new Witness({ dir: path.join(dir, 'mon'), keyFile: path.join(dir, 'mon', 'monitor.key'), name: 'monitor.example', logs: [logKey] });
  try {
    await s.log.submit(ev(op, 'fund.open', { fund: 'mon-f', name: 'F', currency: 'CNY', restricted: false, purpose: 'p' }));
    for (let i = 0; i < 5; i++) await s.log.submit(ev(op, 'donation', { fund: 'mon-f', amount: cny(3), donor: donor(`mon-${i}`), channel: 'x' }, `mon-${i}`));
    const m = new Monitor({ server: s.url, logKey, witness: w });
    const c = await m.check();
    assert.is(c.size, s.log.size);
    const cp = s.log.checkpoint;
    const a = await m.addCheckpoint(new TextEncoder().encode(`old 0\n\n${cp}`));
    assert.is(a.status, 200, a.body);
    assert.equal(openNoteWith(cp + a.body, [cosignatureVerifier(w.verifierKey)]).verified, ['monitor.example']);
    // More entries: the monitor catches up before cosigning (the proof from its last size is checked by the witness).
    for (let i = 5; i < 8; i++) await s.log.submit(ev(op, 'donation', { fund: 'mon-f', amount: cny(3), donor: donor(`mon-${i}`), channel: 'x' }, `mon-${i}`));
    const size1 = c.size;
    const size2 = s.log.size;
    const proof = (await s.log.proveConsistency(size1, size2)).hashes.map((h) => base64(Buffer.from(h, 'hex')) + '\n').join('');
    const b = await m.addCheckpoint(new TextEncoder().encode(`old ${size1}\n${proof}\n${s.log.checkpoint}`));
    assert.is(b.status, 200, b.body);
    assert.is(m.size, size2);
    // The log key signs a root the entries do not give (a split view the proofs alone might hide).
    const bogus = signNote(formatCheckpoint({ origin: dd.origin, size: size2, root: new Uint8Array(32).fill(7) }), dd.logKey);
    const x = await m.addCheckpoint(new TextEncoder().encode(`old ${size2}\n\n${bogus}`));
    assert.is(x.status, 422);
    assert.match(x.body, /replay_mismatch/);
    assert.is(w.logs()[0]!.size, size2);
  } finally {
    w.close();
    await s.close();
  }
});


test('cotc audit --follow --witness-key: a monitor process the log lists as a witness', async () => {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const { Publisher } = await import('../../src/log/publisher.ts');
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const dir = tempDir('cotc-mon-cli-');
  const dd = openDataDir(dir);
  const logKey = parseSignerKey(dd.logKey).verifierKey;
  const op: Org = { id: 'operator', signerKey: dd.operatorKey, verifierKey: '' };
  const s = await startServer(dir, { port: 0, logLevel: 'silent', web: false });
  await s.log.submit(ev(op, 'fund.open', { fund: 'moncli-f', name: 'F', currency: 'CNY', restricted: false, purpose: 'p' }));
  const keyFile = path.join(dir, 'monitor', 'monitor.key');
  const p = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'cli', 'main.ts'), 'audit', '--server', s.url, '--log-key', logKey, '--follow', '--interval', '0.2',
    '--witness-key', keyFile, '--witness-name', 'monitor.example', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const out = await new Promise<string>((resolve, reject) => {
      let o = '';
      const timer = setTimeout(() => reject(new Error(`monitor did not start: ${o}`)), 20_000);
      p.stdout!.on('data', (b: Buffer) => {
        o += b.toString();
        if (/replayed \d+ entries/.test(o) && /serve --witness /.test(o)) {
          clearTimeout(timer);
          resolve(o);
        }
      });
      p.once('exit', (c) => reject(new Error(`monitor exited ${c}: ${o}`)));
    });
    const m = /serve --witness (http:\/\/\S+?)=(\S+)/.exec(out)!;
    const pub = new Publisher({ log: s.log, witnesses: [{ url: m[1]!, key: m[2]! }], intervalMs: 1000 });
    await pub.publishNow();
    assert.ok(pub.published, 'published');
    assert.equal(openNoteWith(pub.published!, [cosignatureVerifier(m[2]!)]).verified, ['monitor.example']);
  } finally {
    p.kill('SIGTERM');
    await s.close();
  }
});

test.run();
