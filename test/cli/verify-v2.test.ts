// `cotc verify` with trace bundles of wire format 2 (docs/wire-format-2.md §11): the real CLI
// against a server answering as a v2 server will (its key, and traces from a v2 log built from
// the ledger's and the map's primitives, test/helpers/v2-story.ts). A honest bundle verifies
// (exit 0) with its path, the receipt and the operator-installed key said; a bundle with a hop
// left out (its trace rebuilt to match) fails, exit 1, naming incomplete_trace; so does one
// without a disbursement's confirmation (missing_confirmation).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/server.ts';
import { v2Story } from '../helpers/v2-story.ts';
import { decodeEntry, dropEntry } from '../helpers/v2-tamper.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const stateHome = tempDir('cotc-verify-v2-state-');
interface Run {
  code: number;
  out: string;
  err: string;
}
function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env: { ...process.env, XDG_STATE_HOME: stateHome, FORCE_COLOR: '0', LC_ALL: 'C' }, timeout: 180_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
      resolve({ code, out: stdout, err: stderr });
    });
    child.stdin!.end();
  });
}
const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.out}\n--- stderr\n${r.err}`;

let url = '';
let server: http.Server | undefined;

test.before(async () => {
  const story = await v2Story({ addedBy: true });
  const answers = new Map<string, string>();
  answers.set('/v1/log', JSON.stringify({ origin: story.log.origin, size: story.log.size, key: story.log.logKey }));
  answers.set('/checkpoint', await story.log.checkpoint());
  answers.set('/v1/donations/d1/trace', JSON.stringify(await story.log.bundle('d1')));
  const b = await story.log.bundle('d1');
  const at = (id: string) => b.entries.find((e) => decodeEntry(e).event.id === id)!.index;
  answers.set('/v1/donations/d1-hidden/trace', JSON.stringify({ ...dropEntry(b, at('t1')) }));
  answers.set('/v1/donations/d1-unconfirmed/trace', JSON.stringify({ ...dropEntry(b, at('pay1-conf-auditor')) }));
  server = http.createServer((req, res) => {
    const a = answers.get((req.url ?? '').split('?')[0]!);
    if (a === undefined) res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'not_found', message: 'no such thing' } }));
    else res.writeHead(200, { 'content-type': a.startsWith('{') ? 'application/json' : 'text/plain; charset=utf-8' }).end(a);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.after(async () => {
  await new Promise((r) => server?.close(r));
});

test('a v2 bundle verifies: exit 0, the path, the receipt, the operator-installed key', async () => {
  const r = await cli(['verify', 'd1', '--server', url, '--state', path.join(stateHome, 'a.json'), '--receipt', 'secret-d1']);
  assert.is(r.code, 0, show(r));
  assert.match(r.out, /VERIFIED: donation d1/);
  assert.match(r.out, /transfer t1/);
  assert.match(r.out, /confirmation pay1-conf-auditor/);
  assert.match(r.out, /WARNING: 2 events signed with a key the log operator installed/);
});

test('a v2 bundle with a hop or a confirmation left out fails: exit 1, with its code', async () => {
  const hidden = await cli(['verify', 'd1-hidden', '--server', url, '--state', path.join(stateHome, 'b.json')]);
  assert.is(hidden.code, 1, show(hidden));
  assert.match(hidden.out + hidden.err, /incomplete_trace/);
  const unconfirmed = await cli(['verify', 'd1-unconfirmed', '--server', url, '--state', path.join(stateHome, 'c.json')]);
  assert.is(unconfirmed.code, 1, show(unconfirmed));
  assert.match(unconfirmed.out + unconfirmed.err, /missing_confirmation/);
});

test.run();
