// "Check a document" on a donation's page (issue 12): the donor drops a receipt or a
// delivery report on the box (or picks it); its SHA-256 is computed here with WebCrypto
// (crypto.subtle.digest: the file never leaves the browser) and matched against the
// receipt and evidence hashes of the proven steps (src/client/documents.ts). A path that
// did not verify proves no hash, so then nothing is matched.
import type { VerifyResult } from '@cotc/verify';
import { hex } from '@cotc/tlog';
import { matchDocument, provenDocuments } from '../../client/documents.ts';
import { t } from '../strings.ts';
import { clear, h, u } from './dom.ts';

/** Lowercase hex SHA-256 of the bytes, by WebCrypto. */
export async function sha256Hex(data: ArrayBuffer): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', data)));
}

export function documentBox(result: VerifyResult, eventName: (id: string) => string): HTMLElement {
  const docs = provenDocuments(result.nodes);
  const verified = result.ok || result.problems.every((p) => p.code === 'receipt_mismatch');
  const out = h('div', { id: 'document-result', role: 'status', 'aria-live': 'polite' });
  const box = h('section', { class: 'panel document-check', id: 'document-check', 'aria-labelledby': 'document-title' }, h('h2', { id: 'document-title' }, t('doc.title')));
  if (!verified) {
    box.append(h('p', { class: 'muted' }, t('doc.notVerified')));
    return box;
  }
  const input = h('input', { id: 'document-input', type: 'file' });
  const drop = h(
    'div',
    { class: 'drop', id: 'document-drop', tabindex: '0' },
    h('p', {}, t('doc.intro', { count: docs.length })),
    h('label', { for: 'document-input', class: 'button' }, t('doc.choose')),
    ' ',
    input,
    h('span', { class: 'muted' }, ' ', t('doc.drop')),
  );
  const check = async (file: File) => {
    clear(out);
    out.append(h('p', { class: 'muted' }, t('doc.working', { file: u(file.name) })));
    let hash: string;
    try {
      hash = await sha256Hex(await file.arrayBuffer());
    } catch (e) {
      clear(out);
      out.append(h('p', { class: 'doc-bad' }, t('doc.error', { file: u(file.name), reason: u((e as Error).message) })));
      return;
    }
    const found = matchDocument(hash, result.nodes);
    clear(out);
    out.setAttribute('data-match', found.length ? 'yes' : 'no');
    out.setAttribute('data-sha256', hash);
    if (found.length === 0) {
      out.append(h('p', { class: 'doc-none' }, h('span', { 'aria-hidden': 'true' }, '✗ '), t('doc.noMatch', { file: u(file.name), count: docs.length, hash })));
      return;
    }
    for (const d of found) {
      out.append(
        h(
          'p',
          { class: 'doc-ok' },
          h('span', { 'aria-hidden': 'true' }, '✓ '),
          t(d.kind === 'receipt' ? 'doc.matchReceipt' : 'doc.matchEvidence', { file: u(file.name), name: u(d.name), event: u(eventName(d.event)), seq: d.index }),
        ),
      );
    }
  };
  input.addEventListener('change', () => {
    const f = input.files?.[0];
    if (f) void check(f);
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = (e as DragEvent).dataTransfer?.files?.[0];
    if (f) void check(f);
  });
  box.append(drop, out);
  return box;
}
