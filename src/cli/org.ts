// `cotc org register …` (by the operator, with DIR/operator.key) and `cotc org keys …`
// (by the org itself, or the operator).
import path from 'node:path';
import { parseVerifierKey } from '@cotc/tlog';
import { m } from './strings.ts';
import { buildEvent, client, loadSignerKey, needId, needRoles, needText, needVerifierKey, postAndReport, printJson, randomId, usage, type Io } from './common.ts';

export interface OrgRegisterOptions {
  data: string;
  id: string;
  name: string;
  role: string[];
  key: string[];
  server: string;
  eventId?: string;
  json?: boolean;
}

export async function orgRegisterCommand(o: OrgRegisterOptions, io: Io): Promise<number> {
  const c = client(o.server);
  const org = needId(o.id, '--id');
  const name = needText(o.name, '--name', 256);
  const roles = needRoles(o.role);
  if (o.key.length === 0) throw usage(m('org.noKey'));
  for (const k of o.key) {
    needVerifierKey(k, '--key');
    const kn = parseVerifierKey(k).name;
    if (kn !== org) throw usage(m('org.keyName', { key: k, name: kn, org }));
  }
  if (new Set(o.key).size !== o.key.length) throw usage(m('org.keyTwice'));
  const op = loadSignerKey(path.join(o.data, 'operator.key'), '--data');
  const id = o.eventId !== undefined ? needId(o.eventId, '--event-id') : randomId('org-register');
  const ev = buildEvent(op, 'org.register', id, { org, name, roles, keys: o.key });
  const r = await postAndReport(c, ev, io, o.json);
  if (o.json) printJson(io, r.outcomes);
  return r.code;
}

export interface OrgKeysOptions {
  keyFile: string;
  org: string;
  add?: string[];
  revoke?: string[];
  server: string;
  eventId?: string;
  json?: boolean;
}

export async function orgKeysCommand(o: OrgKeysOptions, io: Io): Promise<number> {
  const c = client(o.server);
  const org = needId(o.org, '--org');
  const add = o.add ?? [];
  const revoke = o.revoke ?? [];
  if (add.length === 0 && revoke.length === 0) throw usage(m('org.nothing'));
  for (const k of add) {
    needVerifierKey(k, '--add');
    const kn = parseVerifierKey(k).name;
    if (kn !== org) throw usage(m('org.addName', { key: k, name: kn, org }));
  }
  for (const k of revoke) needVerifierKey(k, '--revoke');
  const key = loadSignerKey(o.keyFile, '--key-file');
  const id = o.eventId !== undefined ? needId(o.eventId, '--event-id') : randomId('org-keys');
  const ev = buildEvent(key, 'org.keys', id, { org, add, revoke });
  const r = await postAndReport(c, ev, io, o.json);
  if (o.json) printJson(io, r.outcomes);
  return r.code;
}
