// The hostile corpus (test/hostile/corpus/*.json, see corpus.ts) against a real server on
// 127.0.0.1 with a realistic state: every case is refused with exactly its status and
// error code, in the JSON error shape, and nothing is appended (GET /checkpoint is
// byte-identical after each case). Then all cases again, at once; afterwards the server is
// up and the log exactly as before the first hostile request.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { testServer } from '../helpers/server.ts';
import { buildSetup, checkCase, loadCorpus, requestOf, type CorpusState } from './corpus.ts';
import { errorBody, rawRequest, type RawAnswer } from './rawhttp.ts';

let s: Awaited<ReturnType<typeof testServer>>;
let st: CorpusState;
let initial: { checkpoint: string; size: number };
const cases = loadCorpus();

async function snapshot(): Promise<{ checkpoint: string; size: number }> {
  const cp = await rawRequest(s.url, { method: 'GET', path: '/checkpoint' });
  assert.is(cp.status, 200);
  const h = await rawRequest(s.url, { method: 'GET', path: '/healthz' });
  assert.is(h.status, 200, h.raw);
  return { checkpoint: cp.body.toString('utf8'), size: JSON.parse(h.body.toString('utf8')).size };
}

function check(c: (typeof cases)[number], a: RawAnswer): void {
  const where = `${c.file}: ${c.name}`;
  let err;
  try {
    err = errorBody(a);
  } catch (e) {
    assert.unreachable(`${where}: ${(e as Error).message}`);
  }
  assert.is(a.status, c.expect.status, `${where}: status ${a.status} ${a.body.toString('utf8').slice(0, 300)}`);
  assert.is(err!.code, c.expect.code, `${where}: code ${err!.code}: ${err!.message}`);
}

test.before(async () => {
  s = await testServer();
  const setup = buildSetup(s.operatorKey);
  st = setup.state;
  for (const batch of setup.batches) {
    const r = await s.client.post(batch);
    assert.is(r.status, 200, JSON.stringify(r.body));
    r.body.forEach((x: any, i: number) => assert.is(x.status, 201, `setup element ${i}: ${JSON.stringify(x)}`));
  }
  initial = await snapshot();
});
test.after(async () => {
  await s?.close();
});

test('the corpus: at least 200 well-formed cases, unique names, every category', () => {
  assert.ok(s, 'server started');
  assert.ok(cases.length >= 200, `${cases.length} cases`);
  const names = new Set<string>();
  for (const c of cases) {
    const problem = checkCase(c);
    assert.is(problem, null, `${c.file}: ${c.name}: ${problem}`);
    assert.not.ok(names.has(c.name), `duplicate case name ${c.name}`);
    names.add(c.name);
  }
  const cats = new Set(cases.map((c) => c.category));
  for (const want of [
    'malformed_json',
    'duplicate_keys',
    'deep_nesting',
    'huge_numbers',
    'float_amounts',
    'bad_amounts',
    'unknown_currency',
    'unicode',
    'oversized',
    'content_type',
    'bad_encoding',
    'signatures',
    'path_traversal',
    'query_params',
    'methods',
    'null_bytes',
    'long_ids',
  ]) {
    assert.ok(cats.has(want), `no case of category ${want}`);
  }
});

test('the setup holds what the cases refer to', async () => {
  const fund = JSON.parse((await rawRequest(s.url, { method: 'GET', path: '/v1/funds/c-cny' })).body.toString('utf8'));
  assert.is(fund.balance.value, '1490');
  const big = JSON.parse((await rawRequest(s.url, { method: 'GET', path: '/v1/funds/c-big' })).body.toString('utf8'));
  assert.is(big.balance.value, '9223372036854775807');
  assert.is(initial.size, 22);
});

test('every case, one at a time: its status and code, and nothing appended', async () => {
  const failures: string[] = [];
  for (const c of cases) {
    try {
      const a = await rawRequest(s.url, requestOf(c, st)).catch((e: Error) => {
        throw new Error(`${c.file}: ${c.name}: ${e.message}`);
      });
      check(c, a);
    } catch (e) {
      failures.push((e as Error).message);
      continue;
    }
    const cp = await rawRequest(s.url, { method: 'GET', path: '/checkpoint' });
    if (cp.body.toString('utf8') !== initial.checkpoint) {
      failures.push(`${c.file}: ${c.name}: the checkpoint changed`);
      initial = await snapshot();
    }
  }
  assert.equal(failures, [], `${failures.length} of ${cases.length} cases failed:\n${failures.join('\n')}`);
});

test('every case at once (concurrently): the same answers, nothing appended', async () => {
  const answers = await Promise.allSettled(cases.map((c) => rawRequest(s.url, { ...requestOf(c, st), timeoutMs: 30_000 })));
  const failures: string[] = [];
  answers.forEach((r, i) => {
    const c = cases[i]!;
    if (r.status === 'rejected') failures.push(`${c.file}: ${c.name}: ${(r.reason as Error).message}`);
    else {
      try {
        check(c, r.value);
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
  });
  assert.equal(failures, [], failures.join('\n'));
});

test('afterwards: the server is up, the tree size and root exactly as before', async () => {
  const after = await snapshot();
  assert.is(after.size, initial.size);
  assert.is(after.checkpoint, initial.checkpoint);
  const h = await rawRequest(s.url, { method: 'GET', path: '/healthz' });
  assert.is(h.status, 200);
  assert.equal(JSON.parse(h.body.toString('utf8')), { ok: true, size: initial.size });
  // And it still takes a good event, built by the same machinery as the cases (so the
  // refusals above are the mutations' doing, not a broken signer or request builder).
  const good = requestOf(
    {
      name: 'a good donation',
      category: 'control',
      method: 'POST',
      path: '/v1/events',
      signed: { as: 'charity', type: 'donation', body: { fund: 'c-cny', amount: { currency: 'CNY', value: '5' }, donor: '$(donor)', channel: 'web' } },
      expect: { status: 201, code: '' },
    },
    st,
  );
  const ok = await rawRequest(s.url, good);
  assert.is(ok.status, 201, ok.raw);
  assert.is(JSON.parse(ok.body.toString('utf8')).seq, initial.size);
});

test.run();
