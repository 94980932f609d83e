// Start-up checks of a LevelDB directory's files, before LevelDB opens it.
//
// classic-level exposes neither LevelDB's paranoid_checks nor verify_checksums, so LevelDB
// by itself opens a store whose table files have damaged data blocks (it reads a table's
// footer and index only when it first needs the table, and never checks a block's CRC),
// and on open it silently drops log records that fail their checksum. This module checks,
// naming the file and the check that failed, exactly the files LevelDB's own recovery
// reads (DBImpl::Recover, VersionSet::Recover):
//   CURRENT            ends with a newline and names a MANIFEST file that exists;
//   that MANIFEST      every record's CRC32C (LevelDB log format, 32 KiB blocks; an
//                      incomplete last record is a write cut short by a crash and is
//                      accepted), and its version edits, replayed into the current version;
//   live tables        each table file of the current version exists (.ldb, or .sst), with
//                      its footer's magic number and the CRC32C of every block (data,
//                      filter, metaindex and index blocks, found through the index);
//   live logs          every record's CRC32C of each *.log numbered at or above the
//                      version's log number (or equal to its previous log number).
// Every other table, log or MANIFEST is garbage that LevelDB deletes when it opens the
// store (a compaction cut short by a normal close leaves such a file, half written): it is
// not part of the store and is not checked (see "the current version" below).
// It reads every live byte of the store once: O(store size) at start.
import fs from 'node:fs';
import path from 'node:path';
import { concat } from '@cotc/tlog';
import { StoreCorruptError } from './errors.ts';

const TABLE_MAGIC = 0xdb4775248b80fb57n;
const FOOTER = 48;
const LOG_BLOCK = 32768;
const LOG_HEADER = 7;

// ---- CRC32C (Castagnoli), LevelDB's masked form ------------------------------------------
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32c(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
const unmask = (m: number) => {
  const rot = (m - 0xa282ead8) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
};

// ---- snappy (raw format), for compressed index blocks ------------------------------------
function varint(b: Uint8Array, at: number): [value: number, next: number] {
  let v = 0;
  let mul = 1;
  for (let i = at; i < b.length && i < at + 10; i++) {
    v += (b[i]! & 0x7f) * mul;
    if ((b[i]! & 0x80) === 0) return [v, i + 1];
    mul *= 128;
  }
  throw new Error('bad varint');
}

export function snappyDecompress(src: Uint8Array): Uint8Array {
  const [n, start] = varint(src, 0);
  if (n > 1 << 28) throw new Error('snappy: block too large');
  const out = new Uint8Array(n);
  let o = 0;
  let i = start;
  while (i < src.length) {
    const tag = src[i++]!;
    let len: number;
    let off: number;
    switch (tag & 3) {
      case 0: {
        len = (tag >>> 2) + 1;
        if (len > 60) {
          const k = len - 60;
          len = 1;
          for (let j = 0; j < k; j++) len += src[i + j]! * 2 ** (8 * j);
          i += k;
        }
        if (i + len > src.length || o + len > n) throw new Error('snappy: literal overruns');
        out.set(src.subarray(i, i + len), o);
        i += len;
        o += len;
        continue;
      }
      case 1:
        len = ((tag >>> 2) & 7) + 4;
        off = ((tag >>> 5) << 8) | src[i++]!;
        break;
      case 2:
        len = (tag >>> 2) + 1;
        off = src[i]! | (src[i + 1]! << 8);
        i += 2;
        break;
      default:
        len = (tag >>> 2) + 1;
        off = (src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16) | (src[i + 3]! << 24)) >>> 0;
        i += 4;
    }
    if (off === 0 || off > o || o + len > n) throw new Error('snappy: bad copy');
    for (let j = 0; j < len; j++, o++) out[o] = out[o - off]!;
  }
  if (o !== n) throw new Error('snappy: short output');
  return out;
}

// ---- tables ------------------------------------------------------------------------------
interface Handle {
  offset: number;
  size: number;
}

function handleAt(b: Uint8Array, at: number): [Handle, number] {
  const [offset, a] = varint(b, at);
  const [size, next] = varint(b, a);
  return [{ offset, size }, next];
}

/** Values of a block's entries (keys are not needed: we only want the handles). */
function blockValues(block: Uint8Array): Uint8Array[] {
  const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
  if (block.length < 4) throw new Error('block too short');
  const restarts = dv.getUint32(block.length - 4, true);
  const end = block.length - 4 - 4 * restarts;
  if (end < 0) throw new Error('bad restart count');
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < end) {
    const [, a] = varint(block, i);
    const [unshared, b] = varint(block, a);
    const [vlen, c] = varint(block, b);
    const v = c + unshared;
    if (v + vlen > end) throw new Error('entry overruns the block');
    out.push(block.subarray(v, v + vlen));
    i = v + vlen;
  }
  return out;
}

function verifyTable(file: string): void {
  const name = path.basename(file);
  const fail = (check: string): never => {
    throw new StoreCorruptError(`${file}: LevelDB table ${name} fails the check of its ${check}`);
  };
  const buf = fs.readFileSync(file);
  const b = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < FOOTER) fail(`footer (the file is ${b.length} bytes, shorter than a footer)`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const magic = (BigInt(dv.getUint32(b.length - 4, true)) << 32n) | BigInt(dv.getUint32(b.length - 8, true));
  if (magic !== TABLE_MAGIC) fail('footer magic number (not an sstable, or truncated)');
  const footer = b.subarray(b.length - FOOTER);
  let meta: Handle;
  let index: Handle;
  try {
    let at: number;
    [meta, at] = handleAt(footer, 0);
    [index] = handleAt(footer, at);
  } catch {
    return fail('footer block handles');
  }
  const readBlock = (h: Handle, what: string): Uint8Array => {
    if (h.offset + h.size + 5 > b.length - FOOTER) fail(`${what} at offset ${h.offset} (${h.size} bytes): it runs past the end of the file`);
    const data = b.subarray(h.offset, h.offset + h.size + 1); // contents and the type byte
    const stored = dv.getUint32(h.offset + h.size + 1, true);
    if (crc32c(data) !== unmask(stored)) fail(`${what} at offset ${h.offset} (${h.size} bytes): CRC32C mismatch`);
    const type = b[h.offset + h.size]!;
    const contents = b.subarray(h.offset, h.offset + h.size);
    if (type === 0) return contents;
    if (type === 1) {
      try {
        return snappyDecompress(contents);
      } catch (e) {
        return fail(`${what} at offset ${h.offset}: ${(e as Error).message}`);
      }
    }
    return fail(`${what} at offset ${h.offset}: unknown compression type ${type}`);
  };
  const handles = (block: Uint8Array, what: string): Handle[] => {
    try {
      return blockValues(block).map((v) => handleAt(v, 0)[0]);
    } catch (e) {
      return fail(`${what}: ${(e as Error).message}`);
    }
  };
  const idx = readBlock(index, 'index block');
  handles(idx, 'index block').forEach((h, i) => readBlock(h, `data block ${i}`));
  const mi = readBlock(meta, 'metaindex block');
  handles(mi, 'metaindex block').forEach((h, i) => readBlock(h, `meta block ${i}`));
}

// ---- log files (MANIFEST, write-ahead logs) ----------------------------------------------
// LevelDB log format (doc/log_format.md): 32 KiB blocks of records, each a 7-byte header
// (masked CRC32C, length, type) and its payload; a logical record is one FULL (1) fragment
// or FIRST (2), MIDDLE (3)…, LAST (4). An incomplete tail (a header or payload cut short, or
// a FIRST without its LAST at the end of the file) is a write cut short by a crash, and
// LevelDB's reader drops it without a word (log_reader.cc, kEof): so do we.
const FULL = 1;
const FIRST = 2;
const MIDDLE = 3;
const LAST = 4;

/** Checks every record of a LevelDB log file; with `records`, also reassembles and returns
 * the logical records (the MANIFEST's version edits). */
function verifyLog(file: string, records = false): Uint8Array[] {
  const name = path.basename(file);
  const fail = (at: number, what: string): never => {
    throw new StoreCorruptError(`${file}: LevelDB log ${name} fails its record check at offset ${at}: ${what}`);
  };
  const buf = fs.readFileSync(file);
  const b = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Uint8Array[] = [];
  let parts: Uint8Array[] | null = null; // fragments of a record begun by FIRST
  let at = 0;
  while (at < b.length) {
    const left = LOG_BLOCK - (at % LOG_BLOCK);
    if (left < LOG_HEADER) {
      at += left; // trailer padding
      continue;
    }
    if (at + LOG_HEADER > b.length) break; // a header cut short by a crash: the tail
    const len = dv.getUint16(at + 4, true);
    const type = b[at + 6]!;
    if (type === 0 && len === 0) {
      at += left; // zero padding: the rest of the block
      continue;
    }
    if (LOG_HEADER + len > left) fail(at, `a record of ${len} bytes overruns its block`);
    if (at + LOG_HEADER + len > b.length) break; // the last record cut short by a crash
    const crc = crc32c(b.subarray(at + 6, at + LOG_HEADER + len));
    if (crc !== unmask(dv.getUint32(at, true))) fail(at, 'CRC32C mismatch');
    if (records) {
      const payload = b.subarray(at + LOG_HEADER, at + LOG_HEADER + len);
      if (type === FULL) {
        if (parts) fail(at, 'a fragmented record without its end');
        out.push(payload);
      } else if (type === FIRST) {
        if (parts) fail(at, 'a fragmented record without its end');
        parts = [payload];
      } else if (type === MIDDLE || type === LAST) {
        if (!parts) fail(at, 'a record fragment without its start');
        parts!.push(payload);
        if (type === LAST) {
          out.push(concat(...parts!));
          parts = null;
        }
      } else {
        fail(at, `unknown record type ${type}`);
      }
    }
    at += LOG_HEADER + len;
  }
  return out;
}

// ---- the current version: which files LevelDB will read ---------------------------------
// CURRENT names the MANIFEST; the MANIFEST is a log of version edits (db/version_edit.cc),
// each a sequence of tagged fields. Replaying them (VersionSet::Recover) gives the live
// table files of every level, the log number (write-ahead logs numbered below it are
// already in tables) and the previous log number. That is all LevelDB reads at open
// (DBImpl::Recover: it replays every .log numbered >= the log number, or equal to the
// previous log number, and requires every live table to exist); every other table, log or
// MANIFEST is garbage that it deletes right after opening (DBImpl::DeleteObsoleteFiles).
// Such garbage is normal: a compaction cut short by a close (~DBImpl stops it mid-file:
// "Deleting DB during compaction") leaves its unfinished output, with no footer, and skips
// the clean-up. So only the live files are checked.
const TAG = { comparator: 1, logNumber: 2, nextFile: 3, lastSequence: 4, compactPointer: 5, deletedFile: 6, newFile: 7, prevLogNumber: 9 };

export interface LiveFiles {
  manifest: string;
  /** table file numbers of the current version, ascending */
  tables: number[];
  logNumber: number;
  prevLogNumber: number;
}

/** Replays a MANIFEST's version edits (the bytes of each record) into the live files. */
export function liveFilesOf(manifest: string, edits: readonly Uint8Array[], where = manifest): LiveFiles {
  const live = new Map<string, number>(); // "level/number" → number
  let logNumber = 0;
  let prevLogNumber = 0;
  edits.forEach((e, i) => {
    let at = 0;
    const fail = (what: string): never => {
      throw new StoreCorruptError(`${where}: LevelDB MANIFEST ${manifest} fails the check of version edit ${i}: ${what}`);
    };
    const num = (what: string): number => {
      try {
        const [v, next] = varint(e, at);
        if (!Number.isSafeInteger(v)) fail(`${what} out of range`);
        at = next;
        return v;
      } catch (err) {
        if (err instanceof StoreCorruptError) throw err;
        return fail(`bad ${what}`);
      }
    };
    const slice = (what: string) => {
      const n = num(`${what} length`);
      if (at + n > e.length) fail(`${what} runs past the record`);
      at += n;
    };
    const deleted: string[] = [];
    const added: Array<[string, number]> = [];
    while (at < e.length) {
      const tag = num('tag');
      switch (tag) {
        case TAG.comparator:
          slice('comparator name');
          break;
        case TAG.logNumber:
          logNumber = num('log number');
          break;
        case TAG.prevLogNumber:
          prevLogNumber = num('previous log number');
          break;
        case TAG.nextFile:
          num('next file number');
          break;
        case TAG.lastSequence:
          num('last sequence number');
          break;
        case TAG.compactPointer:
          num('compaction pointer level');
          slice('compaction pointer key');
          break;
        case TAG.deletedFile: {
          const level = num('deleted file level');
          deleted.push(`${level}/${num('deleted file number')}`);
          break;
        }
        case TAG.newFile: {
          const level = num('new file level');
          const n = num('new file number');
          num('new file size');
          slice('new file smallest key');
          slice('new file largest key');
          added.push([`${level}/${n}`, n]);
          break;
        }
        default:
          fail(`unknown tag ${tag}`);
      }
    }
    // VersionSet::Builder::Apply: an edit's deletions, then its new files.
    for (const k of deleted) live.delete(k);
    for (const [k, n] of added) live.set(k, n);
  });
  return { manifest, tables: [...new Set(live.values())].sort((a, b) => a - b), logNumber, prevLogNumber };
}

/** Checks a LevelDB directory's files (see the top of this file): CURRENT, its MANIFEST,
 * and the files of the current version only; throws StoreCorruptError naming the file and
 * the check. A directory that does not exist yet passes. Returns what was checked. */
export function verifyLevelFiles(dir: string): { live: LiveFiles; checked: string[]; ignored: string[] } | null {
  if (!fs.existsSync(dir)) return null;
  const files = fs.readdirSync(dir).sort();
  if (!files.includes('CURRENT')) {
    if (files.some((f) => /^(MANIFEST-\d+|\d+\.(ldb|sst|log))$/.test(f))) {
      throw new StoreCorruptError(`${path.join(dir, 'CURRENT')}: missing, but the directory holds LevelDB files`);
    }
    return null;
  }
  const current = fs.readFileSync(path.join(dir, 'CURRENT'), 'latin1');
  if (!/^MANIFEST-\d+\n$/.test(current)) {
    throw new StoreCorruptError(`${path.join(dir, 'CURRENT')}: fails its check: expected "MANIFEST-<number>" and a newline`);
  }
  const manifest = current.trim();
  if (!files.includes(manifest)) throw new StoreCorruptError(`${path.join(dir, 'CURRENT')}: names ${manifest}, which does not exist`);
  const manifestPath = path.join(dir, manifest);
  const live = liveFilesOf(manifest, verifyLog(manifestPath, true), manifestPath);
  const checked = ['CURRENT', manifest];
  for (const n of live.tables) {
    // LevelDB opens NNNNNN.ldb, else the older name NNNNNN.sst (table_cache.cc).
    const base = String(n).padStart(6, '0');
    const f = files.includes(`${base}.ldb`) ? `${base}.ldb` : files.includes(`${base}.sst`) ? `${base}.sst` : undefined;
    if (f === undefined) {
      throw new StoreCorruptError(`${manifestPath}: names table ${base}.ldb of the current version, which does not exist`);
    }
    verifyTable(path.join(dir, f));
    checked.push(f);
  }
  for (const f of files) {
    const m = /^(\d+)\.log$/.exec(f);
    if (!m) continue;
    const n = Number(m[1]);
    // DBImpl::Recover replays exactly these logs.
    if (n >= live.logNumber || n === live.prevLogNumber) {
      verifyLog(path.join(dir, f));
      checked.push(f);
    }
  }
  const ignored = files.filter((f) => /^(MANIFEST-\d+|\d+\.(ldb|sst|log|dbtmp))$/.test(f) && !checked.includes(f));
  return { live, checked, ignored };
}
