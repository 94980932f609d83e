// A clean stop on Ctrl-C or SIGTERM (issue 12 item 11). Under `pnpm cotc`, tsx runs the
// CLI in a child process. On Ctrl-C the terminal signals the whole process group; tsx's
// parent then waits 30 ms for its child's preflight handler (a hidden SIGINT listener) to
// report the signal, and when none comes it signals the child again and finally SIGKILLs
// it, exiting 130: pnpm's "Command failed". So tsx's listener is never removed (only ours
// are replaced), the first signal starts the close, repeats within a second are echoes,
// and a later one (a person pressing Ctrl-C again on a close that hangs) ends the process
// at once with 130.
//
// A server stopped on request has done what it was asked: it exits 0 once every socket
// and the store are closed, so pnpm prints no failure. A one-shot command (audit, verify,
// demo…) interrupted before it finished exits 130 (128 + SIGINT), the shell's convention.
import { m } from './strings.ts';

const ECHO_MS = 1000;

/** For a server: close on the first SIGINT/SIGTERM, then exit 0 (1 when the close fails). */
export function stopOnSignal(close: () => Promise<void>, err: (line: string) => void = (l) => console.error(l)): void {
  let since = 0;
  const on = (signal: NodeJS.Signals) => {
    if (since !== 0) {
      if (Date.now() - since < ECHO_MS) return;
      err(m('stop.forced'));
      process.exit(130);
    }
    since = Date.now();
    err(m('stop.stopping', { signal }));
    close().then(
      () => {
        err(m('stop.stopped'));
        process.exit(0);
      },
      (e: unknown) => {
        err(m('stop.failed', { reason: (e as Error)?.message ?? String(e) }));
        process.exit(1);
      },
    );
  };
  listen(on);
}

let ours: ((signal: NodeJS.Signals) => void) | null = null;

/** Replaces our signal listener (never tsx's, see above). */
function listen(on: (signal: NodeJS.Signals) => void): void {
  if (ours) {
    process.off('SIGINT', ours);
    process.off('SIGTERM', ours);
  }
  ours = on;
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
}

/** For a one-shot command: Ctrl-C says so and exits 130 (no stack, no pnpm-style failure text of ours). */
export function interruptible(err: (line: string) => void = (l) => console.error(l)): void {
  listen(() => {
    err(m('stop.interrupted'));
    process.exit(130);
  });
}
