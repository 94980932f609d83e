// `cotc verify <donation-id> --server URL [--log-key KEY] [--receipt SECRET] [--state FILE]`
// (DESIGN.md "The CLI"): fetches the donation's trace (every page of it), verifies
// everything offline with @cotc/verify against the log key, checks the checkpoint is
// consistent with the last one seen of this log, prints the path as a tree, and remembers
// the new checkpoint.
//
// Which key: the one given (--log-key), else the one remembered for this server, else the
// server's own (GET /v1/log), trusted on first use. Trust is by the log's identity, its
// origin (the key's name), not by URL (src/client/logtrust.ts): two URLs of one log share
// the remembered checkpoint. A key that differs from the one remembered for its log (or
// for this server) is refused, naming both keys, unless --replace-log-key says to replace
// it (issue 9, "trust on first use").
//
// Exit 0 verified; 1 verification failed, including "not in the log" and any answer the
// server refuses to give about the donation (a 4xx/5xx error, e.g. trace_too_large); 2
// usage or network error (also 429/503: try again later). Everything printed that came
// from the server goes through safeText (issue 9, "terminal escapes").
import { consistencyFromTiles, hex, parseVerifierKey } from '@cotc/tlog';
import { fetchTraceBundle, formatTraceTree, isProblem, verifyBundle, VerifyError, type VerifyResult } from '@cotc/verify';
import { ClientError, type LedgerClient } from '../client/client.ts';
import { httpTileGetter } from '../client/tiles.ts';
import { acceptLog, decideTrust, rememberCheckpoint, type TrustDecision } from '../client/logtrust.ts';
import { client, formatAmount, needId, say, usage, type Io } from './common.ts';
import { loadState, saveState, StateFileError } from './statefile.ts';
import { witnessPolicyFromFlags, witnessedWords } from '../witness/cli-policy.ts';

export interface VerifyCliOptions {
  server: string;
  logKey?: string;
  receipt?: string;
  state: string;
  /** Replace the key remembered for this log (or server) by --log-key or the server's key: an explicit choice. */
  replaceLogKey?: boolean;
  /** Witness policy (src/witness/cli-policy.ts): --witness VKEY… with --quorum K, or --witness-policy FILE. */
  witness?: string[];
  quorum?: string;
  witnessPolicy?: string;
}

function netError(e: unknown): never {
  if (e instanceof ClientError) throw usage(`--server: ${e.message}`);
  throw e;
}

/** Statuses that say "not now" rather than "no": the request may succeed later. */
const TRY_LATER = new Set([408, 429, 502, 503, 504]);

/**
 * The whole trace bundle: every page followed and merged into one by @cotc/verify's
 * fetchTraceBundle (a big trace is served in pages against one checkpoint), or the
 * Problem (bad_pages, malformed_bundle) when the pages do not make one bundle.
 */
async function fetchBundle(c: LedgerClient, id: string): Promise<unknown> {
  return fetchTraceBundle(
    (url) => {
      if (!url.startsWith(c.base + '/')) throw new Error(`fetchTraceBundle asked for ${url}, outside ${c.base}`);
      return c.get(url.slice(c.base.length));
    },
    c.base,
    id,
  );
}

function conflictMessage(d: Extract<TrustDecision, { kind: 'conflict' }>, server: string, state: string): string {
  const given = d.by === 'pinned' ? `--log-key gives ${d.offered}` : `${say(server)} now gives the log key ${say(d.offered, 400)}`;
  const was =
    d.rememberedOrigin === d.offeredOrigin
      ? `the key remembered for log ${say(d.rememberedOrigin)} is ${say(d.remembered, 400)}`
      : `${say(server)} was remembered serving log ${say(d.rememberedOrigin)} with key ${say(d.remembered, 400)}`;
  return (
    `cotc verify: ${given}, but ${was} (in ${state}): refusing. A log does not change its key: ` +
    'another key is another log, or an impostor. If you know the log changed its key, pass --replace-log-key ' +
    '(the new key is then trusted and the checkpoint remembered under the old one is forgotten).'
  );
}

export async function verifyCommand(donationId: string, o: VerifyCliOptions, io: Io): Promise<number> {
  const id = needId(donationId, '<donation-id>');
  const c = client(o.server);
  if (o.logKey !== undefined) {
    try {
      parseVerifierKey(o.logKey, '--log-key');
    } catch (e) {
      throw usage((e as Error).message);
    }
  }
  if (o.receipt === '') throw usage('--receipt: must not be empty');
  if (o.state === '') throw usage('--state: must not be empty');
  let state;
  try {
    state = loadState(o.state);
  } catch (e) {
    if (e instanceof StateFileError) throw usage(`--state: ${e.message}`);
    throw e;
  }
  const serverId = c.base;

  let decision = decideTrust(state, serverId, o.logKey);
  if (decision.kind === 'ask-server') {
    let info: { key?: unknown };
    try {
      info = await c.get<{ key?: unknown }>('/v1/log');
    } catch (e) {
      netError(e);
    }
    if (typeof info?.key !== 'string') throw usage(`--server: ${say(serverId)}/v1/log gives no log key`);
    try {
      parseVerifierKey(info.key, `${serverId}/v1/log key`);
    } catch (e) {
      io.err(`cotc verify: ${say((e as Error).message, 500)}`);
      return 1;
    }
    decision = decideTrust(state, serverId, undefined, info.key);
  }
  if (decision.kind === 'ask-server') throw new Error('decideTrust asked for the server key twice');
  let logKey: string;
  let trusted: { size: number; root: string; text: string } | null;
  if (decision.kind === 'conflict') {
    if (!o.replaceLogKey) {
      io.err(conflictMessage(decision, serverId, o.state));
      return 1;
    }
    logKey = decision.offered;
    trusted = null;
    io.err(`cotc verify: --replace-log-key: trusting ${say(logKey, 400)} for log ${say(decision.offeredOrigin)} instead of ${say(decision.remembered, 400)}; the checkpoint remembered under the old key is forgotten (saved in ${o.state} once this verifies)`);
  } else {
    logKey = decision.logKey;
    trusted = decision.checkpoint;
    if (decision.source === 'tofu') {
      io.err(`cotc verify: trusting ${say(serverId)}'s log key on first use: ${say(logKey, 400)} (remembered in ${o.state}; pass --log-key to pin one)`);
    } else if (decision.source === 'remembered' && trusted && !state.servers[serverId]) {
      io.err(`cotc verify: ${say(serverId)} serves log ${say(decision.origin)}, known from another address: checking it against the checkpoint of ${trusted.size} entries seen there`);
    }
  }

  let bundle: unknown;
  try {
    bundle = await fetchBundle(c, id);
  } catch (e) {
    if (e instanceof ClientError && e.status === 404) {
      io.out(`FAILED: not_in_log: donation ${id} is not in the log at ${say(serverId)}`);
      return 1;
    }
    if (e instanceof ClientError && e.code === 'bad_response' && e.status === 200) {
      io.out(`FAILED: malformed_bundle: the server's answer is not JSON`);
      return 1;
    }
    // An answer the server refuses to give about this donation (4xx/5xx with an error
    // document, e.g. 422 trace_too_large): a verification failure with the server's reason,
    // not a usage or network error. "Not now" answers (429, 503…) stay exit 2.
    if (e instanceof ClientError && e.status !== undefined && e.code !== 'bad_response' && !TRY_LATER.has(e.status)) {
      io.out(`FAILED: ${say(e.code, 64)}: the server refuses to give the trace of donation ${id}: ${e.status} ${say(e.serverMessage ?? '', 500)}`.trimEnd());
      return 1;
    }
    netError(e);
  }

  if (isProblem(bundle)) {
    io.out(`FAILED: ${say(bundle.code, 64)}: ${say(bundle.message, 600)}`);
    return 1;
  }

  let unreachable: ClientError | undefined;
  const consistency = async (from: number, to: number): Promise<string[]> => {
    const p = await c.get<{ from?: unknown; to?: unknown; hashes?: unknown }>(`/v1/proofs/consistency?from=${from}&to=${to}`).catch(async (e) => {
      if (e instanceof ClientError && e.code === 'network' && e.status === undefined) unreachable = e;
      // A static mirror (`cotc mirror`) has no proof endpoint: compute the proof from its
      // C2SP tlog-tiles; verifyBundle checks it against both roots as any proof.
      if (e instanceof ClientError && e.status === 404) return { from, to, hashes: (await consistencyFromTiles(httpTileGetter(c.base), from, to)).map(hex) };
      throw e;
    });
    if (p?.from !== from || p?.to !== to || !Array.isArray(p.hashes)) throw new Error(`consistency proof ${from}→${to}: malformed answer`);
    return p.hashes as string[];
  };
  let r: VerifyResult;
  try {
    const policy = witnessPolicyFromFlags(o);
    r = await verifyBundle(bundle as never, {
      logKey,
      ...(policy ? { witnessKeys: policy.witnesses, witnessQuorum: policy.quorum } : {}),
      donation: id,
      receiptSecret: o.receipt,
      trusted,
      consistency,
    });
  } catch (e) {
    if (e instanceof VerifyError) throw usage(`${e.code === 'bad_log_key' ? '--log-key' : 'verify'}: ${say(e.message, 500)}`);
    throw e;
  }

  // The server went away between the trace and the consistency proof: a network error, not a failed check.
  if (unreachable && r.problems.length > 0 && r.problems.every((p) => p.code === 'consistency_unavailable')) netError(unreachable);

  let tree = '';
  try {
    tree = formatTraceTree(r, bundle as never);
  } catch (e) {
    io.err(`cotc verify: cannot draw the path: ${say((e as Error).message, 500)}`);
  }
  if (tree) io.out(tree.replace(/\n$/, ''));

  const problems = [...r.problems];
  if (o.receipt !== undefined && r.receipt !== 'matched' && !problems.some((p) => p.code === 'receipt_mismatch')) {
    problems.push({ code: 'receipt_mismatch', message: `the receipt secret does not open donation ${id}'s donor commitment` });
  }
  if (!r.ok || problems.length > 0) {
    for (const p of problems) {
      const where = [p.index !== undefined ? `seq ${say(p.index, 24)}` : '', p.event !== undefined ? `event ${say(p.event, 140)}` : ''].filter(Boolean).join(', ');
      io.out(`FAILED: ${say(p.code, 64)}: ${say(p.message, 600)}${where ? ` (${where})` : ''}`);
    }
    if (problems.length === 0) io.out('FAILED: the bundle did not verify');
    return 1;
  }

  const cp = r.checkpoint!;
  const d = r.donation;
  const byOperator = operatorSignedLine(r);
  if (byOperator) io.out(byOperator);
  const parts = [
    `donation ${id}${d ? ` of ${formatAmount(d.amount)} into ${say(d.fund)}` : ''}`,
    `${r.nodes.length} event${r.nodes.length === 1 ? '' : 's'} on its path proven in checkpoint ${cp.size} of ${say(cp.origin)} (root ${say(cp.root, 80)}), signed by ${say(logKey, 400)}`,
  ];
  if (o.receipt !== undefined) parts.push('receipt matched: the donation is yours');
  if (trusted) parts.push(`consistent with checkpoint ${trusted.size} seen before`);
  if (r.witnesses) parts.push(witnessedWords(r.witnesses));
  const opCount = r.operatorSigned?.length ?? 0;
  if (opCount > 0) parts.push(`${opCount} signed with a key the log operator installed (see above)`);
  io.out(`VERIFIED: ${parts.join('; ')}`);

  state = rememberCheckpoint(acceptLog(state, serverId, logKey), serverId, logKey, { size: cp.size, root: cp.root, text: (bundle as { checkpoint: string }).checkpoint });
  try {
    saveState(o.state, state);
  } catch (e) {
    io.err(`cotc verify: verified, but cannot save ${o.state}: ${(e as Error).message}`);
    return 2;
  }
  return 0;
}

/**
 * In words, the events of the path signed with a key the log operator installed for the
 * signing org (an org.keys by the operator, not by the org): the operator, not the org, may
 * hold that key (issue 9, "operator-installed keys"). Empty when there are none.
 */
export function operatorSignedLine(r: VerifyResult): string {
  const ids = r.operatorSigned ?? [];
  if (ids.length === 0) return '';
  const byId = new Map(r.nodes.map((n) => [n.event, n]));
  const shown = ids.slice(0, 20).map((e) => {
    const n = byId.get(e);
    return n?.signer ? `${say(e, 140)} (signed as ${say(n.signer.org)})` : say(e, 140);
  });
  const more = ids.length > shown.length ? `, and ${ids.length - shown.length} more` : '';
  return (
    `WARNING: ${ids.length} event${ids.length === 1 ? '' : 's'} signed with a key the log operator installed for the org, not by the org itself: ` +
    `${shown.join(', ')}${more}. The operator, not the org, may hold such a key.`
  );
}
