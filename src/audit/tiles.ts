// `cotc audit --tiles URL`: the log read from its C2SP tlog-tiles alone (the API's /tile/…
// or a static mirror): the checkpoint, the entry bundles for the entries, and the hash
// tiles checked against what the entries hash to. The replay (audit.ts) recomputes the
// tree from the entries and checks the checkpoint's root; this source also checks that
// every hash tile the log publishes for that tree holds exactly the replayed hashes (a log
// serving entries right and tiles wrong would give light clients proofs the auditor never
// saw), and gives consistency proofs computed from the tiles.
import { decodeEntryBundle, entriesPath, hashTilePath, hex, leafHash, parseCheckpoint, tileHash, tileWidthAt, consistencyFromTiles, type TileGetter } from '@cotc/tlog';
import type { AuditSource } from './audit.ts';
import { SourceAnswerError } from './sources.ts';

const BUNDLES_AT_ONCE = 4;

/** Checks published hash tiles against the leaf hashes of the entries, in order. */
class TileCheck {
  /** per level l: the hashes at tree level 8·l of the rightmost, not yet full tile */
  readonly #levels: Uint8Array[][] = [];
  #size = 0;
  constructor(private readonly get: TileGetter) {}

  get size(): number {
    return this.#size;
  }

  async #compare(l: number, n: number, hashes: Uint8Array[]): Promise<void> {
    const p = hashTilePath(l, n, hashes.length);
    const d = await this.get(p);
    if (d === undefined) throw new SourceAnswerError(`${p} is missing (the checkpoint's tree needs it)`, n * 256 ** (l + 1));
    const want = Buffer.concat(hashes);
    if (!Buffer.from(d).equals(want)) throw new SourceAnswerError(`${p} does not hold the hashes of the entries: it is not the tree the entries make`, n * 256 ** (l + 1));
  }

  /** Adds the next leaf hashes; checks every tile they complete. */
  async push(leaves: Uint8Array[]): Promise<void> {
    for (const h of leaves) {
      let carry: Uint8Array | null = h;
      for (let l = 0; carry; l++) {
        const level = (this.#levels[l] ??= []);
        level.push(carry);
        carry = null;
        if (level.length === 256) {
          const n = Math.floor(this.#size / 256 ** (l + 1));
          await this.#compare(l, n, level);
          carry = tileHash(Buffer.concat(level));
          this.#levels[l] = [];
        }
      }
      this.#size++;
    }
  }

  /** At the checkpoint's size: the partial tiles of each level. */
  async finish(): Promise<void> {
    for (let l = 0; l < this.#levels.length; l++) {
      const level = this.#levels[l]!;
      if (level.length === 0) continue;
      const n = Math.floor(this.#size / 256 ** (l + 1));
      if (tileWidthAt(l, n, this.#size) !== level.length) throw new Error(`tile check: level ${l} holds ${level.length} hashes at size ${this.#size}`);
      await this.#compare(l, n, level);
    }
  }
}

export function tilesSourceOf(get: TileGetter, fetchCheckpoint: () => Promise<string>): AuditSource {
  let size: number | undefined;
  let check: TileCheck | null = null;
  let last: { n: number; entries: Uint8Array[] } | null = null;

  async function bundle(n: number): Promise<Uint8Array[]> {
    if (last?.n === n) return last.entries;
    const w = tileWidthAt(0, n, size!);
    const p = entriesPath(n, w);
    const d = await get(p);
    if (d === undefined) throw new SourceAnswerError(`${p} is missing (the checkpoint of ${size} entries needs it)`, n * 256);
    let entries: Uint8Array[];
    try {
      entries = decodeEntryBundle(d);
    } catch (e) {
      throw new SourceAnswerError(`${p}: ${(e as Error).message}`, n * 256);
    }
    if (entries.length !== w) throw new SourceAnswerError(`${p} holds ${entries.length} entries, not ${w}`, n * 256 + Math.min(entries.length, w));
    last = { n, entries };
    return entries;
  }

  return {
    async checkpoint() {
      const note = await fetchCheckpoint();
      // The signature is the replay's to check; the size says which bundles and tiles to read.
      try {
        size = parseCheckpoint(note.slice(0, note.indexOf('\n\n') + 1)).size;
      } catch (e) {
        throw new SourceAnswerError(`the checkpoint is not a C2SP checkpoint: ${(e as Error).message.slice(0, 200)}`);
      }
      check = null;
      return note;
    },
    async entries(start, limit) {
      if (size === undefined) throw new Error('tiles source: entries before checkpoint');
      const end = Math.min(start + limit, size);
      if (start >= end) return [];
      const first = Math.floor(start / 256);
      const lastN = Math.floor((end - 1) / 256);
      const ns = Array.from({ length: lastN - first + 1 }, (_, i) => first + i);
      const got: Uint8Array[][] = [];
      for (let i = 0; i < ns.length; i += BUNDLES_AT_ONCE) got.push(...(await Promise.all(ns.slice(i, i + BUNDLES_AT_ONCE).map(bundle))));
      const out: Uint8Array[] = [];
      got.forEach((entries, i) => {
        const base = ns[i]! * 256;
        for (let k = Math.max(start, base); k < Math.min(end, base + entries.length); k++) out.push(entries[k - base]!);
      });
      // Tiles are checked along a replay from entry 0 (a resumed audit starts later: its
      // saved state holds the tree it verified; the tiles below it are not re-read).
      if (start === 0) check = new TileCheck(get);
      if (check && check.size === start) {
        await check.push(out.map((e) => leafHash(e)));
        if (check.size === size) await check.finish();
      }
      return out;
    },
    async consistency(from, to) {
      if (from === to) return [];
      return (await consistencyFromTiles(get, from, to)).map(hex);
    },
  };
}
