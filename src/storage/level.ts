// LogStore on embedded LevelDB (`level`, classic-level underneath). Key layout (keys
// UTF-8, values raw bytes unless noted; seq and sizes as 16 lowercase hex digits so the
// byte order is the numeric order):
//   m             format marker {"format":"cotc-level","version":1}      (JSON)
//   h             head {"size", "checkpoint"}                            (JSON)
//   e/<seq>       entry bytes (the Merkle leaf data)
//   t/<l>/<n>     C2SP tile: the latest version (partial tiles are rewritten until full)
//   i/<id>        seq of an event id                                     (decimal)
//   x/<don>/<seq> a donation's trace index                               (empty)
//   d/<seq>       donation id of a donation entry                        (UTF-8)
//   s/<key>       state machine record                                   (JSON)
//   c/<size>      every published checkpoint, by size                    (UTF-8)
// A commit is one db.batch with {sync: true}: LevelDB writes it to its log as one record
// and fsyncs before returning, so it is all there after a crash or not at all.
import { Level } from 'level';
import { checkBatch, StoreCorruptError, type CommitBatch, type Head, type LogStore } from './types.ts';

const hex16 = (n: number) => n.toString(16).padStart(16, '0');
const dec = new TextDecoder('utf-8', { fatal: true });
const enc = new TextEncoder();

type Op = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string };

export class LevelStore implements LogStore {
  readonly db: Level<string, Uint8Array>;
  #size = 0;

  constructor(readonly path: string) {
    if (typeof path !== 'string' || path === '') throw new TypeError('path: expected a directory path');
    this.db = new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' });
  }

  async open() {
    await this.db.open();
    const m = await this.db.get('m');
    if (m === undefined) {
      const h = await this.db.get('h');
      if (h !== undefined) throw new StoreCorruptError('store has a head but no format marker');
      await this.db.put('m', enc.encode(JSON.stringify({ format: 'cotc-level', version: 1 })), { sync: true } as never);
    } else {
      const meta = JSON.parse(dec.decode(m));
      if (meta.format !== 'cotc-level' || meta.version !== 1) {
        throw new StoreCorruptError(`unknown store format ${dec.decode(m)}`);
      }
    }
    this.#size = (await this.head())?.size ?? 0;
  }

  async close() {
    await this.db.close();
  }

  async head(): Promise<Head | null> {
    const v = await this.db.get('h');
    if (v === undefined) return null;
    let h: Head;
    try {
      h = JSON.parse(dec.decode(v));
    } catch {
      throw new StoreCorruptError('head record is not JSON');
    }
    if (!Number.isSafeInteger(h.size) || h.size < 0 || typeof h.checkpoint !== 'string') {
      throw new StoreCorruptError('head record is malformed');
    }
    return h;
  }

  async entries(start: number, count: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    if (count <= 0) return out;
    for await (const v of this.db.values({ gte: 'e/' + hex16(start), lt: 'e/' + hex16(start + count) })) out.push(v);
    return out;
  }

  async readTiles(tiles: readonly { l: number; n: number }[]) {
    if (tiles.length === 0) return [];
    return this.db.getMany(tiles.map((t) => `t/${t.l}/${hex16(t.n)}`));
  }

  async seqOf(id: string) {
    const v = await this.db.get('i/' + id);
    return v === undefined ? undefined : Number(dec.decode(v));
  }

  async traceSeqs(donation: string, limit: number) {
    const out: number[] = [];
    const prefix = `x/${donation}/`;
    for await (const k of this.db.keys({ gte: prefix, lt: prefix + '\xff', limit })) {
      out.push(parseInt(k.slice(prefix.length), 16));
    }
    return out;
  }

  async recentDonations(limit: number, before?: number) {
    const out: Array<[number, string]> = [];
    const opts = before === undefined ? { gte: 'd/', lt: 'd0', reverse: true, limit } : { gte: 'd/', lt: 'd/' + hex16(before), reverse: true, limit };
    for await (const [k, v] of this.db.iterator(opts)) out.push([parseInt(k.slice(2), 16), dec.decode(v)]);
    return out;
  }

  async stateRecord(key: string) {
    const v = await this.db.get('s/' + key);
    return v === undefined ? undefined : dec.decode(v);
  }

  async *stateRecords(): AsyncIterable<[string, string]> {
    for await (const [k, v] of this.db.iterator({ gte: 's/', lt: 's0' })) yield [k.slice(2), dec.decode(v)];
  }

  async checkpointAt(size: number) {
    const v = await this.db.get('c/' + hex16(size));
    return v === undefined ? undefined : dec.decode(v);
  }

  async commit(b: CommitBatch) {
    checkBatch(b, this.#size);
    const ops: Op[] = [];
    b.entries.forEach((e, i) => ops.push({ type: 'put', key: 'e/' + hex16(b.fromSize + i), value: e }));
    for (const t of b.tiles) ops.push({ type: 'put', key: `t/${t.l}/${hex16(t.n)}`, value: t.data });
    for (const [id, seq] of b.ids) ops.push({ type: 'put', key: 'i/' + id, value: enc.encode(String(seq)) });
    for (const [d, seq] of b.traces) ops.push({ type: 'put', key: `x/${d}/${hex16(seq)}`, value: new Uint8Array(0) });
    for (const [seq, d] of b.donations) ops.push({ type: 'put', key: 'd/' + hex16(seq), value: enc.encode(d) });
    for (const [k, v] of b.state) {
      ops.push(v === null ? { type: 'del', key: 's/' + k } : { type: 'put', key: 's/' + k, value: enc.encode(v) });
    }
    ops.push({ type: 'put', key: 'c/' + hex16(b.head.size), value: enc.encode(b.head.checkpoint) });
    ops.push({ type: 'put', key: 'h', value: enc.encode(JSON.stringify(b.head)) });
    await this.db.batch(ops, { sync: true } as never);
    this.#size = b.head.size;
  }
}
