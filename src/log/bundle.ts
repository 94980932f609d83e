// The trace bundle of DESIGN.md "Trace bundle": one donation's flow graph with every
// entry a verifier needs (the graph's events, entry 0, the fund.open of every fund a node
// names, and every org.register/org.keys of every org that signed any of them), each with
// its inclusion proof against one checkpoint. Read from the committed head only.
//
// Paged (README "Limits"): a bundle larger than one answer's byte cap is served as pages.
// Each page is a v1 bundle object {version: 1, checkpoint, entries, trace?, page?}: every
// page carries the same checkpoint (the one of the size the first page was read at; every
// published checkpoint is kept), its entries strictly above the previous page's, and
// either `page: {next: <cursor>}` (more follow: GET …/trace?cursor=<cursor>) or, on the
// last page, `trace`. A cursor pins the size and the last index served, with a MAC under
// a key derived from the log key, so a forged or foreign cursor is refused (400).
//
// Memory per request is bounded whatever the log holds: entries are streamed a few at a
// time and a page holds at most `pageBytes` of them (at least one entry, however large);
// the nodes and flows come from one compact pass over the trace's entries that keeps only
// what buildTrace reads (the event's id, type, org and the body fields naming funds, and
// the effects that name this donation), so the pass costs a small record per trace node,
// never the entries' bytes. The compact pass is remembered per (donation, size) within a
// byte budget, so the pages of one trace do not repeat it.
import { createHash } from 'node:crypto';
import { buildTrace, type Effect, type Entry, type Envelope, type Trace } from '@cotc/ledger';
import type { TraceEntry } from '@cotc/ledger';
import { LogService, type Proof } from './service.ts';

/** Byte cap of one trace page by default (its entries; the last page adds the trace). */
export const TRACE_PAGE_BYTES = 4 * 1024 * 1024;

export interface TraceBundle {
  version: 1;
  checkpoint: string;
  entries: Array<{ index: number; data: string; proof: Proof }>;
  trace: Trace;
}

/** One page as it goes on the wire (`body`), with what it holds for callers in process. */
export interface TracePage {
  /** the JSON text of the page */
  body: string;
  size: number;
  checkpoint: string;
  entries: Array<{ index: number; data: string; proof: Proof }>;
  /** on the last page: the trace's JSON text */
  traceJson?: string;
  /** when more pages follow */
  next?: string;
}

export interface TracePageOptions {
  /** byte cap on a page's entries (default TRACE_PAGE_BYTES); the last page adds the trace */
  pageBytes?: number;
}

/** A cursor that is not one this log gave out for this donation (400 bad_request). */
export class BadCursorError extends Error {}

const SEQ_CHUNK = 256; // index keys read per store call
const ENTRY_GROUP = 16; // entries read (and proven) at once while streaming
const SHORT_ORG = 64; // an org with at most this many org entries has them kept in the pass
const CACHE_BYTES = 32 * 1024 * 1024; // remembered compact passes per log, by weight
const PASSES_AT_ONCE = 2; // compact passes in flight per log (each O(trace nodes))
const PAGES_AT_ONCE = 4; // pages being assembled per log (each O(pageBytes))
const SERVED_MAX = 1024;
const KEEP_SEQS = 4096; // trace index seqs kept in a compact pass
const RAW_MAX = 1024 * 1024; // entry bytes a compact pass hands to its first page (never cached)

/** A compact pass, with the trace's entry bytes when they are few (for the page that
 * asked for it: a one-page bundle then reads each entry once). */
interface Pass {
  info: TraceInfo;
  raw: Map<number, Uint8Array> | null;
} // checkpoint texts remembered for cursors (a few hundred bytes each)

/** What a page needs from the trace besides its entries: the compact pass. */
interface TraceInfo {
  size: number;
  traceJson: string;
  /** orgs whose org.register/org.keys go in the bundle, with their seqs when few */
  signers: Array<{ org: string; seqs: number[] | null }>;
  /** entry 0 and the fund.open entries, ascending */
  fixedSeqs: number[];
  /** the trace index's seqs below size, when few (else the index is read again per page) */
  traceSeqs: number[] | null;
  weight: number;
}

interface PerLog {
  cache: Map<string, TraceInfo>;
  cacheBytes: number;
  inflight: Map<string, Promise<Pass | null>>;
  /** short org indexes (org.register/org.keys seqs) as read at a size */
  orgSeqs: Map<string, { size: number; seqs: number[] }>;
  fundSeq: Map<string, { seq: number; owner: string }>;
  /** checkpoint texts first pages carried, by tag (a published one may be cosigned, and
   * re-cosigned with fresh timestamps at the same size) */
  served: Map<string, string>;
  passes: Semaphore;
  pages: Semaphore;
}
const perLog = new WeakMap<LogService, PerLog>();
function stateOf(log: LogService): PerLog {
  let p = perLog.get(log);
  if (!p) {
    p = { cache: new Map(), cacheBytes: 0, inflight: new Map(), fundSeq: new Map(), served: new Map(), orgSeqs: new Map(), passes: new Semaphore(PASSES_AT_ONCE), pages: new Semaphore(PAGES_AT_ONCE) };
    perLog.set(log, p);
  }
  return p;
}

class Semaphore {
  #free: number;
  #waiting: Array<() => void> = [];
  constructor(n: number) {
    this.#free = n;
  }
  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((r) => this.#waiting.push(r));
    try {
      return await f();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

// ---- cursors -----------------------------------------------------------------------

const CURSOR_RE = /^t1\.([0-9a-z]{1,11})\.([0-9a-z]{1,11})\.([A-Za-z0-9_-]{11})\.([A-Za-z0-9_-]{22})$/;

/** A short tag of a checkpoint's text: a cursor names the exact text its pages carry (a
 * published, witness-cosigned checkpoint differs from the stored one of the same size). */
function checkpointTag(text: string): string {
  return createHash('sha256').update(text).digest().subarray(0, 8).toString('base64url');
}

/** The size a checkpoint note's text names (its second line). */
function checkpointSize(note: string): number {
  return Number(note.split('\n', 2)[1]);
}

function cursorMac(log: LogService, donation: string, size: number, after: number, tag: string): string {
  return Buffer.from(log.mac(`cotc-trace-cursor-v1\n${log.origin}\n${donation}\n${size}\n${after}\n${tag}`).subarray(0, 16)).toString('base64url');
}

export function makeCursor(log: LogService, donation: string, size: number, after: number, checkpoint?: string): string {
  const tag = checkpointTag(checkpoint ?? log.head().checkpoint);
  return `t1.${size.toString(36)}.${after.toString(36)}.${tag}.${cursorMac(log, donation, size, after, tag)}`;
}

/** Parses a cursor this log gave out for `donation`; throws BadCursorError otherwise. */
export function parseCursor(log: LogService, donation: string, cursor: string): { size: number; after: number; tag: string } {
  const m = CURSOR_RE.exec(cursor);
  if (!m) throw new BadCursorError('cursor: not a trace cursor of this server');
  const size = parseInt(m[1]!, 36);
  const after = parseInt(m[2]!, 36);
  const tag = m[3]!;
  if (!Number.isSafeInteger(size) || !Number.isSafeInteger(after) || size < 1 || after >= size || size > log.committedHead().size) {
    throw new BadCursorError('cursor: not a trace cursor of this log');
  }
  if (cursorMac(log, donation, size, after, tag) !== m[4]) throw new BadCursorError(`cursor: not a cursor of this log for the trace of ${donation}`);
  return { size, after, tag };
}

/** The checkpoint text a cursor's pages carry: the one its first page carried. */
async function cursorCheckpoint(log: LogService, per: PerLog, size: number, tag: string): Promise<string> {
  const candidates = [per.served.get(tag), log.head().size === size ? log.head().checkpoint : undefined, await log.store.checkpointAt(size)];
  for (const c of candidates) if (c !== undefined && checkpointTag(c) === tag && checkpointSize(c) === size) return c;
  throw new BadCursorError(`cursor: the checkpoint of size ${size} this cursor's pages carry is no longer served; fetch the trace again from its first page`);
}

// ---- the compact pass --------------------------------------------------------------

async function readEntries(log: LogService, seqs: readonly number[]): Promise<Map<number, Uint8Array>> {
  // Runs of consecutive seqs in one read each (a point read per key for short runs).
  const runs: Array<[number, number]> = [];
  for (const s of seqs) {
    const r = runs[runs.length - 1];
    if (r && s === r[1] + 1) r[1] = s;
    else runs.push([s, s]);
  }
  const got = await Promise.all(runs.map(([a, b]) => log.store.entries(a, b - a + 1)));
  const out = new Map<number, Uint8Array>();
  runs.forEach(([a], i) => got[i]!.forEach((d, j) => out.set(a + j, d)));
  for (const s of seqs) if (!out.has(s)) throw new Error(`entry ${s} is missing`);
  return out;
}

/** Streams the seqs of an index key below `size` and above `after`, SEQ_CHUNK at a time. */
async function* indexSeqs(log: LogService, key: string, size: number, after: number): AsyncGenerator<number> {
  let at = after;
  while (true) {
    const chunk = await log.store.traceSeqs(key, SEQ_CHUNK, at);
    for (const s of chunk) {
      if (s >= size) return;
      yield s;
    }
    if (chunk.length < SEQ_CHUNK) return;
    at = chunk[chunk.length - 1]!;
  }
}

/** The fields of an event that buildTrace reads (and the funds a node names). */
function compactEvent(ev: Envelope): { event: Envelope; funds: string[] } {
  const b = ev.body as unknown as Record<string, unknown>;
  let body: Record<string, unknown>;
  let funds: string[] = [];
  switch (ev.type) {
    case 'donation':
    case 'gift.batch': // a batch of gifts is one lot, traced like a donation (issue 15)
      body = { fund: b.fund, amount: b.amount };
      funds = [b.fund as string];
      break;
    case 'transfer':
      body = { from: b.from, to: b.to };
      funds = [b.from as string, b.to as string];
      break;
    case 'disbursement':
      body = { fund: b.fund };
      funds = [b.fund as string];
      break;
    case 'reversal':
      body = { event: b.event };
      break;
    case 'confirmation':
      body = { disbursement: b.disbursement };
      break;
    default:
      body = {};
  }
  return { event: { v: 1, type: ev.type, id: ev.id, org: ev.org, time: '', body, sig: '' } as unknown as Envelope, funds };
}

async function fundOpened(log: LogService, per: PerLog, fund: string): Promise<{ seq: number; owner: string }> {
  const known = per.fundSeq.get(fund);
  if (known) return known;
  const f = await log.fund(fund);
  if (!f || typeof f.openedSeq !== 'number') throw new Error(`fund ${fund} is named by the log but has no record`);
  if (per.fundSeq.size >= 100_000) per.fundSeq.clear();
  const v = { seq: f.openedSeq, owner: f.owner };
  per.fundSeq.set(fund, v);
  return v;
}

async function compactPass(log: LogService, per: PerLog, donation: string, size: number): Promise<Pass | null> {
  const compact: TraceEntry[] = [];
  let seqs: number[] | null = [];
  let raw: Map<number, Uint8Array> | null = new Map();
  let rawBytes = 0;
  const signers = new Set<string>();
  const funds = new Set<string>();
  let batch: number[] = [];
  const flush = async () => {
    const data = await readEntries(log, batch);
    for (const s of batch) {
      const bytes = data.get(s)!;
      if (raw) {
        rawBytes += bytes.length;
        if (rawBytes > RAW_MAX) raw = null;
        else raw.set(s, bytes);
      }
      if (seqs) {
        seqs.push(s);
        if (seqs.length > KEEP_SEQS) seqs = null;
      }
      // Stored entries were canonical I-JSON when written: the native parser reads them.
      const e = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8')) as Entry;
      if (compact.length === 0 && ((e.event.type !== 'donation' && e.event.type !== 'gift.batch') || e.event.id !== donation)) return false;
      const c = compactEvent(e.event);
      const effects: Effect[] = e.effects.filter((x) => x.donation === donation);
      compact.push({ seq: s, event: c.event, effects });
      signers.add(e.event.org);
      for (const f of c.funds) funds.add(f);
    }
    batch = [];
    return true;
  };
  for await (const s of indexSeqs(log, 'd:' + donation, size, -1)) {
    batch.push(s);
    if (batch.length >= ENTRY_GROUP && !(await flush())) return null;
  }
  if (batch.length && !(await flush())) return null;
  if (compact.length === 0) return null;
  const trace = buildTrace(donation, compact);
  compact.length = 0;
  const traceJson = JSON.stringify(trace);

  const fixed = new Set<number>([0]);
  const [zero] = await log.store.entries(0, 1);
  signers.add(LogService.parseEntry(zero!).event.org); // the operator
  for (const f of funds) {
    const o = await fundOpened(log, per, f);
    if (o.seq < size) fixed.add(o.seq);
    signers.add(o.owner);
  }
  const list: TraceInfo['signers'] = [];
  for (const org of [...signers].sort()) {
    const known = per.orgSeqs.get(org);
    // Exact for any size up to known.size; and for every committed size when no org's keys
    // changed since it was read (so a commit of donations does not throw it away).
    if (known && (known.size >= size || log.orgsChangedBelow <= known.size)) {
      list.push({ org, seqs: known.seqs.filter((s) => s < size) });
      continue;
    }
    const head = log.committedHead().size;
    const got = await log.store.traceSeqs('o:' + org, SHORT_ORG + 1, -1);
    const below = got.filter((s) => s < size);
    const complete = got.length <= SHORT_ORG || below.length < got.length;
    list.push({ org, seqs: complete ? below : null });
    if (complete) {
      // An org index read at size N is exact for any size up to N (it only grows).
      if (per.orgSeqs.size >= 10_000) per.orgSeqs.clear();
      per.orgSeqs.set(org, { size: got.length === below.length ? Math.max(head, size) : size, seqs: below });
    }
  }
  const fixedSeqs = [...fixed].sort((a, b) => a - b);
  const weight = traceJson.length + 64 * list.length + 8 * fixedSeqs.length + 8 * (seqs?.length ?? 0) + 256;
  return { info: { size, traceJson, signers: list, fixedSeqs, traceSeqs: seqs, weight }, raw };
}

async function traceInfo(log: LogService, donation: string, size: number): Promise<Pass | null> {
  const per = stateOf(log);
  const key = `${size}\n${donation}`;
  const hit = per.cache.get(key);
  if (hit) {
    per.cache.delete(key); // least recently used first
    per.cache.set(key, hit);
    return { info: hit, raw: null };
  }
  let p = per.inflight.get(key);
  if (!p) {
    p = per.passes.run(() => compactPass(log, per, donation, size));
    per.inflight.set(key, p);
    void p.then(
      (pass) => {
        per.inflight.delete(key);
        const info = pass?.info;
        if (!info || info.weight > CACHE_BYTES / 2) return;
        per.cache.set(key, info);
        per.cacheBytes += info.weight;
        for (const [k, v] of per.cache) {
          if (per.cacheBytes <= CACHE_BYTES) break;
          per.cache.delete(k);
          per.cacheBytes -= v.weight;
        }
      },
      () => per.inflight.delete(key),
    );
  }
  return p;
}

// ---- the merged stream of a bundle's seqs ------------------------------------------

/** The bundle's seqs above `after`, ascending, each once: a k-way merge of the trace's
 * index, each signer's org index and the fixed seqs, each read lazily. */
async function* bundleSeqs(log: LogService, donation: string, info: TraceInfo, after: number): AsyncGenerator<number> {
  const fromArray = async function* (xs: readonly number[]) {
    for (const x of xs) if (x > after) yield x;
  };
  const sources: AsyncIterator<number>[] = [info.traceSeqs ? fromArray(info.traceSeqs) : indexSeqs(log, 'd:' + donation, info.size, after)];
  sources.push(fromArray(info.fixedSeqs));
  for (const s of info.signers) sources.push(s.seqs ? fromArray(s.seqs) : indexSeqs(log, 'o:' + s.org, info.size, after));
  // A binary min-heap of [head value, source].
  const heap: Array<[number, AsyncIterator<number>]> = [];
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p]![0] <= heap[i]![0]) break;
      [heap[p], heap[i]] = [heap[i]!, heap[p]!];
      i = p;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && heap[l]![0] < heap[m]![0]) m = l;
      if (r < heap.length && heap[r]![0] < heap[m]![0]) m = r;
      if (m === i) return;
      [heap[m], heap[i]] = [heap[i]!, heap[m]!];
      i = m;
    }
  };
  for (const src of sources) {
    const n = await src.next();
    if (!n.done) {
      heap.push([n.value, src]);
      up(heap.length - 1);
    }
  }
  let last = after;
  while (heap.length > 0) {
    const [v, src] = heap[0]!;
    if (v > last) {
      yield v;
      last = v;
    }
    const n = await src.next();
    if (n.done) {
      const end = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = end;
        down(0);
      }
    } else {
      heap[0] = [n.value, src];
      down(0);
    }
  }
}

// ---- pages -------------------------------------------------------------------------

/**
 * One page of the trace bundle of `donation`: the first (no cursor: at the current head)
 * or the one a cursor points at. null when the log has no such donation. Throws
 * BadCursorError for a cursor this log did not give out for this donation.
 */
export async function tracePage(log: LogService, donation: string, cursor?: string, opts: TracePageOptions = {}): Promise<TracePage | null> {
  const pageBytes = opts.pageBytes ?? TRACE_PAGE_BYTES;
  let size: number;
  let checkpoint: string;
  let after = -1;
  const per = stateOf(log);
  if (cursor === undefined) {
    ({ size, checkpoint } = log.head());
    const tag = checkpointTag(checkpoint);
    if (!per.served.has(tag)) {
      per.served.set(tag, checkpoint);
      if (per.served.size > SERVED_MAX) per.served.delete(per.served.keys().next().value!);
    }
  } else {
    let tag: string;
    ({ size, after, tag } = parseCursor(log, donation, cursor));
    checkpoint = await cursorCheckpoint(log, per, size, tag);
  }
  const pass = await traceInfo(log, donation, size);
  if (!pass) {
    if (cursor !== undefined) throw new Error(`the trace of ${donation} at size ${size} is gone`);
    return null;
  }
  return per.pages.run(() => assemble(log, donation, pass.info, pass.raw, checkpoint, after, pageBytes));
}

async function assemble(
  log: LogService,
  donation: string,
  info: TraceInfo,
  raw: Map<number, Uint8Array> | null,
  checkpoint: string,
  after: number,
  pageBytes: number,
): Promise<TracePage> {
  const { size } = info;
  const head = `{"version":1,"checkpoint":${JSON.stringify(checkpoint)},"entries":[`;
  const items: Array<{ index: number; data: string; proof: Proof; json: string }> = [];
  let bytes = 0; // of the items, with their commas
  let full = false;
  let ended = true;
  const seqs = bundleSeqs(log, donation, info, after);
  let group: number[] = [];
  const take = async (): Promise<void> => {
    const missing = raw ? group.filter((s) => !raw.has(s)) : group;
    const data = missing.length ? await readEntries(log, missing) : new Map<number, Uint8Array>();
    if (raw) for (const s of group) if (raw.has(s)) data.set(s, raw.get(s)!);
    const proofs = await Promise.all(group.map((s) => log.proveInclusion(s, size)));
    group.forEach((s, i) => {
      if (full) return;
      const d = data.get(s)!;
      const proof = proofs[i]!;
      const item = { index: s, data: Buffer.from(d.buffer, d.byteOffset, d.length).toString('base64'), proof };
      // Base64 and lowercase hex need no JSON escaping.
      const json = `{"index":${s},"data":"${item.data}","proof":{"index":${proof.index},"size":${proof.size},"hashes":[${proof.hashes.map((h) => `"${h}"`).join(',')}]}}`;
      const add = json.length + (items.length > 0 ? 1 : 0);
      if (items.length > 0 && bytes + add > pageBytes) {
        full = true;
        return;
      }
      items.push({ ...item, json });
      bytes += add;
    });
    group = [];
  };
  for await (const s of seqs) {
    group.push(s);
    if (group.length >= ENTRY_GROUP) await take();
    if (full) {
      ended = false;
      break;
    }
  }
  if (!full && group.length) await take();
  if (full) ended = false;
  await seqs.return(undefined);
  // The last page carries the trace. When this page's entries and the trace together pass
  // the cap, a tail of its entries moves to a last page of their own: as many as fit there
  // with the trace, at least one (so the next request, reading the same tail, ends there).
  const overhead = head.length + 64;
  const T = info.traceJson.length + 10;
  if (ended && items.length > 1 && overhead + bytes + T > pageBytes) {
    let tail = 0;
    do {
      const it = items.pop()!;
      bytes -= it.json.length + 1;
      tail += it.json.length + 1;
    } while (items.length > 1 && overhead + tail + items[items.length - 1]!.json.length + 1 + T <= pageBytes);
    ended = false;
  }
  const entries = items.map(({ index, data, proof }) => ({ index, data, proof }));
  const list = items.map((x) => x.json).join(',');
  if (ended) {
    const body = `${head}${list}],"trace":${info.traceJson}}`;
    return { body, size, checkpoint, entries, traceJson: info.traceJson };
  }
  const next = makeCursor(log, donation, size, items[items.length - 1]?.index ?? after, checkpoint);
  const body = `${head}${list}],"page":{"next":${JSON.stringify(next)}}}`;
  return { body, size, checkpoint, entries, next };
}

/** The whole bundle in one object (all pages merged, in process: the demo and tests). */
export async function traceBundle(log: LogService, donation: string): Promise<TraceBundle | null> {
  const first = await tracePage(log, donation, undefined, { pageBytes: Number.MAX_SAFE_INTEGER });
  if (!first) return null;
  const entries = [...first.entries];
  let page = first;
  while (page.next !== undefined) {
    page = (await tracePage(log, donation, page.next, { pageBytes: Number.MAX_SAFE_INTEGER }))!;
    entries.push(...page.entries);
  }
  return { version: 1, checkpoint: first.checkpoint, entries, trace: JSON.parse(page.traceJson!) as Trace };
}
