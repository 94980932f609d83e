// `cotc keygen --name NAME [--out FILE]`: a new Ed25519 signed-note key pair. The signer
// key goes to FILE (default ./NAME.key), created exclusively with mode 0600 (an existing
// file is never overwritten); only the verifier key is printed.
import { generateKey, isValidName } from '@cotc/tlog';
import { writeKeyFile } from '../log/datadir.ts';
import { ID_RE, usage, type Io } from './common.ts';

export interface KeygenOptions {
  name: string;
  out?: string;
}

export function keygenCommand(o: KeygenOptions, io: Io): number {
  if (!isValidName(o.name)) throw usage(`--name: ${JSON.stringify(o.name)} is not a key name (non-empty, no spaces, no '+')`);
  if (o.out === '') throw usage('--out: must not be empty');
  const file = o.out ?? `${o.name.replaceAll('/', '_')}.key`;
  const k = generateKey(o.name);
  try {
    writeKeyFile(file, k.signerKey);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw usage(`--out: ${file} already exists; refusing to overwrite a key file (choose another --out)`);
    throw usage(`--out: cannot create ${file}: ${(e as Error).message}`);
  }
  if (!ID_RE.test(o.name)) io.err(`cotc keygen: note: ${o.name} is not an org id, so this key can sign checkpoints or notes but not events`);
  io.err(`cotc keygen: signer key written to ${file} (mode 600); keep it secret. Verifier key:`);
  io.out(k.verifierKey);
  return 0;
}
