// The donor page's witness policy (issue 13): which witnesses must have cosigned the
// checkpoint, from the address (`?witness=VKEY&witness=VKEY&quorum=K`, pinned like ?key=)
// or, in the static build, from the policy baked into the page (meta cotc-witness-policy).
// The page then says, in words, who witnessed the checkpoint that proves the donation.
import type { VerifyResult } from '@cotc/verify';
import { t } from '../strings.ts';
import { h, u } from './dom.ts';

export interface PagePolicy { witnesses: string[]; quorum?: number }

/** The policy of the address, else the page's baked-in one, else none. */
export function pagePolicy(q: URLSearchParams): PagePolicy | undefined {
  const given = q.getAll('witness').map((w) => w.trim()).filter(Boolean);
  const quorum = q.get('quorum');
  if (given.length > 0) return { witnesses: given, quorum: quorum && /^[1-9][0-9]{0,5}$/.test(quorum) ? Number(quorum) : undefined };
  const m = document.querySelector('meta[name="cotc-witness-policy"]') as HTMLMetaElement | null;
  if (!m?.content) return undefined;
  try {
    const p = JSON.parse(m.content) as { witnesses?: unknown; quorum?: unknown };
    if (!Array.isArray(p.witnesses) || !p.witnesses.every((w) => typeof w === 'string') || p.witnesses.length === 0) return undefined;
    return { witnesses: p.witnesses as string[], quorum: typeof p.quorum === 'number' ? p.quorum : undefined };
  } catch {
    return undefined;
  }
}

/** verifyBundle's witness options for a policy. */
export function witnessOptions(p: PagePolicy | undefined): { witnessKeys?: string[]; witnessQuorum?: number } {
  if (!p) return {};
  return { witnessKeys: p.witnesses, ...(p.quorum !== undefined ? { witnessQuorum: p.quorum } : {}) };
}

/** Keeps the policy in the page's own links. */
export function keepPolicy(q: URLSearchParams, p: PagePolicy | undefined, fromAddress: boolean): void {
  if (!p || !fromAddress) return;
  for (const w of p.witnesses) q.append('witness', w);
  if (p.quorum !== undefined) q.set('quorum', String(p.quorum));
}

/** "Witnessed by A and B …", or why not, in words; null without a policy. */
export function witnessText(result: Pick<VerifyResult, 'witnesses'>): string | null {
  const r = result.witnesses;
  if (!r) return null;
  const names = r.cosigners.map((c) => u(c.name, 200));
  const list = names.length <= 1 ? names.join('') : t('witness.list', { first: names.slice(0, -1).join(', '), last: names[names.length - 1]! });
  return r.ok
    ? t('witness.ok', { names: list, count: r.cosigners.length, quorum: r.quorum })
    : t('witness.short', { names: list || t('witness.nobody'), count: r.cosigners.length, quorum: r.quorum });
}

/** The witness sentence as a box above the summary; null without a policy. */
export function witnessBox(result: VerifyResult): HTMLElement | null {
  const text = witnessText(result);
  if (text === null) return null;
  return h('p', { class: result.witnesses!.ok ? 'panel witnesses st-ok' : 'panel witnesses st-bad', id: 'witnessed', 'data-witnessed': result.witnesses!.ok ? 'ok' : 'short', role: 'status' }, text);
}

/** The policy as @cotc/verify's readCheckpoint takes it (quorum: all, unless given); null without one. */
export function checkpointPolicy(p: PagePolicy | undefined): { witnesses: string[]; quorum: number } | null {
  return p ? { witnesses: p.witnesses, quorum: p.quorum ?? p.witnesses.length } : null;
}
