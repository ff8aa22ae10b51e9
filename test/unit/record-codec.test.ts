import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodePage,
  encodePage,
  RECORD_FORMAT_VERSION,
  RecordCodecError,
  storedPageRecords,
} from '../../lambda/core/record-codec.js';
import { eventJson } from '../fixtures/stream.js';

const utf8Bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('record codec', () => {
  it('decodes a page to the exact bytes of each record it encoded, in order, for unusual Unicode too', () => {
    // Prepare: astral emoji, combining marks, a ZWJ sequence, RTL text, escaped lone surrogates and controls,
    // a BOM, key order and spacing JSON.parse would not keep, and an empty record.
    const records = [
      eventJson(1),
      JSON.stringify({ userName: '👩‍👩‍👧 Zoë 𝔘𝔫𝔦𝔠𝔬𝔡𝔢', note: 'é vs é', rtl: 'مرحبا', bom: '\uFEFF' }),
      JSON.stringify({ lone: '\uD800', low: '\uDFFF', control: '\u0000\u001f\n', nul: 'a\u0000b' }),
      '{"b":1,  "a":[ 2,3 ],"b":"duplicate key kept as sent"}',
      '',
    ];

    // Act
    const decoded = decodePage(encodePage(records));

    // Assess
    expect(decoded).toHaveLength(records.length);
    decoded.forEach((json, index) => {
      expect(utf8Bytes(json).equals(utf8Bytes(records[index] as string))).toBe(true);
    });
    for (const json of records) expect(decodePage(encodePage([json]))).toEqual([json]);
  });

  it('round-trips a record at the 256 KB event limit and makes a repetitive one much smaller', () => {
    // Prepare
    const json = JSON.stringify({ requestParameters: { blob: 'ab€'.repeat(85_000) } });

    // Act
    const encoded = encodePage([json, eventJson(2)]);

    // Assess
    expect(utf8Bytes(json).length).toBeGreaterThan(255_000);
    expect(encoded.byteLength).toBeLessThan(utf8Bytes(json).length / 50);
    expect(decodePage(encoded)).toEqual([json, eventJson(2)]);
  });

  it('stores similar records of a page in far fewer bytes together than apart', () => {
    // Prepare
    const records = Array.from({ length: 16 }, (_, n) => eventJson(n, 200));

    // Act
    const together = encodePage(records).byteLength;
    const apart = records.reduce((sum, json) => sum + encodePage([json]).byteLength, 0);

    // Assess
    expect(together * 4).toBeLessThan(apart);
  });

  it('writes the format version in the first byte, then raw deflate with the dictionary', () => {
    // Act
    const encoded = encodePage([eventJson(7)]);

    // Assess
    expect(encoded[0]).toBe(RECORD_FORMAT_VERSION);
    expect(RECORD_FORMAT_VERSION).toBe(2);
    // Without the dictionary the body is not valid format 2: it decodes only with it.
    const withoutDictionary = Buffer.concat([Buffer.from([2]), deflateRawSync(utf8Bytes(eventJson(7)))]);
    expect(withoutDictionary.equals(Buffer.from(encoded))).toBe(false);
  });

  it('stays decodable: a format-2 page written today decodes to the same JSON (frozen fixture)', () => {
    // Prepare: bytes of format 2 as written when the format was introduced. If this fails, format 2 changed
    // and every stored page would be unreadable: add a new version instead.
    const stored = Buffer.from(FORMAT_2_FIXTURE, 'base64');

    // Act and Assess
    expect(decodePage(stored)).toEqual([eventJson(42), eventJson(43)]);
  });

  it('refuses an unknown version, an empty value and corrupt bytes with RecordCodecError', () => {
    // Prepare
    const good = Buffer.from(encodePage([eventJson(3)]));
    const truncated = good.subarray(0, good.length - 4);
    const unknownVersion = Buffer.from([9, ...good.subarray(1)]);

    // Assess
    expect(() => decodePage(new Uint8Array())).toThrow(RecordCodecError);
    expect(() => decodePage(unknownVersion)).toThrow(/unknown stored record format 9/);
    expect(() => decodePage(truncated)).toThrow(RecordCodecError);
  });

  it('refuses to encode an empty page, a raw line feed (the separator) and an unescaped lone surrogate', () => {
    const loneSurrogate = String.fromCharCode(0xd800);
    expect(decodePage(encodePage([JSON.stringify({ a: loneSurrogate })]))).toEqual(['{"a":"\\ud800"}']);
    expect(() => encodePage([`{"a":"${loneSurrogate}"}`])).toThrow(/not well-formed/);
    expect(() => encodePage(['{"a":1}\n{"b":2}'])).toThrow(/raw line feed/);
    expect(() => encodePage([])).toThrow(/at least one record/);
  });

  it('reads a stored B value as bytes (SDK) or base64 (Lambda event JSON)', () => {
    // Prepare
    const jsons = [eventJson(5), eventJson(6)];
    const bytes = encodePage(jsons);

    // Assess
    expect(storedPageRecords({ B: bytes })).toEqual(jsons);
    expect(storedPageRecords({ B: Buffer.from(bytes).toString('base64') })).toEqual(jsons);
    expect(storedPageRecords({})).toBeUndefined();
    expect(storedPageRecords(undefined)).toBeUndefined();
  });
});

/** encodePage([eventJson(42), eventJson(43)]) with format 2, base64. */
const FORMAT_2_FIXTURE = 'AoOmKbB7MlN0TYxgLoSGsDOozEn1LwLlQh2lgkSwJ2q50LWBMjlywsKuDQA=';
