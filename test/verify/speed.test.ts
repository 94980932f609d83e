// Issue 9: "A maximal honest bundle takes 13–17 s to verify in node and 13–31 s in Chromium.
// Verification cost must be linear and small: a 10,000-entry bundle verifies in under 2 s in
// headless Chromium." Measured here on a loaded machine too, so the 2 s bound is scaled by
// the load beyond the cores (os.loadavg; a machine with twice as many runnable processes as
// cores gives each half the CPU); linearity is a ratio and needs no scaling.
import os from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { verifyBundle } from '@cotc/verify';
import { largeBundle, type LargeBundle } from './large.ts';
import { startHarness } from './browser-harness.ts';

const slowdown = () => Math.max(1, os.loadavg()[0]! / os.cpus().length);

test('a maximal honest 10,000-entry bundle verifies in headless Chromium under 2 s (load-scaled), linearly', async () => {
  const bundles = new Map<string, LargeBundle>([
    ['1000', await largeBundle(1000)],
    ['10000', await largeBundle(10_000)],
  ]);
  const h = await startHarness(bundles);
  try {
    await h.verify('1000', 'auto'); // warm-up
    const small = await h.verify('1000', 'auto');
    const big = await h.verify('10000', 'auto');
    assert.ok(small.ok && big.ok, JSON.stringify([small.problems, big.problems]));
    assert.is(big.engine, 'webcrypto', 'Chromium has WebCrypto Ed25519: the fast engine is used');
    const bound = 2000 * slowdown();
    assert.ok(big.ms < bound, `10,000 entries took ${Math.round(big.ms)} ms in Chromium (bound ${Math.round(bound)} ms at load ${os.loadavg()[0]!.toFixed(2)})`);
    assert.ok(big.ms / small.ms < 20, `10x the entries took ${(big.ms / small.ms).toFixed(1)}x the time (linear: ~10x)`);
  } finally {
    await h.close();
  }
});

test('in node, WebCrypto verifies a 2,000-entry bundle to the same result as noble, at least twice as fast', async () => {
  const b = await largeBundle(2000);
  const t0 = performance.now();
  const fast = await verifyBundle(b.bundle, { logKey: b.logKey, donation: b.donation, engine: 'webcrypto' });
  const t1 = performance.now();
  const slow = await verifyBundle(b.bundle, { logKey: b.logKey, donation: b.donation, engine: 'noble' });
  const t2 = performance.now();
  assert.ok(fast.ok);
  assert.equal(fast, slow);
  assert.ok(t1 - t0 < (t2 - t1) / 2, `webcrypto ${Math.round(t1 - t0)} ms, noble ${Math.round(t2 - t1)} ms`);
});

test.run();
