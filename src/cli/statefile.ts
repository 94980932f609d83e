// The client's memory of each log it has checked: the log key it trusts (on first use,
// unless given) and the last checkpoint it saw, so that the next look is checked for
// consistency with it. A JSON file, written atomically (temp file + rename), mode 0600.
// Default: $XDG_STATE_HOME/cotc/state.json (~/.local/state/cotc/state.json).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Remembered {
  logKey: string;
  checkpoint?: { size: number; root: string; text: string };
}

export interface StateFile {
  version: 1;
  logs: Record<string, Remembered>;
}

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
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, logs: {} };
    throw new StateFileError(`cannot read state file ${file}: ${(e as Error).message}`);
  }
  let v: StateFile;
  try {
    v = JSON.parse(text);
  } catch {
    throw new StateFileError(`state file ${file} is not JSON; move it aside to start afresh`);
  }
  if (v?.version !== 1 || typeof v.logs !== 'object' || v.logs === null) throw new StateFileError(`state file ${file} has an unknown format`);
  return v;
}

export function saveState(file: string, state: StateFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}
