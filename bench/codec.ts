import { deflateRawSync, gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';
import { eventItem } from '../lambda/adapters/dynamodb-event-store.js';
import { decodeRecord, encodeRecord, RECORD_FORMAT_DICTIONARY } from '../lambda/core/record-codec.js';
import { typicalBatch } from '../test/fixtures/events.js';
import { itemBytes, writeUnits } from './support/capacity.js';
import { cpuMicrosPerCall, progress, round } from './support/measure.js';
import type { Outcome, Row } from './support/report.js';
import { storeEvents } from './support/stored-events.js';

/**
 * `npm run bench -- codec`: how the stored record's encodings compare on the typical events (bench/support/events.ts):
 * gzip and raw deflate at levels 1..6, raw deflate with the codec's preset dictionary at levels 1..6, and the
 * codec itself (lambda/core/record-codec.ts). For each: mean encoded bytes, the event item's bytes and WRU, and
 * CPU microseconds per event to encode and to decode. The codec's choice is the cheapest CPU that keeps the
 * event item at 1 WRU; every candidate is checked to decode to the same bytes. It also measures the "request pages"
 * lever (docs/storage.md): consecutive records deflated together, as one item would store them, in WRU per event.
 */

const EVENTS = 200;
const ROUNDS = 100;
const LEVELS = [1, 2, 3, 4, 5, 6] as const;
/** Records per page for the pages lever. */
const PAGE_SIZES = [1, 4, 8, 16, 32, 100] as const;
/** The version byte in front of the deflated bytes. */
const VERSION_BYTES = 1;

interface Candidate {
  readonly name: string;
  readonly encode: (json: Buffer) => Uint8Array;
  readonly decode: (bytes: Uint8Array) => Buffer | string;
  readonly overheadBytes: number;
}

const candidates: Candidate[] = [
  ...LEVELS.map((level) => ({
    name: `gzip level ${level}`,
    encode: (json: Buffer) => gzipSync(json, { level }),
    decode: (bytes: Uint8Array) => gunzipSync(bytes),
    overheadBytes: 0,
  })),
  ...LEVELS.map((level) => ({
    name: `deflate-raw level ${level}`,
    encode: (json: Buffer) => deflateRawSync(json, { level }),
    decode: (bytes: Uint8Array) => inflateRawSync(bytes),
    overheadBytes: VERSION_BYTES,
  })),
  ...LEVELS.map((level) => ({
    name: `deflate-raw + dictionary level ${level}`,
    encode: (json: Buffer) => deflateRawSync(json, { level, dictionary: RECORD_FORMAT_DICTIONARY }),
    decode: (bytes: Uint8Array) => inflateRawSync(bytes, { dictionary: RECORD_FORMAT_DICTIONARY }),
    overheadBytes: VERSION_BYTES,
  })),
];

interface Measured {
  readonly name: string;
  readonly recordBytes: number;
  readonly eventItemBytes: number;
  readonly eventItemWru: number;
  readonly encodeUs: number;
  readonly decodeUs: number;
}

const mean = (values: readonly number[]): number =>
  values.reduce((sum, value) => sum + value, 0) / values.length;

export async function runCodec(): Promise<Outcome> {
  const nowMs = Date.UTC(2026, 10, 24, 12);
  const stored = await storeEvents(typicalBatch(EVENTS, nowMs), nowMs);
  const jsons = stored.map((event) => event.recordJson);
  const buffers = jsons.map((json) => Buffer.from(json, 'utf8'));
  const eventItemOverhead = mean(
    stored.map((event) => {
      const { record: _record, ...rest } = eventItem(event);
      return itemBytes(rest) + 'record'.length;
    }),
  );
  const measure = async (
    name: string,
    encoded: readonly Uint8Array[],
    encodeAll: () => void,
    decodeAll: () => void,
  ): Promise<Measured> => {
    const recordBytes = mean(encoded.map((bytes) => bytes.byteLength));
    const eventItemBytes = recordBytes + eventItemOverhead;
    const encode = await cpuMicrosPerCall(encodeAll, ROUNDS, 10);
    const decode = await cpuMicrosPerCall(decodeAll, ROUNDS, 10);
    return {
      name,
      recordBytes: round(recordBytes, 1),
      eventItemBytes: round(eventItemBytes, 1),
      eventItemWru: writeUnits(Math.ceil(eventItemBytes)),
      encodeUs: round(encode.cpuUs / EVENTS, 1),
      decodeUs: round(decode.cpuUs / EVENTS, 1),
    };
  };

  progress(`codec: ${EVENTS} typical events, ${candidates.length + 2} encodings, ${ROUNDS} rounds each`);
  const measured: Measured[] = [
    await measure(
      'JSON string (S), no compression',
      buffers,
      () => {
        for (const json of jsons) Buffer.from(json, 'utf8');
      },
      () => {
        for (const buffer of buffers) buffer.toString('utf8');
      },
    ),
  ];
  for (const candidate of candidates) {
    const encoded = buffers.map((json) => candidate.encode(json));
    encoded.forEach((bytes, index) => {
      if (Buffer.compare(Buffer.from(candidate.decode(bytes)), buffers[index] as Buffer) !== 0) {
        throw new Error(`${candidate.name} does not round-trip event ${index}`);
      }
    });
    const sized = encoded.map((bytes) => new Uint8Array(bytes.byteLength + candidate.overheadBytes));
    measured.push(
      await measure(
        candidate.name,
        sized,
        () => {
          for (const json of buffers) candidate.encode(json);
        },
        () => {
          for (const bytes of encoded) candidate.decode(bytes);
        },
      ),
    );
  }
  const product = jsons.map(encodeRecord);
  product.forEach((bytes, index) => {
    if (decodeRecord(bytes) !== jsons[index]) throw new Error(`the codec does not round-trip event ${index}`);
  });
  const codec = await measure(
    'codec (encodeRecord / decodeRecord)',
    product,
    () => {
      for (const json of jsons) encodeRecord(json);
    },
    () => {
      for (const bytes of product) decodeRecord(bytes);
    },
  );
  measured.push(codec);

  // A page: consecutive records, newline-separated, deflated with the codec's dictionary and level, in an item with
  // the event item's keys and expiry.
  const pages = PAGE_SIZES.map((size) => {
    let bytes = 0;
    let wru = 0;
    for (let start = 0; start < buffers.length; start += size) {
      const joined = Buffer.from(jsons.slice(start, start + size).join('\n'), 'utf8');
      const item = deflateRawSync(joined, { level: 1, dictionary: RECORD_FORMAT_DICTIONARY }).byteLength;
      bytes += item + VERSION_BYTES + eventItemOverhead;
      wru += writeUnits(Math.ceil(item + VERSION_BYTES + eventItemOverhead));
    }
    return {
      recordsPerPage: size,
      bytesPerEvent: round(bytes / buffers.length, 1),
      pageBytes: round(bytes / Math.ceil(buffers.length / size), 0),
      wruPerEvent: round(wru / buffers.length, 3),
    };
  });

  const result = {
    events: EVENTS,
    recordJsonBytes: round(mean(buffers.map((buffer) => buffer.byteLength)), 1),
    codec,
    candidates: measured,
    pages,
  };
  const rows: Row[] = [
    {
      metric: 'codec: stored record bytes (typical event)',
      value: `${codec.recordBytes} (JSON ${result.recordJsonBytes})`,
    },
    {
      metric: 'codec: event item WRU',
      value: String(codec.eventItemWru),
      target: '<= 1',
      status: codec.eventItemWru <= 1 ? 'PASS' : 'MISS',
    },
    { metric: 'codec: CPU us per event, encode / decode', value: `${codec.encodeUs} / ${codec.decodeUs}` },
  ];
  const notes = [
    `codec: ${EVENTS} typical events; bytes are means, CPU is user+system microseconds per event over ${ROUNDS} rounds (one core of this machine, shared).`,
    ...measured.map(
      (m) =>
        `codec ${m.name}: record ${m.recordBytes} B, event item ${m.eventItemBytes} B = ${m.eventItemWru} WRU, encode ${m.encodeUs} us, decode ${m.decodeUs} us`,
    ),
    `codec pages (lever, not in the product): ${pages.map((page) => `${page.recordsPerPage} records per item ${page.bytesPerEvent} B and ${page.wruPerEvent} WRU per event (${page.pageBytes} B items)`).join('; ')}.`,
  ];
  return { name: 'codec', result, rows, notes };
}
