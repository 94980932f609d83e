// The log key this browser trusts for each server, and the last checkpoint it verified
// there, kept in localStorage with @cotc/verify's TrustState (the CLI keeps the same in a
// file). A key given in the address is pinned; otherwise the remembered one; otherwise the
// server's own (GET /v1/log), trusted on first use and remembered, with a visible warning.
import { parseVerifierKey } from '@cotc/tlog';
import { emptyTrustState, parseTrustState, remember, rememberedCheckpoint, rememberedKey, type TrustState, type TrustedCheckpoint } from '@cotc/verify';
import { getJson } from './api.ts';

const STORE = 'cotc.trust.v1';

export type KeySource = 'pinned' | 'remembered' | 'tofu';

export interface Trust {
  server: string;
  key: string;
  source: KeySource;
  /** the key remembered before, when a pinned key differs from it */
  replaced?: string;
  /** the last checkpoint verified for this server under this key */
  trusted: TrustedCheckpoint | null;
}

export function loadState(): TrustState {
  try {
    const raw = localStorage.getItem(STORE);
    return raw ? parseTrustState(JSON.parse(raw)) : emptyTrustState();
  } catch {
    return emptyTrustState();
  }
}

function saveState(s: TrustState): void {
  try {
    localStorage.setItem(STORE, JSON.stringify(s));
  } catch {
    // storage off (private mode): nothing is remembered, every visit is a first use
  }
}

/** Throws with a reason when `key` is not a signed-note verifier key. */
export function checkKey(key: string): void {
  parseVerifierKey(key, 'key');
}

export async function resolveTrust(server: string, pinned: string | undefined): Promise<Trust> {
  const state = loadState();
  const known = rememberedKey(state, server);
  if (pinned) {
    checkKey(pinned);
    if (known !== pinned) saveState(remember(state, server, pinned));
    const t: Trust = { server, key: pinned, source: 'pinned', trusted: rememberedCheckpoint(state, server, pinned) };
    if (known && known !== pinned) t.replaced = known;
    return t;
  }
  if (known) return { server, key: known, source: 'remembered', trusted: rememberedCheckpoint(state, server, known) };
  const info = await getJson<{ key?: unknown }>(server, '/v1/log');
  if (typeof info.key !== 'string') throw new Error('GET /v1/log gave no key');
  checkKey(info.key);
  saveState(remember(state, server, info.key));
  return { server, key: info.key, source: 'tofu', trusted: null };
}

/** Remembers a checkpoint verified (and consistent with the last one) for this server. */
export function rememberCheckpoint(server: string, key: string, cp: { size: number; root: string; text: string }): void {
  saveState(remember(loadState(), server, key, cp));
}
