// Sequencer.follow() (a reader adopting the head another process commits, src/log/leader.ts):
// the head is checked as load() checks it (one #checkHead), and only when it moved — an
// unmoved head costs one head() read, no tile or entry read, no tree hash.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKey } from '@cotc/tlog';
import { LogService } from '../../src/log/service.ts';
import { MemoryStore } from '../../src/storage/memory.ts';
import { StoreCorruptError, type LogStore } from '../../src/storage/types.ts';
import { ev, newOrg, type Org } from '../helpers/events.ts';

const logKey = generateKey('test.example/log').signerKey;
const opKey = generateKey('operator');
const operator: Org = { id: 'operator', signerKey: opKey.signerKey, verifierKey: opKey.verifierKey };
const reg = (o: Org) => ev(operator, 'org.register', { org: o.id, name: o.id, roles: ['charity'], keys: [o.verifierKey] });

/** The reader's view of the shared store: counts its tile and entry reads, and can flip a
 * byte of every entry it reads. */
function readerView(store: MemoryStore) {
  const seen = { tiles: 0, entries: 0, flip: false };
  const view = new Proxy(store, {
    get(t, p) {
      if (p === 'readTiles') return (...a: Parameters<LogStore['readTiles']>) => (seen.tiles++, t.readTiles(...a));
      if (p === 'entries')
        return async (...a: Parameters<LogStore['entries']>) => {
          seen.entries++;
          const es = await t.entries(...a);
          return seen.flip ? es.map((e) => Uint8Array.from(e, (b, i) => (i === 10 ? b ^ 1 : b))) : es;
        };
      const v = Reflect.get(t, p, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
  return { view: view as LogStore, seen };
}

test('follow(): nothing read for an unmoved head; a new head is checked and adopted', async () => {
  const store = new MemoryStore();
  const writer = await LogService.open({ store, logKey, operatorKey: operator.signerKey });
  const { view, seen } = readerView(store);
  const reader = await LogService.open({ store: view, logKey });
  assert.is(reader.size, 1);
  seen.tiles = seen.entries = 0;
  for (let i = 0; i < 3; i++) assert.is(await reader.follow(), false);
  assert.equal(seen, { tiles: 0, entries: 0, flip: false }, 'an unmoved head reads no tile and no entry');

  assert.is((await writer.submit(reg(newOrg('a')))).status, 201);
  assert.is(await reader.follow(), true);
  assert.is(reader.size, 2);
  assert.is(reader.committedHead().checkpoint, writer.committedHead().checkpoint);
  assert.ok(seen.entries > 0, 'the new head was checked against its last entry');
  await writer.close();
});

test('follow(): a new head whose last entry does not hash to its leaf is refused, not adopted', async () => {
  const store = new MemoryStore();
  const writer = await LogService.open({ store, logKey, operatorKey: operator.signerKey });
  const { view, seen } = readerView(store);
  const reader = await LogService.open({ store: view, logKey });
  assert.is((await writer.submit(reg(newOrg('b')))).status, 201);
  seen.flip = true;
  try {
    await reader.follow();
    assert.unreachable('follow() adopted a head with a tampered last entry');
  } catch (e) {
    assert.instance(e, StoreCorruptError);
    assert.match((e as Error).message, /does not hash to its leaf/);
  }
  assert.is(reader.size, 1);
  seen.flip = false;
  assert.is(await reader.follow(), true);
  assert.is(reader.size, 2);
  await writer.close();
});

test.run();
