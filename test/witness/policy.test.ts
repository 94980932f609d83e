// Witness policies in @cotc/verify (packages/verify/src/witness.ts): K of N valid
// cosignatures or the checkpoint is refused (witness_quorum, naming who signed), future
// timestamps refused, on the public vectors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { checkWitnesses, openCheckpoint, parseWitnessPolicy, readCheckpoint, VerifyError } from '../../packages/verify/src/index.ts';

const load = (f: string) => JSON.parse(readFileSync(new URL(`../vectors/${f}`, import.meta.url), 'utf8'));
const sigsum = load('witness-sigsum-ts.json') as { note: string; time: number; logKey: string; witnessKeys: string[] };
const now = sigsum.time * 1000 + 60_000;
const codes = (ps: Array<{ code: string }>) => ps.map((p) => p.code);

test('sigsum-ts: 2 of 3 accepts; 3 of 3 accepts; names and times reported', () => {
  const r = checkWitnesses(sigsum.note, { witnesses: sigsum.witnessKeys, quorum: 2, now });
  assert.ok(r.report.ok);
  assert.equal(r.problems, []);
  assert.equal(r.report.cosigners.map((c) => [c.name, c.time]), [['test1.example', sigsum.time], ['test2.example', sigsum.time], ['test3.example', sigsum.time]]);
  const o = openCheckpoint(sigsum.note, sigsum.logKey, { witnesses: sigsum.witnessKeys, quorum: 3, now });
  assert.equal(o.problems, []);
  assert.is(o.checkpoint!.size, 930);
  assert.is(o.witnesses!.cosigners.length, 3);
});

test('sigsum-ts: a flipped byte in two cosignatures leaves 1 of 3: refused, naming who signed', () => {
  const lines = sigsum.note.split('\n');
  const flip = (l: string) => {
    const [d, n, b] = l.split(' ');
    const raw = Buffer.from(b!, 'base64');
    raw[40]! ^= 1;
    return `${d} ${n} ${raw.toString('base64')}`;
  };
  const bad = lines.map((l) => (l.startsWith('\u2014 test1') || l.startsWith('\u2014 test3') ? flip(l) : l)).join('\n');
  const r = checkWitnesses(bad, { witnesses: sigsum.witnessKeys, quorum: 2, now });
  assert.not.ok(r.report.ok);
  assert.equal(codes(r.problems), ['witness_quorum', 'missing_witness', 'missing_witness']);
  assert.match(r.problems[0]!.message, /cosigned by 1 of the 2 witnesses needed \(of 3\): signed by test2\.example; not by test1\.example \(signature does not verify\), test3\.example/);
  // And any single flipped byte anywhere in a cosignature line takes that witness out.
  for (let i = 4; i < 76; i += 7) {
    const one = lines.map((l) => {
      if (!l.startsWith('\u2014 test2')) return l;
      const [d, n, b] = l.split(' ');
      const raw = Buffer.from(b!, 'base64');
      raw[i]! ^= 0x10;
      return `${d} ${n} ${raw.toString('base64')}`;
    }).join('\n');
    const q = checkWitnesses(one, { witnesses: sigsum.witnessKeys, quorum: 3, now });
    assert.not.ok(q.report.ok, `byte ${i}`);
    assert.equal(q.report.missing.map((m) => m.name), ['test2.example']);
  }
});

test('a cosignature timestamped in the future is refused (beyond the skew)', () => {
  const early = sigsum.time * 1000 - 3600_000; // an hour before the witnesses signed
  const r = checkWitnesses(sigsum.note, { witnesses: sigsum.witnessKeys, quorum: 1, now: early });
  assert.not.ok(r.report.ok);
  assert.equal(r.report.missing.map((m) => m.reason), ['future', 'future', 'future']);
  assert.match(r.problems[0]!.message, /timestamped in the future/);
  // Within the skew: accepted.
  assert.ok(checkWitnesses(sigsum.note, { witnesses: sigsum.witnessKeys, quorum: 3, now: sigsum.time * 1000 - 60_000 }).report.ok);
  assert.not.ok(checkWitnesses(sigsum.note, { witnesses: sigsum.witnessKeys, quorum: 3, now: sigsum.time * 1000 - 60_000, skewSeconds: 10 }).report.ok);
});

test('skylight: a 1-of-1 policy over the Sunlight witness', () => {
  const sky = load('witness-skylight.json') as { note: string; time: number; witnessKey: string };
  const r = checkWitnesses(sky.note, { witnesses: [sky.witnessKey], quorum: 1, now: sky.time * 1000 });
  assert.ok(r.report.ok);
  assert.equal(r.report.cosigners.map((c) => c.name), ['witness.example.org']);
});

test('readCheckpoint with a policy; policy files; bad policies', () => {
  assert.ok(readCheckpoint(sigsum.note, sigsum.logKey, { witnesses: sigsum.witnessKeys, quorum: 2, now }).ok);
  const p = parseWitnessPolicy(JSON.stringify({ quorum: 2, witnesses: [sigsum.witnessKeys[0], { name: 'x', key: sigsum.witnessKeys[1] }] }));
  assert.equal(p, { witnesses: sigsum.witnessKeys.slice(0, 2), quorum: 2 });
  assert.is(parseWitnessPolicy(JSON.stringify({ witnesses: sigsum.witnessKeys })).quorum, 3);
  for (const bad of ['nope', '{}', JSON.stringify({ quorum: 4, witnesses: sigsum.witnessKeys }), JSON.stringify({ quorum: 0, witnesses: sigsum.witnessKeys }),
    JSON.stringify({ witnesses: ['x+00000000+AAAA'] }), JSON.stringify({ witnesses: [sigsum.witnessKeys[0], sigsum.witnessKeys[0]] })]) {
    assert.throws(() => parseWitnessPolicy(bad), (e: unknown) => e instanceof VerifyError, bad);
  }
});

test.run();
