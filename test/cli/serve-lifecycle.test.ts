// `pnpm cotc serve` as a person runs it (issue 12 item 11): the first start says where the
// new key files are and that they must be backed up, and never prints a key; Ctrl-C (SIGINT
// to the whole process group, as a terminal sends it, through pnpm and tsx) closes the
// server cleanly: exit 0, no "Command failed", and the store is released (an audit of the
// data directory opens it and finds it clean). `--json` gives the same facts as one line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSignerKey } from '@cotc/tlog';
import { tempDir } from '../helpers/server.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Served {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Starts `pnpm cotc serve …` in its own process group, waits for `ready`, sends SIGINT to the group, resolves at exit. */
function serveAndInterrupt(args: string[], ready: RegExp): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn('pnpm', ['cotc', 'serve', ...args], { cwd: ROOT, detached: true, env: { ...process.env, FORCE_COLOR: '0', LANG: 'C.UTF-8', LC_ALL: '' } });
    let out = '';
    let err = '';
    let sent = false;
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`serve did not get ready in 120 s\n${out}\n${err}`));
    }, 120_000);
    const check = () => {
      if (!sent && ready.test(out)) {
        sent = true;
        process.kill(-child.pid!, 'SIGINT');
      }
    };
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      check();
    });
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      check();
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // Let the pipes drain.
      setTimeout(() => resolve({ code, signal, out, err }), 200);
    });
  });
}

const dir = path.join(tempDir('cotc-serve-life-'), 'data');

test('first start: where the keys are, back them up, no key printed; Ctrl-C: a clean stop, exit 0', async () => {
  const r = await serveAndInterrupt(['--data', dir, '--port', '0'], /cotc: log key /);
  const all = r.out + r.err;
  assert.is(r.code, 0, all);
  assert.not.match(all, /Command failed|ELIFECYCLE/);
  assert.match(all, /cotc: SIGINT: stopping/);
  assert.match(all, /cotc: stopped cleanly/);
  assert.ok(all.includes(path.join(dir, 'log.key')), all);
  assert.ok(all.includes(path.join(dir, 'operator.key')), all);
  assert.match(all, /Back up both now/);
  for (const f of ['log.key', 'operator.key']) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8').trim();
    // The key material is the base64 at the end (PRIVATE+KEY+name+hexid+base64, 44 characters).
    const secret = text.slice(-40);
    assert.not.ok(all.includes(secret), `${f}'s secret part is printed`);
    assert.is(fs.statSync(path.join(dir, f)).mode & 0o777, 0o600);
  }
  // The store was closed: another process opens it.
  const audit = await new Promise<{ code: number; out: string }>((resolve) =>
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'audit', '--data', dir, '--state', path.join(dir, '..', 'state.json'), '--json'], { cwd: ROOT }, (e, stdout) =>
      resolve({ code: e ? Number((e as { code?: unknown }).code) : 0, out: stdout }),
    ),
  );
  assert.is(audit.code, 0, audit.out);
  assert.is(JSON.parse(audit.out).clean, true);
});

test('a second start is no first start; --json: one line with the same facts', async () => {
  // The --json line starts with {"url": (the server's own "listening" log line also holds "url":, and comes first).
  const r = await serveAndInterrupt(['--data', dir, '--port', '0', '--json'], /^\{"url":/m);
  assert.is(r.code, 0, r.out + r.err);
  assert.not.match(r.out + r.err, /Back up both now|Command failed/);
  const line = JSON.parse(r.out.split('\n').find((l) => l.startsWith('{"url"'))!);
  assert.is(line.firstStart, false);
  assert.equal(line.keyFiles, [path.join(dir, 'log.key'), path.join(dir, 'operator.key')]);
  assert.match(line.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.is(line.key, parseSignerKey(fs.readFileSync(path.join(dir, 'log.key'), 'utf8').trim()).verifierKey);
  assert.is(line.size, 1);
});

test.run();
