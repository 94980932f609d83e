// AtomicWriter (src/mirror/atomic.ts): files appear whole under their names (a temporary
// file in the same directory, renamed), no temporary file is left behind, identical bytes
// are not rewritten (same inode), a changed file is a new inode (a reader holding the old
// one keeps reading the old bytes whole), and paths outside the root are refused.
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AtomicWriter } from '../../src/mirror/atomic.ts';
import { tempDir } from '../helpers/server.ts';

test('writes whole files, skips identical bytes, replaces by rename, leaves no temporary file', () => {
  const root = tempDir('cotc-atomic-');
  const w = new AtomicWriter(root);
  assert.is(w.write('tile/0/x001/000', new Uint8Array(8192).fill(1)), true);
  assert.is(w.write('checkpoint', 'one\n'), true);
  const p = path.join(root, 'checkpoint');
  const ino = fs.statSync(p).ino;
  assert.is(w.write('checkpoint', 'one\n'), false, 'identical bytes are not rewritten');
  assert.is(fs.statSync(p).ino, ino);
  // A reader with the old file open keeps reading the old bytes whole.
  const fd = fs.openSync(p, 'r');
  assert.is(w.write('checkpoint', 'two, longer\n'), true);
  assert.is.not(fs.statSync(p).ino, ino);
  const buf = Buffer.alloc(64);
  assert.is(buf.subarray(0, fs.readSync(fd, buf, 0, 64, 0)).toString(), 'one\n');
  fs.closeSync(fd);
  assert.is(fs.readFileSync(p, 'utf8'), 'two, longer\n');
  assert.is(w.write('checkpoint', 'two, longer\n', { force: true }), true, 'force rewrites');
  w.flushDirs();
  const all = fs.readdirSync(root, { recursive: true }).map(String);
  assert.equal(all.filter((f) => f.includes('.tmp-')), []);
  assert.equal(fs.readFileSync(path.join(root, 'tile/0/x001/000')).length, 8192);
  w.remove('checkpoint');
  w.remove('checkpoint');
  assert.is(fs.existsSync(p), false);
  for (const bad of ['../escape', '/etc/passwd', 'a/../../b']) assert.throws(() => w.write(bad, 'x'), /outside/, bad);
  fs.rmSync(root, { recursive: true, force: true });
});

test.run();
