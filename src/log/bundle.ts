// The trace bundle of DESIGN.md "Trace bundle": one donation's flow graph with every
// entry a verifier needs (the graph's events, entry 0, and every org.register/org.keys
// of every org that signed any of them), each with its inclusion proof against one
// checkpoint. Read from the committed head only.
import { base64 } from '@cotc/tlog';
import { buildTrace, type Entry } from '@cotc/ledger';
import { LogService, type Proof } from './service.ts';

/** Bound on a bundle's entries (a donation split into ever more lots could otherwise make
 * one answer unboundedly large). */
export const MAX_TRACE_ENTRIES = 10_000;

export class TraceTooLargeError extends Error {}

export interface TraceBundle {
  version: 1;
  checkpoint: string;
  entries: Array<{ index: number; data: string; proof: Proof }>;
  trace: ReturnType<typeof buildTrace>;
}

// Reads cost a LevelDB iterator each (LogStore.entries, traceSeqs), some 100-300 µs of CPU
// apiece, more than all the rest of a bundle's work: so entries close together are read
// with one iterator, and what every bundle repeats (entry 0, the signers' org.register and
// org.keys entries, and where those are) is remembered per log. Entries below the head
// never change; an org's list of entries is reused only at the head size it was read at.
const GAP = 2; // read up to this many unneeded entries to save an iterator
const PARALLEL = 64; // iterators (or proofs) of one bundle in flight at once
const SHARED_MAX = 4096; // remembered org entries per log (forgotten all at once beyond)

interface Loaded {
  data: Uint8Array;
  entry: Entry;
  b64?: string;
}
interface Shared {
  entries: Map<number, Loaded>;
  orgs: Map<string, { size: number; seqs: number[] }>;
}
const shared = new WeakMap<LogService, Shared>();

async function inChunks<T, R>(xs: readonly T[], f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < xs.length; i += PARALLEL) out.push(...(await Promise.all(xs.slice(i, i + PARALLEL).map(f))));
  return out;
}

/** Loads entries `want` (all below the head) into `into`, runs of nearby seqs with one read. */
async function load(log: LogService, want: Iterable<number>, into: Map<number, Loaded>): Promise<void> {
  const todo = [...new Set(want)].filter((s) => !into.has(s)).sort((a, b) => a - b);
  if (todo.length === 0) return;
  const runs: Array<[number, number]> = [];
  for (const s of todo) {
    const r = runs[runs.length - 1];
    if (r && s - r[1] <= GAP + 1) r[1] = s;
    else runs.push([s, s]);
  }
  const wanted = new Set(todo);
  const got = await inChunks(runs, ([a, b]) => log.store.entries(a, b - a + 1));
  runs.forEach(([a], i) =>
    got[i]!.forEach((d, j) => {
      if (wanted.has(a + j)) into.set(a + j, { data: d, entry: LogService.parseEntry(d) });
    }),
  );
  for (const s of todo) if (!into.has(s)) throw new Error(`entry ${s} is missing`);
}

export async function traceBundle(log: LogService, donation: string): Promise<TraceBundle | null> {
  const { size, checkpoint } = log.head();
  const seqs = (await log.store.traceSeqs('d:' + donation, MAX_TRACE_ENTRIES + 1)).filter((s) => s < size);
  if (seqs.length === 0) return null;
  if (seqs.length > MAX_TRACE_ENTRIES) throw new TraceTooLargeError(`the trace of ${donation} has more than ${MAX_TRACE_ENTRIES} entries`);
  const data = new Map<number, Loaded>();
  await load(log, seqs, data);
  const first = data.get(seqs[0]!)!.entry;
  if (first.event.type !== 'donation' || first.event.id !== donation) return null;
  const graph = seqs.map((s) => data.get(s)!.entry);
  const trace = buildTrace(donation, graph);

  // Entry 0 and the signers' org entries: the same for most bundles.
  let sh = shared.get(log);
  if (!sh) shared.set(log, (sh = { entries: new Map(), orgs: new Map() }));
  if (sh.entries.size > SHARED_MAX) sh.entries.clear();
  const cache = sh.entries;
  await load(log, [0], cache);
  const signers = new Set<string>([cache.get(0)!.entry.event.org]);
  for (const e of graph) signers.add(e.event.org);
  const orgSeqs = await Promise.all(
    [...signers].map(async (org) => {
      const known = sh.orgs.get(org);
      if (known && known.size === size) return known.seqs;
      const seqs = (await log.store.traceSeqs('o:' + org, MAX_TRACE_ENTRIES)).filter((s) => s < size);
      sh.orgs.set(org, { size, seqs });
      return seqs;
    }),
  );
  const orgEntries = [0, ...orgSeqs.flat()];
  await load(log, orgEntries, cache);
  for (const s of orgEntries) data.set(s, cache.get(s)!);
  if (data.size > MAX_TRACE_ENTRIES) throw new TraceTooLargeError(`the bundle of ${donation} has more than ${MAX_TRACE_ENTRIES} entries`);

  const order = [...data.keys()].sort((a, b) => a - b);
  const proofs = await inChunks(order, (seq) => log.proveInclusion(seq, size));
  const entries = order.map((seq, i) => {
    const l = data.get(seq)!;
    return { index: seq, data: (l.b64 ??= base64(l.data)), proof: proofs[i]! };
  });
  return { version: 1, checkpoint, entries, trace };
}
