// The storage conformance suite (test/storage/conformance.ts) on the embedded backends:
// memory and LevelDB (postgres.test.ts runs it on PostgreSQL), and what only LevelDB has.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { MemoryStore } from '../../src/storage/memory.ts';
import { LevelStore } from '../../src/storage/level.ts';
import { conformance } from './conformance.ts';
import { tempDir } from '../helpers/server.ts';

const enc = new TextEncoder();

conformance('memory', () => ({ store: new MemoryStore() }));

conformance('level', () => {
  const dir = path.join(tempDir(), 'store');
  const store = new LevelStore(dir);
  return {
    store,
    reopen: () => new LevelStore(dir),
    // Behind the store's back, on its open handle (the key layout: level.ts).
    removeEntry: (seq) => store.db.del('e/' + seq.toString(16).padStart(16, '0')),
    cleanup: async () => fs.rmSync(path.dirname(dir), { recursive: true, force: true }),
  };
});

// LevelDB specifics: the data directory is really on disk, and a foreign store is refused.
const lv = suite('storage: level specifics');
lv('refuses a directory whose format marker is not ours', async () => {
  const dir = path.join(tempDir(), 'store');
  const s = new LevelStore(dir);
  await s.open();
  await s.db.put('m', enc.encode('{"format":"other","version":9}'));
  await s.close();
  assert.ok(fs.existsSync(dir));
  const again = new LevelStore(dir);
  try {
    await again.open();
    assert.unreachable('opened a foreign store');
  } catch (e) {
    assert.match((e as Error).message, /unknown store format/);
  } finally {
    await again.close().catch(() => {});
  }
});
lv.run();
