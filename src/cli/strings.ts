// Every string of the CLI's human output, in tables keyed by message id: English (en, the
// keys), Simplified Chinese (zh-CN, strings-zh.ts) and Thai (th, strings-th.ts), each with
// every key (the type says so). The language follows the environment (LC_ALL, LC_MESSAGES,
// LANG: src/cli/lang.ts), as the page follows the browser's (src/web/strings.ts).
// `{name}` is a placeholder filled by m(). test/web/strings.test.ts fails on a sentence in
// src/cli/*.ts that bypasses the tables.
//
// What stays as it is in every language: the stable markers scripts look for at the start
// of a line (VERIFIED:, FAILED:, PROBLEM:, WARNING:, MATCH:, NO MATCH:, NOT CHECKED:) and the codes after them
// (receipt_mismatch, not_in_log…), option names, what the data says (names, purposes), the
// verifier's problem messages and the path tree drawn by @cotc/verify (English, next to
// their stable code), and --help (commander's, English).
import { envLanguage } from './lang.ts';
import type { Lang } from '../web/strings.ts';

export const en = {
  'list.sep': '; ',
  'cli.bothSpellings': '{a} and {b} are two spellings of one option: give one',
  'cli.required': "required option '{option}' not specified",

  'common.notUrl': '{option}: {value} is not an http(s) URL',
  'common.notPort': '{option}: {value} is not a port number',
  'common.noKeyFile': '{option}: no key file {file}',
  'common.keyFileIsDir': '{option}: {file} is a directory, not a key file',
  'common.keyFileRefused': '{option}: refused: {reason}',
  'common.notSignerKey': '{option}: {file} does not hold a signer key: {reason}',
  'common.notId': '{option}: {value} is not an id (letters, digits and . _ : -, starting with a letter or digit, at most 128)',
  'common.empty': '{option}: must not be empty',
  'common.tooLong': '{option}: {n} characters, at most {max} allowed',
  'common.badUnicode': '{option}: not well-formed Unicode',
  'common.noRole': '{option}: give at least one role ({roles})',
  'common.unknownRole': '{option}: unknown role {role}; roles are {roles}',
  'common.roleTwice': '{option}: a role is given twice',
  'common.didYouMean': ' (did you mean {value}?)',
  'common.notCurrency': '{option}: {value} is not a currency code (3 capital letters, ISO 4217: CNY, USD, EUR…){hint}',

  'amount.noMinor': '{currency} has no minor unit: give a whole number like 1234',
  'amount.help': 'give a decimal with exactly {d} fraction digits ({example}), or minor units as an integer (1234)',
  'amount.digits1': '{option}: {value} has 1 fraction digit, {currency} has {d}: {help}',
  'amount.digits': '{option}: {value} has {got} fraction digits, {currency} has {d}: {help}',
  'amount.notAmount': '{option}: {value} is not an amount: {help}',
  'amount.zero': '{option}: {value}: the amount must be more than zero',
  'amount.tooBig': '{option}: {value} is more than 2^63-1 minor units',

  'file.missing': '{option}: cannot read {file}: no such file',
  'file.isDir': '{option}: cannot read {file}: it is a directory',
  'file.cannotRead': '{option}: cannot read {file}: {reason}',
  'file.cannotWrite': '{option}: cannot write {file}: {reason}',
  'file.itsName': '{option} {file} (its name)',

  'post.accepted': 'accepted {what}: seq {seq}, leaf {leaf}',
  'post.inCheckpoint': ', included in checkpoint of size {size}',
  'post.duplicate': ' (already in the log: the identical event was posted before)',
  'post.rejected': 'rejected {what}: {status} {code}: {message}',
  'post.rejectedArray': 'rejected the whole array of {n}: {status} {code}: {message}',
  'post.serverFailed': '--server: {server} failed: {status} {code} {message}',
  'post.notJson': 'FILE: {name} is not JSON: {reason}',
  'post.batch': 'FILE: {name}: an array of events must hold 1 to {max}, got {n}',
  'post.eventN': '{name}: event {i}',
  'post.notObject': 'FILE: {where} is not a JSON object',
  'post.hasSig': 'FILE: {where} already has a sig; post unsigned events (the CLI signs them with --key)',
  'post.missing': 'FILE: {where} has no {field}',
  'post.otherOrg': 'FILE: {where} is by org {org} but --key is a key of {name}: an event is signed by a key of its own org',
  'post.canonical': 'FILE: {where} cannot be encoded canonically: {reason}',

  'donate.posting': 'donation {id}: {amount} into {fund}',
  'donate.receipt': 'receipt: donation {id} secret {secret}',
  'donate.link': "the donor's receipt, a link to open or to scan: {link}",
  'donate.qrSvg': 'the same link as a QR code: {file}',
  'donate.check': 'the donor can check it: pnpm cotc verify {id} --server {server} --receipt {receipt}',
  'donate.noReceipt': 'no receipt: donation {id} is not in the log',
  'donate.lost': "the ledger's answer was lost: donation {id} may or may not be in the log. Keep this receipt and check it later: {link}",
  'disburse.posting': 'disbursement {id}: {amount} from {fund} to {payee}',
  'transfer.posting': 'transfer {id}: {amount} from {from} to {to}',
  'doc.receipt': '  receipt {name} sha256 {hash}',
  'doc.evidence': '  evidence {name} sha256 {hash}',

  'org.noKey': '--verifier-key: give at least one verifier key of the org',
  'org.keyName': "--verifier-key: the key {key} is named {name}; an org's keys must be named by its id ({org}): make one with cotc keygen --name {org}",
  'org.keyTwice': '--verifier-key: a key is given twice',
  'org.nothing': 'give --add KEY or --revoke KEY (or both): a key change with nothing in it',
  'org.addName': '--add: the key {key} is named {name}, not {org}',

  'keygen.badName': "--name: {name} is not a key name (non-empty, no spaces, no '+')",
  'keygen.exists': '--out: {file} already exists; refusing to overwrite a key file (choose another --out)',
  'keygen.notOrgId': 'cotc keygen: note: {name} is not an org id, so this key can sign checkpoints or notes but not events',
  'keygen.written': 'cotc keygen: signer key written to {file} (mode 600); keep it secret. Verifier key:',

  'state.cannotRead': 'cannot read state file {file}: {reason}',
  'state.notJson': 'state file {file} is not JSON; move it aside to start afresh',
  'state.unknown': 'state file {file} has an unknown format',

  'trust.givenPinned': '--log-key gives {key}',
  'trust.givenServer': '{server} now gives the log key {key}',
  'trust.wasLog': 'the key remembered for log {origin} is {key}',
  'trust.wasServer': '{server} was remembered serving log {origin} with key {key}',

  'verify.conflict':
    'cotc verify: {given}, but {was} (in {state}): refusing. A log does not change its key: another key is another log, or an impostor. If you know the log changed its key, pass --replace-log-key (the new key is then trusted and the checkpoint remembered under the old one is forgotten).',
  'verify.noLogKey': '--server: {server}/v1/log gives no log key',
  'verify.replacing': 'cotc verify: --replace-log-key: trusting {key} for log {origin} instead of {old}; the checkpoint remembered under the old key is forgotten (saved in {state} once this verifies)',
  'verify.tofu': "cotc verify: trusting {server}'s log key on first use: {key} (remembered in {state}; pass --log-key to pin one)",
  'verify.otherAddress': 'cotc verify: {server} serves log {origin}, known from another address: checking it against the checkpoint of {size} entries seen there',
  'verify.notInLog': 'donation {id} is not in the log at {server}',
  'verify.notJson': "the server's answer is not JSON",
  'verify.refused': 'the server refuses to give the trace of donation {id}: {status} {message}',
  'verify.noTree': 'cotc verify: cannot draw the path: {reason}',
  'verify.receiptMismatch': "the receipt secret does not open donation {id}'s donor commitment",
  'verify.didNotVerify': 'the bundle did not verify',
  'verify.calmMismatch': "This receipt does not match donation {id}. The path of the money above is verified; only the receipt secret you gave is not this donation's: check it for a typo, or it belongs to another donation.",
  'verify.cannotSave': 'cotc verify: verified, but cannot save {state}: {reason}',
  'verified.donation': 'donation {id}',
  'verified.donationOf': 'donation {id} of {amount} into {fund}',
  'verified.events1': '1 event on its path proven in checkpoint {size} of {origin} (root {root}), signed by {key}',
  'verified.events': '{n} events on its path proven in checkpoint {size} of {origin} (root {root}), signed by {key}',
  'verified.receipt': 'receipt matched: the donation is yours',
  'verified.consistent': 'consistent with checkpoint {size} seen before',
  'verified.operator': '{n} signed with a key the log operator installed (see above)',
  'where.seq': 'seq {seq}',
  'where.atSeq': 'at seq {seq}',
  'where.event': 'event {event}',
  'operator.signedAs': '{event} (signed as {org})',
  'operator.more': ', and {n} more',
  'operator.warning1': '1 event signed with a key the log operator installed for the org, not by the org itself: {list}{more}. The operator, not the org, may hold such a key.',
  'operator.warning': '{n} events signed with a key the log operator installed for the org, not by the org itself: {list}{more}. The operator, not the org, may hold such a key.',

  'document.matchReceipt': '{file} (sha256 {hash}) is the receipt "{name}" of disbursement {event} (seq {seq}), proven on this path',
  'document.matchEvidence': '{file} (sha256 {hash}) is the evidence "{name}" of confirmation {event} (seq {seq}), proven on this path',
  'document.noMatch': "{file} (sha256 {hash}) is none of the {count} receipt and evidence documents proven on this donation's path",
  'document.notChecked': '{file}: not checked, because the path did not verify (its hashes prove nothing)',
  'gift.badIndex': '--gift: expected the gift index of the receipt (0, 1, 2, …)',
  'gift.notInLog': 'gift {index} of batch {batch}: {status} {message}',
  'gift.receipt': '; receipt matched: the gift is yours',
  'gift.verified': 'gift {index} of {batch}: {amount} in the batch total {total}{receipt}; its share of what left the batch: {spent}',
  'gift.head': 'gift {index} of batch {batch}: {amount} ({channel}, {measure})',
  'gift.step.leaf': '  the gift record: hash {hash} holding {sum}',
  'gift.step.level': '  level {level}: hash {hash} holding {sum}',
  'gift.step.total': '  = the batch\'s root {root} and total {total} of {count} gifts, in log entry {entry}, proven in the checkpoint',
  'gift.shares': '  its share of every hop:',
  'gift.share': '    {from} → {to}: {share} of {value}',
  'gift.held': '    still in {fund} (by {event}): {share} of {value}',
  'audit.oneSource': 'cotc audit: give exactly one of --server URL, --data DIR (or --store URL) or --tiles URL',
  'audit.storeNoKey': 'cotc audit: --store: no log key for {id}: give --log-key KEY, or --data DIR holding its log.key',
  'audit.tofu': "cotc audit: trusting {server}'s log key on first use: {key}",
  'audit.noStore': 'cotc audit: --data: {dir} holds no store (no {store})',
  'audit.storeFails': 'cotc audit: the store of {where} fails its checks',
  'audit.locked': 'cotc audit: cannot open the store in {dir}: another process holds it (is a server running on it?): {reason}',
  'audit.cannotOpen': 'cotc audit: cannot open the store in {dir}: {reason}',
  'audit.conflict': 'cotc audit: {id} has log key {key}, but {was} (in {state}): refusing. If you know the log changed its key, pass --replace-log-key (its remembered checkpoint is then forgotten), or use another --state.',
  'audit.replacing': 'cotc audit: --replace-log-key: trusting {key} instead of {old}',
  'audit.wrongAnswer': 'cotc audit: {id} answers what was not asked for',
  'audit.problems': 'cotc audit: {n} problem(s) found in {id}',
  'audit.clean': 'cotc audit: clean. {what}: every hash, the hash chain, every signature, every state change and every effects list; checkpoint {cp} root {root}{extra}',
  'audit.replayed': '{size} entries replayed in {seconds} s',
  'audit.resumed': '{n} new entries replayed in {seconds} s (resumed from entry {from}; the {from} before were replayed by an earlier audit)',
  'audit.resumedVerified': '{n} new entries replayed in {seconds} s (resumed from entry {from}; the {from} before were replayed by an earlier audit and verified on {at})',
  'audit.consistent': ', consistent with checkpoint {size} seen before',
  'audit.operatorCount': '; {n} event(s) signed with keys the log operator installed (listed above)',
  'audit.batchFiles': '; {checked} of {batches} gift batch files ({gifts} gifts) rebuilt and matching their roots and totals',
  'audit.batchMissing': '; {n} gift batch file(s) not held here, not checked',
  'audit.noBatchDir': '--batches: {dir} holds no batches/ directory',
  'audit.operator1': 'cotc audit: 1 event signed with a key the log operator installed for {orgs}, not by the org itself (the operator, not the org, may hold such a key):',
  'audit.operator': 'cotc audit: {n} events signed with a key the log operator installed for {orgs}, not by the org itself (the operator, not the org, may hold such a key):',
  'audit.orgs': '{n} orgs',
  'audit.operatorLine': 'seq {seq}: {type} {event} signed as {org} with {key}, installed by the operator at seq {at}',
  'audit.more': '… and {n} more',

  'progress.bar': 'replay {bar} {percentage}% | {value}/{total} entries | {speed}/s | {left}',
  'progress.line': 'replay: {done}/{total} entries ({pct}%), {speed} entries/s',
  'progress.etaUnknown': 'time left: working it out',
  'progress.hMin': '{h} h {min} min left',
  'progress.minS': '{min} min {s} s left',
  'progress.s': '{s} s left',

  'demo.badDonations': '--donations: expected an integer from {min} to {max}, got {got}',
  'demo.badGifts': '--gifts: expected an integer from 0 to {max}, got {got}',
  'demo.badSeed': '--seed: expected an integer, got {got}',
  'demo.written': 'cotc: demo ledger of {size} entries written to {data}',
  'demo.writtenIn': 'cotc: demo ledger of {size} entries written to {data} in {seconds} s',

  'serve.badOrigin': '--origin: {origin} is not a log name: {reason}',
  'serve.demoExists': 'cotc: {data} exists; serving it as it is (--demo fills only a new data directory)',
  'serve.opening': 'cotc: opening the ledger in {data}…',
  'serve.openingVerify': 'cotc: opening the ledger in {data}, checking every store file first (--verify-store: about 6 s per GiB)…',
  'serve.stillStarting': 'cotc: still starting ({s} s)…',
  'serve.newKeys':
    "a new log: its keys were just made, mode 0600:\n  {log} (signs every checkpoint: it is the log's identity)\n  {operator} (signs organisation registrations)\nBack up both now, somewhere safe and offline. Without log.key nobody can sign this log again; whoever copies it can sign as this log. Never send them anywhere.",
  'serve.serving': 'cotc: serving {origin} (size {size}) at {url}',
  'serve.servingAs': 'cotc: serving {origin} (size {size}) at {url} as the {role}',
  'serve.logKey': 'cotc: log key {key}',

  'migrate.current': 'cotc: {where} is at schema version {to}; nothing to do',
  'migrate.done': 'cotc: {where} migrated from schema version {from} to {to}',
  'witness.noLog': '--log: give the verifier key of at least one log to witness',
  'witness.badName': '--name: a key name (no spaces, no "+"), e.g. witness.example.org/w1',
  'witness.serving': 'cotc: witness {name} at {url} (POST {url}/add-checkpoint)',
  'witness.key': 'cotc: witness key {key}',
  'witness.log': 'cotc: witnessing {origin} (cosigned up to size {size})',

  'stop.stopping': 'cotc: {signal}: stopping (closing connections and the store)…',
  'stop.stopped': 'cotc: stopped cleanly',
  'stop.failed': 'cotc: stopping failed: {reason}',
  'stop.forced': 'cotc: stopped at once (a second Ctrl-C)',
  'stop.interrupted': 'cotc: interrupted (Ctrl-C): not finished',
} as const;

export type CliMessageId = keyof typeof en;
export type CliMessages = { [K in CliMessageId]: string };

import { thCli } from './strings-th.ts';
import { zhCli } from './strings-zh.ts';

export const CLI_TABLES: Record<Lang, CliMessages> = { en, 'zh-CN': zhCli, th: thCli };

let table: CliMessages | null = null;

/** Chooses the language of every later m() (default: the environment's, at the first m()). */
export function setCliLanguage(lang: Lang): void {
  table = CLI_TABLES[lang];
}

/** The message `id` in the CLI's language, with `{name}` placeholders filled from `params`. */
export function m(id: CliMessageId, params: Record<string, string | number> = {}): string {
  table ??= CLI_TABLES[envLanguage()];
  const s = table[id] ?? en[id] ?? id;
  return s.replace(/\{([a-zA-Z]+)\}/g, (x, k: string) => (k in params ? String(params[k]) : x));
}
