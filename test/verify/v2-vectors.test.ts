// The published vectors of v2 trace bundles and proven reads (test/vectors/cotc-bundle-v2.json,
// written by scripts/make-bundle-vectors.ts): every honest one verifies with no problem,
// every tampered one gets its code, with both signature engines; and the file is exactly what
// the generator writes today (a change of format or of the verifier's inputs shows here).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { verifyBundle, verifyProvenRead } from '@cotc/verify';
import { bundleVectors, formatVectors, VECTORS_FILE } from '../../scripts/make-bundle-vectors.ts';

const file = JSON.parse(fs.readFileSync(VECTORS_FILE, 'utf8'));

test('the vector file is what scripts/make-bundle-vectors.ts writes', async () => {
  assert.ok(formatVectors(await bundleVectors()) === fs.readFileSync(VECTORS_FILE, 'utf8'), 'stale test/vectors/cotc-bundle-v2.json: run node --import tsx scripts/make-bundle-vectors.ts');
});

for (const engine of ['noble', 'auto'] as const) {
  test(`every bundle vector gets its code (${engine})`, async () => {
    assert.ok(file.bundles.length >= 20);
    for (const v of file.bundles) {
      const r = await verifyBundle(v.bundle, { logKey: v.logKey, donation: v.donation, receiptSecret: v.receiptSecret, engine });
      const codes = r.problems.map((p) => p.code);
      if (v.code === null) assert.equal(r.problems, [], v.name);
      else assert.ok(codes.includes(v.code), `${v.name}: expected ${v.code}, got ${JSON.stringify(codes)}`);
      assert.is(r.ok, v.code === null, v.name);
    }
  });
}

test('every read vector gets its code', async () => {
  for (const v of file.reads) {
    const r = await verifyProvenRead(v.read, { logKey: v.logKey, keys: v.keys });
    const codes = r.problems.map((p) => p.code);
    if (v.code === null) assert.equal(r.problems, [], v.name);
    else assert.ok(codes.includes(v.code), `${v.name}: expected ${v.code}, got ${JSON.stringify(codes)}`);
  }
});

test.run();
