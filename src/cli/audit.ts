// `cotc audit (--server URL | --data DIR) [--state FILE] [--from-scratch] [--audit-state DIR]`
// (DESIGN.md "The CLI").
//
// The replay's state is saved under --audit-state (default: audit/ beside the state file),
// one directory per log (src/audit/saved-state.ts); the next audit of the same log resumes
// from the checkpoint the last clean one verified, and says so; --from-scratch forgets it.
//
// The log key: --log-key, else for a data directory its log.key, else the key remembered
// for the server, else the server's own, trusted on first use. As for `verify`, trust is
// by the log's identity (its origin, the key's name; src/client/logtrust.ts), so the audit
// of a server and of its data directory share the remembered checkpoint, and a key that
// differs from the one remembered for its log is refused, naming both, unless
// --replace-log-key.
//
// Exit 0 clean; 1 a problem found, naming the seq and the check (also a store that fails
// its checks: the file and the check); 2 usage or network error (also a store another
// process holds: "is a server running on it?"). Strings from the server are escaped.
import fs from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { parseSignerKey, parseVerifierKey } from '@cotc/tlog';
import { audit, type AuditResult, type AuditSource } from '../audit/audit.ts';
import { serverSource, SourceAnswerError, storeSource, tilesSource } from '../audit/sources.ts';
import { ClientError, LedgerClient } from '../client/client.ts';
import { acceptLog, decideTrust, rememberCheckpoint } from '../client/logtrust.ts';
import { readKeyFile } from '../log/datadir.ts';
import { LevelStore } from '../storage/level.ts';
import { StoreCorruptError } from '../storage/types.ts';
import { safeLines, say } from './common.ts';
import { defaultStatePath, loadState, saveState, StateFileError } from './statefile.ts';
import { witnessPolicyFromFlags, witnessedWords } from '../witness/cli-policy.ts';

export interface AuditCliOptions {
  server?: string;
  data?: string;
  /** a log's C2SP tlog-tiles (the API's or a static mirror's `cotc mirror`): src/audit/tiles.ts */
  tiles?: string;
  state?: string;
  logKey?: string;
  signatures?: boolean;
  /** Trust the key given (or the log's) even when another one is remembered for this log: an explicit choice. */
  replaceLogKey?: boolean;
  /** Witness policy (src/witness/cli-policy.ts): --witness VKEY… with --quorum K, or --witness-policy FILE. */
  witness?: string[];
  quorum?: string;
  witnessPolicy?: string;
  /** Forget the saved replayed state of this log and replay from entry 0. */
  fromScratch?: boolean;
  /** Where replayed states are saved (default: `audit/` beside the state file). */
  auditState?: string;
  /** Signature worker threads (default one per core). */
  verifyThreads?: number;
}

/** LevelDB allows one process per store: its lock is held by a running server. */
function isLockError(e: unknown): boolean {
  for (let x = e as { code?: unknown; message?: unknown; cause?: unknown } | undefined, i = 0; x && i < 5; x = x.cause as typeof x, i++) {
    if (x.code === 'LEVEL_LOCKED') return true;
    if (typeof x.message === 'string' && /\block\b.*(unavailable|held|busy)|LOCK:/i.test(x.message)) return true;
  }
  return false;
}

/** How many of the events signed with operator-installed keys are listed one by one. */
const LIST_OPERATOR_SIGNED = 50;

/** Lines naming the events signed with a key the log operator installed (issue 9): count and list. */
export function operatorSignedLines(r: AuditResult): string[] {
  const list = r.operatorSigned ?? [];
  if (list.length === 0) return [];
  const orgs = new Set(list.map((x) => x.org));
  const lines = [
    `cotc audit: ${list.length} event${list.length === 1 ? '' : 's'} signed with a key the log operator installed for ${orgs.size === 1 ? say([...orgs][0]) : `${orgs.size} orgs`}, not by the org itself (the operator, not the org, may hold such a key):`,
  ];
  for (const x of list.slice(0, LIST_OPERATOR_SIGNED)) {
    lines.push(`  seq ${x.seq}: ${say(x.type, 40)} ${say(x.event, 140)} signed as ${say(x.org)} with ${say(x.key, 400)}, installed by the operator at seq ${x.installedAt}`);
  }
  if (list.length > LIST_OPERATOR_SIGNED) lines.push(`  … and ${list.length - LIST_OPERATOR_SIGNED} more`);
  return lines;
}

/** Runs the audit and returns the exit code (0 clean, 1 problem, 2 usage/network). */
export async function auditCommand(o: AuditCliOptions, rawOut = console.log, rawErr = console.error): Promise<number> {
  const out = (l: string) => rawOut(safeLines(l));
  const err = (l: string) => rawErr(safeLines(l));
  if ([o.server, o.data, o.tiles].filter((x) => x !== undefined).length !== 1) {
    err('cotc audit: give exactly one of --server URL, --data DIR or --tiles URL');
    return 2;
  }
  let witnesses;
  try {
    witnesses = witnessPolicyFromFlags(o);
  } catch (e) {
    err(`cotc audit: ${(e as Error).message}`);
    return 2;
  }
  const statePath = o.state ?? defaultStatePath();
  const auditStateDir = path.resolve(o.auditState ?? path.join(path.dirname(statePath), 'audit'));
  let state;
  try {
    state = loadState(statePath);
  } catch (e) {
    if (!(e instanceof StateFileError)) throw e;
    err(`cotc audit: --state: ${e.message}`);
    return 2;
  }
  if (o.logKey) {
    try {
      parseVerifierKey(o.logKey, '--log-key');
    } catch (e) {
      err(`cotc audit: ${(e as Error).message}`);
      return 2;
    }
  }
  let src: AuditSource;
  let id: string;
  let store: LevelStore | undefined;
  let decision;
  if (o.server || o.tiles) {
    let client: LedgerClient;
    const flag = o.tiles ? '--tiles' : '--server';
    try {
      client = new LedgerClient((o.tiles ?? o.server)!);
    } catch {
      err(`cotc audit: ${flag}: ${JSON.stringify(o.tiles ?? o.server)} is not an http(s) URL`);
      return 2;
    }
    id = client.base;
    src = o.tiles ? await tilesSource(client.base) : serverSource(client);
    decision = decideTrust(state, id, o.logKey);
    if (decision.kind === 'ask-server') {
      let key: unknown;
      try {
        key = (await client.get<{ key?: unknown }>('/v1/log'))?.key;
      } catch (e) {
        err(`cotc audit: --server: ${(e as Error).message}`);
        return 2;
      }
      try {
        parseVerifierKey(key as string, 'the server\'s /v1/log key');
      } catch (e) {
        err(`cotc audit: ${say((e as Error).message, 500)}`);
        return 1;
      }
      decision = decideTrust(state, id, undefined, key as string);
      if (decision.kind === 'trusted' && decision.source === 'tofu') out(`cotc audit: trusting ${say(id)}'s log key on first use: ${say(key, 400)}`);
    }
  } else {
    const dir = path.resolve(o.data!);
    id = 'file://' + dir;
    if (!fs.existsSync(path.join(dir, 'store'))) {
      err(`cotc audit: --data: ${dir} holds no store (no ${path.join(dir, 'store')})`);
      return 2;
    }
    let logKey = o.logKey;
    try {
      logKey ??= parseSignerKey(readKeyFile(path.join(dir, 'log.key'))).verifierKey;
    } catch (e) {
      err(`cotc audit: --data: cannot read ${path.join(dir, 'log.key')}: ${(e as Error).message}`);
      return 2;
    }
    decision = decideTrust(state, id, logKey);
    store = new LevelStore(path.join(dir, 'store'), { verifyFiles: true });
    try {
      src = await storeSource(store);
    } catch (e) {
      await store.close().catch(() => {});
      if (e instanceof StoreCorruptError) {
        // The store fails its own checks: a finding of the audit, naming the file and the check.
        out(`PROBLEM: store: ${(e as Error).message}`);
        out(`cotc audit: the store in ${dir} fails its checks`);
        return 1;
      }
      if (isLockError(e)) {
        err(`cotc audit: cannot open the store in ${dir}: another process holds it (is a server running on it?): ${(e as Error).message}`);
        return 2;
      }
      err(`cotc audit: cannot open the store in ${dir}: ${(e as Error).message}`);
      return 2;
    }
  }
  if (decision.kind === 'ask-server') throw new Error('decideTrust asked for the server key twice');
  let logKey: string;
  let trusted: { size: number; root: string; text: string } | null;
  if (decision.kind === 'conflict') {
    if (!o.replaceLogKey) {
      const was =
        decision.rememberedOrigin === decision.offeredOrigin
          ? `the key remembered for log ${say(decision.rememberedOrigin)} is ${say(decision.remembered, 400)}`
          : `${say(id)} was remembered serving log ${say(decision.rememberedOrigin)} with key ${say(decision.remembered, 400)}`;
      err(
        `cotc audit: ${say(id)} has log key ${say(decision.offered, 400)}, but ${was} (in ${statePath}): refusing. ` +
          'If you know the log changed its key, pass --replace-log-key (its remembered checkpoint is then forgotten), or use another --state.',
      );
      await store?.close();
      return 1;
    }
    logKey = decision.offered;
    trusted = null;
    err(`cotc audit: --replace-log-key: trusting ${say(logKey, 400)} instead of ${say(decision.remembered, 400)}`);
  } else {
    logKey = decision.logKey;
    trusted = decision.checkpoint;
  }

  const tty = process.stderr.isTTY;
  const bar = tty
    ? new cliProgress.SingleBar({ format: 'replay {bar} {percentage}% | {value}/{total} entries | {speed}/s | ETA {eta_formatted}', stream: process.stderr }, cliProgress.Presets.shades_classic)
    : null;
  const t0 = performance.now();
  let lastPct = -1;
  let started = false;
  try {
    let r: AuditResult;
    try {
      r = await audit(src, {
        logKey,
        trusted,
        signatures: o.signatures ?? true,
        witnesses,
        stateDir: auditStateDir,
        fromScratch: o.fromScratch === true,
        verifyThreads: o.verifyThreads,
        pageSize: o.data ? 4000 : 1000,
        onNote: (l) => {
          if (bar && started) bar.stop();
          out(l);
        },
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
    } catch (e) {
      bar?.stop();
      if (e instanceof StoreCorruptError) {
        out(`PROBLEM${e.seq !== undefined ? ` at seq ${e.seq}` : ''}: store: ${e.message}`);
        out(`cotc audit: the store of ${say(id)} fails its checks`);
        return 1;
      }
      if (e instanceof SourceAnswerError) {
        out(`PROBLEM${e.seq !== undefined ? ` at seq ${e.seq}` : ''}: answer: ${say(e.message, 600)}`);
        out(`cotc audit: ${say(id)} answers what was not asked for`);
        return 1;
      }
      if (e instanceof ClientError) {
        err(`cotc audit: --server: ${e.message}`);
        return 2;
      }
      if (isLockError(e)) {
        err(`cotc audit: ${(e as Error).message}`);
        return 2;
      }
      throw e;
    }
    bar?.stop();
    const byOperator = operatorSignedLines(r);
    if (!r.ok) {
      for (const p of r.problems) out(`PROBLEM${p.seq !== undefined ? ` at seq ${p.seq}` : ''}: ${say(p.check, 40)}: ${say(p.message, 600)}`);
      for (const l of byOperator) out(l);
      out(`cotc audit: ${r.problems.length} problem(s) found in ${say(id)}`);
      return 1;
    }
    for (const l of byOperator) out(l);
    const what = r.resumed
      ? `${r.replayed} new entries replayed in ${r.seconds.toFixed(1)} s (resumed from entry ${r.resumed.from}; the ${r.resumed.from} before were replayed by an earlier audit${r.resumed.verified ? ` and verified on ${r.resumed.verified.at}` : ''})`
      : `${r.size} entries replayed in ${r.seconds.toFixed(1)} s`;
    out(
      `cotc audit: clean. ${what}: every hash, the hash chain, every signature, every state change and every effects list; checkpoint ${r.checkpoint!.size} root ${r.checkpoint!.root}${
        trusted ? `, consistent with checkpoint ${trusted.size} seen before` : ''
      }${r.operatorSigned.length ? `; ${r.operatorSigned.length} event(s) signed with keys the log operator installed (listed above)` : ''}${r.witnesses ? `; ${witnessedWords(r.witnesses)}` : ''}`,
    );
    state = rememberCheckpoint(acceptLog(state, id, logKey), id, logKey, r.checkpoint!);
    saveState(statePath, state);
    return 0;
  } finally {
    bar?.stop();
    await store?.close();
  }
}
