import { deflateRawSync, gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';
import { pageItem } from '../lambda/adapters/dynamodb-event-store.js';
import { type Page, pagesOf } from '../lambda/core/keys.js';
import type { StoredEvent } from '../lambda/core/ports.js';
import { decodePage, encodePage, RECORD_FORMAT_DICTIONARY } from '../lambda/core/record-codec.js';
import { typicalBatch } from '../test/fixtures/events.js';
import { itemBytes, writeUnits } from './support/capacity.js';
import { cpuMicrosPerCall, progress, round } from './support/measure.js';
import type { Outcome, Row } from './support/report.js';
import { storeEvents } from './support/stored-events.js';

/**
 * `npm run bench -- codec`: how a page's stored records (lambda/core/record-codec.ts) compare across encodings, on
 * typical events stored by the real ingest (so in the pages it forms, docs/storage.md): gzip, raw deflate and raw
 * deflate with the codec's preset dictionary at levels 1..6, and the codec itself. For each: mean stored bytes per
 * event, page item WRU per event, and CPU microseconds per event to encode and to decode; every candidate is
 * checked to decode to the same bytes. It also measures how page size matters: consecutive records deflated
 * together in pages of 1 to 100 records, in bytes and WRU per event.
 */

const EVENTS = 200;
const ROUNDS = 50;
const LEVELS = [1, 2, 3, 4, 5, 6] as const;
/** Records per page for the page-size comparison. */
const PAGE_SIZES = [1, 4, 8, 16, 32, 100] as const;
/** The version byte in front of the deflated bytes. */
const VERSION_BYTES = 1;
const SEPARATOR = '\n';

interface Candidate {
  readonly name: string;
  readonly encode: (text: Buffer) => Uint8Array;
  readonly decode: (bytes: Uint8Array) => Buffer;
}

const candidates: Candidate[] = LEVELS.flatMap((level) => [
  { name: `gzip level ${level}`, encode: (text: Buffer) => gzipSync(text, { level }), decode: gunzipSync },
  {
    name: `deflate-raw level ${level}`,
    encode: (text: Buffer) => deflateRawSync(text, { level }),
    decode: (bytes: Uint8Array) => inflateRawSync(bytes),
  },
  {
    name: `deflate-raw + dictionary level ${level}`,
    encode: (text: Buffer) => deflateRawSync(text, { level, dictionary: RECORD_FORMAT_DICTIONARY }),
    decode: (bytes: Uint8Array) => inflateRawSync(bytes, { dictionary: RECORD_FORMAT_DICTIONARY }),
  },
]);

interface Measured {
  readonly name: string;
  readonly bytesPerEvent: number;
  readonly wruPerEvent: number;
  readonly encodeUs: number;
  readonly decodeUs: number;
}

const pageText = (page: Page<StoredEvent>): Buffer =>
  Buffer.from(page.events.map((event) => event.recordJson).join(SEPARATOR), 'utf8');

export async function runCodec(): Promise<Outcome> {
  const nowMs = Date.UTC(2026, 10, 24, 12);
  const stored = await storeEvents(typicalBatch(EVENTS, nowMs), nowMs);
  const pages = pagesOf(stored);
  const texts = pages.map(pageText);
  /** A page item's bytes besides its records: keys, ids, expiry, writer, and the attribute's name. */
  const overheads = pages.map((page) => {
    const { record: _record, ...rest } = pageItem(page.key, page.events, page.expiresAt);
    return itemBytes(rest) + 'record'.length;
  });
  const measure = async (
    name: string,
    encoded: readonly number[],
    encodeAll: () => void,
    decodeAll: () => void,
  ): Promise<Measured> => {
    const itemSizes = encoded.map((bytes, index) => bytes + (overheads[index] ?? 0));
    const encode = await cpuMicrosPerCall(encodeAll, ROUNDS, 5);
    const decode = await cpuMicrosPerCall(decodeAll, ROUNDS, 5);
    return {
      name,
      bytesPerEvent: round(itemSizes.reduce((sum, bytes) => sum + bytes, 0) / stored.length, 1),
      wruPerEvent: round(itemSizes.reduce((sum, bytes) => sum + writeUnits(bytes), 0) / stored.length, 3),
      encodeUs: round(encode.cpuUs / stored.length, 2),
      decodeUs: round(decode.cpuUs / stored.length, 2),
    };
  };

  progress(`codec: ${EVENTS} typical events in ${pages.length} pages, ${candidates.length + 1} encodings`);
  const measured: Measured[] = [];
  for (const candidate of candidates) {
    const encoded = texts.map((text) => candidate.encode(text));
    encoded.forEach((bytes, index) => {
      if (Buffer.compare(candidate.decode(bytes), texts[index] as Buffer) !== 0)
        throw new Error(`${candidate.name} does not round-trip page ${index}`);
    });
    measured.push(
      await measure(
        candidate.name,
        encoded.map((bytes) => bytes.byteLength + VERSION_BYTES),
        () => {
          for (const text of texts) candidate.encode(text);
        },
        () => {
          for (const bytes of encoded) candidate.decode(bytes);
        },
      ),
    );
  }
  const records = pages.map((page) => page.events.map((event) => event.recordJson));
  const product = records.map(encodePage);
  product.forEach((bytes, index) => {
    if (JSON.stringify(decodePage(bytes)) !== JSON.stringify(records[index]))
      throw new Error(`the codec does not round-trip page ${index}`);
  });
  const codec = await measure(
    'codec (encodePage / decodePage)',
    product.map((bytes) => bytes.byteLength),
    () => {
      for (const page of records) encodePage(page);
    },
    () => {
      for (const bytes of product) decodePage(bytes);
    },
  );
  measured.push(codec);

  const pageSizes = PAGE_SIZES.map((size) => {
    let bytes = 0;
    let wru = 0;
    for (let start = 0; start < stored.length; start += size) {
      const events = stored.slice(start, start + size);
      const first = events[0] as StoredEvent;
      const item = itemBytes(pageItem(first.keys.key, events, first.expiresAt));
      bytes += item;
      wru += writeUnits(item);
    }
    return {
      recordsPerPage: size,
      bytesPerEvent: round(bytes / stored.length, 1),
      wruPerEvent: round(wru / stored.length, 3),
    };
  });

  const recordJsonBytes = round(
    stored.reduce((sum, event) => sum + Buffer.byteLength(event.recordJson), 0) / stored.length,
    1,
  );
  const result = {
    events: EVENTS,
    pages: pages.length,
    recordJsonBytes,
    codec,
    candidates: measured,
    pageSizes,
  };
  const rows: Row[] = [
    {
      metric: 'codec: page bytes per typical event',
      value: `${codec.bytesPerEvent} (record JSON ${recordJsonBytes}; ${round(EVENTS / pages.length, 1)} events per page)`,
    },
    { metric: 'codec: page WRU per typical event', value: String(codec.wruPerEvent) },
    { metric: 'codec: CPU us per event, encode / decode', value: `${codec.encodeUs} / ${codec.decodeUs}` },
  ];
  const notes = [
    `codec: ${EVENTS} typical events in the ${pages.length} pages ingest formed; bytes are means per event of whole page items, CPU is user+system microseconds per event over ${ROUNDS} rounds (one core of this machine, shared).`,
    ...measured.map(
      (m) =>
        `codec ${m.name}: ${m.bytesPerEvent} B and ${m.wruPerEvent} WRU per event, encode ${m.encodeUs} us, decode ${m.decodeUs} us`,
    ),
    `codec page sizes: ${pageSizes.map((page) => `${page.recordsPerPage} records per page ${page.bytesPerEvent} B and ${page.wruPerEvent} WRU per event`).join('; ')}.`,
  ];
  return { name: 'codec', result, rows, notes };
}
