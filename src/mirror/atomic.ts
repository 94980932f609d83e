// Replacing a file so that no reader ever sees a torn one (issue 14 §3, "each file replaced
// atomically"): the bytes go to a temporary file in the same directory, are fsynced, and
// the temporary file is renamed over the target (rename(2) is atomic within a file
// system); the directories are fsynced at the end of a pass (flushDirs) so the renames
// themselves survive a crash. A static file server reading the target sees either the old
// file or the new one, whole.
import fs from 'node:fs';
import path from 'node:path';

let counter = 0;

export class AtomicWriter {
  /** directories holding files renamed since the last flushDirs() */
  readonly #dirty = new Set<string>();
  files = 0;
  bytes = 0;

  constructor(readonly root: string) {
    if (typeof root !== 'string' || root === '') throw new TypeError('root: expected a directory path');
  }

  /** The absolute path of `rel` (a URL path under the root, e.g. "tile/0/000"). */
  resolve(rel: string): string {
    const full = path.resolve(this.root, rel);
    if (full !== this.root && !full.startsWith(this.root.endsWith(path.sep) ? this.root : this.root + path.sep)) {
      throw new Error(`path: ${JSON.stringify(rel)} is outside ${this.root}`);
    }
    return full;
  }

  /** Writes `data` at `rel`, atomically; unless `force`, skips a file already holding exactly those bytes. */
  write(rel: string, data: Uint8Array | string, opts: { force?: boolean } = {}): boolean {
    const full = this.resolve(rel);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (!opts.force) {
      try {
        const old = fs.readFileSync(full);
        if (old.equals(bytes)) return false;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    const dir = path.dirname(full);
    fs.mkdirSync(dir, { recursive: true });
    const tmp = path.join(dir, `.${path.basename(full)}.tmp-${process.pid}-${counter++}`);
    const fd = fs.openSync(tmp, 'w', 0o644);
    try {
      let off = 0;
      while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
      fs.fsyncSync(fd);
    } catch (e) {
      fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    fs.closeSync(fd);
    fs.renameSync(tmp, full);
    this.#dirty.add(dir);
    this.files++;
    this.bytes += bytes.length;
    return true;
  }

  /** Removes a file (absent is fine). */
  remove(rel: string): void {
    const full = this.resolve(rel);
    try {
      fs.unlinkSync(full);
      this.#dirty.add(path.dirname(full));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  /** fsyncs every directory a rename or removal touched since the last call. */
  flushDirs(): void {
    for (const d of this.#dirty) {
      const fd = fs.openSync(d, 'r');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    this.#dirty.clear();
  }
}
