// What one event kind is to the state machine: its checks, in DESIGN.md "Posting" order
// after the signature and the id (422 unknown_* → 403 forbidden → 422 the rest), and the
// changes it makes. A kind reads and writes only through its Overlay. A new kind is one
// new file under kinds/ and one line in kinds/index.ts.
import type { Rejection } from '../errors.ts';
import type { Effect, Envelope, EventType } from '../types.ts';
import type { EventFacts } from './types.ts';
import type { KeyRules } from './keys.ts';
import type { Overlay } from './overlay.ts';

export interface Cx<T extends EventType = EventType> {
  ev: Envelope<T>;
  seq: number;
  /** hex hash of the event's canonical bytes */
  hash: string;
  tx: Overlay;
  /** the operator org, once entry 0 registered it */
  operator: string | undefined;
  rules: KeyRules;
}

export interface Plan {
  ok: true;
  effects: Effect[];
  donations: string[];
  facts: EventFacts;
  /** Writes the event's changes into cx.tx (called only when it is accepted). */
  commit: () => void;
  /** set by entry 0: the operator org it registers */
  operator?: string;
}
export type Evaluation = Plan | Rejection;

/** What a kind asks the store for before a batch is judged (LedgerState.prefetch). */
export interface Wants {
  keys: string[];
  /** funds whose front window its evaluation will take from */
  fronts?: string[];
  /** lot ranges it will look at */
  ranges?: Array<{ fund: string; from: number; to: number }>;
}

export interface EventKind<T extends EventType = EventType> {
  type: T;
  evaluate(cx: Cx<T>): Evaluation;
  /** The records the event names (beyond its own facts and its signer's org). */
  names(ev: Envelope<T>): string[];
  /** What those records point at, once loaded (peek: undefined when not loaded). */
  follows?(ev: Envelope<T>, peek: (key: string) => unknown): Wants;
}

export function plan(effects: Effect[], donations: string[], facts: EventFacts, commit: () => void): Plan {
  return { ok: true, effects, donations, facts, commit };
}

export function factsBase(cx: Cx): { id: string; seq: number; org: string; hash: string } {
  return { id: cx.ev.id, seq: cx.seq, org: cx.ev.org, hash: cx.hash };
}
