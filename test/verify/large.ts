// A maximal honest trace bundle for the verifier's speed (issue 9: 10,000 entries must verify
// in under 2 s in headless Chromium): one large donation paid out in many small
// disbursements, with transfers to a second fund and confirmations among them, every event
// signed (node:crypto, for speed), effects from the ledger's state machine, proofs from a
// MemoryTree. Used by test/verify/speed.test.ts and scripts/bench-verify.ts.
import { MemoryTree, base64, formatCheckpoint, generateKey, hex, leafHash, signNote } from '@cotc/tlog';
import { LedgerState, buildTrace, canonicalBytes, donorCommitment, type Entry, type Envelope } from '@cotc/ledger';
import { isWeakPublicKey } from '@cotc/tlog';
import { eventSigner } from '../../src/crypto/sign-node.ts';
import { V2Log, sev, v2org, type V2Bundle } from '../helpers/v2-log.ts';

export interface LargeBundle {
  logKey: string;
  donation: string;
  bundle: { version: 1; checkpoint: string; entries: Array<{ index: number; data: string; proof: { index: number; size: number; hashes: string[] } }>; trace: unknown } | V2Bundle;
}

/** A bundle of exactly `n` entries (n ≥ 10) about one donation, in a log of `n + pad` entries. */
export async function largeBundle(n: number, pad = 0): Promise<LargeBundle> {
  if (n < 10) throw new Error('largeBundle: n ≥ 10');
  const origin = 'bench.example/log';
  const logK = generateKey(origin);
  const opK = generateKey('operator');
  const chK = generateKey('charity');
  const auK = generateKey('auditor');
  const sign = { operator: eventSigner(opK.signerKey), charity: eventSigner(chK.signerKey), auditor: eventSigner(auK.signerKey) };
  const state = new LedgerState({ isWeakKey: isWeakPublicKey });
  const tree = new MemoryTree();
  const data: Uint8Array[] = [];
  const entries: Entry[] = [];
  let t = Date.parse('2021-01-01T00:00:00Z');
  const post = async (by: keyof typeof sign, type: string, id: string, body: unknown) => {
    const time = new Date((t += 1000)).toISOString();
    const ev = sign[by]({ v: 1, type, id, org: by, time, body } as never);
    const seq = data.length;
    const r = state.apply(ev, { seq, contentHash: '0'.repeat(64), verify: () => true });
    if (!r.ok || 'duplicate' in r) throw new Error(`largeBundle: ${id} rejected: ${JSON.stringify(r)}`);
    const entry: Entry = { seq, prev: seq === 0 ? '0'.repeat(64) : hex(leafHash(data[seq - 1]!)), time, event: ev as Envelope, effects: r.effects };
    const bytes = canonicalBytes(entry);
    data.push(bytes);
    entries.push(entry);
    await tree.append(leafHash(bytes));
  };
  const reg = (org: string, roles: string[], key: string) => ({ org, name: org, roles, keys: [key] });
  await post('operator', 'org.register', 'op-register', reg('operator', ['operator'], opK.verifierKey));
  await post('operator', 'org.register', 'reg-charity', reg('charity', ['charity'], chK.verifierKey));
  await post('operator', 'org.register', 'reg-auditor', reg('auditor', ['auditor'], auK.verifierKey));
  await post('charity', 'fund.open', 'open-a', { fund: 'a', name: 'A', currency: 'CNY', restricted: false, purpose: 'p' });
  await post('charity', 'fund.open', 'open-b', { fund: 'b', name: 'B', currency: 'CNY', restricted: false, purpose: 'p' });
  for (let i = 0; i < pad; i++) await post('charity', 'donation', `pad-${i}`, { fund: 'b', amount: { currency: 'CNY', value: '1' }, donor: '0'.repeat(64), channel: 'pad' });
  await post('charity', 'donation', 'big', { fund: 'a', amount: { currency: 'CNY', value: String(10 * n) }, donor: donorCommitment('big', 's'), channel: 'goods-for-good' });
  // The trace: the donation, then per 10 entries one transfer a→b and 6 disbursements from
  // a, 1 from b and 2 confirmations; until the bundle (with entry 0 and the 2 registrations) has n entries.
  let count = 4; // entry 0, reg-charity, reg-auditor, the donation
  let k = 0;
  while (count < n) {
    const step = k % 10;
    const id = `e${k++}`;
    if (step === 0) await post('charity', 'transfer', id, { from: 'a', to: 'b', amount: { currency: 'CNY', value: '3' }, memo: 'move' });
    else if (step === 7) await post('charity', 'disbursement', id, { fund: 'b', amount: { currency: 'CNY', value: '1' }, payee: 'Supplier', purpose: `item ${k}`, receipts: [{ sha256: 'ab'.repeat(32), name: 'invoice.pdf' }] });
    else if (step === 8 || step === 9) await post('auditor', 'confirmation', id, { disbursement: `e${step === 8 ? k - 2 : k - 4}`, statement: 'delivered', evidence: [] });
    else await post('charity', 'disbursement', id, { fund: 'a', amount: { currency: 'CNY', value: '1' }, payee: 'Supplier', purpose: `item ${k}`, receipts: [] });
    count++;
  }
  const size = tree.size;
  const root = await tree.root(size);
  const checkpoint = signNote(formatCheckpoint({ origin, size, root }), logK.signerKey);
  const trace = buildTrace('big', entries);
  const seqs = new Set<number>([0, 1, 2, ...trace.nodes.map((x) => x.index)]);
  const out: LargeBundle['bundle']['entries'] = [];
  for (const i of [...seqs].sort((a, b) => a - b)) {
    out.push({ index: i, data: base64(data[i]!), proof: { index: i, size, hashes: (await tree.inclusionProof(i, size)).map(hex) } });
  }
  if (out.length !== n) throw new Error(`largeBundle: ${out.length} entries, wanted ${n}`);
  return { logKey: logK.verifierKey, donation: 'big', bundle: { version: 1, checkpoint, entries: out, trace } };
}

/**
 * The same story as largeBundle, logged in wire format 2 (test/helpers/v2-log.ts, batches of
 * 250 events): a v2 bundle of about `n` entries (the trace's nodes and entry N−1; no
 * registrations travel in v2) with this donation's effects and the state proofs.
 */
export async function largeBundleV2(n: number): Promise<LargeBundle> {
  if (n < 10) throw new Error('largeBundleV2: n ≥ 10');
  const log = await V2Log.create({ origin: 'bench.example/v2' });
  const charity = v2org('charity');
  const auditor = v2org('auditor');
  const signer = { charity, auditor };
  let pending: Envelope[] = [];
  const post = async (by: keyof typeof signer, type: string, id: string, body: unknown) => {
    pending.push(sev(signer[by], type as Envelope['type'], body, id));
    if (pending.length >= 250) await flush();
  };
  const flush = async () => {
    if (pending.length) await log.batch(pending);
    pending = [];
  };
  const op = log.operator;
  await log.batch([
    sev(op, 'org.register', { org: 'charity', name: 'charity', roles: ['charity'], keys: [charity.verifierKey] }, 'reg-charity'),
    sev(op, 'org.register', { org: 'auditor', name: 'auditor', roles: ['auditor'], keys: [auditor.verifierKey] }, 'reg-auditor'),
  ]);
  await post('charity', 'fund.open', 'open-a', { fund: 'a', name: 'A', currency: 'CNY', restricted: false, purpose: 'p' });
  await post('charity', 'fund.open', 'open-b', { fund: 'b', name: 'B', currency: 'CNY', restricted: false, purpose: 'p' });
  await post('charity', 'donation', 'big', { fund: 'a', amount: { currency: 'CNY', value: String(10 * n) }, donor: donorCommitment('big', 's'), channel: 'goods-for-good' });
  let count = 2; // the donation and entry N−1
  let k = 0;
  while (count < n) {
    const step = k % 10;
    const id = `e${k++}`;
    if (step === 0) await post('charity', 'transfer', id, { from: 'a', to: 'b', amount: { currency: 'CNY', value: '3' }, memo: 'move' });
    else if (step === 7) await post('charity', 'disbursement', id, { fund: 'b', amount: { currency: 'CNY', value: '1' }, payee: 'Supplier', purpose: `item ${k}`, receipts: [{ sha256: 'ab'.repeat(32), name: 'invoice.pdf' }] });
    else if (step === 8 || step === 9) await post('auditor', 'confirmation', id, { disbursement: `e${step === 8 ? k - 2 : k - 4}`, statement: 'delivered', evidence: [] });
    else await post('charity', 'disbursement', id, { fund: 'a', amount: { currency: 'CNY', value: '1' }, payee: 'Supplier', purpose: `item ${k}`, receipts: [] });
    count++;
  }
  await flush();
  return { logKey: log.logKey, donation: 'big', bundle: await log.bundle('big') };
}
