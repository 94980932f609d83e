// A witness's memory: per log origin, the latest checkpoint it cosigned (size, root, and the
// note itself as evidence). One small file per origin, DIR/logs/<sha256(origin) hex>.json,
// replaced whole with write-temp + fsync + rename + fsync(dir): after a crash (SIGKILL, power
// loss) the file is the old record or the new one, never a mix, and the rename is durable
// before the witness answers (tlog-witness v1.0.0 §add-checkpoint: "The witness MUST persist
// the new checkpoint before responding").
//
// Every call here is synchronous on purpose: the witness checks `old` against the record and
// persists the new one inside one synchronous call, so no other request can run between the
// check and the write (the race of §add-checkpoint, steps 1–6, cannot happen in one process).
// One process per DIR: DIR/witness.lock holds the pid of the running witness.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';

export interface LogRecord {
  origin: string;
  size: number;
  /** base64 root hash */
  root: string;
  /** the signed checkpoint note that was cosigned last (kept as evidence) */
  checkpoint: string;
  /** POSIX seconds of that cosignature */
  time: number;
}

const fileName = (origin: string) => createHash('sha256').update(origin, 'utf8').digest('hex') + '.json';

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export class WitnessState {
  readonly dir: string;
  readonly #records = new Map<string, LogRecord>();

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'logs');
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    for (const f of fs.readdirSync(this.dir)) {
      const p = path.join(this.dir, f);
      if (f.startsWith('.tmp-')) {
        fs.rmSync(p, { force: true }); // a write cut short: the old record is still in place
        continue;
      }
      if (!f.endsWith('.json')) continue;
      let r: LogRecord;
      try {
        r = JSON.parse(fs.readFileSync(p, 'utf8')) as LogRecord;
      } catch (e) {
        // rename is atomic, so a torn record is not a crash: refuse to guess (a witness that
        // forgot a log could cosign a fork of it).
        throw new Error(`witness state ${p} does not parse: ${(e as Error).message}`);
      }
      if (typeof r.origin !== 'string' || fileName(r.origin) !== f || !Number.isSafeInteger(r.size) || r.size < 0 || typeof r.root !== 'string') {
        throw new Error(`witness state ${p} is not a record of the origin it is named for`);
      }
      this.#records.set(r.origin, r);
    }
  }

  /** The latest cosigned record of origin, or undefined (never cosigned: size 0). */
  get(origin: string): LogRecord | undefined {
    return this.#records.get(origin);
  }

  origins(): LogRecord[] {
    return [...this.#records.values()];
  }

  /** Durably replaces origin's record (synchronous; see the file comment). */
  put(r: LogRecord): void {
    const final = path.join(this.dir, fileName(r.origin));
    const tmp = path.join(this.dir, `.tmp-${fileName(r.origin)}-${process.pid}`);
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(r) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, final);
    fsyncDir(this.dir);
    this.#records.set(r.origin, r);
  }
}

/** Takes DIR/witness.lock for this process, refusing when a live process holds it. */
export function lockDataDir(dataDir: string): () => void {
  const p = path.join(dataDir, 'witness.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(p, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          if (fs.readFileSync(p, 'utf8').trim() === String(process.pid)) fs.rmSync(p, { force: true });
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(p, 'utf8').trim());
      let alive = false;
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid) {
        try {
          process.kill(pid, 0);
          alive = true;
        } catch (err) {
          alive = (err as NodeJS.ErrnoException).code === 'EPERM';
        }
      }
      if (alive) throw new Error(`${dataDir} is in use by another witness (pid ${pid}, ${p})`);
      fs.rmSync(p, { force: true }); // left by a killed witness
    }
  }
  throw new Error(`could not take ${p}`);
}
