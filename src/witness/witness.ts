// A C2SP tlog-witness v1.0.0 (https://c2sp.org/tlog-witness@v1.0.0): it cosigns a log's
// checkpoint (C2SP tlog-cosignature v1.0.1, cosignature/v1) only when it is consistent with
// the latest one it cosigned for that origin, so that two inconsistent views of one log can
// never both carry its cosignature. This file is the protocol, without HTTP (server.ts).
import fs from 'node:fs';
import path from 'node:path';
import {
  NoteError, cosignLine, ed25519Verifier, fromBase64, generateCosignerKey, openNoteWith, parseCheckpoint,
  parseCosignerKey, verifyConsistency, base64, equalBytes, fromUtf8, type CosignerKey, type NoteVerifier,
} from '@cotc/tlog';
import { WitnessState, lockDataDir } from './state.ts';

/** §add-checkpoint: "The client MUST NOT send more than 63 consistency proof lines." */
export const MAX_PROOF_LINES = 63;
/** A request body's cap: 63 proof lines and a checkpoint with up to 100 signatures fit well within it. */
export const MAX_ADD_CHECKPOINT_BYTES = 64 * 1024;

export interface WitnessAnswer {
  status: 200 | 400 | 403 | 404 | 409 | 422;
  /** 200: the cosignature line(s); 409: "<size>\n"; else an error code */
  body: string;
  contentType: string;
  /** stable error code, on 4xx */
  code?: string;
  message?: string;
}

export interface WitnessOptions {
  /** the data directory: witness.key (created mode 0600 on first start) and logs/ */
  dir: string;
  /** the witness's name (its key's name; a schema-less URL is recommended, tlog-cosignature §Format) */
  name: string;
  /** the logs it witnesses: Ed25519 signed-note verifier keys, named by the log's origin */
  logs: string[];
  /** the key file (default DIR/witness.key) */
  keyFile?: string;
  /** clock in ms (tests) */
  now?: () => number;
}

function fail(status: WitnessAnswer['status'], code: string, message: string): WitnessAnswer {
  return { status, code, message, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ error: { code, message } }) };
}

/** Loads DIR/witness.key, creating it (mode 0600) on first start. Refuses a key of another name. */
export function loadOrCreateWitnessKey(dir: string, name: string, keyFile?: string): CosignerKey {
  const p = keyFile ?? path.join(dir, 'witness.key');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(p)) {
    const { signerKey } = generateCosignerKey(name);
    const tmp = `${p}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, signerKey + '\n', { mode: 0o600 });
    fs.renameSync(tmp, p);
  }
  const st = fs.statSync(p);
  if ((st.mode & 0o077) !== 0) throw new Error(`${p}: a key file must not be readable by others (chmod 600)`);
  const key = parseCosignerKey(fs.readFileSync(p, 'utf8').trim(), p);
  if (key.name !== name) throw new Error(`${p} holds the key of witness ${JSON.stringify(key.name)}, not ${JSON.stringify(name)} (a witness's name is part of its key id)`);
  return key;
}

export class Witness {
  readonly name: string;
  /** the cosignature verifier key (name+hex8(id)+base64(0x04||pub)) */
  readonly verifierKey: string;
  readonly state: WitnessState;
  readonly #key: CosignerKey;
  readonly #logs = new Map<string, NoteVerifier[]>();
  readonly #now: () => number;
  readonly #unlock: () => void;

  constructor(opts: WitnessOptions) {
    if (!Array.isArray(opts.logs) || opts.logs.length === 0) throw new TypeError('logs: a witness needs at least one --log verifier key');
    opts.logs.forEach((k, i) => {
      const v = ed25519Verifier(k, `--log[${i}]`);
      const list = this.#logs.get(v.name) ?? [];
      if (!list.some((o) => o.key === v.key)) list.push(v);
      this.#logs.set(v.name, list);
    });
    this.#key = loadOrCreateWitnessKey(opts.dir, opts.name, opts.keyFile);
    this.name = this.#key.name;
    this.verifierKey = this.#key.verifierKey;
    this.#unlock = lockDataDir(opts.dir);
    try {
      this.state = new WitnessState(opts.dir);
    } catch (e) {
      this.#unlock();
      throw e;
    }
    this.#now = opts.now ?? Date.now;
  }

  close(): void {
    this.#unlock();
  }

  /** The origins this witness trusts, with the size it last cosigned (0: never). */
  logs(): Array<{ origin: string; size: number }> {
    return [...this.#logs.keys()].map((origin) => ({ origin, size: this.state.get(origin)?.size ?? 0 }));
  }

  /**
   * POST add-checkpoint (§add-checkpoint), one synchronous step from the parsed request to
   * the persisted record and the cosignature, so the check of `old` and the write are atomic.
   */
  addCheckpoint(raw: Uint8Array): WitnessAnswer {
    let body: string;
    try {
      body = fromUtf8(raw);
    } catch {
      return fail(400, 'bad_request', 'the body is not UTF-8');
    }
    // "a sequence of an old size line, zero or more consistency proof lines, and an empty
    // line, followed by a checkpoint": the first blank line ends the proof.
    const cut = body.indexOf('\n\n');
    if (cut < 0) return fail(400, 'bad_request', 'no empty line after the old size and proof lines');
    const head = body.slice(0, cut).split('\n');
    const note = body.slice(cut + 2);
    const m = /^old (0|[1-9][0-9]*)$/.exec(head[0]!);
    if (!m) return fail(400, 'bad_request', 'the first line must be "old <size>" (decimal, no leading zeros)');
    const old = Number(m[1]);
    if (!Number.isSafeInteger(old)) return fail(400, 'bad_request', 'old size above 2^53-1');
    const proofLines = head.slice(1);
    if (proofLines.length > MAX_PROOF_LINES) return fail(400, 'bad_request', `more than ${MAX_PROOF_LINES} consistency proof lines`);
    const proof: Uint8Array[] = [];
    for (const [i, l] of proofLines.entries()) {
      let h: Uint8Array;
      try {
        h = fromBase64(l);
      } catch {
        return fail(400, 'bad_request', `consistency proof line ${i + 1} is not standard base64`);
      }
      if (h.length !== 32) return fail(400, 'bad_request', `consistency proof line ${i + 1} is not a 32-byte hash`);
      proof.push(h);
    }

    // "If the checkpoint origin is unknown, the witness MUST respond with 404."
    const origin = note.slice(0, Math.max(0, note.indexOf('\n')));
    const verifiers = this.#logs.get(origin);
    if (!verifiers) return fail(404, 'unknown_log', `unknown log origin ${JSON.stringify(origin.slice(0, 200))}`);
    // "If none of the signatures verify against any of the trusted public keys, 403";
    // a signature by a trusted key that fails is 403 too (signed-note: it MUST verify).
    let text: string;
    try {
      text = openNoteWith(note, verifiers).text;
    } catch (e) {
      if (e instanceof NoteError && e.code === 'malformed') {
        // A line by the log's name that does not even decode (non-canonical base64) is a
        // failed signature by a known key, as Go's lax decoder would find it.
        const sigs = note.slice(note.lastIndexOf('\n\n') + 2);
        if (sigs.split('\n').some((l) => l.startsWith(`\u2014 ${origin} `))) {
          return fail(403, 'invalid_signature', `invalid signature: a signature line of ${origin} does not decode`);
        }
        return fail(400, 'bad_request', `malformed checkpoint note: ${e.message}`);
      }
      if (e instanceof NoteError) return fail(403, 'invalid_signature', `invalid signature: ${e.message}`);
      throw e;
    }
    let cp;
    try {
      cp = parseCheckpoint(text);
    } catch (e) {
      return fail(400, 'bad_request', `malformed checkpoint: ${(e as Error).message}`);
    }
    if (old > cp.size) return fail(400, 'bad_request', `old size ${old} is above the checkpoint's size ${cp.size}`);

    // From here to the cosignature nothing awaits: this is the atomic step.
    const rec = this.state.get(origin);
    const known = rec?.size ?? 0;
    if (old !== known) {
      return { status: 409, code: 'conflict', message: `the latest cosigned size is ${known}`, contentType: 'text/x.tlog.size', body: `${known}\n` };
    }
    if (old === 0) {
      // "The proof MUST be empty if the old size is zero."
      if (proof.length > 0) return fail(422, 'bad_consistency_proof', 'consistency proof sent with old size 0');
    } else {
      const oldRoot = fromBase64(rec!.root);
      if (old === cp.size) {
        // "If the old size matches the checkpoint size, the witness MUST check that the root
        // hashes are also identical. If they don't match, ... 409 Conflict."
        if (!equalBytes(oldRoot, cp.root)) {
          return { status: 409, code: 'conflict', message: `size ${known} was cosigned with another root: the log forked`, contentType: 'text/x.tlog.size', body: `${known}\n` };
        }
        if (proof.length > 0) return fail(422, 'bad_consistency_proof', 'a consistency proof between equal sizes must be empty');
      } else if (!verifyConsistency(old, cp.size, proof, oldRoot, cp.root)) {
        return fail(422, 'bad_consistency_proof', `the consistency proof from ${old} to ${cp.size} does not verify`);
      }
    }
    const time = Math.floor(this.#now() / 1000);
    this.state.put({ origin, size: cp.size, root: base64(cp.root), checkpoint: note, time });
    return { status: 200, contentType: 'text/plain; charset=utf-8', body: cosignLine(text, this.#key, time) };
  }
}
