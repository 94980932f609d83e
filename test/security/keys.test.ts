// Key files (DESIGN.md "The operator"): a new data directory is created 0700 with log.key
// and operator.key 0600; the server refuses to start on a key file that group or others
// may read, naming the file and the fix (chmod 600), and never echoing the key.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from '../../src/server.ts';
import { KeyFileError } from '../../src/log/datadir.ts';
import { tempDir } from '../helpers/server.ts';

const start = (dir: string) => startServer(dir, { port: 0, host: '127.0.0.1', logLevel: 'silent', verifyThreads: 0 });
const mode = (f: string) => fs.statSync(f).mode & 0o777;

let base = '';
let dir = '';

test.before(async () => {
  base = tempDir('cotc-keys-');
  dir = path.join(base, 'data'); // does not exist yet: the server creates it
  const s = await start(dir);
  await s.close();
});

test.after(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

test('a new data directory is 0700, its key files 0600', () => {
  assert.is(mode(dir).toString(8), '700');
  assert.is(mode(path.join(dir, 'log.key')).toString(8), '600');
  assert.is(mode(path.join(dir, 'operator.key')).toString(8), '600');
});

for (const file of ['log.key', 'operator.key']) {
  for (const m of [0o644, 0o640, 0o604, 0o660]) {
    test(`the server refuses to start with ${file} mode ${m.toString(8)}, naming the file and the fix`, async () => {
      const f = path.join(dir, file);
      const key = fs.readFileSync(f, 'utf8').trim();
      fs.chmodSync(f, m);
      try {
        let err: Error | undefined;
        try {
          const s = await start(dir);
          await s.close();
        } catch (e) {
          err = e as Error;
        }
        assert.ok(err, `the server started with ${file} mode ${m.toString(8)}`);
        assert.instance(err, KeyFileError);
        assert.ok(err.message.includes(f), `the message names the file: ${err.message}`);
        assert.ok(err.message.includes(`chmod 600 ${f}`), `the message gives the fix: ${err.message}`);
        assert.ok(err.message.includes(m.toString(8)), `the message says the mode: ${err.message}`);
        assert.not.ok(err.message.includes(key.split('+').pop()!), 'the message echoes the key');
      } finally {
        fs.chmodSync(f, 0o600);
      }
    });
  }
}

test('with the modes fixed (chmod 600) the same data directory starts again', async () => {
  const s = await start(dir);
  assert.ok(s.log.size >= 1);
  await s.close();
});

test.run();
