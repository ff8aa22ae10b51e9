import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Compile } from 'typebox/compile';
import { ARCHIVE_PREFIXES } from './archive-layout.js';
import { isCalendarDateTime } from './calendar.js';
import { parseEventId } from './event-id.js';
import { byteLength, type TrailRecord, trailRecordSchema } from './event-model.js';
import { writeCatalogFirst } from './ingest.js';
import { storedInsight } from './insights/records.js';
import { eventKeys, expiresAtFor } from './keys.js';
import { LIMITS } from './limits.js';
import type { EventWriter, StoredEvent } from './ports.js';

/**
 * Rebuilds the events table from the S3 archive (docs/storage.md, "Point-in-time recovery and rebuilding from the
 * archive"): every archived record becomes the StoredEvent ingest made of it and goes back through
 * `EventWriter.restoreEvents`, which leaves an event already stored as it is, so a rebuild can run again, or over
 * a table that still holds part of the trail. The tool never writes items itself: the store owns the layout.
 */

/** The archive's objects as the rebuild reads them; the validator's S3 store (clients/typescript) fits it. */
export interface ArchiveObjects {
  /** Keys under `prefix` in S3's order (ascending UTF-8), from after `startAfter`. */
  list(bucket: string, prefix: string, startAfter?: string): AsyncIterable<{ readonly key: string }>;
  /** The object's bytes a chunk at a time, or undefined when there is no such key. */
  get(bucket: string, key: string): Promise<{ readonly body: AsyncIterable<Uint8Array> } | undefined>;
}

export interface RebuildOptions {
  readonly bucket: string;
  /** The trail's retention: an event's expiry is its eventTime plus this, as ingest sets it. */
  readonly retentionDays: number;
  readonly nowMs: number;
  /** The first delivery hour to read (`YYYY-MM-DDTHH`, UTC, the archive's prefix hour). @default the oldest */
  readonly fromHour?: string;
  /** The last delivery hour to read, inclusive. @default the newest */
  readonly toHour?: string;
  /** Events per restoreEvents call. @default 250 */
  readonly batchEvents?: number;
  /** Record bytes per restoreEvents call: a batch of large records stays small in memory. @default 4 MiB */
  readonly batchBytes?: number;
  /** Objects read at once. @default 4 */
  readonly concurrency?: number;
  /** Called after each object with the counts so far. */
  readonly onProgress?: (summary: RebuildSummary) => void;
}

/** Why something was not restored; the first few are kept, with where they were found. */
export interface RebuildProblem {
  readonly key: string;
  /** 1-based line of the object's NDJSON; absent for a problem with the object itself. */
  readonly line?: number;
  readonly eventID?: string;
  readonly reason: string;
}

export interface RebuildSummary {
  /** Archive objects listed in the window so far. */
  objectsListed: number;
  objectsRead: number;
  /** Objects that could not be read to their end (missing, not gzip, truncated); what came before was restored. */
  objectsFailed: number;
  /** Archived events the table now holds: put back, or found there already (a repeat in another batch counts again). */
  eventsRestored: number;
  /** Events past the retention: TTL would delete them at once, so they are left out. */
  eventsExpired: number;
  /** The same eventID again in one batch (the archive is at least once): restored once. */
  eventsDuplicate: number;
  /** Events the store did not take after its retries (throttled, failed): run the rebuild again. */
  eventsFailed: number;
  /** Lines that are not OpenTrail records: not JSON, not UTF-8, too long, not the record schema, no eventID. */
  linesInvalid: number;
  /** The first problems, in the order met (at most MAX_PROBLEMS). */
  problems: RebuildProblem[];
}

/** A request to rebuild that cannot be run as given (a bad hour, a window that ends before it starts). */
export class RebuildOptionsError extends Error {
  override readonly name = 'RebuildOptionsError';
}

const DEFAULTS = { batchEvents: 250, batchBytes: 4 * 1024 * 1024, concurrency: 4 } as const;
const MAX_PROBLEMS = 20;
/** A stored record is at most LIMITS.eventBytes; a longer line is not one, and is skipped unread. */
const MAX_LINE_BYTES = LIMITS.eventBytes;
const HOUR_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})$/;
const NEWLINE = 0x0a;

const isTrailRecord = Compile(trailRecordSchema);
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** `YYYY-MM-DDTHH` as the archive's prefix of that delivery hour: `events/YYYY/MM/DD/HH/`. */
export function archiveHourPrefix(hour: string): string {
  const match = HOUR_PATTERN.exec(hour);
  const [year, month, day, hh] = (match?.slice(1) ?? []).map(Number);
  if (match === null || !isCalendarDateTime(year as number, month as number, day as number, hh as number)) {
    throw new RebuildOptionsError(`an hour is YYYY-MM-DDTHH in UTC, like 2026-12-02T04 (got ${hour})`);
  }
  return `${ARCHIVE_PREFIXES.events}${match[1]}/${match[2]}/${match[3]}/${match[4]}/`;
}

type ParsedLine = { readonly stored: StoredEvent } | { readonly reason: string; readonly eventID?: string };

/** The StoredEvent ingest (or, for an insight, the insights function) made of an archived line, byte for byte. */
export function storedEventOf(line: string, retentionDays: number): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { reason: 'not JSON' };
  }
  if (!isTrailRecord.Check(value)) {
    const [first] = isTrailRecord.Errors(value);
    const eventID = (value as { eventID?: unknown } | null)?.eventID;
    return {
      reason: `not an OpenTrail record (${first?.instancePath || '/'} ${first?.message ?? 'does not match'})`,
      ...(typeof eventID === 'string' ? { eventID } : {}),
    };
  }
  // The schema is the record's own, so what passes it is a TrailRecord.
  const record = value as TrailRecord;
  const parts = parseEventId(record.eventID);
  if (parts === undefined) return { reason: 'eventID is not an OpenTrail eventID', eventID: record.eventID };
  if (record.eventCategory === 'Insight') {
    return { stored: { ...storedInsight(record, retentionDays), recordJson: line } };
  }
  return {
    stored: {
      eventID: record.eventID,
      recordJson: line,
      keys: eventKeys(record),
      expiresAt: expiresAtFor(parts.timeMs, retentionDays),
    },
  };
}

const isBlank = (line: Uint8Array): boolean =>
  line.every((byte) => byte === 0x20 || byte === 0x09 || byte === 0x0d);

/** A line of an archive object (undefined: longer than MAX_LINE_BYTES) as a StoredEvent or why not; blank: undefined. */
function parseLine(line: Uint8Array | undefined, retentionDays: number): ParsedLine | undefined {
  if (line === undefined) return { reason: `longer than ${MAX_LINE_BYTES} bytes` };
  if (isBlank(line)) return undefined;
  let text: string;
  try {
    text = strictUtf8.decode(line);
  } catch {
    return { reason: 'not UTF-8' };
  }
  return storedEventOf(text, retentionDays);
}

/** An NDJSON line, or `undefined` for one longer than `maxBytes` (skipped as it streams past, never held). */
async function* ndjsonLines(
  chunks: AsyncIterable<Buffer>,
  maxBytes: number,
): AsyncGenerator<Uint8Array | undefined> {
  let pieces: Buffer[] = [];
  let bytes = 0;
  let tooLong = false;
  const keep = (piece: Buffer): void => {
    if (tooLong || piece.length === 0) return;
    bytes += piece.length;
    if (bytes > maxBytes) {
      tooLong = true;
      pieces = [];
    } else pieces.push(piece);
  };
  const take = (): Uint8Array | undefined => {
    const line = tooLong ? undefined : Buffer.concat(pieces);
    pieces = [];
    bytes = 0;
    tooLong = false;
    return line;
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE, start); end >= 0; end = chunk.indexOf(NEWLINE, start)) {
      keep(chunk.subarray(start, end));
      yield take();
      start = end + 1;
    }
    keep(chunk.subarray(start));
  }
  if (bytes > 0 || tooLong) yield take();
}

/** Runs `task` on the items as they come, at most `limit` at once; the first error stops every worker. */
async function forEachConcurrently<T>(
  items: AsyncIterable<T>,
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.asyncIterator]();
  let failure: { readonly error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined) {
      const next = await iterator.next();
      if (next.done) return;
      try {
        await task(next.value);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  if (failure !== undefined) throw failure.error;
}

/**
 * Reads every archive object of the window (by delivery hour, oldest first), `concurrency` at a time, and restores
 * its events a batch at a time, catalog entries first as ingest writes them (writeCatalogFirst: suggestions list
 * every source a restored event has), then the events. Memory holds at most one batch per object being read.
 */
export async function rebuildFromArchive(
  objects: ArchiveObjects,
  writer: EventWriter,
  options: RebuildOptions,
): Promise<RebuildSummary> {
  const fromPrefix = options.fromHour === undefined ? undefined : archiveHourPrefix(options.fromHour);
  const toPrefix = options.toHour === undefined ? undefined : archiveHourPrefix(options.toHour);
  if (fromPrefix !== undefined && toPrefix !== undefined && fromPrefix > toPrefix) {
    throw new RebuildOptionsError(`--from ${options.fromHour} is after --to ${options.toHour}`);
  }
  const batchEvents = options.batchEvents ?? DEFAULTS.batchEvents;
  const batchBytes = options.batchBytes ?? DEFAULTS.batchBytes;
  const { retentionDays, nowMs } = options;
  const summary: RebuildSummary = {
    objectsListed: 0,
    objectsRead: 0,
    objectsFailed: 0,
    eventsRestored: 0,
    eventsExpired: 0,
    eventsDuplicate: 0,
    eventsFailed: 0,
    linesInvalid: 0,
    problems: [],
  };
  const report = (problem: RebuildProblem): void => {
    if (summary.problems.length < MAX_PROBLEMS) summary.problems.push(problem);
  };
  const restore = async (key: string, batch: readonly StoredEvent[]): Promise<void> => {
    const results = await writeCatalogFirst(
      batch,
      writer,
      (events) => writer.restoreEvents(events),
      nowMs,
      retentionDays,
    );
    batch.forEach((event, i) => {
      const result = results[i];
      if (result?.ok) {
        summary.eventsRestored++;
        return;
      }
      summary.eventsFailed++;
      const code = result?.ok === false ? result.errorCode : 'InternalFailure';
      report({ key, eventID: event.eventID, reason: `not restored: ${code}` });
    });
  };

  const readObject = async (key: string): Promise<void> => {
    let batch = new Map<string, StoredEvent>();
    let bytes = 0;
    /** A store that throws (no such table, access denied) fails the rebuild, not just this object. */
    let storeError: { readonly error: unknown } | undefined;
    const flush = async (): Promise<void> => {
      const events = [...batch.values()];
      batch = new Map();
      bytes = 0;
      if (events.length === 0) return;
      try {
        await restore(key, events);
      } catch (error) {
        storeError = { error };
        throw error;
      }
    };
    let lineNumber = 0;
    const take = (line: Uint8Array | undefined): StoredEvent | undefined => {
      lineNumber++;
      const parsed = parseLine(line, retentionDays);
      if (parsed === undefined) return undefined;
      if (!('stored' in parsed)) {
        summary.linesInvalid++;
        report({ key, line: lineNumber, ...parsed });
        return undefined;
      }
      if (parsed.stored.expiresAt * 1000 <= nowMs) {
        summary.eventsExpired++;
        return undefined;
      }
      return parsed.stored;
    };
    try {
      const object = await objects.get(options.bucket, key);
      if (object === undefined) throw new Error('the object is gone (deleted since it was listed)');
      await pipeline(Readable.from(object.body), createGunzip(), async (inflated: AsyncIterable<Buffer>) => {
        for await (const line of ndjsonLines(inflated, MAX_LINE_BYTES)) {
          const stored = take(line);
          if (stored === undefined) continue;
          if (batch.has(stored.eventID)) {
            summary.eventsDuplicate++;
            continue;
          }
          const size = byteLength(stored.recordJson);
          if (batch.size > 0 && bytes + size > batchBytes) await flush();
          batch.set(stored.eventID, stored);
          bytes += size;
          if (batch.size >= batchEvents) await flush();
        }
      });
      await flush();
      summary.objectsRead++;
    } catch (error) {
      if (storeError !== undefined) throw storeError.error;
      // What the object held before the failure is restored; the rest is reported.
      await flush();
      summary.objectsFailed++;
      report({ key, reason: `object not read to its end: ${(error as Error).message}` });
    }
    options.onProgress?.(summary);
  };

  async function* listed(): AsyncGenerator<string> {
    // Every key of the from-hour sorts after its prefix without the final slash.
    const startAfter = fromPrefix?.slice(0, -1);
    for await (const { key } of objects.list(options.bucket, ARCHIVE_PREFIXES.events, startAfter)) {
      if (toPrefix !== undefined && key.slice(0, toPrefix.length) > toPrefix) return;
      if (key.endsWith('/')) continue;
      summary.objectsListed++;
      yield key;
    }
  }

  await forEachConcurrently(listed(), options.concurrency ?? DEFAULTS.concurrency, readObject);
  return summary;
}
