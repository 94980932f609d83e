// `cotc demo`: creates a new data directory holding a ledger that tells the seed story of
// DESIGN.md (see ./story.ts for the cast), every event signed by its organisation's own key
// and written through LogService.submit, in chunks that group commit batches together.
//
// Deterministic given the seed: which fund each donation goes to, its channel and amount,
// every event id, every receipt secret, and so every grant, payment and trace. Keys are
// random (a fixed seed must not make a charity's signing key guessable) and times are the
// clock's.
//
// Receipt secrets are derived from the seed and the donation id (SHA-256, base64url), so
// anyone who knows the seed can open the demo's donor commitments: fine for a demo, never
// for real donations (a platform issues each donor a random one, see newReceiptSecret).
// They never reach the log (only the commitment does), nor the server's logs or metrics;
// the five examples are printed and saved in DIR/demo-examples.json for the README.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { generateKey } from '@cotc/tlog';
import { buildTrace, donorCommitment, type BodyByType, type Entry, type Envelope, type EventType, type Trace, type UnsignedEvent } from '@cotc/ledger';
import { defaultOrigin, openDataDir, refuseNewKeyForExistingStore, writeKeyFile } from '../log/datadir.ts';
import { traceBundle } from '../log/bundle.ts';
import { LogService } from '../log/service.ts';
import { openLog } from '../server.ts';
import { eventSigner } from '../crypto/sign-node.ts';
import { ALLOCATIONS, AUDITOR, CAST, CHANNELS, FUNDS, GRANTS, PAYMENTS, PLATFORM, ROTATING, type Half } from './story.ts';
import { GiftStore } from '../gifts/store.ts';
import { DEFAULT_GIFTS, GIFT_CAMPAIGNS, MAX_GIFTS_DEMO, demoGiftSecret, makeGiftRecords, planGiftDays, storeGiftBatch } from './gifts.ts';

export const DEFAULT_DONATIONS = 3000;
export const DEFAULT_SEED = 2020;
export const MIN_DONATIONS = 100;
export const MAX_DONATIONS = 1_000_000;
/** how many examples are printed and saved */
export const EXAMPLES = 5;
export { DEFAULT_GIFTS, MAX_GIFTS_DEMO, demoGiftSecret };
/** how many donations must show transfer, disbursement and confirmation in their traces */
export const MIN_TRACED = 20;
const CHUNK = 500;
const CURRENCY = 'CNY';

export interface DemoOptions {
  donations?: number;
  seed?: number;
  log?: (line: string) => void;
  /** the URL printed in the example verify commands */
  server?: string;
  /** the new log's name (checkpoint origin); default `<hostname>/cotc-demo`, so a demo
   * never shares its name with a real log on the same host (README "The log's name") */
  origin?: string;
  /** where the log is stored (src/storage/open.ts); default DIR/store. It must be empty:
   * DIR then holds only the key files. */
  store?: string;
  /** micro-donations posted as gift batches (issue 15, ./gifts.ts); default DEFAULT_GIFTS, 0 for none */
  gifts?: number;
  /** gifts in one batch at most (default GIFTS_PER_BATCH, 100,000): tests make many small batches */
  giftsPerBatch?: number;
}

/** A gift receipt of the demo: (batch id, index, secret), what `verify --gift` and the page take. */
export interface DemoGiftExample {
  batch: string;
  index: number;
  receiptSecret: string;
  channel: string;
  measure: string;
  amount: { currency: string; value: string };
  fund: string;
  /** the events after the batch in its trace */
  hops: number;
}

export interface DemoExample {
  id: string;
  receiptSecret: string;
  /** the events after the donation in its trace (transfers, disbursements, confirmations) */
  hops: number;
  fund: string;
  channel: string;
  amount: { currency: string; value: string };
}

export interface DemoSummary {
  dir: string;
  /** log size (entries) */
  size: number;
  /** donations recorded (the refunded one included) */
  donations: number;
  examples: DemoExample[];
  orgs: string[];
  funds: string[];
  /** the refunded donation */
  refunded: string;
  /** the org whose key was rotated */
  rotated: string;
  /** donations whose traces reach a confirmed disbursement through at least one transfer */
  traced: number;
  origin: string;
  logKey: string;
  /** gifts posted in batches, the batches, and gift receipts to try */
  gifts: number;
  batches: string[];
  giftExamples: DemoGiftExample[];
}

export class DemoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoError';
  }
}

// ---- determinism --------------------------------------------------------------------

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8');

/** The demo's receipt secret of a donation: base64url(SHA-256(seed, id)), 43 characters. */
export function demoReceiptSecret(seed: number, donationId: string): string {
  return sha256(`cotc-demo-receipt-v1\n${seed}\n${donationId}`).digest('base64url');
}

/** mulberry32, seeded through SHA-256 so any integer seed gives a well-mixed state. */
function prng(seed: number): () => number {
  let a = sha256(`cotc-demo-prng-v1\n${seed}`).digest().readUInt32BE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- formatting ---------------------------------------------------------------------

const pad = (n: number, w: number) => String(n).padStart(w, '0');
export function formatCny(fen: number): string {
  const yuan = Math.floor(fen / 100).toLocaleString('en-US');
  return `CNY ${yuan}.${pad(fen % 100, 2)}`;
}

// ---- the data directory -------------------------------------------------------------

const DEMO_FILES = ['store', 'log.key', 'operator.key', 'demo-keys', 'demo-examples.json'];

function refuseExisting(dir: string): void {
  if (!fs.existsSync(dir)) return;
  if (!fs.statSync(dir).isDirectory()) throw new DemoError(`${dir} exists and is not a directory`);
  const found = DEMO_FILES.filter((f) => fs.existsSync(path.join(dir, f)));
  if (found.length > 0) {
    throw new DemoError(
      `${dir} already holds a ledger (${found.join(', ')}): the demo only creates a new data directory; choose another --data DIR or remove this one`,
    );
  }
}

// ---- posting --------------------------------------------------------------------------

class Poster {
  readonly keys = new Map<string, (u: UnsignedEvent) => Envelope>(); // org → its signer (keys are never printed)
  readonly balance = new Map<string, number>(); // fund → fen, as the demo expects the ledger to hold
  #queue: Envelope[] = [];
  constructor(
    readonly log: LogService,
    readonly keysDir: string,
  ) {}

  post<T extends EventType>(org: string, type: T, id: string, body: BodyByType[T]): void {
    const signer = this.keys.get(org);
    if (!signer) throw new Error(`demo: no key for ${org}`);
    this.#queue.push(signer({ v: 1, type, id, org, time: new Date().toISOString(), body } as UnsignedEvent));
  }

  /** Submits everything queued, CHUNK submissions in flight at a time (group commit
   * batches them); every one must be appended (201). */
  async flush(): Promise<void> {
    const all = this.#queue.splice(0);
    for (let i = 0; i < all.length; i += CHUNK) {
      const part = all.slice(i, i + CHUNK);
      const results = await Promise.all(part.map((e) => this.log.submit(e)));
      results.forEach((r, j) => {
        if (r.status !== 201) {
          const e = part[j]!;
          throw new DemoError(`demo: ${e.type} ${e.id} by ${e.org} was not appended: ${JSON.stringify(r)}`);
        }
      });
    }
  }

  newKey(org: string, file = path.join(this.keysDir, `${org}.key`)): string {
    const k = generateKey(org);
    writeKeyFile(file, k.signerKey);
    this.keys.set(org, eventSigner(k.signerKey));
    return k.verifierKey;
  }

  add(fund: string, v: number): void {
    this.balance.set(fund, (this.balance.get(fund) ?? 0) + v);
  }
  take(fund: string, v: number): void {
    const b = this.balance.get(fund) ?? 0;
    if (v > b) throw new Error(`demo: ${fund} would be overdrawn`);
    this.balance.set(fund, b - v);
  }
  share(fund: string, pct: number): number {
    return Math.floor(((this.balance.get(fund) ?? 0) * pct) / 100);
  }
}

interface Donation {
  id: string;
  fund: string;
  channel: string;
  value: number;
}

interface Spent {
  half: Half;
  key: string;
  payee: string;
  purpose: string;
  value: number;
  confirmedBy: string[];
}

// ---- the story ------------------------------------------------------------------------

export async function createDemo(dir: string, opts: DemoOptions = {}): Promise<DemoSummary> {
  const n = opts.donations ?? DEFAULT_DONATIONS;
  const seed = opts.seed ?? DEFAULT_SEED;
  const say = opts.log ?? (() => {});
  const server = opts.server ?? 'http://127.0.0.1:8080';
  if (typeof dir !== 'string' || dir === '') throw new DemoError('dir: expected a directory path');
  if (!Number.isSafeInteger(n) || n < MIN_DONATIONS || n > MAX_DONATIONS) {
    throw new DemoError(`donations: expected an integer from ${MIN_DONATIONS} to ${MAX_DONATIONS}, got ${n}`);
  }
  if (!Number.isSafeInteger(seed)) throw new DemoError(`seed: expected an integer, got ${seed}`);
  const giftCount = opts.gifts ?? DEFAULT_GIFTS;
  if (!Number.isSafeInteger(giftCount) || giftCount < 0 || giftCount > MAX_GIFTS_DEMO) {
    throw new DemoError(`gifts: expected an integer from 0 to ${MAX_GIFTS_DEMO}, got ${giftCount}`);
  }
  refuseExisting(dir);
  if (opts.store !== undefined) await refuseNewKeyForExistingStore(dir, opts.store);

  // Creates DIR, log.key and operator.key (mode 0600); a demo log has a name of its own.
  const dd = openDataDir(dir, { origin: opts.origin ?? defaultOrigin('cotc-demo') });
  const keysDir = path.join(dir, 'demo-keys');
  fs.mkdirSync(keysDir, { mode: 0o700 });
  const log = await openLog(dir, { store: opts.store }); // writes entry 0, the operator's self-registration
  try {
    if (log.size !== 1) throw new DemoError(`${dir}: expected a new log of size 1, found size ${log.size}`);
    const rnd = prng(seed);
    const p = new Poster(log, keysDir);
    p.keys.set(dd.operator, eventSigner(dd.operatorKey));
    const fundOwner = new Map(FUNDS.map((f) => [f.id, f.owner]));
    const fundName = new Map(FUNDS.map((f) => [f.id, f.name]));
    const orgName = new Map(CAST.map((o) => [o.id, o.name]));
    // Document hashes: SHA-256 of a deterministic stand-in for each invoice or report,
    // numbered per kind (invoice-2020-01.pdf, invoice-2020-02.pdf, …).
    const docNo = new Map<string, number>();
    const doc = (name: string, text: string) => {
      const k = (docNo.get(name) ?? 0) + 1;
      docNo.set(name, k);
      return { sha256: sha256(text).digest('hex'), name: name.replace('NN', pad(k, 2)) };
    };

    // 1. The operator registers every organisation with its own key.
    for (const o of CAST) {
      const verifierKey = p.newKey(o.id);
      p.post(dd.operator, 'org.register', `${o.id}.register`, { org: o.id, name: o.name, roles: o.roles, keys: [verifierKey] });
    }
    await p.flush();

    // 2. Charities and partners open their funds.
    for (const f of FUNDS) {
      p.post(f.owner, 'fund.open', `${f.id}.open`, { fund: f.id, name: f.name, currency: CURRENCY, restricted: f.restricted, purpose: f.purpose });
      p.balance.set(f.id, 0);
    }
    await p.flush();

    // 3. Donations: the charity that owns the campaign fund records each one, naming the
    // platform channel it came through; the donor is only a commitment to a receipt secret.
    const donations: Donation[] = [];
    const giving = FUNDS.filter((f) => f.weight > 0);
    const totalWeight = giving.reduce((s, f) => s + f.weight, 0);
    const pickFund = () => {
      let x = rnd() * totalWeight;
      for (const f of giving) if ((x -= f.weight) < 0) return f.id;
      return giving[giving.length - 1]!.id;
    };
    const donate = (count: number) => {
      for (let k = 0; k < count; k++) {
        const i = donations.length + 1;
        const ch = rnd() * 100 < CHANNELS[0].share ? CHANNELS[0] : CHANNELS[1];
        const u = rnd();
        // Goods for Good: a share of a sale, CNY 1.00–50.00; Steps for Charity: 7,500 to
        // 250,000 steps at CNY 2.00 per 10,000 steps, CNY 1.50–50.00.
        const value = ch.id === 'goods-for-good' ? 100 + Math.floor(u * u * 4901) : Math.floor((7_500 + Math.floor(u * u * 242_501)) / 50);
        const fund = pickFund();
        const id = `${ch.prefix}-2020-${pad(i, 6)}`;
        const donor = donorCommitment(id, demoReceiptSecret(seed, id));
        p.post(fundOwner.get(fund)!, 'donation', id, { fund, amount: { currency: CURRENCY, value: String(value) }, donor, channel: ch.id });
        p.add(fund, value);
        donations.push({ id, fund, channel: ch.id, value });
      }
    };
    const firstHalf = Math.ceil(n * 0.6);
    donate(firstHalf);
    await p.flush();

    // 4. One refund: a Goods for Good order was returned before its share moved on.
    const returnable = donations.filter((d) => d.channel === 'goods-for-good');
    const refunded = returnable[Math.floor(rnd() * returnable.length)]!;
    p.post(fundOwner.get(refunded.fund)!, 'reversal', `${refunded.id}.refund`, {
      event: refunded.id,
      reason: 'order returned: the Goods for Good share of the sale is refunded to the buyer',
    });
    p.take(refunded.fund, refunded.value);
    await p.flush();

    // 5. A half-year of spending: board allocations, grants to local partners, payments
    // with invoices, confirmations by the payees and the field auditors.
    const spent: Spent[] = [];
    let granted = 0;
    const spend = async (half: Half) => {
      const tag = `2020-h${half}`;
      for (const a of ALLOCATIONS) {
        const total = p.share(a.from, 80);
        let left = total;
        a.to.forEach(([to, pct], j) => {
          const v = j === a.to.length - 1 ? left : Math.floor((total * pct) / 100);
          left -= v;
          if (v < 1) return;
          p.post(fundOwner.get(a.from)!, 'transfer', `${tag}.alloc.${to}`, {
            from: a.from,
            to,
            amount: { currency: CURRENCY, value: String(v) },
            memo: `board allocation ${half === 1 ? 'H1' : 'H2'} 2020: ${fundName.get(to)}`,
          });
          p.take(a.from, v);
          p.add(to, v);
        });
      }
      await p.flush();
      for (const g of GRANTS) {
        const v = p.share(g.from, g.pct);
        if (v < 1) continue;
        p.post(fundOwner.get(g.from)!, 'transfer', `${tag}.grant.${g.to}`, { from: g.from, to: g.to, amount: { currency: CURRENCY, value: String(v) }, memo: g.memo });
        p.take(g.from, v);
        p.add(g.to, v);
        granted += v;
      }
      await p.flush();
      for (const pay of PAYMENTS) {
        const v = p.share(pay.fund, pay.pct);
        if (v < 1) continue;
        const owner = fundOwner.get(pay.fund)!;
        const payeeName = orgName.get(pay.payee) ?? pay.payee;
        const purpose = pay.purpose(v, half);
        const id = `${tag}.pay.${pay.key}`;
        const invoice = doc(
          'invoice-2020-NN.pdf',
          `INVOICE ${tag}-${pay.key}\nSeller: ${payeeName}\nBuyer: ${orgName.get(owner)}\nFor: ${purpose}\nTotal: ${formatCny(v)}\n`,
        );
        p.post(owner, 'disbursement', id, { fund: pay.fund, amount: { currency: CURRENCY, value: String(v) }, payee: pay.payee, purpose, receipts: [invoice] });
        p.take(pay.fund, v);
        const s: Spent = { half, key: pay.key, payee: payeeName, purpose, value: v, confirmedBy: [] };
        spent.push(s);
        for (const c of pay.confirm) {
          const statement = c.statement(v, half);
          const evidence = doc(`${c.evidence}-2020-NN.pdf`, `${c.evidence.toUpperCase()} ${tag}-${pay.key}\nBy: ${orgName.get(c.by)}\n${statement}\n`);
          p.post(c.by, 'confirmation', `${id}.confirm.${c.by}`, { disbursement: id, statement, evidence: [evidence] });
          s.confirmedBy.push(orgName.get(c.by)!);
        }
      }
      await p.flush();
    };
    await spend(1);

    // 6. Mid-year, one charity rotates its signing key: the old key signs the change that
    // adds the new one and revokes itself; from then on the charity signs with the new key.
    const rotatingOld = (await log.org(ROTATING.id))!.keys[0]!.key as string;
    const rotatingOldSigner = p.keys.get(ROTATING.id)!;
    const tmp = path.join(keysDir, `${ROTATING.id}.key.new`);
    const newVerifier = p.newKey(ROTATING.id, tmp);
    const newSigner = p.keys.get(ROTATING.id)!;
    p.keys.set(ROTATING.id, rotatingOldSigner);
    p.post(ROTATING.id, 'org.keys', `${ROTATING.id}.keys.2020-07`, { org: ROTATING.id, add: [newVerifier], revoke: [rotatingOld] });
    await p.flush();
    p.keys.set(ROTATING.id, newSigner);
    fs.renameSync(tmp, path.join(keysDir, `${ROTATING.id}.key`));

    // 7. The second half of the year: more donations, more spending.
    donate(n - firstHalf);
    await p.flush();
    await spend(2);

    // 7b. Gift days (./gifts.ts): the platform posts each day's micro-donations of a channel
    // as one gift.batch into a campaign fund of its own (the batch file stored first, as
    // POST /v1/batches does); then each campaign grants to a local partner, who pays a
    // supplier, and the payee and the field auditors confirm the delivery. With more than
    // one batch a channel, the grant and the payment span many batches (FIFO, one lot each).
    const giftPlan = planGiftDays(giftCount, opts.giftsPerBatch);
    const batchIds: string[] = [];
    const giftPicks: Array<Omit<DemoGiftExample, 'hops'>> = [];
    if (giftPlan.length > 0) {
      const store = new GiftStore(dir, { maxCachedGifts: 1 });
      for (const c of GIFT_CAMPAIGNS) {
        for (const f of [c.fund, c.partner]) {
          p.post(f.owner, 'fund.open', `${f.id}.open`, { fund: f.id, name: f.name, currency: CURRENCY, restricted: true, purpose: f.purpose });
          p.balance.set(f.id, 0);
          fundName.set(f.id, f.name);
        }
      }
      await p.flush();
      let posted = 0;
      for (const b of giftPlan) {
        const records = makeGiftRecords(seed, b);
        const c = storeGiftBatch(store, records);
        p.post(PLATFORM.id, 'gift.batch', b.id, { fund: b.fund, amount: { currency: CURRENCY, value: c.total }, count: c.count, root: c.root });
        p.add(b.fund, Number(c.total));
        await p.flush();
        batchIds.push(b.id);
        posted += c.count;
        if (giftPlan.length > 4) say(`  gift batch ${b.id}: ${c.count.toLocaleString('en-US')} gifts (${posted.toLocaleString('en-US')} of ${giftCount.toLocaleString('en-US')})`);
        if (!giftPicks.some((g) => g.channel === b.channel)) {
          // one receipt per channel, from its first batch (which the grant below draws on)
          const index = sha256(`cotc-demo-gift-example-v1\n${seed}\n${b.id}`).digest().readUInt32BE(0) % c.count;
          const r = records[index]!;
          giftPicks.push({ batch: b.id, index, receiptSecret: demoGiftSecret(seed, b.id, index), channel: r.channel, measure: r.measure, amount: { currency: CURRENCY, value: r.amount }, fund: b.fund });
        }
      }
      for (const c of GIFT_CAMPAIGNS) {
        const grant = p.share(c.fund.id, 80);
        if (grant < 1) continue;
        p.post(c.fund.owner, 'transfer', `2020-gifts.grant.${c.partner.id}`, {
          from: c.fund.id,
          to: c.partner.id,
          amount: { currency: CURRENCY, value: String(grant) },
          memo: `grant to ${orgName.get(c.partner.owner)}: ${c.partner.name}`,
        });
        p.take(c.fund.id, grant);
        p.add(c.partner.id, grant);
      }
      await p.flush();
      for (const c of GIFT_CAMPAIGNS) {
        const v = p.share(c.partner.id, 75);
        if (v < 1) continue;
        const id = `2020-gifts.pay.${c.partner.id}`;
        const purpose = c.purpose(v);
        const invoice = doc('invoice-2020-NN.pdf', `INVOICE 2020-gifts-${c.partner.id}\nSeller: ${orgName.get(c.payee)}\nBuyer: ${orgName.get(c.partner.owner)}\nFor: ${purpose}\nTotal: ${formatCny(v)}\n`);
        p.post(c.partner.owner, 'disbursement', id, { fund: c.partner.id, amount: { currency: CURRENCY, value: String(v) }, payee: c.payee, purpose, receipts: [invoice] });
        p.take(c.partner.id, v);
        const s: Spent = { half: 2, key: `gifts.${c.partner.id}`, payee: orgName.get(c.payee)!, purpose, value: v, confirmedBy: [] };
        spent.push(s);
        for (const by of [c.payee, AUDITOR.id]) {
          const statement = c.statement(v);
          const evidence = doc(`${c.evidence}-2020-NN.pdf`, `${c.evidence.toUpperCase()} 2020-gifts-${c.partner.id}\nBy: ${orgName.get(by)}\n${statement}\n`);
          p.post(by, 'confirmation', `${id}.confirm.${by}`, { disbursement: id, statement, evidence: [evidence] });
          s.confirmedBy.push(orgName.get(by)!);
        }
      }
      await p.flush();
    }

    // 8. Read the traces back: enough donations must show their money granted, spent and
    // confirmed; the examples are chosen among them. Every trace is rebuilt from the
    // committed entries (one pass over the log); the examples and the first MIN_TRACED
    // are read again as the server answers them (traceBundle), and must agree.
    const hopsOf = await allTraces(log);
    const qualifies = (t: Trace | undefined) => {
      const types = new Set(t?.nodes.map((x) => x.type));
      return types.has('transfer') && types.has('disbursement') && types.has('confirmation');
    };
    const traced: Array<Donation & { hops: number }> = [];
    for (const d of donations) {
      if (d === refunded) continue;
      const t = hopsOf.get(d.id);
      if (!t) throw new DemoError(`demo: donation ${d.id} has no trace`);
      if (qualifies(t)) traced.push({ ...d, hops: t.nodes.length - 1 });
    }
    if (traced.length < MIN_TRACED) {
      throw new DemoError(`demo: only ${traced.length} donations reach a confirmed disbursement through a transfer (need ${MIN_TRACED})`);
    }
    const chosen = chooseExamples(traced);
    for (const d of new Set([...chosen, ...traced.slice(0, MIN_TRACED)])) {
      const b = await traceBundle(log, d.id);
      if (!b || !qualifies(b.trace) || b.trace.nodes.length - 1 !== d.hops) {
        throw new DemoError(`demo: the trace bundle of ${d.id} does not show its transfer, disbursement and confirmation`);
      }
    }
    const giftExamples: DemoGiftExample[] = [];
    for (const g of giftPicks) {
      const b = await traceBundle(log, g.batch);
      if (!b || !qualifies(b.trace)) throw new DemoError(`demo: the trace bundle of gift batch ${g.batch} does not show its transfer, disbursement and confirmation`);
      giftExamples.push({ ...g, hops: b.trace.nodes.length - 1 });
    }
    const examples = chosen.map((d) => ({
      id: d.id,
      receiptSecret: demoReceiptSecret(seed, d.id),
      hops: d.hops,
      fund: d.fund,
      channel: d.channel,
      amount: { currency: CURRENCY, value: String(d.value) },
    }));
    const examplesFile = path.join(dir, 'demo-examples.json');
    const fd = fs.openSync(examplesFile, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    try {
      const note = 'Demo donations and their receipt secrets (derived from the demo seed: never do this for real donations).';
      fs.writeSync(fd, JSON.stringify({ note, seed, server, examples, gifts: giftExamples }, null, 2) + '\n');
    } finally {
      fs.closeSync(fd);
    }

    // 9. The report.
    const live = donations.filter((d) => d !== refunded);
    const byChannel = (c: string) => live.filter((d) => d.channel === c);
    const sum = (ds: Donation[]) => ds.reduce((s, d) => s + d.value, 0);
    const gfg = byChannel('goods-for-good');
    const sfc = byChannel('steps-for-charity');
    const paid = spent.reduce((s, x) => s + x.value, 0);
    const unspent = [...p.balance.values()].reduce((s, v) => s + v, 0);
    say(`Charities on the Chain: demo ledger in ${dir} (seed ${seed})`);
    say('');
    say(`In 2020, shoppers and merchants on an e-commerce platform gave ${donations.length.toLocaleString('en-US')} small donations; after one refund, ${formatCny(sum(live))} in all:`);
    say(`  ${gfg.length.toLocaleString('en-US')} through Goods for Good (a share of each sale), ${formatCny(sum(gfg))};`);
    say(`  ${sfc.length.toLocaleString('en-US')} through Steps for Charity (about ${(sum(sfc) * 50 / 1e6).toFixed(1)} million steps walked), ${formatCny(sum(sfc))}.`);
    say(`  One order was returned, and its Goods for Good share refunded (${refunded.id}).`);
    say(`Three charities spent it, directly and through grants to three local partners, paying suppliers with invoices; payees and ${orgName.get(AUDITOR.id)} confirmed each delivery.`);
    say(`Grants to local partners: ${formatCny(granted)}. Paid out with invoices: ${formatCny(paid)}. Still in the funds: ${formatCny(unspent)}.`);
    for (const s of spent) say(`  H${s.half}: ${s.purpose} — ${formatCny(s.value)} to ${s.payee}; confirmed by ${s.confirmedBy.join(' and ')}`);
    say(`Mid-year, ${ROTATING.name} rotated its signing key (the old one is revoked).`);
    say('');
    say(`The log: ${log.size.toLocaleString('en-US')} entries, origin ${log.origin}, log key ${log.verifierKey}`);
    say(`${traced.length.toLocaleString('en-US')} donations can be followed to a confirmed delivery. Five of them (start the server with \`pnpm cotc serve --data ${dir}\`):`);
    for (const e of examples) {
      say(`  ${e.id}: ${formatCny(Number(e.amount.value))} via ${e.channel} to ${fundName.get(e.fund)}, ${e.hops} hops`);
      say(`    pnpm cotc verify ${e.id} --server ${server} --receipt ${e.receiptSecret}`);
    }
    if (giftPlan.length > 0) {
      const giftTotal = (ch: string) => giftPlan.filter((b) => b.channel === ch).reduce((n, b) => n + b.count, 0);
      say(`On ${giftPlan.length > 2 ? `${Math.ceil(giftPlan.length / 2)} days` : 'one day'}, ${giftCount.toLocaleString('en-US')} micro-donations came in batches (${giftTotal('goods-for-good').toLocaleString('en-US')} Goods for Good, ${giftTotal('steps-for-charity').toLocaleString('en-US')} Steps for Charity), ${giftPlan.length} log entries for all of them; each giver can prove their gift and its share of every hop:`);
      for (const g of giftExamples) {
        say(`  gift ${g.index} of ${g.batch}: ${formatCny(Number(g.amount.value))} (${g.measure}) to ${fundName.get(g.fund)}, ${g.hops} hops`);
        say(`    pnpm cotc verify ${g.batch} --gift ${g.index} --receipt ${g.receiptSecret} --server ${server}`);
        say(`    ${server}/donations/${g.batch}#gift=${g.index}&secret=${g.receiptSecret}`);
      }
    }
    say(`(Saved in ${examplesFile}; the charities' signing keys are in ${keysDir}.)`);

    return {
      dir,
      size: log.size,
      donations: donations.length,
      examples,
      orgs: [dd.operator, ...CAST.map((o) => o.id)],
      funds: FUNDS.map((f) => f.id),
      refunded: refunded.id,
      rotated: ROTATING.id,
      traced: traced.length,
      origin: log.origin,
      logKey: log.verifierKey,
      gifts: giftPlan.reduce((n, b) => n + b.count, 0),
      batches: batchIds,
      giftExamples,
    };
  } finally {
    await log.close();
  }
}

/** Up to EXAMPLES donations, one per fund in turn,
 * each the longest path in its fund (earliest on ties). */
function chooseExamples<T extends Donation & { hops: number }>(traced: T[]): T[] {
  const byFund = new Map<string, T[]>();
  for (const d of traced) {
    const l = byFund.get(d.fund) ?? [];
    l.push(d);
    byFund.set(d.fund, l);
  }
  for (const l of byFund.values()) l.sort((a, b) => b.hops - a.hops);
  // Campaign funds first (water filters, music, meals, training…), general funds after.
  const order = [...FUNDS.filter((f) => f.restricted), ...FUNDS.filter((f) => !f.restricted)].map((f) => f.id).filter((f) => byFund.has(f));
  const out: T[] = [];
  for (let round = 0; out.length < EXAMPLES && out.length < traced.length; round++) {
    for (const f of order) {
      const d = byFund.get(f)![round];
      if (d && out.length < EXAMPLES) out.push(d);
    }
  }
  return out;
}

/** The trace of every donation in the log, rebuilt from the committed entries in one pass:
 * each donation with the entries whose effects name it and the confirmations of those
 * disbursements (what the server's trace index holds), through buildTrace. */
async function allTraces(log: LogService): Promise<Map<string, Trace>> {
  const per = new Map<string, Entry[]>();
  const disbursed = new Map<string, string[]>(); // disbursement id → donations it took
  const size = log.size;
  for (let start = 0; start < size; start += 1000) {
    for (const data of await log.entries(start, 1000)) {
      const e = LogService.parseEntry(data);
      const ev = e.event;
      if (ev.type === 'donation') per.set(ev.id, [e]);
      const named = [...new Set(e.effects.map((x) => x.donation))];
      if (ev.type === 'disbursement') disbursed.set(ev.id, named);
      if (ev.type === 'confirmation') named.push(...(disbursed.get(ev.body.disbursement) ?? []));
      for (const d of named) per.get(d)?.push(e);
    }
  }
  const out = new Map<string, Trace>();
  for (const [id, entries] of per) out.set(id, buildTrace(id, entries));
  return out;
}
