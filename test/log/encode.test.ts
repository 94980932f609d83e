// The sequencer's one-pass serialisation (src/log/encode.ts) against canonicalize() of the
// whole objects (RFC 8785): the signed text, the event text and the entry text must be
// exactly the canonical JSON, for envelopes with non-ASCII text, escapes, nested bodies and
// keys that sort differently by UTF-16 code unit than by code point.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { canonicalize, type Effect, type Envelope } from '@cotc/ledger';
import { entryText, eventText } from '../../src/log/encode.ts';

const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, text, fc.integer({ min: -1e6, max: 1e6 }), fc.boolean(), fc.constant(null), fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(text, tie('v'), { maxKeys: 4 })),
})).v;

test('eventText and entryText are the canonical JSON of the envelope and the entry', () => {
  fc.assert(
    fc.property(fc.dictionary(text, json, { maxKeys: 5 }), text, text, fc.nat(), fc.array(fc.dictionary(text, json, { maxKeys: 3 }), { maxLength: 3 }), (body, id, sig, seq, effects) => {
      const event = { v: 1, type: 'donation', id, org: 'ö-org', time: '2026-01-01T00:00:00.000Z', body, sig, '\u{1F600}': 1, '\uFFFF': 2 } as unknown as Envelope;
      const { sig: _s, ...unsigned } = event;
      const t = eventText(event);
      assert.is(t.signing, canonicalize(unsigned));
      assert.is(t.event, canonicalize(event));
      const prev = 'ab'.repeat(32);
      const time = '2026-01-02T03:04:05.678Z';
      const entry = { seq, prev, time, event, effects: effects as unknown as Effect[] };
      assert.is(entryText(seq, prev, JSON.stringify(time), t.event, entry.effects), canonicalize(entry));
    }),
    { numRuns: 300 },
  );
});

test.run();
