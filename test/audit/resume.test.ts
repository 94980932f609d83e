// The incremental auditor (issue 10): after a clean audit the replayed state is saved with
// the checkpoint it verified; the next audit of the same log resumes from it, replays only
// the new entries and reaches the same verdict and the same state as a full replay. A
// tampered entry after the resume point, a fork against the saved checkpoint and a damaged
// saved state are each caught, never silently passed over.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { parseSignerKey } from '@cotc/tlog';
import { audit } from '../../src/audit/audit.ts';
import { storeSource } from '../../src/audit/sources.ts';
import { SavedState, savedStateDir } from '../../src/audit/saved-state.ts';
import { auditCommand } from '../../src/cli/audit.ts';
import { readKeyFile } from '../../src/log/datadir.ts';
import { LevelStore } from '../../src/storage/level.ts';
import { populate } from '../helpers/populate.ts';
import { tempDir } from '../helpers/server.ts';

function capture() {
  const lines: string[] = [];
  return { lines, out: (l: string) => lines.push(l), text: () => lines.join('\n') };
}

/** Runs `cotc audit --data dir` with this state file (its saved states beside it). */
async function cli(dir: string, state: string, extra: { fromScratch?: boolean } = {}) {
  const c = capture();
  const code = await auditCommand({ data: dir, state, ...extra }, c.out, c.out);
  return { code, text: c.text() };
}

/** The one saved state directory under a base (one log). */
function theSavedDir(base: string): string {
  const dirs = fs.readdirSync(base);
  assert.is(dirs.length, 1, dirs.join(', '));
  return path.join(base, dirs[0]!);
}

async function records(dir: string, origin: string, key: string): Promise<Array<[string, string]>> {
  const s = await SavedState.open(dir, origin, key);
  try {
    const out: Array<[string, string]> = [];
    for await (const r of s.records()) out.push(r);
    return out;
  } finally {
    await s.close();
  }
}

function putEntry(store: LevelStore, seq: number, f: (s: string) => string) {
  return (async () => {
    const key = 'e/' + seq.toString(16).padStart(16, '0');
    const v = Buffer.from((await store.db.get(key))!).toString('utf8');
    const w = f(v);
    assert.is.not(w, v);
    await store.db.put(key, new Uint8Array(Buffer.from(w, 'utf8')));
  })();
}

test('a second audit resumes, replays only the new entries, and ends with the state a full replay has', async () => {
  const dir = tempDir();
  await populate(dir, 'a', 5);
  const state = path.join(tempDir(), 'state.json');
  const first = await cli(dir, state);
  assert.is(first.code, 0, first.text);
  assert.match(first.text, /clean\. 8 entries replayed/);
  assert.not.match(first.text, /resuming/);
  await populate(dir, 'a2', 4);
  const second = await cli(dir, state);
  assert.is(second.code, 0, second.text);
  assert.match(second.text, /resuming from entry 8, checkpoint 8 verified on \d{4}-\d\d-\d\dT/);
  assert.match(second.text, /clean\. 6 new entries replayed .*resumed from entry 8/);
  assert.match(second.text, /checkpoint 14 root/);
  // The same verdict and the same state from entry 0, in another saved-state directory.
  const full = await cli(dir, path.join(tempDir(), 'state.json'));
  assert.is(full.code, 0, full.text);
  assert.match(full.text, /clean\. 14 entries replayed/);
  const root = (t: string) => /checkpoint 14 root ([0-9a-f]{64})/.exec(t)?.[1];
  assert.is(root(second.text), root(full.text));
  const logKey = parseSignerKey(readKeyFile(path.join(dir, 'log.key'))).verifierKey;
  const base = path.join(path.dirname(state), 'audit');
  // One directory, named by the log's identity (its origin is the key's name).
  assert.is(theSavedDir(base), savedStateDir(base, logKey.split('+')[0]!, logKey));
  // A third audit with nothing new replays nothing and is still clean.
  const third = await cli(dir, state);
  assert.is(third.code, 0, third.text);
  assert.match(third.text, /clean\. 0 new entries replayed/);
});

test('pages of 2, resumed twice: the same state records and root as one full replay', async () => {
  const dir = tempDir();
  await populate(dir, 'p', 3);
  const logKey = parseSignerKey(readKeyFile(path.join(dir, 'log.key'))).verifierKey;
  const run = async (stateDir: string, trusted: { size: number; root: string; text: string } | null = null) => {
    const store = new LevelStore(path.join(dir, 'store'));
    try {
      return await audit(await storeSource(store), { logKey, stateDir, pageSize: 2, trusted, verifyThreads: 1 });
    } finally {
      await store.close();
    }
  };
  const inc = tempDir();
  const r1 = await run(inc);
  assert.ok(r1.ok, JSON.stringify(r1.problems));
  assert.is(r1.replayed, 6);
  await populate(dir, 'p2', 2);
  const r2 = await run(inc, r1.checkpoint!);
  assert.ok(r2.ok, JSON.stringify(r2.problems));
  assert.is(r2.resumed?.from, 6);
  assert.is(r2.replayed, 4);
  await populate(dir, 'p3', 3);
  const r3 = await run(inc, r2.checkpoint!);
  assert.ok(r3.ok, JSON.stringify(r3.problems));
  assert.is(r3.resumed?.from, 10);
  assert.is(r3.replayed, 5);
  const once = tempDir();
  const rf = await run(once);
  assert.ok(rf.ok, JSON.stringify(rf.problems));
  assert.is(rf.replayed, 15);
  assert.is(rf.checkpoint!.root, r3.checkpoint!.root);
  const origin = logKey.split('+')[0]!;
  const wrong = await records(theSavedDir(inc), 'another.example/log', logKey).catch((e: Error) => e);
  assert.match((wrong as Error).message, /is of another log/); // the identity is checked
  const ri = await records(theSavedDir(inc), origin, logKey);
  assert.ok(ri.length > 15, `${ri.length} records`);
  assert.equal(ri, await records(theSavedDir(once), origin, logKey));
});

test('a tampered entry after the resume point is caught, and the resume is said', async () => {
  const dir = tempDir();
  await populate(dir, 't', 2);
  const state = path.join(tempDir(), 'state.json');
  assert.is((await cli(dir, state)).code, 0);
  await populate(dir, 't2', 3);
  const store = new LevelStore(path.join(dir, 'store'));
  await store.open();
  // Entry 8 is t2's second donation (5 entries before t2, then its register, open, donations of 100 and 101).
  await putEntry(store, 8, (s) => s.replace('"value":"101"', '"value":"901"'));
  await store.close();
  const r = await cli(dir, state);
  assert.is(r.code, 1, r.text);
  assert.match(r.text, /resuming from entry 5/);
  assert.match(r.text, /PROBLEM at seq (8|9): (signature|chain)/);
  // The failed audit saved nothing past what it had verified: the next one resumes from 5 again.
  const again = await cli(dir, state);
  assert.is(again.code, 1, again.text);
  assert.match(again.text, /resuming from entry 5/);
});

test('a fork against the saved checkpoint (the state file forgotten) is caught', async () => {
  const dir = tempDir();
  await populate(dir, 'f', 2);
  const copy = tempDir();
  fs.cpSync(dir, copy, { recursive: true });
  await populate(dir, 'f1', 2);
  const base = tempDir();
  const state = path.join(base, 'state.json');
  assert.is((await cli(dir, state)).code, 0);
  await populate(copy, 'f2', 3);
  fs.renameSync(dir, dir + '.orig');
  fs.renameSync(copy, dir);
  // A new state file (nothing remembered there), the same saved states: only they know.
  fs.rmSync(state);
  const r = await cli(dir, state);
  assert.is(r.code, 1, r.text);
  assert.match(r.text, /PROBLEM at seq 8: consistency: entry 8 is not the one this auditor replayed \(checkpoint 9 verified on .*\): the log forked or was rewritten/);
});

test('a damaged saved state is refused with a clear message; --from-scratch replays from entry 0', async () => {
  const dir = tempDir();
  await populate(dir, 'c', 3);
  const state = path.join(tempDir(), 'state.json');
  assert.is((await cli(dir, state)).code, 0);
  const saved = theSavedDir(path.join(path.dirname(state), 'audit'));
  // 1. a flipped byte in one of its LevelDB files
  const files = fs.readdirSync(saved).filter((f) => /\.(log|ldb)$/.test(f));
  assert.ok(files.length > 0);
  const f = path.join(saved, files[0]!);
  const b = fs.readFileSync(f);
  b[Math.floor(b.length / 2)] ^= 0x20;
  fs.writeFileSync(f, b);
  const r = await cli(dir, state);
  assert.is(r.code, 1, r.text);
  assert.match(r.text, /PROBLEM: saved-state: the saved audit state in .* fails its checks: .*--from-scratch/);
  const again = await cli(dir, state, { fromScratch: true });
  assert.is(again.code, 0, again.text);
  assert.match(again.text, /clean\. 6 entries replayed/);
  // 2. records that do not add up to the saved progress
  const logKey = parseSignerKey(readKeyFile(path.join(dir, 'log.key'))).verifierKey;
  const meta = { origin: logKey.split('+')[0]! };
  const s = await SavedState.open(saved, meta.origin, logKey);
  await s.db.put('s/meta', JSON.stringify({ size: 3 }));
  await s.close();
  const r2 = await cli(dir, state);
  assert.is(r2.code, 1, r2.text);
  assert.match(r2.text, /PROBLEM: saved-state: .*damaged/);
  // 3. a progress record that is not one
  const s2 = await SavedState.open(saved, meta.origin, logKey).catch((e: Error) => e);
  assert.ok(s2 instanceof SavedState);
  await s2.db.put('p', '{"size":');
  await s2.close();
  const r3 = await cli(dir, state);
  assert.is(r3.code, 1, r3.text);
  assert.match(r3.text, /PROBLEM: saved-state: the saved audit state in .* is damaged: its progress record/);
});

test.run();
