// A damaged store at start (DESIGN.md "Durability"): a stopped data directory whose LevelDB
// files were damaged must not be served; starting the server fails naming the file and the
// check that failed.
//
// What runs at start (LevelStore.open, then LogService.open); step 1 is proportional to the
// store (~6 s/GiB), so it runs only with `serve --verify-store` (verifyStore here) and in
// `cotc audit --data`; a plain start-up is O(1) in the log's size (issue 10):
//   1. LevelDB's files, before LevelDB opens them (src/storage/level-verify.ts): CURRENT
//      names an existing MANIFEST; every MANIFEST and write-ahead log record's CRC32C (an
//      incomplete last record, a crash mid-write, is accepted); every table file's footer
//      magic and the CRC32C of every block. LevelDB itself (classic-level has no
//      paranoid_checks/verify_checksums) would open a table with a damaged data block and
//      serve it, and would drop damaged log records silently.
//   2. LevelDB's own open (a missing table file, an unreadable MANIFEST), its error wrapped
//      naming the store.
//   3. The log's own checks: the format marker; the head checkpoint verifies with the log
//      key and matches the head; the stored tree hashes to its root; the last entry hashes
//      to its leaf; the state's meta record is at the head's size.
// What does not run at start: re-hashing every entry. An entry rewritten in the middle
// with a valid LevelDB write (files all sound) is found by `cotc audit --data`, naming it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { openLog, startServer } from '../../src/server.ts';
import { LevelStore } from '../../src/storage/level.ts';
import { verifyLevelFiles } from '../../src/storage/level-verify.ts';
import { Level } from 'level';
import crypto from 'node:crypto';
import { StoreCorruptError } from '../../src/storage/types.ts';
import { auditCommand } from '../../src/cli/audit.ts';
import { cny, donor, ev, type Org } from '../helpers/events.ts';
import { tempDir } from '../helpers/server.ts';

const t = suite('corrupted store at start');
let base = '';
let pristine = '';
let size = 0;

t.before(async () => {
  base = tempDir('cotc-corrupt-');
  pristine = path.join(base, 'pristine');
  const log = await openLog(pristine, { verifyThreads: 0 });
  const op: Org = { id: 'operator', signerKey: fs.readFileSync(path.join(pristine, 'operator.key'), 'utf8').trim(), verifierKey: '' };
  assert.is((await log.submit(ev(op, 'fund.open', { fund: 'f', name: 'F', currency: 'CNY', restricted: false, purpose: 'p' }))).status, 201);
  const donate = (from: number, n: number) =>
    Promise.all(Array.from({ length: n }, (_, i) => log.submit(ev(op, 'donation', { fund: 'f', amount: cny(1 + from + i), donor: donor(`d${from + i}`), channel: 'c' }, `d${from + i}`))));
  for (const r of await donate(0, 600)) assert.is(r.status, 201);
  // Into a table file (.ldb), then more batches in the write-ahead log.
  await ((log.store as LevelStore).db as unknown as { compactRange(a: string, b: string): Promise<void> }).compactRange('\x00', '\xff');
  for (let k = 0; k < 5; k++) for (const r of await donate(600 + 20 * k, 20)) assert.is(r.status, 201);
  size = log.size;
  await log.close();
});

t.after(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

function variant(name: string, mutate: (storeDir: string) => void): string {
  const dir = path.join(base, name);
  fs.cpSync(pristine, dir, { recursive: true });
  mutate(path.join(dir, 'store'));
  return dir;
}
const only = (storeDir: string, re: RegExp) => {
  const fs_ = fs.readdirSync(storeDir).filter((f) => re.test(f));
  assert.ok(fs_.length >= 1, `no file matching ${re} in ${fs.readdirSync(storeDir).join(' ')}`);
  return fs_.map((f) => path.join(storeDir, f));
};
function flip(file: string, at: (size: number) => number, n = 8) {
  const b = fs.readFileSync(file);
  const o = at(b.length);
  for (let i = 0; i < n; i++) b[o + i]! ^= 0xa5;
  fs.writeFileSync(file, b);
}
async function refused(dir: string): Promise<Error> {
  try {
    const s = await startServer(dir, { port: 0, host: '127.0.0.1', logLevel: 'silent', verifyThreads: 0, verifyStore: true });
    await s.close();
  } catch (e) {
    return e as Error;
  }
  throw new Error(`the server started on the damaged data dir ${dir}`);
}

t('the pristine copy starts (the checks pass on a sound store)', async () => {
  const dir = variant('sound', () => {});
  const s = await startServer(dir, { port: 0, host: '127.0.0.1', logLevel: 'silent', verifyThreads: 0, verifyStore: true });
  assert.is(s.log.size, size);
  await s.close();
});

t('a damaged data block in a table file (.ldb) is named: file and block', async () => {
  let file = '';
  const dir = variant('ldb-block', (d) => {
    [file] = only(d, /\.(ldb|sst)$/);
    flip(file, (n) => Math.floor(n / 3));
  });
  const e = await refused(dir);
  if (process.env.SHOW_ERRORS) console.log(`\n    ${e.message}`);
  assert.instance(e, StoreCorruptError);
  assert.ok(e.message.includes(path.basename(file)), e.message);
  assert.match(e.message, /data block \d+ at offset \d+ .*CRC32C mismatch/);
});

t('without --verify-store the damaged table is not read at start; cotc audit --data refuses it, naming the file', async () => {
  let file = '';
  const dir = variant('ldb-block-audit', (d) => {
    [file] = only(d, /\.(ldb|sst)$/);
    flip(file, (n) => Math.floor(n / 3));
  });
  const out: string[] = [];
  const code = await auditCommand({ data: dir, state: path.join(base, 'audit-state-2.json') }, (l) => out.push(l), (l) => out.push(l));
  assert.is.not(code, 0, out.join('\n'));
  assert.ok(out.join('\n').includes(path.basename(file)), out.join('\n'));
});

t('a table file whose footer is damaged is named', async () => {
  const dir = variant('ldb-footer', (d) => {
    for (const f of only(d, /\.(ldb|sst)$/)) flip(f, (n) => n - 8);
  });
  const e = await refused(dir);
  if (process.env.SHOW_ERRORS) console.log(`\n    ${e.message}`);
  assert.instance(e, StoreCorruptError);
  assert.match(e.message, /\d+\.ldb.*footer magic number/);
});

t('a truncated table file is named', async () => {
  const dir = variant('ldb-truncated', (d) => {
    for (const f of only(d, /\.(ldb|sst)$/)) fs.truncateSync(f, 4000);
  });
  const e = await refused(dir);
  if (process.env.SHOW_ERRORS) console.log(`\n    ${e.message}`);
  assert.instance(e, StoreCorruptError);
  assert.match(e.message, /\d+\.ldb/);
});

t('a missing table file of the current version is refused, naming the MANIFEST and the file', async () => {
  const dir = variant('ldb-missing', (d) => {
    for (const f of only(d, /\.(ldb|sst)$/)) fs.rmSync(f);
  });
  const e = await refused(dir);
  if (process.env.SHOW_ERRORS) console.log(`\n    ${e.message}`);
  assert.instance(e, StoreCorruptError);
  assert.match(e.message, /MANIFEST-\d+: names table \d{6}\.ldb of the current version, which does not exist/);
});

t('a damaged MANIFEST record is named', async () => {
  const dir = variant('manifest', (d) => {
    for (const f of only(d, /^MANIFEST-\d+$/)) flip(f, (n) => Math.floor(n / 2), 2);
  });
  const e = await refused(dir);
  if (process.env.SHOW_ERRORS) console.log(`\n    ${e.message}`);
  assert.instance(e, StoreCorruptError);
  assert.match(e.message, /MANIFEST-\d+ fails its record check at offset \d+/);
});

t('a damaged or dangling CURRENT is named', async () => {
  const e1 = await refused(variant('current-garbage', (d) => fs.writeFileSync(path.join(d, 'CURRENT'), 'MANIFEST-')));
  assert.instance(e1, StoreCorruptError);
  assert.match(e1.message, /CURRENT: fails its check/);
  const e2 = await refused(variant('current-dangling', (d) => fs.writeFileSync(path.join(d, 'CURRENT'), 'MANIFEST-999999\n')));
  assert.match(e2.message, /CURRENT: names MANIFEST-999999, which does not exist/);
});

t('a damaged record in the write-ahead log is named (LevelDB alone would drop it silently)', async () => {
  let file = '';
  const dir = variant('wal', (d) => {
    file = only(d, /^\d+\.log$/).find((f) => fs.statSync(f).size > 0)!;
    assert.ok(file, 'no write-ahead log with records');
    flip(file, (n) => Math.floor(n / 2), 4);
  });
  const e = await refused(dir);
  if (process.env.SHOW_ERRORS) console.log(`\n    ${e.message}`);
  assert.instance(e, StoreCorruptError);
  assert.ok(e.message.includes(path.basename(file)), e.message);
  assert.match(e.message, /fails its record check at offset \d+: CRC32C mismatch/);
});

t('a refused store is left as it was: LevelDB never opens it behind the check (refused again on the next start)', async () => {
  // abstract-level opens a new database by itself one microtask after construction; had the
  // store let that happen, LevelDB would open the damaged store after the check refused it,
  // silently drop the damaged log record, write what it kept into a table and a new
  // MANIFEST, and the next start would find a "sound" store with acknowledged batches gone.
  const dir = variant('wal-twice', (d) => {
    const f = only(d, /^\d+\.log$/).find((x) => fs.statSync(x).size > 0)!;
    flip(f, (n) => Math.floor(n / 2), 4);
  });
  const storeDir = path.join(dir, 'store');
  const snapshot = () =>
    fs
      .readdirSync(storeDir)
      .filter((f) => f !== 'LOCK' && f !== 'LOG' && f !== 'LOG.old')
      .sort()
      .map((f) => `${f} ${crypto.createHash('sha256').update(fs.readFileSync(path.join(storeDir, f))).digest('hex')}`);
  const before = snapshot();
  assert.instance(await refused(dir), StoreCorruptError);
  await new Promise((r) => setTimeout(r, 300)); // time for a background open to run
  assert.equal(snapshot(), before, 'the refused store was changed after the refusal');
  const e = await refused(dir);
  assert.instance(e, StoreCorruptError);
  assert.match(e.message, /fails its record check at offset \d+: CRC32C mismatch/);
});

t('an incomplete last log record (a write cut short by a crash) is not corruption', async () => {
  const dir = variant('wal-torn', (d) => {
    const f = only(d, /^\d+\.log$/).find((x) => fs.statSync(x).size > 0)!;
    fs.truncateSync(f, fs.statSync(f).size - 100);
  });
  const s = await startServer(dir, { port: 0, host: '127.0.0.1', logLevel: 'silent', verifyThreads: 0, verifyStore: true });
  // The last batch (of 20) is cut off: the log restarts at the batch before it.
  assert.ok(s.log.size < size && s.log.size >= size - 20, `size ${s.log.size}, was ${size}`);
  await s.close();
});

t('an entry rewritten in the middle (files sound) passes the start checks; cotc audit --data names it', async () => {
  const dir = variant('entry-middle', () => {});
  const seq = 300;
  const store = new LevelStore(path.join(dir, 'store'));
  await store.open();
  const key = 'e/' + seq.toString(16).padStart(16, '0');
  const v = (await store.db.get(key))!;
  const s = new TextDecoder().decode(v).replace(/"channel":"c"/, '"channel":"x"');
  await store.db.put(key, new TextEncoder().encode(s));
  await store.close();
  // Start checks look at the head, the tree and the last entry only: this one starts.
  const srv = await startServer(dir, { port: 0, host: '127.0.0.1', logLevel: 'silent', verifyThreads: 0, verifyStore: true });
  await srv.close();
  const out: string[] = [];
  const code = await auditCommand({ data: dir, state: path.join(base, 'audit-state.json') }, (l) => out.push(l), (l) => out.push(l));
  assert.is(code, 1, out.join('\n'));
  assert.match(out.join('\n'), new RegExp(`\\b${seq}\\b`));
});

t.run();

// ---- A close mid-compaction (issue 9, "Start-up must not call a healthy store corrupt") ----
// A normal close stops a running background compaction in the middle of its output file
// (LevelDB's ~DBImpl: "Deleting DB during compaction"): that table has no footer, and it is
// not part of the current version (the MANIFEST never named it). LevelDB deletes it when it
// next opens the store. The old start-up check read every *.ldb in the directory and
// refused such a store as corrupt. Now only the files the current version names are checked.
const mid = suite('a close mid-compaction is not corruption');

/** A table file with a footer: its last 8 bytes are LevelDB's table magic number. */
function hasFooter(file: string): boolean {
  const b = fs.readFileSync(file);
  return b.length >= 48 && b.readUInt32LE(b.length - 8) === 0x8b80fb57 && b.readUInt32LE(b.length - 4) === 0xdb477524;
}

mid('closing mid-compaction 20 times: every start succeeds, the half-written tables are garbage LevelDB deletes', async () => {
  const base2 = tempDir('cotc-midcompact-');
  const dir = path.join(base2, 'store');
  try {
    let cutShort = 0; // rounds that left a footerless table behind
    for (let round = 0; round < 20; round++) {
      // Small memtables (64 KiB) so ~2 MiB of writes flush many level-0 tables and start
      // background compactions; then close at once, while one is running.
      const db = new Level<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view', writeBufferSize: 64 * 1024 } as never);
      await db.open();
      for (let b = 0; b < 25; b++) {
        await db.batch(Array.from({ length: 200 }, () => ({ type: 'put' as const, key: `k/${crypto.randomBytes(8).toString('hex')}`, value: crypto.randomBytes(400) })));
      }
      // No db.compactRange here: classic-level counts a manual compaction as work that
      // close() waits for, so it always completes. The background compactions that the
      // flushes start are what a close cuts short.
      await db.close();
      const v = verifyLevelFiles(dir)!;
      const garbage = v.ignored.filter((f) => /\.(ldb|sst)$/.test(f));
      if (garbage.some((f) => !hasFooter(path.join(dir, f)))) cutShort++;
      for (const f of v.checked.filter((x) => /\.ldb$/.test(x))) assert.ok(hasFooter(path.join(dir, f)), `live table ${f} has no footer`);
      // The start-up path: the file checks, then LevelDB's own open.
      // A file's identity: its contents and its modification time (LevelDB rewrites a file
      // under a reused number with O_TRUNC, so the inode alone does not tell).
      const digest = (f: string) =>
        `${fs.statSync(path.join(dir, f), { bigint: true }).mtimeNs} ${crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex')}`;
      const ignored = new Map(v.ignored.map((f) => [f, digest(f)]));
      const store = new LevelStore(dir, { verifyFiles: true });
      await store.open(); // the old check threw StoreCorruptError here: "table NNNNNN.ldb fails the check of its footer magic number"
      // LevelDB deleted what the check ignored. It may have written a new file under the same
      // number since (numbers past the MANIFEST's next-file number are handed out again, and
      // replaying the same log gives the very same level-0 table), so a file counts as kept
      // only if it is the same file, untouched.
      for (const [f, d] of ignored) {
        assert.not.ok(fs.existsSync(path.join(dir, f)) && digest(f) === d, `LevelDB kept ${f}, which the check ignored as garbage`);
      }
      await store.close(); // LevelDB's open may itself have scheduled a compaction: closed mid-way too
    }
    if (process.env.SHOW_ERRORS) console.log(`\n    ${cutShort} of 20 closes cut a compaction short`);
    // Otherwise this test could not fail on the old check.
    assert.ok(cutShort >= 3, `only ${cutShort} of 20 closes cut a compaction short`);
  } finally {
    fs.rmSync(base2, { recursive: true, force: true });
  }
});

mid('real damage to a live table is still refused while half-written garbage beside it is ignored', async () => {
  const base2 = tempDir('cotc-midcompact-');
  const dir = path.join(base2, 'store');
  try {
    let v: ReturnType<typeof verifyLevelFiles> = null;
    for (let round = 0; round < 20; round++) {
      const db = new Level<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view', writeBufferSize: 64 * 1024 } as never);
      await db.open();
      for (let b = 0; b < 25; b++) {
        await db.batch(Array.from({ length: 200 }, () => ({ type: 'put' as const, key: `k/${crypto.randomBytes(8).toString('hex')}`, value: crypto.randomBytes(400) })));
      }
      await db.close();
      v = verifyLevelFiles(dir)!;
      if (v.ignored.some((f) => /\.ldb$/.test(f) && !hasFooter(path.join(dir, f)))) break;
      v = null;
    }
    assert.ok(v, 'no close left a half-written table in 20 tries');
    const live = v.checked.filter((f) => /\.ldb$/.test(f));
    assert.ok(live.length > 0);
    const copy = (name: string, mutate: (d: string) => void) => {
      const d = path.join(base2, name);
      fs.cpSync(dir, d, { recursive: true });
      mutate(d);
      return d;
    };
    const bad = copy('bad', (d) => flip(path.join(d, live[0]!), (n) => Math.floor(n / 3)));
    const e = await new LevelStore(bad, { verifyFiles: true }).open().then(() => null, (x: Error) => x);
    assert.instance(e, StoreCorruptError);
    assert.ok(e!.message.includes(live[0]!), e!.message);
    // A live write-ahead log record damaged: refused too.
    const logs = v.checked.filter((f) => /\.log$/.test(f) && fs.statSync(path.join(dir, f)).size > 64);
    if (logs.length > 0) {
      const bad2 = copy('bad-log', (d) => flip(path.join(d, logs[0]!), () => 20, 4));
      const e2 = await new LevelStore(bad2, { verifyFiles: true }).open().then(() => null, (x: Error) => x);
      assert.instance(e2, StoreCorruptError);
    }
    // The sound copy opens.
    const good = new LevelStore(copy('good', () => {}), { verifyFiles: true });
    await good.open();
    await good.close();
  } finally {
    fs.rmSync(base2, { recursive: true, force: true });
  }
});

mid('the checked files are those LevelDB keeps: a MANIFEST that is not CURRENT and an old log are ignored', async () => {
  const base2 = tempDir('cotc-midcompact-');
  const dir = path.join(base2, 'store');
  try {
    const store = new LevelStore(dir, { verifyFiles: true });
    await store.open();
    await store.db.put('a', new Uint8Array([1]));
    await store.close();
    const v = verifyLevelFiles(dir)!;
    // Garbage of the kinds LevelDB deletes at open: an older MANIFEST, a log below the
    // version's log number, a table the version does not name; all unreadable.
    const oldManifest = `MANIFEST-${String(Number(v.live.manifest.slice(9)) - 1).padStart(6, '0')}`;
    fs.writeFileSync(path.join(dir, oldManifest), 'not a manifest');
    const oldLog = `${String(v.live.logNumber - 1).padStart(6, '0')}.log`;
    assert.ok(v.live.logNumber > 1 && v.live.prevLogNumber === 0, JSON.stringify(v.live));
    fs.writeFileSync(path.join(dir, oldLog), Buffer.alloc(100, 0xff));
    fs.writeFileSync(path.join(dir, '999990.ldb'), 'half a table');
    const w = verifyLevelFiles(dir)!;
    assert.ok(w.ignored.includes(oldManifest) && w.ignored.includes(oldLog) && w.ignored.includes('999990.ldb'), w.ignored.join(' '));
    const s2 = new LevelStore(dir, { verifyFiles: true });
    await s2.open();
    assert.equal([...(await s2.db.get('a'))!], [1]);
    await s2.close();
    for (const f of [oldManifest, oldLog, '999990.ldb']) assert.not.ok(fs.existsSync(path.join(dir, f)), `LevelDB deletes the garbage ${f} at open`);
  } finally {
    fs.rmSync(base2, { recursive: true, force: true });
  }
});

mid.run();
