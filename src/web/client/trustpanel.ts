// "How this was checked": which log key was trusted and why (pinned, remembered, or on
// first use), the checkpoint, consistency with what this browser saw before, witnesses.
import { openNote } from '@cotc/tlog';
import type { Problem, VerifyResult } from '@cotc/verify';
import { witnessText } from './witnesses.ts';
import { t } from '../strings.ts';
import type { Route } from './config.ts';
import { h, u } from './dom.ts';
import { num } from './locale.ts';
import { chooseTrust, type KeyConflict, type Trust } from './trust.ts';

/** Names of the note's signatures by keys other than the log key (witnesses this page does not know). */
export function otherSigners(note: unknown, logKey: string): string[] {
  if (typeof note !== 'string') return [];
  try {
    return openNote(note, [logKey]).unverified.map((x) => u(x.name, 80));
  } catch {
    return [];
  }
}

export function keyBlock(route: Route, trust: Trust): HTMLElement[] {
  const out: HTMLElement[] = [];
  const src = trust.source === 'pinned' ? t('trust.key.pinned') : trust.source === 'remembered' ? t('trust.key.remembered') : t('trust.key.tofu');
  out.push(
    h('dt', {}, t('trust.key')),
    h(
      'dd',
      {},
      h('code', { class: 'hash', id: 'log-key' }, u(trust.key, 200)),
      h('p', { class: trust.source === 'tofu' ? 'warn' : 'muted', id: 'key-source', 'data-source': trust.source }, trust.source === 'tofu' ? '⚠ ' : '', src),
      trust.replaced ? h('p', { class: 'warn', id: 'key-replaced' }, '⚠ ', t('trust.key.replaced', { old: u(trust.replaced, 200) })) : null,
      trust.declined ? h('p', { class: 'muted', id: 'key-declined' }, t('trust.key.declined', { other: u(trust.declined, 200) })) : null,
    ),
  );
  out.push(h('dt', {}, t('trust.server')), h('dd', {}, h('code', {}, u(trust.server, 200))));
  return out;
}

export function servedNote(route: Route): HTMLElement {
  return route.mode === 'server'
    ? h('p', { class: 'note', id: 'served-note' }, t('trust.servedBy'))
    : h('p', { class: 'note', id: 'served-note' }, t('trust.static', { server: u(route.server ?? '') }));
}

export function consistencyText(trust: Trust, problems: Problem[], size: number | null): HTMLElement {
  const bad = problems.find((p) => p.code === 'inconsistent_checkpoint' || p.code === 'rollback' || p.code === 'consistency_unavailable');
  if (bad) return h('dd', { class: 'st-bad', id: 'consistency', 'data-consistency': 'bad' }, t('trust.fork'), ' ', h('code', { class: 'code' }, bad.code), ' ', u(bad.message, 400));
  if (!trust.trusted) return h('dd', { id: 'consistency', 'data-consistency': 'first' }, t('trust.first'));
  if (size === trust.trusted.size) return h('dd', { class: 'st-ok', id: 'consistency', 'data-consistency': 'same' }, t('trust.same'));
  return h('dd', { class: 'st-ok', id: 'consistency', 'data-consistency': 'ok' }, t('trust.consistent', { size: num(trust.trusted.size) }));
}

export function trustPanel(route: Route, trust: Trust, result: { checkpoint: { size: number; root: string } | null; problems: Problem[]; witnesses?: VerifyResult['witnesses'] }, note: unknown): HTMLElement {
  const cp = result.checkpoint;
  const others = otherSigners(note, trust.key);
  return h(
    'section',
    { class: 'panel trust', 'aria-labelledby': 'trust-title' },
    h('h2', { id: 'trust-title' }, t('trust.title')),
    servedNote(route),
    h(
      'dl',
      { class: 'kv' },
      ...keyBlock(route, trust),
      h('dt', {}, t('trust.checkpoint')),
      cp ? h('dd', { class: 'st-ok' }, t('trust.checkpointText', { size: num(cp.size), root: cp.root.slice(0, 16) + '…' })) : h('dd', { class: 'st-bad' }, t('trust.checkpointBad')),
      h('dt', {}, t('trust.consistency')),
      consistencyText(trust, result.problems, cp?.size ?? null),
      h('dt', {}, t('trust.witnesses')),
      h('dd', { id: 'witnesses' }, witnessText(result) ?? t('trust.noWitnesses'), !result.witnesses && others.length ? h('p', { class: 'muted' }, t('trust.witnessSigs', { names: others.join(', ') })) : null),
    ),
  );
}

/**
 * The warning shown when a key given in the address (or offered by the server) differs
 * from the one this browser remembers for that log or server (issue 9): it names both
 * keys and changes nothing until the person chooses. Resolves with the trust chosen.
 */
export function askKey(after: Element, c: KeyConflict): Promise<Trust> {
  return new Promise((resolve) => {
    const params = { server: u(c.server, 200), offered: u(c.offered, 200), remembered: u(c.remembered, 200), origin: u(c.rememberedOrigin, 200), offeredOrigin: u(c.offeredOrigin, 200) };
    const text = c.by === 'server' ? t('trust.conflict.server', params) : c.rememberedOrigin === c.offeredOrigin ? t('trust.conflict.pinned', params) : t('trust.conflict.pinnedOther', params);
    const choose = (choice: 'keep' | 'replace') => {
      panel.remove();
      resolve(chooseTrust(c, choice));
    };
    const keep = h('button', { type: 'button', id: 'keep-key', class: 'primary' }, t('trust.conflict.keep'));
    const replace = h('button', { type: 'button', id: 'replace-key', class: 'danger' }, t('trust.conflict.replace'));
    keep.addEventListener('click', () => choose('keep'));
    replace.addEventListener('click', () => choose('replace'));
    const panel = h(
      'section',
      { class: 'panel conflict', id: 'key-conflict', role: 'alertdialog', 'aria-labelledby': 'conflict-title', 'aria-describedby': 'conflict-text', 'data-by': c.by },
      h('h2', { id: 'conflict-title' }, '⚠ ', t('trust.conflict.title')),
      h('p', { id: 'conflict-text', class: 'warn' }, text),
      h(
        'dl',
        { class: 'kv' },
        h('dt', {}, t('trust.conflict.rememberedLabel')),
        h('dd', {}, h('code', { class: 'hash', id: 'conflict-remembered' }, u(c.remembered, 200))),
        h('dt', {}, t('trust.conflict.offeredLabel')),
        h('dd', {}, h('code', { class: 'hash', id: 'conflict-offered' }, u(c.offered, 200))),
      ),
      h('p', { class: 'muted' }, t('trust.conflict.advice')),
      h('p', { class: 'actions' }, keep, ' ', replace),
    );
    after.after(panel);
    keep.focus();
  });
}
