// Many servers, one sequencer (issue 14 §2): any number of `serve --store postgres://…`
// processes on one database, started with the same key files. Exactly one sequences.
//
// Election: a PostgreSQL session-level advisory lock (pg_try_advisory_lock on a key named
// by the log's origin), held on a connection of its own. PostgreSQL releases it when the
// session ends: at once when the holder's process dies (its socket closes), and, for a
// holder that is paused (SIGSTOP, a VM freeze) or cut off, when the server ends the idle
// session (idle_session_timeout = the lease, kept alive by a ping every tick).
//
// Fencing: an advisory lock alone is not enough, since a paused holder wakes up believing
// it still leads. So the winner first claims the sequencer's term (PgStore.claim bumps
// the head row's term), and only then reads the head it builds on; every commit names the
// size, root and term it replaces (PgStore.commit), so whatever the old holder still
// commits is refused (StoreFencedError) and appends nothing; the old holder then steps
// down by itself (onFenced, or its ping failing).
//
// The others are readers: they serve every read from the database (or a streaming
// replica, routed.ts), refresh their head every tick (LogService.follow: only a head whose
// tree and last entry they can read), and answer writes 503 `unavailable` + Retry-After.
import pg from 'pg';
import type { LogService } from './service.ts';
import { QueueFullError } from './service.ts';
import { advisoryKey, type PgStore, type StoreFencedError } from '../storage/postgres.ts';
import type { RoutedStore } from '../storage/routed.ts';
import { StoreCorruptError, type LogStore } from '../storage/types.ts';

export type Role = 'sequencer' | 'reader';

/** A write posted to a reader: 503 `unavailable` with Retry-After (QueueFullError's answer). */
export class NotSequencerError extends QueueFullError {
  constructor(message: string, retryAfter = 1) {
    super(message, retryAfter);
    this.name = 'NotSequencerError';
  }
}

export interface LeadershipOptions {
  /** the store the sequencer commits to (its term is claimed here) */
  primary: PgStore;
  /** with --store-read: reads routed to the replica while this process is a reader */
  routed?: RoutedStore;
  /** names the advisory lock: the log's origin */
  name: string;
  /** how often a reader tries the lock and refreshes its head, and a sequencer pings (ms) */
  intervalMs?: number;
  /** the lock session's idle_session_timeout (ms): how long a paused holder keeps the lock */
  leaseMs?: number;
  /** role changes and why (the server's logger) */
  onRole?: (role: Role, why: string) => void;
}

export class Leadership {
  #role: Role = 'reader';
  #log: LogService | null = null;
  #lock: pg.Client | null = null;
  #timer: NodeJS.Timeout | null = null;
  #tick: Promise<void> | null = null;
  #stopped = false;
  readonly #intervalMs: number;
  readonly #leaseMs: number;
  readonly #key: string;
  /** times this process took over sequencing, and stepped down (tests, metrics) */
  takeovers = 0;
  stepDowns = 0;

  constructor(readonly opts: LeadershipOptions) {
    this.#intervalMs = opts.intervalMs ?? 200;
    this.#leaseMs = opts.leaseMs ?? 3000;
    if (!(this.#leaseMs > 2 * this.#intervalMs)) throw new RangeError(`leaseMs: ${this.#leaseMs} must exceed twice intervalMs (${this.#intervalMs}), or the pings cannot keep the lock`);
    this.#key = advisoryKey(`cotc-sequencer\n${opts.name}`);
  }

  get role(): Role {
    return this.#role;
  }

  /** What a write gets here: null on the sequencer, a 503 with Retry-After elsewhere. */
  writeRefusal(): Error | null {
    if (this.#role === 'sequencer') return null;
    return new NotSequencerError('this server is a reader: another process sequences this log; retry, or post to the sequencer', 1);
  }

  /** Opens the log: as the sequencer when this process wins the first election (it writes
   * entry 0 of an empty database), else as a reader once the database holds a log (trying
   * the election meanwhile). `open(sequencer)` opens the LogService on the store. */
  async start(open: (asSequencer: boolean) => Promise<LogService>): Promise<LogService> {
    const reads: LogStore = this.opts.routed ?? this.opts.primary;
    // A streaming replica may not hold the database (or its schema) yet: retry a while.
    const giveUp = Date.now() + 60_000;
    for (;;) {
      try {
        await reads.open();
        break;
      } catch (e) {
        if (this.#stopped || Date.now() > giveUp) throw e;
        await this.opts.routed?.close().catch(() => {});
        await new Promise((r) => setTimeout(r, this.#intervalMs));
      }
    }
    let races = 0;
    for (;;) {
      if (this.#stopped) throw new Error('leadership: stopped before the log opened');
      if (await this.#campaign()) {
        this.opts.routed?.route('primary');
        try {
          this.#log = await open(true);
        } catch (e) {
          await this.#dropLock();
          this.opts.primary.release();
          throw e;
        }
        this.#become('sequencer', 'won the election at start');
        break;
      }
      if ((await reads.head().catch(() => null)) !== null) {
        try {
          this.#log = await open(false);
        } catch (e) {
          // Opening reads the head, then the tree and the state's meta record, while the
          // sequencer goes on committing: the state can be a batch ahead of the head read
          // (StoreCorruptError "state is at seq …"). Real damage stays; a race does not.
          if (!(e instanceof StoreCorruptError) || ++races > 20) throw e;
          await this.opts.routed?.close().catch(() => {});
          await this.opts.primary.close().catch(() => {});
          await reads.open();
          continue;
        }
        this.#become('reader', 'another process sequences');
        break;
      }
      await new Promise((r) => setTimeout(r, this.#intervalMs));
    }
    this.#schedule();
    return this.#log;
  }

  #become(role: Role, why: string) {
    this.#role = role;
    this.opts.onRole?.(role, why);
  }

  #schedule() {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#tick = this.#step().finally(() => {
        this.#tick = null;
        this.#schedule();
      });
    }, this.#intervalMs);
  }

  async #step(): Promise<void> {
    const log = this.#log!;
    if (this.#role === 'sequencer') {
      try {
        await this.#lock!.query('SELECT 1');
      } catch (e) {
        await this.stepDown(`lost the election's session: ${(e as Error).message}`);
      }
      return;
    }
    if (await this.#campaign()) {
      // Holding the lock and the term: nothing the old sequencer commits from now on lands.
      this.opts.routed?.route('primary');
      try {
        await log.recover();
      } catch (e) {
        await this.#dropLock();
        this.opts.primary.release();
        this.opts.onRole?.('reader', `could not take over: ${(e as Error).message}`);
        return;
      }
      this.takeovers++;
      this.#become('sequencer', 'took over');
      return;
    }
    try {
      // After a step-down: the state is re-read once (and a failed batch's `broken` cleared).
      if (log.broken) await log.recover();
      else await log.follow();
      // Reads go back to the replica only once it holds the head this process serves.
      const r = this.opts.routed;
      if (r && r.readsFrom === 'primary' && ((await r.replica.head())?.size ?? 0) >= log.size) r.route('replica');
    } catch {
      // The database does not answer or a commit landed between two reads: next tick.
    }
  }

  /** One attempt at the lock (and the term); true when this process now sequences. */
  async #campaign(): Promise<boolean> {
    try {
      this.#lock ??= await this.#connect();
      const r = await this.#lock.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [this.#key]);
      if (!r.rows[0]?.ok) return false;
    } catch {
      await this.#dropLock();
      return false;
    }
    try {
      await this.opts.primary.claim();
      return true;
    } catch {
      await this.#dropLock();
      return false;
    }
  }

  async #connect(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: this.opts.primary.url, connectionTimeoutMillis: this.#leaseMs, query_timeout: this.#leaseMs, keepAlive: true });
    c.on('error', () => {
      if (this.#lock === c) this.#lock = null;
    });
    await c.connect();
    // The lease: a holder that stops pinging (paused) loses the session, hence the lock.
    await c.query(`SET idle_session_timeout = ${Math.round(this.#leaseMs)}`);
    return c;
  }

  async #dropLock(): Promise<void> {
    const c = this.#lock;
    this.#lock = null;
    await c?.end().catch(() => {});
  }

  /** A commit was fenced: another process holds the term. */
  fenced(e: StoreFencedError): void {
    if (this.#role === 'sequencer') void this.stepDown(e.message);
  }

  /** Stops sequencing (writes refused at once), gives the lock up, and reads on. */
  async stepDown(why: string): Promise<void> {
    if (this.#role !== 'sequencer') return;
    this.#become('reader', why);
    this.stepDowns++;
    this.opts.primary.release();
    await this.#dropLock();
  }

  /** Stops the elections and gives the lock up (the log is closed by its owner). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#tick?.catch(() => {});
    this.#role = 'reader';
    this.opts.primary.release();
    await this.#dropLock();
  }
}

/** `serve --data DIR --store URL [--store-read URL]`: the log on PostgreSQL with an
 * election (DIR's key files; `operatorKey` writes entry 0 when this process is the first
 * sequencer of an empty database). */
export async function openLedLog(
  o: { store: string; storeRead?: string; logKey: string; operatorKey: string; leader?: Partial<Pick<LeadershipOptions, 'intervalMs' | 'leaseMs'>>; onRole?: LeadershipOptions['onRole'] },
  open: (store: LogStore, operatorKey: string | undefined) => Promise<LogService>,
): Promise<{ log: LogService; leadership: Leadership }> {
  const { PgStore } = await import('../storage/postgres.ts');
  const { RoutedStore } = await import('../storage/routed.ts');
  const { parseSignerKey } = await import('@cotc/tlog');
  const primary = new PgStore(o.store);
  const routed = o.storeRead ? new RoutedStore(primary, new PgStore(o.storeRead, { readOnly: true })) : undefined;
  const leadership = new Leadership({ primary, routed, name: parseSignerKey(o.logKey, 'logKey').name, onRole: o.onRole, ...o.leader });
  primary.onFenced = (e) => leadership.fenced(e);
  try {
    const log = await leadership.start((asSequencer) => open(routed ?? primary, asSequencer ? o.operatorKey : undefined));
    return { log, leadership };
  } catch (e) {
    await leadership.stop();
    await (routed ?? primary).close().catch(() => {});
    throw e;
  }
}
