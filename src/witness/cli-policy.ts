// The witness policy flags `verify` and `audit` share: `--witness VKEY` (repeatable) with
// `--quorum K` (default: all given), or `--witness-policy FILE` (JSON, see
// packages/verify/src/witness.ts parseWitnessPolicy). Bad flags are usage errors (exit 2).
import fs from 'node:fs';
import { needPolicy, parseWitnessPolicy, type WitnessPolicy, type WitnessReport } from '@cotc/verify';
import { usage, say } from '../cli/common.ts';
import { m } from '../cli/strings.ts';

export interface WitnessFlags { witness?: string[]; quorum?: string; witnessPolicy?: string }

export function witnessPolicyFromFlags(o: WitnessFlags): WitnessPolicy | null {
  const keys = o.witness ?? [];
  if (o.witnessPolicy !== undefined) {
    if (keys.length > 0 || o.quorum !== undefined) throw usage(m('witness.policyBoth'));
    let text: string;
    try {
      text = fs.readFileSync(o.witnessPolicy, 'utf8');
    } catch (e) {
      throw usage(m('witness.policyRead', { file: o.witnessPolicy, reason: (e as Error).message }));
    }
    try {
      return parseWitnessPolicy(text);
    } catch (e) {
      throw usage(`--witness-policy: ${o.witnessPolicy}: ${(e as Error).message}`);
    }
  }
  if (keys.length === 0) {
    if (o.quorum !== undefined) throw usage(m('witness.quorumNeeds'));
    return null;
  }
  let quorum = keys.length;
  if (o.quorum !== undefined) {
    if (!/^[1-9][0-9]{0,5}$/.test(o.quorum)) throw usage(m('witness.quorumBad', { got: o.quorum }));
    quorum = Number(o.quorum);
  }
  try {
    return needPolicy({ witnesses: keys, quorum });
  } catch (e) {
    throw usage(`--witness/--quorum: ${(e as Error).message}`);
  }
}

/** "witnessed by a.example and b.example (2 of the 2 needed)", names escaped, in the CLI's language. */
export function witnessedWords(report: WitnessReport | undefined): string {
  if (!report) return '';
  const names = report.cosigners.map((c) => say(c.name, 200));
  const list = names.length <= 1 ? names.join('') : m('witness.and', { a: names.slice(0, -1).join(m('witness.comma')), b: names[names.length - 1]! });
  return m('witness.by', { list: list || m('witness.noOne'), n: report.cosigners.length, quorum: report.quorum });
}
