import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NextTokenCodec, TOKEN_LIFETIME_MS } from '../../lambda/core/next-token.js';
import { NOW_MS } from '../fixtures/events.js';
import { expectRefusal, type Refusal } from '../fixtures/request-error.js';
import { weirdString } from './arbitraries.js';

const codec = new NextTokenCodec('s'.repeat(32), () => NOW_MS);
const cursor = fc.record({
  afterEventID: weirdString,
  startMs: fc.integer({ min: 0, max: 2 ** 45 }),
  endMs: fc.integer({ min: 0, max: 2 ** 45 }),
});
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The codec's refusal: a 400 InvalidNextToken, never anything else. */
const refusal = (token: string, fingerprint: string, tokens = codec): Refusal =>
  expectRefusal(() => tokens.decode(token, fingerprint));

describe('nextToken codec on generated tokens', () => {
  it('decodes what it encodes, for any cursor and query fingerprint', () => {
    fc.assert(
      fc.property(cursor, weirdString, (page, fingerprint) => {
        expect(codec.decode(codec.encode(page, fingerprint), fingerprint)).toEqual(page);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses any string it did not issue with InvalidNextToken', () => {
    const forged = fc.oneof(
      weirdString,
      fc.string({ unit: fc.constantFrom(...BASE64URL, '.'), maxLength: 120 }),
      fc
        .tuple(fc.jsonValue(), fc.string({ unit: fc.constantFrom(...BASE64URL), maxLength: 43 }))
        .map(
          ([payload, signature]) =>
            `${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${signature}`,
        ),
    );
    fc.assert(
      fc.property(forged, weirdString, (token, fingerprint) => {
        expect(refusal(token, fingerprint)).toMatchObject({ statusCode: 400, code: 'InvalidNextToken' });
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses a token with any one character changed, added or removed', () => {
    const tampering = fc.record({
      page: cursor,
      position: fc.nat(),
      replacement: fc.constantFrom(...BASE64URL, '.', '='),
      kind: fc.constantFrom('change', 'insert', 'delete'),
    });
    fc.assert(
      fc.property(tampering, ({ page, position, replacement, kind }) => {
        const token = codec.encode(page, 'q');
        const at = position % token.length;
        const tampered =
          kind === 'delete'
            ? token.slice(0, at) + token.slice(at + 1)
            : token.slice(0, at) + replacement + token.slice(kind === 'change' ? at + 1 : at);
        fc.pre(tampered !== token);
        expect(refusal(tampered, 'q')).toMatchObject({ code: 'InvalidNextToken' });
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses a genuine token for another query, or once it has expired', () => {
    const later = new NextTokenCodec('s'.repeat(32), () => NOW_MS + TOKEN_LIFETIME_MS + 1);
    fc.assert(
      fc.property(cursor, weirdString, weirdString, (page, fingerprint, other) => {
        fc.pre(fingerprint !== other);
        const token = codec.encode(page, fingerprint);
        expect(refusal(token, other)).toMatchObject({ code: 'InvalidNextToken' });
        expect(refusal(token, fingerprint, later)).toMatchObject({ code: 'InvalidNextToken' });
      }),
      { numRuns: 2000 },
    );
  });
});
