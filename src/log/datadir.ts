// The data directory (DESIGN.md "The operator"): log.key and operator.key, signer key
// strings in files of mode 0600, beside the store (./store, LevelDB). Created on first
// start; a key file readable by group or others is refused, so a key never sits where
// another user of the machine can read it.
import fs from 'node:fs';
import path from 'node:path';
import { generateKey, parseSignerKey } from '@cotc/tlog';

export const DEFAULT_ORIGIN = 'cotc.local/ledger';
export const DEFAULT_OPERATOR = 'operator';

export interface DataDir {
  dir: string;
  storePath: string;
  logKey: string; // signer key string
  operatorKey: string; // signer key string
  origin: string;
  operator: string;
  created: boolean;
}

export class KeyFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyFileError';
  }
}

/** Reads a signer key file, refusing one that group or others may read. */
export function readKeyFile(file: string): string {
  const st = fs.statSync(file);
  if ((st.mode & 0o077) !== 0) {
    throw new KeyFileError(`${file}: key file mode is ${(st.mode & 0o777).toString(8)}; it must be 600 (chmod 600 ${file})`);
  }
  const text = fs.readFileSync(file, 'utf8').trim();
  parseSignerKey(text, file); // throws naming the file, never echoing the key
  return text;
}

/** Writes a new key file with mode 0600 (created exclusively: never overwrites a key). */
export function writeKeyFile(file: string, signerKey: string): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  try {
    fs.writeSync(fd, signerKey + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.chmodSync(file, 0o600); // umask cannot widen 0600, but be explicit
}

/** Opens (or, when absent, creates) a data directory's keys. */
export function openDataDir(dir: string, opts: { origin?: string; operator?: string } = {}): DataDir {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('dir: expected a directory path');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const logFile = path.join(dir, 'log.key');
  const opFile = path.join(dir, 'operator.key');
  let created = false;
  if (!fs.existsSync(logFile)) {
    if (fs.existsSync(path.join(dir, 'store'))) {
      throw new KeyFileError(`${logFile} is missing but ${dir} holds a store: refusing to make a new log key for an existing log`);
    }
    writeKeyFile(logFile, generateKey(opts.origin ?? DEFAULT_ORIGIN).signerKey);
    created = true;
  }
  if (!fs.existsSync(opFile)) {
    if (!created) throw new KeyFileError(`${opFile} is missing`);
    writeKeyFile(opFile, generateKey(opts.operator ?? DEFAULT_OPERATOR).signerKey);
  }
  const logKey = readKeyFile(logFile);
  const operatorKey = readKeyFile(opFile);
  return {
    dir,
    storePath: path.join(dir, 'store'),
    logKey,
    operatorKey,
    origin: parseSignerKey(logKey).name,
    operator: parseSignerKey(operatorKey).name,
    created,
  };
}
