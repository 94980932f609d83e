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

/** store reads (or proofs) of one bundle in flight at once */
const PARALLEL = 64;

export interface TraceBundle {
  version: 1;
  checkpoint: string;
  entries: Array<{ index: number; data: string; proof: Proof }>;
  trace: ReturnType<typeof buildTrace>;
}

export async function traceBundle(log: LogService, donation: string): Promise<TraceBundle | null> {
  const { size, checkpoint } = log.head();
  const seqs = (await log.store.traceSeqs('d:' + donation, MAX_TRACE_ENTRIES + 1)).filter((s) => s < size);
  if (seqs.length === 0) return null;
  if (seqs.length > MAX_TRACE_ENTRIES) throw new TraceTooLargeError(`the trace of ${donation} has more than ${MAX_TRACE_ENTRIES} entries`);
  // Store reads and proofs are independent: issue them together (in chunks, a bundle may
  // hold thousands), not one await after another; each is a LevelDB round trip.
  const data = new Map<number, Uint8Array>();
  const parsed = new Map<number, Entry>();
  const loadAll = async (want: number[]) => {
    const todo = [...new Set(want)].filter((s) => !data.has(s));
    for (let i = 0; i < todo.length; i += PARALLEL) {
      const chunk = todo.slice(i, i + PARALLEL);
      const got = await Promise.all(chunk.map((seq) => log.store.entries(seq, 1)));
      chunk.forEach((seq, j) => {
        const d = got[j]![0];
        if (!d) throw new Error(`entry ${seq} is missing`);
        data.set(seq, d);
        parsed.set(seq, LogService.parseEntry(d));
      });
    }
  };
  await loadAll([0, ...seqs]);
  const first = parsed.get(seqs[0]!)!;
  if (first.event.type !== 'donation' || first.event.id !== donation) return null;
  const graph = seqs.map((s) => parsed.get(s)!);
  const trace = buildTrace(donation, graph);
  const signers = new Set<string>([parsed.get(0)!.event.org]);
  for (const e of graph) signers.add(e.event.org);
  const orgSeqs = await Promise.all([...signers].map((org) => log.store.traceSeqs('o:' + org, MAX_TRACE_ENTRIES)));
  await loadAll(orgSeqs.flat().filter((s) => s < size));
  if (data.size > MAX_TRACE_ENTRIES) throw new TraceTooLargeError(`the bundle of ${donation} has more than ${MAX_TRACE_ENTRIES} entries`);
  const order = [...data.keys()].sort((a, b) => a - b);
  const entries: TraceBundle['entries'] = [];
  for (let i = 0; i < order.length; i += PARALLEL) {
    const chunk = order.slice(i, i + PARALLEL);
    const proofs = await Promise.all(chunk.map((seq) => log.proveInclusion(seq, size)));
    chunk.forEach((seq, j) => entries.push({ index: seq, data: base64(data.get(seq)!), proof: proofs[j]! }));
  }
  return { version: 1, checkpoint, entries, trace };
}
