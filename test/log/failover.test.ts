// Failover on PostgreSQL with real processes (issue 14 §2, §4): three `serve` processes on
// one database with the same key files. Under concurrent posters the sequencer is killed
// with SIGKILL again and again (FAILOVER_KILLS, default 10); each time another process
// takes over and the killed one comes back as a reader. After every takeover, every event
// acknowledged so far is in the log, and the tree is consistent with every checkpoint any
// process handed out (acknowledgements and /checkpoint reads of readers alike), as the
// LevelDB crash test (test/log/crash.test.ts) checks; at the end no event is in the log
// twice. Then fencing: a sequencer paused with SIGSTOP for longer than the takeover, woken
// with SIGCONT, appends nothing (its queued write answers 503) and steps down by itself.
// Then a reader on the streaming replica never serves a head the replica does not hold.
// Takeover times are printed (figures: README "More than one machine"), never asserted.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { CompactRange, hex, leafHash, openNote, parseCheckpoint, type Checkpoint } from '@cotc/tlog';
import { LedgerClient } from '../../src/client/client.ts';
import { tempDir } from '../helpers/server.ts';
import { cny, donor, ev, type Org } from '../helpers/events.ts';
import { kill, startChild } from '../helpers/child.ts';
import { freshDatabase, pgServers } from '../helpers/postgres.ts';

const servers = await pgServers();
const KILLS = Number(process.env.FAILOVER_KILLS ?? 10);
const POSTERS = 4;
const here = path.dirname(fileURLToPath(import.meta.url));
const child = path.join(here, '..', 'helpers', 'serve-child.ts');
/** a liveness bound, not a timing assertion: a takeover that never comes fails the test */
const TAKEOVER_DEADLINE_MS = 60_000;

interface Proc {
  proc: ChildProcess;
  url: string;
  client: LedgerClient;
}

/** every child started, killed after each test whatever happened */
const spawned: ChildProcess[] = [];

async function spawnServer(dir: string, opts: object): Promise<Proc> {
  const { proc, url } = await startChild(child, [dir, JSON.stringify({ verifyThreads: 0, rateLimit: false, web: false, ...opts })], 'server', 120_000);
  spawned.push(proc);
  return { proc, url, client: new LedgerClient(url) };
}

async function roleOf(p: Proc): Promise<string | null> {
  try {
    const r = await fetch(p.url + '/healthz', { signal: AbortSignal.timeout(2000) });
    return r.ok ? ((await r.json()) as { role: string }).role : null;
  } catch {
    return null;
  }
}

/** The process that sequences, polled among `ps` (a list, or a function giving the list at
 * each poll: a process restarting in the background may be the one that wins). */
async function sequencerOf(ps: Proc[] | (() => Proc[]), deadlineMs = TAKEOVER_DEADLINE_MS): Promise<Proc> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    for (const p of typeof ps === 'function' ? ps() : ps) if ((await roleOf(p)) === 'sequencer') return p;
    if (Date.now() > end) throw new Error(`no process sequences after ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function sql(url: string, text: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}

const t = suite('postgres failover: real processes');
t.after.each(async () => {
  for (const c of spawned.splice(0)) {
    if (c.signalCode === null && c.exitCode === null) c.kill('SIGCONT');
    await kill(c);
  }
});

t(`SIGKILL the sequencer ${KILLS} times under concurrent posters: another takes over, nothing acknowledged is lost or duplicated`, async () => {
  const db = await freshDatabase(servers!);
  const dir = tempDir('cotc-failover-');
  const opts = { store: db.url };
  const procs: Proc[] = [await spawnServer(dir, opts)];
  procs.push(await spawnServer(dir, opts), await spawnServer(dir, opts));
  const op: Org = { id: 'operator', signerKey: fs.readFileSync(path.join(dir, 'operator.key'), 'utf8').trim(), verifierKey: '' };
  let seq = await sequencerOf(procs);
  const logKey = (await seq.client.get<{ key: string }>('/v1/log')).key;
  assert.is((await seq.client.post(ev(op, 'fund.open', { fund: 'fo', name: 'Failover fund', currency: 'CNY', restricted: false, purpose: 'failover testing' }))).status, 201);

  const acked = new Map<string, number>(); // event id → seq acknowledged
  const seen = new Map<number, Checkpoint>(); // every checkpoint handed out, by size
  const see = (note: string) => {
    const c = parseCheckpoint(openNote(note, [logKey]).text);
    const had = seen.get(c.size);
    if (had) assert.equal(had.root, c.root, `two checkpoints of size ${c.size} with different roots`);
    seen.set(c.size, c);
  };
  let n = 0;
  let stop = false;
  let refused = 0;
  /** answers that are neither an acknowledgement nor 503 (there must be none) */
  const wrong: string[] = [];
  const poster = async (k: number) => {
    let at = k;
    while (!stop) {
      const p = procs[at % procs.length]!;
      const batch = Array.from({ length: 1 + (n % 5) }, () => {
        const id = `fo-${n++}`;
        return ev(op, 'donation', { fund: 'fo', amount: cny(1 + (n % 100)), donor: donor(id), channel: 'failover' }, id);
      });
      try {
        const r = await p.client.post(batch);
        if (r.status !== 200) {
          // A reader's 503 (or a dying sequencer's): try the next process.
          refused++;
          at++;
          continue;
        }
        for (const [i, x] of (r.body as Array<{ status: number; seq?: number; checkpoint?: string }>).entries()) {
          if (x.status === 201 || x.status === 200) {
            const had = acked.get(batch[i]!.id);
            assert.ok(had === undefined || had === x.seq, `${batch[i]!.id} acknowledged at ${had} and ${x.seq}`);
            acked.set(batch[i]!.id, x.seq!);
            see(x.checkpoint!);
          } else if (x.status !== 503) {
            wrong.push(`event ${batch[i]!.id} answered ${JSON.stringify(x)}`);
          }
        }
      } catch (e) {
        if (e instanceof assert.Assertion) throw e;
        at++; // the process died under us: nothing from this request was acknowledged
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  // Readers' heads are handed out too: watch /checkpoint on every process.
  const watcher = async () => {
    while (!stop) {
      for (const p of [...procs]) {
        try {
          see(await p.client.getText('/checkpoint'));
        } catch (e) {
          if (e instanceof assert.Assertion) throw e;
        }
      }
      await new Promise((r) => setTimeout(r, 30));
    }
  };
  const running = [...Array.from({ length: POSTERS }, (_, k) => poster(k)), watcher()];
  const takeovers: number[] = [];
  const restarts = new Set<Promise<void>>();
  let checked = 0;
  const checkedSizes = new Set<number>();
  let lastHead: Checkpoint | null = null;
  /** event id → seq of every entry read so far (from /v1/entries), and how far */
  const bySeq = new Map<string, number>();
  const range = new CompactRange();
  /** size → hex root of the first `size` entries served */
  const rootAt = new Map<number, string>();
  let indexed = 0;
  const indexTo = async (p: Proc, size: number) => {
    while (indexed < size) {
      const page = await p.client.get<{ entries: Array<{ index: number; data: string }> }>(`/v1/entries?start=${indexed}&limit=1000`);
      for (const e of page.entries) {
        const entry = JSON.parse(Buffer.from(e.data, 'base64').toString('utf8')) as { seq: number; event: { id: string } };
        assert.is(entry.seq, e.index);
        assert.is(bySeq.get(entry.event.id), undefined, `${entry.event.id} is in the log twice (${bySeq.get(entry.event.id)} and ${e.index})`);
        bySeq.set(entry.event.id, e.index);
        range.append(leafHash(Buffer.from(e.data, 'base64')));
        indexed = e.index + 1;
        rootAt.set(indexed, hex(range.root()));
      }
      if (page.entries.length === 0) throw new Error(`no entries served from ${indexed} though the head is ${size}`);
    }
  };
  try {
    for (let round = 0; round < KILLS; round++) {
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 400));
      // At least two live processes: one to kill, one to take over (restarts are slow on a
      // loaded machine, so they run in the background).
      while (procs.length < 2) await Promise.race(restarts);
      seq = await sequencerOf(procs);
      const before = acked.size;
      const t0 = Date.now();
      await kill(seq.proc);
      // Any live process may win, including one still restarting from an earlier round
      // (it joins `procs` once it listens), so the candidates are re-read at every poll.
      const next = await sequencerOf(() => procs.filter((p) => p !== seq));
      takeovers.push(Date.now() - t0);
      if (process.env.FAILOVER_DEBUG) console.error(`kill ${round + 1}: takeover ${takeovers[takeovers.length - 1]} ms, ${acked.size} acked`);
      // The killed one comes back, as a reader.
      procs.splice(procs.indexOf(seq), 1);
      const restart = spawnServer(dir, opts).then((p) => {
        procs.push(p);
        restarts.delete(restart);
      });
      restarts.add(restart);
      if (process.env.FAILOVER_DEBUG) console.error(`kill ${round + 1}: restarted`);
      // Every acknowledged event is there, at the seq it was acknowledged with (the log's
      // entries read in pages, each once), and the tree is consistent with every checkpoint
      // handed out: those since the last round, and the last round's head (consistency is
      // transitive, so each checkpoint needs checking once).
      const snapshot = [...acked];
      const pending = [...seen.values()].filter((c) => !checkedSizes.has(c.size));
      const now = parseCheckpoint(openNote(await next.client.getText('/checkpoint'), [logKey]).text);
      await indexTo(next, now.size);
      for (const [id, at] of snapshot) {
        assert.ok(bySeq.get(id) !== undefined, `acknowledged ${id} lost after kill ${round + 1}`);
        assert.is(bySeq.get(id), at, `${id} acknowledged at ${at}, in the log at ${bySeq.get(id)}`);
      }
      checked = snapshot.length;
      // The served entries hash to the served head, and to every checkpoint handed out of a
      // size they cover (so each is a prefix of this tree: consistent with it).
      assert.is(rootAt.get(now.size), hex(now.root), `the entries served do not hash to the head ${now.size}`);
      for (const c of [...pending, ...(lastHead ? [lastHead] : [])]) {
        if (c.size > now.size) continue; // handed out after `now` was read: next round
        checkedSizes.add(c.size);
        assert.is(rootAt.get(c.size), hex(c.root), `inconsistent with checkpoint ${c.size} after kill ${round + 1}`);
      }
      lastHead = now;
      assert.ok(acked.size >= before, 'acknowledgements went on');
      if (process.env.FAILOVER_DEBUG) console.error(`kill ${round + 1}: checked ${checked} acks, ${seen.size} checkpoints`);
    }
  } finally {
    stop = true;
    await Promise.allSettled(running);
  }
  await Promise.all(running);
  await Promise.all(restarts);
  assert.equal(wrong, []);
  const last = await sequencerOf(procs);
  const size = (await last.client.get<{ size: number }>('/v1/log')).size;
  // No event twice: one ids row per entry, and every entry's event id distinct.
  const [counts] = await sql(db.url, 'SELECT (SELECT count(*) FROM entries)::int AS entries, (SELECT count(*) FROM ids)::int AS ids, (SELECT count(DISTINCT id) FROM ids)::int AS distinct_ids');
  assert.equal(counts, { entries: size, ids: size, distinct_ids: size });
  await indexTo(last, size);
  const final = parseCheckpoint(openNote(await last.client.getText('/checkpoint'), [logKey]).text);
  await indexTo(last, final.size);
  for (const c of seen.values()) {
    assert.ok(c.size <= final.size, `checkpoint ${c.size} handed out beyond the final head ${final.size}`);
    assert.is(rootAt.get(c.size), hex(c.root), `inconsistent with checkpoint ${c.size} at the end`);
  }
  for (const [id, at] of acked) assert.is(bySeq.get(id), at, `acknowledged ${id} at ${at}, in the log at ${bySeq.get(id)}`);
  void checked;
  for (const p of procs) await kill(p.proc);
  takeovers.sort((a, b) => a - b);
  console.log(
    `failover: ${KILLS} SIGKILLs, ${acked.size} events acknowledged, ${seen.size} checkpoints checked, ${refused} writes refused by readers or dying sequencers; ` +
      `takeover after SIGKILL (ms, seen by polling /healthz): median ${takeovers[takeovers.length >> 1]}, max ${takeovers[takeovers.length - 1]}`,
  );
  assert.ok(acked.size > KILLS * 5, `only ${acked.size} acknowledgements in ${KILLS} rounds`);
});

t('SIGSTOP the sequencer past the takeover, then SIGCONT: its queued write appends nothing (503) and it steps down by itself', async () => {
  const db = await freshDatabase(servers!);
  const dir = tempDir('cotc-fence-');
  const opts = { store: db.url };
  const a = await spawnServer(dir, opts);
  const b = await spawnServer(dir, opts);
  assert.is(await roleOf(a), 'sequencer');
  assert.is(await roleOf(b), 'reader');
  const op: Org = { id: 'operator', signerKey: fs.readFileSync(path.join(dir, 'operator.key'), 'utf8').trim(), verifierKey: '' };
  assert.is((await a.client.post(ev(op, 'fund.open', { fund: 'fs', name: 'F', currency: 'CNY', restricted: false, purpose: 'p' }))).status, 201);
  const t0 = Date.now();
  a.proc.kill('SIGSTOP');
  try {
    // A write reaches the paused sequencer: the kernel takes it; the process sees it on waking.
    const queued = a.client.post(ev(op, 'donation', { fund: 'fs', amount: cny(3), donor: donor('z'), channel: 'test' }, 'paused-1'));
    await sequencerOf([b]);
    const took = Date.now() - t0;
    // The new sequencer appends (so the old head is gone too).
    for (let i = 0; i < 3; i++) assert.is((await b.client.post(ev(op, 'donation', { fund: 'fs', amount: cny(1), donor: donor(`b${i}`), channel: 'test' }, `b-${i}`))).status, 201);
    a.proc.kill('SIGCONT');
    const r = await queued;
    assert.is(r.status, 503, `the woken sequencer answered ${r.status}: ${JSON.stringify(r.body)}`);
    assert.is((await fetch(b.url + '/v1/events/paused-1')).status, 404, 'the fenced write is not in the log');
    // It steps down by itself and follows the new head.
    const end = Date.now() + TAKEOVER_DEADLINE_MS;
    while ((await roleOf(a)) !== 'reader' || (await a.client.get<{ size: number }>('/v1/log')).size !== 5) {
      if (Date.now() > end) throw new Error('the woken sequencer did not step down and follow');
      await new Promise((res) => setTimeout(res, 25));
    }
    assert.is(await roleOf(b), 'sequencer');
    assert.is(await a.client.getText('/checkpoint'), await b.client.getText('/checkpoint'));
    const again = await fetch(a.url + '/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ev(op, 'donation', { fund: 'fs', amount: cny(1), donor: donor('q'), channel: 'test' }, 'q-1')) });
    assert.is(again.status, 503);
    assert.ok(again.headers.get('retry-after'));
    console.log(`fencing: takeover after SIGSTOP in ${took} ms (the lease is 3 s)`);
  } finally {
    a.proc.kill('SIGCONT');
    await kill(a.proc);
    await kill(b.proc);
  }
});

t('a reader on a lagging streaming replica never serves a head the replica does not hold', async () => {
  if (!servers!.replicaUrl) return console.error('*** SKIPPED: no replica (COTC_PG_REPLICA_URL unset) ***');
  const db = await freshDatabase(servers!);
  const dir = tempDir('cotc-replica-');
  const a = await spawnServer(dir, { store: db.url });
  assert.is(await roleOf(a), 'sequencer');
  const op: Org = { id: 'operator', signerKey: fs.readFileSync(path.join(dir, 'operator.key'), 'utf8').trim(), verifierKey: '' };
  assert.is((await a.client.post(ev(op, 'fund.open', { fund: 'fr', name: 'F', currency: 'CNY', restricted: false, purpose: 'p' }))).status, 201);
  const replicaAdmin = servers!.replicaUrl;
  // The replica may still be replaying the new database: the reader waits for it.
  const r = await spawnServer(dir, { store: db.url, storeRead: db.replicaUrl });
  try {
    const logKey = (await a.client.get<{ key: string }>('/v1/log')).key;
    let end = Date.now() + TAKEOVER_DEADLINE_MS;
    while ((await r.client.get<{ size: number }>('/v1/log')).size !== 2) {
      if (Date.now() > end) throw new Error('the replica reader did not catch up');
      await new Promise((res) => setTimeout(res, 25));
    }
    // Pause the replica's replay: the primary moves on, the replica does not.
    await sql(replicaAdmin, 'SELECT pg_wal_replay_pause()');
    try {
      for (let i = 0; i < 5; i++) assert.is((await a.client.post(ev(op, 'donation', { fund: 'fr', amount: cny(1), donor: donor(`r${i}`), channel: 'test' }, `r-${i}`))).status, 201);
      // Give the reader many ticks to (wrongly) adopt the primary's head.
      await new Promise((res) => setTimeout(res, 1000));
      const cp = parseCheckpoint(openNote(await r.client.getText('/checkpoint'), [logKey]).text);
      assert.is(cp.size, 2, 'the reader serves only what the replica holds');
      assert.is((await fetch(r.url + '/v1/events/r-0')).status, 404);
      // What it serves, it can prove.
      const p = await r.client.get<{ proof: { size: number } }>(`/v1/events/operator.register`);
      assert.is(p.proof.size, 2);
    } finally {
      await sql(replicaAdmin, 'SELECT pg_wal_replay_resume()');
    }
    end = Date.now() + TAKEOVER_DEADLINE_MS;
    while ((await r.client.get<{ size: number }>('/v1/log')).size !== 7) {
      if (Date.now() > end) throw new Error('the replica reader did not catch up after the replay resumed');
      await new Promise((res) => setTimeout(res, 25));
    }
    const e = await r.client.get<{ entry: { index: number }; checkpoint: string }>('/v1/events/r-4');
    assert.is(e.entry.index, 6);
    assert.is(e.checkpoint, await a.client.getText('/checkpoint'));
  } finally {
    await kill(r.proc);
    await kill(a.proc);
  }
});

if (servers) t.run();
