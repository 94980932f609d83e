// Proven reads (docs/wire-format-2.md §13) against @cotc/verify's verifyProvenRead: a fund,
// an org, a key, a disbursement's confirmations and an absent record, each proven against
// entry N−1's map root and the signed checkpoint; every piece tampered with fails with its code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { base64, generateKey } from '@cotc/tlog';
import { canonicalize } from '@cotc/ledger';
import { parseConfRecord, parseFundRecord, verifyProvenRead, type ReadResult } from '@cotc/verify';
import { provenRead } from '../helpers/v2-log.ts';
import { v2Story, type V2Story } from '../helpers/v2-story.ts';
import { clone } from '../helpers/v2-tamper.ts';

let story: V2Story;
const keys = ['fund/school-water', 'org/filters', 'conf/pay1', 'conf/pay2', 'fund/no-such-fund'];
let read: Awaited<ReturnType<typeof provenRead>>;
const codes = (r: ReadResult) => r.problems.map((p) => p.code);

test.before(async () => {
  story = await v2Story();
  read = await provenRead(story.log, keys);
});

test('a proven read verifies, and says what the records hold (or that one is absent)', async () => {
  const r = await verifyProvenRead(read, { logKey: story.log.logKey, keys });
  assert.equal(r.problems, []);
  assert.ok(r.ok);
  assert.is(r.checkpoint!.size, story.log.size);
  const fund = parseFundRecord(r.records.get('fund/school-water')!)!;
  assert.is(fund.owner, 'school');
  assert.is(fund.balance, story.log.state.fund('school-water')!.balance);
  assert.equal(parseConfRecord(r.records.get('conf/pay1')!)!.map((c) => c.event), ['pay1-conf-filters', 'pay1-conf-auditor']);
  assert.is(r.records.get('conf/pay2'), null); // nobody confirmed pay2: proven absent
  assert.is(r.records.get('fund/no-such-fund'), null);
});

test('a tampered read fails with its code', async () => {
  const logKey = story.log.logKey;
  const v = (x: unknown, k = keys) => verifyProvenRead(x, { logKey, keys: k });
  const forged = clone(read);
  forged.state[0]!.value = canonicalize({ ...JSON.parse(forged.state[0]!.value!), balance: '999999' });
  assert.equal(codes(await v(forged)), ['map_root_mismatch']);
  const absent = clone(read);
  absent.state.find((s) => s.key === 'conf/pay1')!.value = null; // "nobody confirmed it"
  assert.not.ok((await v(absent)).ok);
  const old = clone(read);
  old.entry.index = read.entry.index - 1;
  assert.equal(codes(await v(old)), ['missing_state_root']);
  const bytes = clone(read);
  bytes.entry.data = base64(new TextEncoder().encode('{"v":2}'));
  assert.equal(codes(await v(bytes)), ['bad_inclusion_proof']);
  assert.equal(codes(await v({ ...clone(read), version: 1 })), ['unsupported_version']);
  assert.equal(codes(await v(read, [...keys, 'org/not-asked-for'])), ['wrong_record']);
  const other = generateKey(story.log.origin).verifierKey;
  assert.equal(codes(await verifyProvenRead(read, { logKey: other })), ['bad_checkpoint_signature']);
  // A read whose entry N−1 carries no state root: a log that is not v2 at its head.
  // (entry 1 is the first of a batch of four: no state root on it)
  assert.equal(codes(await v(await provenRead(story.log, keys, 2))), ['missing_state_root']);
});

test.run();
