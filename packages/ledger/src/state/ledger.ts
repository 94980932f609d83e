// The ledger state machine of DESIGN.md: "The events" (rules table), "Wire formats (version
// 1)" — "Keys", "Bodies" (who may post, key changes), "The operator", "FIFO", "Entries"
// (effects) — and "Posting" (the check order and codes after 400 `schema`).
//
// Pure and deterministic: the server and every auditor run this same code over the same
// events and must reach the same state and the very same `effects`. Browser-safe: no Node
// built-ins. Money is bigint inside, decimal strings outside. Bad input from a poster is a
// Rejection (returned); a state that cannot arise from valid use is an Error (thrown).
//
// This file is the facade. The state is a set of records (codec.ts: the only code that
// knows their keys and bytes); events are judged on a copy-on-write Overlay of them
// (overlay.ts), one event kind per file (kinds/), the FIFO queue in queue.ts and the key
// registry in keys.ts. Changes accumulate in the batch overlay: takeChanges() lists them
// for the store's commit, adopt() makes them committed once that commit resolved, drop()
// forgets them after a failed one.
import { reject, type Rejection } from '../errors.ts';
import type { Envelope } from '../types.ts';
import {
  META_KEY,
  confKey,
  decodeRecord,
  encodeRecord,
  eventKey,
  fundKey,
  kindRank,
  liveKey,
  liveLotOrder,
  lotKey,
  lotPrefix,
  orgKey,
  parseKey,
  revKey,
  type FactsRec,
  type ConfRec,
  type FundRec,
  type LiveRec,
  type LotRec,
  type MetaRec,
  type OrgRec,
} from './codec.ts';
import { bootstrapSigner, keyInfo, keyLiveAt, parseVerifierKey, sigKeyId, signerAt, type KeyRules } from './keys.ts';
import { KINDS } from './kinds/index.ts';
import type { Cx, EventKind, Evaluation, Plan } from './kind.ts';
import { Committed, NeedRecords, Overlay } from './overlay.ts';
import type { Duplicate, EventFacts, FundInfo, JudgeContext, Judgement, KeyAtInfo, LedgerStateOptions, LotInfo, OrgInfo } from './types.ts';

/** Where a store-backed state reads its committed records (the LogStore's state records;
 * a Map-backed source in tests). Values are the codec's strings. */
export interface RecordSource {
  /** one batched read: the records for `keys`, in order, undefined where absent */
  getMany(keys: readonly string[]): Promise<(string | undefined)[]>;
  /** records whose keys start with `prefix`, from key `gte` on, in key order, at most `limit` */
  range(prefix: string, limit: number, gte?: string): Promise<Array<[string, string]>>;
}

export interface StoreStateOptions extends LedgerStateOptions {
  /** records kept decoded in memory (orgs, fund headers, queue fronts, recent facts), at
   * most between batches; default 100,000 */
  cacheRecords?: number;
  /** lots read per range read of a queue's front; default 512 */
  window?: number;
}

export class LedgerState {
  readonly #rules: KeyRules;
  readonly #committed: Committed;
  readonly #source: RecordSource | undefined;
  readonly #window: number;
  /** the batch being judged: every change since the last adopt() or drop() */
  #batch: Overlay;
  /** keys changed since the last takeChanges(), in order of first change */
  readonly #dirty = new Set<string>();

  /** A complete in-memory state (the auditor's replay, tests). */
  constructor(opts: LedgerStateOptions = {}, source?: RecordSource) {
    this.#rules = {
      isWeakKey: opts.isWeakKey ?? ((pub) => pub.length !== 32),
      parse: opts.parseVerifierKey ?? parseVerifierKey,
    };
    const so = opts as StoreStateOptions;
    this.#source = source;
    this.#window = so.window ?? 512;
    this.#committed = source ? new Committed(false, so.cacheRecords ?? 100_000) : new Committed(true);
    this.#batch = new Overlay(this.#committed);
  }

  /** A state over a store: nothing is read but the `meta` record (O(1) in the log's size);
   * the rest is loaded as batches name it (prefetch) or evaluation asks for it (load). */
  static async open(source: RecordSource, opts: StoreStateOptions = {}): Promise<LedgerState> {
    const s = new LedgerState(opts, source);
    await s.load(new NeedRecords([META_KEY]));
    return s;
  }

  /** Whether this state reads from a store (then judge/apply may throw NeedRecords). */
  get storeBacked(): boolean {
    return this.#source !== undefined;
  }

  /** Loads what evaluation asked for into the committed cache (values as the store holds
   * them: call between commits only, never while one is in flight). */
  async load(need: NeedRecords): Promise<void> {
    const src = this.#source;
    if (!src) throw new Error('ledger state: an in-memory state has nothing to load');
    const keys = need.keys.filter((k) => this.#committed.peek(k) === undefined);
    const [vals, ranges] = await Promise.all([
      keys.length ? src.getMany(keys) : Promise.resolve([]),
      Promise.all(need.ranges.map((r) => src.range(lotPrefix(r.fund), this.#window, lotKey(r.fund, r.from)))),
    ]);
    keys.forEach((k, i) => {
      const v = vals[i];
      this.#committed.set(k, v === undefined ? null : decodeRecord(k, v));
    });
    need.ranges.forEach((r, i) => {
      const got = ranges[i]!;
      const live = new Set<number>();
      let last = r.from - 1;
      for (const [k, v] of got) {
        const l = decodeRecord(k, v) as LotRec;
        live.add(l.pos);
        last = l.pos;
        this.#committed.set(k, l);
      }
      // What the range skipped is known absent: up to the last lot it returned, or, when
      // it returned fewer than asked (the rest of the queue), up to the event's tail.
      const end = got.length < this.#window ? Math.max(r.to, last + 1) : last + 1;
      for (let p = r.from; p < end; p++) if (!live.has(p)) this.#committed.set(lotKey(r.fund, p), null);
    });
    // No trim here: what a batch loaded stays until the batch is adopted or dropped (an
    // event needing more records than the bound must not evict its own), so the cache
    // exceeds its bound by at most what one batch touches.
  }

  /** Loads, in one batched read, the records a batch of events names (their facts, their
   * signers' and subjects' orgs, funds, targets, confirmation sets), then the front window
   * of each fund they take from and the lots their reversals look at. What it misses,
   * evaluation asks for (NeedRecords). */
  async prefetch(events: readonly Envelope[]): Promise<void> {
    if (!this.#source) return;
    const kindOf = (e: Envelope) => KINDS[e.type] as EventKind | undefined;
    const keys = new Set<string>();
    for (const e of events) {
      keys.add(eventKey(e.id));
      keys.add(orgKey(e.org));
      for (const k of kindOf(e)?.names(e) ?? []) keys.add(k);
    }
    await this.load(new NeedRecords([...keys]));
    // Second round: what the first one's records point at.
    const more = new Set<string>();
    const ranges = new Map<string, { fund: string; from: number; to: number }>();
    const peek = (k: string) => this.#batch.peek(k);
    for (const e of events) {
      const w = kindOf(e)?.follows?.(e, peek);
      if (!w) continue;
      for (const k of w.keys) if (peek(k) === undefined) more.add(k);
      for (const r of w.ranges ?? []) ranges.set(`${r.fund} ${r.from}`, r);
      for (const id of w.fronts ?? []) {
        const f = peek(fundKey(id)) as FundRec | null | undefined;
        if (f && f.count > 0 && peek(lotKey(f.id, f.head)) === undefined) ranges.set(`${f.id} ${f.head}`, { fund: f.id, from: f.head, to: f.tail });
      }
    }
    if (more.size || ranges.size) await this.load(new NeedRecords([...more], [...ranges.values()]));
  }

  #meta(): MetaRec {
    return this.#batch.get<MetaRec>(META_KEY) ?? { size: 0, operator: undefined };
  }

  /** The next seq: the number of entries applied. */
  get size(): number {
    return this.#meta().size;
  }
  /** The operator org (registered by entry 0), once there is one. */
  get operator(): string | undefined {
    return this.#meta().operator;
  }

  /** Judges `event` as the entry at ctx.seq without changing anything. */
  judge(event: Envelope, ctx: JudgeContext): Judgement {
    const r = this.#evaluate(event, ctx, new Overlay(this.#batch));
    if (!r.ok || 'duplicate' in r) return r;
    return { ok: true, effects: r.effects, donations: r.donations };
  }

  /** Judges `event` and, when accepted (and not a duplicate), applies it as entry ctx.seq
   * (into the batch overlay). */
  apply(event: Envelope, ctx: JudgeContext): Judgement {
    const tx = new Overlay(this.#batch);
    const r = this.#evaluate(event, ctx, tx);
    if (!r.ok || 'duplicate' in r) return r;
    const meta = this.#meta();
    r.commit();
    tx.put(eventKey(r.facts.id), r.facts);
    tx.put(META_KEY, { size: meta.size + 1, operator: r.operator ?? meta.operator } satisfies MetaRec);
    tx.mergeInto(this.#batch, (k) => this.#dirty.add(k));
    return { ok: true, effects: r.effects, donations: r.donations };
  }

  // -------------------------------------------------------------------------------------
  // Reads (copies: callers cannot reach the state through them)

  #read<T>(key: string): T | undefined {
    return this.#batch.get<T>(key);
  }

  org(id: string): OrgInfo | undefined {
    const o = this.#read<OrgRec>(orgKey(id));
    if (!o) return undefined;
    return { id: o.id, name: o.name, roles: [...o.roles], registeredSeq: o.registeredSeq, keys: o.keys.map((k) => keyInfo(k)) };
  }

  fund(id: string): FundInfo | undefined {
    const f = this.#read<FundRec>(fundKey(id));
    return f ? fundInfo(f) : undefined;
  }

  /** A fund's lots in queue order (front first). O(lots). */
  lots(fundId: string): LotInfo[] | undefined {
    const f = this.#read<FundRec>(fundKey(fundId));
    if (!f) return undefined;
    const out: LotInfo[] = [];
    for (let p = f.head; p < f.tail; p++) {
      const l = this.#read<LotRec>(lotKey(f.id, p));
      if (l) out.push({ donation: l.donation, via: l.via, value: l.value.toString() });
    }
    return out;
  }

  /** The orgs that confirmed a disbursement, in the order they did (empty when none). */
  confirmedBy(disbursement: string): string[] {
    return (this.#read<ConfRec[]>(confKey(disbursement)) ?? []).map((c) => c.org);
  }

  event(id: string): EventFacts | undefined {
    const e = this.#read<FactsRec>(eventKey(id));
    if (!e) return undefined;
    const out = structuredClone(e);
    const by = this.#read<string>(revKey(id));
    if (by !== undefined) (out as { reversedBy?: string }).reversedBy = by;
    return out;
  }

  /** The key of `org` with this key id if it could sign the entry at `seq` (keys.ts
   * keyLiveAt). Undefined also when the org's record is not loaded. */
  keyAt(org: string, keyIdHex: string, seq: number): KeyAtInfo | undefined {
    let o: OrgRec | undefined;
    try {
      o = this.#read<OrgRec>(orgKey(org));
    } catch (e) {
      if (e instanceof NeedRecords) return undefined;
      throw e;
    }
    const k = o?.byKeyId.get(keyIdHex);
    if (!k || !keyLiveAt(k, seq)) return undefined;
    return { ...keyInfo(k), keyId: k.keyId, publicKey: k.publicKey.slice() };
  }

  // -------------------------------------------------------------------------------------
  // Judging, in DESIGN.md "Posting" order (schema already checked by the caller)

  #evaluate(event: Envelope, ctx: JudgeContext, tx: Overlay): Evaluation | Duplicate | Rejection {
    const meta = this.#meta();
    if (ctx.seq !== meta.size) {
      throw new Error(`ledger state: event judged at seq ${ctx.seq} but the next seq is ${meta.size}`);
    }
    // 1. The identical event posted before: idempotent success.
    const prior = tx.get<FactsRec>(eventKey(event.id));
    if (prior && prior.hash === ctx.contentHash) return { ok: true, duplicate: { seq: prior.seq } };
    // 2. 401: key and signature.
    const sigErr = this.#checkSignature(event, ctx, tx, meta);
    if (sigErr) return sigErr;
    // 3. 409: the id is used by a different event.
    if (prior) return reject('duplicate_id', `event id ${event.id} is already used (seq ${prior.seq}) by a different event`);
    // 4.–6. per kind: 422 unknown_* → 403 forbidden → 422 the rest.
    const kind = KINDS[event.type];
    // Only reachable when the caller skipped schema validation: still bad input.
    if (!kind) return reject('schema', `unknown event type ${JSON.stringify((event as { type: unknown }).type)}`);
    const cx: Cx = { ev: event, seq: ctx.seq, hash: ctx.contentHash, tx, operator: meta.operator, rules: this.#rules };
    return (kind.evaluate as (cx: Cx) => Evaluation)(cx);
  }

  #checkSignature(event: Envelope, ctx: JudgeContext, tx: Overlay, meta: MetaRec): Rejection | undefined {
    const keyId = sigKeyId(event.sig);
    if (keyId === null) {
      return reject('bad_signature', 'sig must be canonical base64 of a 4-byte key id and a 64-byte Ed25519 signature');
    }
    let signer: { key: string; publicKey: Uint8Array } | undefined;
    if (meta.operator === undefined) {
      if (meta.size !== 0) throw new Error('ledger state: no operator after entry 0');
      // Bootstrap (DESIGN.md "The operator"): entry 0 registers the operator org, signed by
      // a key it carries; those keys vouch for it. Nothing else can be signed yet.
      if (event.type === 'org.register' && event.body.org === event.org) {
        signer = bootstrapSigner(this.#rules, event.org, event.body.keys, keyId);
      }
      if (!signer) {
        return reject('unknown_key', `no key ${keyId} for ${event.org}: entry 0 must be the operator's org.register, signed by a key it carries`);
      }
    } else {
      const k = signerAt(tx.get<OrgRec>(orgKey(event.org)), event.org, keyId, ctx.seq);
      if ('ok' in k) return k;
      signer = k;
    }
    if (!ctx.verify(signer.publicKey, signer.key)) {
      return reject('bad_signature', `signature does not verify with key ${keyId} of ${event.org}`);
    }
    return undefined;
  }

  // -------------------------------------------------------------------------------------
  // The batch: changes out, adopted or dropped

  /**
   * Ends a batch's judging (call once, after its last event, before takeChanges): derives
   * the batch's `live/<donation>` records (docs/wire-format-2.md §10) from the lots it
   * changed, so that the state map can prove where every part of a donation is. Loads (one
   * batched read each) the old lots and live records a store-backed state does not hold;
   * what a batch created cannot have existed before (a lot past its fund's old tail, the
   * live record of a donation this batch logged), so that is not read.
   */
  async finish(): Promise<void> {
    const lotKeys = [...this.#dirty].filter((k) => k.startsWith('lot/'));
    if (lotKeys.length === 0) return;
    const committed = this.#committed;
    const oldOf = (k: string): LotRec | null | undefined => {
      const v = committed.peek(k);
      if (v !== undefined) return v as LotRec | null;
      const p = parseKey(k)!;
      const f = committed.peek(fundKey(p.id)) as FundRec | null | undefined;
      if (f === null || (f && (p.pos! >= f.tail || p.pos! < f.head))) return null;
      return undefined;
    };
    const missing = lotKeys.filter((k) => oldOf(k) === undefined);
    if (missing.length) await this.load(new NeedRecords(missing));
    // donation → lots removed (by fund/pos) and lots put, from old and new values.
    const touched = new Map<string, { gone: Set<string>; put: LotRec[] }>();
    const at = (d: string) => {
      let t = touched.get(d);
      if (!t) touched.set(d, (t = { gone: new Set(), put: [] }));
      return t;
    };
    for (const k of lotKeys) {
      const old = oldOf(k);
      if (old === undefined) throw new Error(`ledger state: old lot ${k} did not load`);
      const now = this.#batch.peek(k) as LotRec | null | undefined;
      if (old) at(old.donation).gone.add(`${old.fund}/${old.pos}`);
      if (now) at(now.donation).put.push(now);
    }
    const liveOld = (d: string): LiveRec | null | undefined => {
      const v = this.#batch.peek(liveKey(d));
      if (v !== undefined) return v as LiveRec | null;
      // A donation this batch logged had no live record before it.
      return committed.peek(eventKey(d)) === null ? null : undefined;
    };
    // The seq of each new lot's hop: its facts (the hop is in this batch, or a split lot
    // keeps the viaSeq its live record had; else read).
    const viaSeqOf = (via: string): number | undefined => {
      const f = this.#batch.peek(eventKey(via)) as FactsRec | null | undefined;
      return f ? f.seq : undefined;
    };
    const need = [...touched.keys()].filter((d) => liveOld(d) === undefined).map(liveKey);
    for (const t of touched.values()) for (const l of t.put) if (viaSeqOf(l.via) === undefined) need.push(eventKey(l.via));
    if (need.length) await this.load(new NeedRecords([...new Set(need)]));
    for (const [d, t] of touched) {
      const old = liveOld(d);
      if (old === undefined) throw new Error(`ledger state: live record of ${d} did not load`);
      const lots = (old?.lots ?? []).filter((x) => !t.gone.has(`${x.fund}/${x.pos}`));
      for (const l of t.put) {
        const viaSeq = viaSeqOf(l.via);
        if (viaSeq === undefined) throw new Error(`ledger state: lot ${l.fund}/${l.pos} came by ${l.via}, which has no facts`);
        lots.push({ fund: l.fund, pos: l.pos, value: l.value.toString(), via: l.via, viaSeq });
      }
      lots.sort(liveLotOrder);
      const k = liveKey(d);
      this.#batch.put(k, lots.length ? ({ lots } satisfies LiveRec) : null);
      this.#dirty.add(k);
    }
  }

  /** The committed record of `key` as the codec encodes it (null: absent; undefined: not
   * loaded). What a batch replaces (the state map's orgkey records compare with it). */
  committedRecord(key: string): string | null | undefined {
    const v = this.#committed.peek(key);
    return v === undefined || v === null ? (v as null | undefined) : encodeRecord(key, v);
  }

  /** The records changed since the last call (value null = delete), in a deterministic
   * order: by kind (codec.ts RECORD_KINDS), then in order of first change. */
  takeChanges(): Array<[key: string, value: string | null]> {
    const keys = [...this.#dirty];
    this.#dirty.clear();
    const ranked = keys.map((k, i) => [kindRank(k), i, k] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    return ranked.map(([, , k]) => {
      const v = this.#batch.peek(k);
      return [k, v === null || v === undefined ? null : encodeRecord(k, v)];
    });
  }

  /** Makes the batch's changes committed (call once the store's commit resolved). */
  adopt(): void {
    for (const [k, v] of this.#batch.changes) this.#committed.set(k, v);
    this.#batch.changes.clear();
    this.#committed.trim();
  }

  /** Forgets the batch's changes (its commit failed): back to the committed records. */
  drop(): void {
    this.#batch = new Overlay(this.#committed);
    this.#dirty.clear();
    this.#committed.trim();
  }

  /** Every record of a complete in-memory state, encoded (what the store should hold). */
  *records(): Iterable<[string, string]> {
    if (this.#source) throw new Error('ledger state: a store-backed state does not hold every record');
    const seen = new Set<string>();
    for (const [k, v] of this.#batch.changes) {
      seen.add(k);
      if (v !== null) yield [k, encodeRecord(k, v)];
    }
    for (const [k, v] of this.#committed.map) if (!seen.has(k) && v !== null) yield [k, encodeRecord(k, v)];
  }

  /** Rebuilds a state from every record takeChanges() ever produced (deletes applied).
   * Throws on records that do not add up: a corrupt store is not bad input. */
  static restore(records: Iterable<[string, string]>, opts: LedgerStateOptions = {}): LedgerState {
    const s = new LedgerState(opts);
    const m = s.#committed.map;
    const reversed: Array<[string, unknown]> = [];
    const confirmed: Array<[string, unknown]> = [];
    const lots: LotRec[] = [];
    let events = 0;
    for (const [key, value] of records) {
      const k = parseKey(key);
      if (!k) throw new Error(`ledger restore: unknown record ${key}`);
      const v = decodeRecord(key, value);
      if (k.kind === 'rev') reversed.push([k.id, v]);
      else if (k.kind === 'conf') confirmed.push([k.id, v]);
      else if (k.kind === 'lot') lots.push(v as LotRec);
      else if (k.kind === 'event') events++;
      m.set(key, v);
    }
    const meta = m.get(META_KEY) as MetaRec | undefined;
    for (const [id, by] of reversed) {
      const e = m.get(eventKey(id)) as FactsRec | undefined;
      if (!e || (e.type !== 'donation' && e.type !== 'gift.batch' && e.type !== 'transfer' && e.type !== 'disbursement') || typeof by !== 'string') {
        throw new Error(`ledger restore: bad reversal record for ${id}`);
      }
    }
    for (const [id, confs] of confirmed) {
      const e = m.get(eventKey(id)) as FactsRec | undefined;
      const orgs = Array.isArray(confs) ? (confs as ConfRec[]).map((c) => c?.org) : [];
      if (!e || e.type !== 'disbursement' || orgs.length === 0 || orgs.some((o) => typeof o !== 'string') || new Set(orgs).size !== orgs.length) {
        throw new Error(`ledger restore: bad confirmations record for ${id}`);
      }
    }
    if (!meta && m.size > 0) throw new Error('ledger restore: records without meta');
    const sums = new Map<string, { n: number; sum: bigint }>();
    for (const l of lots) {
      const f = m.get(fundKey(l.fund)) as FundRec | undefined;
      if (!f) throw new Error(`ledger restore: lot of unknown fund ${l.fund}`);
      if (l.pos < f.head || l.pos >= f.tail) throw new Error(`ledger restore: lot ${l.fund}/${l.pos} outside its queue`);
      const t = sums.get(l.fund) ?? { n: 0, sum: 0n };
      t.n++;
      t.sum += l.value;
      sums.set(l.fund, t);
    }
    for (const [key, v] of m) {
      if (!key.startsWith('fund/')) continue;
      const f = v as FundRec;
      const t = sums.get(f.id) ?? { n: 0, sum: 0n };
      if (t.n !== f.count || t.sum !== f.balance) {
        throw new Error(`ledger restore: fund ${f.id} says ${f.count} lots / ${f.balance} but holds ${t.n} / ${t.sum}`);
      }
    }
    if (events !== (meta?.size ?? 0)) throw new Error(`ledger restore: ${events} events indexed for size ${meta?.size ?? 0}`);
    return s;
  }
}

function fundInfo(f: FundRec): FundInfo {
  return {
    id: f.id,
    owner: f.owner,
    name: f.name,
    currency: f.currency,
    restricted: f.restricted,
    purpose: f.purpose,
    balance: f.balance.toString(),
    lots: f.count,
    openedSeq: f.openedSeq,
  };
}

/** A fund's public view from its stored fund/<id> record (what takeChanges wrote). */
export function fundInfoFromRecord(id: string, json: string): FundInfo {
  return fundInfo(decodeRecord(fundKey(id), json) as FundRec);
}

/** An org's public view from its stored org/<id> record (what takeChanges wrote). */
export function orgInfoFromRecord(id: string, json: string): OrgInfo {
  const o = decodeRecord(orgKey(id), json) as OrgRec;
  return { id: o.id, name: o.name, roles: o.roles, registeredSeq: o.registeredSeq, keys: o.keys.map((k) => keyInfo(k)) };
}

export type { Plan };
