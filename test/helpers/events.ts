// Test helpers: building and signing events as a charity's system would.
import { generateKey } from '@cotc/tlog';
import { donorCommitment, signEvent, type BodyByType, type EventType, type Envelope } from '@cotc/ledger';

let counter = 0;
export function uid(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

export function now(offsetMs = 0): string {
  return new Date(Date.now() + offsetMs).toISOString();
}

export interface Org {
  id: string;
  signerKey: string;
  verifierKey: string;
}

export function newOrg(id: string): Org {
  const k = generateKey(id);
  return { id, signerKey: k.signerKey, verifierKey: k.verifierKey };
}

export function ev<T extends EventType>(org: Org, type: T, body: BodyByType[T], id = uid(type.replace('.', '-'))): Envelope<T> {
  return signEvent({ v: 1, type, id, org: org.id, time: now(), body } as never, org.signerKey) as Envelope<T>;
}

export const cny = (value: string | number) => ({ currency: 'CNY', value: String(value) });
export const donor = (id: string, secret = 'secret-' + id) => donorCommitment(id, secret);
export const sha = (c: string) => c.repeat(64).slice(0, 64);
