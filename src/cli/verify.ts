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
import { client, formatAmount, jsonText, needId, say, usage, type Io } from './common.ts';
import { needGiftIndex, verifyGiftStep, type GiftStepResult } from './verify-gift.ts';
import { m } from './strings.ts';
import { checkDocuments, documentLines, documentsJson, readDocuments, type DocumentCheck, type DocumentFile } from './documents.ts';
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
  /** print one JSON document (README "The CLI", "--json") instead of the tree and the lines */
  json?: boolean;
  /** issue 15: the id is a gift batch; verify this gift of it (src/cli/verify-gift.ts) */
  gift?: string;
  /** files to check against the proven receipt and evidence hashes of the path (repeatable) */
  document?: string[];
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
  const given = d.by === 'pinned' ? m('trust.givenPinned', { key: d.offered }) : m('trust.givenServer', { server: say(server), key: say(d.offered, 400) });
  const was =
    d.rememberedOrigin === d.offeredOrigin
      ? m('trust.wasLog', { origin: say(d.rememberedOrigin), key: say(d.remembered, 400) })
      : m('trust.wasServer', { server: say(server), origin: say(d.rememberedOrigin), key: say(d.remembered, 400) });
  return m('verify.conflict', { given, was, state });
}

/** `onVerified`: called with the result once the path verified (src/cli/watch.ts compares the paths of two runs). */
export async function verifyCommand(donationId: string, o: VerifyCliOptions, io: Io, onVerified?: (r: VerifyResult) => void): Promise<number> {
  const id = needId(donationId, '<donation-id>');
  const c = client(o.server);
  if (o.logKey !== undefined) {
    try {
      parseVerifierKey(o.logKey, '--log-key');
    } catch (e) {
      throw usage((e as Error).message);
    }
  }
  if (o.receipt === '') throw usage(m('common.empty', { option: '--receipt' }));
  const giftIndex = o.gift !== undefined ? needGiftIndex(o.gift) : undefined;
  if (o.state === '') throw usage(m('common.empty', { option: '--state' }));
  // Read before anything is fetched: a file that cannot be read is a usage error (exit 2).
  const docs = readDocuments(o.document);
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
    if (typeof info?.key !== 'string') throw usage(m('verify.noLogKey', { server: say(serverId) }));
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
    io.err(m('verify.replacing', { key: say(logKey, 400), origin: say(decision.offeredOrigin), old: say(decision.remembered, 400), state: o.state }));
  } else {
    logKey = decision.logKey;
    trusted = decision.checkpoint;
    if (decision.source === 'tofu') {
      io.err(m('verify.tofu', { server: say(serverId), key: say(logKey, 400), state: o.state }));
    } else if (decision.source === 'remembered' && trusted && !state.servers[serverId]) {
      io.err(m('verify.otherAddress', { server: say(serverId), origin: say(decision.origin), size: trusted.size }));
    }
  }

  let bundle: unknown;
  try {
    bundle = await fetchBundle(c, id);
  } catch (e) {
    if (e instanceof ClientError && e.status === 404) {
      return failed(io, o, id, [{ code: 'not_in_log', message: m('verify.notInLog', { id, server: serverId }) }]);
    }
    if (e instanceof ClientError && e.code === 'bad_response' && e.status === 200) {
      return failed(io, o, id, [{ code: 'malformed_bundle', message: m('verify.notJson') }]);
    }
    // An answer the server refuses to give about this donation (4xx/5xx with an error
    // document, e.g. 422 trace_too_large): a verification failure with the server's reason,
    // not a usage or network error. "Not now" answers (429, 503…) stay exit 2.
    if (e instanceof ClientError && e.status !== undefined && e.code !== 'bad_response' && !TRY_LATER.has(e.status)) {
      return failed(io, o, id, [{ code: e.code, message: m('verify.refused', { id, status: e.status, message: e.serverMessage ?? '' }).trimEnd() }]);
    }
    netError(e);
  }

  if (isProblem(bundle)) {
    return failed(io, o, id, [{ code: bundle.code, message: bundle.message }]);
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
      receiptSecret: giftIndex === undefined ? o.receipt : undefined,
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
    io.err(m('verify.noTree', { reason: say((e as Error).message, 500) }));
  }
  if (tree && !o.json) io.out(tree.replace(/\n$/, ''));

  const problems: LineProblem[] = [...r.problems];
  let gift: GiftStepResult | undefined;
  if (giftIndex !== undefined && r.ok && problems.length === 0) {
    gift = await verifyGiftStep(c, id, giftIndex, o.receipt, bundle, io, o.json === true);
    if (!gift.ok) {
      if (o.json) io.out(jsonText({ ...resultJson(id, r, gift.problems, logKey, trusted), receipt: gift.receipt, gift: gift.json }));
      return 1;
    }
  }
  if (o.receipt !== undefined && giftIndex === undefined && r.receipt !== 'matched' && !problems.some((p) => p.code === 'receipt_mismatch')) {
    problems.push({ code: 'receipt_mismatch', message: m('verify.receiptMismatch', { id }) });
  }
  if (!r.ok || problems.length > 0) {
    if (problems.length === 0) problems.push({ code: 'not_verified', message: m('verify.didNotVerify') });
    // A wrong receipt on a verified path is its own calm state (issue 12 item 1): the
    // path is proven, only the secret is not this donation's. Still exit 1.
    const onlyReceipt = problems.every((p) => p.code === 'receipt_mismatch');
    return failed(io, o, id, problems, r, onlyReceipt, docs);
  }

  onVerified?.(r);
  const cp = r.checkpoint!;
  const d = r.donation;
  state = rememberCheckpoint(acceptLog(state, serverId, logKey), serverId, logKey, { size: cp.size, root: cp.root, text: (bundle as { checkpoint: string }).checkpoint });
  let saveProblem: string | undefined;
  try {
    saveState(o.state, state);
  } catch (e) {
    saveProblem = m('verify.cannotSave', { state: o.state, reason: (e as Error).message });
  }
  const checks = checkDocuments(docs, r, true);
  if (o.json) {
    io.out(jsonText({ ...resultJson(id, r, problems, logKey, trusted), ...(gift ? { receipt: gift.receipt, gift: gift.json } : {}), ...(docs.length ? { documents: documentsJson(checks) } : {}) }));
  } else {
    const byOperator = operatorSignedLine(r);
    if (byOperator) io.out(byOperator);
    const parts = [
      d ? m('verified.donationOf', { id, amount: formatAmount(d.amount), fund: say(d.fund) }) : m('verified.donation', { id }),
      m(r.nodes.length === 1 ? 'verified.events1' : 'verified.events', { n: r.nodes.length, size: cp.size, origin: say(cp.origin), root: say(cp.root, 80), key: say(logKey, 400) }),
    ];
    if (o.receipt !== undefined && giftIndex === undefined) parts.push(m('verified.receipt'));
    if (trusted) parts.push(m('verified.consistent', { size: trusted.size }));
    if (r.witnesses) parts.push(witnessedWords(r.witnesses));
    const opCount = r.operatorSigned?.length ?? 0;
    if (opCount > 0) parts.push(m('verified.operator', { n: opCount }));
    io.out(`VERIFIED: ${parts.join(m('list.sep'))}`);
    for (const l of documentLines(checks, r)) io.out(l);
  }
  if (saveProblem) {
    io.err(saveProblem);
    return 2;
  }
  // A document that is none of the proven ones: the path is verified, the document is not.
  return checks.every((c) => c.matches.length > 0) ? 0 : 1;
}

type LineProblem = { code: string; message: string; index?: number; event?: string };

/** `verify --json`: one document, the same fields verified or not (README "The CLI", "--json"). */
export function resultJson(id: string, r: VerifyResult | undefined, problems: LineProblem[], logKey?: string, trusted?: { size: number } | null): Record<string, unknown> {
  return {
    verified: problems.length === 0 && r?.ok === true,
    donation: id,
    ...(r?.donation ? { amount: r.donation.amount, fund: r.donation.fund } : {}),
    receipt: problems.some((p) => p.code === 'receipt_mismatch') ? 'mismatch' : (r?.receipt ?? 'not_given'),
    ...(r?.checkpoint ? { checkpoint: { origin: r.checkpoint.origin, size: r.checkpoint.size, root: r.checkpoint.root } } : {}),
    ...(logKey ? { logKey } : {}),
    ...(trusted ? { consistentWith: trusted.size } : {}),
    events: r?.nodes.length ?? 0,
    problems: problems.map((p) => ({ code: p.code, message: p.message, ...(p.index !== undefined ? { index: p.index } : {}), ...(p.event !== undefined ? { event: p.event } : {}) })),
    operatorSigned: r?.operatorSigned ?? [],
    ...(r?.witnesses ? { witnesses: { ok: r.witnesses.ok, quorum: r.witnesses.quorum, cosigners: r.witnesses.cosigners.map((c) => c.name) } } : {}),
  };
}

/**
 * A failed verification: `FAILED: <code>: <message>` lines (the code stable, the message
 * in the CLI's language where the CLI wrote it, the verifier's English otherwise), or the
 * --json document; exit 1. `calm`: only the receipt is wrong on a verified path.
 */
function failed(io: Io, o: VerifyCliOptions, id: string, problems: LineProblem[], r?: VerifyResult, calm = false, docs: DocumentFile[] = []): number {
  // A wrong receipt does not make the path's hashes less proven; any other problem does.
  const checks: DocumentCheck[] = checkDocuments(docs, r, calm);
  if (o.json) {
    io.out(jsonText({ ...resultJson(id, r, problems), ...(docs.length ? { documents: documentsJson(checks) } : {}) }));
    return 1;
  }
  if (calm) io.out(m('verify.calmMismatch', { id }));
  for (const p of problems) {
    const where = [p.index !== undefined ? m('where.seq', { seq: say(p.index, 24) }) : '', p.event !== undefined ? m('where.event', { event: say(p.event, 140) }) : ''].filter(Boolean).join(', ');
    io.out(`FAILED: ${say(p.code, 64)}: ${say(p.message, 600)}${where ? ` (${where})` : ''}`);
  }
  for (const l of documentLines(checks, r)) io.out(l);
  return 1;
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
    return n?.signer ? m('operator.signedAs', { event: say(e, 140), org: say(n.signer.org) }) : say(e, 140);
  });
  const more = ids.length > shown.length ? m('operator.more', { n: ids.length - shown.length }) : '';
  return `WARNING: ${m(ids.length === 1 ? 'operator.warning1' : 'operator.warning', { n: ids.length, list: shown.join(', '), more })}`;
}
