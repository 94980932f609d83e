// Checking a document a donor holds against a verified trace (issue 12, "check a
// document"): the receipts of disbursements and the evidence of confirmations on the path
// are SHA-256 hashes in proven entries (DESIGN.md "Bodies": DocHash {sha256, name}); a
// file whose SHA-256, computed where the donor is (the CLI's node:crypto, the page's
// WebCrypto), equals one of them is that document. Only nodes the verifier proved (ok)
// count: a hash from an entry that did not verify proves nothing. Used by `cotc verify
// --document` and the donor page; no I/O here.
import type { NodeResult } from '@cotc/verify';

export interface ProvenDocument {
  sha256: string;
  /** the file name the poster gave (their words, shown escaped) */
  name: string;
  kind: 'receipt' | 'evidence';
  /** the disbursement (receipt) or confirmation (evidence) that carries it */
  event: string;
  index: number;
}

/** Every receipt and evidence hash of the proven nodes, in index order. */
export function provenDocuments(nodes: readonly NodeResult[]): ProvenDocument[] {
  const out: ProvenDocument[] = [];
  for (const n of [...nodes].sort((a, b) => a.index - b.index)) {
    if (!n.ok) continue;
    for (const d of n.receipts ?? []) out.push({ sha256: d.sha256.toLowerCase(), name: d.name, kind: 'receipt', event: n.event, index: n.index });
    for (const d of n.evidence ?? []) out.push({ sha256: d.sha256.toLowerCase(), name: d.name, kind: 'evidence', event: n.event, index: n.index });
  }
  return out;
}

/** The proven documents whose hash is `sha256` (lowercase hex of 64 digits); empty: no match. */
export function matchDocument(sha256: string, nodes: readonly NodeResult[]): ProvenDocument[] {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`matchDocument: sha256 must be 64 lowercase hex digits, got ${JSON.stringify(sha256).slice(0, 80)}`);
  return provenDocuments(nodes).filter((d) => d.sha256 === sha256);
}
