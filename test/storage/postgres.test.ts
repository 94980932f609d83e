// The PostgreSQL backend against a real server (issue 14 §1, §4): the conformance suite
// every backend runs (test/storage/conformance.ts), then what only PostgreSQL has: versioned migrations that refuse a newer
// schema, the head's compare-and-swap (a second writer is fenced and appends nothing, a
// claimed term fences the one before it), a batch as one transaction, reads from a
// streaming replica, and the log service under injected faults on this store.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import pg from 'pg';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKey } from '@cotc/tlog';
import { PgStore, SCHEMA_VERSION, StoreFencedError, StoreSchemaError } from '../../src/storage/postgres.ts';
import { FaultyStore } from '../../src/storage/faulty.ts';
import { LogService } from '../../src/log/service.ts';
import type { LogStore } from '../../src/storage/types.ts';
import { freshDatabase, pgServers } from '../helpers/postgres.ts';
import { batch, conformance } from './conformance.ts';
import { tempDir, testServer } from '../helpers/server.ts';
import { ev, newOrg, type Org } from '../helpers/events.ts';

const servers = await pgServers();

async function make(): Promise<{ store: PgStore; url: string; replicaUrl: string | null; reopen: () => PgStore }> {
  const db = await freshDatabase(servers!);
  return { store: new PgStore(db.url), url: db.url, replicaUrl: db.replicaUrl, reopen: () => new PgStore(db.url) };
}

async function sql(url: string, text: string, values: unknown[] = []) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text, values);
  } finally {
    await c.end();
  }
}

// The conformance suite every backend runs (test/storage/conformance.ts), each case on a
// database of its own; an entry is lost behind the store's back by deleting its row.
if (servers) {
  conformance('postgres', async () => {
    const { store, url, reopen } = await make();
    return {
      store,
      reopen,
      removeEntry: async (seq: number) => {
        await sql(url, 'DELETE FROM entries WHERE seq = $1', [seq]);
      },
    };
  });
}

const p = suite('storage: postgres specifics');

p('migrations are versioned, applied once, and a newer schema is refused', async () => {
  const { store, url, reopen } = await make();
  await store.open();
  assert.is(await store.schemaVersion(), SCHEMA_VERSION);
  await store.close();
  // Two processes starting at once migrate once (the advisory lock), and reopening applies nothing.
  const [a, b] = [reopen(), reopen()];
  await Promise.all([a.open(), b.open()]);
  const rows = (await sql(url, 'SELECT version FROM schema_version ORDER BY version')).rows.map((r) => r.version);
  assert.equal(rows, Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
  await Promise.all([a.close(), b.close()]);
  await sql(url, 'INSERT INTO schema_version (version) VALUES ($1)', [SCHEMA_VERSION + 1]);
  const newer = reopen();
  try {
    await newer.open();
    assert.unreachable('opened a database of a newer schema');
  } catch (e) {
    assert.instance(e, StoreSchemaError);
    assert.match((e as Error).message, new RegExp(`schema version ${SCHEMA_VERSION + 1}, newer`));
  }
  // migrate: false refuses a database behind this code instead of changing it.
  const empty = await freshDatabase(servers!);
  try {
    await new PgStore(empty.url, { migrate: false }).open();
    assert.unreachable('migrate:false opened an unmigrated database');
  } catch (e) {
    assert.instance(e, StoreSchemaError);
    assert.match((e as Error).message, /cotc migrate/);
  }
  assert.is((await sql(empty.url, `SELECT to_regclass('head') AS t`)).rows[0].t, null);
});

p('two writers on one head: the compare-and-swap lets one through, the other is fenced and appends nothing', async () => {
  const { store: a, reopen } = await make();
  const b = reopen();
  await a.open();
  await b.open();
  await a.commit(batch(0, 2));
  // b last read the empty head: its commit names size 0, which is gone.
  let fenced: StoreFencedError | null = null;
  const b2 = new PgStore(b.url, { onFenced: (e) => (fenced = e) });
  await b2.open(); // reads size 2
  await b.commit(batch(0, 3)).then(
    () => assert.unreachable('a stale writer appended'),
    (e) => assert.instance(e, StoreFencedError),
  );
  assert.equal(await a.head(), { size: 2, checkpoint: 'cp 2\n' });
  assert.is((await a.entries(0, 10)).length, 2);
  assert.is(await a.seqOf('ev-2'), undefined);
  // Racing from the same head: exactly one of them commits.
  const results = await Promise.allSettled([a.commit(batch(2, 1)), b2.commit(batch(2, 2))]);
  assert.is(results.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(results.map((r) => r.status)));
  const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  assert.instance(lost.reason, StoreFencedError);
  const h = (await a.head())!;
  assert.ok(h.size === 3 || h.size === 4);
  assert.is((await a.entries(0, 10)).length, h.size);
  if (h.size === 3) assert.ok(fenced, 'onFenced was called');
  for (const s of [a, b, b2]) await s.close();
});

p('a claimed term fences the previous sequencer even at the same size and root', async () => {
  const { store: old, reopen } = await make();
  await old.open();
  await old.claim();
  await old.commit(batch(0, 2));
  const next = reopen();
  await next.open();
  const term = await next.claim();
  assert.is(term, old.term! + 1n);
  // The old one wakes and commits from the head it knew (nothing moved it): still fenced.
  await old.commit(batch(2, 1)).then(
    () => assert.unreachable('the old sequencer appended after a new term was claimed'),
    (e) => assert.instance(e, StoreFencedError),
  );
  assert.is((await next.head())!.size, 2);
  await next.commit(batch(2, 1));
  assert.is((await next.head())!.size, 3);
  await old.close();
  await next.close();
});

p('a batch is one transaction: a failure half-way leaves nothing of it', async () => {
  const { store, url } = await make();
  await store.open();
  await store.commit(batch(0, 2));
  // ev-0 already exists: the ids insert fails after the head, entries and tiles statements.
  const dup = batch(2, 2, { ids: [['ev-2', 2], ['ev-0', 3]] });
  await store.commit(dup).then(
    () => assert.unreachable('a batch with a duplicate id committed'),
    (e) => assert.match(String(e), /duplicate key/),
  );
  assert.is((await store.head())!.size, 2);
  assert.is((await sql(url, 'SELECT count(*)::int AS n FROM entries')).rows[0].n, 2);
  assert.is(await store.checkpointAt(4), undefined);
  const [tile] = await store.readTiles([{ l: 0, n: 0 }]);
  assert.is(tile!.length, 64);
  await store.commit(batch(2, 2));
  assert.is((await store.head())!.size, 4);
  await store.close();
});

p('a streaming replica serves what the primary committed, read-only', async () => {
  const { store, replicaUrl } = await make();
  if (!replicaUrl) return console.error('*** SKIPPED: no replica (COTC_PG_REPLICA_URL unset) ***');
  await store.open();
  await store.commit(batch(0, 3));
  const r = new PgStore(replicaUrl, { readOnly: true });
  // The database was just created on the primary: wait for the replica to replay it.
  for (let i = 0; ; i++) {
    try {
      await r.open();
      if ((await r.head())?.size === 3) break;
    } catch (e) {
      if (i > 200) throw e;
    }
    await r.close().catch(() => {});
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.equal(await r.head(), { size: 3, checkpoint: 'cp 3\n' });
  assert.is((await r.entries(0, 10)).length, 3);
  await r.commit(batch(3, 1)).then(
    () => assert.unreachable('committed through a read-only store'),
    (e) => assert.match(String(e), /read-only/),
  );
  await r.close();
  await store.close();
});

// The log service on this store under the injected faults of test/log/faults.test.ts.
const f = suite('postgres: the log service under injected faults');
const logKey = generateKey('test.example/log').signerKey;
const opKey = generateKey('operator');
const operator: Org = { id: 'operator', signerKey: opKey.signerKey, verifierKey: opKey.verifierKey };
const reg = (o: Org) => ev(operator, 'org.register', { org: o.id, name: o.id, roles: ['charity'], keys: [o.verifierKey] });
const openLog = (store: LogStore) => LogService.open({ store, logKey, operatorKey: operator.signerKey, verifyThreads: 0 } as never);

f('failed and not persisted: 503, nothing appended, the retry is appended once', async () => {
  const { store: inner } = await make();
  const store = new FaultyStore(inner);
  const log = await openLog(store);
  store.inject('fail-not-persisted');
  const e = reg(newOrg('a'));
  assert.is((await log.submit(e)).status, 503);
  assert.is(log.size, 1);
  assert.is(await log.org('a'), undefined);
  assert.is((await log.submit(e)).status, 201);
  assert.is((await log.submit(e)).status, 200);
  assert.is(log.size, 2);
  await log.close();
});

f('failed but persisted: the service finds the write and acknowledges it', async () => {
  const { store: inner } = await make();
  const store = new FaultyStore(inner);
  const log = await openLog(store);
  store.inject('fail-persisted');
  const e = reg(newOrg('b'));
  assert.is((await log.submit(e)).status, 201);
  assert.is(log.size, 2);
  assert.is((await log.submit(e)).status, 200);
  await log.close();
});

f('a store that is down refuses writes with 503 and recovers when it heals', async () => {
  const { store: inner } = await make();
  const store = new FaultyStore(inner);
  const log = await openLog(store);
  store.inject('down');
  const e = reg(newOrg('c'));
  assert.is((await log.submit(e)).status, 503);
  assert.ok(log.broken);
  store.heal();
  assert.is((await log.submit(e)).status, 201);
  assert.is(log.broken, null);
  assert.is(log.size, 2);
  await log.close();
});

f('the log reopens on the database, and a tampered tile is named at open', async () => {
  const { store, url, reopen } = await make();
  const log = await openLog(store);
  for (const o of ['e', 'f', 'g']) assert.is((await log.submit(reg(newOrg(o)))).status, 201);
  await log.close();
  const again = await openLog(reopen());
  assert.is(again.size, 4);
  assert.ok(await again.org('g'));
  await again.close();
  await sql(url, `UPDATE tiles SET data = set_byte(data, 0, get_byte(data, 0) # 1) WHERE l = 0 AND n = 0`);
  await openLog(reopen()).then(
    () => assert.unreachable('opened a tampered store'),
    (e) => assert.match((e as Error).message, /root/),
  );
});

// `serve --data DIR --store URL` and `cotc migrate --store URL`.
const sv = suite('postgres: serve --store and cotc migrate');
const here = path.dirname(fileURLToPath(import.meta.url));
const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(here, '..', '..', 'src', 'cli', 'main.ts'), ...args], { encoding: 'utf8' });

sv('a server on the database: DIR gets the keys with entry 0, a restart serves what was written, a DIR without keys is refused', async () => {
  const db = await freshDatabase(servers!);
  const dir = tempDir();
  let s = await testServer(dir, { store: db.url, verifyThreads: 0 });
  assert.ok(fs.existsSync(path.join(dir, 'log.key')));
  assert.not.ok(fs.existsSync(path.join(dir, 'store')), 'no LevelDB store beside the keys');
  const op: Org = { id: 'operator', signerKey: s.operatorKey, verifierKey: '' };
  const r = await s.client.post(ev(op, 'fund.open', { fund: 'pgf', name: 'PG fund', currency: 'CNY', restricted: false, purpose: 'testing' }));
  assert.is(r.status, 201);
  await s.close();
  s = await testServer(dir, { store: db.url, verifyThreads: 0 });
  assert.is(s.log.size, 2);
  assert.is((await s.client.get<{ id: string }>('/v1/funds/pgf')).id, 'pgf');
  await s.close();
  await testServer(tempDir(), { store: db.url, verifyThreads: 0 }).then(
    () => assert.unreachable('served an existing log with new keys'),
    (e) => assert.match((e as Error).message, /has no log\.key: copy the log's key files/),
  );
});

sv('cotc migrate: migrates an empty database once, refuses a newer schema with exit 2', async () => {
  const db = await freshDatabase(servers!);
  let r = cli(['migrate', '--store', db.url]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`migrated from schema version 0 to ${SCHEMA_VERSION}`));
  r = cli(['migrate', '--store', db.url]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /nothing to do/);
  await sql(db.url, 'INSERT INTO schema_version (version) VALUES ($1)', [SCHEMA_VERSION + 1]);
  r = cli(['migrate', '--store', db.url]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /newer than this cotc knows/);
  r = cli(['migrate', '--store', 'mysql://x']);
  assert.is(r.status, 2);
  assert.match(r.stderr, /url: expected postgres:/);
});

if (servers) {
  p.run();
  f.run();
  sv.run();
}
