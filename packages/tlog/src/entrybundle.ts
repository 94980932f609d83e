// C2SP tlog-tiles entry bundles (https://c2sp.org/tlog-tiles, "Log entries"): "sequences
// of big-endian uint16 length-prefixed log entries". An entry over 65,535 bytes cannot be
// written into one (issue 11 caps entries at 64 KiB; until then such an entry's bundle is
// refused, by name). Browser-safe.

export const MAX_BUNDLE_ENTRY = 0xffff;

/** An entry too large for an entry bundle's uint16 length. */
export class EntryTooLargeError extends Error {
  constructor(
    readonly index: number,
    readonly bytes: number,
  ) {
    super(`entry ${index} is ${bytes} bytes: an entry bundle holds entries of at most ${MAX_BUNDLE_ENTRY} bytes (big-endian uint16 lengths, C2SP tlog-tiles "Log entries")`);
    this.name = 'EntryTooLargeError';
  }
}

/** Encodes entries as one bundle. `first` is the first entry's index (for the error). */
export function encodeEntryBundle(entries: readonly Uint8Array[], first = 0): Uint8Array {
  let total = 0;
  entries.forEach((e, i) => {
    if (!(e instanceof Uint8Array)) throw new TypeError(`entries[${i}]: expected bytes`);
    if (e.length > MAX_BUNDLE_ENTRY) throw new EntryTooLargeError(first + i, e.length);
    total += 2 + e.length;
  });
  const out = new Uint8Array(total);
  let at = 0;
  for (const e of entries) {
    out[at] = e.length >>> 8;
    out[at + 1] = e.length & 0xff;
    out.set(e, at + 2);
    at += 2 + e.length;
  }
  return out;
}

/** Decodes a bundle; throws RangeError when it is truncated or holds more than `max` entries. */
export function decodeEntryBundle(data: Uint8Array, max = 256): Uint8Array[] {
  if (!(data instanceof Uint8Array)) throw new TypeError('data: expected bytes');
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < data.length) {
    if (out.length >= max) throw new RangeError(`entry bundle: more than ${max} entries`);
    if (at + 2 > data.length) throw new RangeError(`entry bundle: truncated length at byte ${at}`);
    const n = (data[at]! << 8) | data[at + 1]!;
    if (at + 2 + n > data.length) throw new RangeError(`entry bundle: entry ${out.length} of ${n} bytes runs past the end (${data.length - at - 2} left)`);
    out.push(data.slice(at + 2, at + 2 + n));
    at += 2 + n;
  }
  return out;
}
