// The charities' shortcuts: fund, donate, disburse, confirm, transfer, reverse. Each
// builds one event, signs it with --key (whose name is the posting org) and posts it to
// --server, printing what was posted (type, id, seq) and the size of the checkpoint its
// inclusion proof is against.
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
  randomId,
  type Io,
} from './common.ts';

interface Common {
  key: string;
  server: string;
}

async function postOne<T extends EventType>(o: Common, type: T, id: string, body: BodyByType[T], io: Io, before?: () => void): Promise<number> {
  const c = client(o.server);
  const key = loadSignerKey(o.key);
  const ev = buildEvent(key, type, id, body) as Envelope;
  before?.();
  return (await postAndReport(c, ev, io)).code;
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
}

export function donateCommand(o: DonateOptions, io: Io): Promise<number> {
  const fund = needId(o.fund, '--fund');
  const amount = parseAmount(o.amount, needCurrency(o.currency));
  const id = o.id !== undefined ? needId(o.id, '--id') : randomId('don');
  const channel = needText(o.channel, '--channel', 256);
  if (o.receipt !== undefined) needText(o.receipt, '--receipt', 1024);
  const secret = o.receipt ?? newReceiptSecret();
  const body = { fund, amount, donor: donorCommitment(id, secret), channel };
  return postOne(o, 'donation', id, body, io, () => {
    io.out(`donation ${id}: ${formatAmount(amount)} (${amount.value} minor units) into ${fund}`);
    // Printed before posting, so a lost answer cannot lose the donor's receipt.
    if (o.receipt === undefined) io.out(`receipt: donation ${id} secret ${secret}`);
    io.out(`the donor can check it: pnpm cotc verify ${id} --server ${o.server} --receipt ${o.receipt === undefined ? secret : 'SECRET'}`);
  });
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
    io.out(`disbursement ${id}: ${formatAmount(amount)} (${amount.value} minor units) from ${fund} to ${payee}`);
    for (const r of receipts) io.out(`  receipt ${r.name} sha256 ${r.sha256}`);
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
    for (const r of evidence) io.out(`  evidence ${r.name} sha256 ${r.sha256}`);
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
    io.out(`transfer ${id}: ${formatAmount(amount)} (${amount.value} minor units) from ${from} to ${to}`);
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
