// C2SP tlog-checkpoint text: round trip, the spec's example, and every malformation refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { base64 } from '../../packages/tlog/src/bytes.ts';
import { formatCheckpoint, parseCheckpoint } from '../../packages/tlog/src/checkpoint.ts';
import { NoteError, generateKey, openNote, signNote } from '../../packages/tlog/src/note.ts';

const c2sp = JSON.parse(readFileSync(new URL('../vectors/c2sp-examples.json', import.meta.url), 'utf8'));
const root = new Uint8Array(randomBytes(32));
const R = base64(root);
const rejects = (text: string, what: RegExp) =>
  assert.throws(() => parseCheckpoint(text), (e: unknown) => e instanceof TypeError && what.test(e.message), JSON.stringify(text));

test('round trip, with and without extension lines', () => {
  for (const cp of [
    { origin: 'cotc.example/log', size: 0, root, extensions: [] },
    { origin: 'cotc.example/log', size: 1, root, extensions: ['ext one', '— not a signature'] },
    { origin: 'ünïcode origin', size: Number.MAX_SAFE_INTEGER, root, extensions: [] },
  ]) {
    const text = formatCheckpoint(cp);
    assert.equal(parseCheckpoint(text), cp);
    assert.is(formatCheckpoint(parseCheckpoint(text)), text);
  }
  assert.is(formatCheckpoint({ origin: 'o', size: 12, root }), `o\n12\n${R}\n`);
});

test('the C2SP example checkpoint', () => {
  const note: string = c2sp.checkpoint.signedNote;
  const text = note.slice(0, note.lastIndexOf('\n\n') + 1);
  const cp = parseCheckpoint(text);
  assert.is(cp.origin, c2sp.checkpoint.origin);
  assert.is(cp.size, c2sp.checkpoint.size);
  assert.is(base64(cp.root), c2sp.checkpoint.rootBase64);
  assert.equal(cp.extensions, []);
  assert.is(formatCheckpoint(cp), text);
  // Its log key is not published: the note opens only as far as "unverified, by whom".
  assert.throws(() => openNote(note, []), (e: unknown) =>
    e instanceof NoteError && e.code === 'unverified' && e.unverified[0]?.name === c2sp.checkpoint.origin);
});

test('signed, opened and parsed back', () => {
  const { signerKey, verifierKey } = generateKey('cotc.example/log');
  const text = formatCheckpoint({ origin: 'cotc.example/log', size: 42, root });
  const opened = openNote(signNote(text, signerKey), [verifierKey]);
  assert.equal(parseCheckpoint(opened.text), { origin: 'cotc.example/log', size: 42, root, extensions: [] });
});

test('parseCheckpoint refuses each malformation, saying what is wrong', () => {
  rejects(`o\n1\n${R}`, /end with a newline/);
  rejects(`o\n1\n`, /at least 3 lines/);
  rejects(``, /end with a newline/);
  rejects(`\n1\n${R}\n`, /origin: must be non-empty/);
  for (const size of ['01', '00', '-1', '+1', '1.0', '1e3', ' 1', '1 ', '', '0x10', '١']) {
    rejects(`o\n${size}\n${R}\n`, /size: must be decimal digits without leading zeros/);
  }
  rejects(`o\n9007199254740992\n${R}\n`, /size: above 2\^53-1/);
  rejects(`o\n18446744073709551615\n${R}\n`, /size: above 2\^53-1/);
  rejects(`o\n1\n${base64(root.subarray(1))}\n`, /root hash: must be 32 bytes/);
  rejects(`o\n1\n${base64(new Uint8Array([...root, 0]))}\n`, /root hash: must be 32 bytes/);
  // Same bytes, but the two padding bits of the last base64 digit set: non-canonical.
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const last = B64[B64.indexOf(R.at(-2)!) | 3]!;
  rejects(`o\n1\n${R.slice(0, -2)}${last}=\n`, /root hash: non-canonical/);
  rejects(`o\n1\n${R.slice(0, -1)}\n`, /root hash: expected padded standard base64/);
  rejects(`o\n1\n${R.replace(/[+/]/g, '-').replace(/^./, '_')}\n`, /root hash: expected padded standard base64/);
  rejects(`o\n1\n ${R}\n`, /root hash/);
  rejects(`o\n1\n${R}\n\n`, /extension line 1: must be non-empty/);
  rejects(`o\n1\n${R}\nfirst\n\nthird\n`, /extension line 2: must be non-empty/);
  rejects(`o\n1\n\n${R}\n`, /root hash/); // extra blank line
  rejects(`o\r\n1\n${R}\n`, /origin: may not contain/);
  rejects(`o\n1\n${R}\nx\ty\n`, /extension line 1: may not contain/);
  assert.throws(() => parseCheckpoint(undefined as unknown as string), /^checkpoint: expected a string/);
});

test('formatCheckpoint checks its inputs', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ origin: '', size: 1, root }, /^origin: must be non-empty/],
    [{ origin: 'a\nb', size: 1, root }, /^origin: may not contain a newline/],
    [{ origin: 'a\ud800', size: 1, root }, /^origin: contains a lone/],
    [{ origin: 5, size: 1, root }, /^origin: expected a string/],
    [{ origin: 'o', size: -1, root }, /^size:/],
    [{ origin: 'o', size: 1.5, root }, /^size:/],
    [{ origin: 'o', size: NaN, root }, /^size:/],
    [{ origin: 'o', size: 2 ** 53, root }, /^size: must be an integer from 0 to 2\^53-1/],
    [{ origin: 'o', size: 1n, root }, /^size:/],
    [{ origin: 'o', size: 1, root: root.subarray(1) }, /^root: must be 32 bytes/],
    [{ origin: 'o', size: 1, root: R }, /^root:/],
    [{ origin: 'o', size: 1, root, extensions: [''] }, /^extensions\[0\]: must be non-empty/],
    [{ origin: 'o', size: 1, root, extensions: ['ok', 'a\nb'] }, /^extensions\[1\]: may not contain a newline/],
    [{ origin: 'o', size: 1, root, extensions: 'x' }, /^extensions: expected an array/],
  ];
  for (const [cp, what] of bad) {
    assert.throws(() => formatCheckpoint(cp as never), (e: unknown) => e instanceof TypeError && what.test(e.message), String(what));
  }
  assert.throws(() => formatCheckpoint(null as never), /^checkpoint: expected an object/);
});

test.run();
