// The browser-safe packages bundle for a browser (esbuild, platform "browser") with no
// Node built-in anywhere in their import graph, and the bundles run: a bundle of
// @cotc/tlog computes a known RFC 9162 root when evaluated as plain ESM.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

for (const pkg of ['tlog', 'ledger', 'verify']) {
  test(`@cotc/${pkg} bundles for the browser without Node built-ins`, async () => {
    const r = await build({
      entryPoints: [path.join(root, 'packages', pkg, 'src', 'index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(r.metafile!.inputs);
    const nodeish = inputs.filter((i) => /^node:|(^|\/)(fs|crypto|path|os|worker_threads)$/.test(i));
    assert.equal(nodeish, []);
    assert.ok(r.outputFiles[0]!.text.length > 1000);
    if (pkg === 'tlog') {
      const url = 'data:text/javascript;base64,' + Buffer.from(r.outputFiles[0]!.text).toString('base64');
      const m = await import(url);
      // RFC 6962 reference tree: MTH of the empty list is SHA-256("").
      assert.is(m.hex(m.rootHash([])), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    }
  });
}

test.run();
