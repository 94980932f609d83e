// The batch store (issue 15, docs/gifts.md "The batch store"): the gift records of every
// batch, off the log but in reach, as content-addressed files under the data directory:
// DIR/batches/<root[0:2]>/<root>.ndjson, one canonical gift record per line in index order.
//
// Why files and not records in the store: a batch file is one large immutable blob (~150
// bytes a gift, 10^5 gifts a batch) written once and read whole; in LevelDB it would be
// rewritten by every compaction, in PostgreSQL it would be a large row per batch for no
// query. Content-addressed by the sum-tree root the log commits to, a file is never
// overwritten, two servers holding the same batch hold the same bytes, a mirror copies it
// as it is, and a damaged file is caught on load (its records no longer lead to its root).
// Each line is exactly the bytes the leaf hash covers, so anyone can check a file with
// sha256sum-level tools. Receipt secrets are never here: only donor commitments.
//
// Writes are atomic and durable: a temporary file, fsync, rename, fsync of the directory.
import fs from 'node:fs';
import path from 'node:path';
import { hex, fromUtf8 } from '@cotc/tlog';
import { GiftBatchError, buildSumTree, giftCanonical, giftRecordProblem, sumLeafHash, type GiftRecord, type SumTree } from '@cotc/ledger';
import { nodeSha256 } from './hash.ts';

const HEX64 = /^[0-9a-f]{64}$/;

/** A batch loaded for serving: its tree, its lines and an index by donor commitment. */
export interface LoadedBatch {
  root: string;
  tree: SumTree;
  /** canonical record text of gift i */
  lines: string[];
  byDonor: Map<string, number>;
}

export interface StoredBatch {
  root: string;
  count: number;
  total: string;
  bytes: number;
  /** false when the same batch was stored before */
  created: boolean;
}

export class GiftStore {
  readonly dir: string;
  private cache = new Map<string, LoadedBatch>();
  private cachedGifts = 0;
  /** gifts kept in memory across loaded batches (LRU by batch) */
  readonly maxCachedGifts: number;

  constructor(dataDir: string, opts: { maxCachedGifts?: number } = {}) {
    this.dir = path.join(dataDir, 'batches');
    this.maxCachedGifts = opts.maxCachedGifts ?? 4_000_000;
  }

  pathOf(root: string): string {
    if (!HEX64.test(root)) throw new TypeError('GiftStore: parameter "root" must be 64 lowercase hex digits');
    return path.join(this.dir, root.slice(0, 2), `${root}.ndjson`);
  }

  has(root: string): boolean {
    return HEX64.test(root) && fs.existsSync(this.pathOf(root));
  }

  /** Checks every record, builds the tree, stores the file (once) and answers its root, count and total. */
  put(records: readonly unknown[]): StoredBatch {
    if (!Array.isArray(records)) throw new TypeError('GiftStore.put: parameter "records" must be an array');
    const n = records.length;
    const lines: string[] = new Array(n);
    const hashes: Uint8Array[] = new Array(n);
    const sums: bigint[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const p = giftRecordProblem(records[i]);
      if (p !== null) throw new GiftBatchError('bad_gift', `gifts[${i}]${p.startsWith('/') ? p : ': ' + p}`, i);
      const line = giftCanonical(records[i] as GiftRecord);
      lines[i] = line;
      hashes[i] = sumLeafHash(line, nodeSha256);
      sums[i] = BigInt((records[i] as GiftRecord).amount);
    }
    const tree = buildSumTree(hashes, sums, nodeSha256);
    const root = hex(tree.root);
    const file = this.pathOf(root);
    const text = lines.join('\n') + '\n';
    const bytes = Buffer.byteLength(text);
    const created = !fs.existsSync(file);
    if (created) writeAtomic(file, text);
    this.remember({ root, tree, lines, byDonor: new Map() });
    return { root, count: tree.count, total: tree.total.toString(), bytes, created };
  }

  /** The batch with this root, from the cache or its file; undefined when not stored. Throws when the file is damaged. */
  load(root: string): LoadedBatch | undefined {
    const hit = this.cache.get(root);
    if (hit) {
      this.cache.delete(root);
      this.cache.set(root, hit);
      return hit;
    }
    if (!this.has(root)) return undefined;
    const text = fromUtf8(fs.readFileSync(this.pathOf(root)), 'batch file');
    if (!text.endsWith('\n')) throw new Error(`batch file ${root}: truncated (no final newline)`);
    const lines = text.slice(0, -1).split('\n');
    const hashes: Uint8Array[] = new Array(lines.length);
    const sums: bigint[] = new Array(lines.length);
    for (let i = 0; i < lines.length; i++) {
      const r = JSON.parse(lines[i]!) as GiftRecord;
      if (giftRecordProblem(r) !== null || giftCanonical(r) !== lines[i]) throw new Error(`batch file ${root}: line ${i + 1} is not a canonical gift record`);
      hashes[i] = sumLeafHash(lines[i]!, nodeSha256);
      sums[i] = BigInt(r.amount);
    }
    const tree = buildSumTree(hashes, sums, nodeSha256);
    if (hex(tree.root) !== root) throw new Error(`batch file ${root}: its records lead to root ${hex(tree.root)}`);
    const b: LoadedBatch = { root, tree, lines, byDonor: new Map() };
    this.remember(b);
    return b;
  }

  /** The index of the gift whose donor commitment is `donor`, or undefined. */
  static findByDonor(b: LoadedBatch, donor: string): number | undefined {
    if (b.byDonor.size === 0 && b.lines.length > 0) {
      // "donor":"<64 hex>" sits at a fixed place after amount and channel: parse once per batch.
      for (let i = 0; i < b.lines.length; i++) {
        const at = b.lines[i]!.indexOf('"donor":"');
        const d = b.lines[i]!.slice(at + 9, at + 73);
        if (!b.byDonor.has(d)) b.byDonor.set(d, i); // the first gift with it
      }
    }
    return b.byDonor.get(donor);
  }

  private remember(b: LoadedBatch): void {
    if (this.cache.has(b.root)) return;
    this.cache.set(b.root, b);
    this.cachedGifts += b.lines.length;
    for (const [k, v] of this.cache) {
      if (this.cachedGifts <= this.maxCachedGifts || this.cache.size <= 1) break;
      this.cache.delete(k);
      this.cachedGifts -= v.lines.length;
    }
  }
}

function writeAtomic(file: string, text: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  const dfd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
}
