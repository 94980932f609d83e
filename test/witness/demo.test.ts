// `serve --demo` runs two local witnesses (src/witness/demo.ts, serve-options.ts): the
// demo's log is witnessed, and a donor's 2-of-2 policy over the printed keys verifies.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { cosignatureVerifier, openNoteWith } from '@cotc/tlog';
import { createDemo } from '../../src/demo/demo.ts';
import { startServer } from '../../src/server.ts';
import { witnessServeOptions } from '../../src/witness/serve-options.ts';
import { tempDir } from '../helpers/server.ts';

test('serve --demo: two local witnesses cosign the demo log', async () => {
  const dir = path.join(tempDir('cotc-demo-w-'), 'data');
  await createDemo(dir, { donations: 100 });
  const w = await witnessServeOptions({ data: dir, demo: true, checkpointInterval: '0.1' });
  const s = await startServer(dir, { port: 0, logLevel: 'silent', web: false, ...w.options });
  try {
    const lines = w.describe();
    assert.match(lines[0]!, /two local demo witnesses, quorum 2/);
    const keys = w.options.witnesses!.map((x) => x.key);
    assert.match(lines.at(-1)!, new RegExp(`--witness ${keys[0]!.replace(/[+/]/g, '\\$&')}`));
    const t0 = Date.now();
    let verified: string[] = [];
    while (Date.now() - t0 < 10_000) {
      const cp = await (await fetch(`${s.url}/checkpoint`)).text();
      try {
        verified = openNoteWith(cp, keys.map((k) => cosignatureVerifier(k))).verified;
      } catch {
        verified = [];
      }
      if (verified.length === 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(verified, ['witness-one.demo.cotc.local', 'witness-two.demo.cotc.local']);
    assert.ok(s.publisher);
  } finally {
    await s.close();
    await w.close();
  }
  // Restarted: the same witness keys (their data directories persist under the demo's).
  const again = await witnessServeOptions({ data: dir, demo: true, checkpointInterval: '1' });
  try {
    assert.equal(again.options.witnesses!.map((x) => x.key), w.options.witnesses!.map((x) => x.key));
  } finally {
    await again.close();
  }
});

test('serve option checks', async () => {
  const dir = tempDir('cotc-opt-');
  const fail = (o: Parameters<typeof witnessServeOptions>[0]) => witnessServeOptions(o).then(() => '', (e: Error) => e.message);
  assert.match(await fail({ data: dir, checkpointInterval: 'x' }), /--checkpoint-interval/);
  assert.match(await fail({ data: dir, checkpointInterval: '10', quorum: '1' }), /--quorum: needs --witness/);
  assert.match(await fail({ data: dir, checkpointInterval: '10', witness: ['nope'] }), /--witness\[0\]/);
  const k = (await import('@cotc/tlog')).generateCosignerKey('w.example').verifierKey;
  assert.match(await fail({ data: dir, checkpointInterval: '10', witness: [`http://127.0.0.1:1=${k}`], quorum: '2' }), /--quorum: expected an integer from 1 to 1/);
  const ok = await witnessServeOptions({ data: dir, checkpointInterval: '10', witness: [`http://127.0.0.1:1/=${k}`] });
  assert.equal(ok.options.witnesses, [{ url: 'http://127.0.0.1:1', key: k }]);
  assert.is(ok.options.quorum, 1);
});

test.run();
