// The posting commands, run as the real CLI (`pnpm --silent cotc …`) against a real server:
// keygen, org register, the charities' shortcuts, post (a file, an array, stdin), and the
// exit codes and messages for bad input (2) and rejected events (1).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKey } from '@cotc/tlog';
import { donorCommitment } from '@cotc/ledger';
import { tempDir, testServer } from '../helpers/server.ts';
import { CliError, formatAmount, parseAmount } from '../../src/cli/common.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const stateHome = tempDir('cotc-cli-state-');

interface Run {
  code: number;
  out: string;
  err: string;
}

// Most runs call node with tsx's loader on the CLI's entry point, which is what
// `pnpm cotc` runs, minus pnpm's and tsx's own start-up (about a second each on a busy
// machine); the keygen test goes through `pnpm --silent cotc` itself.
function cli(args: string[], input?: string, viaPnpm = false, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const [cmd, pre] = viaPnpm ? ['pnpm', ['--silent', 'cotc']] : [process.execPath, ['--import', 'tsx', 'src/cli/main.ts']];
    const child = execFile(
      cmd,
      [...pre, ...args],
      { cwd: ROOT, env: { ...process.env, XDG_STATE_HOME: stateHome, FORCE_COLOR: '0', ...env }, timeout: 180_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
        resolve({ code, out: stdout, err: stderr });
      },
    );
    child.stdin!.end(input ?? '');
  });
}

const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.out}\n--- stderr\n${r.err}`;

type Server = Awaited<ReturnType<typeof testServer>>;
let server: Server;
const verifierKeys: Record<string, string> = {};
const pub = (name: string) => verifierKeys[name]!;
const work = tempDir('cotc-cli-work-');
const file = (name: string) => path.join(work, name);

test('amounts: minor units or exactly the currency\'s decimals, nothing else', () => {
  const ok: Array<[string, string, string]> = [
    ['1234', 'CNY', '1234'],
    ['12.34', 'CNY', '1234'],
    ['0.05', 'USD', '5'],
    ['1000', 'JPY', '1000'],
    ['1.234', 'KWD', '1234'],
    ['9223372036854775807', 'CNY', '9223372036854775807'],
  ];
  for (const [v, c, minor] of ok) assert.equal(parseAmount(v, c), { currency: c, value: minor }, v);
  const bad: Array<[string, string, RegExp]> = [
    ['12.3', 'CNY', /has 1 fraction digit, CNY has 2/],
    ['12.345', 'CNY', /has 3 fraction digits, CNY has 2/],
    ['12.00', 'JPY', /JPY has no minor unit/],
    ['0', 'CNY', /not an amount/],
    ['0.00', 'CNY', /more than zero/],
    ['-5', 'CNY', /not an amount/],
    ['012', 'CNY', /not an amount/],
    ['1e3', 'CNY', /not an amount/],
    ['1,234.00', 'CNY', /not an amount/],
    [' 12.34', 'CNY', /not an amount/],
    ['9223372036854775808', 'CNY', /more than 2\^63-1/],
  ];
  for (const [v, c, re] of bad) {
    try {
      parseAmount(v, c);
      assert.unreachable(v);
    } catch (e) {
      assert.instance(e, CliError, v);
      assert.is((e as CliError).exitCode, 2);
      assert.match((e as Error).message, /^--amount: /);
      assert.match((e as Error).message, re, v);
    }
  }
  assert.is(formatAmount({ currency: 'CNY', value: '5' }), 'CNY 0.05');
  assert.is(formatAmount({ currency: 'CNY', value: '123456' }), 'CNY 1234.56');
  assert.is(formatAmount({ currency: 'JPY', value: '1000' }), 'JPY 1000');
});

test('setup: a server', async () => {
  server = await testServer();
  assert.ok(fs.existsSync(path.join(server.dir, 'operator.key')));
});

test('keygen writes the signer key 0600, prints only the verifier key, and never overwrites', async () => {
  fs.writeFileSync(file('taken.key'), 'not mine\n', { mode: 0o600 });
  const [a, b, again] = await Promise.all([
    cli(['keygen', '--name', 'charity-a', '--out', file('charity-a.key')], undefined, true),
    cli(['keygen', '--name', 'payee-b', '--out', file('payee-b.key')]),
    cli(['keygen', '--name', 'charity-a', '--out', file('taken.key')]),
  ]);
  for (const [r, name] of [[a, 'charity-a'], [b, 'payee-b']] as const) {
    assert.is(r.code, 0, show(r));
    const key = fs.readFileSync(file(`${name}.key`), 'utf8').trim();
    assert.is((fs.statSync(file(`${name}.key`)).mode & 0o777).toString(8), '600');
    assert.match(key, new RegExp(`^PRIVATE\\+KEY\\+${name}\\+`));
    assert.match(r.out.trim(), new RegExp(`^${name}\\+[0-9a-f]{8}\\+[A-Za-z0-9+/]{44}$`));
    assert.not.ok(r.out.includes('PRIVATE') || r.err.includes('PRIVATE'), 'the private key is never printed');
    assert.not.ok(r.out.includes(key.split('+').slice(4).join('+')), 'the seed is never printed');
    verifierKeys[name] = r.out.trim();
  }
  assert.is(again.code, 2, show(again));
  assert.match(again.err, /--out: .*taken\.key already exists; refusing to overwrite/);
  assert.is(fs.readFileSync(file('taken.key'), 'utf8'), 'not mine\n');
});

test('bad input: exit 2 with a message naming the option', async () => {
  const open = generateKey('charity-a');
  fs.writeFileSync(file('open.key'), open.signerKey + '\n', { mode: 0o644 });
  fs.chmodSync(file('open.key'), 0o644);
  const S = ['--server', server.url];
  const [role, missingKey, mode, amount, currency, unknownOpt, badUrl] = await Promise.all([
    cli(['org', 'register', '--data', server.dir, '--id', 'x-org', '--name', 'X', '--role', 'charity,boss', '--key', open.verifierKey, ...S]),
    cli(['fund', ...S, '--id', 'f', '--name', 'F', '--currency', 'CNY', '--purpose', 'p']),
    cli(['fund', '--key', file('open.key'), ...S, '--id', 'f', '--name', 'F', '--currency', 'CNY', '--purpose', 'p']),
    cli(['donate', '--key', file('charity-a.key'), ...S, '--fund', 'f', '--amount', '12.3', '--currency', 'CNY']),
    cli(['donate', '--key', file('charity-a.key'), ...S, '--fund', 'f', '--amount', '12.30', '--currency', 'cny']),
    cli(['transfer', '--key', file('charity-a.key'), ...S, '--from', 'a', '--to', 'b', '--amount', '1', '--currency', 'CNY', '--memo', 'm', '--bogus']),
    cli(['reverse', '--key', file('charity-a.key'), '--server', 'ftp://example', '--event', 'e', '--reason', 'r']),
  ]);
  const expect: Array<[Run, RegExp]> = [
    [role, /--role: unknown role "boss"/],
    [missingKey, /required option '--key <file>' not specified/],
    [mode, /--key: refused: .*open\.key: key file mode is 644; it must be 600/],
    [amount, /--amount: "12\.3" has 1 fraction digit, CNY has 2/],
    [currency, /--currency: "cny" is not a currency code .*did you mean CNY/],
    [unknownOpt, /unknown option '--bogus'/],
    [badUrl, /--server: "ftp:\/\/example" is not an http\(s\) URL/],
  ];
  for (const [r, re] of expect) {
    assert.is(r.code, 2, show(r));
    assert.match(r.err, re, show(r));
  }
  assert.not.match(mode.err + mode.out, /PRIVATE/);
});

test('org register with the data directory\'s operator key', async () => {
  const [a, b] = await Promise.all([
    cli(['org', 'register', '--data', server.dir, '--id', 'charity-a', '--name', 'Charity A', '--role', 'charity', '--key', pub('charity-a'), '--server', server.url]),
    cli(['org', 'register', '--data', server.dir, '--id', 'payee-b', '--name', 'Water filters Ltd', '--role', 'payee', '--key', pub('payee-b'), '--server', server.url]),
  ]);
  for (const r of [a, b]) {
    assert.is(r.code, 0, show(r));
    assert.match(r.out, /accepted org\.register \S+: seq \d+/);
  }
  const org = await server.client.get<{ roles: string[] }>('/v1/orgs/charity-a');
  assert.equal(org.roles, ['charity']);
});

test('fund; post of a JSON file, of an array, of stdin; a rejected post exits 1 with the code', async () => {
  const key = ['--key', file('charity-a.key'), '--server', server.url];
  fs.writeFileSync(file('one.json'), JSON.stringify({ type: 'fund.open', id: 'open-schools', body: { fund: 'schools', name: 'Schools', currency: 'CNY', restricted: true, purpose: 'water filters for 236 schools' } }));
  fs.writeFileSync(
    file('array.json'),
    JSON.stringify([
      { type: 'fund.open', id: 'open-meals', v: 1, body: { fund: 'meals', name: 'Meals', currency: 'CNY', restricted: false, purpose: 'meals for elderly people' } },
      { type: 'fund.open', id: 'open-classes', org: 'charity-a', body: { fund: 'classes', name: 'Classes', currency: 'CNY', restricted: false, purpose: 'music classrooms' } },
    ]),
  );
  const rejected = JSON.stringify({ type: 'donation', id: 'to-nowhere', body: { fund: 'no-such-fund', amount: { currency: 'CNY', value: '100' }, donor: donorCommitment('to-nowhere', 's'), channel: 'x' } });
  const [fund, one, arr, stdin, rej, otherOrg] = await Promise.all([
    cli(['fund', ...key, '--id', 'general', '--name', 'General fund', '--currency', 'CNY', '--purpose', 'where most needed']),
    cli(['post', file('one.json'), ...key]),
    cli(['post', file('array.json'), ...key]),
    cli(['post', '-', ...key], JSON.stringify({ type: 'fund.open', id: 'open-ins', body: { fund: 'insurance', name: 'Insurance', currency: 'CNY', restricted: false, purpose: 'health insurance' } })),
    cli(['post', '-', ...key], rejected),
    cli(['post', '-', ...key], JSON.stringify({ type: 'fund.open', id: 'x1', org: 'payee-b', body: {} })),
  ]);
  assert.is(fund.code, 0, show(fund));
  assert.match(fund.out, /accepted fund\.open \S+: seq \d+, leaf [0-9a-f]{64}, included in checkpoint of size \d+/);
  assert.is(one.code, 0, show(one));
  assert.match(one.out, /accepted fund\.open open-schools: seq \d+/);
  assert.is(arr.code, 0, show(arr));
  assert.match(arr.out, /accepted fund\.open open-meals: seq \d+[^]*accepted fund\.open open-classes: seq \d+/);
  assert.is(stdin.code, 0, show(stdin));
  assert.match(stdin.out, /accepted fund\.open open-ins/);
  assert.is(rej.code, 1, show(rej));
  assert.match(rej.out, /rejected donation to-nowhere: 422 unknown_fund/);
  assert.is(otherOrg.code, 2, show(otherOrg));
  assert.match(otherOrg.err, /by org "payee-b" but --key is a key of charity-a/);
  for (const f of ['general', 'schools', 'meals', 'classes', 'insurance']) await server.client.get(`/v1/funds/${f}`);
});

let donationId = '';
let secret = '';

test('donate prints the donor\'s receipt; the commitment opens with it', async () => {
  const key = ['--key', file('charity-a.key'), '--server', server.url];
  const [d, d2, again] = await Promise.all([
    cli(['donate', ...key, '--fund', 'general', '--amount', '100.00', '--currency', 'CNY', '--channel', 'goods-for-good']),
    cli(['donate', ...key, '--fund', 'schools', '--amount', '2500', '--currency', 'CNY', '--id', 'gift-2', '--receipt', 'my-own-secret']),
    // The file posted again: a new time makes it another event with a used id.
    cli(['post', file('one.json'), ...key]),
  ]);
  assert.is(again.code, 1, show(again));
  assert.match(again.out, /rejected fund\.open open-schools: 409 duplicate_id/);
  assert.is(d.code, 0, show(d));
  const m = /receipt: donation (\S+) secret (\S+)/.exec(d.out);
  assert.ok(m, show(d));
  [, donationId, secret] = m!;
  // Major units with the currency, never minor units (issue 12 item 11).
  assert.match(d.out, /donation \S+: CNY 100\.00 into general/);
  assert.not.match(d.out, /minor units|10000/);
  assert.match(d.out, new RegExp(`accepted donation ${donationId}: seq \\d+`));
  // The receipt only after the ledger accepted the donation (issue 12 item 7), as a link
  // with the secret in the fragment, and a QR code.
  assert.ok(d.out.indexOf('accepted donation') < d.out.indexOf('receipt: donation'), show(d));
  assert.ok(d.out.includes(`${server.url}/donations/${donationId}#secret=${secret}`), show(d));
  assert.match(d.out, /[▀▄█]{20}/);
  const ev = await server.client.get<{ entry: { data: string } }>(`/v1/events/${donationId}`);
  const entry = JSON.parse(Buffer.from(ev.entry.data, 'base64').toString('utf8'));
  assert.is(entry.event.body.donor, donorCommitment(donationId, secret));
  assert.equal(entry.event.body.amount, { currency: 'CNY', value: '10000' });
  assert.is(entry.event.body.channel, 'goods-for-good');
  assert.is(d2.code, 0, show(d2));
  assert.match(d2.out, /accepted donation gift-2/);
  assert.ok(d2.out.includes(`${server.url}/donations/gift-2#secret=my-own-secret`), show(d2));
  // A rejected donation has no receipt.
  const rej = await cli(['donate', ...key, '--fund', 'no-such-fund', '--amount', '1.00', '--currency', 'CNY', '--id', 'gift-nowhere']);
  assert.is(rej.code, 1, show(rej));
  assert.match(rej.out, /rejected donation gift-nowhere: 422 unknown_fund/);
  assert.match(rej.out, /no receipt: donation gift-nowhere is not in the log/);
  assert.not.match(rej.out, /secret|#secret=|[▀▄█]/);
});

test('org keys; transfer and disburse (with a receipt file, hashed locally), then confirm by the payee', async () => {
  const key = ['--key', file('charity-a.key'), '--server', server.url];
  const invoice = file('invoice-2020-07.pdf');
  fs.writeFileSync(invoice, 'INVOICE: 236 water filters\n');
  const rotated = generateKey('charity-a').verifierKey;
  const [keys, t, dis] = await Promise.all([
    cli(['org', 'keys', '--key-file', file('charity-a.key'), '--org', 'charity-a', '--add', rotated, '--server', server.url]),
    cli(['transfer', ...key, '--from', 'general', '--to', 'meals', '--amount', '30.00', '--currency', 'CNY', '--memo', 'meals for elderly people living alone']),
    cli(['disburse', ...key, '--fund', 'general', '--amount', '50.00', '--currency', 'CNY', '--payee', 'payee-b', '--purpose', 'water filters', '--receipt-file', invoice, '--id', 'pay-filters']),
  ]);
  assert.is(keys.code, 0, show(keys));
  assert.match(keys.out, /accepted org\.keys \S+: seq \d+/);
  const org = await server.client.get<{ keys: unknown }>('/v1/orgs/charity-a');
  assert.ok(JSON.stringify(org).includes(rotated), JSON.stringify(org));
  assert.is(t.code, 0, show(t));
  assert.match(t.out, /accepted transfer \S+: seq \d+, leaf [0-9a-f]{64}, included in checkpoint of size \d+/);
  assert.is(dis.code, 0, show(dis));
  const digest = crypto.createHash('sha256').update(fs.readFileSync(invoice)).digest('hex');
  assert.match(dis.out, new RegExp(`receipt invoice-2020-07\\.pdf sha256 ${digest}`));
  const ev = await server.client.get<{ entry: { data: string } }>('/v1/events/pay-filters');
  const body = JSON.parse(Buffer.from(ev.entry.data, 'base64').toString('utf8')).event.body;
  assert.equal(body.receipts, [{ sha256: digest, name: 'invoice-2020-07.pdf' }]);

  const photo = file('photo.jpg');
  fs.writeFileSync(photo, 'JPEG…');
  const [c, wrong] = await Promise.all([
    cli(['confirm', '--key', file('payee-b.key'), '--server', server.url, '--disbursement', 'pay-filters', '--statement', '236 water filters installed', '--evidence-file', photo]),
    cli(['confirm', '--key', file('payee-b.key'), '--server', server.url, '--disbursement', 'pay-filters', '--statement', 'x', '--evidence-file', file('no-such.jpg')]),
  ]);
  assert.is(c.code, 0, show(c));
  assert.match(c.out, /accepted confirmation \S+: seq \d+/);
  assert.is(wrong.code, 2, show(wrong));
  assert.match(wrong.err, /--evidence-file: cannot read .*no-such\.jpg: no such file/);
  const fund = await server.client.get<{ balance?: unknown }>('/v1/funds/general');
  assert.ok(fund);
});

test('--json: one document per command, the same facts; old option spellings still work', async () => {
  const key = ['--key-file', file('charity-a.key'), '--server', server.url];
  const [fund, dup, don, kg] = await Promise.all([
    cli(['fund', ...key, '--id', 'json-fund', '--name', 'JSON fund', '--currency', 'CNY', '--purpose', 'p', '--event-id', 'open-json', '--json']),
    cli(['post', file('one.json'), '--key', file('charity-a.key'), '--server', server.url, '--json']),
    cli(['donate', ...key, '--fund', 'general', '--amount', '1.00', '--currency', 'CNY', '--event-id', 'gift-json', '--receipt', 'json-secret', '--json']),
    cli(['keygen', '--name', 'json-org', '--out', file('json-org.key'), '--json']),
  ]);
  assert.is(fund.code, 0, show(fund));
  const f = JSON.parse(fund.out);
  assert.is(f.results.length, 1);
  assert.is(f.results[0].type, 'fund.open');
  assert.is(f.results[0].id, 'open-json');
  assert.is(f.results[0].accepted, true);
  assert.is(typeof f.results[0].seq, 'number');
  assert.match(f.results[0].leafHash, /^[0-9a-f]{64}$/);
  assert.is(dup.code, 1, show(dup));
  assert.equal(JSON.parse(dup.out).results[0].error.code, 'duplicate_id');
  assert.is(don.code, 0, show(don));
  const d = JSON.parse(don.out);
  assert.is(d.receipt.id, 'gift-json');
  assert.is(d.receipt.link, `${server.url}/donations/gift-json#secret=json-secret`);
  assert.equal(d.donation.amount, { currency: 'CNY', value: '100' });
  assert.is(kg.code, 0, show(kg));
  const k = JSON.parse(kg.out);
  assert.is(k.file, file('json-org.key'));
  assert.match(k.verifierKey, /^json-org\+[0-9a-f]{8}\+/);
  // Nothing but the document on stdout.
  for (const r of [fund, dup, don, kg]) assert.is(r.out.trim().split('\n').length, 1, show(r));
});

test('LANG: the CLI speaks Chinese and Thai; amounts in major units', async () => {
  const args = ['disburse', '--key', file('charity-a.key'), '--server', server.url, '--fund', 'general', '--amount', '12.3', '--currency', 'CNY', '--payee', 'p', '--purpose', 'x'];
  const [zh, th, over] = await Promise.all([
    cli(args, undefined, false, { LANG: 'zh_CN.UTF-8', LC_ALL: '' }),
    cli(args, undefined, false, { LANG: 'th_TH.UTF-8', LC_ALL: '' }),
    cli(['disburse', '--key', file('charity-a.key'), '--server', server.url, '--fund', 'general', '--amount', '99999.00', '--currency', 'CNY', '--payee', 'p', '--purpose', 'x'], undefined, false, { LANG: 'zh_CN.UTF-8', LC_ALL: '' }),
  ]);
  assert.is(zh.code, 2, show(zh));
  assert.match(zh.err, /--amount：".*" 有 1 位小数，CNY 是 2 位/);
  assert.is(th.code, 2, show(th));
  assert.match(th.err, /--amount: ".*" มีทศนิยม 1 ตำแหน่ง/);
  assert.is(over.code, 1, show(over));
  assert.match(over.out, /付款 \S+：CNY 99999\.00，从 general 付给 p/);
  // The server's words are the server's (English), in major units with the currency.
  assert.match(over.out, /已拒绝 disbursement \S+：422 overdraft：fund general holds CNY \d+\.\d\d, less than CNY 99999\.00/);
});

test('teardown', async () => {
  await server.close();
});

test.run();
