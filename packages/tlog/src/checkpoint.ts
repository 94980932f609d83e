// C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the note text of a signed
// tree head. "origin\nsize\nbase64(root)\n" then optional non-empty extension lines.
// Parsing is strict (one text per checkpoint) because the text is what gets signed.
// Sizes are JS numbers, so we refuse anything above 2^53-1 rather than lose precision.

import { base64, fromBase64, isWellFormed } from './bytes.ts';

export interface Checkpoint { origin: string; size: number; root: Uint8Array; extensions: string[] }

// A line of a signed note may hold no control character (signed-note §Format); newline
// is what separates lines, so it is refused inside a line too.
const CONTROL = /[\x00-\x1f]/;

function checkLine(line: unknown, param: string): asserts line is string {
  if (typeof line !== 'string') throw new TypeError(`${param}: expected a string`);
  if (line === '') throw new TypeError(`${param}: must be non-empty`);
  if (CONTROL.test(line)) throw new TypeError(`${param}: may not contain a newline or control character`);
  if (!isWellFormed(line)) throw new TypeError(`${param}: contains a lone UTF-16 surrogate`);
}

function checkSize(size: unknown, param: string): asserts size is number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new TypeError(`${param}: must be an integer from 0 to 2^53-1 (Number.MAX_SAFE_INTEGER)`);
  }
}

function checkRoot(root: unknown, param: string): asserts root is Uint8Array {
  if (!(root instanceof Uint8Array) || root.length !== 32) throw new TypeError(`${param}: must be 32 bytes (a SHA-256 hash)`);
}

/** The checkpoint's note text. */
export function formatCheckpoint(cp: { origin: string; size: number; root: Uint8Array; extensions?: string[] }): string {
  if (typeof cp !== 'object' || cp === null) throw new TypeError('checkpoint: expected an object');
  checkLine(cp.origin, 'origin');
  checkSize(cp.size, 'size');
  checkRoot(cp.root, 'root');
  const extensions = cp.extensions ?? [];
  if (!Array.isArray(extensions)) throw new TypeError('extensions: expected an array of strings');
  extensions.forEach((e, i) => checkLine(e, `extensions[${i}]`));
  return [cp.origin, String(cp.size), base64(cp.root), ...extensions].join('\n') + '\n';
}

/** Parses a checkpoint's note text (not the signed note: open that first with openNote). */
export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== 'string') throw new TypeError('checkpoint: expected a string');
  if (!text.endsWith('\n')) throw new TypeError('checkpoint: must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new TypeError('checkpoint: needs at least 3 lines (origin, size, root hash)');
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  checkLine(origin, 'checkpoint origin');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine)) {
    throw new TypeError('checkpoint size: must be decimal digits without leading zeros');
  }
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) throw new TypeError('checkpoint size: above 2^53-1, which this implementation does not support');
  const root = fromBase64(rootLine, 'checkpoint root hash');
  checkRoot(root, 'checkpoint root hash');
  extensions.forEach((e, i) => checkLine(e, `checkpoint extension line ${i + 1}`));
  return { origin, size, root, extensions };
}
