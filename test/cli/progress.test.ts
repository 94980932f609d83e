// The replay progress (issue 12 item 11): never "ETA NFs" (cli-progress's eta_formatted
// before a rate is known), the time left in words once it is, on a terminal and off it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PassThrough } from 'node:stream';
import { entriesProgress, etaSeconds, formatEta } from '../../src/cli/progress.ts';
import { setCliLanguage } from '../../src/cli/strings.ts';

test('time left: unknown before any progress, then h/min/s', () => {
  setCliLanguage('en');
  assert.is(etaSeconds(0, 100, 5), null);
  assert.is(etaSeconds(50, 100, 10), 10);
  assert.is(formatEta(null), 'time left: working it out');
  assert.is(formatEta(Infinity), 'time left: working it out');
  assert.is(formatEta(NaN), 'time left: working it out');
  assert.is(formatEta(42), '42 s left');
  assert.is(formatEta(185), '3 min 05 s left');
  assert.is(formatEta(3720), '1 h 02 min left');
  setCliLanguage('zh-CN');
  assert.is(formatEta(185), '还剩 3 分 05 秒');
  setCliLanguage('en');
});

test('the bar on a terminal never shows NF, NaN or Infinity; off a terminal, a line per tenth', async () => {
  const stream = new PassThrough();
  let drawn = '';
  stream.on('data', (b: Buffer) => (drawn += b.toString()));
  Object.assign(stream, { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  const p = entriesProgress(() => {}, true, stream);
  p.update(0, 1000);
  p.update(0, 1000);
  p.update(500, 1000);
  p.stop();
  await new Promise((r) => setImmediate(r));
  assert.match(drawn, /0\/1000 entries/);
  assert.match(drawn, /time left: working it out/);
  assert.not.match(drawn, /NF|NaN|Infinity/);
  const lines: string[] = [];
  const q = entriesProgress((l) => lines.push(l), false);
  for (let i = 0; i <= 100; i++) q.update(i, 100);
  q.stop();
  assert.is(lines.length, 11);
  assert.match(lines[10]!, /^replay: 100\/100 entries \(100%\), \d+ entries\/s$/);
});

test.run();
