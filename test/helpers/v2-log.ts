// A wire-format-2 log built from the ledger's and the map's own primitives, for verifier
// tests and the published vectors (docs/wire-format-2.md §9–§11): the state machine
// (LedgerState) judges each event and computes its effects; entries are v2 (effects
// committed by commitEffects, the map root on the last entry of each batch); the state
// records are §10's, derived from the state machine's records after each batch; map
// proofs come from updateMap + proveMap, effect proofs from proveEffects, inclusion proofs
// from a MemoryTree, the checkpoint is signed with a test log key. Bundles are built as
// §11 says the server builds them; tests then take them apart.
import { sha256 } from '@noble/hashes/sha2.js';
import {
  MemoryMapStore,
  MemoryTree,
  base64,
  emptyMapRoot,
  formatCheckpoint,
  generateKey,
  hex,
  isWeakPublicKey,
  leafHash,
  mapRootOf,
  proveMap,
  signNote,
  updateMap,
} from '@cotc/tlog';
import {
  LedgerState,
  buildTrace,
  canonicalBytes,
  canonicalize,
  commitEffects,
  decodeRecord,
  parseKey,
  parseOrgKey,
  proveEffects,
  signEvent,
  type Effect,
  type Envelope,
} from '@cotc/ledger';

export interface V2Org {
  id: string;
  signerKey: string;
  verifierKey: string;
}

export interface V2Entry {
  seq: number;
  event: Envelope;
  effects: Effect[];
  bytes: Uint8Array;
}

const EPOCH = Date.parse('2021-01-01T00:00:00Z');
let clock = EPOCH;
/** Restarts the clock of the times given to events and entries (vectors: the same bytes every run). */
export function resetClock(): void {
  clock = EPOCH;
}
export function tick(): string {
  clock += 1000;
  return new Date(clock).toISOString();
}

export function v2org(id: string, seed?: Uint8Array): V2Org {
  const k = generateKey(id, seed);
  return { id, signerKey: k.signerKey, verifierKey: k.verifierKey };
}

/** Signs an event as `by` (its org is by.id unless `as` is given). */
export function sev(by: V2Org, type: Envelope['type'], body: unknown, id: string, as?: string): Envelope {
  return signEvent({ v: 1, type, id, org: as ?? by.id, time: tick(), body } as never, by.signerKey) as Envelope;
}

export interface V2LogOptions {
  origin?: string;
  /** Deterministic keys (vectors): seeds by name. */
  seed?: (name: string) => Uint8Array | undefined;
  /** Put `addedBy` (the poster of the key's change) into orgkey records. */
  addedBy?: boolean;
  /** Entry 0 (default: the operator's registration with a key of this log's own). */
  genesis?: Envelope;
}

export class V2Log {
  readonly origin: string;
  readonly logSigner: string;
  readonly logKey: string;
  readonly operator: V2Org;
  readonly tree = new MemoryTree();
  readonly entries: V2Entry[] = [];
  /** The §10 state records after the last batch. */
  readonly records = new Map<string, string>();
  readonly state = new LedgerState({ isWeakKey: isWeakPublicKey });
  readonly #confs = new Map<string, Array<{ event: string; org: string; seq: number }>>();
  readonly #keyBy = new Map<string, string>();
  /** donation → the keys of its lot records */
  readonly #lotsOf = new Map<string, Set<string>>();
  readonly #opts: V2LogOptions;

  private constructor(opts: V2LogOptions) {
    this.#opts = opts;
    this.origin = opts.origin ?? 'v2.example/log';
    const k = generateKey(this.origin, opts.seed?.(this.origin));
    this.logSigner = k.signerKey;
    this.logKey = k.verifierKey;
    this.operator = v2org('operator', opts.seed?.('operator'));
  }

  static async create(opts: V2LogOptions = {}): Promise<V2Log> {
    const log = new V2Log(opts);
    if (opts.genesis) {
      await log.batch([opts.genesis]);
      return log;
    }
    await log.batch([sev(log.operator, 'org.register', { org: 'operator', name: 'Operator', roles: ['operator'], keys: [log.operator.verifierKey] }, 'op-register')]);
    return log;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Appends `events` as one batch (one group commit): each must be accepted; the last entry carries the map root. */
  async batch(events: Envelope[], opts: { skipRejected?: boolean; forged?: boolean } = {}): Promise<V2Entry[]> {
    if (events.length === 0) throw new Error('v2 log: an empty batch');
    const pending: Array<{ seq: number; event: Envelope; effects: Effect[]; time: string }> = [];
    for (const event of events) {
      const seq = this.entries.length + pending.length;
      if (opts.forged) {
        // A log operator appending what the state machine would refuse (tests of what the verifier catches).
        pending.push({ seq, event, effects: [], time: tick() });
        continue;
      }
      const r = this.state.apply(event, { seq, contentHash: hex(sha256(canonicalBytes(event))), verify: () => true });
      if (!r.ok && opts.skipRejected) continue;
      if (!r.ok) throw new Error(`v2 log: the state machine rejects ${event.id}: ${r.code}: ${r.message}`);
      if ('duplicate' in r) throw new Error(`v2 log: ${event.id} is a duplicate`);
      // The sequencer's clock: never before the poster's (entries of replayed logs keep their events' times).
      const t = tick();
      pending.push({ seq, event, effects: r.effects, time: Date.parse(event.time) > Date.parse(t) ? event.time : t });
      if (event.type === 'confirmation') {
        const d = (event as Envelope<'confirmation'>).body.disbursement;
        this.#confs.set(d, [...(this.#confs.get(d) ?? []), { event: event.id, org: event.org, seq }]);
      }
      if (event.type === 'org.register' || event.type === 'org.keys') {
        // addedBy (§10): the poster of the org.keys that added the key; absent for an
        // org.register's keys (the org's own, though the operator posts every registration).
        if (event.type === 'org.keys') for (const k of (event.body as { add: string[] }).add) this.#keyBy.set(k, event.org);
      }
    }
    if (pending.length === 0) return [];
    this.#applyChanges(this.state.takeChanges());
    this.state.adopt();
    const root = hex(mapRootOf(this.records));
    const out: V2Entry[] = [];
    pending.forEach((p, i) => {
      const prev = p.seq === 0 ? '0'.repeat(64) : hex(leafHash(this.entries[p.seq - 1]!.bytes));
      const entry: Record<string, unknown> = { v: 2, seq: p.seq, prev, time: p.time, event: p.event, effects: commitEffects(p.effects) };
      if (i === pending.length - 1) entry.state = { root, count: this.records.size };
      const e: V2Entry = { seq: p.seq, event: p.event, effects: p.effects, bytes: canonicalBytes(entry) };
      this.entries.push(e);
      out.push(e);
    });
    for (const e of out) await this.tree.append(leafHash(e.bytes));
    return out;
  }

  /** The state machine's changed records, turned into §10's records (values RFC 8785). */
  #applyChanges(changes: Array<[string, string | null]>): void {
    const set = (k: string, v: unknown | null) => (v === null ? this.records.delete(k) : this.records.set(k, canonicalize(v)));
    const touched = new Set<string>();
    for (const [key, value] of changes) {
      const k = parseKey(key);
      if (!k) continue;
      if (value === null) {
        if (k.kind === 'lot') {
          const old = this.records.get(key);
          if (old) {
            const d = JSON.parse(old).donation;
            touched.add(d);
            this.#lotsOf.get(d)?.delete(key);
          }
        }
        this.records.delete(key);
        continue;
      }
      const rec = decodeRecord(key, value) as Record<string, unknown>;
      switch (k.kind) {
        case 'meta':
          set(key, { operator: (rec.operator as string | undefined) ?? null, size: rec.size });
          break;
        case 'org': {
          const keys = rec.keys as Array<{ key: string; keyId: string; addedSeq: number; revokedSeq?: number }>;
          set(key, { keys: keys.length, name: rec.name, registeredSeq: rec.registeredSeq, roles: rec.roles });
          for (const x of keys) {
            const v: Record<string, unknown> = { addedSeq: x.addedSeq, key: x.key };
            if (x.revokedSeq !== undefined) v.revokedSeq = x.revokedSeq;
            const by = this.#keyBy.get(x.key);
            if (this.#opts.addedBy && by !== undefined) v.addedBy = by;
            set(`orgkey/${k.id}/${x.keyId}`, v);
          }
          break;
        }
        case 'fund':
          set(key, { balance: String(rec.balance), count: rec.count, currency: rec.currency, head: rec.head, name: rec.name, openedSeq: rec.openedSeq, owner: rec.owner, purpose: rec.purpose, restricted: rec.restricted, tail: rec.tail });
          break;
        case 'lot': {
          const old = this.records.get(key);
          if (old) {
            const d = JSON.parse(old).donation;
            touched.add(d);
            this.#lotsOf.get(d)?.delete(key);
          }
          touched.add(rec.donation as string);
          const mine = this.#lotsOf.get(rec.donation as string) ?? new Set<string>();
          mine.add(key);
          this.#lotsOf.set(rec.donation as string, mine);
          set(key, { donation: rec.donation, value: String(rec.value), via: rec.via });
          break;
        }
        case 'conf':
          set(key, this.#confs.get(k.id) ?? []);
          break;
        default:
          set(key, JSON.parse(value));
      }
    }
    // live/<donation> of every donation whose lots changed: its lots sorted by (fund, pos).
    for (const d of touched) {
      const lots: Array<{ fund: string; pos: number; value: string; via: string; viaSeq: number }> = [];
      for (const key of this.#lotsOf.get(d) ?? []) {
        const lot = JSON.parse(this.records.get(key)!);
        const k = parseKey(key)!;
        lots.push({ fund: k.id, pos: k.pos!, value: lot.value, via: lot.via, viaSeq: this.state.event(lot.via)!.seq });
      }
      lots.sort((a, b) => (a.fund < b.fund ? -1 : a.fund > b.fund ? 1 : a.pos - b.pos));
      if (lots.length) set(`live/${d}`, { lots });
      else this.records.delete(`live/${d}`);
    }
  }

  async checkpoint(size = this.size): Promise<string> {
    return signNote(formatCheckpoint({ origin: this.origin, size, root: await this.tree.root(size) }), this.logSigner);
  }

  /** Map proofs of `keys` against the current records (the root on entry size−1). */
  async mapProofs(keys: string[]): Promise<Array<{ key: string; value: string | null; proof: unknown }>> {
    const store = new MemoryMapStore();
    const u = await updateMap(store, emptyMapRoot(), 1, [...this.records]);
    store.write(u.writes);
    const got = await proveMap(store, u.root, keys);
    return got.map((g) => ({ key: g.key, value: this.records.get(g.key) ?? null, proof: g.proof }));
  }

  /** The v2 trace bundle of `donation` at the current size, as §11 says a server builds it. */
  async bundle(donation: string): Promise<V2Bundle> {
    const size = this.size;
    const all = this.entries.map((e) => ({ seq: e.seq, event: e.event, effects: e.effects.filter((x) => x.donation === donation) }));
    const trace = buildTrace(donation, all);
    const seqs = new Set<number>(trace.nodes.map((n) => n.index));
    seqs.add(size - 1);
    const indexes = [...seqs].sort((a, b) => a - b);
    const entries = [];
    for (const i of indexes) {
      const hashes = (await this.tree.inclusionProof(i, size)).map(hex);
      entries.push({ index: i, data: base64(this.entries[i]!.bytes), proof: { index: i, size, hashes } });
    }
    const effects: V2Bundle['effects'] = [];
    const keys = new Set<string>([`live/${donation}`]);
    for (const i of indexes) {
      const e = this.entries[i]!;
      const mine = e.effects.map((x, j) => [x, j] as const).filter(([x]) => x.donation === donation);
      if (mine.length) {
        const proofs = await proveEffects(e.effects, mine.map(([, j]) => j));
        mine.forEach(([x], n) => effects.push({ index: i, effect: { ...x }, proof: proofs[n]! }));
      }
      const ev = e.event;
      const keyId = parseSigKeyId(ev.sig);
      keys.add(`orgkey/${ev.org}/${keyId}`);
      keys.add(`org/${ev.org}`);
      const b = ev.body as { fund?: string; from?: string; to?: string; payee?: string };
      if (trace.nodes.some((n) => n.index === i)) {
        for (const f of [b.fund, b.from, b.to]) if (f !== undefined && ev.type !== 'fund.open') keys.add(`fund/${f}`);
        if (ev.type === 'disbursement') {
          keys.add(`conf/${ev.id}`);
          keys.add(`org/${b.payee}`);
        }
      }
    }
    const state = await this.mapProofs([...keys].sort());
    return { version: 2, checkpoint: await this.checkpoint(size), entries, effects, state, trace };
  }
}

export interface V2Bundle {
  version: 2;
  checkpoint: string;
  entries: Array<{ index: number; data: string; proof: { index: number; size: number; hashes: string[] } }>;
  effects: Array<{ index: number; effect: Effect; proof: { index: number; hashes: string[] } }>;
  state: Array<{ key: string; value: string | null; proof: unknown }>;
  trace: ReturnType<typeof buildTrace>;
}

function parseSigKeyId(sig: string): string {
  const raw = Uint8Array.from(atob(sig), (c) => c.charCodeAt(0));
  return hex(raw.subarray(0, 4));
}

export { parseOrgKey };

/** A proven read (§13) of `keys` at the log's current size (another size: its checkpoint and entry, the current map's proofs). */
export async function provenRead(log: V2Log, keys: string[], size = log.size) {
  const hashes = (await log.tree.inclusionProof(size - 1, size)).map(hex);
  return {
    version: 2 as const,
    checkpoint: await log.checkpoint(size),
    entry: { index: size - 1, data: base64(log.entries[size - 1]!.bytes), proof: { index: size - 1, size, hashes } },
    state: await log.mapProofs(keys),
  };
}
