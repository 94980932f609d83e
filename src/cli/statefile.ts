// The client's memory of each log it has checked (src/client/logtrust.ts): the log key it
// trusts, by the log's identity (its origin, the key's name), which log each server URL
// serves, and the last checkpoint it saw of each log, so that the next look, from any URL
// of that log, is checked for consistency with it. A JSON file, written atomically (temp
// file + rename), mode 0600. Default: $XDG_STATE_HOME/cotc/state.json
// (~/.local/state/cotc/state.json). Files of the earlier format (version 1, by server URL)
// are read and rewritten in this one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseLogTrust, type LogTrust } from '../client/logtrust.ts';
import { m } from './strings.ts';

export type StateFile = LogTrust;

export function defaultStatePath(): string {
  const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'cotc', 'state.json');
}

export class StateFileError extends Error {}

export function loadState(file: string): StateFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return parseLogTrust(null);
    throw new StateFileError(m('state.cannotRead', { file, reason: (e as Error).message }));
  }
  let v: { version?: unknown; logs?: unknown };
  try {
    v = JSON.parse(text);
  } catch {
    throw new StateFileError(m('state.notJson', { file }));
  }
  if ((v?.version !== 1 && v?.version !== 2) || typeof v.logs !== 'object' || v.logs === null) throw new StateFileError(m('state.unknown', { file }));
  return parseLogTrust(v);
}

export function saveState(file: string, state: StateFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}
