// `cotc verify <id> --watch [--interval S]` (issue 12, "Follow a gift"): verifies the
// donation as `verify` does, then polls the log's checkpoint every S seconds; each time the
// log moved, it verifies the whole trace again (with the checkpoint it saw last as the
// trusted one, so the new one must be consistent with it: a fork or a rewrite fails here)
// and, only once that verified, tells what changed on the money's path: the new events,
// then the path and the VERIFIED line. A run that does not verify prints its FAILED lines
// and exits 1; nothing of it is shown as an update. The server unreachable or "not now" is
// said on stderr and tried again at the next poll. Ctrl-C stops watching (exit 0).
//
// Polling, not server-sent events: the same loop works against a static mirror, whose
// `checkpoint` file is all there is to watch.
import type { VerifyResult } from '@cotc/verify';
import { client, say, usage, type Io } from './common.ts';
import { m } from './strings.ts';
import { verifyCommand, type VerifyCliOptions } from './verify.ts';

export interface WatchCliOptions extends VerifyCliOptions {
  /** seconds between two polls of the checkpoint */
  interval?: string;
}

export const DEFAULT_WATCH_INTERVAL_S = 10;

/** The checkpoint the server publishes now (its text), or an Error when it cannot be read. */
async function checkpointText(base: string): Promise<string | Error> {
  try {
    const r = await fetch(`${base}/checkpoint`, { signal: AbortSignal.timeout(60_000) });
    const text = await r.text();
    return r.ok ? text : new Error(`GET /checkpoint: ${r.status}`);
  } catch (e) {
    return e as Error;
  }
}

export async function watchCommand(donationId: string, o: WatchCliOptions, io: Io, sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))): Promise<number> {
  const interval = o.interval === undefined ? DEFAULT_WATCH_INTERVAL_S : Number(o.interval);
  if (o.interval !== undefined && (!/^[0-9]+(\.[0-9]+)?$/.test(o.interval) || interval < 0.1 || interval > 86_400)) {
    throw usage(m('watch.badInterval', { got: o.interval }));
  }
  if (o.document?.length) throw usage(m('watch.noDocument'));
  const base = client(o.server).base;
  let seen = new Set<string>();
  const first = await verifyCommand(donationId, o, io, (r) => (seen = new Set(r.nodes.map((n) => n.event))));
  if (first !== 0) return first;
  let last = await checkpointText(base);
  io.err(m('watch.watching', { id: say(donationId, 140), s: interval }));
  for (;;) {
    await sleep(interval * 1000);
    const now = await checkpointText(base);
    if (now instanceof Error) {
      io.err(m('watch.unreachable', { server: say(base), reason: say(now.message, 300) }));
      continue;
    }
    if (!(last instanceof Error) && now === last) continue;
    // Verify before showing anything: the run's lines are held until it verified.
    const held: Array<[keyof Io, string]> = [];
    const hold: Io = { out: (l) => held.push(['out', l]), err: (l) => held.push(['err', l]) };
    let result: VerifyResult | undefined;
    let code: number;
    try {
      code = await verifyCommand(donationId, o, hold, (r) => (result = r));
    } catch (e) {
      // A usage or network error of one run (exit 2): the server went away; try again.
      io.err(m('watch.unreachable', { server: say(base), reason: say((e as Error).message, 300) }));
      continue;
    }
    if (code !== 0 || !result) {
      for (const [k, l] of held) io[k](l);
      return code === 0 ? 1 : code;
    }
    last = now;
    const added = result.nodes.filter((n) => !seen.has(n.event));
    seen = new Set(result.nodes.map((n) => n.event));
    if (added.length === 0) continue; // the log moved, this donation's money did not
    if (!o.json) {
      // --json: one document per verified run, as the first (JSON lines); no words around them.
      io.out('');
      io.out(m(added.length === 1 ? 'watch.moved1' : 'watch.moved', { n: added.length, time: new Date().toISOString() }));
      for (const n of added) io.out(m('watch.newEvent', { type: n.type, event: say(n.event, 140), seq: n.index }));
    }
    for (const [k, l] of held) io[k](l);
  }
}
