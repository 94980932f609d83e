// Progress of a long run on stderr (issue 12 item 11): on a terminal a bar with the rate
// and the time left, computed here so that it never reads "ETA NFs" (cli-progress's
// eta_formatted before its first rate, or at a rate of 0): until a rate is known it says
// so; elsewhere a line at each tenth. The words are the CLI's tables' (src/cli/strings.ts).
import cliProgress from 'cli-progress';
import { m } from './strings.ts';

/** Seconds as the table writes them ("1 h 02 min", "3 min 05 s", "42 s"); null for unknown. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return m('progress.etaUnknown');
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const min = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return m('progress.hMin', { h, min: String(min).padStart(2, '0') });
  if (min > 0) return m('progress.minS', { min, s: String(sec).padStart(2, '0') });
  return m('progress.s', { s: sec });
}

/** Time left at the rate so far; null before any progress. */
export function etaSeconds(done: number, total: number, elapsedSeconds: number): number | null {
  if (done <= 0 || elapsedSeconds <= 0) return null;
  return ((total - done) * elapsedSeconds) / done;
}

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/** A progress display for entries replayed (tty: a bar on `stream`; else `err` lines at each tenth). */
export function entriesProgress(err: (line: string) => void, tty = process.stderr.isTTY === true, stream: NodeJS.WritableStream = process.stderr): Progress {
  const t0 = performance.now();
  let bar: cliProgress.SingleBar | null = null;
  let lastPct = -1;
  const payload = (done: number, total: number) => {
    const elapsed = (performance.now() - t0) / 1000;
    return { speed: Math.round(done / Math.max(0.001, elapsed)), left: formatEta(etaSeconds(done, total, elapsed)) };
  };
  return {
    update(done, total) {
      if (tty) {
        if (!bar) {
          bar = new cliProgress.SingleBar({ format: m('progress.bar'), stream: stream as NodeJS.WriteStream }, cliProgress.Presets.shades_classic);
          bar.start(total, 0, payload(0, total));
        }
        bar.setTotal(total);
        bar.update(done, payload(done, total));
        return;
      }
      const pct = total === 0 ? 100 : Math.floor((done / total) * 10) * 10;
      if (pct !== lastPct) {
        lastPct = pct;
        err(m('progress.line', { done, total, pct, speed: payload(done, total).speed }));
      }
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
