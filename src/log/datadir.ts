// The data directory (DESIGN.md "The operator"): log.key and operator.key, signer key
// strings in files of mode 0600, beside the store (./store, LevelDB). Created on first
// start; a key file readable by group or others is refused, so a key never sits where
// another user of the machine can read it.
//
// The log's name (its checkpoint origin, the log key's name) is chosen at first start and
// never changes: witnesses, donors' remembered trust and auditors' state files are keyed
// by it, so two logs must never share one (README "The log's name").
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKey, isValidName, parseSignerKey } from '@cotc/tlog';

export const DEFAULT_OPERATOR = 'operator';

/** A log origin we accept: a lowercase schema-less URL (C2SP tlog-checkpoint: "origin ...
 * SHOULD be a schema-less URL"), e.g. `ledger.example.org/cotc`. Stricter than a signed-note
 * name (which also bars spaces and '+'): printable ASCII only, so an origin never needs
 * escaping on a page or a terminal and no two origins look alike. */
const ORIGIN = /^[a-z0-9](?:[a-z0-9._~:-]*[a-z0-9])?(?:\/[a-z0-9._~:-]+)*$/;
export const MAX_ORIGIN = 255;

/** Why `name` is not a log origin we accept, or null when it is. */
export function originProblem(name: string): string | null {
  if (typeof name !== 'string' || name === '') return 'it is empty';
  if (name.length > MAX_ORIGIN) return `it is ${name.length} characters long, more than ${MAX_ORIGIN}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(name)) return 'it has a scheme: an origin is a schema-less URL such as ledger.example.org/cotc';
  if (!ORIGIN.test(name) || !isValidName(name)) {
    return 'it must be lowercase letters, digits and . _ ~ : - in /-separated parts, beginning and ending with a letter or digit (e.g. ledger.example.org/cotc)';
  }
  return null;
}

export class OriginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OriginError';
  }
}

/** The default origin of a new log: `<this host's name>/<suffix>`, the host name lowercased
 * and cut to what an origin may hold ("vm/cotc", "ledger-1.example.org/cotc"). */
export function defaultOrigin(suffix = 'cotc', hostname: string = os.hostname()): string {
  let host = hostname
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[.-]+|[.-]+$/g, '')
    .slice(0, 200)
    .replace(/[.-]+$/g, '');
  if (host === '') host = 'localhost';
  const origin = `${host}/${suffix}`;
  const problem = originProblem(origin);
  if (problem) throw new OriginError(`default origin ${JSON.stringify(origin)}: ${problem}`);
  return origin;
}

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

/** Opens (or, when absent, creates) a data directory's keys. `origin` names a new log
 * (default: defaultOrigin()); for an existing log it must be its name, or be left out. */
export function openDataDir(dir: string, opts: { origin?: string; operator?: string } = {}): DataDir {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('dir: expected a directory path');
  if (opts.origin !== undefined) {
    const problem = originProblem(opts.origin);
    if (problem) throw new OriginError(`--origin ${JSON.stringify(opts.origin)} is not a log name we accept: ${problem}`);
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const logFile = path.join(dir, 'log.key');
  const opFile = path.join(dir, 'operator.key');
  let created = false;
  if (!fs.existsSync(logFile)) {
    if (fs.existsSync(path.join(dir, 'store'))) {
      throw new KeyFileError(`${logFile} is missing but ${dir} holds a store: refusing to make a new log key for an existing log`);
    }
    writeKeyFile(logFile, generateKey(opts.origin ?? defaultOrigin()).signerKey);
    created = true;
  }
  if (!fs.existsSync(opFile)) {
    if (!created) throw new KeyFileError(`${opFile} is missing`);
    writeKeyFile(opFile, generateKey(opts.operator ?? DEFAULT_OPERATOR).signerKey);
  }
  const logKey = readKeyFile(logFile);
  const operatorKey = readKeyFile(opFile);
  const origin = parseSignerKey(logKey).name;
  if (opts.origin !== undefined && opts.origin !== origin) {
    throw new OriginError(
      `${dir} holds the log ${JSON.stringify(origin)}, not ${JSON.stringify(opts.origin)}: a log is named once, at its first start, ` +
        `and keeps its name (witnesses and donors know it by it); leave out --origin, or give --origin ${origin}, or use a new data directory`,
    );
  }
  return {
    dir,
    storePath: path.join(dir, 'store'),
    logKey,
    operatorKey,
    origin,
    operator: parseSignerKey(operatorKey).name,
    created,
  };
}

/** With a store outside the data directory (`--store`), the directory holds only the key
 * files, so openDataDir's guard (a store beside a missing log.key) cannot see the store:
 * before a new log key is made, the store must be empty. Throws KeyFileError naming the
 * store (its password hidden) when it already holds a log; does nothing when log.key
 * exists (LogService.open then checks the head's signature against it). */
export async function refuseNewKeyForExistingStore(dir: string, spec: string): Promise<void> {
  if (fs.existsSync(path.join(dir, 'log.key'))) return;
  const { openStore, describeStore } = await import('../storage/open.ts');
  const store = await openStore(spec);
  await store.open();
  try {
    const head = await store.head();
    if (head) {
      throw new KeyFileError(
        `the store ${describeStore(spec)} holds a log of ${head.size} entries but ${dir} has no log.key: copy the log's key files (log.key, operator.key) into ${dir}; refusing to make a new log key for an existing log`,
      );
    }
  } finally {
    await store.close();
  }
}
