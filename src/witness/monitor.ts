// `cotc audit --server URL --follow [--witness-key FILE]`: an auditor that keeps following
// a log, replaying every new entry (every hash, signature, state change and effects list,
// as `audit`), and, given a witness key, a witness that cosigns only what it has replayed.
//
// How its cosignature reaches donors (kept simple): the monitor is an ordinary C2SP
// tlog-witness v1.0.0 server (POST /add-checkpoint, GET /v1/witness), so the log operator
// lists it like any witness, `serve --witness http://monitor:7381=VKEY`. Before the usual
// witness checks it replays the log up to the submitted size and requires the replayed
// root to be the checkpoint's: a checkpoint it has not fully replayed is never cosigned
// (503 + Retry-After while it catches up; 422 when the replay disagrees: the log lied).
// Between submissions it follows GET /checkpoint every --interval seconds, so it finds a
// fork or a rewrite even when the log stops asking it.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { fromBase64, base64, hex, openNote, parseCheckpoint, fromUtf8 } from '@cotc/tlog';
import { Replayer } from '@cotc/ledger';
import { verifyStrictNode } from '../crypto/ed25519-node.ts';
import { LedgerClient } from '../client/client.ts';
import { MAX_HEADER_BYTES, SERVER_TIMEOUTS } from '../http/limits.ts';
import { RateLimiter } from '../http/ratelimit.ts';
import { securityHeaders } from '../http/app.ts';
import { sendError } from '../http/errors.ts';
import { MAX_ADD_CHECKPOINT_BYTES, Witness, type WitnessAnswer } from './witness.ts';
import { m } from '../cli/strings.ts';

const PAGE = 1000;

export interface MonitorOptions {
  server: string;
  logKey: string;
  /** a witness to cosign with (null: follow and check only) */
  witness?: Witness | null;
  out?: (line: string) => void;
}

export class Monitor {
  readonly client: LedgerClient;
  readonly logKey: string;
  readonly witness: Witness | null;
  readonly #rp = new Replayer({ verify: verifyStrictNode });
  /** base64 roots at the sizes the replay stopped at */
  readonly #roots = new Map<number, string>();
  #chain: Promise<unknown> = Promise.resolve();
  #out: (line: string) => void;
  /** the first problem found; from then on nothing is cosigned */
  problem: string | null = null;

  constructor(o: MonitorOptions) {
    this.client = new LedgerClient(o.server);
    this.logKey = o.logKey;
    this.witness = o.witness ?? null;
    this.#out = o.out ?? (() => {});
  }

  get size(): number {
    return this.#rp.size;
  }

  /** Replays up to `size` (serialised: one replay at a time); the base64 root there. */
  replayTo(size: number): Promise<string> {
    const run = this.#chain.then(async () => {
      if (this.problem) throw new Error(this.problem);
      const known = this.#roots.get(size);
      if (known !== undefined) return known;
      if (size < this.#rp.size) throw new Error(`size ${size} is below what was replayed (${this.#rp.size}) and was never a stopping point`);
      while (this.#rp.size < size) {
        const start = this.#rp.size;
        const got = await this.client.get<{ entries: Array<{ index: number; data: string }> }>(`/v1/entries?start=${start}&limit=${Math.min(PAGE, size - start)}`);
        const list = got?.entries;
        if (!Array.isArray(list) || list.length === 0) throw new Error(`the log gave no entry ${start} (want ${size})`);
        for (const [i, e] of list.entries()) {
          if (e?.index !== start + i || typeof e.data !== 'string') {
            this.problem = `entry ${start + i}: the log answered another index or no data`;
            throw new Error(this.problem);
          }
          if (this.#rp.size >= size) break;
          const p = this.#rp.push(fromBase64(e.data, `entry ${start + i}`));
          if (p) {
            this.problem = `seq ${p.seq}: ${p.check}: ${p.message}`;
            throw new Error(this.problem);
          }
        }
      }
      const root = base64(this.#rp.root());
      this.#roots.set(size, root);
      if (this.#roots.size > 4096) this.#roots.delete(this.#roots.keys().next().value!);
      return root;
    });
    this.#chain = run.catch(() => {});
    return run;
  }

  /** One follow step: the log's current checkpoint, replayed and checked. */
  async check(): Promise<{ size: number; root: string }> {
    const note = await this.client.getText('/checkpoint');
    let cp;
    try {
      cp = parseCheckpoint(openNote(note, [this.logKey]).text);
    } catch (e) {
      throw new Error(`the checkpoint does not verify with the log key: ${(e as Error).message}`);
    }
    if (cp.size < this.#rp.size && !this.#roots.has(cp.size)) {
      this.problem = `rollback: the log shows size ${cp.size}, below the ${this.#rp.size} replayed`;
      throw new Error(this.problem);
    }
    const root = await this.replayTo(cp.size);
    if (root !== base64(cp.root)) {
      this.problem = `the replayed root at size ${cp.size} is ${hex(fromBase64(root))}, the checkpoint says ${hex(cp.root)}: the log forked or was rewritten`;
      throw new Error(this.problem);
    }
    return { size: cp.size, root };
  }

  /** add-checkpoint, gated on the replay (see the file comment). */
  async addCheckpoint(raw: Uint8Array): Promise<WitnessAnswer & { retryAfter?: number }> {
    if (!this.witness) throw new Error('no witness key');
    let size: number;
    let root: string;
    try {
      const body = fromUtf8(raw);
      const note = body.slice(body.indexOf('\n\n') + 2);
      const lines = note.split('\n');
      if (!/^(0|[1-9][0-9]{0,15})$/.test(lines[1] ?? '')) throw new Error('size');
      size = Number(lines[1]);
      root = lines[2] ?? '';
    } catch {
      return this.witness.addCheckpoint(raw); // malformed: the witness answers 400 itself
    }
    let replayed: string;
    try {
      replayed = await Promise.race([
        this.replayTo(size),
        new Promise<never>((_, rej) => setTimeout(() => rej(new Error('still replaying')), 5000).unref()),
      ]);
    } catch (e) {
      if (this.problem) return err(422, 'replay_failed', `not cosigned: the replay of this log failed: ${this.problem}`);
      return { ...err(503, 'not_replayed', `not cosigned yet: replaying to size ${size} (${(e as Error).message})`), retryAfter: 5 };
    }
    if (replayed !== root) {
      return err(422, 'replay_mismatch', `not cosigned: the replayed root at size ${size} is ${replayed}, not ${root}`);
    }
    return this.witness.addCheckpoint(raw);
  }
}

function err(status: number, code: string, message: string): WitnessAnswer {
  return { status: status as WitnessAnswer['status'], code, message, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ error: { code, message } }) };
}

export interface MonitorCliOptions {
  server?: string;
  logKey?: string;
  witnessKey?: string;
  witnessName?: string;
  interval?: string;
  port?: string;
  host?: string;
}

/** `audit --follow`: runs until a problem is found (exit 1) or it is stopped. */
export async function monitorCommand(o: MonitorCliOptions, out = console.log, errOut = console.error): Promise<number> {
  if (!o.server) {
    errOut(m('monitor.needsServer'));
    return 2;
  }
  const intervalS = Number(o.interval ?? '10');
  if (!(intervalS >= 0.05 && intervalS <= 86_400)) {
    errOut(m('monitor.badInterval', { got: String(o.interval) }));
    return 2;
  }
  let logKey = o.logKey;
  if (!logKey) {
    try {
      logKey = (await new LedgerClient(o.server).get<{ key: string }>('/v1/log')).key;
      out(m('monitor.tofu', { key: String(logKey).slice(0, 300) }));
    } catch (e) {
      errOut(`cotc audit --follow: --server: ${(e as Error).message}`);
      return 2;
    }
  }
  let witness: Witness | null = null;
  let server: http.Server | null = null;
  const m0 = { logKey };
  if (o.witnessKey) {
    const file = path.resolve(o.witnessKey);
    let name = o.witnessName;
    if (!name) {
      if (!fs.existsSync(file)) {
        errOut(m('monitor.noKeyFile'));
        return 2;
      }
      name = fs.readFileSync(file, 'utf8').trim().split('+')[2] ?? '';
    }
    try {
      witness = new Witness({ dir: path.dirname(file), keyFile: file, name, logs: [m0.logKey!] });
    } catch (e) {
      errOut(`cotc audit --follow: --witness-key: ${(e as Error).message}`);
      return 2;
    }
  }
  const mon = new Monitor({ server: o.server, logKey: m0.logKey!, witness, out });
  if (witness) {
    const app = express();
    app.disable('x-powered-by');
    app.use(securityHeaders);
    const limiter = new RateLimiter();
    app.get('/v1/witness', (_req, res) => {
      res.json({ name: witness!.name, key: witness!.verifierKey });
    });
    app.post('/add-checkpoint', (req, res, next) => {
      try {
        limiter.chargeRequest(req, res);
        next();
      } catch (e) {
        next(e);
      }
    }, express.raw({ type: () => true, limit: MAX_ADD_CHECKPOINT_BYTES }), async (req, res) => {
      const a = await mon.addCheckpoint(Buffer.isBuffer(req.body) ? req.body : new Uint8Array(0));
      res.status(a.status);
      res.setHeader('Content-Type', a.contentType);
      if (a.retryAfter) res.setHeader('Retry-After', String(a.retryAfter));
      res.end(Buffer.from(a.body, 'utf8'));
    });
    app.use((req, res) => sendError(res, 404, 'not_found', `no route ${req.method} ${req.path}`));
    app.use((e: { status?: number; type?: string; code?: string; message?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      void _next;
      if (e?.type === 'entity.too.large') return sendError(res, 413, 'too_large', 'body too large');
      if (e?.status === 429) return sendError(res, 429, 'rate_limited', e.message ?? 'rate limited');
      sendError(res, e?.status && e.status < 500 ? e.status : 500, e?.code ?? 'internal', e?.message ?? 'internal error');
    });
    server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, app);
    server.headersTimeout = SERVER_TIMEOUTS.headersMs;
    server.requestTimeout = SERVER_TIMEOUTS.requestMs;
    const port = Number(o.port ?? '7381');
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, o.host ?? '127.0.0.1', () => resolve());
    });
    const a = server.address() as AddressInfo;
    out(m('monitor.cosigning', { name: witness.name, url: `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`, key: witness.verifierKey }));
    out(m('monitor.operatorAdds', { url: `http://${a.address}:${a.port}`, key: witness.verifierKey }));
  }
  const stopAll = async () => {
    if (server) await new Promise<void>((r) => server!.close(() => r()));
    witness?.close();
  };
  let stopped = false;
  process.once('SIGINT', () => (stopped = true));
  process.once('SIGTERM', () => (stopped = true));
  let last = -1;
  try {
    while (!stopped) {
      try {
        const c = await mon.check();
        if (c.size !== last) out(m('monitor.replayed', { size: c.size, root: hex(fromBase64(c.root)) }));
        last = c.size;
      } catch (e) {
        if (mon.problem) {
          out(`PROBLEM: ${mon.problem}`);
          out(m('monitor.problem'));
          return 1;
        }
        errOut(m('monitor.retry', { reason: (e as Error).message }));
      }
      await new Promise((r) => setTimeout(r, intervalS * 1000));
    }
    return 0;
  } finally {
    await stopAll();
  }
}
