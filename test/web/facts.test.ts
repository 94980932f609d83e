// The page's collapsing of moves between one org's own funds (src/web/client/facts.ts,
// issue 9: "a charity hid a payment by bouncing 1 fen 10,001 times between its own funds"):
// a chain of verified internal moves becomes one step that keeps the money in and out and
// the unspent rest; a chain with a problem, a short one, or a move signed with an
// operator-installed key is drawn move by move.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FlowResult, NodeResult, VerifyResult } from '@cotc/verify';
import { collapseMoves, type PageNode } from '../../src/web/client/facts.ts';

const signer = { org: 'sunshine', key: 'sunshine+00000000+AA' };
const node = (event: string, index: number, extra: Partial<NodeResult> = {}): NodeResult => ({ event, type: 'transfer', index, ok: true, problems: [], signer, internal: true, ...extra });
const flow = (from: string, to: string, value: string, ok = true): FlowResult => ({ from, to, value, ok, problems: ok ? [] : ['bad'] });

/** donation → m0 → m1 → … → m(n-1) → payment, each move 90 (10 left in each of the first two). */
function chain(n: number, tweak: (nodes: NodeResult[], flows: FlowResult[]) => void = () => {}): VerifyResult {
  const nodes: NodeResult[] = [{ event: 'gift', type: 'donation', index: 0, ok: true, problems: [], amount: '100', unspent: '0', fund: 'general' }];
  const flows: FlowResult[] = [];
  let prev = 'gift';
  for (let i = 0; i < n; i++) {
    nodes.push(node(`m${i}`, i + 1, { amount: '100', unspent: i < 2 ? '10' : '0', fund: `hold-${i}`, from: i === 0 ? 'general' : `hold-${i - 1}` }));
    flows.push(flow(prev, `m${i}`, i === 0 ? '100' : i <= 2 ? '90' : '80'));
    prev = `m${i}`;
  }
  nodes.push({ event: 'pay', type: 'disbursement', index: n + 1, ok: true, problems: [], amount: '80' });
  flows.push(flow(prev, 'pay', '80'));
  tweak(nodes, flows);
  return { ok: true, checkpoint: { origin: 'o', size: n + 2, root: '00'.repeat(32) }, problems: [], nodes, flows };
}

test('a chain of internal moves is one step with the money in, out and left', () => {
  const r = collapseMoves(chain(10));
  assert.equal(r.nodes.map((n) => n.event), ['gift', 'm0', 'pay']);
  const c = r.nodes[1]!;
  assert.is(c.moves?.events.length, 10);
  assert.is(c.moves?.org, 'sunshine');
  assert.is(c.amount, '100');
  assert.is(c.unspent, '20');
  assert.equal(
    r.flows.map((f) => `${f.from}>${f.to}:${f.value}`),
    ['gift>m0:100', 'm0>pay:80'],
  );
});

test('short chains, a chain with a failed flow, and operator-signed moves are drawn move by move', () => {
  assert.equal(collapseMoves(chain(2)).nodes.map((n) => n.event), ['gift', 'm0', 'm1', 'pay']);
  const failed = collapseMoves(chain(5, (_n, f) => (f[3]!.ok = false)));
  assert.is(failed.nodes.length, 7, 'a problem is never folded away');
  const op = collapseMoves(chain(7, (n) => (n[4]!.signer = { ...signer, installedBy: 'operator' })));
  // m3 is signed with an operator-installed key: m0–m2 and m4–m6 are chains of 3, m3 stands alone.
  assert.equal(op.nodes.map((n: PageNode) => `${n.event}${n.moves ? `×${n.moves.events.length}` : ''}`), ['gift', 'm0×3', 'm3', 'm4×3', 'pay']);
  // A move to another org's fund (not internal) breaks the chain too.
  const grant = collapseMoves(chain(3, (n) => delete n[2]!.internal));
  assert.is(grant.nodes.length, 5);
});

test.run();
