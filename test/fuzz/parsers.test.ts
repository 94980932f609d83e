// Fuzzing every parser and verifier that reads untrusted input (test/fuzz/properties.ts),
// bounded for CI: a modest number of runs per property, each property stopped after
// PER_PROPERTY_MS, the whole file well under 20 s. `pnpm tsx scripts/fuzz.ts` runs the
// same properties for as long as you like (FUZZ_RUNS, FUZZ_SECONDS, FUZZ_SEED).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { properties, runProperty } from './properties.ts';

const PER_PROPERTY_MS = 600;
const t0 = performance.now();

for (const p of properties) {
  test(p.name, async () => {
    const r = await runProperty(p, { timeLimitMs: PER_PROPERTY_MS });
    assert.not.ok(r.failed, r.message);
    assert.ok(r.runs > 0, 'ran at least once');
  });
}

test('the whole file stays within its budget', () => {
  const ms = performance.now() - t0;
  assert.ok(ms < 20_000, `${ms.toFixed(0)} ms`);
});

test.run();
