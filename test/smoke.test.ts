import { test } from 'uvu';
import * as assert from 'uvu/assert';
test('workspace imports resolve', async () => {
  const t = await import('@cotc/tlog');
  assert.type(t, 'object');
});
test.run();
