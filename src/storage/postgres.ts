// LogStore on PostgreSQL (issue 14 §1), with node-postgres. Same interface and conformance
// suite as level.ts; what PostgreSQL adds is that many processes share one log: one of them
// sequences (src/log/leader.ts elects it with an advisory lock), the others read.
//
// Schema (migrations below, versioned in schema_version; a database of a newer schema than
// this code knows is refused, never written):
//   head         ONE row: size, root (base64, the checkpoint's third line), checkpoint, term
//   entries      seq → entry bytes (the Merkle leaf data)
//   tiles        (l, n) → the latest version of a C2SP tile (partial tiles are rewritten)
//   ids          event id → seq
//   traces       (donation key, seq): a donation's trace index
//   donations    seq → donation id (the "recent donations" list)
//   state        key (COLLATE "C": byte order, as LevelDB's) → state record (JSON text)
//   checkpoints  size → every checkpoint ever committed
//
// A commit is ONE transaction whose first statement is the head's compare-and-swap: it
// names the size and root it replaces (and, once this store has claimed the sequencer's
// term, that term). The row lock makes concurrent writers queue; the one that finds the
// head moved (0 rows) rolls back, appends nothing and throws StoreFencedError. So a process
// that lost leadership (paused past its lock, partitioned) can never append, even if it
// still believes it leads: the new sequencer bumps the term (claim()) before it reads the
// head, and every commit of the old one names the old term.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { StoreCorruptError, type CommitBatch, type Head, type LogStore } from './types.ts';
import { ServiceUnavailableError } from './errors.ts';

/** The head was not where this store's commit said it was: another process moved it (or
 * took the sequencer's term). Nothing of the batch was written. */
export class StoreFencedError extends ServiceUnavailableError {
  constructor(message: string) {
    super(message);
    this.name = 'StoreFencedError';
  }
}

/** The database's schema is newer than this code (written by a newer cotc): refused. */
export class StoreSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreSchemaError';
  }
}

/** Migrations, in order; MIGRATIONS[i] brings the schema from version i to i+1. Never edit
 * one that has shipped: add the next. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE head (
     id int PRIMARY KEY CHECK (id = 1),
     size bigint NOT NULL CHECK (size >= 0),
     root text NOT NULL,
     checkpoint text NOT NULL,
     term bigint NOT NULL DEFAULT 0
   );
   INSERT INTO head (id, size, root, checkpoint) VALUES (1, 0, '', '');
   CREATE TABLE entries (seq bigint PRIMARY KEY, data bytea NOT NULL);
   CREATE TABLE tiles (l int NOT NULL, n bigint NOT NULL, data bytea NOT NULL, PRIMARY KEY (l, n));
   CREATE TABLE ids (id text COLLATE "C" PRIMARY KEY, seq bigint NOT NULL);
   CREATE TABLE traces (donation text COLLATE "C" NOT NULL, seq bigint NOT NULL, PRIMARY KEY (donation, seq));
   CREATE TABLE donations (seq bigint PRIMARY KEY, donation text NOT NULL);
   CREATE TABLE state (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
   CREATE TABLE checkpoints (size bigint PRIMARY KEY, checkpoint text NOT NULL);`,
];
export const SCHEMA_VERSION = MIGRATIONS.length;

/** A fixed advisory lock key for migrations (two processes starting at once migrate once). */
const MIGRATE_LOCK = 0x636f7463_6d696772n; // "cotcmigr"

/** The root line of a C2SP checkpoint (origin, size, root, …); '' when the text has none
 * (the conformance suite's placeholder checkpoints). */
export function checkpointRoot(checkpoint: string): string {
  return checkpoint.split('\n')[2] ?? '';
}

export interface PgStoreOptions {
  /** apply missing migrations at open (default true); false: refuse a database behind this code */
  migrate?: boolean;
  /** pooled connections (default 8) */
  poolSize?: number;
  /** called when a commit was fenced (another process holds the head) */
  onFenced?: (e: StoreFencedError) => void;
  /** read-only use (a reader on a streaming replica): never migrates, never commits */
  readOnly?: boolean;
  /** idle_in_transaction_session_timeout of the pool's sessions (ms, default 5000): a
   * process paused inside a commit cannot hold the head row's lock (and so a takeover)
   * for longer */
  idleInTransactionMs?: number;
}

const buf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** Errors that say the database is out of reach (not that a statement is wrong): 503. */
function isConnectionError(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  const code = err?.code ?? '';
  return (
    code.startsWith('08') || // connection exceptions
    code.startsWith('57P') || // admin shutdown, crash shutdown, cannot connect now
    code === '53300' || // too many connections
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code) ||
    /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(err?.message ?? '')
  );
}

export class PgStore implements LogStore {
  readonly url: string;
  readonly opts: PgStoreOptions;
  #pool: pg.Pool | null = null;
  /** the head this store last read or wrote: what its next commit names */
  #known: { size: number; root: string } = { size: 0, root: '' };
  /** called when a commit was fenced (default opts.onFenced; leader.ts sets it) */
  onFenced: ((e: StoreFencedError) => void) | undefined;
  /** the sequencer's term this store claimed (null: none, commits name size and root only) */
  #term: bigint | null = null;

  constructor(url: string, opts: PgStoreOptions = {}) {
    if (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url)) throw new TypeError(`url: expected postgres://USER@HOST:PORT/DB, got ${JSON.stringify(url)}`);
    this.url = url;
    this.opts = opts;
    this.onFenced = opts.onFenced;
  }

  /** The URL without a password (for messages and logs). */
  get where(): string {
    const u = new URL(this.url);
    u.password = '';
    return u.toString();
  }

  get term(): bigint | null {
    return this.#term;
  }

  #p(): pg.Pool {
    if (!this.#pool) throw new ServiceUnavailableError('the store is closed');
    return this.#pool;
  }

  async #q<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.#p().query<R>(text, values);
    } catch (e) {
      if (isConnectionError(e)) throw new ServiceUnavailableError(`PostgreSQL at ${this.where} does not answer: ${(e as Error).message}`);
      throw e;
    }
  }

  #newPool(): pg.Pool {
    const pool = new pg.Pool({
      connectionString: this.url,
      max: this.opts.poolSize ?? 8,
      connectionTimeoutMillis: 10_000,
      options: `-c idle_in_transaction_session_timeout=${Math.round(this.opts.idleInTransactionMs ?? 5000)}`,
    });
    // An idle pooled connection that dies (the server restarted, a failover) must not crash
    // the process: the next query gets a fresh connection or a ServiceUnavailableError.
    pool.on('error', () => {});
    return pool;
  }

  /** `cotc migrate`: applies the missing migrations and closes; [from, to]. */
  async migrateOnly(): Promise<[number, number]> {
    if (this.#pool) throw new Error('migrateOnly: the store is open');
    this.#pool = this.#newPool();
    try {
      return await this.migrate();
    } finally {
      const p = this.#pool;
      this.#pool = null;
      await p.end();
    }
  }

  async open(): Promise<void> {
    if (this.#pool) return;
    const pool = this.#newPool();
    this.#pool = pool;
    try {
      await this.#migrate();
      await this.head();
    } catch (e) {
      this.#pool = null;
      await pool.end().catch(() => {});
      if (isConnectionError(e)) throw new ServiceUnavailableError(`PostgreSQL at ${this.where} does not answer: ${(e as Error).message}`);
      throw e;
    }
  }

  /** The schema's version in the database (0: none yet). */
  async schemaVersion(): Promise<number> {
    const t = await this.#q<{ t: string | null }>(`SELECT to_regclass('schema_version')::text AS t`);
    if (t.rows[0]?.t == null) return 0;
    const r = await this.#q<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
    return r.rows[0]?.v ?? 0;
  }

  /** Brings the schema to SCHEMA_VERSION (under an advisory lock, in one transaction), or
   * refuses: a newer schema always, an older one when migrate is false or read-only. */
  async #migrate(): Promise<void> {
    const have = await this.schemaVersion();
    if (have > SCHEMA_VERSION) {
      throw new StoreSchemaError(`${this.where}: the database has schema version ${have}, newer than this cotc knows (${SCHEMA_VERSION}); upgrade cotc`);
    }
    if (have === SCHEMA_VERSION) return;
    if (this.opts.readOnly || this.opts.migrate === false) {
      throw new StoreSchemaError(`${this.where}: the database has schema version ${have}, this cotc needs ${SCHEMA_VERSION}; run \`cotc migrate --store URL\``);
    }
    await this.migrate();
  }

  /** Applies the missing migrations; returns [from, to]. */
  async migrate(): Promise<[number, number]> {
    const c = await this.#p().connect();
    try {
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATE_LOCK.toString()]);
      await c.query('CREATE TABLE IF NOT EXISTS schema_version (version int PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())');
      const have = (await c.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version')).rows[0]?.v ?? 0;
      if (have > SCHEMA_VERSION) throw new StoreSchemaError(`${this.where}: the database has schema version ${have}, newer than this cotc knows (${SCHEMA_VERSION}); upgrade cotc`);
      for (let v = have; v < SCHEMA_VERSION; v++) {
        await c.query(MIGRATIONS[v]!);
        await c.query('INSERT INTO schema_version (version) VALUES ($1)', [v + 1]);
      }
      await c.query('COMMIT');
      return [have, SCHEMA_VERSION];
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }

  async close(): Promise<void> {
    const p = this.#pool;
    this.#pool = null;
    await p?.end();
  }

  /** Makes this store the sequencer's: bumps the head's term, so every commit of whoever
   * held it before is fenced from now on. Call it holding the election (leader.ts), BEFORE
   * reading the head the new sequencer builds on. */
  async claim(): Promise<bigint> {
    const r = await this.#q<{ term: string }>('UPDATE head SET term = term + 1 WHERE id = 1 RETURNING term');
    if (r.rowCount !== 1) throw new StoreCorruptError('the head row is missing');
    this.#term = BigInt(r.rows[0]!.term);
    return this.#term;
  }

  /** Gives up the term (a step-down): later commits name no term, so they are fenced by
   * the next claim as soon as there is one. */
  release(): void {
    this.#term = null;
  }

  async head(): Promise<Head | null> {
    const r = await this.#q<{ size: string; root: string; checkpoint: string }>('SELECT size, root, checkpoint FROM head WHERE id = 1');
    const row = r.rows[0];
    if (!row) throw new StoreCorruptError('the head row is missing');
    const size = Number(row.size);
    if (!Number.isSafeInteger(size) || size < 0) throw new StoreCorruptError(`head size ${row.size} is not a size`);
    this.#known = { size, root: row.root };
    if (size === 0) {
      if (row.checkpoint !== '') throw new StoreCorruptError('an empty head carries a checkpoint');
      return null;
    }
    return { size, checkpoint: row.checkpoint };
  }

  async entries(start: number, count: number): Promise<Uint8Array[]> {
    if (count <= 0) return [];
    const r = await this.#q<{ seq: string; data: Buffer }>('SELECT seq, data FROM entries WHERE seq >= $1 AND seq < $2 ORDER BY seq', [start, start + count]);
    // Stop at the first missing one, as level.ts does.
    const out: Uint8Array[] = [];
    for (const row of r.rows) {
      if (Number(row.seq) !== start + out.length) break;
      out.push(row.data);
    }
    return out;
  }

  async readTiles(tiles: readonly { l: number; n: number }[]): Promise<(Uint8Array | undefined)[]> {
    if (tiles.length === 0) return [];
    const r = await this.#q<{ l: number; n: string; data: Buffer }>('SELECT t.l, t.n, t.data FROM tiles t JOIN unnest($1::int[], $2::bigint[]) AS q(l, n) ON t.l = q.l AND t.n = q.n', [
      tiles.map((t) => t.l),
      tiles.map((t) => t.n),
    ]);
    const m = new Map(r.rows.map((row) => [`${row.l}/${row.n}`, row.data as Uint8Array]));
    return tiles.map((t) => m.get(`${t.l}/${t.n}`));
  }

  async seqOf(id: string): Promise<number | undefined> {
    const r = await this.#q<{ seq: string }>('SELECT seq FROM ids WHERE id = $1', [id]);
    return r.rows[0] ? Number(r.rows[0].seq) : undefined;
  }

  async traceSeqs(donation: string, limit: number, after?: number): Promise<number[]> {
    if (limit <= 0) return [];
    const r = await this.#q<{ seq: string }>('SELECT seq FROM traces WHERE donation = $1 AND seq > $2 ORDER BY seq LIMIT $3', [donation, after === undefined || after < 0 ? -1 : after, limit]);
    return r.rows.map((row) => Number(row.seq));
  }

  async recentDonations(limit: number, before?: number): Promise<Array<[number, string]>> {
    if (limit <= 0) return [];
    const r =
      before === undefined
        ? await this.#q<{ seq: string; donation: string }>('SELECT seq, donation FROM donations ORDER BY seq DESC LIMIT $1', [limit])
        : await this.#q<{ seq: string; donation: string }>('SELECT seq, donation FROM donations WHERE seq < $1 ORDER BY seq DESC LIMIT $2', [before, limit]);
    return r.rows.map((row) => [Number(row.seq), row.donation]);
  }

  async stateRecord(key: string): Promise<string | undefined> {
    const r = await this.#q<{ value: string }>('SELECT value FROM state WHERE key = $1', [key]);
    return r.rows[0]?.value;
  }

  async getStateRecords(keys: readonly string[]): Promise<(string | undefined)[]> {
    if (keys.length === 0) return [];
    const r = await this.#q<{ key: string; value: string }>('SELECT key, value FROM state WHERE key = ANY($1::text[])', [[...new Set(keys)]]);
    const m = new Map(r.rows.map((row) => [row.key, row.value]));
    return keys.map((k) => m.get(k));
  }

  async stateRange(prefix: string, limit: number, gte = prefix): Promise<Array<[string, string]>> {
    if (limit <= 0) return [];
    // A range on the primary key (byte order under COLLATE "C"), then the exact prefix test;
    // '\uffff' sorts after every continuation of the prefix (the codec's keys are ASCII).
    const from = gte < prefix ? prefix : gte;
    const r = await this.#q<{ key: string; value: string }>(
      `SELECT key, value FROM state WHERE key >= $1 AND key < $2 AND starts_with(key, $3) ORDER BY key LIMIT $4`,
      [from, prefix + '\uffff', prefix, limit],
    );
    return r.rows.map((row) => [row.key, row.value]);
  }

  async *stateRecords(): AsyncIterable<[string, string]> {
    let after: string | null = null;
    for (;;) {
      const r: pg.QueryResult<{ key: string; value: string }> =
        after === null
          ? await this.#q('SELECT key, value FROM state ORDER BY key LIMIT 1000')
          : await this.#q('SELECT key, value FROM state WHERE key > $1 ORDER BY key LIMIT 1000', [after]);
      for (const row of r.rows) yield [row.key, row.value];
      if (r.rows.length < 1000) return;
      after = r.rows[r.rows.length - 1]!.key;
    }
  }

  async checkpointAt(size: number): Promise<string | undefined> {
    const r = await this.#q<{ checkpoint: string }>('SELECT checkpoint FROM checkpoints WHERE size = $1', [size]);
    return r.rows[0]?.checkpoint;
  }

  async commit(b: CommitBatch): Promise<void> {
    if (this.opts.readOnly) throw new Error(`storage: ${this.where} was opened read-only`);
    if (b.fromSize !== this.#known.size) {
      throw new Error(`storage: batch starts at ${b.fromSize} but the log has ${this.#known.size} entries`);
    }
    if (b.head.size !== b.fromSize + b.entries.length) {
      throw new Error(`storage: head size ${b.head.size} ≠ ${b.fromSize} + ${b.entries.length} entries`);
    }
    const root = checkpointRoot(b.head.checkpoint);
    // The last write of a state key wins (one row per key in the statements below).
    const state = new Map<string, string | null>();
    for (const [k, v] of b.state) state.set(k, v);
    const puts = [...state].filter((kv): kv is [string, string] => kv[1] !== null);
    const dels = [...state].filter(([, v]) => v === null).map(([k]) => k);
    let c: pg.PoolClient;
    try {
      c = await this.#p().connect();
    } catch (e) {
      throw new ServiceUnavailableError(`PostgreSQL at ${this.where} does not answer: ${(e as Error).message}`);
    }
    let began = false;
    let bad: Error | undefined;
    try {
      await c.query('BEGIN');
      began = true;
      // The compare-and-swap, first: it takes the head row's lock, so writers queue here.
      const cas = await c.query(
        this.#term === null
          ? 'UPDATE head SET size = $1, root = $2, checkpoint = $3 WHERE id = 1 AND size = $4 AND root = $5'
          : 'UPDATE head SET size = $1, root = $2, checkpoint = $3 WHERE id = 1 AND size = $4 AND root = $5 AND term = $6',
        this.#term === null
          ? [b.head.size, root, b.head.checkpoint, b.fromSize, this.#known.root]
          : [b.head.size, root, b.head.checkpoint, b.fromSize, this.#known.root, this.#term.toString()],
      );
      if (cas.rowCount !== 1) {
        await c.query('ROLLBACK');
        began = false;
        const now = await c.query<{ size: string; term: string }>('SELECT size, term FROM head WHERE id = 1');
        const e = new StoreFencedError(
          `fenced: this process built on size ${b.fromSize}${this.#term === null ? '' : ` in term ${this.#term}`}, the head is now at size ${now.rows[0]?.size} in term ${now.rows[0]?.term}: another sequencer holds the log; nothing was appended`,
        );
        this.onFenced?.(e);
        throw e;
      }
      if (b.entries.length) {
        await c.query('INSERT INTO entries (seq, data) SELECT * FROM unnest($1::bigint[], $2::bytea[])', [b.entries.map((_, i) => b.fromSize + i), b.entries.map(buf)]);
      }
      if (b.tiles.length) {
        await c.query('INSERT INTO tiles (l, n, data) SELECT * FROM unnest($1::int[], $2::bigint[], $3::bytea[]) ON CONFLICT (l, n) DO UPDATE SET data = excluded.data', [
          b.tiles.map((t) => t.l),
          b.tiles.map((t) => t.n),
          b.tiles.map((t) => buf(t.data)),
        ]);
      }
      if (b.ids.length) await c.query('INSERT INTO ids (id, seq) SELECT * FROM unnest($1::text[], $2::bigint[])', [b.ids.map((x) => x[0]), b.ids.map((x) => x[1])]);
      if (b.traces.length) {
        await c.query('INSERT INTO traces (donation, seq) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING', [b.traces.map((x) => x[0]), b.traces.map((x) => x[1])]);
      }
      if (b.donations.length) {
        await c.query('INSERT INTO donations (seq, donation) SELECT * FROM unnest($1::bigint[], $2::text[])', [b.donations.map((x) => x[0]), b.donations.map((x) => x[1])]);
      }
      if (puts.length) {
        await c.query('INSERT INTO state (key, value) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [
          puts.map((x) => x[0]),
          puts.map((x) => x[1]),
        ]);
      }
      if (dels.length) await c.query('DELETE FROM state WHERE key = ANY($1::text[])', [dels]);
      await c.query('INSERT INTO checkpoints (size, checkpoint) VALUES ($1, $2) ON CONFLICT (size) DO UPDATE SET checkpoint = excluded.checkpoint', [b.head.size, b.head.checkpoint]);
      // synchronous_commit is on (the default): COMMIT returns once the WAL is flushed.
      await c.query('COMMIT');
      began = false;
      this.#known = { size: b.head.size, root };
    } catch (e) {
      if (began) await c.query('ROLLBACK').catch(() => {});
      if (e instanceof StoreFencedError) throw e;
      if (isConnectionError(e)) bad = e as Error;
      if (isConnectionError(e)) throw new ServiceUnavailableError(`PostgreSQL at ${this.where} failed the commit: ${(e as Error).message}`);
      throw e;
    } finally {
      // A connection that failed mid-transaction is destroyed, never reused.
      c.release(bad);
    }
  }
}

/** A stable 63-bit advisory lock key for a name (the election's: leader.ts). */
export function advisoryKey(name: string): string {
  return (createHash('sha256').update(name).digest().readBigInt64BE(0) & 0x7fffffffffffffffn).toString();
}
