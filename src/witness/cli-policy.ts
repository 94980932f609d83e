// The witness policy flags `verify` and `audit` share: `--witness VKEY` (repeatable) with
// `--quorum K` (default: all given), or `--witness-policy FILE` (JSON, see
// packages/verify/src/witness.ts parseWitnessPolicy). Bad flags are usage errors (exit 2).
import fs from 'node:fs';
import { needPolicy, parseWitnessPolicy, type WitnessPolicy, type WitnessReport } from '@cotc/verify';
import { usage, say } from '../cli/common.ts';

export interface WitnessFlags { witness?: string[]; quorum?: string; witnessPolicy?: string }

export function witnessPolicyFromFlags(o: WitnessFlags): WitnessPolicy | null {
  const keys = o.witness ?? [];
  if (o.witnessPolicy !== undefined) {
    if (keys.length > 0 || o.quorum !== undefined) throw usage('--witness-policy: give either a policy file or --witness/--quorum, not both');
    let text: string;
    try {
      text = fs.readFileSync(o.witnessPolicy, 'utf8');
    } catch (e) {
      throw usage(`--witness-policy: cannot read ${o.witnessPolicy}: ${(e as Error).message}`);
    }
    try {
      return parseWitnessPolicy(text);
    } catch (e) {
      throw usage(`--witness-policy: ${o.witnessPolicy}: ${(e as Error).message}`);
    }
  }
  if (keys.length === 0) {
    if (o.quorum !== undefined) throw usage('--quorum: needs --witness');
    return null;
  }
  let quorum = keys.length;
  if (o.quorum !== undefined) {
    if (!/^[1-9][0-9]{0,5}$/.test(o.quorum)) throw usage(`--quorum: expected a positive integer, got ${o.quorum}`);
    quorum = Number(o.quorum);
  }
  try {
    return needPolicy({ witnesses: keys, quorum });
  } catch (e) {
    throw usage(`--witness/--quorum: ${(e as Error).message}`);
  }
}

/** "witnessed by a.example and b.example (2 of the 2 needed)", names escaped. */
export function witnessedWords(report: WitnessReport | undefined): string {
  if (!report) return '';
  const names = report.cosigners.map((c) => say(c.name, 200));
  const list = names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return `witnessed by ${list || 'no one'} (${report.cosigners.length} of the ${report.quorum} needed)`;
}
