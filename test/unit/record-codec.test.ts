import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeRecord,
  encodeRecord,
  RECORD_FORMAT_VERSION,
  RecordCodecError,
  storedRecordJson,
} from '../../lambda/core/record-codec.js';
import { eventJson } from '../fixtures/stream.js';

const utf8Bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('record codec', () => {
  it('decodes to the exact bytes it encoded, for ordinary and unusual Unicode records', () => {
    // Prepare: astral emoji, combining marks, a ZWJ sequence, RTL text, escaped lone surrogates and controls,
    // a BOM, and key order and spacing JSON.parse would not keep.
    const records = [
      eventJson(1),
      JSON.stringify({ userName: '👩‍👩‍👧 Zoë 𝔘𝔫𝔦𝔠𝔬𝔡𝔢', note: 'é vs é', rtl: 'مرحبا', bom: '\uFEFF' }),
      JSON.stringify({ lone: '\uD800', low: '\uDFFF', control: '\u0000\u001f', nul: 'a\u0000b' }),
      '{"b":1,  "a":[ 2,3 ],"b":"duplicate key kept as sent"}',
      '',
    ];

    for (const json of records) {
      // Act
      const decoded = decodeRecord(encodeRecord(json));

      // Assess
      expect(utf8Bytes(decoded).equals(utf8Bytes(json))).toBe(true);
    }
  });

  it('round-trips a record at the 256 KB event limit and makes a repetitive one much smaller', () => {
    // Prepare
    const json = JSON.stringify({ requestParameters: { blob: 'ab€'.repeat(85_000) } });

    // Act
    const encoded = encodeRecord(json);

    // Assess
    expect(utf8Bytes(json).length).toBeGreaterThan(255_000);
    expect(encoded.byteLength).toBeLessThan(utf8Bytes(json).length / 50);
    expect(decodeRecord(encoded)).toBe(json);
  });

  it('writes the format version in the first byte, then raw deflate with the dictionary', () => {
    // Act
    const encoded = encodeRecord(eventJson(7));

    // Assess
    expect(encoded[0]).toBe(RECORD_FORMAT_VERSION);
    expect(RECORD_FORMAT_VERSION).toBe(1);
    // Without the dictionary the body is not valid format 1: it decodes only with it.
    const withoutDictionary = Buffer.concat([Buffer.from([1]), deflateRawSync(utf8Bytes(eventJson(7)))]);
    expect(withoutDictionary.equals(Buffer.from(encoded))).toBe(false);
  });

  it('stays decodable: a format-1 record written today decodes to the same JSON (frozen fixture)', () => {
    // Prepare: bytes of format 1 as written when the format was introduced. If this fails, format 1 changed
    // and every stored record would be unreadable: add a new version instead.
    const stored = Buffer.from(FORMAT_1_FIXTURE, 'base64');

    // Act and Assess
    expect(decodeRecord(stored)).toBe(eventJson(42));
  });

  it('refuses an unknown version, an empty value and corrupt bytes with RecordCodecError', () => {
    // Prepare
    const good = Buffer.from(encodeRecord(eventJson(3)));
    const truncated = good.subarray(0, good.length - 4);
    const unknownVersion = Buffer.from([9, ...good.subarray(1)]);

    // Assess
    expect(() => decodeRecord(new Uint8Array())).toThrow(RecordCodecError);
    expect(() => decodeRecord(unknownVersion)).toThrow(/unknown stored record format 9/);
    expect(() => decodeRecord(truncated)).toThrow(RecordCodecError);
  });

  it('refuses to encode a string with an unescaped lone surrogate, which UTF-8 cannot carry', () => {
    const loneSurrogate = String.fromCharCode(0xd800);
    expect(decodeRecord(encodeRecord(JSON.stringify({ a: loneSurrogate })))).toBe('{"a":"\\ud800"}');
    expect(() => encodeRecord(`{"a":"${loneSurrogate}"}`)).toThrow(/not well-formed/);
  });

  it('reads a stored B value as bytes (SDK) or base64 (Lambda event JSON)', () => {
    // Prepare
    const json = eventJson(5);
    const bytes = encodeRecord(json);

    // Assess
    expect(storedRecordJson({ B: bytes })).toBe(json);
    expect(storedRecordJson({ B: Buffer.from(bytes).toString('base64') })).toBe(json);
    expect(storedRecordJson({})).toBeUndefined();
    expect(storedRecordJson(undefined)).toBeUndefined();
  });
});

/** encodeRecord(eventJson(42)) with format 1, base64. */
const FORMAT_1_FIXTURE = 'AYOmKbB7MlN0TYxgLoSGsDOozEn1LwLlQh2lgkSwJ2oB';
