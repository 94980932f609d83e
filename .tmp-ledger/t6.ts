import fc from 'fast-check';
import { canonicalize, parseIJson } from '../packages/ledger/src/canonical.ts';
import * as assert from 'uvu/assert';
const v = fc.sample(fc.dictionary(fc.constant('__proto__'), fc.constant(null), {minKeys: 1, maxKeys: 1}), 1)[0]!;
console.log(Object.getPrototypeOf(v), Object.keys(v), Object.getOwnPropertyNames(v), canonicalize(v));
const b = parseIJson(canonicalize(v));
try { assert.equal(b, v); console.log('ok') } catch (e) { console.log((e as Error).message) }
