// `cotc verify <donation-id> --server URL [--log-key KEY] [--receipt SECRET] [--state FILE]`
// (DESIGN.md "The CLI"): fetches GET /v1/donations/:id/trace, verifies everything offline
// with @cotc/verify against the log key (given, remembered for this server in the state
// file, or trusted on first use and remembered), checks the checkpoint is consistent with
// the last one seen for this server, prints the path as a tree, and remembers the new
// checkpoint. Exit 0 verified, 1 verification failed (including "not in the log"), 2 usage
// or network error.
import { parseVerifierKey } from '@cotc/tlog';
import { formatTraceTree, verifyBundle, VerifyError } from '@cotc/verify';
import { ClientError } from '../client/client.ts';
import { client, formatAmount, needId, usage, type Io } from './common.ts';
import { loadState, saveState, StateFileError } from './statefile.ts';

export interface VerifyCliOptions {
  server: string;
  logKey?: string;
  receipt?: string;
  state: string;
}

function netError(e: unknown): never {
  if (e instanceof ClientError) throw usage(`--server: ${e.message}`);
  throw e;
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
  const remembered = state.logs[serverId];
  let logKey: string;
  if (o.logKey !== undefined) {
    if (remembered && remembered.logKey !== o.logKey) {
      io.err(`cotc verify: --log-key ${o.logKey} is not the key remembered for ${serverId} in ${o.state} (${remembered.logKey}): refusing. A log does not change its key; if you are sure, use another --state.`);
      return 1;
    }
    logKey = o.logKey;
  } else if (remembered) {
    logKey = remembered.logKey;
  } else {
    let info: { key?: unknown };
    try {
      info = await c.get<{ key?: unknown }>('/v1/log');
    } catch (e) {
      netError(e);
    }
    if (typeof info?.key !== 'string') throw usage(`--server: ${serverId}/v1/log gives no log key`);
    try {
      parseVerifierKey(info.key, `${serverId}/v1/log key`);
    } catch (e) {
      io.err(`cotc verify: ${(e as Error).message}`);
      return 1;
    }
    logKey = info.key;
    io.err(`cotc verify: trusting ${serverId}'s log key on first use: ${logKey} (remembered in ${o.state}; pass --log-key to pin one)`);
  }

  let bundle: unknown;
  try {
    bundle = await c.get(`/v1/donations/${encodeURIComponent(id)}/trace`);
  } catch (e) {
    if (e instanceof ClientError && e.status === 404) {
      io.out(`FAILED: not_in_log: donation ${id} is not in the log at ${serverId}`);
      return 1;
    }
    if (e instanceof ClientError && e.code === 'bad_response' && e.status === 200) {
      io.out(`FAILED: malformed_bundle: the server's answer is not JSON`);
      return 1;
    }
    netError(e);
  }

  let unreachable: ClientError | undefined;
  const consistency = async (from: number, to: number): Promise<string[]> => {
    const p = await c.get<{ from?: unknown; to?: unknown; hashes?: unknown }>(`/v1/proofs/consistency?from=${from}&to=${to}`).catch((e) => {
      if (e instanceof ClientError && e.code === 'network') unreachable = e;
      throw e;
    });
    if (p?.from !== from || p?.to !== to || !Array.isArray(p.hashes)) throw new Error(`consistency proof ${from}→${to}: malformed answer`);
    return p.hashes as string[];
  };
  let r;
  try {
    r = await verifyBundle(bundle as never, {
      logKey,
      donation: id,
      receiptSecret: o.receipt,
      trusted: remembered?.checkpoint ?? null,
      consistency,
    });
  } catch (e) {
    if (e instanceof VerifyError) throw usage(`${e.code === 'bad_log_key' ? '--log-key' : 'verify'}: ${e.message}`);
    throw e;
  }

  // The server went away between the trace and the consistency proof: a network error, not a failed check.
  if (unreachable && r.problems.length > 0 && r.problems.every((p) => p.code === 'consistency_unavailable')) netError(unreachable);

  let tree = '';
  try {
    tree = formatTraceTree(r, bundle as never);
  } catch (e) {
    io.err(`cotc verify: cannot draw the path: ${(e as Error).message}`);
  }
  if (tree) io.out(tree.replace(/\n$/, ''));

  const problems = [...r.problems];
  if (o.receipt !== undefined && r.receipt !== 'matched' && !problems.some((p) => p.code === 'receipt_mismatch')) {
    problems.push({ code: 'receipt_mismatch', message: `the receipt secret does not open donation ${id}'s donor commitment` });
  }
  if (!r.ok || problems.length > 0) {
    for (const p of problems) {
      const where = [p.index !== undefined ? `seq ${p.index}` : '', p.event !== undefined ? `event ${p.event}` : ''].filter(Boolean).join(', ');
      io.out(`FAILED: ${p.code}: ${p.message}${where ? ` (${where})` : ''}`);
    }
    if (problems.length === 0) io.out('FAILED: the bundle did not verify');
    return 1;
  }

  const cp = r.checkpoint!;
  const d = r.donation;
  const parts = [
    `donation ${id}${d ? ` of ${formatAmount(d.amount)} into ${d.fund}` : ''}`,
    `${r.nodes.length} event${r.nodes.length === 1 ? '' : 's'} on its path proven in checkpoint ${cp.size} of ${cp.origin} (root ${cp.root}), signed by ${logKey}`,
  ];
  if (o.receipt !== undefined) parts.push('receipt matched: the donation is yours');
  if (remembered?.checkpoint) parts.push(`consistent with checkpoint ${remembered.checkpoint.size} seen before`);
  io.out(`VERIFIED: ${parts.join('; ')}`);

  state.logs[serverId] = { logKey, checkpoint: { size: cp.size, root: cp.root, text: (bundle as { checkpoint: string }).checkpoint } };
  try {
    saveState(o.state, state);
  } catch (e) {
    io.err(`cotc verify: verified, but cannot save ${o.state}: ${(e as Error).message}`);
    return 2;
  }
  return 0;
}
