// What a client remembers about each log it has checked: the log key it trusts (given, or
// on first use) and the last checkpoint it verified, so that the next answer is checked
// for consistency with it (a fork or a rollback is then caught). Pure data and pure
// functions: the CLI keeps it in a JSON file, the donor page in localStorage.
import type { TrustedCheckpoint } from './types.ts';

export interface TrustedLog {
  logKey: string;
  checkpoint?: { size: number; root: string; text: string };
}

export interface TrustState {
  servers: { [url: string]: TrustedLog };
}

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
// Plain assignment of "__proto__" would set the prototype instead of a record.
const put = (o: Record<string, TrustedLog>, k: string, v: TrustedLog) =>
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });

/** The key under which a server is remembered: its URL without trailing slashes. */
export function serverKey(url: string): string {
  return String(url).replace(/\/+$/, '');
}

export function emptyTrustState(): TrustState {
  return { servers: {} };
}

/** Reads a TrustState from untrusted JSON (a file, localStorage): keeps the well-formed records, drops the rest. */
export function parseTrustState(value: unknown): TrustState {
  const out = emptyTrustState();
  const servers = (value as TrustState | null)?.servers;
  if (typeof servers !== 'object' || servers === null || Array.isArray(servers)) return out;
  for (const url of Object.keys(servers)) {
    const r = (servers as Record<string, unknown>)[url] as TrustedLog | undefined;
    if (typeof r !== 'object' || r === null || typeof r.logKey !== 'string') continue;
    const rec: TrustedLog = { logKey: r.logKey };
    const c = r.checkpoint;
    if (c && Number.isSafeInteger(c.size) && c.size >= 0 && typeof c.root === 'string' && /^[0-9a-f]{64}$/.test(c.root) && typeof c.text === 'string') {
      rec.checkpoint = { size: c.size, root: c.root, text: c.text };
    }
    put(out.servers, serverKey(url), rec);
  }
  return out;
}

function record(state: TrustState, url: string): TrustedLog | undefined {
  const k = serverKey(url);
  return state?.servers && hasOwn(state.servers, k) ? state.servers[k] : undefined;
}

/** The log key remembered for this server, if any. */
export function rememberedKey(state: TrustState, url: string): string | undefined {
  return record(state, url)?.logKey;
}

/** The last checkpoint verified for this server under `logKey` (none when the key differs). */
export function rememberedCheckpoint(state: TrustState, url: string, logKey?: string): TrustedCheckpoint | null {
  const r = record(state, url);
  if (!r || (logKey !== undefined && r.logKey !== logKey)) return null;
  return r.checkpoint ?? null;
}

/**
 * A new state remembering `logKey` and `checkpoint` for the server (the input is not
 * changed). Call it only with a checkpoint that verified and was consistent with the one
 * remembered. It never moves backwards: under the same key, a checkpoint smaller than the
 * remembered one leaves the remembered one in place. A different key starts afresh.
 */
export function remember(state: TrustState, url: string, logKey: string, checkpoint?: { size: number; root: string; text: string } | null): TrustState {
  const k = serverKey(url);
  const old = record(state, url);
  const rec: TrustedLog = { logKey };
  const keep = old && old.logKey === logKey ? old.checkpoint : undefined;
  const next = checkpoint ?? undefined;
  const cp = keep && (!next || next.size < keep.size) ? keep : next;
  if (cp) rec.checkpoint = { size: cp.size, root: cp.root, text: cp.text };
  const servers: TrustState['servers'] = {};
  for (const u of Object.keys(state?.servers ?? {})) if (u !== k) put(servers, u, state.servers[u]!);
  put(servers, k, rec);
  return { ...state, servers };
}
