// `cotc mirror --data DIR [--store URL] --out OUT [--follow] [--interval S]`: writes the
// static mirror (mirror.ts) of the log in DIR's store (or the PostgreSQL store at URL; DIR
// then holds only the key files) under OUT; with --follow, a pass every --interval seconds
// on a freshly opened view of the store (the head other processes committed), until
// SIGINT/SIGTERM. Exit 0 done, 1 a pass failed, 2 usage error. It never writes to the store:
// a store with no log is refused.
import fs from 'node:fs';
import path from 'node:path';
import { openDataDir } from '../log/datadir.ts';
import { LogService } from '../log/service.ts';
import type { LogStore } from '../storage/types.ts';
import { mirrorPass, type Page, type PassResult } from './mirror.ts';

export interface MirrorCommandOptions {
  data: string;
  store?: string;
  out?: string;
  follow?: boolean;
  interval: string;
  page: boolean;
}

export class MirrorUsageError extends Error {}

async function openView(dir: string, storeUrl: string | undefined): Promise<LogService> {
  if (!fs.existsSync(path.join(dir, 'log.key'))) throw new MirrorUsageError(`--data: ${dir} has no log.key (the mirror reads an existing log; it never makes one)`);
  const dd = openDataDir(dir);
  if (!storeUrl && !fs.existsSync(dd.storePath)) throw new MirrorUsageError(`--data: ${dir} holds no store`);
  const { openStore, StoreSpecError } = await import('../storage/open.ts');
  let store: LogStore;
  try {
    store = await openStore(storeUrl ?? dd.storePath);
  } catch (e) {
    if (e instanceof StoreSpecError) throw new MirrorUsageError(`--store: ${e.message}`);
    throw e;
  }
  // No operatorKey: LogService.open refuses an empty store instead of writing entry 0.
  return LogService.open({ store, logKey: dd.logKey });
}

export function describePass(r: PassResult, out: string): string {
  const what = r.size === r.from ? 'no new entries' : `entries ${r.from}..${r.size - 1}: ${r.tiles} tiles, ${r.events} event files, ${r.records} fund/org records, ${r.bundles} trace bundles`;
  return `cotc mirror: ${out} at size ${r.size} (${what}; ${r.files} files, ${(r.bytes / 1024).toFixed(0)} KiB written in ${(r.ms / 1000).toFixed(2)} s)`;
}

export async function mirrorCommand(o: MirrorCommandOptions, io = { out: (s: string) => console.log(s), err: (s: string) => console.error(s) }): Promise<number> {
  if (!o.out) {
    io.err('cotc mirror: --out: required');
    return 2;
  }
  const interval = Number(o.interval);
  if (!Number.isFinite(interval) || interval < 0.1 || interval > 86400) {
    io.err(`cotc mirror: --interval: expected seconds from 0.1 to 86400, got ${o.interval}`);
    return 2;
  }
  let page: Page | undefined;
  if (o.page) {
    const { buildWeb } = await import('../web/build.ts');
    const b = await buildWeb({ mode: 'server' });
    page = { html: b.html, js: b.js, css: b.css, favicon: b.favicon };
  }
  let stop = false;
  let wake: (() => void) | undefined;
  const onSignal = () => {
    stop = true;
    wake?.();
  };
  if (o.follow) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  try {
    do {
      let log: LogService;
      try {
        log = await openView(o.data, o.store);
      } catch (e) {
        if (e instanceof MirrorUsageError) {
          io.err(`cotc mirror: ${e.message}`);
          return 2;
        }
        io.err(`cotc mirror: cannot open the log: ${(e as Error).message}`);
        return o.follow ? 1 : 2;
      }
      try {
        const r = await mirrorPass(log, o.out, { page });
        for (const s of r.skipped) io.err(`cotc mirror: not written: ${s}`);
        io.out(describePass(r, o.out));
      } catch (e) {
        io.err(`cotc mirror: ${(e as Error).message}`);
        return 1;
      } finally {
        await log.close();
      }
      if (o.follow && !stop) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((r) => {
          wake = r;
          timer = setTimeout(r, interval * 1000);
        });
        clearTimeout(timer); // woken by a signal: nothing left to keep the process up
      }
    } while (o.follow && !stop);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
}
