// `cotc verify <id> --document FILE` (issue 12, "check a document"): the file's SHA-256 is
// computed here (it never leaves the machine) and matched against the receipt and evidence
// hashes of the proven steps of the donation's path (src/client/documents.ts, shared with
// the donor page). Lines: `MATCH: …` or `NO MATCH: …` per file after the VERIFIED line;
// `NOT CHECKED: …` when the path did not verify (an unproven hash proves nothing).
import type { VerifyResult } from '@cotc/verify';
import { hashFiles, say } from './common.ts';
import { matchDocument, provenDocuments, type ProvenDocument } from '../client/documents.ts';
import { m } from './strings.ts';

export interface DocumentFile {
  file: string;
  sha256: string;
}

/** Hashes each --document file (a usage error, exit 2, when one cannot be read). */
export function readDocuments(files: string[] | undefined): DocumentFile[] {
  if (!files || files.length === 0) return [];
  return hashFiles(files, '--document').map((h, i) => ({ file: files[i]!, sha256: h.sha256 }));
}

export interface DocumentCheck extends DocumentFile {
  checked: boolean;
  matches: ProvenDocument[];
}

/** Each file against the proven documents of `r`; `verified` false: none is checked. */
export function checkDocuments(docs: DocumentFile[], r: VerifyResult | undefined, verified: boolean): DocumentCheck[] {
  return docs.map((d) => ({ ...d, checked: verified && r !== undefined, matches: verified && r ? matchDocument(d.sha256, r.nodes) : [] }));
}

/** The lines a person reads, one or more per file. */
export function documentLines(checks: DocumentCheck[], r: VerifyResult | undefined): string[] {
  const count = r ? provenDocuments(r.nodes).length : 0;
  const lines: string[] = [];
  for (const c of checks) {
    const file = say(c.file, 500);
    if (!c.checked) {
      lines.push(`NOT CHECKED: ${m('document.notChecked', { file })}`);
      continue;
    }
    if (c.matches.length === 0) {
      lines.push(`NO MATCH: ${m('document.noMatch', { file, hash: c.sha256, count })}`);
      continue;
    }
    for (const d of c.matches) {
      lines.push(`MATCH: ${m(d.kind === 'receipt' ? 'document.matchReceipt' : 'document.matchEvidence', { file, hash: c.sha256, name: say(d.name, 256), event: say(d.event, 140), seq: d.index })}`);
    }
  }
  return lines;
}

/** The `documents` field of `verify --json`. */
export function documentsJson(checks: DocumentCheck[]): unknown[] {
  return checks.map((c) => ({ file: c.file, sha256: c.sha256, checked: c.checked, matched: c.matches.length > 0, matches: c.matches }));
}
