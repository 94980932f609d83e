// No receipt secret and no private key ever reaches the log's store, the server's logs,
// its metrics or any answer: the demo ledger (200 donations) is served with request logs
// captured at the most verbose level; the API is exercised, including clients that put a
// receipt secret where it does not belong (a query string, a path, a header, a posted
// body); then every receipt secret of the demo (all 200, derived from the seed, the five
// of demo-examples.json among them) and every private key (the seeds of log.key,
// operator.key and demo-keys/*.key, in hex, base64 and base64url, and the signer key
// strings) is searched for in: every file of the data directory (raw bytes) but
// demo-examples.json and the key files themselves, every record of the store (read back
// through LevelDB, decompressed), the captured logs, /metrics, and every answer. A gift batch
// (issue 15) is posted and served too, and its gifts' receipt secrets searched for the same way
// (the batch file under DIR/batches among the files).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { base64, fromBase64, generateKey, hex, parseSignerKey } from '@cotc/tlog';
import { giftDonorCommitment, parseIJsonBytes, signEvent } from '@cotc/ledger';
import { createDemo, demoGiftSecret, demoReceiptSecret, DEFAULT_SEED } from '../../src/demo/demo.ts';
import { startServer } from '../../src/server.ts';
import { LevelStore } from '../../src/storage/level.ts';
import { tempDir } from '../helpers/server.ts';

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)]));
}

function keyNeedles(signerKey: string): string[] {
  const k = parseSignerKey(signerKey);
  const body = signerKey.split('+').slice(4).join('+'); // base64(alg || seed), which may hold '+'
  assert.ok(body.length >= 44, 'key body');
  const b64 = base64(k.seed);
  return [signerKey, body, body.replace(/=+$/, ''), hex(k.seed), hex(k.seed).toUpperCase(), b64, b64.replace(/=+$/, ''), Buffer.from(k.seed).toString('base64url')];
}

test('no receipt secret or private key in the store, the logs, the metrics or any answer', async () => {
  const base = tempDir('cotc-secrets-');
  const dir = path.join(base, 'demo');
  try {
    await createDemo(dir, { donations: 200 });
    const examples = JSON.parse(fs.readFileSync(path.join(dir, 'demo-examples.json'), 'utf8')).examples as Array<{ id: string; receiptSecret: string }>;
    assert.is(examples.length, 5);
    // the demo's gift receipts (src/demo/gifts.ts): the examples' and a sample of every batch's
    const demoGifts = JSON.parse(fs.readFileSync(path.join(dir, 'demo-examples.json'), 'utf8')).gifts as Array<{ batch: string; index: number; receiptSecret: string }>;
    assert.is(demoGifts.length, 2);
    const demoGiftSecrets = [
      ...demoGifts.map((g) => ({ what: `receipt secret of gift ${g.index} of ${g.batch} (an example)`, n: g.receiptSecret })),
      ...demoGifts.flatMap((g) => Array.from({ length: 10 }, (_, k) => ({ what: `receipt secret of gift ${k * 37} of ${g.batch}`, n: demoGiftSecret(DEFAULT_SEED, g.batch, k * 37) }))),
    ];

    const lines: string[] = [];
    const capture = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const s = await startServer(dir, { port: 0, host: '127.0.0.1', logLevel: 'trace', logDestination: capture, verifyThreads: 0 });
    // Answers to requests that carried no secret (searched for secrets and keys), and to
    // those that did (an echo of the client's own input is no leak: searched for keys only).
    const answers: string[] = [];
    const echoes: string[] = [];
    const get = async (p: string, headers?: Record<string, string>, echo = false) => {
      const r = await fetch(s.url + p, { headers });
      const text = await r.text();
      const hs: string[] = [];
      r.headers.forEach((v, k) => hs.push(`${k}: ${v}`));
      (echo ? echoes : answers).push(`${r.status} ${p}\n${hs.join('\n')}\n${text}`);
      return { status: r.status, text };
    };
    let donationIds: string[] = [];
    let receipts: string[] = [];
    let giftSecrets: string[] = [];
    try {
      // The whole log, page by page: the donations (for their secrets) and every org and fund.
      const entries: Array<{ event: { type: string; id: string; body: Record<string, unknown> } }> = [];
      for (let start = 0; ; start += 1000) {
        const page = JSON.parse((await get(`/v1/entries?start=${start}&limit=1000`)).text).entries as Array<{ data: string }>;
        for (const e of page) entries.push(parseIJsonBytes(fromBase64(e.data)) as never);
        if (page.length < 1000) break;
      }
      donationIds = entries.filter((e) => e.event.type === 'donation').map((e) => e.event.id);
      assert.is(donationIds.length, 200);
      receipts = donationIds.map((id) => demoReceiptSecret(DEFAULT_SEED, id));
      for (const x of examples) assert.ok(receipts.includes(x.receiptSecret), `example ${x.id}: its secret is the seed's`);
      const orgs = new Set(entries.filter((e) => e.event.type === 'org.register').map((e) => e.event.body.org as string));
      const funds = new Set(entries.filter((e) => e.event.type === 'fund.open').map((e) => e.event.body.fund as string));

      for (const p of ['/healthz', '/checkpoint', '/v1/log', '/v1/donations?limit=100', '/openapi.json', '/metrics', '/v1/proofs/consistency?from=1']) {
        assert.is((await get(p)).status, 200, p);
      }
      for (const o of orgs) assert.is((await get(`/v1/orgs/${o}`)).status, 200);
      for (const f of funds) assert.is((await get(`/v1/funds/${f}`)).status, 200);
      for (const id of donationIds.slice(0, 40)) {
        assert.is((await get(`/v1/donations/${id}/trace`)).status, 200);
        assert.is((await get(`/v1/events/${id}`)).status, 200);
      }
      // Clients that put a secret where it does not belong.
      for (const x of examples) {
        await get(`/v1/donations/${x.id}/trace?receipt=${encodeURIComponent(x.receiptSecret)}`, undefined, true);
        await get(`/v1/events/${encodeURIComponent(x.receiptSecret)}`, undefined, true);
        await get(`/no/such/${encodeURIComponent(x.receiptSecret)}`, undefined, true);
        await get('/healthz', { 'x-request-id': x.receiptSecret, 'user-agent': x.receiptSecret, referer: `http://x/?r=${x.receiptSecret}` }, true);
        const r = await fetch(s.url + '/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ receipt: x.receiptSecret }) });
        echoes.push(await r.text());
        assert.is(r.status, 400);
      }
      // Gift batches (issue 15): the batch file, the log and the answers hold donor
      // commitments, never the gifts' receipt secrets.
      const opKey = fs.readFileSync(path.join(dir, 'operator.key'), 'utf8').trim();
      const plat = generateKey('sec-platform');
      const T = new Date().toISOString();
      const sign = (org: string, key: string, type: string, id: string, body: unknown) => signEvent({ v: 1, type, id, org, time: T, body } as never, key);
      const postJson = async (p: string, body: unknown) => {
        const r = await fetch(s.url + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const text = await r.text();
        answers.push(text);
        assert.ok(r.status < 300, `${p}: ${r.status} ${text.slice(0, 200)}`);
        return JSON.parse(text);
      };
      await postJson('/v1/events', [
        sign('operator', opKey, 'org.register', 'sec-reg-plat', { org: 'sec-platform', name: 'Platform', roles: ['platform'], keys: [plat.verifierKey] }),
      ]);
      await postJson('/v1/events', sign('sec-platform', plat.signerKey, 'fund.open', 'sec-open', { fund: 'sec-steps', name: 'Steps', currency: 'CNY', restricted: false, purpose: 'meals' }));
      giftSecrets = Array.from({ length: 20 }, (_, i) => `gift-receipt-secret-${i}-${hex(globalThis.crypto.getRandomValues(new Uint8Array(8)))}`);
      const gifts = giftSecrets.map((sec, i) => ({ amount: String(1 + i), channel: 'steps-for-charity', donor: giftDonorCommitment('sec-batch', i, sec), measure: `steps:${1000 * (i + 1)}` }));
      const stored = await postJson('/v1/batches', { gifts });
      await postJson('/v1/events', sign('sec-platform', plat.signerKey, 'gift.batch', 'sec-batch', { fund: 'sec-steps', amount: { currency: 'CNY', value: stored.total }, count: stored.count, root: stored.root }));
      for (let i = 0; i < gifts.length; i++) {
        assert.is((await get(`/v1/batches/sec-batch/gifts/${i}`)).status, 200);
        assert.is((await get(`/v1/batches/sec-batch/gifts/${gifts[i]!.donor}`)).status, 200);
      }
      assert.is((await get('/v1/donations/sec-batch/trace')).status, 200);
      assert.ok(fs.existsSync(path.join(dir, 'batches', stored.root.slice(0, 2), `${stored.root}.ndjson`)), 'the batch file is searched too');
      await get('/'); // the donor page, where the server mounts it
      // /metrics last: it has seen everything above.
      assert.is((await get('/metrics')).status, 200);
    } finally {
      await s.close();
    }
    const logs = lines.join('');
    const logLines = logs.split('\n').filter(Boolean).length;
    assert.ok(logLines > 120, `request logs captured: ${logLines} lines`);
    assert.match(logs, /"route":"\/v1\/donations\/:id\/trace"/);

    // The store, record by record (decompressed).
    const store = new LevelStore(path.join(dir, 'store'));
    await store.open();
    const records: string[] = [];
    for await (const [k, v] of store.db.iterator()) records.push(k + '\0' + Buffer.from(v).toString('latin1'));
    await store.close();
    const storeText = records.join('\n');
    assert.ok(records.length > 200);

    // The needles.
    const keyFiles = ['log.key', 'operator.key', ...fs.readdirSync(path.join(dir, 'demo-keys')).map((f) => path.join('demo-keys', f))];
    assert.ok(keyFiles.length >= 8, `key files: ${keyFiles.join(' ')}`);
    for (const f of keyFiles) assert.is((fs.statSync(path.join(dir, f)).mode & 0o777).toString(8), '600', `${f} mode`);
    assert.is((fs.statSync(path.join(dir, 'demo-keys')).mode & 0o777).toString(8), '700');
    const keys = keyFiles.flatMap((f) => keyNeedles(fs.readFileSync(path.join(dir, f), 'utf8').trim()).map((n, i) => ({ what: `private key of ${f} (form ${i}: ${n.slice(0, 6)}…)`, n })));
    const secrets = [...receipts.map((n, i) => ({ what: `receipt secret of ${donationIds[i]}`, n })), ...giftSecrets.map((n, i) => ({ what: `receipt secret of gift ${i} of sec-batch`, n })), ...demoGiftSecrets];
    assert.is(giftSecrets.length, 20);
    const needles = [...secrets, ...keys];

    const storeFiles = walk(dir).filter((f) => {
      const rel = path.relative(dir, f);
      return rel !== 'demo-examples.json' && !rel.startsWith('demo-keys' + path.sep) && rel !== 'log.key' && rel !== 'operator.key';
    });
    assert.ok(storeFiles.some((f) => /\.(ldb|log)$/.test(f)));
    const raw = storeFiles.map((f) => ({ f, b: fs.readFileSync(f) }));
    const found: string[] = [];
    for (const { what, n } of needles) {
      for (const { f, b } of raw) if (b.includes(Buffer.from(n, 'utf8'))) found.push(`${what} in ${path.relative(dir, f)}`);
      if (storeText.includes(n)) found.push(`${what} in a store record`);
      if (logs.includes(n)) found.push(`${what} in the server's logs`);
      if (answers.some((a) => a.includes(n))) found.push(`${what} in an answer`);
      if (what.startsWith('private key') && echoes.some((a) => a.includes(n))) found.push(`${what} in an answer`);
    }
    // Receipt secrets also in the key files' directory? No: but the key files must hold no secret either.
    for (const f of ['log.key', 'operator.key']) for (const { what, n } of secrets) if (fs.readFileSync(path.join(dir, f), 'utf8').includes(n)) found.push(`${what} in ${f}`);
    assert.equal(found, [], found.slice(0, 10).join('\n'));
    // And the search would have found them: the demo's examples file does hold its 5 secrets.
    const ex = fs.readFileSync(path.join(dir, 'demo-examples.json'), 'utf8');
    assert.ok(examples.every((x) => ex.includes(x.receiptSecret)));
    assert.ok(demoGifts.every((g) => ex.includes(g.receiptSecret)));
    const opKeyNeedles = keyNeedles(fs.readFileSync(path.join(dir, 'operator.key'), 'utf8').trim());
    assert.ok(fs.readFileSync(path.join(dir, 'operator.key'), 'utf8').includes(opKeyNeedles[1]!));
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test.run();
