// The log side of witnessing (C2SP tlog-witness v1.0.0, the client of §add-checkpoint).
// The sequencer signs a checkpoint with every batch, as before; the publisher, every
// `intervalMs`, takes the latest committed one, pushes it to each witness with the
// consistency proof from the size that witness last cosigned, gathers the cosignatures
// (tlog-cosignature v1.0.1) until `quorum` have answered or `timeoutMs` passes, and then
// makes the cosigned checkpoint the one every read serves (LogService.setPublished: the
// /checkpoint endpoint, events, trace bundles and their proofs, all against its size).
//
// Never on the write path: posting appends and answers with the sequencer's own checkpoint
// whatever the witnesses do; a witness that is down, slow (timeout) or hostile (a garbage or
// foreign answer is dropped after verification) costs only its own cosignature.
//
// - What it learns of each witness is the size it last cosigned: unknown at first, so the
//   first request says `old 0` and a 409 answers with the size (§add-checkpoint: "a client
//   MAY initially make a request with a old size of zero"); each 409 is retried once.
// - An unchanged checkpoint is re-submitted once its cosignatures are `refreshMs` old, so
//   their timestamps stay fresh (a cosignature/v1 says "as of this time", §Signed message).
// - Without a quorum the previous published checkpoint stays (it is still true, only older)
//   until it is `maxStaleMs` old; after that the newest is published with the cosignatures it
//   has, which clients with a witness policy refuse: the right signal that witnessing broke.
import {
  addSignatureLines, base64, cosignatureVerifier, fromHex, openNoteWith, parseCheckpoint, openNote, NoteError,
  type CosignatureVerifier,
} from '@cotc/tlog';
import type { LogService } from './service.ts';

export interface WitnessEndpoint {
  /** the submission prefix: POST <url>/add-checkpoint */
  url: string;
  /** the witness's cosignature/v1 verifier key */
  key: string;
}

export interface PublisherOptions {
  log: LogService;
  witnesses: WitnessEndpoint[];
  /** cosignatures needed before publishing (default: all witnesses) */
  quorum?: number;
  /** how often to publish, ms (default 10 s) */
  intervalMs?: number;
  /** how long one round waits for witnesses, ms (default the interval, within 2 to 10 s) */
  timeoutMs?: number;
  /** re-submit an unchanged checkpoint when its cosignatures are this old, ms (default 10 × interval, at most 10 min) */
  refreshMs?: number;
  /** publish without a quorum once the published checkpoint is this old, ms (default 30 × interval) */
  maxStaleMs?: number;
  /** how it talks to witnesses (tests) */
  fetch?: typeof fetch;
  now?: () => number;
  /** one line per noteworthy event (a witness refusing, a quorum missed) */
  onEvent?: (e: PublisherEvent) => void;
}

export type PublisherEvent =
  | { type: 'published'; size: number; cosigners: string[]; quorum: boolean }
  | { type: 'witness_error'; witness: string; status?: number; message: string };

/** Parses `URL=VKEY` (serve --witness); the URL must not hold '='. */
export function parseWitnessOption(s: string, param = '--witness'): WitnessEndpoint {
  const i = s.indexOf('=');
  if (i < 0) throw new TypeError(`${param}: expected URL=VKEY (the witness's submission URL and its cosignature verifier key)`);
  const url = s.slice(0, i).replace(/\/+$/, '');
  const key = s.slice(i + 1);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`${param}: ${JSON.stringify(url)} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`${param}: the URL must be http or https`);
  cosignatureVerifier(key, param);
  return { url, key };
}

const MAX_ANSWER_BYTES = 64 * 1024;

async function readCapped(res: Response, max: number): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      await reader.cancel().catch(() => {});
      throw new Error(`answer over ${max} bytes`);
    }
    chunks.push(value);
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
}

interface WitnessState {
  ep: WitnessEndpoint;
  verifier: CosignatureVerifier;
  /** the size it last cosigned, as far as we know (null: unknown) */
  size: number | null;
}

export class Publisher {
  readonly log: LogService;
  readonly quorum: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly refreshMs: number;
  readonly maxStaleMs: number;
  readonly #witnesses: WitnessState[];
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #onEvent: (e: PublisherEvent) => void;
  #timer: NodeJS.Timeout | null = null;
  #round: Promise<void> | null = null;
  /** what is published: size, note, when (ms) its cosignatures were gathered, how many */
  #published: { size: number; root: string; note: string; at: number; cosigners: string[] } | null = null;
  #closed = false;

  constructor(opts: PublisherOptions) {
    this.log = opts.log;
    if (!Array.isArray(opts.witnesses) || opts.witnesses.length === 0) throw new TypeError('witnesses: at least one witness');
    this.#witnesses = opts.witnesses.map((ep, i) => ({ ep, verifier: cosignatureVerifier(ep.key, `witnesses[${i}].key`), size: null }));
    const names = new Set(this.#witnesses.map((w) => w.verifier.key));
    if (names.size !== this.#witnesses.length) throw new TypeError('witnesses: the same witness key twice');
    this.quorum = opts.quorum ?? opts.witnesses.length;
    if (!Number.isSafeInteger(this.quorum) || this.quorum < 1 || this.quorum > opts.witnesses.length) {
      throw new TypeError(`quorum: expected an integer from 1 to ${opts.witnesses.length} (the number of witnesses), got ${opts.quorum}`);
    }
    this.intervalMs = opts.intervalMs ?? 10_000;
    if (!(this.intervalMs >= 10)) throw new TypeError('intervalMs: at least 10 ms');
    this.timeoutMs = opts.timeoutMs ?? Math.min(Math.max(this.intervalMs, 2000), 10_000);
    this.refreshMs = opts.refreshMs ?? Math.min(10 * this.intervalMs, 600_000);
    this.maxStaleMs = opts.maxStaleMs ?? 30 * this.intervalMs;
    this.#fetch = opts.fetch ?? fetch;
    this.#now = opts.now ?? Date.now;
    this.#onEvent = opts.onEvent ?? (() => {});
  }

  /** Starts publishing: one round now, then one every intervalMs (rounds never overlap). */
  start(): this {
    void this.publishNow();
    this.#timer = setInterval(() => {
      if (!this.#round) void this.publishNow();
    }, this.intervalMs);
    this.#timer.unref();
    return this;
  }

  async stop(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#round?.catch(() => {});
  }

  /** The published checkpoint note (with cosignatures), or null before the first round. */
  get published(): string | null {
    return this.#published?.note ?? null;
  }

  /** One round now (or the one running). Resolves when it is done, late witnesses included. */
  publishNow(): Promise<void> {
    this.#round ??= this.#publish().finally(() => {
      this.#round = null;
    });
    return this.#round;
  }

  async #publish(): Promise<void> {
    if (this.#closed) return;
    const head = this.log.committedHead();
    if (head.size === 0 || head.checkpoint === '') return;
    const cp = parseCheckpoint(openNote(head.checkpoint, [this.log.verifierKey]).text);
    const root = base64(cp.root);
    const now = this.#now();
    const p = this.#published;
    if (p && p.size === head.size && p.root === root && now - p.at < this.refreshMs && p.cosigners.length >= this.quorum) return;

    const got = new Map<string, string>(); // witness key → its line(s)
    let done: () => void = () => {};
    const enough = new Promise<void>((r) => (done = r));
    const all = Promise.all(
      this.#witnesses.map(async (w) => {
        const lines = await this.#submit(w, head.size, head.checkpoint).catch((e: Error) => {
          this.#onEvent({ type: 'witness_error', witness: w.verifier.name, message: e.message });
          return null;
        });
        if (lines !== null) {
          got.set(w.verifier.key, lines);
          if (got.size >= this.quorum) done();
        }
      }),
    ).then(() => done());
    await enough;

    const publish = () => {
      let note = head.checkpoint;
      for (const w of this.#witnesses) {
        const l = got.get(w.verifier.key);
        if (l) note = addSignatureLines(note, l);
      }
      const cosigners = this.#witnesses.filter((w) => got.has(w.verifier.key)).map((w) => w.verifier.name);
      const quorum = cosigners.length >= this.quorum;
      const prev = this.#published;
      if (!quorum && prev && prev.cosigners.length >= this.quorum && this.#now() - prev.at < this.maxStaleMs) return false;
      if (prev && prev.size > head.size) return false; // never go back (cannot happen: the head only grows)
      this.#published = { size: head.size, root, note, at: now, cosigners };
      this.log.setPublished({ size: head.size, checkpoint: note });
      this.#onEvent({ type: 'published', size: head.size, cosigners, quorum });
      return true;
    };
    const count = got.size;
    publish();
    // Late answers (after the quorum, before the timeout) join the published note. (A trace
    // read in pages keeps the text its first page carried: src/log/bundle.ts cursors name it.)
    await all;
    if (got.size > count && this.#published?.size === head.size && this.#published.root === root) publish();
  }

  /** Pushes one checkpoint to one witness; its verified cosignature line(s), or throws why not. */
  async #submit(w: WitnessState, size: number, note: string): Promise<string> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    for (let attempt = 0; attempt < 3; attempt++) {
      const old = w.size ?? 0;
      if (old > size) throw new Error(`the witness has cosigned size ${old}, above this log's ${size}: it saw another (forked?) view of this log`);
      let proof = '';
      if (old > 0 && old < size) {
        const p = await this.log.proveConsistency(old, size);
        proof = p.hashes.map((h) => base64(fromHex(h)) + '\n').join('');
      }
      const res = await this.#fetch(`${w.ep.url}/add-checkpoint`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain; charset=utf-8' },
        body: `old ${old}\n${proof}\n${note}`,
        signal,
      });
      const text = await readCapped(res, MAX_ANSWER_BYTES);
      if (res.status === 409) {
        // §add-checkpoint: "The response body MUST consist of the tree size of the latest cosigned checkpoint in decimal, followed by a newline."
        const m = /^(0|[1-9][0-9]{0,15})\n$/.exec(text);
        if (!m) throw new Error('409 without a tree size');
        const known = Number(m[1]);
        if (known === old) throw new Error(`409 at size ${old}: the witness cosigned another root at this size (a fork?)`);
        w.size = known;
        continue;
      }
      if (res.status !== 200) {
        this.#onEvent({ type: 'witness_error', witness: w.verifier.name, status: res.status, message: text.slice(0, 200) });
        if (res.status === 422 || res.status === 403 || res.status === 404) w.size = null; // learn again next time
        throw new Error(`add-checkpoint answered ${res.status}`);
      }
      // Keep only lines that verify as this witness's cosignature of this checkpoint.
      const mine = text.split('\n').filter((l) => l.startsWith(`\u2014 ${w.verifier.name} `));
      const good: string[] = [];
      for (const l of mine) {
        try {
          openNoteWith(`${note}${l}\n`, [w.verifier]);
          good.push(l);
        } catch (e) {
          if (!(e instanceof NoteError)) throw e;
        }
      }
      if (good.length === 0) throw new Error('200 without a valid cosignature by the witness key');
      w.size = size;
      return good.map((l) => l + '\n').join('');
    }
    throw new Error('the witness kept answering 409');
  }
}
