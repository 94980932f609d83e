// The charities' shortcuts: fund, donate, disburse, confirm, transfer, reverse. Each
// builds one event, signs it with --key (whose name is the posting org) and posts it to
// --server, printing what was posted (type, id, seq) and the size of the checkpoint its
// inclusion proof is against; with --json, one JSON document instead (README "The CLI").
import { donorCommitment, newReceiptSecret, type BodyByType, type Envelope, type EventType } from '@cotc/ledger';
import {
  buildEvent,
  client,
  formatAmount,
  hashFiles,
  loadSignerKey,
  needCurrency,
  needId,
  needText,
  parseAmount,
  postAndReport,
  printJson,
  randomId,
  usage,
  type Io,
} from './common.ts';
import { m } from './strings.ts';

interface Common {
  key: string;
  server: string;
  json?: boolean;
}

async function postOne<T extends EventType>(o: Common, type: T, id: string, body: BodyByType[T], io: Io, before?: () => void): Promise<number> {
  const c = client(o.server);
  const key = loadSignerKey(o.key);
  const ev = buildEvent(key, type, id, body) as Envelope;
  if (!o.json) before?.();
  const r = await postAndReport(c, ev, io, o.json);
  if (o.json) printJson(io, r.outcomes);
  return r.code;
}

export interface FundOptions extends Common {
  id: string;
  name: string;
  currency: string;
  restricted?: boolean;
  purpose: string;
  eventId?: string;
}

export function fundCommand(o: FundOptions, io: Io): Promise<number> {
  const body = {
    fund: needId(o.id, '--id'),
    name: needText(o.name, '--name', 256),
    currency: needCurrency(o.currency),
    restricted: o.restricted === true,
    purpose: needText(o.purpose, '--purpose', 256),
  };
  const id = o.eventId !== undefined ? needId(o.eventId, '--event-id') : randomId('fund-open');
  return postOne(o, 'fund.open', id, body, io);
}

export interface DonateOptions extends Common {
  fund: string;
  amount: string;
  currency: string;
  id?: string;
  channel: string;
  receipt?: string;
  /** where to write the receipt's QR code as SVG (default: none) */
  qrSvg?: string;
  /** false: no QR code in the terminal */
  qr?: boolean;
}

/**
 * The donor's receipt as a link to the donor page: the secret is in the fragment (after
 * #), which a browser never sends to a server (README "The donor's page"), so only the
 * donor's own browser sees it.
 */
export function receiptLink(server: string, id: string, secret: string): string {
  return `${server.replace(/\/+$/, '')}/donations/${encodeURIComponent(id)}#secret=${encodeURIComponent(secret)}`;
}

/**
 * Records a donation. The receipt is printed only once the ledger accepted it (issue 12
 * item 7): a rejected donation has no receipt. When the answer is lost (network), the
 * donation may or may not be in the log, so the receipt is printed with that said: a
 * lost answer never loses the donor's secret.
 */
export async function donateCommand(o: DonateOptions, io: Io): Promise<number> {
  const fund = needId(o.fund, '--fund');
  const amount = parseAmount(o.amount, needCurrency(o.currency));
  const id = o.id !== undefined ? needId(o.id, '--id') : randomId('don');
  const channel = needText(o.channel, '--channel', 256);
  if (o.receipt !== undefined) needText(o.receipt, '--receipt', 1024);
  if (o.qrSvg === '') throw usage(m('common.empty', { option: '--qr-svg' }));
  const secret = o.receipt ?? newReceiptSecret();
  const body = { fund, amount, donor: donorCommitment(id, secret), channel };
  const c = client(o.server);
  const key = loadSignerKey(o.key);
  const ev = buildEvent(key, 'donation', id, body) as Envelope;
  const link = receiptLink(c.base, id, secret);
  if (!o.json) io.out(m('donate.posting', { id, amount: formatAmount(amount), fund }));
  let r: Awaited<ReturnType<typeof postAndReport>>;
  try {
    r = await postAndReport(c, ev, io, o.json);
  } catch (e) {
    // No answer: the donation may be in the log. The donor keeps the secret either way.
    io.err(m('donate.lost', { id, link }));
    throw e;
  }
  if (r.code !== 0) {
    if (o.json) printJson(io, r.outcomes);
    else io.out(m('donate.noReceipt', { id }));
    return r.code;
  }
  const { receiptQr } = await import('./qr.ts');
  const qr = receiptQr(link);
  // Written after the donation is in the log: a file that cannot be written is reported
  // (exit 2) but never hides the receipt, which is printed all the same.
  let svgProblem: string | undefined;
  if (o.qrSvg !== undefined) {
    try {
      qr.writeSvg(o.qrSvg);
    } catch (e) {
      svgProblem = m('file.cannotWrite', { option: '--qr-svg', file: o.qrSvg, reason: (e as Error).message });
    }
  }
  const svg = o.qrSvg !== undefined && !svgProblem ? { qrSvg: o.qrSvg } : {};
  if (o.json) {
    printJson(io, r.outcomes, { donation: { id, fund, amount, channel }, receipt: { id, secret, link, ...svg } });
  } else {
    io.out(m('donate.receipt', { id, secret }));
    io.out(m('donate.link', { link }));
    if (o.qr !== false) io.out(qr.terminal());
    if (o.qrSvg !== undefined && !svgProblem) io.out(m('donate.qrSvg', { file: o.qrSvg }));
    io.out(m('donate.check', { id, server: c.base, receipt: secret }));
  }
  if (svgProblem) {
    io.err(`cotc: ${svgProblem}`);
    return 2;
  }
  return 0;
}

export interface DisburseOptions extends Common {
  fund: string;
  amount: string;
  currency: string;
  payee: string;
  purpose: string;
  receiptFile?: string[];
  id?: string;
}

export function disburseCommand(o: DisburseOptions, io: Io): Promise<number> {
  const fund = needId(o.fund, '--fund');
  const amount = parseAmount(o.amount, needCurrency(o.currency));
  const payee = needText(o.payee, '--payee', 256);
  const purpose = needText(o.purpose, '--purpose', 256);
  const receipts = hashFiles(o.receiptFile, '--receipt-file');
  const id = o.id !== undefined ? needId(o.id, '--id') : randomId('dis');
  return postOne(o, 'disbursement', id, { fund, amount, payee, purpose, receipts }, io, () => {
    io.out(m('disburse.posting', { id, amount: formatAmount(amount), fund, payee }));
    for (const r of receipts) io.out(m('doc.receipt', { name: r.name, hash: r.sha256 }));
  });
}

export interface ConfirmOptions extends Common {
  disbursement: string;
  statement: string;
  evidenceFile?: string[];
  id?: string;
}

export function confirmCommand(o: ConfirmOptions, io: Io): Promise<number> {
  const disbursement = needId(o.disbursement, '--disbursement');
  const statement = needText(o.statement, '--statement', 1024);
  const evidence = hashFiles(o.evidenceFile, '--evidence-file');
  const id = o.id !== undefined ? needId(o.id, '--id') : randomId('conf');
  return postOne(o, 'confirmation', id, { disbursement, statement, evidence }, io, () => {
    for (const r of evidence) io.out(m('doc.evidence', { name: r.name, hash: r.sha256 }));
  });
}

export interface TransferOptions extends Common {
  from: string;
  to: string;
  amount: string;
  currency: string;
  memo: string;
  id?: string;
}

export function transferCommand(o: TransferOptions, io: Io): Promise<number> {
  const from = needId(o.from, '--from');
  const to = needId(o.to, '--to');
  const amount = parseAmount(o.amount, needCurrency(o.currency));
  const memo = needText(o.memo, '--memo', 1024);
  const id = o.id !== undefined ? needId(o.id, '--id') : randomId('tr');
  return postOne(o, 'transfer', id, { from, to, amount, memo }, io, () => {
    io.out(m('transfer.posting', { id, amount: formatAmount(amount), from, to }));
  });
}

export interface ReverseOptions extends Common {
  event: string;
  reason: string;
  id?: string;
}

export function reverseCommand(o: ReverseOptions, io: Io): Promise<number> {
  const event = needId(o.event, '--event');
  const reason = needText(o.reason, '--reason', 1024);
  const id = o.id !== undefined ? needId(o.id, '--id') : randomId('rev');
  return postOne(o, 'reversal', id, { event, reason }, io);
}
