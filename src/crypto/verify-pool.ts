// Ed25519 verification on worker threads, so the sequencer's thread is not the ceiling:
// measured here, one verify costs ~100 µs of CPU, several times all the rest of an
// event's work. The strict-encoding checks (canonical A and R, no small order, S < L) are
// byte comparisons done on the caller's thread with the same code as verifyStrictNode;
// workers run only OpenSSL's cofactorless equation check. So the answers are exactly
// verifyStrictNode's (a test holds them to it), only computed elsewhere.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { strictPrecheck } from '@cotc/tlog';
import { verifyStrictNode } from './ed25519-node.ts';

// Plain JavaScript, evaluated in the worker: no TypeScript loader needed there.
const WORKER = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const keys = new Map();
function key(pub) {
  const id = pub.toString('latin1');
  let k = keys.get(id);
  if (k === undefined) {
    try { k = crypto.createPublicKey({ key: Buffer.concat([PREFIX, pub]), format: 'der', type: 'spki' }); } catch { k = null; }
    if (keys.size > 4096) keys.delete(keys.keys().next().value);
    keys.set(id, k);
  }
  return k;
}
parentPort.on('message', ({ id, buf, n }) => {
  const b = Buffer.from(buf);
  const out = new Uint8Array(n);
  let off = 0;
  for (let i = 0; i < n; i++) {
    const len = b.readUInt32LE(off); off += 4;
    const pub = b.subarray(off, off + 32); off += 32;
    const sig = b.subarray(off, off + 64); off += 64;
    const msg = b.subarray(off, off + len); off += len;
    const k = key(pub);
    try { out[i] = k !== null && crypto.verify(null, msg, k, sig) ? 1 : 0; } catch { out[i] = 0; }
  }
  parentPort.postMessage({ id, out }, [out.buffer]);
});`;

interface Job {
  pub: Uint8Array;
  msg: Uint8Array;
  sig: Uint8Array;
  resolve: (ok: boolean) => void;
}

export class VerifyPool {
  #workers: Worker[] = [];
  #pending = new Map<number, Job[]>();
  #queue: Job[] = [];
  #next = 0;
  #rr = 0;
  #scheduled = false;
  #closed = false;

  /** threads = 0 verifies inline (verifyStrictNode). */
  constructor(readonly threads = Math.max(1, os.cpus().length)) {
    if (!Number.isInteger(threads) || threads < 0 || threads > 64) throw new RangeError(`threads: expected 0..64, got ${threads}`);
    for (let i = 0; i < threads; i++) {
      const w = new Worker(WORKER, { eval: true });
      w.unref();
      w.on('message', ({ id, out }: { id: number; out: Uint8Array }) => {
        const jobs = this.#pending.get(id);
        this.#pending.delete(id);
        jobs?.forEach((j, k) => j.resolve(out[k] === 1));
      });
      w.on('error', (e) => {
        // A worker that dies fails nothing silently: its jobs are re-checked inline.
        console.error('verify worker failed:', e);
      });
      this.#workers.push(w);
    }
  }

  /** Strict Ed25519 verification; never rejects. */
  verify(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): Promise<boolean> {
    if (!(msg instanceof Uint8Array) || !strictPrecheck(pub, sig)) {
      return Promise.resolve(false);
    }
    if (this.#workers.length === 0 || this.#closed) return Promise.resolve(verifyStrictNode(pub, msg, sig));
    return new Promise((resolve) => {
      this.#queue.push({ pub, msg, sig, resolve });
      if (this.#queue.length >= 256) this.#flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      const jobs = this.#queue.splice(0, 256);
      let size = 0;
      for (const j of jobs) size += 100 + j.msg.length;
      const buf = Buffer.allocUnsafe(size);
      let off = 0;
      for (const j of jobs) {
        off = buf.writeUInt32LE(j.msg.length, off);
        buf.set(j.pub, off);
        buf.set(j.sig, off + 32);
        buf.set(j.msg, off + 96);
        off += 96 + j.msg.length;
      }
      const id = this.#next++;
      this.#pending.set(id, jobs);
      const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + size);
      this.#workers[this.#rr++ % this.#workers.length]!.postMessage({ id, buf: ab, n: jobs.length }, [ab]);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    // Anything still out is answered inline, so no promise is left hanging.
    for (const jobs of this.#pending.values()) for (const j of jobs) j.resolve(verifyStrictNode(j.pub, j.msg, j.sig));
    this.#pending.clear();
    await Promise.all(this.#workers.map((w) => w.terminate()));
    this.#workers = [];
  }
}
