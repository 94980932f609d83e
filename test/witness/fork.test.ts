// A log that forks (attack: "split view"): two copies of one data directory diverge, both
// signed by the same log key. Each witness cosigns the first branch it sees and refuses the
// other (409 or 422); `verify` with a 1-of-1 witness policy refuses the forked checkpoint
// (witness_quorum) and accepts the witnessed one; `audit` reports it. Without witnesses a
// donor who only ever talks to the fork could not tell.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { cosignatureVerifier, openNoteWith, parseSignerKey } from '@cotc/tlog';
import { startServer, type RunningServer } from '../../src/server.ts';
import { startWitness, type RunningWitness } from '../../src/witness/server.ts';
import { openDataDir } from '../../src/log/datadir.ts';
import type { PublisherEvent } from '../../src/log/publisher.ts';
import { verifyCommand } from '../../src/cli/verify.ts';
import { auditCommand } from '../../src/cli/audit.ts';
import { tempDir } from '../helpers/server.ts';
import { cny, donor, ev, type Org } from '../helpers/events.ts';

async function waitFor<T>(f: () => Promise<T | null> | T | null, ms = 8000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v !== null && v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const io = () => {
  const lines: string[] = [];
  return { lines, io: { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) } };
};

test('fork: witnesses cosign the first branch only; verify 1-of-1 refuses the fork; audit reports it', async () => {
  const base = tempDir('cotc-fork-');
  const dirA = path.join(base, 'a');
  const dd = openDataDir(dirA);
  const logKey = parseSignerKey(dd.logKey).verifierKey;
  const op: Org = { id: 'operator', signerKey: dd.operatorKey, verifierKey: '' };
  // The shared history: a fund and a donation.
  let s: RunningServer = await startServer(dirA, { port: 0, logLevel: 'silent', web: false });
  assert.is((await s.log.submit(ev(op, 'fund.open', { fund: 'fork-f', name: 'F', currency: 'CNY', restricted: false, purpose: 'p' }))).status, 201);
  assert.is((await s.log.submit(ev(op, 'donation', { fund: 'fork-f', amount: cny(100), donor: donor('fork-d'), channel: 'x' }, 'fork-d'))).status, 201);
  await s.close();
  const dirB = path.join(base, 'b');
  fs.cpSync(dirA, dirB, { recursive: true });

  const ws: RunningWitness[] = [];
  for (const n of ['w1.example', 'w2.example']) ws.push(await startWitness({ dir: path.join(base, n), name: n, logs: [logKey], port: 0, rateLimit: false }));
  const witnesses = ws.map((w) => ({ url: w.url, key: w.witness.verifierKey }));
  const keys = witnesses.map((w) => w.key);
  const eventsB: PublisherEvent[] = [];
  let A: RunningServer | null = null;
  let B: RunningServer | null = null;
  try {
    // Branch A is published first and both witnesses cosign it.
    A = await startServer(dirA, { port: 0, logLevel: 'silent', web: false, witnesses, quorum: 1, checkpointIntervalMs: 50 });
    assert.is((await A.log.submit(ev(op, 'donation', { fund: 'fork-f', amount: cny(7), donor: donor('fork-a'), channel: 'x' }, 'fork-a'))).status, 201);
    const cpA = await waitFor(async () => {
      const t = await (await fetch(`${A!.url}/checkpoint`)).text();
      try {
        return openNoteWith(t, keys.map((k) => cosignatureVerifier(k))).verified.length === 2 && t.includes(`\n${A!.log.size}\n`) ? t : null;
      } catch {
        return null;
      }
    });
    // Branch B: the same key signs another history (same size, then larger).
    B = await startServer(dirB, { port: 0, logLevel: 'silent', web: false, witnesses, quorum: 1, checkpointIntervalMs: 50, publisherOptions: { onEvent: (e) => eventsB.push(e) } });
    assert.is((await B.log.submit(ev(op, 'donation', { fund: 'fork-f', amount: cny(9), donor: donor('fork-b'), channel: 'x' }, 'fork-b'))).status, 201);
    await B.publisher!.publishNow();
    assert.is(B.log.size, A.log.size);
    assert.is((await B.log.submit(ev(op, 'donation', { fund: 'fork-f', amount: cny(9), donor: donor('fork-b2'), channel: 'x' }, 'fork-b2'))).status, 201);
    await B.publisher!.publishNow();
    const refusals = eventsB.filter((e) => e.type === 'witness_error');
    assert.ok(refusals.length >= 2, JSON.stringify(eventsB));
    assert.not.ok(eventsB.some((e) => e.type === 'published' && e.cosigners.length > 0), 'no witness cosigned branch B');
    // Each witness still holds branch A's size and root.
    for (const w of ws) assert.is(w.witness.logs()[0]!.size, A.log.size);
    const cpB = await (await fetch(`${B.url}/checkpoint`)).text();
    assert.not.ok(cpB.includes('\u2014 w1.example') || cpB.includes('\u2014 w2.example'));
    assert.ok(cpA.includes('\u2014 w1.example'));

    // verify with a 1-of-1 policy: A verifies, witnessed; B is refused, naming who signed (nobody).
    const state = path.join(base, 'verify-state.json');
    const va = io();
    assert.is(await verifyCommand('fork-d', { server: A.url, state, witness: [keys[0]!], logKey }, va.io), 0, va.lines.join('\n'));
    assert.match(va.lines.join('\n'), /witnessed by w1\.example \(1 of the 1 needed\)/);
    const vb = io();
    assert.is(await verifyCommand('fork-d', { server: B.url, state: path.join(base, 'verify-state-b.json'), witness: [keys[0]!], logKey }, vb.io), 1, vb.lines.join('\n'));
    assert.match(vb.lines.join('\n'), /witness_quorum: the checkpoint is cosigned by 0 of the 1 witnesses needed/);
    // Without a policy, a donor who only talks to B sees a well-signed log: the reason for witnesses.
    const vn = io();
    assert.is(await verifyCommand('fork-d', { server: B.url, state: path.join(base, 'verify-state-n.json'), logKey }, vn.io), 0);

    // audit with the policy reports the fork's missing cosignatures; audit of A is clean.
    const aa = io();
    assert.is(await auditCommand({ server: A.url, state: path.join(base, 'audit-a.json'), logKey, witness: keys, quorum: '2' }, aa.io.out, aa.io.err), 0, aa.lines.join('\n'));
    assert.match(aa.lines.join('\n'), /witnessed by w1\.example and w2\.example \(2 of the 2 needed\)/);
    const ab = io();
    assert.is(await auditCommand({ server: B.url, state: path.join(base, 'audit-b.json'), logKey, witness: keys, quorum: '1' }, ab.io.out, ab.io.err), 1, ab.lines.join('\n'));
    assert.match(ab.lines.join('\n'), /PROBLEM: witness: the checkpoint is cosigned by 0 of the 1 witnesses needed/);
    // An auditor that saw A, then audits B (the same log, by its key): the fork itself.
    const shared = path.join(base, 'audit-shared.json');
    assert.is(await auditCommand({ server: A.url, state: shared, logKey }, () => {}, () => {}), 0);
    const af = io();
    assert.is(await auditCommand({ server: B.url, state: shared, logKey }, af.io.out, af.io.err), 1, af.lines.join('\n'));
    assert.match(af.lines.join('\n'), /consistency/);
  } finally {
    await A?.close();
    await B?.close();
    for (const w of ws) await w.close();
  }
});

test.run();
