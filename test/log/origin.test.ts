// A log's name (issue 9): every log used to be `cotc.local/ledger`, so two logs could not be
// told apart by the name that witnesses, donors' remembered trust and auditors' state files
// key them by. A new log is named at its first start (`serve --origin NAME`, default
// `<hostname>/cotc`), keeps that name, and a different --origin on an existing data
// directory is a usage error naming both.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isValidName, parseSignerKey } from '@cotc/tlog';
import { defaultOrigin, openDataDir, originProblem, OriginError } from '../../src/log/datadir.ts';
import { openLog } from '../../src/server.ts';
import { tempDir } from '../helpers/server.ts';

const root = tempDir('cotc-origin-');
test.after(() => fs.rmSync(root, { recursive: true, force: true }));

test('attack on identity: two new logs no longer share the fixed name cotc.local/ledger; the default is <hostname>/cotc', () => {
  const a = openDataDir(path.join(root, 'a'));
  assert.is(a.origin, defaultOrigin());
  assert.is.not(a.origin, 'cotc.local/ledger');
  assert.is(a.origin, `${os.hostname().toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[.-]+|[.-]+$/g, '') || 'localhost'}/cotc`);
  assert.ok(isValidName(a.origin));
  assert.is(parseSignerKey(a.logKey).name, a.origin, 'the origin is the log key\'s name');
});

test('the default origin is made a valid, lowercase signed-note name from any host name', () => {
  assert.is(defaultOrigin('cotc', 'vm'), 'vm/cotc');
  assert.is(defaultOrigin('cotc', 'Ledger-1.Example.ORG'), 'ledger-1.example.org/cotc');
  assert.is(defaultOrigin('cotc', 'my host+name'), 'my-host-name/cotc');
  assert.is(defaultOrigin('cotc', '.-'), 'localhost/cotc');
  assert.is(defaultOrigin('cotc', ''), 'localhost/cotc');
  assert.is(defaultOrigin('cotc-demo', 'vm'), 'vm/cotc-demo');
  assert.ok(defaultOrigin('cotc', 'x'.repeat(300)).length <= 255);
  for (const h of ['\u202eevil', 'a\tb', 'ÄÖÜ.example', 'x'.repeat(300) + '.']) assert.is(originProblem(defaultOrigin('cotc', h)), null, h);
});

test('serve --origin NAME names a new log; the name is kept and checked on every later start', async () => {
  const dir = path.join(root, 'named');
  const log = await openLog(dir, { origin: 'ledger.example.org/cotc', verifyThreads: 0 });
  assert.is(log.origin, 'ledger.example.org/cotc');
  await log.close();
  // Later starts: no --origin, or the same one, open it.
  assert.is(openDataDir(dir).origin, 'ledger.example.org/cotc');
  assert.is(openDataDir(dir, { origin: 'ledger.example.org/cotc' }).origin, 'ledger.example.org/cotc');
  // A different one is refused, naming both, before anything is touched.
  const before = fs.readFileSync(path.join(dir, 'log.key'), 'utf8');
  try {
    openDataDir(dir, { origin: 'other.example.org/cotc' });
    assert.unreachable('a second name for an existing log was accepted');
  } catch (e) {
    assert.instance(e, OriginError);
    assert.match((e as Error).message, /holds the log "ledger\.example\.org\/cotc", not "other\.example\.org\/cotc"/);
  }
  assert.is(fs.readFileSync(path.join(dir, 'log.key'), 'utf8'), before);
});

test('an origin that is not a lowercase schema-less URL is refused, naming --origin', () => {
  for (const bad of ['', 'https://ledger.example.org/log', 'Ledger.example.org', 'a b', 'a+b', 'x//y', 'x/', '/x', 'ledger\u202e.org', 'x'.repeat(256)]) {
    assert.ok(originProblem(bad), JSON.stringify(bad));
    assert.throws(() => openDataDir(path.join(root, 'bad'), { origin: bad }), (e: Error) => e instanceof OriginError && /--origin/.test(e.message));
  }
  assert.not.ok(fs.existsSync(path.join(root, 'bad')), 'nothing was created for a bad name');
  for (const good of ['cotc.local/ledger', 'ledger.example.org/cotc', 'localhost:8080/log', 'a']) assert.is(originProblem(good), null, good);
});

/** Runs the CLI; resolves on exit, or once `until` matches stdout (then stops it). */
function cli(args: string[], until?: RegExp): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('src', 'cli', 'main.ts'), ...args], {
      cwd: path.resolve(import.meta.dirname, '..', '..'),
      env: { ...process.env, NODE_ENV: 'test', COTC_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      if (until && until.test(out)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

test('cotc serve --origin: first start names the log; a different --origin later is a usage error (exit 2) naming both', async () => {
  const dir = path.join(root, 'cli');
  const first = await cli(['serve', '--data', dir, '--port', '0', '--origin', 'first.example.org/cotc'], /cotc: serving/);
  assert.match(first.out, /cotc: serving first\.example\.org\/cotc \(size 1\)/, first.out + first.err);
  const again = await cli(['serve', '--data', dir, '--port', '0', '--origin', 'second.example.org/cotc']);
  assert.is(again.code, 2, again.out + again.err);
  assert.match(again.err, /first\.example\.org\/cotc/);
  assert.match(again.err, /second\.example\.org\/cotc/);
  assert.not.match(again.out, /serving/);
  const bad = await cli(['serve', '--data', path.join(root, 'cli-bad'), '--port', '0', '--origin', 'Has Spaces']);
  assert.is(bad.code, 2);
  assert.match(bad.err, /--origin: "Has Spaces" is not a log name/);
  assert.not.ok(fs.existsSync(path.join(root, 'cli-bad')));
});

test.run();
