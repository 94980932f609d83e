// One place that chooses a storage backend from a spec (issue 10, "backends are chosen by
// one openStore(spec)"; DESIGN.md "The CLI": `--store postgres://USER@HOST:PORT/DB`):
//   postgres://… or postgresql://…  PostgreSQL (postgres.ts, imported only for such a
//                                   spec: node-postgres costs every other command nothing)
//   memory:                         an empty in-memory store (tests; nothing durable)
//   level:DIR, file:///DIR or DIR   embedded LevelDB in the directory DIR (the default)
// Any other `scheme:` is refused, naming the spec (its password hidden), so a typo in a
// URL never silently becomes a LevelDB directory of that name.
//
// The store comes back constructed, not opened: LogService.open and the audit's
// storeSource open it (and a LevelStore must be opened by one owner only).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMigratable, type LogStore } from './types.ts';

export interface OpenStoreOptions {
  /** LevelDB: check every file's CRCs at open (level-verify.ts; `serve --verify-store`,
   * `audit`). Backends without files of their own ignore it. */
  verifyFiles?: boolean;
  /** PostgreSQL: the backend's own options (migrate at open, pool size, read-only, …) */
  postgres?: import('./postgres.ts').PgStoreOptions;
}

export type StoreKind = 'level' | 'postgres' | 'memory';

export interface ParsedStoreSpec {
  kind: StoreKind;
  /** level: the directory; postgres: the connection URL; memory: '' */
  target: string;
}

/** Thrown for a spec no backend accepts, or a backend that is not installed. */
export class StoreSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreSpecError';
  }
}

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

/** What `spec` names (no I/O). A Windows drive letter ("C:\…") is a directory. */
export function parseStoreSpec(spec: string): ParsedStoreSpec {
  if (typeof spec !== 'string' || spec === '') throw new StoreSpecError('store: expected a directory or a URL (postgres://USER@HOST:PORT/DB), got nothing');
  const m = SCHEME.exec(spec);
  const scheme = m && m[1]!.length > 1 ? m[1]!.toLowerCase() : null;
  if (scheme === null) return { kind: 'level', target: spec };
  if (scheme === 'postgres' || scheme === 'postgresql') return { kind: 'postgres', target: spec };
  if (scheme === 'memory') {
    if (spec.length !== 'memory:'.length) throw new StoreSpecError(`store: ${describeStore(spec)}: "memory:" takes nothing after the colon`);
    return { kind: 'memory', target: '' };
  }
  if (scheme === 'level') {
    const dir = spec.slice('level:'.length);
    if (dir === '') throw new StoreSpecError('store: "level:" needs a directory after the colon (level:DIR)');
    return { kind: 'level', target: dir };
  }
  if (scheme === 'file') {
    try {
      return { kind: 'level', target: fileURLToPath(spec) };
    } catch (e) {
      throw new StoreSpecError(`store: ${describeStore(spec)} is not a file URL: ${(e as Error).message}`);
    }
  }
  throw new StoreSpecError(`store: ${describeStore(spec)}: unknown scheme "${scheme}:" (expected a directory, level:DIR, postgres://USER@HOST:PORT/DB or memory:)`);
}

/** The spec as it may be printed or logged: a URL's password replaced by "***" (a
 * connection URL may carry one; it never reaches a terminal, a log or a state file). */
export function describeStore(spec: string): string {
  const m = SCHEME.exec(spec);
  if (!m || m[1]!.length <= 1) return spec;
  try {
    const u = new URL(spec);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    // Not a URL we can parse: hide everything between "//" and the last "@", if any.
    return spec.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/]*@/i, '$1***@');
  }
}

/** A stable identity for the store (the audit's state file key): a LevelDB directory as
 * file://ABSOLUTE-PATH, a database URL without its password. */
export function storeIdentity(spec: string): string {
  const p = parseStoreSpec(spec);
  if (p.kind === 'level') return 'file://' + path.resolve(p.target);
  if (p.kind === 'memory') return 'memory:';
  const u = new URL(p.target);
  u.password = '';
  return u.toString();
}

type PostgresModule = typeof import('./postgres.ts');

async function loadPostgres(): Promise<PostgresModule> {
  try {
    return await import('./postgres.ts');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // Only "that module (or its client library, pg) is not installed" means not available;
    // an error thrown inside postgres.ts while it loads is a bug, thrown as it is.
    if (err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND') {
      throw new StoreSpecError(`PostgreSQL backend not available (src/storage/postgres.ts or its client library is missing: ${err.message})`);
    }
    throw e;
  }
}

/** The backend `spec` names, constructed but not opened. */
export async function openStore(spec: string, opts: OpenStoreOptions = {}): Promise<LogStore> {
  const p = parseStoreSpec(spec);
  switch (p.kind) {
    case 'level': {
      const { LevelStore } = await import('./level.ts');
      return new LevelStore(p.target, { verifyFiles: opts.verifyFiles ?? false });
    }
    case 'memory': {
      const { MemoryStore } = await import('./memory.ts');
      return new MemoryStore();
    }
    case 'postgres': {
      const { PgStore } = await loadPostgres();
      return new PgStore(p.target, opts.postgres);
    }
  }
}

/** `cotc migrate --store SPEC`: brings the store's schema to this code's version, on any
 * backend that has one (types.ts Migratable); null for one that has none (LevelDB checks
 * its format marker at open). `where` names the store without a password. */
export async function migrateStore(spec: string): Promise<{ where: string; from: number; to: number } | null> {
  // migrate:false: opening must not migrate behind our back; migrateOnly does it, once.
  const store = await openStore(spec, { postgres: { migrate: false } });
  if (!isMigratable(store)) return null;
  const [from, to] = await store.migrateOnly();
  return { where: describeStore(spec), from, to };
}
