// The sequencer's serialisation, done once per event (issue 10: three JSON serialisations
// of the same event were 17 µs of its 170): each top-level member of the envelope is
// canonicalised once (RFC 8785 JCS, packages/ledger canonical.ts), and the three strings
// the log needs are joined from those pieces — the signed bytes (the envelope without
// `sig`, DESIGN.md "Events"), the event as it sits in the entry, and the entry itself.
// JCS of an object is its members sorted by key (UTF-16 code units), `"key":value`, joined
// by commas, so joining canonical members in key order IS the canonical form; the unit
// test (test/log/encode.test.ts) holds these strings to canonicalize() of the whole.
import { canonicalize, type Effect, type Envelope } from '@cotc/ledger';

export interface EventText {
  /** canonical JSON of the envelope without `sig`: what its signature covers */
  signing: string;
  /** canonical JSON of the whole envelope, as the entry embeds it */
  event: string;
}

export function eventText(event: Envelope): EventText {
  const keys = Object.keys(event).sort();
  const members: string[] = [];
  const unsigned: string[] = [];
  for (const k of keys) {
    const m = canonicalize(k) + ':' + canonicalize((event as unknown as Record<string, unknown>)[k]);
    members.push(m);
    if (k !== 'sig') unsigned.push(m);
  }
  return { signing: '{' + unsigned.join(',') + '}', event: '{' + members.join(',') + '}' };
}

/** Canonical JSON of the entry {seq, prev, time, event, effects} (DESIGN.md "The log"):
 * its keys in JCS order are effects, event, prev, seq, time. `timeJson` is the canonical
 * JSON string of the sequencer's time (one per batch); `prev` 64 lowercase hex digits. */
export function entryText(seq: number, prev: string, timeJson: string, event: string, effects: readonly Effect[]): string {
  return '{"effects":' + canonicalize(effects) + ',"event":' + event + ',"prev":"' + prev + '","seq":' + seq + ',"time":' + timeJson + '}';
}
