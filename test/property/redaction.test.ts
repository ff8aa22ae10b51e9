import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRecord, type ProducerEvent, type TrailRecord } from '../../lambda/core/event-model.js';
import { compileRedaction, REDACTION_MASK, type Redactor } from '../../lambda/core/redaction.js';
import { ENRICHMENT, sampleEvent } from '../fixtures/events.js';

/** The words the default rules name (docs/selectors.md), written plainly. */
const DEFAULT_WORDS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'accesskey',
  'authorization',
  'authorisation',
  'cookie',
  'privatekey',
  'credential',
];

/** What may sit between two letters without changing the key the rules see: separators and invisible code points. */
const filler = fc.constantFrom(
  '',
  '',
  '',
  '-',
  '_',
  '.',
  ' ',
  '\u00AD',
  '\u034F',
  '\u200B',
  '\u200C',
  '\u200D',
  '\u200E',
  '\u2060',
  '\uFEFF',
);

/** One ASCII letter or digit as upper or lower case, full-width or not (NFKC folds full-width forms to ASCII). */
const lookAlike = (char: string) =>
  fc.tuple(fc.boolean(), fc.boolean()).map(([upper, wide]) => {
    const cased = upper ? char.toUpperCase() : char;
    if (!wide) return char === 's' && upper ? '\u017F' : cased; // the long s stands in for one upper-case s
    return String.fromCodePoint((cased.codePointAt(0) as number) - 0x21 + 0xff01);
  });

/** `word` spelt with random case, full-width letters, long s, separators and invisible code points. */
const spelling = (word: string) =>
  fc
    .tuple(...[...word].map((char) => fc.tuple(lookAlike(char), filler)))
    .map((parts) => parts.map(([char, after]) => char + after).join(''));

const affix = fc.stringMatching(/^[a-z]{0,4}$/);

function redactedRecord(requestParameters: Record<string, unknown>, redact: Redactor): TrailRecord {
  const built = buildRecord(
    sampleEvent({ requestParameters }) as ProducerEvent,
    '01JD0000000000000000000000',
    0,
    ENRICHMENT,
  );
  if (!('eventID' in built)) throw new Error(built.errorMessage);
  redact(built);
  return built;
}

describe('redaction keys whatever their spelling', () => {
  it('masks every look-alike spelling of a default word, inside any other key', () => {
    const redact = compileRedaction();
    fc.assert(
      fc.property(fc.constantFrom(...DEFAULT_WORDS).chain(spelling), affix, affix, (word, before, after) => {
        const key = before + word + after;
        const record = redactedRecord({ [key]: 'hunter2', orderId: 'o-1' }, redact);
        expect(record.requestParameters).toEqual({ [key]: REDACTION_MASK, orderId: 'o-1' });
        expect(record.ingestion.redactedFields).toHaveLength(1);
      }),
      { numRuns: 2000 },
    );
  });

  it('masks a configured key spelt any look-alike way, and not a longer key', () => {
    fc.assert(
      fc.property(
        fc
          .stringMatching(/^[a-z][a-z0-9]{1,11}$/)
          .chain((name) => fc.tuple(fc.constant(name), spelling(name))),
        fc.stringMatching(/^[a-z0-9]{1,3}$/),
        ([name, variant], extra) => {
          const redact = compileRedaction({ defaults: false, keys: [name] });
          const record = redactedRecord({ [variant]: 'v', [name + extra]: 'kept' }, redact);
          expect(record.requestParameters).toEqual({ [variant]: REDACTION_MASK, [name + extra]: 'kept' });
        },
      ),
      { numRuns: 1000 },
    );
  });
});
