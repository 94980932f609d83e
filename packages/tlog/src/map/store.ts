// Where the map's nodes live: any string-keyed record store (docs/wire-format-2.md §7).
// The map reads through `readNodes`, one call per tree level touched (a batch's update and
// a run of proofs read all the pages they need at one level in ONE call), and never scans.
// It writes nothing itself: update() returns the records to write, which the caller puts in
// the same atomic commit as the rest of its batch (the LogStore's CommitBatch.state).
import { fromHex, hex } from '../bytes.ts';
import { MAP_EMPTY } from './hash.ts';
import { MapCorruptError, MapPage, decodeChild, encodeChild, mapRootKey, type Child, type MapStride } from './page.ts';

export interface MapNodeReader {
  /** The records for `keys`, in order, undefined where absent. */
  readNodes(keys: readonly string[]): Promise<ReadonlyArray<string | undefined>> | ReadonlyArray<string | undefined>;
}

/** A map root: the version that wrote it, the root hash, the number of records, and the
 * root's child (undefined: empty map; a leaf: one record; else the top page). */
export interface MapRoot {
  version: number;
  hash: Uint8Array;
  count: number;
  child: Child | undefined;
}

/** The root of the empty map, version 0 (never stored: the first batch writes version ≥ 1). */
export function emptyMapRoot(): MapRoot {
  return { version: 0, hash: MAP_EMPTY, count: 0, child: undefined };
}

export function encodeRoot(r: MapRoot): string {
  return JSON.stringify({ hash: hex(r.hash), count: r.count, child: r.child === undefined ? null : encodeChild(r.child) });
}

export function decodeRoot(version: number, text: string, key = mapRootKey(version)): MapRoot {
  let v: { hash?: unknown; count?: unknown; child?: unknown };
  try {
    v = JSON.parse(text);
  } catch {
    throw new MapCorruptError(`map: root ${key} is not JSON`, key);
  }
  if (typeof v !== 'object' || v === null || typeof v.hash !== 'string' || !/^[0-9a-f]{64}$/.test(v.hash) || !Number.isSafeInteger(v.count) || (v.count as number) < 0) {
    throw new MapCorruptError(`map: root ${key} is malformed`, key);
  }
  const child = v.child === null ? undefined : decodeChild(v.child, key);
  return { version, hash: fromHex(v.hash), count: v.count as number, child };
}

/** The stored root of `version`, or undefined (version 0 is the empty map). */
export async function readMapRoot(store: MapNodeReader, version: number): Promise<MapRoot | undefined> {
  if (version === 0) return emptyMapRoot();
  const key = mapRootKey(version);
  const [text] = await store.readNodes([key]);
  return text === undefined ? undefined : decodeRoot(version, text, key);
}

/** Records in a Map: the store of tests, and a cache of records already committed. */
export class MemoryMapStore implements MapNodeReader {
  readonly records = new Map<string, string>();
  /** readNodes calls and keys read (tests assert one call per level). */
  calls = 0;
  keysRead = 0;
  readNodes(keys: readonly string[]): Array<string | undefined> {
    this.calls++;
    this.keysRead += keys.length;
    return keys.map((k) => this.records.get(k));
  }
  /** Applies writes as a commit would (value null deletes). */
  write(writes: Iterable<readonly [string, string | null]>): void {
    for (const [k, v] of writes) {
      if (v === null) this.records.delete(k);
      else this.records.set(k, v);
    }
  }
}

/** The map's reader over a LogStore's state records (src/storage/types.ts
 * `getStateRecords`: one batched read). Structural, so this file needs no Node. */
export function mapNodesFromRecords(store: { getStateRecords(keys: readonly string[]): Promise<(string | undefined)[]> }): MapNodeReader {
  return { readNodes: (keys) => store.getStateRecords(keys) };
}

/**
 * Decoded, hash-checked pages by record key. Pages are immutable (a key is written once),
 * so a cached page never goes stale; only pages READ from the store are cached, never the
 * ones an update has not yet committed (a failed commit may be retried with other content).
 */
export class MapPageCache {
  readonly #max: number;
  readonly #pages = new Map<string, MapPage>();
  hits = 0;
  misses = 0;
  constructor(maxPages = 65536) {
    if (!Number.isSafeInteger(maxPages) || maxPages < 0) throw new RangeError('maxPages: expected a non-negative integer');
    this.#max = maxPages;
  }
  get(key: string): MapPage | undefined {
    const p = this.#pages.get(key);
    if (p === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return p;
  }
  set(key: string, page: MapPage): void {
    if (this.#max === 0) return;
    if (this.#pages.size >= this.#max) {
      // Drop the oldest eighth: cheap, and the top pages (read by every lookup) come back
      // at once.
      let n = this.#max >> 3 || 1;
      for (const k of this.#pages.keys()) {
        this.#pages.delete(k);
        if (--n === 0) break;
      }
    }
    this.#pages.set(key, page);
  }
  get size(): number {
    return this.#pages.size;
  }
}

/** Reads pages (through the cache), checks each against the hash that points at it. */
export async function loadPages(
  store: MapNodeReader,
  cache: MapPageCache | undefined,
  wants: ReadonlyArray<{ key: string; depth: number; hash: Uint8Array }>,
  stride: MapStride,
): Promise<MapPage[]> {
  const out = new Array<MapPage>(wants.length);
  const miss: number[] = [];
  for (let i = 0; i < wants.length; i++) {
    const p = cache?.get(wants[i]!.key);
    if (p) out[i] = p;
    else miss.push(i);
  }
  if (miss.length === 0) return out;
  const texts = await store.readNodes(miss.map((i) => wants[i]!.key));
  if (!Array.isArray(texts) || texts.length !== miss.length) throw new Error(`map: readNodes returned ${texts?.length} records for ${miss.length} keys`);
  for (let j = 0; j < miss.length; j++) {
    const w = wants[miss[j]!]!;
    const t = texts[j];
    if (t === undefined) throw new MapCorruptError(`map: page ${w.key} is missing (pruned, or never committed)`, w.key);
    const page = MapPage.decode(t, w.depth, stride, w.key);
    if (!page.isMulti) throw new MapCorruptError(`map: page ${w.key} holds fewer than 2 records`, w.key);
    const h = page.hash;
    for (let b = 0; b < 32; b++) if (h[b] !== w.hash[b]) throw new MapCorruptError(`map: page ${w.key} does not hash to the hash that points at it`, w.key);
    cache?.set(w.key, page);
    out[miss[j]!] = page;
  }
  return out;
}
