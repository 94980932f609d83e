// The static mirror (issue 14 §3, DESIGN.md "Beyond one machine"): the log's read side as
// plain files under OUT, at the URL paths the API answers, so that any static file server
// (nginx, an object store, a CDN) serving OUT answers what `cotc verify --server`, `cotc
// audit --tiles` and the donor page read:
//
//   checkpoint                      GET /checkpoint (text/plain)
//   tile/<L>/<N>[.p/<W>]            C2SP tlog-tiles hash tiles
//   tile/entries/<N>[.p/<W>]        C2SP tlog-tiles entry bundles
//   v1/log                          GET /v1/log
//   v1/donations.json               GET /v1/donations (the newest MIRROR_DONATIONS; the
//                                   server's config maps the path: a file cannot share the
//                                   name of the v1/donations/ directory)
//   v1/donations/<id>/trace         GET /v1/donations/<id>/trace (one page: the whole bundle;
//                                   a gift batch's too, traced like a donation)
//   v1/funds/<id>, v1/orgs/<id>     GET /v1/funds/:id, /v1/orgs/:id
//   v1/events/<id>                  GET /v1/events/:id (the entry, its inclusion proof and a
//                                   checkpoint: the one of the pass that first mirrored it)
//   index.html, assets/…            the donor page (its 'server' build: same-origin reads)
//   _errors/404.json                the house error body, for the server's 404s
//
// Incremental: OUT/.cotc-mirror/state.json remembers the size mirrored; a pass writes the
// tiles and bundles the growth from that size to the head creates or widens (newTiles),
// the /v1/events files of the new entries (written once: an inclusion proof in a signed
// checkpoint stays a proof, and the page's event search checks exactly that, so an event
// file never needs the newer checkpoint), the fund and org records the new entries touch,
// and every trace bundle (each carries
// inclusion proofs against the one checkpoint: a bundle left at an older checkpoint would
// read as a rollback to a client that saw the newer one). Files whose bytes are unchanged
// are not rewritten. Every file is replaced atomically (atomic.ts). Order: tiles and
// entries, records, bundles, /v1/log, then the checkpoint last, so a client that reads the
// checkpoint finds everything it covers; then the state file; then the partial tiles made
// redundant by a full one are deleted (C2SP: "MAY delete any partial tile once the
// corresponding full tile is available"; clients fall back to the full tile).
import fs from 'node:fs';
import path from 'node:path';
import { base64, encodeEntryBundle, entriesPath, EntryTooLargeError, HASH_SIZE, hashTilePath, newTiles, parseCheckpoint, parseTilePath, tileWidthAt } from '@cotc/tlog';
import type { Envelope } from '@cotc/ledger';
import { LogService } from '../log/service.ts';
import { tracePage } from '../log/bundle.ts';
import { AtomicWriter } from './atomic.ts';

export const MIRROR_DONATIONS = 100;
const STATE = '.cotc-mirror/state.json';
const PAGE = 1000; // ids and entries read per store call

export interface MirrorState {
  version: 1;
  origin: string;
  size: number;
  /** partial tile paths written at earlier sizes, deleted once their full tile exists */
  partials: string[];
  /** the gift.batch events below `size` (issue 15): their traces are mirrored like the
   * donations', which the store lists (recentDonations) and batches it does not */
  batches?: string[];
  /** entry bundles not written: an entry over 65,535 bytes (path → message) */
  skipped?: Record<string, string>;
}

export interface PassResult {
  from: number;
  size: number;
  files: number;
  bytes: number;
  tiles: number;
  bundles: number;
  records: number;
  /** /v1/events/<id> files written (one per new entry) */
  events: number;
  /** entry bundles that could not be written (an entry too large), with why */
  skipped: string[];
  ms: number;
}

export interface Page {
  html: string;
  js: string;
  css: string;
  favicon: string;
}

export interface MirrorOptions {
  /** the donor page's 'server' build (src/web/build.ts); omitted: no page */
  page?: Page;
  /** progress lines */
  log?: (line: string) => void;
}

const NOT_FOUND = '{"error":{"code":"not_found","message":"no such file in this mirror"}}\n';

export function readState(out: string): MirrorState | null {
  try {
    const s = JSON.parse(fs.readFileSync(path.join(out, STATE), 'utf8')) as MirrorState;
    if (s.version !== 1 || !Number.isSafeInteger(s.size) || typeof s.origin !== 'string' || !Array.isArray(s.partials) || (s.batches !== undefined && !(Array.isArray(s.batches) && s.batches.every((b) => typeof b === 'string')))) throw new Error('not a mirror state file');
    return s;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${path.join(out, STATE)}: ${(e as Error).message}`);
  }
}

/** One pass: brings OUT up to the log's head. */
export async function mirrorPass(log: LogService, out: string, opts: MirrorOptions = {}): Promise<PassResult> {
  const t0 = performance.now();
  fs.mkdirSync(out, { recursive: true });
  const w = new AtomicWriter(path.resolve(out));
  const state = readState(out) ?? { version: 1 as const, origin: log.origin, size: 0, partials: [] };
  if (state.origin !== log.origin) throw new Error(`${out} mirrors log ${JSON.stringify(state.origin)}, not ${JSON.stringify(log.origin)}`);
  const { size, checkpoint } = log.head();
  if (size < state.size) throw new Error(`${out} holds ${state.size} entries of ${log.origin} but the store has ${size}: not the same log, or the store went back`);
  const from = state.size;
  const res: PassResult = { from, size, files: 0, bytes: 0, tiles: 0, bundles: 0, records: 0, events: 0, skipped: [], ms: 0 };
  const skipped: Record<string, string> = { ...(state.skipped ?? {}) };

  if (opts.page) {
    w.write('index.html', opts.page.html);
    w.write('assets/app.js', opts.page.js);
    w.write('assets/app.css', opts.page.css);
    w.write('assets/favicon.svg', opts.page.favicon);
  }
  w.write('_errors/404.json', NOT_FOUND);

  if (size > from) {
    // 1. Hash tiles and entry bundles the growth creates or widens.
    const tiles = newTiles(from, size);
    const got = await log.store.readTiles(tiles.map((t) => ({ l: t.l, n: t.n })));
    tiles.forEach((t, i) => {
      const d = got[i];
      if (!d || d.length < t.w * HASH_SIZE) throw new Error(`tile ${t.l}/${t.n}: the store holds ${d ? d.length / HASH_SIZE : 0} hashes, the head needs ${t.w}`);
      w.write(hashTilePath(t.l, t.n, t.w), d.subarray(0, t.w * HASH_SIZE), { force: true });
      res.tiles++;
    });
    for (const t of tiles.filter((x) => x.l === 0)) {
      const entries = await log.store.entries(t.n * 256, t.w);
      if (entries.length !== t.w) throw new Error(`entries ${t.n * 256}…: the store holds ${entries.length} of ${t.w}`);
      const p = entriesPath(t.n, t.w);
      try {
        w.write(p, encodeEntryBundle(entries, t.n * 256), { force: true });
      } catch (e) {
        if (!(e instanceof EntryTooLargeError)) throw e;
        skipped[p] = e.message;
        res.skipped.push(`${p}: ${e.message}`);
      }
    }

    // 2. Each new entry's /v1/events/<id> file, as the API answers it at this head; the fund
    // and org records the new entries touch; the gift batches among them. (A state file of
    // a mirror made before it named the batches: those below `from` are found once.)
    const funds = new Set<string>();
    const orgs = new Set<string>();
    if (!state.batches) {
      state.batches = [];
      for (let at = 0; at < from; at += PAGE) {
        for (const data of await log.entries(at, Math.min(PAGE, from - at))) {
          const ev = LogService.parseEntry(data).event;
          if (ev.type === 'gift.batch') state.batches.push(ev.id);
        }
      }
    }
    for (let at = from; at < size; at += PAGE) {
      const page = await log.entries(at, Math.min(PAGE, size - at));
      const proofs = await Promise.all(page.map((_, i) => log.proveInclusion(at + i, size)));
      for (const [i, data] of page.entries()) {
        const ev = LogService.parseEntry(data).event as Envelope;
        if (w.write(`v1/events/${ev.id}`, JSON.stringify({ entry: { index: at + i, data: base64(data) }, proof: proofs[i], checkpoint }))) res.events++;
        if (ev.type === 'gift.batch') state.batches.push(ev.id);
        touched(ev, funds, orgs);
        if (ev.type === 'reversal') {
          const target = await log.entryOf((ev as Envelope<'reversal'>).body.event);
          if (target) touched(LogService.parseEntry(target.data).event as Envelope, funds, orgs);
        }
      }
    }
    for (const id of funds) {
      const f = await log.fund(id);
      if (f && w.write(`v1/funds/${id}`, JSON.stringify(f))) res.records++;
    }
    for (const id of orgs) {
      const o = await log.org(id);
      if (!o) continue;
      const keys = o.keys.slice(0, PAGE);
      const body = o.keys.length > PAGE ? { ...o, keys, next: PAGE } : { ...o, keys };
      if (w.write(`v1/orgs/${id}`, JSON.stringify(body))) res.records++;
    }

    // 3. Every donation's trace bundle, at this head; the newest donations' list.
    const recent: Array<{ id: string; fund: string; amount: unknown; index: number }> = [];
    let before: number | undefined;
    for (;;) {
      const list = await log.store.recentDonations(PAGE, before);
      for (const [seq, id] of list) {
        if (seq >= size) continue;
        const page = await tracePage(log, id, undefined, { pageBytes: Number.MAX_SAFE_INTEGER });
        if (!page) throw new Error(`donation ${id} is listed at ${seq} but has no trace`);
        if (w.write(`v1/donations/${id}/trace`, page.body)) res.bundles++;
        if (recent.length < MIRROR_DONATIONS) {
          const [data] = await log.store.entries(seq, 1);
          const body = LogService.parseEntry(data!).event.body as { fund: string; amount: unknown };
          recent.push({ id, fund: body.fund, amount: body.amount, index: seq });
        }
      }
      if (list.length < PAGE) break;
      before = list[list.length - 1]![0];
    }
    w.write('v1/donations.json', JSON.stringify({ donations: recent }));
    for (const id of state.batches) {
      const page = await tracePage(log, id, undefined, { pageBytes: Number.MAX_SAFE_INTEGER });
      if (!page) throw new Error(`gift batch ${id} is in the log but has no trace`);
      if (w.write(`v1/donations/${id}/trace`, page.body)) res.bundles++;
    }
  }

  // 4. The log's description, then the checkpoint: last, after all it covers is in place.
  w.write('v1/log', JSON.stringify({ origin: log.origin, size, key: log.verifierKey }));
  w.flushDirs();
  if (parseCheckpoint(checkpoint.slice(0, checkpoint.indexOf('\n\n') + 1)).size !== size) throw new Error(`the head's checkpoint is not of size ${size}`);
  w.write('checkpoint', checkpoint);
  w.flushDirs();

  // 5. Remember; then drop partial tiles a full tile now covers.
  const partials = new Set(state.partials);
  for (const t of newTiles(from, size)) {
    if (t.w === 256) continue;
    partials.add(hashTilePath(t.l, t.n, t.w));
    if (t.l === 0) partials.add(entriesPath(t.n, t.w));
  }
  const keep: string[] = [];
  for (const p of partials) {
    const t = parseTilePath(p);
    if (tileWidthAt(t.l === 'entries' ? 0 : t.l, t.n, size) === 256) w.remove(p);
    else keep.push(p);
  }
  const next: MirrorState = { version: 1, origin: log.origin, size, partials: keep, batches: state.batches ?? [], ...(Object.keys(skipped).length ? { skipped } : {}) };
  w.write(STATE, JSON.stringify(next));
  w.flushDirs();
  res.files = w.files;
  res.bytes = w.bytes;
  res.ms = performance.now() - t0;
  return res;
}

/** The funds and orgs whose records an event can change. */
function touched(ev: Envelope, funds: Set<string>, orgs: Set<string>): void {
  const b = ev.body as unknown as Record<string, unknown>;
  switch (ev.type) {
    case 'org.register':
    case 'org.keys':
      orgs.add(b.org as string);
      break;
    case 'fund.open':
    case 'donation':
    case 'disbursement':
      funds.add(b.fund as string);
      break;
    case 'transfer':
      funds.add(b.from as string);
      funds.add(b.to as string);
      break;
    default:
      break;
  }
}
