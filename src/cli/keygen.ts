// `cotc keygen --name NAME [--out FILE]`: a new Ed25519 signed-note key pair. The signer
// key goes to FILE (default ./NAME.key), created exclusively with mode 0600 (an existing
// file is never overwritten); only the verifier key is printed.
import { generateKey, isValidName } from '@cotc/tlog';
import { writeKeyFile } from '../log/datadir.ts';
import { ID_RE, jsonText, usage, type Io } from './common.ts';
import { m } from './strings.ts';

export interface KeygenOptions {
  name: string;
  out?: string;
  json?: boolean;
}

export function keygenCommand(o: KeygenOptions, io: Io): number {
  if (!isValidName(o.name)) throw usage(m('keygen.badName', { name: JSON.stringify(o.name) }));
  if (o.out === '') throw usage(m('common.empty', { option: '--out' }));
  const file = o.out ?? `${o.name.replaceAll('/', '_')}.key`;
  const k = generateKey(o.name);
  try {
    writeKeyFile(file, k.signerKey);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw usage(m('keygen.exists', { file }));
    throw usage(m('file.cannotWrite', { option: '--out', file, reason: (e as Error).message }));
  }
  if (!ID_RE.test(o.name)) io.err(m('keygen.notOrgId', { name: o.name }));
  if (o.json) {
    io.out(jsonText({ name: o.name, file, verifierKey: k.verifierKey, orgId: ID_RE.test(o.name) }));
    return 0;
  }
  io.err(m('keygen.written', { file }));
  io.out(k.verifierKey);
  return 0;
}
