// Witness crash safety (tlog-witness v1.0.0 §add-checkpoint: check and persist atomically,
// persist before answering): a witness fed two forks of one log (same key, diverging after
// size 2) by racing submitters is SIGKILLed at random moments, again and again; across all
// its lives it never cosigns checkpoints of both branches, and never a smaller size after a
// larger one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MemoryTree, base64, cosignatureTimestamp, cosignatureVerifier, formatCheckpoint, generateKey, leafHash, openNoteWith, signNote,
} from '@cotc/tlog';
import { kill, startChild } from '../helpers/child.ts';

const KILLS = Number(process.env.WITNESS_KILLS ?? 8);
const here = path.dirname(fileURLToPath(import.meta.url));
const child = path.join(here, 'witness-child.ts');

async function start(dir: string, logKey: string): Promise<{ proc: ChildProcess; url: string }> {
  return startChild(child, [dir, 'w.example/crash', logKey], 'witness');
}

interface Branch { name: string; cps: string[]; proof: (a: number, b: number) => string; roots: string[] }

async function branch(name: string, signerKey: string, n: number): Promise<Branch> {
  const t = new MemoryTree();
  const cps = [''];
  const roots = [''];
  for (let i = 0; i < n; i++) {
    // Entries 0 and 1 are shared; from 2 on each branch has its own.
    await t.append(leafHash(new TextEncoder().encode(i < 2 ? `shared ${i}` : `${name} ${i}`)));
    const root = await t.root();
    roots.push(base64(root));
    cps.push(signNote(formatCheckpoint({ origin: 'log.example/fork', size: i + 1, root }), signerKey));
  }
  const proofs = new Map<string, string>();
  for (let a = 1; a <= n; a++) for (let b = a + 1; b <= n; b++) proofs.set(`${a}-${b}`, (await t.consistencyProof(a, b)).map((h) => base64(h) + '\n').join(''));
  return { name, cps, roots, proof: (a, b) => proofs.get(`${a}-${b}`) ?? '' };
}

test(`SIGKILL ${KILLS} times during add-checkpoint: never cosigns two inconsistent checkpoints`, async () => {
  const log = generateKey('log.example/fork');
  const N = 40;
  const A = await branch('A', log.signerKey, N);
  const B = await branch('B', log.signerKey, N);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cotc-witness-crash-'));
  const cosigned: Array<{ branch: string; size: number; root: string; time: number; life: number }> = [];
  let wkey = '';
  for (let life = 0; life < KILLS; life++) {
    const { proc, url } = await start(dir, log.verifierKey);
    if (!wkey) wkey = (await (await fetch(`${url}/v1/witness`)).json()).key;
    let stop = false;
    /** answers this life gave (any status): the kill waits for one, see below */
    let answers = 0;
    const submitter = async (br: Branch) => {
      let old = 0;
      let next = 1;
      while (!stop) {
        const size = Math.min(N, Math.max(next, old + 1 + Math.floor(Math.random() * 3)));
        const body = `old ${old}\n${old > 0 && old < size ? br.proof(old, size) : ''}\n${br.cps[size]}`;
        let res: Response;
        try {
          res = await fetch(`${url}/add-checkpoint`, { method: 'POST', body });
        } catch {
          return; // killed
        }
        const text = await res.text().catch(() => '');
        answers++;
        if (res.status === 200) {
          const n = openNoteWith(br.cps[size]! + text, [cosignatureVerifier(wkey)]);
          cosigned.push({ branch: br.name, size, root: br.roots[size]!, time: cosignatureTimestamp(n.signatures[0]!.sig)!, life });
          old = size;
          next = size >= N ? 1 : size + 1;
          if (size >= N) return;
        } else if (res.status === 409) {
          old = Number(text.trim());
          if (old >= N) return;
          next = old + 1;
        } else {
          // 422: the witness is on the other branch; keep trying from scratch (a forking log would).
          old = 0;
          next = 1;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    };
    let ended = 0;
    const runs = [submitter(A), submitter(B), submitter(A), submitter(B)].map((p) => p.finally(() => ended++));
    // Kill at a random moment after this life has answered (not after a fixed time, which on
    // a slow or loaded machine can pass before the first answer, so that no life is tested).
    const end = Date.now() + 60_000;
    while (answers === 0 && ended < runs.length) {
      if (Date.now() > end) throw new Error(`the witness answered nothing in 60 s (life ${life + 1})`);
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, Math.random() * 150));
    await kill(proc);
    stop = true;
    await Promise.all(runs);
  }
  // Never two branches beyond the shared prefix, never a root for a size other than the winner's.
  const beyond = cosigned.filter((c) => c.size > 2);
  const branches = new Set(beyond.map((c) => c.branch));
  assert.ok(branches.size <= 1, `cosigned both branches: ${JSON.stringify(beyond.slice(0, 5))}`);
  const rootOf = new Map<number, string>();
  for (const c of cosigned) {
    if (rootOf.has(c.size)) assert.is(rootOf.get(c.size), c.root, `two roots cosigned at size ${c.size}`);
    rootOf.set(c.size, c.root);
  }
  assert.ok(cosigned.length > 0, 'some checkpoints were cosigned');
  // The record after the last life is at least the largest size ever cosigned (nothing cosigned was forgotten).
  const rec = fs.readdirSync(path.join(dir, 'logs')).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(dir, 'logs', f), 'utf8')));
  assert.is(rec.length, 1);
  assert.ok(rec[0].size >= Math.max(...cosigned.map((c) => c.size))); // ≥: a kill between persist and answer
});

test.run();
