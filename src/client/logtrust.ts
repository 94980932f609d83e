// What a client (the CLI's state file, the donor page's localStorage) remembers about the
// logs it has checked, keyed by the log's identity and not by the URL it was reached at.
//
// A log is named by its origin, and the origin is the name of the log's key (DESIGN.md
// "The operator": "The checkpoint origin equals the log key's name"), so the identity of a
// log is (origin, key), and both come from the key string alone. Two URLs of one server
// (http://localhost:8080 and http://127.0.0.1:8080, a mirror) are one log: they share the
// remembered checkpoint, so a fork shown on one is caught through the other.
//
// A remembered key never changes by itself (issue 9, "trust on first use"): a key given in
// a link or on the command line, or offered by a server, that differs from the key
// remembered for that origin (or for that server) is a conflict that names both keys; only
// an explicit choice (acceptLog) replaces the remembered key, and that forgets the old
// key's checkpoint. Pure data and pure functions, browser-safe (no Node built-ins).
import { parseVerifierKey } from '@cotc/tlog';
import { isPlainObject } from '@cotc/ledger';

export interface LogCheckpoint {
  size: number;
  /** lowercase hex root */
  root: string;
  /** the signed note it came from */
  text: string;
}

export interface LogRecord {
  logKey: string;
  checkpoint?: LogCheckpoint;
}

export interface LogTrust {
  version: 2;
  /** By origin (the log key's name). */
  logs: Record<string, LogRecord>;
  /** Which log (origin) each server URL was last seen serving. */
  servers: Record<string, string>;
}

export type KeySource = 'pinned' | 'remembered' | 'tofu';

export type TrustDecision =
  | {
      kind: 'trusted';
      origin: string;
      logKey: string;
      /** pinned: given (link, --log-key); remembered: known for this server or, by its origin, from another URL; tofu: first use */
      source: KeySource;
      /** the last checkpoint verified for this log, from whichever URL */
      checkpoint: LogCheckpoint | null;
    }
  | {
      kind: 'conflict';
      /** the key remembered (for the origin, or for this server) */
      remembered: string;
      rememberedOrigin: string;
      /** the key now given or offered */
      offered: string;
      offeredOrigin: string;
      /** where the offered key came from */
      by: 'pinned' | 'server';
    }
  /** Nothing is known for this server and no key was given: ask the server (GET /v1/log) and decide again with its key. */
  | { kind: 'ask-server' };

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
// Null-prototype maps: a record named "__proto__" or "constructor" is just a record.
const map = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

/** The key under which a server URL is remembered: without trailing slashes. */
export function serverUrl(url: string): string {
  return String(url).replace(/\/+$/, '');
}

/** The origin (the log's name) of a log verifier key; throws a TypeError naming `param` when it is not one. */
export function logOrigin(logKey: string, param = 'log key'): string {
  return parseVerifierKey(logKey, param).name;
}

function originOrNull(logKey: unknown): string | null {
  if (typeof logKey !== 'string') return null;
  try {
    return logOrigin(logKey);
  } catch {
    return null;
  }
}

export function emptyLogTrust(): LogTrust {
  return { version: 2, logs: map(), servers: map() };
}

function readCheckpoint(c: unknown): LogCheckpoint | undefined {
  const x = c as Partial<LogCheckpoint> | null | undefined;
  if (x && typeof x === 'object' && Number.isSafeInteger(x.size) && x.size! >= 0 && typeof x.root === 'string' && /^[0-9a-f]{64}$/.test(x.root) && typeof x.text === 'string') {
    return { size: x.size!, root: x.root, text: x.text };
  }
  return undefined;
}

/**
 * Reads what was stored (untrusted JSON: a file, localStorage), keeping the well-formed
 * records and dropping the rest. Reads this format (version 2) and the earlier ones keyed
 * by server URL (the CLI's `{version: 1, logs: {url: …}}`, the page's `{servers: {url: …}}`):
 * each of their records moves to its key's origin; when two URLs remembered different keys
 * for one origin, the first is kept and the URL of the other is forgotten (it will be a
 * conflict on its next use, which names both keys).
 */
export function parseLogTrust(value: unknown): LogTrust {
  const out = emptyLogTrust();
  if (!isPlainObject(value)) return out;
  if (value.version === 2) {
    const logs = value.logs;
    if (isPlainObject(logs)) {
      for (const origin of Object.keys(logs)) {
        const r = logs[origin] as Partial<LogRecord> | undefined;
        if (!isPlainObject(r) || originOrNull(r.logKey) !== origin) continue;
        const rec: LogRecord = { logKey: r.logKey as string };
        const cp = readCheckpoint(r.checkpoint);
        if (cp) rec.checkpoint = cp;
        out.logs[origin] = rec;
      }
    }
    const servers = value.servers;
    if (isPlainObject(servers)) {
      for (const url of Object.keys(servers)) {
        const o = servers[url];
        if (typeof o === 'string' && hasOwn(out.logs, o)) out.servers[serverUrl(url)] = o;
      }
    }
    return out;
  }
  // Version 1: records by server URL.
  const old = value.version === 1 ? value.logs : value.servers;
  if (!isPlainObject(old)) return out;
  for (const url of Object.keys(old)) {
    const r = old[url] as Partial<LogRecord> | undefined;
    if (!isPlainObject(r)) continue;
    const origin = originOrNull(r.logKey);
    if (origin === null) continue;
    const have = hasOwn(out.logs, origin) ? out.logs[origin]! : undefined;
    if (have && have.logKey !== r.logKey) continue;
    const cp = readCheckpoint(r.checkpoint);
    if (!have) out.logs[origin] = cp ? { logKey: r.logKey as string, checkpoint: cp } : { logKey: r.logKey as string };
    else if (cp && (!have.checkpoint || cp.size > have.checkpoint.size)) have.checkpoint = cp;
    out.servers[serverUrl(url)] = origin;
  }
  return out;
}

function get<T>(m: Record<string, T>, k: string): T | undefined {
  return hasOwn(m, k) ? m[k] : undefined;
}

/** The record of the log this server was last seen serving, if any. */
export function serverLog(state: LogTrust, server: string): { origin: string; record: LogRecord } | null {
  const origin = get(state.servers, serverUrl(server));
  const record = origin === undefined ? undefined : get(state.logs, origin);
  return origin !== undefined && record ? { origin, record } : null;
}

/**
 * Which key to check `server`'s answers with. `pinned`: a key given by the person (a
 * `?key=` link, `--log-key`); `offered`: the key the server itself gives (GET /v1/log),
 * asked for only when the answer is 'ask-server'. Both must be verifier keys (the caller
 * checks them: logOrigin throws).
 */
export function decideTrust(state: LogTrust, server: string, pinned?: string, offered?: string): TrustDecision {
  const known = serverLog(state, server);
  if (pinned !== undefined) {
    const origin = logOrigin(pinned, 'pinned key');
    const rec = get(state.logs, origin);
    if (rec && rec.logKey !== pinned) return { kind: 'conflict', remembered: rec.logKey, rememberedOrigin: origin, offered: pinned, offeredOrigin: origin, by: 'pinned' };
    if (!rec && known) {
      // This server was remembered serving another log: the key given is not its key.
      return { kind: 'conflict', remembered: known.record.logKey, rememberedOrigin: known.origin, offered: pinned, offeredOrigin: origin, by: 'pinned' };
    }
    return { kind: 'trusted', origin, logKey: pinned, source: 'pinned', checkpoint: rec?.checkpoint ?? null };
  }
  if (known) return { kind: 'trusted', origin: known.origin, logKey: known.record.logKey, source: 'remembered', checkpoint: known.record.checkpoint ?? null };
  if (offered === undefined) return { kind: 'ask-server' };
  const origin = logOrigin(offered, 'the server\'s log key');
  const rec = get(state.logs, origin);
  if (rec && rec.logKey !== offered) return { kind: 'conflict', remembered: rec.logKey, rememberedOrigin: origin, offered, offeredOrigin: origin, by: 'server' };
  if (rec) return { kind: 'trusted', origin, logKey: offered, source: 'remembered', checkpoint: rec.checkpoint ?? null };
  return { kind: 'trusted', origin, logKey: offered, source: 'tofu', checkpoint: null };
}

function copy(state: LogTrust): LogTrust {
  const out = emptyLogTrust();
  for (const k of Object.keys(state.logs)) out.logs[k] = state.logs[k]!;
  for (const k of Object.keys(state.servers)) out.servers[k] = state.servers[k]!;
  return out;
}

/**
 * A new state that trusts `logKey` for its origin and remembers `server` as serving it.
 * Under the key already remembered, the checkpoint is kept; a different key replaces the
 * remembered one and forgets its checkpoint. Call it on first use, and to replace a key
 * only on the person's explicit choice (after a conflict was shown).
 */
export function acceptLog(state: LogTrust, server: string, logKey: string): LogTrust {
  const origin = logOrigin(logKey);
  const next = copy(state);
  const rec = get(state.logs, origin);
  next.logs[origin] = rec && rec.logKey === logKey ? rec : { logKey };
  next.servers[serverUrl(server)] = origin;
  return next;
}

/**
 * A new state remembering `checkpoint` for the log of `logKey` (and `server` as serving it).
 * Call it only with a checkpoint that verified under `logKey` and was consistent with the
 * one remembered. It never moves backwards (a smaller checkpoint keeps the remembered one)
 * and never changes a remembered key: when another key is remembered for that origin, the
 * state is returned unchanged.
 */
export function rememberCheckpoint(state: LogTrust, server: string, logKey: string, checkpoint: LogCheckpoint): LogTrust {
  const origin = logOrigin(logKey);
  const rec = get(state.logs, origin);
  if (rec && rec.logKey !== logKey) return state;
  const next = copy(state);
  const keep = rec?.checkpoint && rec.checkpoint.size > checkpoint.size ? rec.checkpoint : { size: checkpoint.size, root: checkpoint.root, text: checkpoint.text };
  next.logs[origin] = { logKey, checkpoint: keep };
  next.servers[serverUrl(server)] = origin;
  return next;
}
