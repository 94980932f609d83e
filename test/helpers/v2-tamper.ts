// Omissions and forgeries of v2 trace bundles (docs/wire-format-2.md §11, §12), as a
// server or mirror that wants to hide a hop would make them: it leaves something out and
// rebuilds the trace from what is left (so the bundle's own trace agrees with its entries:
// only the proven state can tell). Shared by the tests and scripts/make-bundle-vectors.ts.
import { fromBase64, fromUtf8 } from '@cotc/tlog';
import { buildTrace, type Effect, type Envelope } from '@cotc/ledger';
import type { V2Bundle } from './v2-log.ts';

export const clone = <T>(x: T): T => structuredClone(x);

export function decodeEntry(e: { data: string }): { seq: number; event: Envelope; state?: unknown } {
  return JSON.parse(fromUtf8(fromBase64(e.data)));
}

/** The trace the bundle's remaining entries and effects imply (what a hiding server would ship), or the old one when none can be built. */
export function retrace(b: V2Bundle): V2Bundle {
  const effects = new Map<number, Array<{ i: number; e: Effect }>>();
  for (const x of b.effects) effects.set(x.index, [...(effects.get(x.index) ?? []), { i: x.proof.index, e: x.effect }]);
  const entries = b.entries.map((e) => {
    const d = decodeEntry(e);
    return { seq: d.seq, event: d.event, effects: (effects.get(d.seq) ?? []).sort((a, c) => a.i - c.i).map((y) => y.e) };
  });
  try {
    b.trace = buildTrace(b.trace.donation, entries);
  } catch {
    // a reversal whose target went: keep the trace as it was
  }
  return b;
}

/** Leaves out the entry at `index` and its effects, and rebuilds the trace. */
export function dropEntry(b: V2Bundle, index: number): V2Bundle {
  const out = clone(b);
  out.entries = out.entries.filter((e) => e.index !== index);
  out.effects = out.effects.filter((e) => e.index !== index);
  return retrace(out);
}

/** Leaves out effects[n] and rebuilds the trace. */
export function dropEffect(b: V2Bundle, n: number): V2Bundle {
  const out = clone(b);
  out.effects.splice(n, 1);
  return retrace(out);
}

/** Leaves out the state proof of `key`. */
export function dropState(b: V2Bundle, key: string): V2Bundle {
  const out = clone(b);
  out.state = out.state.filter((s) => s.key !== key);
  return out;
}

/** Replaces the value of the state record `key` (its proof kept): a forged statement. */
export function forgeState(b: V2Bundle, key: string, value: string | null): V2Bundle {
  const out = clone(b);
  const s = out.state.find((x) => x.key === key);
  if (!s) throw new Error(`no state record ${key} in the bundle`);
  s.value = value;
  return out;
}

/** Entries of the bundle by event type. */
export function entriesOfType(b: V2Bundle, type: string): number[] {
  return b.entries.filter((e) => decodeEntry(e).event.type === type).map((e) => e.index);
}
