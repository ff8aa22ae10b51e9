import { describe, expect, it } from 'vitest';
import { NextTokenCodec, queryFingerprint, TOKEN_LIFETIME_MS } from '../../lambda/core/next-token.js';
import { expectRefusal } from '../fixtures/request-error.js';

const SECRET = 'a-test-secret-of-enough-length';
const cursor = { afterEventID: '01ABCDEFGHJKMNPQRSTVWXYZ00', startMs: 1, endMs: 2 };

describe('NextTokenCodec', () => {
  it('round-trips a cursor for the same query', () => {
    const codec = new NextTokenCodec(SECRET);
    const fingerprint = queryFingerprint({ EventName: 'x' });
    expect(codec.decode(codec.encode(cursor, fingerprint), fingerprint)).toEqual(cursor);
  });

  it('fingerprints queries independently of key order', () => {
    expect(queryFingerprint({ a: 1, b: { c: 2, d: 3 } })).toBe(queryFingerprint({ b: { d: 3, c: 2 }, a: 1 }));
    expect(queryFingerprint({ a: 1 })).not.toBe(queryFingerprint({ a: 2 }));
  });

  it('refuses a token reused with other parameters', () => {
    const codec = new NextTokenCodec(SECRET);
    const token = codec.encode(cursor, queryFingerprint({ EventName: 'x' }));
    const error = expectRefusal(() => codec.decode(token, queryFingerprint({ EventName: 'y' })));
    expect(error).toMatchObject({ statusCode: 400, code: 'InvalidNextToken' });
    expect(error.message).toContain('different query');
  });

  it('refuses a token whose payload or signature was edited', () => {
    const codec = new NextTokenCodec(SECRET);
    const fingerprint = queryFingerprint({});
    const [body, signature] = codec.encode(cursor, fingerprint).split('.') as [string, string];
    const forged = Buffer.from(
      Buffer.from(body, 'base64url').toString().replace(cursor.afterEventID, '7ZZZZZZZZZZZZZZZZZZZZZZZZZ'),
    ).toString('base64url');
    for (const token of [
      `${forged}.${signature}`,
      `${body}.${signature.slice(1)}A`,
      body,
      `${body}.${signature}.x`,
      '',
    ]) {
      expect(expectRefusal(() => codec.decode(token, fingerprint))).toMatchObject({
        code: 'InvalidNextToken',
      });
    }
  });

  it('refuses a token signed with another secret', () => {
    const fingerprint = queryFingerprint({});
    const token = new NextTokenCodec('another-secret-of-enough-length').encode(cursor, fingerprint);
    expect(expectRefusal(() => new NextTokenCodec(SECRET).decode(token, fingerprint))).toMatchObject({
      code: 'InvalidNextToken',
    });
  });

  it('refuses a token after its lifetime', () => {
    let now = 1_000;
    const codec = new NextTokenCodec(SECRET, () => now);
    const token = codec.encode(cursor, 'f');
    now += TOKEN_LIFETIME_MS + 1;
    expect(expectRefusal(() => codec.decode(token, 'f')).message).toContain('expired');
  });
});
