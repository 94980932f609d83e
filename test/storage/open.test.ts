// openStore(spec) (src/storage/open.ts): one function chooses the backend; a typo never
// becomes a LevelDB directory; a password never reaches a message or a state file; the
// PostgreSQL backend is loaded only for a postgres:// spec. And `--store` end to end:
// serve with the keys in --data and the log elsewhere, audit --store, and the refusal to
// make a new log key for a store that already holds a log.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeStore, migrateStore, openStore, parseStoreSpec, storeIdentity, StoreSpecError } from '../../src/storage/open.ts';
import { isMigratable } from '../../src/storage/types.ts';
import { LevelStore } from '../../src/storage/level.ts';
import { MemoryStore } from '../../src/storage/memory.ts';
import { KeyFileError } from '../../src/log/datadir.ts';
import { auditCommand } from '../../src/cli/audit.ts';
import { parseSignerKey } from '@cotc/tlog';
import { testServer, tempDir } from '../helpers/server.ts';

const hasPostgres = fs.existsSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/storage/postgres.ts'));

test('a spec names its backend', () => {
  assert.equal(parseStoreSpec('/var/lib/cotc/store'), { kind: 'level', target: '/var/lib/cotc/store' });
  assert.equal(parseStoreSpec('data/store'), { kind: 'level', target: 'data/store' });
  assert.equal(parseStoreSpec('level:data/store'), { kind: 'level', target: 'data/store' });
  assert.equal(parseStoreSpec('file:///tmp/x'), { kind: 'level', target: '/tmp/x' });
  assert.equal(parseStoreSpec('C:\\cotc\\store'), { kind: 'level', target: 'C:\\cotc\\store' });
  assert.equal(parseStoreSpec('postgres://u@h:5432/db'), { kind: 'postgres', target: 'postgres://u@h:5432/db' });
  assert.equal(parseStoreSpec('PostgreSQL://u@h/db'), { kind: 'postgres', target: 'PostgreSQL://u@h/db' });
  assert.equal(parseStoreSpec('memory:'), { kind: 'memory', target: '' });
});

test('a spec no backend takes is refused, naming it', () => {
  for (const [spec, re] of [
    ['', /expected a directory or a URL/],
    ['postgress://u@h/db', /unknown scheme "postgress:"/],
    ['mysql://u:hunter2@h/db', /unknown scheme "mysql:"/],
    ['memory:x', /takes nothing after the colon/],
    ['level:', /needs a directory/],
  ] as const) {
    const e = (() => {
      try {
        parseStoreSpec(spec);
        return null;
      } catch (x) {
        return x as Error;
      }
    })();
    assert.instance(e, StoreSpecError, spec);
    assert.match(e!.message, re);
    assert.not.match(e!.message, /hunter2/);
  }
});

test('a password never reaches a message or an identity', () => {
  assert.is(describeStore('postgres://cotc:hunter2@db.example:5432/ledger'), 'postgres://cotc:***@db.example:5432/ledger');
  assert.is(describeStore('postgres://cotc@db.example/ledger'), 'postgres://cotc@db.example/ledger');
  assert.is(describeStore('/a/dir'), '/a/dir');
  assert.is(storeIdentity('postgres://cotc:hunter2@db.example:5432/ledger'), 'postgres://cotc@db.example:5432/ledger');
  assert.is(storeIdentity('rel/dir'), 'file://' + path.resolve('rel/dir'));
});

test('openStore constructs the backend the spec names, not opened', async () => {
  const dir = tempDir();
  const l = await openStore(path.join(dir, 's'));
  assert.instance(l, LevelStore);
  assert.is((l as LevelStore).verifyFiles, false);
  assert.not.ok(fs.existsSync(path.join(dir, 's')), 'constructed, not opened');
  assert.is(((await openStore(`level:${dir}/t`, { verifyFiles: true })) as LevelStore).verifyFiles, true);
  const m = await openStore('memory:');
  assert.instance(m, MemoryStore);
  assert.is.not(m, await openStore('memory:'), 'each memory: store is a new one');
});

test('postgres:// loads the PostgreSQL backend, or says it is not available', async () => {
  const r = await openStore('postgres://cotc:hunter2@127.0.0.1:1/none').then(
    (s) => s,
    (e: Error) => e,
  );
  if (hasPostgres) {
    assert.type((r as { commit?: unknown }).commit, 'function');
    assert.ok(isMigratable(r as never), 'a PostgreSQL store has schema migrations');
  } else {
    assert.instance(r, StoreSpecError);
    assert.match((r as Error).message, /PostgreSQL backend not available/);
    assert.not.match((r as Error).message, /hunter2/);
  }
});

test('migrateStore: a backend without schema migrations has nothing to do, and is not touched', async () => {
  const dir = path.join(tempDir(), 'none');
  assert.is(await migrateStore(dir), null);
  assert.is(await migrateStore('memory:'), null);
  assert.not.ok(fs.existsSync(dir));
  assert.not.ok(isMigratable(await openStore(dir)));
  await migrateStore('bogus://x').then(
    () => assert.unreachable('migrated an unknown scheme'),
    (e: Error) => assert.instance(e, StoreSpecError),
  );
});

test('--store: keys in --data, the log elsewhere; audit --store; no new key for a store holding a log', async () => {
  const keys = tempDir();
  const storeDir = path.join(tempDir(), 'elsewhere');
  const s = await testServer(keys, { store: storeDir });
  const size = s.log.size;
  await s.close();
  assert.ok(size >= 1);
  assert.not.ok(fs.existsSync(path.join(keys, 'store')), 'the data directory holds only the keys');
  assert.ok(fs.existsSync(path.join(storeDir, 'CURRENT')), 'the log is in --store');
  const logKey = parseSignerKey(fs.readFileSync(path.join(keys, 'log.key'), 'utf8').trim()).verifierKey;

  const lines: string[] = [];
  const out = (l: string) => lines.push(l);
  const state = path.join(tempDir(), 'state.json');
  assert.is(await auditCommand({ store: storeDir, state }, out, out), 2, 'no key given, none remembered');
  assert.match(lines.join('\n'), /give --log-key KEY, or --data DIR/);
  assert.is(await auditCommand({ store: storeDir, logKey, state }, out, out), 0, lines.join('\n'));
  assert.match(lines.join('\n'), new RegExp(`clean\\. ${size} entries replayed`));
  // Remembered now, under the store's identity: no key needed the second time.
  assert.is(await auditCommand({ store: storeDir, state }, out, out), 0, lines.join('\n'));
  assert.is(await auditCommand({ data: keys, store: storeDir, state }, out, out), 0, lines.join('\n'));
  assert.is(await auditCommand({ server: 'http://127.0.0.1:1', store: storeDir, state }, out, out), 2);
  assert.is(await auditCommand({ store: 'postgress://x@y/z', logKey, state }, out, out), 2);

  // The keys are lost but the store holds a log: refused, and no key file is written.
  const fresh = tempDir();
  const e = await testServer(fresh, { store: storeDir }).then(
    (x) => x.close().then(() => null),
    (x: Error) => x,
  );
  assert.instance(e, KeyFileError);
  assert.match(e!.message, new RegExp(`holds a log of ${size} entries`));
  assert.not.ok(fs.existsSync(path.join(fresh, 'log.key')));
});

test.run();
