import { byteLength } from './event-model.js';
import { type StoredRecordValue, storedPageRecords } from './record-codec.js';

/**
 * What the stream consumers do with a batch of DynamoDB stream records, with the AWS calls behind ports
 * (docs/pipeline.md). Both consumers deliver in stream order and report the first record they could not
 * deliver, so the event source mapping retries from there and never skips one.
 */

/** The part of a DynamoDB stream record the pipeline reads; aws-lambda's DynamoDBRecord fits it. */
export interface StreamRecordLike {
  readonly eventName?: string;
  readonly dynamodb?: {
    readonly SequenceNumber?: string;
    readonly ApproximateCreationDateTime?: number;
    readonly NewImage?: Readonly<Record<string, StoredRecordValue & { readonly S?: string }>>;
  };
}

/** The attribute holding a page's stored records; only pages have it. */
export const RECORD_ATTRIBUTE = 'record';

/**
 * Who wrote a page: `put` (ingest and the insights function, new events) or `restore` (a rebuild from the archive,
 * events the archive and the log group have had already).
 */
export const WRITTEN_BY_ATTRIBUTE = 'writtenBy';
export type PageWriter = 'put' | 'restore';

/**
 * The event source mappings' filter (Lambda FilterCriteria): INSERTs of pages a put wrote. Their records are B
 * (encoded, docs/storage.md); Lambda's event JSON renders B as a base64 string, which `exists` matches like any
 * string. The CDK construct and local mode both use it.
 */
export const STREAM_FILTER_PATTERNS = [
  {
    eventName: ['INSERT'],
    dynamodb: {
      NewImage: {
        [RECORD_ATTRIBUTE]: { B: [{ exists: true }] },
        [WRITTEN_BY_ATTRIBUTE]: { S: ['put' satisfies PageWriter] },
      },
    },
  },
];

/**
 * Only new events travel: an INSERT of a page a put wrote. TTL expiries (REMOVE), updates, restored pages and the
 * table's other items (posting lists, claims, catalog) are not new events. The event source mapping filters the
 * same way.
 */
export function isArchivable(record: StreamRecordLike): boolean {
  const image = record.dynamodb?.NewImage;
  return (
    record.eventName === 'INSERT' &&
    image?.[RECORD_ATTRIBUTE]?.B !== undefined &&
    image[WRITTEN_BY_ATTRIBUTE]?.S === ('put' satisfies PageWriter)
  );
}

/**
 * One event on its way out: the stored JSON, and the stream position to report if it cannot be delivered: its
 * page's stream record, which the mapping retries whole.
 */
export interface OutgoingEvent {
  readonly json: string;
  readonly sequenceNumber: string;
  /** When the change reached the stream, epoch ms. */
  readonly arrivedAtMs: number;
  /** The first event of its stream record: deliveries are cut only here, so a retried record repeats nothing. */
  readonly startsRecord: boolean;
}

export function outgoingEvents(records: readonly StreamRecordLike[], nowMs: number): OutgoingEvent[] {
  return records.filter(isArchivable).flatMap((record) => {
    const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
    const arrivedAtMs = (record.dynamodb?.ApproximateCreationDateTime ?? nowMs / 1000) * 1000;
    const jsons = storedPageRecords(record.dynamodb?.NewImage?.[RECORD_ATTRIBUTE]) ?? [];
    return jsons.map((json, index) => ({ json, sequenceNumber, arrivedAtMs, startsRecord: index === 0 }));
  });
}

/** The events in runs of one stream record each, with the index of each run's first event. */
function byStreamRecord(events: readonly OutgoingEvent[]): Array<{ first: number; events: OutgoingEvent[] }> {
  const runs: Array<{ first: number; events: OutgoingEvent[] }> = [];
  events.forEach((event, index) => {
    const run = runs.at(-1);
    if (run && !event.startsRecord) run.events.push(event);
    else runs.push({ first: index, events: [event] });
  });
  return runs;
}

/** The outcome the handler turns into a partial batch response. */
export interface DeliveryOutcome {
  readonly delivered: number;
  /** The first event not delivered: the mapping retries the batch from it. */
  readonly firstFailedSequenceNumber?: string;
}

function outcome(events: readonly OutgoingEvent[], failedIndex: number | undefined): DeliveryOutcome {
  if (failedIndex === undefined) return { delivered: events.length };
  return { delivered: failedIndex, firstFailedSequenceNumber: events[failedIndex]?.sequenceNumber };
}

// ---- Archive: NDJSON packed into Firehose records ----

/** Firehose's limits (Firehose API reference, PutRecordBatch). */
export const FIREHOSE_LIMITS = {
  recordBytes: 1000 * 1024,
  recordsPerCall: 500,
  bytesPerCall: 4 * 1024 * 1024,
} as const;

/** A Firehose record: consecutive NDJSON lines, and which events they carry. */
export interface PackedRecord {
  readonly data: string;
  readonly firstEvent: number;
  readonly lastEvent: number;
}

/**
 * Packs NDJSON lines into as few Firehose records as fit: Firehose bills each record rounded up to 5 KB, so
 * one 1 KB event per record would be billed five times over. Order is kept, so a failed record names a
 * contiguous run of events, and a page's events stay in one record (a page is far below a record's limit), so a
 * failed record starts at a stream record.
 */
export function packRecords(
  events: readonly OutgoingEvent[],
  maxRecordBytes = FIREHOSE_LIMITS.recordBytes,
): PackedRecord[] {
  const packed: PackedRecord[] = [];
  let lines: string[] = [];
  let bytes = 0;
  let first = 0;
  for (const run of byStreamRecord(events)) {
    const runLines = run.events.map((event) => `${event.json}\n`);
    const size = runLines.reduce((sum, line) => sum + byteLength(line), 0);
    if (lines.length > 0 && bytes + size > maxRecordBytes) {
      packed.push({ data: lines.join(''), firstEvent: first, lastEvent: run.first - 1 });
      lines = [];
      bytes = 0;
      first = run.first;
    }
    lines.push(...runLines);
    bytes += size;
  }
  if (lines.length > 0)
    packed.push({ data: lines.join(''), firstEvent: first, lastEvent: events.length - 1 });
  return packed;
}

/** Puts Firehose records; answers, per record, whether Firehose accepted it (after the sink's own retries). */
export interface ArchiveSink {
  putRecords(records: readonly string[]): Promise<boolean[]>;
}

export async function archiveBatch(
  records: readonly StreamRecordLike[],
  sink: ArchiveSink,
  nowMs: number,
): Promise<DeliveryOutcome> {
  const events = outgoingEvents(records, nowMs);
  if (events.length === 0) return { delivered: 0 };
  const packed = packRecords(events);
  const accepted = await sink.putRecords(packed.map((record) => record.data));
  const firstRejected = packed.find((_, index) => !accepted[index]);
  return outcome(events, firstRejected?.firstEvent);
}

// ---- CloudWatch Logs: one JSON line per event ----

/** PutLogEvents limits (CloudWatch Logs API reference). */
export const LOGS_LIMITS = {
  eventsPerCall: 10_000,
  bytesPerCall: 1_048_576,
  bytesOverheadPerEvent: 26,
  spanMs: 24 * 60 * 60 * 1000,
} as const;

export interface LogLine {
  readonly timestamp: number;
  readonly message: string;
}

/** A PutLogEvents call's worth of lines, and which events they carry. */
export interface LogBatch {
  readonly lines: LogLine[];
  readonly firstEvent: number;
  lastEvent: number;
}

/**
 * Splits events into PutLogEvents calls within every limit: 10,000 events, 1 MB counting 26 bytes per event,
 * and 24 hours between the first and last timestamp, keeping a page's events in one call (so a failed call starts
 * at a stream record). The stream delivers in order of arrival, so the lines of a call are already chronological,
 * as CloudWatch Logs requires.
 */
export function logBatches(events: readonly OutgoingEvent[], format: LogLineFormat = 'full'): LogBatch[] {
  const batches: LogBatch[] = [];
  let bytes = 0;
  let lastTimestamp = 0;
  for (const run of byStreamRecord(events)) {
    // Never earlier than the line before it: clocks of different stream shards may disagree by a little.
    const timestamp = Math.max(run.events[0]?.arrivedAtMs ?? 0, lastTimestamp);
    const lines = run.events.map((event) => ({ timestamp, message: logLineOf(event.json, format) }));
    const size = lines.reduce(
      (sum, line) => sum + byteLength(line.message) + LOGS_LIMITS.bytesOverheadPerEvent,
      0,
    );
    const current = batches.at(-1);
    if (
      current &&
      current.lines.length + lines.length <= LOGS_LIMITS.eventsPerCall &&
      bytes + size <= LOGS_LIMITS.bytesPerCall &&
      timestamp - (current.lines[0]?.timestamp ?? timestamp) <= LOGS_LIMITS.spanMs
    ) {
      current.lines.push(...lines);
      current.lastEvent = run.first + lines.length - 1;
      bytes += size;
    } else {
      batches.push({ lines, firstEvent: run.first, lastEvent: run.first + lines.length - 1 });
      bytes = size;
    }
    lastTimestamp = timestamp;
  }
  return batches;
}

/**
 * What each log line holds. `full`: the stored record, byte for byte. `summary`: the record without its
 * request and response payloads, which are most of its bytes and rarely what an alarm matches on; the line
 * names what it left out, and the archive keeps everything. CloudWatch Logs bills ingestion per byte.
 */
export const LOG_LINE_FORMATS = ['full', 'summary'] as const;
export type LogLineFormat = (typeof LOG_LINE_FORMATS)[number];
export const SUMMARY_OMITS = [
  'requestParameters',
  'responseElements',
  'additionalEventData',
  'serviceEventDetails',
] as const;

export function logLineOf(json: string, format: LogLineFormat): string {
  if (format === 'full') return json;
  const record = JSON.parse(json) as Record<string, unknown>;
  const omittedFields = SUMMARY_OMITS.filter(
    (field) => record[field] !== undefined && record[field] !== null,
  );
  if (omittedFields.length === 0) return json;
  for (const field of omittedFields) delete record[field];
  return JSON.stringify({ ...record, omittedFields });
}

/** Writes one PutLogEvents call; answers whether CloudWatch Logs took it (after the sink's own retries). */
export interface LogSink {
  putLogEvents(lines: readonly LogLine[]): Promise<boolean>;
}

export async function forwardBatch(
  records: readonly StreamRecordLike[],
  sink: LogSink,
  nowMs: number,
  format: LogLineFormat = 'full',
): Promise<DeliveryOutcome> {
  const events = outgoingEvents(records, nowMs);
  for (const batch of logBatches(events, format)) {
    // Calls go one after another: a later call must not land while an earlier one is still to be retried.
    if (!(await sink.putLogEvents(batch.lines))) return outcome(events, batch.firstEvent);
  }
  return { delivered: events.length };
}
