// The one-pass entry checks (entry-check.ts) on a worker thread, so that the main thread
// only runs the state machine: pages are sent in log order and checked ahead while the
// main thread judges the page before. One worker, since the checks keep the chain (each
// entry's prev is the leaf hash of the one before). The worker runs the TypeScript of
// entry-check.ts through tsx's loader (a dependency, which runs the CLI itself); when it
// cannot start, the checks run inline, as they would without it.
import { Worker } from 'node:worker_threads';
import type { CheckedEntry } from './entry-check.ts';

const WORKER_URL = new URL('./check-worker.ts', import.meta.url).href;
/** tsx registers its loader per thread: the worker registers it, then loads the module
 * (tsx's API resolved here, so the worker finds it whatever the working directory). */
function boot(): string | null {
  let api: string;
  try {
    api = import.meta.resolve('tsx/esm/api');
  } catch {
    return null;
  }
  return `import(${JSON.stringify(api)}).then((api) => { api.register(); return import(${JSON.stringify(WORKER_URL)}); });`;
}

export class CheckPool {
  readonly #w: Worker;
  #next = 0;
  readonly #pending = new Map<number, { resolve: (r: Array<CheckedEntry | null>) => void; reject: (e: Error) => void }>();
  #error: Error | null = null;

  private constructor(w: Worker) {
    this.#w = w;
    w.on('message', (m: { id?: number; out?: Array<CheckedEntry | null> }) => {
      if (m.id === undefined) return;
      const p = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      p?.resolve(m.out!);
    });
    const fail = (e: Error) => {
      this.#error = e;
      for (const p of this.#pending.values()) p.reject(e);
      this.#pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`the entry-check worker exited (${code})`)));
  }

  /** A worker checking entries from `seq` on, after the entry whose leaf hash is `prev`;
   * null when no worker can be started here. */
  static async start(seq: number, prev: string): Promise<CheckPool | null> {
    const code = boot();
    if (code === null) return null;
    let w: Worker;
    try {
      w = new Worker(code, { eval: true, workerData: { seq, prev } });
    } catch {
      return null;
    }
    const ok = await new Promise<boolean>((resolve) => {
      w.once('message', (m: { ready?: boolean }) => resolve(m?.ready === true));
      w.once('error', () => resolve(false));
      w.once('exit', () => resolve(false));
    });
    if (!ok) {
      await w.terminate().catch(() => {});
      return null;
    }
    return new CheckPool(w);
  }

  /** Checks the next page (the entries after the last page sent). */
  check(page: readonly Uint8Array[]): Promise<Array<CheckedEntry | null>> {
    if (this.#error) return Promise.reject(this.#error);
    let size = 0;
    for (const d of page) size += d.length;
    const buf = new Uint8Array(size);
    const ends = new Uint32Array(page.length);
    let at = 0;
    page.forEach((d, i) => {
      buf.set(d, at);
      at += d.length;
      ends[i] = at;
    });
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#w.postMessage({ id, buf: buf.buffer, ends }, [buf.buffer, ends.buffer]);
    });
  }

  async close(): Promise<void> {
    this.#w.removeAllListeners('exit');
    await this.#w.terminate().catch(() => {});
  }
}
