// Every string the donor page shows, in tables keyed by message id: English (en),
// Simplified Chinese (zh-CN) and Thai (th), each with every key (the type says so); the
// page picks one (client/locale.ts: ?lang=, remembered, navigator.languages). `{name}` is
// a placeholder filled by t(). test/web/strings.test.ts fails on a user-visible literal in
// the client that bypasses the tables. Messages that come from the verifier (@cotc/verify
// problem messages) are English and are shown as they are, next to their stable code
// (e.g. bad_inclusion_proof); what the data says (names, purposes) is shown as written.

export const en = {
  'app.name': 'Charities on the Chain',
  'app.tagline': 'Where did the gift go? Checked in your browser.',
  'nav.home': 'Find a donation',
  'nav.log': 'The log',
  'nav.skip': 'Skip to content',
  'footer.text':
    'Every check on this page runs in your browser with @cotc/verify and trusts only the log’s public key: the checkpoint’s signature, every inclusion proof, every signature, every amount.',
  'noscript': 'This page verifies donations in your browser and needs JavaScript. The same checks are available on the command line: pnpm cotc verify <donation-id> --server URL.',
  'loading': 'Loading…',
  'lang.label': 'Language',
  'time.utc': '{time} UTC',

  // Home
  'home.title': 'Where did my gift go?',
  'home.intro':
    'Enter the id of your donation to see the path of the money — through funds and grants to payments and confirmed deliveries — with every step checked against the public log. Add the receipt secret you were given to prove the donation is yours.',
  'home.donation': 'Donation id',
  'home.donationHint': 'The id on your receipt, for example gfg-2020-000123.',
  'home.secret': 'Receipt secret (optional)',
  'home.secretHint': 'Stays in this browser: it is put after # in the address, which is never sent to any server.',
  'home.server': 'Ledger server URL',
  'home.serverHint': 'The server to ask, e.g. https://ledger.example.org. Any server will do: answers are checked with the log key.',
  'home.key': 'Log key (optional on first use)',
  'home.keyHint': 'The log’s public key, name+hexid+base64, as the charity publishes it. Without it the server’s own key is trusted on first use and remembered.',
  'home.submit': 'Show and verify',
  'home.recent': 'Recent donations',
  'home.noServer': 'Choose a ledger server to start.',
  'home.badId': 'A donation id is 1 to 128 letters, digits or . _ : - and starts with a letter or digit.',
  'home.badServer': 'Enter an http:// or https:// URL.',
  'home.badKey': 'This is not a log key (name+hexid+base64): {reason}',

  // Status
  'status.loading': 'Checking this donation against the log…',
  'status.verified': 'Verified',
  'status.verifiedText':
    'Every step below is in the log — proven by an inclusion proof against a checkpoint of {size} entries signed by the log key — signed by its organisation, and the amounts add up.',
  'status.failed': 'Verification failed',
  'status.failedText': '{count} problem(s) found. What the server claims below is not proven: see the reasons.',
  'status.mismatch': 'This receipt does not match this donation',
  'status.mismatchText':
    'The path of the money below is verified: every step is proven against a checkpoint of {size} entries signed by the log key. Only the receipt secret you gave is not this donation’s: check it for a typo, or it belongs to another donation.',
  'status.notFound': 'Not in the log',
  'status.notFoundText': 'The server says there is no donation {id} in the log.',
  'status.error': 'Could not check',
  'status.errorText': 'The ledger server could not be reached or answered oddly: {reason}',
  'status.refused': 'The server refuses to show this trace',
  'status.refusedText': 'It answered {status} {code}: {reason}. Nothing about this donation is proven here.',
  'status.badId': 'This is not a donation id.',

  // Donation summary
  'donation.title': 'Donation {id}',
  'donation.amount': 'Amount',
  'donation.channel': 'Given through',
  'donation.fund': 'Into fund',
  'donation.org': 'Received by',
  'donation.time': 'Recorded',
  'donation.seq': 'Log entry',
  'donation.delivered': 'Paid and delivered (confirmed)',
  'donation.awaiting': 'Paid, awaiting confirmation',
  'donation.unspent': 'Not yet spent',
  'donation.state': 'What happened',
  'donation.refundedText': 'This donation was refunded: {amount} went back to the donor.',
  'donation.fundPurpose': 'What the fund is for:',
  'doc.title': 'Check a document',
  'doc.intro': 'Have a receipt or a delivery report? Drop it here or choose it: its SHA-256 fingerprint is computed in this browser (the file is never sent anywhere) and compared with the {count} documents proven on this path.',
  'doc.choose': 'Choose a file',
  'doc.drop': 'or drop it on this box',
  'doc.working': 'Computing the fingerprint of {file}…',
  'doc.matchReceipt': '{file} is the receipt “{name}” of the payment {event}, proven in the log (entry #{seq}).',
  'doc.matchEvidence': '{file} is the delivery evidence “{name}” of the confirmation {event}, proven in the log (entry #{seq}).',
  'doc.noMatch': '{file} matches none of the {count} documents proven on this path (its SHA-256 is {hash}).',
  'doc.notVerified': 'Documents can be checked only against a verified path, and this one is not.',
  'doc.error': 'Could not read {file}: {reason}',
  'receipt.matched': 'Your receipt secret matches: this donation is yours.',
  'receipt.mismatch': 'This receipt does not match this donation: the secret may be mistyped, or it belongs to another donation.',
  'receipt.notGiven': 'Have the receipt secret? Enter it to prove this donation is yours. It stays in this browser.',
  'receipt.label': 'Receipt secret',
  'receipt.submit': 'Check',

  // Trust
  'trust.title': 'How this was checked',
  'trust.key': 'Log key',
  'trust.key.pinned': 'Pinned: given in the link or form you used.',
  'trust.key.remembered': 'Remembered by this browser from an earlier visit to this server.',
  'trust.key.tofu':
    'Trusted on first use: this browser had no key for this server, so it took the one the server gives (GET /v1/log) and remembered it. Compare it with the key the charity publishes.',
  'trust.key.replaced': 'You chose to trust this key instead of the one this browser remembered ({old}); the checkpoint remembered under the old key was forgotten.',
  'trust.key.declined': 'You kept the key this browser remembered; the other key ({other}) was not used and is not remembered.',
  'trust.key.otherAddress': 'This log is known to this browser from another address: the checkpoint seen there is the one this answer must be consistent with.',
  'trust.conflict.title': 'Which log key do you trust?',
  'trust.conflict.waiting': 'Waiting for your choice',
  'trust.conflict.status': 'A different log key: nothing is checked or changed until you choose.',
  'trust.conflict.pinned':
    'The address you opened gives the log key {offered} for {server}, but this browser remembers the key {remembered} for log {origin}. A log does not change its key: another key is another log, or someone pretending to be this one.',
  'trust.conflict.pinnedOther':
    'The address you opened gives the log key {offered} (log {offeredOrigin}) for {server}, but this browser remembers {server} serving log {origin} with the key {remembered}.',
  'trust.conflict.server':
    'The server {server} now gives the log key {offered}, but this browser remembers the key {remembered} for log {origin}. A log does not change its key: another key is another log, or someone pretending to be this one.',
  'trust.conflict.advice': 'Compare both with the key the charity publishes. Replacing the remembered key forgets the checkpoint remembered under it, so a fork from before could no longer be caught.',
  'trust.conflict.rememberedLabel': 'Remembered key',
  'trust.conflict.offeredLabel': 'New key',
  'trust.conflict.keep': 'Keep the remembered key',
  'trust.conflict.replace': 'Trust the new key instead',
  'trust.servedBy':
    'This page was served by the server it checks. A dishonest server could also change the page itself; for a check that does not depend on it, open the static verifier (pnpm build:web → dist/web/index.html, hostable anywhere or from disk) pinned to the log key.',
  'trust.static': 'Static verifier: this page is not served by the ledger; it asks {server} and checks every answer with the log key.',
  'trust.checkpoint': 'Checkpoint',
  'trust.checkpointText': '{size} entries, root {root}, signed by the log key ✓',
  'trust.checkpointBad': 'The checkpoint did not verify ✗',
  'trust.consistency': 'Consistency',
  'trust.consistent': 'Consistent with the checkpoint of {size} entries this browser saw before: the log only grew ✓',
  'trust.same': 'The same checkpoint this browser saw before ✓',
  'trust.first': 'First visit from this browser: the checkpoint is remembered, and later visits check that the log only grew.',
  'trust.fork': 'The log is not consistent with what this browser saw before ✗',
  'trust.witnesses': 'Witnesses',
  'trust.noWitnesses': 'None yet: no independent witness cosigns this log’s checkpoints, so only the log key vouches for them.',
  'trust.witnessSigs': 'Also signed by: {names} (keys this page does not know; not checked).',
  'trust.server': 'Server',

  // Diagram
  'diagram.title': 'Where the money went',
  'diagram.desc': 'From the donation (left) through funds and grants to payments and confirmed deliveries (right). Band widths are proportional to amounts.',
  'diagram.descPhone': 'From the donation (top) through funds and grants to payments and confirmed deliveries (bottom), with the amount that went each way. Tap a step to see its details.',
  'diagram.legend.awaiting': 'awaiting confirmation',
  'diagram.legend.ok': 'verified',
  'diagram.legend.bad': 'failed',
  'diagram.legend.unspent': 'not yet spent',
  'diagram.legend.confirms': 'confirms delivery',
  'diagram.label': 'The path of donation {id}: {count} steps. Use Tab to move between steps and Enter to see details.',
  'diagram.unspent': 'Not yet spent',
  'diagram.of': 'of {amount}',
  'diagram.toFund': '→ {fund}',
  'diagram.toPayee': 'to {payee}',
  'diagram.by': 'by {org}',
  'diagram.undoes': 'undoes {event}',
  'diagram.ok': '✓ Verified',
  'diagram.bad': '✗ {reason}',
  'diagram.nodeLabel': '{type} {amount}. {status}',
  'diagram.empty': 'No steps to draw.',
  'list.title': 'The path as a list',

  'type.donation': 'Donation',
  'type.transfer': 'Transfer / grant',
  'type.disbursement': 'Payment',
  'type.confirmation': 'Delivery confirmed',
  'type.reversal': 'Reversal',
  'type.internal': 'Internal move',
  'type.other': 'Event {type}',
  'state.delivered': 'Delivered, confirmed by {org}',
  'state.awaiting': 'Paid, awaiting confirmation of delivery',
  'state.refunded': 'Refunded to the donor',
  'state.returned': 'Returned: the money came back to {fund}',
  'state.movedBack': 'Moved back to {fund}',
  'state.inFund': 'Still in fund {fund}',
  'diagram.internalBy': 'between {org}’s own funds',
  'diagram.moves': 'Moved {count} times',
  'diagram.restricted': 'restricted to: {purpose}',
  'diagram.operatorKey': '⚠ operator-added key',

  // Reasons, short, by verifier code
  'reason.bad_inclusion_proof': 'Not proven in the log',
  'reason.bad_checkpoint_signature': 'Checkpoint not signed by the log key',
  'reason.bad_checkpoint': 'Bad checkpoint',
  'reason.bad_event_signature': 'Bad signature',
  'reason.unknown_key': 'Signed by an unknown key',
  'reason.revoked_key': 'Signed by a revoked key',
  'reason.forbidden': 'Not allowed to sign this',
  'reason.bad_key': 'A key change the ledger refuses',
  'reason.already_exists': 'Registers an organisation twice',
  'reason.unknown_org': 'Changes the keys of an unknown organisation',
  'reason.bad_entry_encoding': 'Entry bytes malformed',
  'reason.bad_entry': 'Entry malformed',
  'reason.bad_chain': 'Hash chain broken',
  'reason.missing_entry': 'Entry missing',
  'reason.bad_effects': 'Amounts do not add up',
  'reason.bad_amount': 'Amount out of range',
  'reason.trace_mismatch': 'Differs from the log',
  'reason.conservation': 'Money not conserved',
  'reason.inconsistent_checkpoint': 'Log forked',
  'reason.rollback': 'Log rolled back',
  'reason.consistency_unavailable': 'Consistency not checked',
  'reason.missing_witness': 'Witness missing',
  'witness.ok': 'Witnessed by {names}: {count} of the {quorum} independent witnesses you asked for cosigned this checkpoint, so the log cannot be showing you a history they did not see.',
  'witness.short': 'Not witnessed enough: only {count} of the {quorum} witnesses you asked for cosigned this checkpoint (signed by: {names}). The log may be showing you a history others do not see.',
  'witness.list': '{first} and {last}',
  'witness.nobody': 'none of them',
  'reason.bad_continuity': 'Money not from the fund it left',
  'reason.unauthorised_confirmation': 'Confirmed by someone not entitled to',
  'reason.self_confirmation': 'Confirmed by the payer itself',
  'reason.restricted_fund': 'Restricted money moved out',
  'reason.bad_pages': 'Trace pages do not fit together',
  'reason.malformed_bundle': 'Malformed answer',
  'reason.duplicate_entry': 'Entry given twice',
  'reason.entry_out_of_order': 'Entries out of order',
  'reason.not_in_log': 'Not in the log',
  'reason.wrong_donation': 'Another donation’s trace',
  'reason.witness_quorum': 'Too few witnesses',
  'reason.other': 'Failed',

  // Details
  'details.title': 'Details',
  'details.placeholder': 'Select a step in the diagram — click it, or Tab to it and press Enter — to see who signed it, its documents and its proof.',
  'details.type': 'Type',
  'details.id': 'Event id',
  'details.seq': 'Log entry (seq)',
  'details.signer': 'Signed by',
  'details.signerKey': 'Signing key',
  'details.unsigned': 'not verified',
  'details.time': 'Posted at',
  'details.loggedAt': 'Logged at',
  'details.share': 'Money of this donation',
  'details.eventAmount': 'Whole event',
  'details.fund': 'Fund now holding it',
  'details.from': 'From fund',
  'details.payee': 'Payee',
  'details.purpose': 'Purpose',
  'details.memo': 'Memo',
  'details.statement': 'Statement',
  'details.confirms': 'Confirms',
  'details.reverses': 'Reverses',
  'details.reason': 'Reason',
  'details.unspent': 'Not yet spent here',
  'details.receipts': 'Receipt documents',
  'details.evidence': 'Evidence documents',
  'details.proof': 'Inclusion proof',
  'details.proofText': 'Entry {index} in a tree of {size} entries; leaf hash {leaf}; {count} hashes up to the checkpoint’s root:',
  'details.noProof': 'No inclusion proof in the answer.',
  'details.problems': 'What failed',
  'details.status.ok': '✓ Verified: in the log, signed, amounts add up.',
  'details.status.bad': '✗ Not verified.',
  'details.close': 'Close details',
  'details.signerOperator': 'signed with a key the log operator installed for {org}, not by the org itself',
  'details.restricted': 'Restricted to',
  'details.restrictedText': '{purpose} (a restricted fund: its money may leave only by payment for this purpose or to another restricted fund)',
  'details.internal': 'A move between two funds of {org}: the money stayed with {org}.',
  'details.moves': 'Moved {count} times between {org}’s own funds, from {first} (entry {firstIndex}) to {last} (entry {lastIndex}), each move verified; shown as one step.',
  'details.movesList': 'The moves',
  'details.movesMore': '… and {count} more',
  'operator.title': 'Signed with keys the log operator installed',
  'operator.text': '{count} step(s) of this path were signed with a key the log operator installed for the organisation, not by the organisation itself: the operator, not the organisation, may hold such a key.',
  'operator.item': '{event}: signed with a key the log operator installed for {org}, not by the org itself',
  'details.unspentNode': 'This part of the donation is still in fund {fund}: it has not been passed on or paid out yet.',

  'problems.title': 'Problems found',
  'problems.at': 'entry {index}',

  // Log page
  'log.title': 'The log',
  'log.intro': 'The public, append-only log every donation and every move of money is written to. Its checkpoints are signed by the log key; this page checks them.',
  'log.size': 'Entries',
  'log.origin': 'Origin',
  'log.checkpoint': 'Latest checkpoint',
  'log.checkpointOk': 'Signature by the log key verified ✓',
  'log.checkpointBad': 'The checkpoint did not verify ✗: {reason}',
  'log.recent': 'Recent donations',
  'log.noDonations': 'No donations yet.',
  'log.search': 'Find an event by id',
  'log.searchLabel': 'Event id',
  'log.searchSubmit': 'Find',
  'log.searchNotFound': 'No event {id} in the log.',
  'log.searchProven': '✓ Entry {index} is in the log: its inclusion proof leads to a checkpoint of {size} entries signed by the log key.',
  'log.searchUnproven': '✗ Entry {index} is not proven: {reason}',
  'log.searchSigNote': 'Signatures are checked on a donation’s page (its trace carries the organisations’ keys) or by a full audit (pnpm cotc audit).',
  'log.openDonation': 'Open the path of this donation',
  'log.keyChanged': 'The server now announces a different log key ({now}) than the one this browser trusts. Checking with the trusted key.',
  'log.entry': 'Entry',
  'log.col.donation': 'Donation',
  'log.col.amount': 'Amount',
  'log.col.fund': 'Fund',
  'log.col.seq': 'Entry',

  'notFound.title': 'Page not found',
  'notFound.text': 'There is nothing at this address.',
  // Gifts in batches (issue 15)
  'type.gift.batch': 'Gift batch',
  'gift.batchOf': 'gift batch of {count}',
  'gift.title': 'Gift {index} of batch {batch}',
  'gift.amount': 'Your gift',
  'gift.channel': 'Channel',
  'gift.measure': 'What was measured',
  'gift.inBatch': 'In the batch',
  'gift.inBatchText': 'one of {count} gifts, {total} in all',
  'gift.receipt.matched': 'Your receipt secret matches: this gift is yours.',
  'gift.receipt.mismatch': 'This receipt does not open this gift: the secret or the gift number may be mistyped.',
  'gift.receipt.notGiven': 'Have the receipt secret of this gift? Add it to prove the gift is yours. It stays in this browser.',
  'gift.proof.title': 'How your gift is proven: gift → batch total → log → checkpoint',
  'gift.proof.leaf': 'Your gift record, {amount}, hashed:',
  'gift.proof.level': 'Level {level}: with its neighbours, {sum} together:',
  'gift.proof.total': '= the root and the total the batch commits to: {total} from {count} gifts',
  'gift.proof.log': 'The batch is entry #{index} of the log, signed, its inclusion proven',
  'gift.proof.checkpoint': 'in the signed checkpoint of {size} entries.',
  'gift.share.title': 'Your gift’s share of every step',
  'gift.share.rule': 'Each step of the batch’s money is divided among its gifts in proportion to their amounts, rounded so that all the gifts’ shares add up exactly to the step.',
  'gift.share.flow': '{from} → {to}: your share {share} of {value}',
  'gift.share.held': 'Still in {fund}: your share {share} of {value}',
  'gift.yourShare': 'Your share: {amount}',
  'gift.yourGift': 'Your gift: {amount}',
  'gift.status.verifiedText': 'Your gift and every step of its batch are proven in the log’s checkpoint of {size} entries.',
  'gift.status.failedText': 'Your gift could not be proven ({count} problem(s)): what the server says about it is not proven.',
  'gift.status.notFound': 'Gift not found',
  'gift.status.notFoundText': 'The server has no gift {gift} in batch {id}.',
  'home.gift': 'Gift number (optional)',
  'home.giftHint': 'For a gift in a batch (Goods for Good, Steps for Charity): the gift number on your receipt, with the batch id above.',
  'home.badGift': 'A gift number is 0, 1, 2, … (or a gift id of 64 hex digits).',
} as const;

export type MessageId = keyof typeof en;
export type Messages = { [K in MessageId]: string };

/** The languages the page speaks, each by its own name (the switcher shows these). */
export type Lang = 'en' | 'zh-CN' | 'th';
export const LANGS: ReadonlyArray<{ code: Lang; name: string }> = [
  { code: 'en', name: 'English' },
  { code: 'zh-CN', name: '简体中文' },
  { code: 'th', name: 'ไทย' },
];

/** The page's language for a BCP 47 tag (zh, zh-CN, zh-Hans-… → zh-CN; th-TH → th; en-GB → en), or null. */
export function matchLanguage(tag: string): Lang | null {
  const t0 = tag.trim().toLowerCase();
  if (!t0) return null;
  if (t0 === 'zh' || t0.startsWith('zh-cn') || t0.startsWith('zh-hans') || t0.startsWith('zh-sg') || t0.startsWith('zh-my')) return 'zh-CN';
  if (t0 === 'th' || t0.startsWith('th-')) return 'th';
  if (t0 === 'en' || t0.startsWith('en-')) return 'en';
  return null;
}

import { th } from './strings-th.ts';
import { zhCN } from './strings-zh.ts';

export const TABLES: Record<Lang, Messages> = { en, 'zh-CN': zhCN, th };

let table: Messages = en;
let current: Lang = 'en';

/** Replaces the table (a translation); missing ids fall back to English. */
export function setMessages(m: Partial<Messages>): void {
  table = { ...en, ...m };
}

/** Chooses the language of every later t(). */
export function setLanguage(lang: Lang): void {
  current = lang;
  table = TABLES[lang];
}

export function language(): Lang {
  return current;
}

/** The message `id`, with `{name}` placeholders filled from `params`. */
export function t(id: MessageId, params: Record<string, string | number> = {}): string {
  const s = table[id] ?? en[id] ?? id;
  return s.replace(/\{([a-zA-Z]+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

/** The short reason for a verifier problem code. */
export function reason(code: string): string {
  const id = `reason.${code}` as MessageId;
  return id in en ? t(id) : t('reason.other');
}
