// The worker thread of check-pool.ts: runs the one-pass checks (entry-check.ts fastCheck:
// decode, parse, schema, the event's serialisation, both SHA-256 hashes) over the pages it
// is sent, in order, keeping the chain (seq, prev) from page to page. An entry that does
// not pass is answered null, and so is every entry after it: the main thread names the
// problem (slowCheck) and stops there.
import { parentPort, workerData } from 'node:worker_threads';
import { fastCheck, type CheckedEntry } from './entry-check.ts';

let seq = (workerData as { seq: number; prev: string }).seq;
let prev = (workerData as { seq: number; prev: string }).prev;
let failed = false;

parentPort!.on('message', (m: { id: number; buf: ArrayBuffer; ends: Uint32Array }) => {
  const out: Array<CheckedEntry | null> = [];
  let at = 0;
  for (const end of m.ends) {
    const data = new Uint8Array(m.buf, at, end - at);
    at = end;
    const c = failed ? null : fastCheck(data, seq, prev);
    if (c) prev = c.leafHex;
    else failed = true;
    seq++;
    out.push(c);
  }
  parentPort!.postMessage({ id: m.id, out });
});
parentPort!.postMessage({ ready: true });
