// Replays FiloSottile/litetlog's litewitness add-checkpoint transcript (a data vector,
// test/vectors/litewitness-add-checkpoint.hurl) against `cotc witness`'s server, and the
// status codes of C2SP tlog-witness v1.0.0 §add-checkpoint one by one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  MemoryTree, base64, cosignatureTimestamp, leafHash, cosignatureVerifier, formatCheckpoint, generateKey, openNoteWith, signNote,
} from '../../packages/tlog/src/index.ts';
import { startWitness } from '../../src/witness/server.ts';

const LOG_KEY = 'sigsum.org/v1/tree/4d6d8825a6bb689d459628312889dfbb0bcd41b5211d9e1ce768b0ff0309e562+5202289b+Af/cLU2Y5BJNP+r3iMDC+av9eWCD0fBJVDfzAux5zxAP';

interface Req { body: string; status: number; asserts: string }
function parseHurl(text: string): Req[] {
  const out: Req[] = [];
  const re = /^POST \S+\n```\n([\s\S]*?)```\nHTTP (\d+)\n\[Asserts\]\n(.*)$/gm;
  for (const m of text.matchAll(re)) out.push({ body: m[1]!, status: Number(m[2]), asserts: m[3]! });
  return out;
}

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));
const post = (url: string, body: string) => fetch(`${url}/add-checkpoint`, { method: 'POST', body });

test('litewitness transcript: 200, 403, 404 (litewitness: 403), 422, 422, 200, 409 3, 200, 409 5', async () => {
  const reqs = parseHurl(fs.readFileSync(new URL('../vectors/litewitness-add-checkpoint.hurl', import.meta.url), 'utf8'));
  assert.is(reqs.length, 9);
  const dir = tmp('cotc-witness-');
  const w = await startWitness({ dir, name: 'example.com/witness', logs: [LOG_KEY], port: 0 });
  try {
    const want = [200, 403, 404, 422, 422, 200, 409, 200, 409];
    const got: number[] = [];
    for (const [i, r] of reqs.entries()) {
      const res = await post(w.url, r.body);
      const body = await res.text();
      got.push(res.status);
      if (res.status === 200) {
        // Only the witness's own signature line(s); they verify as cosignature/v1 over the checkpoint.
        assert.ok(body.startsWith('\u2014 example.com/witness '), `request ${i + 1}: ${body}`);
        assert.ok(r.asserts.includes('\u2014 example.com/witness'));
        const note = r.body.slice(r.body.indexOf('\n\n') + 2);
        const n = openNoteWith(note + body, [cosignatureVerifier(w.witness.verifierKey)]);
        assert.equal(n.verified, ['example.com/witness']);
        const t = cosignatureTimestamp(n.signatures[0]!.sig)!;
        assert.ok(Math.abs(t - Date.now() / 1000) < 60);
      }
      if (res.status === 409) {
        assert.is(res.headers.get('content-type'), 'text/x.tlog.size');
        assert.is(JSON.stringify(body), r.asserts.replace(/^body == /, ''), `request ${i + 1}`);
      }
    }
    assert.equal(got, want);
    assert.equal(w.witness.logs(), [{ origin: LOG_KEY.split('+')[0], size: 5 }]);
    // GET /v1/witness: name and cosignature verifier key.
    const info = await (await fetch(`${w.url}/v1/witness`)).json();
    assert.equal(info, { name: 'example.com/witness', key: w.witness.verifierKey });
    assert.is(cosignatureVerifier(info.key).name, 'example.com/witness');
    // witness.key: mode 0600.
    assert.is(fs.statSync(path.join(dir, 'witness.key')).mode & 0o777, 0o600);
  } finally {
    await w.close();
  }
  // Restarted on the same data directory: same key, same memory.
  const w2 = await startWitness({ dir, name: 'example.com/witness', logs: [LOG_KEY], port: 0 });
  try {
    assert.equal(w2.witness.logs()[0]!.size, 5);
    const again = reqs[8]!; // old 0 → 409 5
    const res = await post(w2.url, again.body);
    assert.is(res.status, 409);
    assert.is(await res.text(), '5\n');
  } finally {
    await w2.close();
  }
  // Another name on that key file: refused (the name is part of the key id).
  const refused = await startWitness({ dir, name: 'example.com/other', logs: [LOG_KEY], port: 0 }).then(() => null, (e: Error) => e.message);
  assert.match(String(refused), /not "example.com\/other"/);
});

// A log of our own, to reach every branch of §add-checkpoint.
async function makeLog(n: number) {
  const k = generateKey('log.example/w');
  const tree = new MemoryTree();
  const cps: string[] = [''];
  const proofs = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    await tree.append(leafHash(new TextEncoder().encode(`entry ${i}`)));
    cps.push(signNote(formatCheckpoint({ origin: 'log.example/w', size: i + 1, root: await tree.root() }), k.signerKey));
  }
  for (let a = 1; a <= n; a++) {
    for (let b = a; b <= n; b++) proofs.set(`${a}-${b}`, (await tree.consistencyProof(a, b)).map((h) => base64(h) + '\n').join(''));
  }
  return { k, tree, cps, proof: (a: number, b: number) => proofs.get(`${a}-${b}`)!, rootAt: (s: number) => tree.root(s) };
}

test('every answer of §add-checkpoint', async () => {
  const { k, cps, proof, rootAt } = await makeLog(8);
  const w = await startWitness({ dir: tmp('cotc-witness-'), name: 'w.example/1', logs: [k.verifierKey], port: 0, rateLimit: false });
  const req = (old: number, p: string, note: string) => post(w.url, `old ${old}\n${p}\n${note}`);
  const status = async (r: Promise<Response>) => (await r).status;
  try {
    assert.is(await status(req(0, proof(1, 3), cps[3]!)), 422, 'a proof with old 0');
    assert.is(await status(req(4, '', cps[3]!)), 400, 'old above the size');
    assert.is(await status(req(0, '', cps[3]!.replace('log.example/w\n', 'log.example/v\n'))), 404, 'unknown origin');
    const other = generateKey('log.example/w');
    const foreign = signNote(formatCheckpoint({ origin: 'log.example/w', size: 3, root: await rootAt(3) }), other.signerKey);
    assert.is(await status(req(0, '', foreign)), 403, 'signed by another key of that name');
    const lines = cps[3]!.split('\n');
    const sigLine = lines[lines.length - 2]!;
    const flipped = cps[3]!.replace(sigLine, sigLine.slice(0, -6) + (sigLine.at(-6) === 'A' ? 'B' : 'A') + sigLine.slice(-5));
    assert.is(await status(req(0, '', flipped)), 403, 'a known key\'s bad signature');
    for (const bad of ['old 01\n\n' + cps[3], 'old 0\n' + cps[3], 'old -1\n\n' + cps[3], 'old 0\nnot base64\n\n' + cps[3],
      'old 0\nAAAA\n\n' + cps[3], `old 1\n${'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n'.repeat(64)}\n${cps[3]}`, 'old 0\n\nlog.example/w\nx\n']) {
      assert.is(await status(post(w.url, bad)), 400, JSON.stringify(bad.slice(0, 40)));
    }
    assert.is(await status(req(0, '', cps[3]!)), 200);
    assert.is(await status(req(3, '', cps[3]!)), 200, 'the same checkpoint again: a fresh cosignature');
    const forkRoot = signNote(formatCheckpoint({ origin: 'log.example/w', size: 3, root: new Uint8Array(32).fill(9) }), k.signerKey);
    const r = await req(3, '', forkRoot);
    assert.is(r.status, 409, 'same size, another root (§add-checkpoint: 409)');
    assert.is(await r.text(), '3\n');
    assert.is(await status(req(3, proof(3, 6).replace(/^./, (c) => (c === 'A' ? 'B' : 'A')), cps[6]!)), 422, 'bad proof');
    assert.is(await status(req(3, '', cps[6]!)), 422, 'missing proof');
    assert.is(await status(req(3, proof(3, 6), cps[6]!)), 200);
    assert.is(await status(req(6, '', cps[5]!)), 400, 'rollback: old above the size');
    assert.is(await status(req(5, proof(5, 8), cps[8]!)), 409);
    assert.is(await status(post(w.url, 'x'.repeat(70_000))), 413);
    assert.is((await fetch(`${w.url}/add-checkpoint`)).status, 404);
  } finally {
    await w.close();
  }
});

test('rate limited like the log API', async () => {
  const { k, cps } = await makeLog(1);
  const w = await startWitness({ dir: tmp('cotc-witness-'), name: 'w.example/2', logs: [k.verifierKey], port: 0, rateLimit: { requestsPerSecond: 1, requestBurst: 2 } });
  try {
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await post(w.url, `old 0\n\n${cps[1]}`)).status);
    assert.equal(codes.slice(0, 1), [200]);
    assert.ok(codes.includes(429), codes.join());
  } finally {
    await w.close();
  }
});

test.run();
