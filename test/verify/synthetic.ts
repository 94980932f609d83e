// A synthetic log for verifier tests: full control over every entry (its seq, prev, time,
// effects, even invalid ones), a MemoryTree over the leaves, checkpoints signed with a
// test log key, and trace bundles built the way the server builds them (src/log/bundle.ts).
// Effects are computed by the ledger's state machine unless a test gives them explicitly
// (after which the log is "off the rails" and every later entry needs explicit effects).
import { sha256 } from '@noble/hashes/sha2.js';
import { MemoryTree, base64, formatCheckpoint, generateKey, hex, leafHash, signNote } from '@cotc/tlog';
import { LedgerState, buildTrace, canonicalBytes, signEvent, type Effect, type Entry, type Envelope, type Trace } from '@cotc/ledger';
import { isWeakPublicKey } from '@cotc/tlog';
import type { Org } from '../helpers/events.ts';

export interface SynthLog {
  origin: string;
  logSigner: string;
  logKey: string;
  operator: Org;
  tree: MemoryTree;
  data: Uint8Array[];
  entries: Entry[];
  state: LedgerState | null;
}

let clock = Date.parse('2021-01-01T00:00:00Z');
export function tick(): string {
  clock += 1000;
  return new Date(clock).toISOString();
}

export function org(id: string): Org {
  const k = generateKey(id);
  return { id, signerKey: k.signerKey, verifierKey: k.verifierKey };
}

/** Signs an event as `by` (its org is by.id unless `as` is given). */
export function sev<T extends Envelope['type']>(by: Org, type: T, body: unknown, id: string, as?: string): Envelope {
  return signEvent({ v: 1, type, id, org: as ?? by.id, time: tick(), body } as never, by.signerKey) as Envelope;
}

/** A new log whose entry 0 registers `operator` (signed by itself). */
export async function newLog(origin = 'synthetic.example/log'): Promise<SynthLog> {
  const k = generateKey(origin);
  const operator = org('operator');
  const log: SynthLog = {
    origin,
    logSigner: k.signerKey,
    logKey: k.verifierKey,
    operator,
    tree: new MemoryTree(),
    data: [],
    entries: [],
    state: new LedgerState({ isWeakKey: isWeakPublicKey }),
  };
  await append(log, sev(operator, 'org.register', { org: 'operator', name: 'Operator', roles: ['operator'], keys: [operator.verifierKey] }, 'op-register'));
  return log;
}

export interface AppendOpts {
  /** Explicit effects (skips the state machine from here on). */
  effects?: Effect[];
  seq?: number;
  prev?: string;
  time?: string;
}

/** Appends an event as the next entry. Without explicit effects the state machine must accept it. */
export async function append(log: SynthLog, event: Envelope, opts: AppendOpts = {}): Promise<Entry> {
  const seq = log.data.length;
  let effects = opts.effects;
  if (effects === undefined) {
    if (!log.state) throw new Error('synthetic log: explicit effects needed after an explicit entry');
    const r = log.state.apply(event, { seq, contentHash: hex(sha256(canonicalBytes(event))), verify: () => true });
    if (!r.ok) throw new Error(`synthetic log: the state machine rejects ${event.id}: ${r.code}: ${r.message}`);
    if ('duplicate' in r) throw new Error(`synthetic log: ${event.id} is a duplicate`);
    effects = r.effects;
  } else {
    log.state = null;
  }
  const prev = opts.prev ?? (seq === 0 ? '0'.repeat(64) : hex(leafHash(log.data[seq - 1]!)));
  const entry: Entry = { seq: opts.seq ?? seq, prev, time: opts.time ?? tick(), event, effects };
  const bytes = canonicalBytes(entry);
  log.data.push(bytes);
  log.entries.push(entry);
  await log.tree.append(leafHash(bytes));
  return entry;
}

/** Appends raw bytes as the next leaf (for entries that are not even entries). */
export async function appendRaw(log: SynthLog, bytes: Uint8Array): Promise<void> {
  log.state = null;
  log.data.push(bytes);
  log.entries.push(undefined as never);
  await log.tree.append(leafHash(bytes));
}

export async function checkpointNote(log: SynthLog, size = log.tree.size): Promise<string> {
  const root = await log.tree.root(size);
  return signNote(formatCheckpoint({ origin: log.origin, size, root }), log.logSigner);
}

export interface SynthBundleOpts {
  /** Exactly these entry indexes (default: as the server picks them). */
  indexes?: number[];
  /** The trace to put in (default: buildTrace over the whole log). */
  trace?: Trace;
  size?: number;
  /** Include the fund.open entries of the funds the nodes name (see serverIndexes). */
  funds?: boolean;
}

/** The funds an event names (a donation's, a transfer's from and to, a disbursement's). */
function fundsNamed(ev: Envelope): string[] {
  const b = ev.body as { fund?: string; from?: string; to?: string };
  if (ev.type === 'donation' || ev.type === 'disbursement') return [b.fund!];
  if (ev.type === 'transfer') return [b.from!, b.to!];
  return [];
}

/**
 * The indexes the server would put in the bundle of `donation`; with `funds`, also the
 * fund.open of every fund a node names (and its owner's org entries), as issue 9's server does.
 */
export function serverIndexes(log: SynthLog, donation: string, size = log.tree.size, funds = false): number[] {
  const all = log.entries.slice(0, size).filter(Boolean);
  const t = buildTrace(donation, all);
  const seqs = new Set<number>(t.nodes.map((n) => n.index));
  seqs.add(0);
  if (funds) {
    const named = new Set(t.nodes.flatMap((n) => fundsNamed(all[n.index]!.event)));
    for (const e of all) if (e.event.type === 'fund.open' && named.has((e.event.body as { fund: string }).fund)) seqs.add(e.seq);
  }
  const signers = new Set<string>([all[0]!.event.org, ...[...seqs].map((i) => all[i]!.event.org)]);
  for (const e of all) {
    if ((e.event.type === 'org.register' || e.event.type === 'org.keys') && signers.has((e.event.body as { org: string }).org)) seqs.add(e.seq);
  }
  return [...seqs].sort((a, b) => a - b);
}

export async function synthBundle(log: SynthLog, donation: string, opts: SynthBundleOpts = {}) {
  const size = opts.size ?? log.tree.size;
  const indexes = opts.indexes ?? serverIndexes(log, donation, size, opts.funds);
  const trace = opts.trace ?? buildTrace(donation, log.entries.slice(0, size).filter(Boolean));
  const entries = [];
  for (const i of indexes) {
    const hashes = (await log.tree.inclusionProof(i, size)).map(hex);
    entries.push({ index: i, data: base64(log.data[i]!), proof: { index: i, size, hashes } });
  }
  return { version: 1 as const, checkpoint: await checkpointNote(log, size), entries, trace };
}

/** A consistency callback over the synthetic tree. */
export function consistencyOf(log: SynthLog) {
  return async (from: number, to: number) => (await log.tree.consistencyProof(from, to)).map(hex);
}

/**
 * The forged-effects attack (issue 9): a log operator, holding only the log key, keeps every
 * signed event byte for byte and rewrites the effects of some entries; it then rebuilds the
 * hash chain (each later entry's prev) and the tree, and signs a checkpoint of its own. The
 * result is a new SynthLog that every organisation signature still vouches for.
 */
export async function rewriteEffects(log: SynthLog, rewrite: Record<number, Effect[]>): Promise<SynthLog> {
  const out: SynthLog = { ...log, tree: new MemoryTree(), data: [], entries: [], state: null };
  for (const e of log.entries) {
    const seq = out.data.length;
    const prev = seq === 0 ? '0'.repeat(64) : hex(leafHash(out.data[seq - 1]!));
    const entry: Entry = { ...e, prev, effects: rewrite[e.seq] ?? e.effects };
    const bytes = canonicalBytes(entry);
    out.data.push(bytes);
    out.entries.push(entry);
    await out.tree.append(leafHash(bytes));
  }
  return out;
}
