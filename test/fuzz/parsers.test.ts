// Fuzzing every parser and verifier that reads untrusted input (test/fuzz/properties.ts),
// bounded for CI: a modest number of runs per property, each property stopped after
// PER_PROPERTY_MS (a bound on the work, not a timed assertion). `pnpm tsx scripts/fuzz.ts` runs the
// same properties for as long as you like (FUZZ_RUNS, FUZZ_SECONDS, FUZZ_SEED).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { properties, runProperty } from './properties.ts';

const PER_PROPERTY_MS = 600;

for (const p of properties) {
  test(p.name, async () => {
    const r = await runProperty(p, { timeLimitMs: PER_PROPERTY_MS });
    assert.not.ok(r.failed, r.message);
    assert.ok(r.runs > 0, 'ran at least once');
  });
}

test.run();
