// `cotc audit (--server URL | --data DIR | --store URL | --tiles URL) [--state FILE]
// [--from-scratch] [--audit-state DIR]` (DESIGN.md "The CLI"). `--store` names the store
// itself (src/storage/open.ts); with `--data DIR` as well, the log key is DIR/log.key.
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
import { parseSignerKey, parseVerifierKey } from '@cotc/tlog';
import { audit, type AuditResult, type AuditSource } from '../audit/audit.ts';
import { serverSource, SourceAnswerError, storeSource, tilesSource } from '../audit/sources.ts';
import { ClientError, LedgerClient } from '../client/client.ts';
import { acceptLog, decideTrust, rememberCheckpoint } from '../client/logtrust.ts';
import { readKeyFile } from '../log/datadir.ts';
import { describeStore, openStore, storeIdentity, StoreSpecError } from '../storage/open.ts';
import { StoreCorruptError } from '../storage/errors.ts';
import type { LogStore } from '../storage/types.ts';
import { jsonText, safeLines, say } from './common.ts';
import { m } from './strings.ts';
import { entriesProgress } from './progress.ts';
import { defaultStatePath, loadState, saveState, StateFileError } from './statefile.ts';
import { witnessPolicyFromFlags, witnessedWords } from '../witness/cli-policy.ts';

export interface AuditCliOptions {
  server?: string;
  data?: string;
  /** a log's C2SP tlog-tiles (the API's or a static mirror's `cotc mirror`): src/audit/tiles.ts */
  tiles?: string;
  /** a store spec (src/storage/open.ts): instead of DIR/store */
  store?: string;
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
  /** print one JSON document (README "The CLI", "--json") instead of the lines */
  json?: boolean;
  /** a directory holding batches/ (issue 15): the gift batch files to check; default the --data DIR */
  batches?: string;
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
    m(list.length === 1 ? 'audit.operator1' : 'audit.operator', { n: list.length, orgs: orgs.size === 1 ? say([...orgs][0]) : m('audit.orgs', { n: orgs.size }) }),
  ];
  for (const x of list.slice(0, LIST_OPERATOR_SIGNED)) {
    lines.push(`  ${m('audit.operatorLine', { seq: x.seq, type: say(x.type, 40), event: say(x.event, 140), org: say(x.org), key: say(x.key, 400), at: x.installedAt })}`);
  }
  if (list.length > LIST_OPERATOR_SIGNED) lines.push(`  ${m('audit.more', { n: list.length - LIST_OPERATOR_SIGNED })}`);
  return lines;
}

type AuditProblemLine = { seq?: number; check: string; message: string };

/** `audit --json`: one document, clean or not (README "The CLI", "--json"). */
export function auditJson(id: string, r: AuditResult | undefined, problems: AuditProblemLine[], trusted?: { size: number } | null): Record<string, unknown> {
  return {
    clean: problems.length === 0 && r?.ok === true,
    source: id,
    ...(r ? { size: r.size, seconds: Number(r.seconds.toFixed(3)) } : {}),
    ...(r?.resumed ? { replayed: r.replayed, resumedFrom: r.resumed.from } : {}),
    ...(r?.checkpoint ? { checkpoint: { size: r.checkpoint.size, root: r.checkpoint.root } } : {}),
    ...(trusted ? { consistentWith: trusted.size } : {}),
    problems: problems.map((p) => ({ ...(p.seq !== undefined ? { seq: p.seq } : {}), check: p.check, message: p.message })),
    operatorSigned: r?.operatorSigned ?? [],
    ...(r?.witnesses ? { witnesses: { ok: r.witnesses.ok, quorum: r.witnesses.quorum, cosigners: r.witnesses.cosigners.map((c) => c.name) } } : {}),
    ...(r?.batchFiles ? { batchFiles: { batches: r.batchFiles.batches, checked: r.batchFiles.checked, gifts: r.batchFiles.gifts, missing: r.batchFiles.missing.slice(0, 100) } } : {}),
  };
}

/** Problems found: `PROBLEM[ at seq N]: <check>: <message>` lines and a summary, or the --json document; exit 1. */
function problemsFound(o: AuditCliOptions, out: (l: string) => void, id: string, problems: AuditProblemLine[], summary: string, r?: AuditResult): 1 {
  if (o.json) {
    out(jsonText(auditJson(id, r, problems)));
    return 1;
  }
  for (const p of problems) out(`PROBLEM${p.seq !== undefined ? ` ${m('where.atSeq', { seq: p.seq })}` : ''}: ${say(p.check, 40)}: ${say(p.message, 600)}`);
  out(summary);
  return 1;
}

/** Runs the audit and returns the exit code (0 clean, 1 problem, 2 usage/network). */
export async function auditCommand(o: AuditCliOptions, rawOut = console.log, rawErr = console.error): Promise<number> {
  const out = (l: string) => rawOut(safeLines(l));
  const err = (l: string) => rawErr(safeLines(l));
  if ([o.server, o.data ?? o.store, o.tiles].filter((x) => x !== undefined).length !== 1) {
    err(m('audit.oneSource'));
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
  let store: LogStore | undefined;
  let decision;
  if (o.server || o.tiles) {
    let client: LedgerClient;
    const flag = o.tiles ? '--tiles' : '--server';
    try {
      client = new LedgerClient((o.tiles ?? o.server)!);
    } catch {
      err(`cotc audit: ${m('common.notUrl', { option: flag, value: JSON.stringify(o.tiles ?? o.server) })}`);
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
        parseVerifierKey(key as string, '/v1/log key');
      } catch (e) {
        err(`cotc audit: ${say((e as Error).message, 500)}`);
        return 1;
      }
      decision = decideTrust(state, id, undefined, key as string);
      if (decision.kind === 'trusted' && decision.source === 'tofu' && !o.json) out(m('audit.tofu', { server: say(id), key: say(key, 400) }));
    }
  } else {
    const dir = o.data === undefined ? undefined : path.resolve(o.data);
    const spec = o.store ?? path.join(dir!, 'store');
    // What the state file and the messages call this store: never a password (describeStore).
    const where = o.store === undefined ? dir! : describeStore(o.store);
    try {
      id = o.store === undefined ? 'file://' + dir : storeIdentity(o.store);
    } catch (e) {
      err(`cotc audit: --store: ${(e as Error).message}`);
      return 2;
    }
    if (o.store === undefined && !fs.existsSync(spec)) {
      err(m('audit.noStore', { dir: dir!, store: spec }));
      return 2;
    }
    let logKey = o.logKey;
    if (dir !== undefined) {
      try {
        logKey ??= parseSignerKey(readKeyFile(path.join(dir, 'log.key'))).verifierKey;
      } catch (e) {
        err(`cotc audit: ${m('file.cannotRead', { option: '--data', file: path.join(dir, 'log.key'), reason: (e as Error).message })}`);
        return 2;
      }
    }
    decision = decideTrust(state, id, logKey);
    if (decision.kind === 'ask-server') {
      // A store carries no verifier key (a checkpoint names only its hash): it must be given.
      err(m('audit.storeNoKey', { id: say(id) }));
      return 2;
    }
    try {
      store = await openStore(spec, { verifyFiles: true });
    } catch (e) {
      if (!(e instanceof StoreSpecError)) throw e;
      err(`cotc audit: --store: ${e.message}`);
      return 2;
    }
    try {
      src = await storeSource(store);
    } catch (e) {
      await store.close().catch(() => {});
      if (e instanceof StoreCorruptError) {
        // The store fails its own checks: a finding of the audit, naming the file and the check.
        return problemsFound(o, out, id, [{ check: 'store', message: (e as Error).message }], m('audit.storeFails', { where }));
      }
      if (isLockError(e)) {
        err(m('audit.locked', { dir: where, reason: (e as Error).message }));
        return 2;
      }
      err(m('audit.cannotOpen', { dir: where, reason: (e as Error).message }));
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
          ? m('trust.wasLog', { origin: say(decision.rememberedOrigin), key: say(decision.remembered, 400) })
          : m('trust.wasServer', { server: say(id), origin: say(decision.rememberedOrigin), key: say(decision.remembered, 400) });
      err(m('audit.conflict', { id: say(id), key: say(decision.offered, 400), was, state: statePath }));
      await store?.close();
      return 1;
    }
    logKey = decision.offered;
    trusted = null;
    err(m('audit.replacing', { key: say(logKey, 400), old: say(decision.remembered, 400) }));
  } else {
    logKey = decision.logKey;
    trusted = decision.checkpoint;
  }

  // Gift batch files (src/audit/batches.ts): --batches DIR, else the data directory's own.
  let batchFiles: string | undefined;
  if (o.batches !== undefined) {
    batchFiles = path.resolve(o.batches);
    if (!fs.existsSync(path.join(batchFiles, 'batches'))) {
      err(`cotc audit: ${m('audit.noBatchDir', { dir: batchFiles })}`);
      return 2;
    }
  } else if (o.data !== undefined) batchFiles = path.resolve(o.data);
  const progress = o.json ? null : entriesProgress(err);
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
        pageSize: o.data || o.store ? 4000 : 1000,
        ...(batchFiles !== undefined ? { batchFiles } : {}),
        onNote: (l) => {
          progress?.stop();
          // With --json, stdout holds only the document.
          (o.json ? err : out)(l);
        },
        onProgress: (done, total) => progress?.update(done, total),
      });
    } catch (e) {
      progress?.stop();
      if (e instanceof StoreCorruptError) {
        return problemsFound(o, out, id, [{ seq: e.seq, check: 'store', message: e.message }], m('audit.storeFails', { where: say(id) }));
      }
      if (e instanceof SourceAnswerError) {
        return problemsFound(o, out, id, [{ seq: e.seq, check: 'answer', message: e.message }], m('audit.wrongAnswer', { id: say(id) }));
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
    progress?.stop();
    const byOperator = operatorSignedLines(r);
    if (!r.ok) {
      if (!o.json) for (const l of byOperator) out(l);
      return problemsFound(o, out, id, r.problems, m('audit.problems', { n: r.problems.length, id: say(id) }), r);
    }
    if (o.json) {
      out(jsonText(auditJson(id, r, [], trusted)));
    } else {
      for (const l of byOperator) out(l);
      const extra = [
        trusted ? m('audit.consistent', { size: trusted.size }) : '',
        r.operatorSigned.length ? m('audit.operatorCount', { n: r.operatorSigned.length }) : '',
        r.witnesses ? `; ${witnessedWords(r.witnesses)}` : '',
        r.batchFiles && r.batchFiles.batches > 0 ? m('audit.batchFiles', { checked: r.batchFiles.checked, batches: r.batchFiles.batches, gifts: r.batchFiles.gifts }) : '',
        r.batchFiles && r.batchFiles.missing.length > 0 ? m('audit.batchMissing', { n: r.batchFiles.missing.length }) : '',
      ].join('');
      const what = r.resumed
        ? m(r.resumed.verified ? 'audit.resumedVerified' : 'audit.resumed', { n: r.replayed, seconds: r.seconds.toFixed(1), from: r.resumed.from, at: r.resumed.verified?.at ?? '' })
        : m('audit.replayed', { size: r.size, seconds: r.seconds.toFixed(1) });
      out(m('audit.clean', { what, cp: r.checkpoint!.size, root: r.checkpoint!.root, extra }));
    }
    state = rememberCheckpoint(acceptLog(state, id, logKey), id, logKey, r.checkpoint!);
    saveState(statePath, state);
    return 0;
  } finally {
    progress?.stop();
    await store?.close();
  }
}
