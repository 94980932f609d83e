// `cotc audit` checks the gift batch files it holds against the batch events (issue 15,
// src/audit/batches.ts): a demo's data directory audits clean with every file rebuilt; a
// file whose gift was changed (still a canonical record) fails at its batch's seq; a file
// not held is counted, not a problem; a server audit takes a copy of the files (--batches).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { auditCommand } from '../../src/cli/audit.ts';
import { createDemo, type DemoSummary } from '../../src/demo/demo.ts';
import { testServer, tempDir } from '../helpers/server.ts';

const root = tempDir('cotc-audit-batches-');
const dir = path.join(root, 'data');
let demo: DemoSummary;

function capture() {
  const lines: string[] = [];
  return { out: (l: string) => void lines.push(l), text: () => lines.join('\n'), lines };
}
const files = () =>
  (fs.readdirSync(path.join(dir, 'batches'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ndjson')).map((f) => path.join(dir, 'batches', f)).sort();

test('a demo with gift batches audits clean, every batch file rebuilt', async () => {
  demo = await createDemo(dir, { donations: 100, gifts: 30, giftsPerBatch: 10 });
  assert.is(demo.batches.length, 4);
  const c = capture();
  assert.is(await auditCommand({ data: dir, state: path.join(root, 's1.json'), json: true }, c.out, () => {}), 0, c.text());
  const doc = JSON.parse(c.lines[0]!);
  assert.is(doc.clean, true);
  assert.equal(doc.batchFiles, { batches: 4, checked: 4, gifts: 30, missing: [] });
  const l = capture();
  assert.is(await auditCommand({ data: dir, state: path.join(root, 's2.json'), fromScratch: true }, l.out, l.out), 0, l.text());
  assert.match(l.text(), /4 of 4 gift batch files \(30 gifts\) rebuilt and matching their roots and totals/);
});

test('a changed gift in a batch file is a problem at its batch; a file not held is only counted', async () => {
  const [damaged, gone] = files();
  const text = fs.readFileSync(damaged!, 'utf8');
  const lines = text.split('\n');
  // still a canonical gift record, one minor unit more
  lines[2] = lines[2]!.replace(/^\{"amount":"([0-9]+)"/, (_m, a: string) => `{"amount":"${BigInt(a) + 1n}"`);
  fs.writeFileSync(damaged!, lines.join('\n'));
  fs.renameSync(gone!, `${gone}.away`);
  const c = capture();
  assert.is(await auditCommand({ data: dir, state: path.join(root, 's3.json'), json: true, fromScratch: true }, c.out, () => {}), 1, c.text());
  const doc = JSON.parse(c.lines[0]!);
  assert.is(doc.clean, false);
  const p = doc.problems.find((x: { check: string }) => x.check === 'batch_file');
  assert.ok(p, JSON.stringify(doc.problems));
  assert.match(p.message, /does not check: batch file [0-9a-f]{64}: its records lead to root/);
  const root0 = path.basename(damaged!, '.ndjson');
  const seq = await (async () => {
    const s = await testServer(dir);
    try {
      for (const b of demo.batches) {
        const info = await s.client.get<{ batch: { root: string; index: number } }>(`/v1/batches/${b}`);
        if (info.batch.root === root0) return info.batch.index;
      }
    } finally {
      await s.close();
    }
    return -1;
  })();
  assert.is(p.seq, seq, 'the problem names the batch entry');
  fs.writeFileSync(damaged!, text);
  fs.renameSync(`${gone}.away`, gone!);
});

test('a server audit with a copy of the batch files (--batches DIR)', async () => {
  const copy = path.join(root, 'copy');
  fs.cpSync(path.join(dir, 'batches'), path.join(copy, 'batches'), { recursive: true });
  const s = await testServer(dir);
  try {
    const c = capture();
    const code = await auditCommand({ server: s.url, state: path.join(root, 's4.json'), batches: copy, json: true, logKey: demo.logKey, fromScratch: true }, c.out, () => {});
    assert.is(code, 0, c.text());
    assert.is(JSON.parse(c.lines[0]!).batchFiles.checked, 4);
    const e = capture();
    assert.is(await auditCommand({ server: s.url, state: path.join(root, 's5.json'), batches: path.join(root, 'none'), logKey: demo.logKey }, e.out, e.out), 2);
    assert.match(e.text(), /--batches: .* holds no batches\/ directory/);
  } finally {
    await s.close();
  }
});

test.after(() => fs.rmSync(root, { recursive: true, force: true }));
test.run();
