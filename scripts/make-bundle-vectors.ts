// Writes the published vectors of wire format 2's trace bundles and proven reads
// (docs/wire-format-2.md §11–§14): test/vectors/cotc-bundle-v2.json. Honest bundles of a
// story with every kind of hop (test/helpers/v2-story.ts: keys from fixed seeds, times from a
// fixed clock, so the file is the same bytes every run), and tampered ones, each with the
// problem code a verifier MUST report for it; the same for proven reads.
// `node --import tsx scripts/make-bundle-vectors.ts` regenerates the file;
// test/verify/v2-vectors.test.ts checks every vector against @cotc/verify and that the file
// is what this script writes (so a change of format fails there until regenerated on purpose).
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64 } from '@cotc/tlog';
import { canonicalize } from '@cotc/ledger';
import { provenRead, resetClock, sev, type V2Bundle } from '../test/helpers/v2-log.ts';
import { v2Story } from '../test/helpers/v2-story.ts';
import { clone, decodeEntry, dropEffect, dropEntry, dropState, forgeState, retrace } from '../test/helpers/v2-tamper.ts';

export const VECTORS_FILE = fileURLToPath(new URL('../test/vectors/cotc-bundle-v2.json', import.meta.url));

const seed = (name: string) => sha256(new TextEncoder().encode(`cotc-bundle-v2-vectors\n${name}`));

interface Vector {
  name: string;
  logKey: string;
  donation?: string;
  receiptSecret?: string;
  keys?: string[];
  /** null: verifies; else the code that MUST be among the problems */
  code: string | null;
  bundle?: unknown;
  read?: unknown;
}

export async function bundleVectors(): Promise<{ description: string; bundles: Vector[]; reads: Vector[] }> {
  resetClock();
  const s = await v2Story({ seed, addedBy: true, origin: 'vectors.cotc.example/log' });
  const logKey = s.log.logKey;
  const d1 = await s.log.bundle('d1');
  const d2 = await s.log.bundle('d2');
  const d3 = await s.log.bundle('d3');
  const at = (b: V2Bundle, id: string) => b.entries.find((e) => decodeEntry(e).event.id === id)!.index;
  const effectOf = (b: V2Bundle, id: string) => b.effects.findIndex((e) => e.index === at(b, id));
  const v = (name: string, bundle: unknown, code: string | null, donation = 'd1', extra: Partial<Vector> = {}): Vector => ({ name, logKey, donation, code, bundle, ...extra });

  const bundles: Vector[] = [
    v('d1: honest (split lots, two grants, two payments, confirmations, a reversed payment, a rotated key, an operator-installed key)', d1, null, 'd1', { receiptSecret: 'secret-d1' }),
    v('d2: honest (shares entries with d1; carries only its own lots)', d2, null, 'd2'),
    v('d3: honest (refunded: live/d3 proven absent)', d3, null, 'd3'),
    v('d1 without transfer t1 (trace rebuilt from what is left)', dropEntry(d1, at(d1, 't1')), 'incomplete_trace'),
    v('d1 without disbursement pay1 (and its effects)', dropEntry(d1, at(d1, 'pay1')), 'incomplete_trace'),
    v('d1 without the reversal rev-pay2', dropEntry(d1, at(d1, 'rev-pay2')), 'incomplete_trace'),
    v('d1 without the auditor\'s confirmation of pay1', dropEntry(d1, at(d1, 'pay1-conf-auditor')), 'missing_confirmation'),
    v('d1 without its effect in t2', dropEffect(d1, effectOf(d1, 't2')), 'incomplete_trace'),
    v('d1 without the record of the charity\'s old key (which signed t1)', dropState(d1, d1.state.find((x) => x.key.startsWith('orgkey/charity/') && x.value!.includes('revokedSeq'))!.key), 'key_not_proven'),
    v('d1 without live/d1', dropState(d1, 'live/d1'), 'incomplete_trace'),
    v('d1 without conf/pay1', dropState(d1, 'conf/pay1'), 'missing_confirmation'),
    v('d1 without entry N-1 (the map root)', dropEntry(d1, d1.entries[d1.entries.length - 1]!.index), 'missing_state_root'),
    v('d1 without the donation itself', dropEntry(d1, at(d1, 'd1')), 'not_in_log'),
    v('d1 with live/d1 forged: the spent lot still in fund water', retrace(forgeState(d1, 'live/d1', canonicalize({ lots: [{ fund: 'water', pos: 0, value: '1000', via: 'd1', viaSeq: at(d1, 'd1') }] }))), 'map_root_mismatch'),
    v('d1 with conf/pay1 forged absent', forgeState(d1, 'conf/pay1', null), 'map_root_mismatch'),
  ];
  const zero = clone(d1);
  (zero.state.find((x) => x.key === 'live/d1')!.proof as { siblings: Array<string | null> }).siblings[0] = '0'.repeat(64);
  bundles.push(v('a map proof spelling EMPTY as zeros', zero, 'map_proof_noncanonical'));
  const far = clone(d1);
  far.effects[0]!.proof.index = 99;
  bundles.push(v('an effect proof past its entry\'s count', far, 'effect_index_out_of_range'));
  const val = clone(d1);
  val.effects[0]!.effect.value = '1';
  bundles.push(v('an effect with another value', val, 'effect_root_mismatch'));
  bundles.push(v('bundle version 3', { ...clone(d1), version: 3 }, 'unsupported_version'));
  const bytes = clone(d1);
  bytes.entries[0]!.data = base64(new TextEncoder().encode('{}'));
  bundles.push(v('an entry\'s bytes replaced', bytes, 'bad_inclusion_proof'));
  const unspent = clone(d1);
  unspent.trace.nodes[0]!.unspent = '1000';
  bundles.push(v('the trace says all of d1 is unspent', unspent, 'trace_mismatch'));

  // An event signed by a revoked key, appended by a log operator (the state machine refuses it).
  const r = await v2Story({ seed, addedBy: true, origin: 'vectors.cotc.example/revoked' });
  await r.log.batch([sev(r.orgs.charity, 'fund.open', { fund: 'bogus', name: 'Bogus', currency: 'CNY', restricted: false, purpose: 'x' }, 'signed-by-revoked')], { forged: true });
  bundles.push({ name: 'entry N-1 signed by the charity\'s revoked key', logKey: r.log.logKey, donation: 'd1', code: 'revoked_key', bundle: await r.log.bundle('d1') });

  const keys = ['fund/school-water', 'org/filters', 'conf/pay1', 'conf/pay2', 'fund/no-such-fund'];
  const read = await provenRead(s.log, keys);
  const forged = clone(read);
  forged.state[0]!.value = canonicalize({ ...JSON.parse(forged.state[0]!.value!), balance: '999999' });
  const reads: Vector[] = [
    { name: 'a fund, an org, a confirmed and an unconfirmed payment, an absent fund', logKey, keys, code: null, read },
    { name: 'a fund\'s balance forged', logKey, keys, code: 'map_root_mismatch', read: forged },
    { name: 'entry N-2 instead of N-1', logKey, keys, code: 'missing_state_root', read: { ...clone(read), entry: { ...read.entry, index: read.entry.index - 1 } } },
    { name: 'a read at a size whose last entry ends no batch', logKey, keys, code: 'missing_state_root', read: await provenRead(s.log, keys, 2) },
  ];
  return {
    description: 'Wire format 2 trace bundles and proven reads (docs/wire-format-2.md §11-§14). Each vector: verify with logKey (and donation, receiptSecret, keys when given); code null = verifies with no problem, else code MUST be among the problems. Tampered bundles leave something out and rebuild the trace from what is left, so only the proven state can tell.',
    bundles,
    reads,
  };
}

/** The file's text: one vector a line (diffs name the vector that changed). */
export function formatVectors(v: Awaited<ReturnType<typeof bundleVectors>>): string {
  const list = (xs: Vector[]) => '[\n' + xs.map((x) => '  ' + JSON.stringify(x)).join(',\n') + '\n ]';
  return `{\n "description": ${JSON.stringify(v.description)},\n "bundles": ${list(v.bundles)},\n "reads": ${list(v.reads)}\n}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const v = await bundleVectors();
  fs.writeFileSync(VECTORS_FILE, formatVectors(v));
  console.log(`wrote ${VECTORS_FILE}: ${v.bundles.length} bundles, ${v.reads.length} reads`);
}
