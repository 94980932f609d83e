// The log's C2SP tlog-tiles read API (https://c2sp.org/tlog-tiles): `GET /tile/<L>/<N>[.p/<W>]`
// (hash tiles) and `GET /tile/entries/<N>[.p/<W>]` (entry bundles), read from the store's
// tiles and entries at the head reads serve (the published one when witnesses are in use).
// `GET /checkpoint` is app.ts's. The same paths are what `cotc mirror` writes as files.
//
// - Full tiles never change: `Cache-Control: public, max-age=31536000, immutable`.
// - A partial tile is served only for a width some committed checkpoint had ("Logs MUST
//   serve partial tiles corresponding to tree sizes for which a checkpoint was produced");
//   its bytes at that path never change either, so it is cached as long. Level 0 (and
//   entry bundles) have one size per width: one checkpointAt lookup. Level 1 has 256: they
//   are looked up (once per tile and width, remembered). Level 2 and up: served while the
//   head is at that width (older widths: 404, fetch the full tile or the current partial).
// - A path outside the grammar is 400 bad_request; a tile the head does not reach, 404.
// - An entry over 65,535 bytes cannot be in an entry bundle (uint16 lengths): its bundle
//   answers 422 entry_too_large, naming the entry (issue 11 caps entries at 64 KiB).
import express, { type Router } from 'express';
import { EntryTooLargeError, HASH_SIZE, TilePathError, encodeEntryBundle, parseTilePath, sizesWithWidth, tileWidthAt } from '@cotc/tlog';
import type { LogService } from '../log/service.ts';
import { HttpError, badRequest, notFound } from './errors.ts';

export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** GET /checkpoint: a few seconds at most (C2SP tlog-tiles "Checkpoints"). */
export const CHECKPOINT_CACHE = 'public, max-age=2';
const REMEMBER = 4096; // (tile, width) → had a checkpoint: answers remembered
const PROBE_MAX = 256; // checkpoint sizes looked up for one partial tile, at most

/** Whether some committed checkpoint of size ≤ `size` gives tile (l, n) width w. */
export class PartialWidths {
  readonly #seen = new Map<string, true>();
  constructor(private readonly checkpointAt: (size: number) => Promise<string | undefined>) {}

  async had(l: number, n: number, w: number, size: number): Promise<boolean> {
    if (w === 256) return tileWidthAt(l, n, size) === 256;
    const { lo, hi } = sizesWithWidth(l, n, w);
    if (lo > size) return false;
    if (size < hi) return true; // the head itself has this width
    const key = `${l}/${n}/${w}`;
    if (this.#seen.has(key)) return true;
    if (hi - lo > PROBE_MAX) return false;
    const sizes = Array.from({ length: hi - lo }, (_, i) => lo + i);
    const found = (await Promise.all(sizes.map((s) => this.checkpointAt(s)))).some((c) => c !== undefined);
    if (found) {
      if (this.#seen.size >= REMEMBER) this.#seen.delete(this.#seen.keys().next().value!);
      this.#seen.set(key, true);
    }
    return found;
  }
}

export function tileRouter(log: LogService): Router {
  const r = express.Router({ strict: true, caseSensitive: true });
  const widths = new PartialWidths((s) => log.store.checkpointAt(s));
  r.get(/^\/tile\//, async (req, res) => {
    let t;
    try {
      t = parseTilePath(req.path);
    } catch (e) {
      if (e instanceof TilePathError && e.reason === 'range') throw notFound(`${e.message}`);
      if (e instanceof TilePathError) throw badRequest(`path: ${e.message}`);
      throw e;
    }
    const size = log.head().size;
    const level = t.l === 'entries' ? 0 : t.l;
    const what = t.l === 'entries' ? `entry bundle ${t.n}` : `tile ${t.l}/${t.n}`;
    if (level > 6 || !(await widths.had(level, t.n, t.w, size))) {
      const now = level > 6 ? 0 : tileWidthAt(level, t.n, size);
      throw notFound(
        now === 0
          ? `no ${what}: the tree of ${size} entries does not reach it`
          : `no ${what} of width ${t.w}: it has width ${now} at the head (${size} entries), and no checkpoint had width ${t.w}${t.w < 256 && level >= 2 ? ' that this log still serves at this level' : ''}`,
      );
    }
    let body: Uint8Array;
    if (t.l === 'entries') {
      const entries = await log.store.entries(t.n * 256, t.w);
      if (entries.length !== t.w) throw new Error(`entries ${t.n * 256}..${t.n * 256 + t.w - 1}: the store holds ${entries.length} below the head`);
      try {
        body = encodeEntryBundle(entries, t.n * 256);
      } catch (e) {
        if (e instanceof EntryTooLargeError) throw new HttpError(422, 'entry_too_large', e.message);
        throw e;
      }
    } else {
      const [data] = await log.store.readTiles([{ l: t.l, n: t.n }]);
      if (!data || data.length < t.w * HASH_SIZE) throw new Error(`tile ${t.l}/${t.n}: the store holds ${data ? data.length / HASH_SIZE : 0} hashes, the head needs ${t.w}`);
      body = data.subarray(0, t.w * HASH_SIZE);
    }
    res.set({ 'Content-Type': 'application/octet-stream', 'Cache-Control': IMMUTABLE });
    res.end(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  });
  return r;
}
