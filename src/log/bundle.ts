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

export async function traceBundle(log: LogService, donation: string): Promise<TraceBundle | null> {
  const { size, checkpoint } = log.head();
  const seqs = (await log.store.traceSeqs('d:' + donation, MAX_TRACE_ENTRIES + 1)).filter((s) => s < size);
  if (seqs.length === 0) return null;
  if (seqs.length > MAX_TRACE_ENTRIES) throw new TraceTooLargeError(`the trace of ${donation} has more than ${MAX_TRACE_ENTRIES} entries`);
  const data = new Map<number, Uint8Array>();
  const parsed = new Map<number, Entry>();
  const load = async (seq: number) => {
    if (data.has(seq)) return;
    const [d] = await log.store.entries(seq, 1);
    if (!d) throw new Error(`entry ${seq} is missing`);
    data.set(seq, d);
    parsed.set(seq, LogService.parseEntry(d));
  };
  for (const s of seqs) await load(s);
  const first = parsed.get(seqs[0]!)!;
  if (first.event.type !== 'donation' || first.event.id !== donation) return null;
  const graph = seqs.map((s) => parsed.get(s)!);
  const trace = buildTrace(donation, graph);
  await load(0);
  const signers = new Set<string>([parsed.get(0)!.event.org]);
  for (const e of graph) signers.add(e.event.org);
  for (const org of signers) {
    for (const s of await log.store.traceSeqs('o:' + org, MAX_TRACE_ENTRIES)) if (s < size) await load(s);
  }
  if (data.size > MAX_TRACE_ENTRIES) throw new TraceTooLargeError(`the bundle of ${donation} has more than ${MAX_TRACE_ENTRIES} entries`);
  const order = [...data.keys()].sort((a, b) => a - b);
  const entries = [];
  for (const seq of order) entries.push({ index: seq, data: base64(data.get(seq)!), proof: await log.proveInclusion(seq, size) });
  return { version: 1, checkpoint, entries, trace };
}
