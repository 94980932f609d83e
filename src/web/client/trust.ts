// The log key this browser trusts and the last checkpoint it verified, kept in
// localStorage by the log's identity (its origin, the key's name), not by server URL, with
// src/client/logtrust.ts (the CLI keeps the same in its state file): so
// http://localhost:8080 and http://127.0.0.1:8080 are one log, and the consistency check
// follows it from one to the other.
//
// A key given in the address (?key=) is pinned; otherwise the key remembered for this
// server; otherwise the server's own (GET /v1/log), trusted on first use and remembered,
// with a visible warning. A key (given or offered) that differs from the one remembered for
// its log is never taken by itself (issue 9: one visit to a `?key=` link used to replace
// it and forget its checkpoint): resolveTrust answers with a conflict naming both keys, and
// only the person's choice (chooseKey) replaces the remembered key.
import { parseVerifierKey } from '@cotc/tlog';
import { acceptLog, decideTrust, emptyLogTrust, parseLogTrust, rememberCheckpoint as rememberIn, type KeySource, type LogCheckpoint, type LogTrust } from '../../client/logtrust.ts';
import { getJson } from './api.ts';

const STORE = 'cotc.trust.v2';
/** What pages before issue 9 kept (by server URL); read once, then rewritten as STORE. */
const OLD_STORE = 'cotc.trust.v1';

export type { KeySource };

export interface Trust {
  server: string;
  key: string;
  /** the log's origin (the key's name) */
  origin: string;
  source: KeySource;
  /** the key remembered before, when the person chose to replace it with this one */
  replaced?: string;
  /** a key given (or offered) that the person chose not to trust, keeping this one */
  declined?: string;
  /** the last checkpoint verified for this log (from any address of it) */
  trusted: LogCheckpoint | null;
}

/** A key that differs from the one remembered: nothing changes until the person chooses. */
export interface KeyConflict {
  server: string;
  remembered: string;
  rememberedOrigin: string;
  offered: string;
  offeredOrigin: string;
  /** pinned: the key came in the address; server: the server offers it (GET /v1/log) */
  by: 'pinned' | 'server';
}

export function loadState(): LogTrust {
  try {
    const raw = localStorage.getItem(STORE) ?? localStorage.getItem(OLD_STORE);
    return raw ? parseLogTrust(JSON.parse(raw)) : emptyLogTrust();
  } catch {
    return emptyLogTrust();
  }
}

function saveState(s: LogTrust): void {
  try {
    localStorage.setItem(STORE, JSON.stringify(s));
    localStorage.removeItem(OLD_STORE);
  } catch {
    // storage off (private mode): nothing is remembered, every visit is a first use
  }
}

/** Throws with a reason when `key` is not a signed-note verifier key. */
export function checkKey(key: string): void {
  parseVerifierKey(key, 'key');
}

export async function resolveTrust(server: string, pinned: string | undefined): Promise<{ trust: Trust } | { conflict: KeyConflict }> {
  const state = loadState();
  if (pinned) checkKey(pinned);
  let d = decideTrust(state, server, pinned || undefined);
  if (d.kind === 'ask-server') {
    const info = await getJson<{ key?: unknown }>(server, '/v1/log');
    if (typeof info.key !== 'string') throw new Error('GET /v1/log gave no key');
    checkKey(info.key);
    d = decideTrust(state, server, undefined, info.key);
  }
  if (d.kind === 'ask-server') throw new Error('no key to trust');
  if (d.kind === 'conflict') {
    const { remembered, rememberedOrigin, offered, offeredOrigin, by } = d;
    return { conflict: { server, remembered, rememberedOrigin, offered, offeredOrigin, by } };
  }
  // Remembered from now on (first use, a pinned key for a log not seen before, or a known log at a new address).
  if (d.source !== 'remembered' || !state.servers[server]) saveState(acceptLog(state, server, d.logKey));
  return { trust: { server, key: d.logKey, origin: d.origin, source: d.source, trusted: d.checkpoint } };
}

/**
 * The person's choice after a conflict: keep the remembered key (nothing changes), or
 * replace it with the offered one (remembered from now on; the old key's checkpoint is
 * forgotten, so the next consistency check starts from this visit).
 */
export function chooseTrust(c: KeyConflict, choice: 'keep' | 'replace'): Trust {
  const state = loadState();
  if (choice === 'replace') {
    saveState(acceptLog(state, c.server, c.offered));
    return { server: c.server, key: c.offered, origin: c.offeredOrigin, source: c.by === 'pinned' ? 'pinned' : 'tofu', replaced: c.remembered, trusted: null };
  }
  const rec = Object.prototype.hasOwnProperty.call(state.logs, c.rememberedOrigin) ? state.logs[c.rememberedOrigin] : undefined;
  const trusted = rec && rec.logKey === c.remembered ? (rec.checkpoint ?? null) : null;
  return { server: c.server, key: c.remembered, origin: c.rememberedOrigin, source: 'remembered', declined: c.offered, trusted };
}

/** Remembers a checkpoint verified (and consistent with the last one) for this log. */
export function rememberCheckpoint(server: string, key: string, cp: { size: number; root: string; text: string }): void {
  saveState(rememberIn(loadState(), server, key, cp));
}
