// Trace pages (issue 9, "a trace too large for one answer is served in pages"). The wire
// shape, agreed with the server: each page is a version-1 bundle object
//   {version: 1, checkpoint, entries: [...], trace?, page?}
// - a page that more pages follow has "page": {"next": "<opaque cursor>"} and no trace; the
//   next one is GET <server>/v1/donations/<id>/trace?cursor=<cursor>;
// - every page carries the identical checkpoint text (so each verifies against the same tree);
// - entries strictly increase in index across pages;
// - the last page (no page.next) carries the trace.
// mergeTracePages joins pages into the one bundle verifyBundle checks; fetchTraceBundle
// follows the cursors, bounded. A single page without `page` is an ordinary bundle.
// Version 2 (docs/wire-format-2.md §11): every page is a version-2 bundle object, all pages
// of one version; the last page carries `effects` and `state` (with the trace); an earlier
// page may carry them too (its lists are concatenated in page order) or leave them out.
import { isPlainObject } from '@cotc/ledger';
import { MAX_BUNDLE_ENTRIES } from './bundle.ts';
import type { Problem } from './types.ts';

/** A merged trace bundle, as verifyBundle takes it (its contents still unverified). */
export interface TraceBundleV1 {
  version: 1;
  checkpoint: string;
  entries: unknown[];
  trace: unknown;
}
/** A merged version-2 trace bundle (§11). */
export interface TraceBundleV2 {
  version: 2;
  checkpoint: string;
  entries: unknown[];
  effects: unknown[];
  state: unknown[];
  trace: unknown;
}
export type TraceBundle = TraceBundleV1 | TraceBundleV2;

/** Pages followed by default before giving up (a server that never ends is not a trace). */
export const MAX_TRACE_PAGES = 1000;
const MAX_CURSOR = 4096;


/** True when `x` is a Problem (what mergeTracePages and fetchTraceBundle answer instead of a bundle). */
export function isProblem(x: unknown): x is Problem {
  return isPlainObject(x) && typeof x.code === 'string' && typeof x.message === 'string' && !('version' in x);
}

const problem = (code: 'malformed_bundle' | 'bad_pages', message: string): Problem => ({ code, message });

/** The next cursor of a page, null on the last page, or a Problem. */
function nextOf(page: Record<string, unknown>, i: number): string | null | Problem {
  if (page.page === undefined) return null;
  if (!isPlainObject(page.page)) return problem('malformed_bundle', `page ${i + 1}: "page" is not an object`);
  const next = page.page.next;
  if (next === undefined) return null;
  if (typeof next !== 'string' || next.length === 0 || next.length > MAX_CURSOR) {
    return problem('malformed_bundle', `page ${i + 1}: page.next is not a cursor (a non-empty string of at most ${MAX_CURSOR} characters)`);
  }
  return next;
}

/** Checks page i (0-based) against what came before; returns its cursor (null: last) or a Problem. */
class Merger {
  checkpoint: string | undefined;
  version: 1 | 2 | undefined;
  entries: unknown[] = [];
  effects: unknown[] = [];
  state: unknown[] = [];
  lastIndex = -1;
  trace: unknown = undefined;
  done = false;
  count = 0;

  add(p: unknown): string | null | Problem {
    const i = this.count++;
    if (this.done) return problem('bad_pages', `page ${i + 1} comes after the last page`);
    if (!isPlainObject(p)) return problem('malformed_bundle', `page ${i + 1} is not a JSON object`);
    if (p.version !== 1 && p.version !== 2) return problem('malformed_bundle', `page ${i + 1} is not a version-1 or version-2 bundle`);
    if (this.version !== undefined && p.version !== this.version) return problem('bad_pages', `page ${i + 1} is of version ${p.version}, page 1 of version ${this.version}`);
    this.version = p.version;
    if (typeof p.checkpoint !== 'string') return problem('malformed_bundle', `page ${i + 1} has no checkpoint note`);
    if (!Array.isArray(p.entries)) return problem('malformed_bundle', `page ${i + 1} has no list of entries`);
    // v2: effects and state ride on the last page (with the trace); a page may carry them
    // earlier too (concatenated in order); absent on a page that more pages follow is none.
    if (p.version === 2 && (p.effects !== undefined || p.state !== undefined || nextOf(p, i) === null) && (!Array.isArray(p.effects) || !Array.isArray(p.state))) {
      return problem('malformed_bundle', `page ${i + 1} has no lists of effects and state proofs (version 2)`);
    }
    if (this.checkpoint === undefined) this.checkpoint = p.checkpoint;
    else if (p.checkpoint !== this.checkpoint) {
      return problem('bad_pages', `page ${i + 1} carries another checkpoint than page 1: the pages are not of one tree`);
    }
    const next = nextOf(p, i);
    if (isProblem(next)) return next;
    if (next !== null && p.trace !== undefined) return problem('bad_pages', `page ${i + 1} carries a trace but says more pages follow`);
    if (next === null && p.trace === undefined) return problem('malformed_bundle', `the last page (${i + 1}) carries no trace`);
    if (this.entries.length + p.entries.length > MAX_BUNDLE_ENTRIES) {
      return problem('malformed_bundle', `the pages hold more than ${MAX_BUNDLE_ENTRIES} entries`);
    }
    // Across pages, entries strictly increase (within a page verifyBundle judges the order).
    let first = true;
    let max = this.lastIndex;
    for (const e of p.entries) {
      const index = isPlainObject(e) && typeof e.index === 'number' && Number.isSafeInteger(e.index) ? e.index : null;
      if (first && i > 0 && index !== null && index <= this.lastIndex) {
        return problem('bad_pages', `page ${i + 1} starts at entry ${index}, not after entry ${this.lastIndex} where page ${i} ended: the pages overlap or go backwards`);
      }
      first = false;
      if (index !== null && index > max) max = index;
      this.entries.push(e);
    }
    this.lastIndex = max;
    if (p.version === 2) {
      if (this.effects.length + ((p.effects as unknown[] | undefined)?.length ?? 0) > MAX_BUNDLE_ENTRIES * 16 || this.state.length + ((p.state as unknown[] | undefined)?.length ?? 0) > MAX_BUNDLE_ENTRIES * 16) {
        return problem('malformed_bundle', 'the pages hold more effects or state proofs than a bundle can prove');
      }
      for (const x of (p.effects as unknown[] | undefined) ?? []) this.effects.push(x);
      for (const x of (p.state as unknown[] | undefined) ?? []) this.state.push(x);
    }
    if (next === null) {
      this.trace = p.trace;
      this.done = true;
    }
    return next;
  }

  result(): TraceBundle | Problem {
    if (!this.done || this.checkpoint === undefined) return problem('bad_pages', 'the pages end before the last page (one without page.next)');
    if (this.version === 2) return { version: 2, checkpoint: this.checkpoint, entries: this.entries, effects: this.effects, state: this.state, trace: this.trace };
    return { version: 1, checkpoint: this.checkpoint, entries: this.entries, trace: this.trace };
  }
}

/**
 * Joins trace pages, in the order served, into one bundle for verifyBundle; a Problem
 * (`malformed_bundle`, `bad_pages`) when they do not make one: checkpoints that differ,
 * entries that overlap or go backwards from one page to the next, a trace before the end,
 * no last page. Never throws.
 */
export function mergeTracePages(pages: unknown[]): TraceBundle | Problem {
  if (!Array.isArray(pages) || pages.length === 0) return problem('malformed_bundle', 'no trace pages');
  const m = new Merger();
  for (let i = 0; i < pages.length; i++) {
    const next = m.add(pages[i]);
    if (isProblem(next)) return next;
    if (next === null && i < pages.length - 1) return problem('bad_pages', `page ${i + 1} is the last one (no page.next), but ${pages.length - i - 1} more follow`);
  }
  return m.result();
}

/**
 * Fetches the trace of `donation` from `server` (a base URL; '' for paths relative to the
 * page), following page cursors (at most
 * `opts.maxPages`, default 1,000), and merges the pages. `getJson(url)` GETs a URL and
 * resolves to its parsed JSON body; it rejects on a network or HTTP error, and that
 * rejection propagates (the caller's "network error"). Answers a Problem when the pages do
 * not make one bundle, a cursor repeats, or there are too many.
 */
export async function fetchTraceBundle(
  getJson: (url: string) => Promise<unknown>,
  server: string,
  donation: string,
  opts: { maxPages?: number } = {},
): Promise<TraceBundle | Problem> {
  if (typeof getJson !== 'function') throw new TypeError('getJson: expected a function (url) => Promise<unknown>');
  if (typeof server !== 'string') throw new TypeError("server: expected a base URL ('' for URLs relative to the page)");
  if (typeof donation !== 'string' || donation === '') throw new TypeError('donation: expected a donation id');
  const maxPages = opts.maxPages ?? MAX_TRACE_PAGES;
  if (!Number.isSafeInteger(maxPages) || maxPages < 1) throw new TypeError('opts.maxPages: expected a positive integer');
  const base = `${server.replace(/\/+$/, '')}/v1/donations/${encodeURIComponent(donation)}/trace`;
  const m = new Merger();
  const cursors = new Set<string>();
  let url = base;
  for (let n = 1; ; n++) {
    const next = m.add(await getJson(url));
    if (isProblem(next)) return next;
    if (next === null) return m.result();
    if (cursors.has(next)) return problem('bad_pages', `page ${n} repeats the cursor of an earlier page: the pages go round in a loop`);
    cursors.add(next);
    if (n >= maxPages) return problem('bad_pages', `the trace has more than ${maxPages} pages`);
    url = `${base}?cursor=${encodeURIComponent(next)}`;
  }
}
