// The auditor's check of gift batch files (issue 15, docs/gifts.md "The batch store"): the
// log commits to each batch by its sum-tree root, count and total; the gifts themselves are
// off the log, in content-addressed files (DIR/batches/<root[0:2]>/<root>.ndjson). An auditor
// that holds those files (a data directory, or a copy of its batches/) rebuilds every sum tree
// from them and checks it leads to the root and the total the batch event commits to, with
// the count it says. A batch whose file the auditor does not hold is counted, not a problem:
// the log is complete without it (only that batch's givers cannot be served their proofs).
// A resumed audit checks the files of the batches it replays (those after the resume point);
// `cotc audit --from-scratch` checks them all again.
//
// Entries are seen as the audit reads them (a tap on the source's pages), found by their
// canonical `"type":"gift.batch"` (a string value cannot hold it unescaped) and parsed only
// then; files are checked once the replay has accepted the whole log.
import { GiftStore } from '../gifts/store.ts';

const GIFT_BATCH = Buffer.from('"type":"gift.batch"');
const dec = new TextDecoder();

export interface BatchFilesReport {
  /** batch events among the entries this audit read */
  batches: number;
  /** of which the auditor holds the file, and they check */
  checked: number;
  /** gifts in the checked files */
  gifts: number;
  /** batches whose file is not held (not a problem) */
  missing: Array<{ seq: number; id: string; root: string }>;
}

export interface BatchFileProblem {
  seq: number;
  check: 'batch_file';
  message: string;
}

export class BatchFileCheck {
  readonly #store: GiftStore;
  readonly #seen: Array<{ seq: number; id: string; root: string; count: number; total: string }> = [];

  /** `dataDir` holds batches/ (a server's data directory, or the parent of a copy of it). */
  constructor(dataDir: string) {
    if (typeof dataDir !== 'string' || dataDir === '') throw new TypeError('BatchFileCheck: parameter "dataDir" must be a directory');
    // one batch in memory at a time: an audit reads each file once
    this.#store = new GiftStore(dataDir, { maxCachedGifts: 1 });
  }

  /** Call with each page of entries as read, `start` being the first one's seq. */
  see(start: number, page: readonly Uint8Array[]): void {
    page.forEach((data, i) => {
      if (Buffer.from(data.buffer, data.byteOffset, data.byteLength).indexOf(GIFT_BATCH) < 0) return;
      let ev: { type?: string; id?: string; body?: { root?: string; count?: number; amount?: { value?: string } } } | undefined;
      try {
        ev = (JSON.parse(dec.decode(data)) as { event?: typeof ev }).event;
      } catch {
        return; // the replay names a malformed entry itself
      }
      if (ev?.type !== 'gift.batch' || typeof ev.body?.root !== 'string') return;
      this.#seen.push({ seq: start + i, id: String(ev.id), root: ev.body.root, count: Number(ev.body.count), total: String(ev.body.amount?.value) });
    });
  }

  /** Checks the held files of every batch seen (call once the replay accepted them): the problems and the report. */
  check(upTo: number): { problems: BatchFileProblem[]; report: BatchFilesReport } {
    const problems: BatchFileProblem[] = [];
    const report: BatchFilesReport = { batches: 0, checked: 0, gifts: 0, missing: [] };
    for (const b of this.#seen) {
      if (b.seq >= upTo) continue;
      report.batches++;
      if (!this.#store.has(b.root)) {
        report.missing.push({ seq: b.seq, id: b.id, root: b.root });
        continue;
      }
      try {
        // load() rebuilds the sum tree from the file's records and refuses a file whose
        // records do not lead to its name's root, or are not canonical gift records.
        const loaded = this.#store.load(b.root)!;
        if (loaded.tree.count !== b.count || loaded.tree.total.toString() !== b.total) {
          problems.push({ seq: b.seq, check: 'batch_file', message: `the batch file of ${b.id} holds ${loaded.tree.count} gifts totalling ${loaded.tree.total}; the batch event commits to ${b.count} totalling ${b.total}` });
          continue;
        }
        report.checked++;
        report.gifts += loaded.tree.count;
      } catch (e) {
        problems.push({ seq: b.seq, check: 'batch_file', message: `the batch file of ${b.id} does not check: ${(e as Error).message}` });
      }
    }
    return { problems, report };
  }
}
