// Throwaway PostgreSQL servers for the tests and benchmarks (issue 14 §4): a primary and a
// streaming replica of it, on free ports, in a temporary directory, stopped and removed at
// the end.
//
// PostgreSQL refuses to run as root, so as root the cluster is created and run as the
// unprivileged `postgres` user (runuser); as anyone else, as that user. The superuser of
// the cluster is named `cotc` either way, authentication is `trust` on 127.0.0.1 and the
// unix socket (which lives in the temporary directory, never /var/run/postgresql).
//
// Tests call pgServers(): COTC_PG_URL (and COTC_PG_REPLICA_URL) when set (.ci/run starts
// the servers once and exports them: `node --import tsx test/helpers/postgres.ts start`),
// otherwise a cluster of this process's own, started on first use and stopped at exit.
// Without PostgreSQL's binaries the tests are skipped with a loud message, unless
// COTC_PG_REQUIRED=1 (CI), when they fail.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { daemonDir, freePort, runDaemonTool } from './daemon.ts';

export interface PgCluster {
  /** postgres://cotc@127.0.0.1:PORT/postgres */
  url: string;
  /** the streaming replica's URL (null when not asked for) */
  replicaUrl: string | null;
  dir: string;
  stop(): void;
}

const BIN_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];

/** The directory of initdb/pg_ctl/pg_basebackup, or null when PostgreSQL is not installed. */
export function pgBinDir(): string | null {
  if (process.env.COTC_PG_BIN) return process.env.COTC_PG_BIN;
  for (const d of BIN_DIRS) if (fs.existsSync(path.join(d, 'initdb'))) return d;
  return null;
}

/** Runs a PostgreSQL binary as the unprivileged user (as root: runuser -u postgres). */
function run(bin: string, args: string[], opts: { quiet?: boolean } = {}): void {
  runDaemonTool(bin, args, { user: 'postgres', quiet: opts.quiet });
}

function startData(binDir: string, data: string, port: number, sockDir: string, log: string): void {
  // -w: wait until it accepts connections; -t: give up after 60 s (a loaded machine).
  const opts = `-p ${port} -k ${sockDir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=64MB`;
  run(path.join(binDir, 'pg_ctl'), ['-D', data, '-l', log, '-o', opts, '-w', '-t', '60', 'start']);
}

/** Starts a primary (and, with `replica`, a streaming replica made by pg_basebackup -R). */
export async function startCluster(opts: { replica?: boolean } = {}): Promise<PgCluster> {
  const binDir = pgBinDir();
  if (!binDir) throw new Error('PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin; set COTC_PG_BIN)');
  const dir = daemonDir('cotc-pg-', 'postgres');
  const primary = path.join(dir, 'primary');
  const replica = path.join(dir, 'replica');
  const started: string[] = [];
  const stop = () => {
    for (const d of started.splice(0).reverse()) run(path.join(binDir, 'pg_ctl'), ['-D', d, '-m', 'immediate', '-w', 'stop'], { quiet: true });
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    run(path.join(binDir, 'initdb'), ['-D', primary, '-U', 'cotc', '--auth=trust', '--no-instructions', '-E', 'UTF8', '--locale=C']);
    const port = await freePort();
    startData(binDir, primary, port, dir, path.join(dir, 'primary.log'));
    started.push(primary);
    const url = `postgres://cotc@127.0.0.1:${port}/postgres`;
    let replicaUrl: string | null = null;
    if (opts.replica) {
      // -R writes standby.signal and primary_conninfo: the copy streams WAL from the primary.
      run(path.join(binDir, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'cotc', '-D', replica, '-R', '-X', 'stream', '-c', 'fast']);
      const rport = await freePort();
      startData(binDir, replica, rport, dir, path.join(dir, 'replica.log'));
      started.push(replica);
      replicaUrl = `postgres://cotc@127.0.0.1:${rport}/postgres`;
    }
    return { url, replicaUrl, dir, stop };
  } catch (e) {
    stop();
    throw e;
  }
}

let own: Promise<PgCluster> | null = null;

/** The servers the tests use (see the top of this file), or null when there are none and
 * none are required (the caller skips, loudly). */
export async function pgServers(): Promise<{ url: string; replicaUrl: string | null } | null> {
  if (process.env.COTC_PG_URL) return { url: process.env.COTC_PG_URL, replicaUrl: process.env.COTC_PG_REPLICA_URL || null };
  if (!pgBinDir()) {
    if (process.env.COTC_PG_REQUIRED === '1') throw new Error('COTC_PG_REQUIRED=1 but PostgreSQL is not installed and COTC_PG_URL is not set');
    console.error('\n*** SKIPPED: PostgreSQL tests (no server binaries and no COTC_PG_URL; `.ci/run` provides them) ***\n');
    return null;
  }
  if (!own) {
    own = startCluster({ replica: true });
    const c = await own;
    process.once('exit', () => c.stop());
  }
  return own;
}

/** `url` with its database replaced by `db`. */
export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = '/' + db;
  return u.toString();
}

let counter = 0;

/** A new, empty database on the servers; its URL (and the replica's view of it). */
export async function freshDatabase(servers: { url: string; replicaUrl: string | null }): Promise<{ url: string; replicaUrl: string | null }> {
  const name = `cotc_t${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const c = new pg.Client({ connectionString: servers.url });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  return { url: withDatabase(servers.url, name), replicaUrl: servers.replicaUrl && withDatabase(servers.replicaUrl, name) };
}

// `node --import tsx test/helpers/postgres.ts start ENVFILE`: starts a primary and a replica,
// writes `export COTC_PG_URL=… COTC_PG_REPLICA_URL=… COTC_PG_DIR=…` to ENVFILE and exits,
// leaving them running; `… stop DIR` stops them (.ci/run's trap).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [cmd, arg] = process.argv.slice(2);
  if (cmd === 'start' && arg) {
    const c = await startCluster({ replica: true });
    fs.writeFileSync(arg, `export COTC_PG_URL='${c.url}'\nexport COTC_PG_REPLICA_URL='${c.replicaUrl}'\nexport COTC_PG_DIR='${c.dir}'\n`);
    console.log(`postgres: primary ${c.url}, replica ${c.replicaUrl}, in ${c.dir}`);
  } else if (cmd === 'stop' && arg) {
    const binDir = pgBinDir();
    for (const d of ['replica', 'primary']) {
      if (binDir && fs.existsSync(path.join(arg, d))) run(path.join(binDir, 'pg_ctl'), ['-D', path.join(arg, d), '-m', 'fast', '-w', 'stop'], { quiet: true });
    }
    fs.rmSync(arg, { recursive: true, force: true });
  } else {
    console.error('usage: postgres.ts start ENVFILE | stop DIR');
    process.exit(2);
  }
}
