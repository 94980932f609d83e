// `cotc audit`: a clean log passes; an altered stored entry, a forked history and a
// rolled-back log are caught, naming the seq and the check.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { auditCommand } from '../../src/cli/audit.ts';
import { LevelStore } from '../../src/storage/level.ts';
import { testServer, tempDir } from '../helpers/server.ts';
import { populate } from '../helpers/populate.ts';

const run = promisify(execFile);

function capture() {
  const lines: string[] = [];
  return { lines, out: (l: string) => lines.push(l), text: () => lines.join('\n') };
}

test('a clean data directory audits clean, and again consistently', async () => {
  const dir = tempDir();
  await populate(dir, 'a');
  const state = path.join(tempDir(), 'state.json');
  const c = capture();
  assert.is(await auditCommand({ data: dir, state }, c.out, c.out), 0, c.text());
  assert.match(c.text(), /clean\. 8 entries replayed/);
  assert.is((fs.statSync(state).mode & 0o777).toString(8), '600');
  const c2 = capture();
  assert.is(await auditCommand({ data: dir, state }, c2.out, c2.out), 0, c2.text());
  assert.match(c2.text(), /consistent with checkpoint 8 seen before/);
  // --json: the same facts as one document, nothing else on out.
  const c3 = capture();
  assert.is(await auditCommand({ data: dir, state, json: true }, c3.out, () => {}), 0, c3.text());
  assert.is(c3.lines.length, 1, c3.text());
  const j = JSON.parse(c3.lines[0]!);
  assert.is(j.clean, true);
  assert.is(j.size, 8);
  assert.is(j.checkpoint.size, 8);
  assert.is(j.consistentWith, 8);
  assert.equal(j.problems, []);
});

test('one altered stored entry: exit 1 naming its seq', async () => {
  const dir = tempDir();
  await populate(dir, 'b');
  const store = new LevelStore(path.join(dir, 'store'));
  await store.open();
  const key = 'e/' + (4).toString(16).padStart(16, '0');
  const v = Buffer.from((await store.db.get(key))!);
  // Change a donation amount digit: still canonical JSON, so the chain/effects/root must catch it.
  const s = v.toString('utf8').replace('"value":"101"', '"value":"901"');
  assert.is.not(s, v.toString('utf8'));
  await store.db.put(key, new Uint8Array(Buffer.from(s, 'utf8')));
  await store.close();
  const c = capture();
  assert.is(await auditCommand({ data: dir, state: path.join(tempDir(), 's.json') }, c.out, c.out), 1, c.text());
  assert.match(c.text(), /PROBLEM at seq (4|5): (signature|chain)/);
  const j = capture();
  assert.is(await auditCommand({ data: dir, state: path.join(tempDir(), 's.json'), json: true }, j.out, () => {}), 1, j.text());
  const doc = JSON.parse(j.lines[0]!);
  assert.is(doc.clean, false);
  assert.ok([4, 5].includes(doc.problems[0].seq), j.text());
});

test('a forked history (two copies of a data directory that diverge) is caught', async () => {
  const dir = tempDir();
  await populate(dir, 'c', 2);
  const copy = tempDir();
  fs.cpSync(dir, copy, { recursive: true });
  const state = path.join(tempDir(), 'state.json');
  await populate(dir, 'c1', 2);
  const c = capture();
  assert.is(await auditCommand({ data: dir, state }, c.out, c.out), 0, c.text());
  // The copy grows differently; present it under the same name.
  await populate(copy, 'c2', 3);
  fs.renameSync(dir, dir + '.orig');
  fs.renameSync(copy, dir);
  const c2 = capture();
  assert.is(await auditCommand({ data: dir, state }, c2.out, c2.out), 1, c2.text());
  assert.match(c2.text(), /consistency/);
});

test('a rolled-back log is caught', async () => {
  const dir = tempDir();
  await populate(dir, 'd', 1);
  const copy = tempDir();
  fs.cpSync(dir, copy, { recursive: true });
  await populate(dir, 'd1', 1);
  const state = path.join(tempDir(), 'state.json');
  const c = capture();
  assert.is(await auditCommand({ data: dir, state }, c.out, c.out), 0, c.text());
  fs.renameSync(dir, dir + '.orig');
  fs.renameSync(copy, dir);
  const c2 = capture();
  assert.is(await auditCommand({ data: dir, state }, c2.out, c2.out), 1);
  assert.match(c2.text(), /rollback/);
});

test('the real CLI audits a server: exit 0, then 2 for a server that is not there', async () => {
  const s = await testServer();
  const state = path.join(tempDir(), 'state.json');
  try {
    const r = await run('pnpm', ['--silent', 'cotc', 'audit', '--server', s.url, '--state', state]);
    assert.match(r.stdout, /clean\. 1 entries replayed/);
  } finally {
    await s.close();
  }
  const e = await run('pnpm', ['--silent', 'cotc', 'audit', '--server', s.url, '--state', state]).catch((x) => x);
  assert.is(e.code, 2, String(e.stderr));
  const u = await run('pnpm', ['--silent', 'cotc', 'audit', '--state', state]).catch((x) => x);
  assert.is(u.code, 2);
});

test.run();
