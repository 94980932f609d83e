// Small browser-safe helpers of the state machine (no Node built-ins).
import type { Effect } from '../types.ts';
import { MAX_VALUE } from './types.ts';

export function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
export function hexToBytes(h: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(h)) throw new Error(`ledger state: bad hex ${JSON.stringify(h)}`);
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}
export function b64encode(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}
/** Standard base64, canonical only (atob is forgiving about padding and whitespace; a
 * re-encoding must give back the very same text, so one key has one string). */
export function b64decode(s: string): Uint8Array | null {
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    return null;
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return b64encode(out) === s ? out : null;
}

/** An amount value as bigint, or null when it is not 1..2^63−1 in canonical digits. */
export function parseValue(v: string): bigint | null {
  if (typeof v !== 'string' || !/^[1-9][0-9]{0,18}$/.test(v)) return null;
  const n = BigInt(v);
  return n > MAX_VALUE ? null : n;
}

/** The distinct donations named by effects, in order of first appearance. */
export function donationsOf(effects: readonly Effect[]): string[] {
  const seen = new Set<string>();
  for (const e of effects) seen.add(e.donation);
  return [...seen];
}
