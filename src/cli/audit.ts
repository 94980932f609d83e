// `cotc audit (--server URL | --data DIR) [--state FILE]` (DESIGN.md "The CLI").
import path from 'node:path';
import cliProgress from 'cli-progress';
import { parseSignerKey, parseVerifierKey } from '@cotc/tlog';
import { audit, type AuditSource } from '../audit/audit.ts';
import { serverSource, storeSource } from '../audit/sources.ts';
import { LedgerClient } from '../client/client.ts';
import { readKeyFile } from '../log/datadir.ts';
import { LevelStore } from '../storage/level.ts';
import { defaultStatePath, loadState, saveState } from './statefile.ts';

export interface AuditCliOptions {
  server?: string;
  data?: string;
  state?: string;
  logKey?: string;
  signatures?: boolean;
}

/** Runs the audit and returns the exit code (0 clean, 1 problem, 2 usage/network). */
export async function auditCommand(o: AuditCliOptions, out = console.log, err = console.error): Promise<number> {
  if (!!o.server === !!o.data) {
    err('cotc audit: give exactly one of --server URL or --data DIR');
    return 2;
  }
  const statePath = o.state ?? defaultStatePath();
  const state = loadState(statePath);
  let src: AuditSource;
  let id: string;
  let logKey: string | undefined = o.logKey;
  let store: LevelStore | undefined;
  if (o.logKey) parseVerifierKey(o.logKey, '--log-key');
  if (o.server) {
    const client = new LedgerClient(o.server);
    id = client.base;
    src = serverSource(client);
    if (!logKey) logKey = state.logs[id]?.logKey;
    if (!logKey) {
      logKey = (await client.get<{ key: string }>('/v1/log')).key;
      parseVerifierKey(logKey, 'the server\'s /v1/log key');
      out(`cotc audit: trusting ${id}'s log key on first use: ${logKey}`);
    }
  } else {
    const dir = path.resolve(o.data!);
    id = 'file://' + dir;
    if (!logKey) logKey = parseSignerKey(readKeyFile(path.join(dir, 'log.key'))).verifierKey;
    store = new LevelStore(path.join(dir, 'store'));
    try {
      src = await storeSource(store);
    } catch (e) {
      err(`cotc audit: cannot open the store in ${dir} (is a server running on it?): ${(e as Error).message}`);
      return 2;
    }
  }
  const remembered = state.logs[id];
  if (remembered && remembered.logKey !== logKey) {
    err(`cotc audit: ${id} was audited before with log key ${remembered.logKey}, now ${logKey}: refusing (use another --state to start afresh)`);
    await store?.close();
    return 1;
  }
  const tty = process.stderr.isTTY;
  const bar = tty
    ? new cliProgress.SingleBar({ format: 'replay {bar} {percentage}% | {value}/{total} entries | {speed}/s | ETA {eta_formatted}', stream: process.stderr }, cliProgress.Presets.shades_classic)
    : null;
  const t0 = performance.now();
  let lastPct = -1;
  let started = false;
  try {
    const r = await audit(src, {
      logKey: logKey!,
      trusted: remembered?.checkpoint ?? null,
      signatures: o.signatures ?? true,
      onProgress: (done, total) => {
        const speed = Math.round(done / Math.max(0.001, (performance.now() - t0) / 1000));
        if (bar) {
          if (!started) bar.start(total, 0, { speed });
          started = true;
          bar.update(done, { speed });
        } else {
          const pct = total === 0 ? 100 : Math.floor((done / total) * 10) * 10;
          if (pct !== lastPct) {
            lastPct = pct;
            err(`replay: ${done}/${total} entries (${pct}%), ${speed} entries/s`);
          }
        }
      },
    });
    bar?.stop();
    if (!r.ok) {
      for (const p of r.problems) out(`PROBLEM${p.seq !== undefined ? ` at seq ${p.seq}` : ''}: ${p.check}: ${p.message}`);
      out(`cotc audit: ${r.problems.length} problem(s) found in ${id}`);
      return 1;
    }
    out(`cotc audit: clean. ${r.size} entries replayed in ${r.seconds.toFixed(1)} s: every hash, the hash chain, every signature, every state change and every effects list; checkpoint ${r.checkpoint!.size} root ${r.checkpoint!.root}${remembered?.checkpoint ? `, consistent with checkpoint ${remembered.checkpoint.size} seen before` : ''}`);
    state.logs[id] = { logKey: logKey!, checkpoint: r.checkpoint! };
    saveState(statePath, state);
    return 0;
  } finally {
    bar?.stop();
    await store?.close();
  }
}
