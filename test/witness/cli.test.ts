// `cotc witness` as a command (first start creates witness.key 0600 and prints the key;
// bad flags exit 2), and the witness policy flags verify and audit share.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cosignatureVerifier, generateCosignerKey, generateKey } from '@cotc/tlog';
import { witnessPolicyFromFlags } from '../../src/witness/cli-policy.ts';
import { CliError } from '../../src/cli/common.ts';
import { tempDir } from '../helpers/server.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const main = path.join(root, 'src', 'cli', 'main.ts');

test('cotc witness: starts, creates witness.key (0600), prints its key, serves GET /v1/witness', async () => {
  const dir = path.join(tempDir('cotc-wcli-'), 'w');
  const log = generateKey('log.example/cli').verifierKey;
  const p = spawn(process.execPath, ['--import', 'tsx', main, 'witness', '--data', dir, '--name', 'cli.example/w', '--log', log, '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const out = await new Promise<string>((resolve, reject) => {
      let s = '';
      const timer = setTimeout(() => reject(new Error(`no key line in 20 s: ${s}`)), 20_000);
      p.stdout!.on('data', (b: Buffer) => {
        s += b.toString();
        if (/witnessing /.test(s)) {
          clearTimeout(timer);
          resolve(s);
        }
      });
      p.once('exit', (c) => reject(new Error(`exited ${c}: ${s}`)));
    });
    const key = /witness key (\S+)/.exec(out)![1]!;
    const url = /at (http:\/\/\S+) /.exec(out)![1]!;
    assert.is(cosignatureVerifier(key).name, 'cli.example/w');
    assert.equal(await (await fetch(`${url}/v1/witness`)).json(), { name: 'cli.example/w', key });
    assert.is(fs.statSync(path.join(dir, 'witness.key')).mode & 0o777, 0o600);
    assert.not.ok(out.includes('PRIVATE'), 'the signer key is never printed');
  } finally {
    p.kill('SIGTERM');
  }
  const bad = spawnSync(process.execPath, ['--import', 'tsx', main, 'witness', '--data', dir, '--name', 'cli.example/w', '--log', 'nope'], { cwd: root, encoding: 'utf8' });
  assert.is(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /--log\[0\]/);
});

test('policy flags: --witness with --quorum, --witness-policy FILE, and their errors', () => {
  const k = [generateCosignerKey('a.example').verifierKey, generateCosignerKey('b.example').verifierKey];
  assert.is(witnessPolicyFromFlags({}), null);
  assert.equal(witnessPolicyFromFlags({ witness: k }), { witnesses: k, quorum: 2 });
  assert.equal(witnessPolicyFromFlags({ witness: k, quorum: '1' }), { witnesses: k, quorum: 1 });
  const file = path.join(tempDir('cotc-wpol-'), 'policy.json');
  fs.writeFileSync(file, JSON.stringify({ quorum: 1, witnesses: k }));
  assert.equal(witnessPolicyFromFlags({ witnessPolicy: file }), { witnesses: k, quorum: 1 });
  const usage = (re: RegExp) => (e: unknown) => e instanceof CliError && e.exitCode === 2 && re.test(e.message);
  assert.throws(() => witnessPolicyFromFlags({ quorum: '1' }), usage(/--quorum: needs --witness/));
  assert.throws(() => witnessPolicyFromFlags({ witness: k, quorum: '3' }), usage(/--witness\/--quorum/));
  assert.throws(() => witnessPolicyFromFlags({ witness: k, quorum: 'x' }), usage(/--quorum/));
  assert.throws(() => witnessPolicyFromFlags({ witness: ['bad'] }), usage(/--witness/));
  assert.throws(() => witnessPolicyFromFlags({ witnessPolicy: file, witness: k }), usage(/not both/));
  assert.throws(() => witnessPolicyFromFlags({ witnessPolicy: file + '.missing' }), usage(/cannot read/));
});

test.run();
