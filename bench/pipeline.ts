import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import type {
  Context,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  AttributeValue as StreamAttributeValue,
} from 'aws-lambda';
import { CloudWatchLogSink } from '../lambda/adapters/cloudwatch-log-sink.js';
import { pageItem } from '../lambda/adapters/dynamodb-event-store.js';
import { counterItem } from '../lambda/adapters/dynamodb-insight-store.js';
import { FirehoseArchiveSink } from '../lambda/adapters/firehose-archive-sink.js';
import { streamHandler } from '../lambda/adapters/stream.js';
import { byteLength } from '../lambda/core/event-model.js';
import { type CounterTotals, countRecords, mergeCounterUpdate } from '../lambda/core/insights/counters.js';
import { type Page, pagesOf } from '../lambda/core/keys.js';
import {
  type ArchiveSink,
  archiveBatch,
  FIREHOSE_LIMITS,
  forwardBatch,
  type LogSink,
  logBatches,
  type OutgoingEvent,
  outgoingEvents,
  packRecords,
  type StreamRecordLike,
} from '../lambda/core/pipeline.js';
import type { StoredEvent } from '../lambda/core/ports.js';
import { ACCOUNT_ID, typicalBatch } from '../test/fixtures/events.js';
import type { Item } from '../test/fixtures/memory-store.js';
import { variedEvents } from '../test/fixtures/traffic.js';
import {
  dominantStage,
  firehoseBilledBytes,
  firehoseBilledBytesPerEvent,
  firehoseStage,
  LOGS_ARCHIVE_COMPRESSION,
  lambdaBilledMs,
  lambdaStage,
  logsStage,
  type StageCost,
  s3ArchiveStage,
  summarize,
} from './cost-model.js';
import { startAwsStub } from './support/aws-stub.js';
import { itemBytes, readUnits, writeUnits } from './support/capacity.js';
import { cpuMicrosPerCall, median, progress, round, withCapturedStdout } from './support/measure.js';
import { type Outcome, type Row, statusOf, type Target, targetRow } from './support/report.js';
import { storeEvents } from './support/stored-events.js';

/**
 * `npm run bench -- pipeline`: what the trip from the table to the archive and the log group costs per event:
 * bytes in S3 (gzip NDJSON, as Firehose writes it), bytes into CloudWatch Logs, Firehose billed bytes with and
 * without packing, how many events one consumer invocation moves, and the dollars per million 1 KB events of each
 * pipeline stage (bench/cost-model.ts). Every record is built by the real `putEvents`, so its JSON is exactly
 * what the table stores and the stream carries.
 */

export const PIPELINE_TARGETS = {
  /** Stream consumers + Firehose + S3 archive + CloudWatch Logs, dollars per million 1 KB events. */
  costPerMillionUsd: { max: 0.7 },
} as const satisfies Record<string, Target>;

/** What the cost model takes as given rather than measured; every figure is printed in the notes. */
export const PIPELINE_ASSUMPTIONS = {
  /** Steady traffic the buffer sizes below are reckoned for. */
  eventsPerSecond: 100,
  /** Firehose buffering: deliver at least once a minute (DESIGN.md §6), size hint 64 MiB. */
  firehoseBufferSeconds: 60,
  firehoseBufferBytes: 64 * 1024 * 1024,
  /** Event source mapping batch size 100 (docs/pipeline.md), full batches (a batching window lets them fill). */
  eventsPerInvocation: 100,
  lambdaMemoryMb: 256,
  /** Lambda gives one full vCPU at 1,769 MB and a proportional share below (Lambda docs, memory and computing power). */
  oneVcpuMemoryMb: 1769,
  /** Round trip of one AWS call from Lambda, waited for within the invocation (not measured here: assumed). */
  awsCallMs: { archive: 30, logForward: 20 },
  /** START, END and REPORT lines Lambda writes per invocation (plain text format), about. */
  platformLogBytesPerInvocation: 300,
  /** A year of storage for the archive and for the log group (the log group's default retention). */
  retentionMonths: 12,
  /** SSE-KMS without a bucket key asks KMS for one data key per object: an upper bound (a bucket key makes it ~0). */
  kmsRequestsPerObject: 1,
} as const;

/** Typical events built for the measurements: one Firehose object's worth at the assumed rate. */
const TYPICAL_EVENTS = PIPELINE_ASSUMPTIONS.eventsPerSecond * PIPELINE_ASSUMPTIONS.firehoseBufferSeconds;
const BATCH_SIZE = PIPELINE_ASSUMPTIONS.eventsPerInvocation;
/** The fields a "summary" log line would leave out (the owners' alternative to the full record). */
const SUMMARY_OMITS = ['requestParameters', 'responseElements', 'additionalEventData'] as const;
const ROUNDS = 5;
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------------------------------
// Stream events, as Lambda hands them to the consumers

/**
 * The event item's attributes as Lambda's stream event carries them (the item has S, N and, for the encoded record,
 * B attributes; Lambda renders B base64-encoded).
 */
function streamImage(item: Item): Record<string, StreamAttributeValue> {
  return Object.fromEntries(
    Object.entries(item).map(([name, value]): [string, StreamAttributeValue] => {
      if (value.S !== undefined) return [name, { S: value.S }];
      if (value.N !== undefined) return [name, { N: value.N }];
      if (value.B !== undefined) return [name, { B: Buffer.from(value.B).toString('base64') }];
      throw new Error(`attribute ${name} of the event item has a type the benchmark does not model`);
    }),
  );
}

function streamRecord(page: Page<StoredEvent>, position: number, arrivedAtS: number): DynamoDBRecord {
  const image = streamImage(pageItem(page.key, page.events, page.expiresAt));
  const keys = Object.fromEntries(Object.entries(image).filter(([name]) => name === 'pk' || name === 'sk'));
  return {
    eventID: `bench-${position}`,
    eventName: 'INSERT',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN: `arn:aws:dynamodb:us-east-1:${ACCOUNT_ID}:table/opentrail-events/stream/2026-01-01T00:00:00.000`,
    dynamodb: {
      ApproximateCreationDateTime: arrivedAtS,
      Keys: keys,
      NewImage: image,
      SequenceNumber: String(position + 1).padStart(21, '0'),
      SizeBytes: byteLength(JSON.stringify(image)),
      StreamViewType: 'NEW_IMAGE',
    },
  };
}

/**
 * The stored events' pages as stream batches of page INSERTs, in order, each of about BATCH_SIZE events: what a
 * consumer gets per invocation at the assumed rate is set by its batching window, whatever the pages hold.
 */
export function streamBatches(stored: readonly StoredEvent[], nowMs: number): DynamoDBStreamEvent[] {
  const pages = pagesOf(stored);
  const batches: DynamoDBStreamEvent[] = [];
  let batch: DynamoDBRecord[] = [];
  let events = 0;
  pages.forEach((page, i) => {
    batch.push(streamRecord(page, i, Math.floor(nowMs / 1000) - pages.length + i));
    events += page.events.length;
    if (events >= BATCH_SIZE) {
      batches.push({ Records: batch });
      batch = [];
      events = 0;
    }
  });
  if (batch.length > 0) batches.push({ Records: batch });
  return batches;
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Bytes: the S3 object, the log lines, the Firehose records

export interface ArchiveObject {
  readonly events: number;
  readonly rawBytes: number;
  readonly gzipBytes: number;
}

/**
 * One Firehose delivery: the NDJSON lines that arrive within the buffer interval (or until the size hint), gzip
 * compressed as one object at zlib's default level.
 */
function archiveObject(recordJsons: readonly string[]): ArchiveObject {
  const lines: string[] = [];
  let rawBytes = 0;
  for (const json of recordJsons) {
    const line = `${json}\n`;
    if (lines.length > 0 && rawBytes + byteLength(line) > PIPELINE_ASSUMPTIONS.firehoseBufferBytes) break;
    lines.push(line);
    rawBytes += byteLength(line);
  }
  return { events: lines.length, rawBytes, gzipBytes: gzipSync(lines.join('')).byteLength };
}

function summaryLine(recordJson: string): string {
  const record = JSON.parse(recordJson) as Record<string, unknown>;
  for (const field of SUMMARY_OMITS) delete record[field];
  return JSON.stringify(record);
}

export interface Bytes {
  readonly recordJsonBytes: number;
  readonly archive: ArchiveObject;
  readonly logsBytesPerEvent: number;
  readonly summaryLogBytesPerEvent: number;
  readonly logCallsPerInvocation: number;
  readonly firehoseBilledBytesPerEvent: number;
  readonly firehoseBilledBytesPerEventUnpacked: number;
  readonly firehoseRecordsPerInvocation: number;
  readonly firehoseCallsPerInvocation: number;
  readonly firehoseRecordBytes: number;
}

export function measureBytes(
  stored: readonly StoredEvent[],
  batches: readonly DynamoDBStreamEvent[],
  nowMs: number,
): Bytes {
  const outgoing: OutgoingEvent[][] = batches.map((batch) => outgoingEvents(batch.Records, nowMs));
  const events = outgoing.reduce((sum, batch) => sum + batch.length, 0);
  if (events !== stored.length) throw new Error(`${stored.length} events stored, ${events} left the stream`);

  const packed = outgoing.map((batch) => packRecords(batch).map((record) => byteLength(record.data)));
  const recordSizes = packed.flat();
  const unpackedSizes = outgoing.flat().map((event) => byteLength(`${event.json}\n`));
  const logCalls = outgoing.map((batch) => logBatches(batch));
  const messageBytes = logCalls
    .flat()
    .flatMap((call) => call.lines)
    .reduce((sum, line) => sum + byteLength(line.message), 0);
  const firehoseCalls = packed.map((sizes) =>
    Math.max(
      Math.ceil(sizes.length / FIREHOSE_LIMITS.recordsPerCall),
      Math.ceil(sizes.reduce((sum, bytes) => sum + bytes, 0) / FIREHOSE_LIMITS.bytesPerCall),
    ),
  );
  return {
    recordJsonBytes: stored.reduce((sum, event) => sum + byteLength(event.recordJson), 0) / stored.length,
    archive: archiveObject(stored.map((event) => event.recordJson)),
    logsBytesPerEvent: messageBytes / events,
    summaryLogBytesPerEvent:
      stored.reduce((sum, event) => sum + byteLength(summaryLine(event.recordJson)), 0) / stored.length,
    logCallsPerInvocation: median(logCalls.map((calls) => calls.length)),
    firehoseBilledBytesPerEvent: firehoseBilledBytesPerEvent(recordSizes, events),
    firehoseBilledBytesPerEventUnpacked: firehoseBilledBytesPerEvent(unpackedSizes, events),
    firehoseRecordsPerInvocation: median(packed.map((sizes) => sizes.length)),
    firehoseCallsPerInvocation: median(firehoseCalls),
    firehoseRecordBytes: median(recordSizes),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Throughput per invocation

export interface Timing {
  readonly cpuUs: number;
  readonly wallUs: number;
}

const medianTiming = (samples: readonly Timing[]): Timing => ({
  cpuUs: median(samples.map((sample) => sample.cpuUs)),
  wallUs: median(samples.map((sample) => sample.wallUs)),
});

/** Cycles through the batches, so each call sees another 100 records. */
function cycle<T>(items: readonly T[]): () => T {
  let next = 0;
  return () => items[next++ % items.length] as T;
}

/** `archiveBatch` and `forwardBatch` alone, with sinks that accept everything at once. */
async function measureCore(batches: readonly DynamoDBStreamEvent[], nowMs: number) {
  const archiveSink: ArchiveSink = { putRecords: async (records) => records.map(() => true) };
  const logSink: LogSink = { putLogEvents: async () => true };
  const records = cycle(batches.map((batch): readonly StreamRecordLike[] => batch.Records));
  const first = records();
  const [archived, forwarded] = [
    await archiveBatch(first, archiveSink, nowMs),
    await forwardBatch(first, logSink, nowMs),
  ];
  const eventsInFirst = outgoingEvents(first, nowMs).length;
  if (archived.delivered !== eventsInFirst || forwarded.delivered !== eventsInFirst) {
    throw new Error(`a batch was not fully delivered: ${JSON.stringify({ archived, forwarded })}`);
  }
  const samples = { archive: [] as Timing[], logForward: [] as Timing[] };
  for (let round = 0; round < ROUNDS; round++) {
    samples.archive.push(await cpuMicrosPerCall(() => archiveBatch(records(), archiveSink, nowMs), 300, 60));
    samples.logForward.push(await cpuMicrosPerCall(() => forwardBatch(records(), logSink, nowMs), 300, 60));
  }
  return { archive: medianTiming(samples.archive), logForward: medianTiming(samples.logForward) };
}

const lambdaContext = (functionName: string): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT_ID}:function:${functionName}`,
  memoryLimitInMB: String(PIPELINE_ASSUMPTIONS.lambdaMemoryMb),
  awsRequestId: 'bench-invocation',
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => 60_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
});

export interface HandlerTiming extends Timing {
  /** Bytes the handler logged per invocation (what its own log group ingests, besides Lambda's lines). */
  readonly logBytes: number;
}

/**
 * The whole consumers as deployed (streamHandler + the real Firehose and Logs sinks + SDK clients), against a
 * loopback stand-in that accepts everything: SDK serialization, signing, HTTP and the handler's log line count,
 * AWS's own latency does not.
 */
export async function measureHandlers(batches: readonly DynamoDBStreamEvent[]) {
  const stub = await startAwsStub();
  const config = {
    endpoint: stub.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    maxAttempts: 1,
  };
  const firehose = new FirehoseClient(config);
  const logs = new CloudWatchLogsClient(config);
  try {
    const archiveSink = new FirehoseArchiveSink(firehose, 'opentrail-archive');
    const logSink = new CloudWatchLogSink(logs, '/opentrail/events');
    const handlers = {
      archive: streamHandler('archive', (records) => archiveBatch(records, archiveSink, Date.now())),
      logForward: streamHandler('log-forward', (records) => forwardBatch(records, logSink, Date.now())),
    };
    const contexts = {
      archive: lambdaContext('opentrail-archive'),
      logForward: lambdaContext('opentrail-log-forward'),
    };
    const next = cycle(batches);
    const result: Partial<Record<keyof typeof handlers, HandlerTiming>> = {};
    for (const name of ['archive', 'logForward'] as const) {
      const invoke = (): Promise<DynamoDBBatchResponse> => handlers[name](next(), contexts[name]);
      const { value: first } = await withCapturedStdout(invoke);
      if (first.batchItemFailures.length > 0) {
        throw new Error(`the ${name} handler reported failures: ${JSON.stringify(first.batchItemFailures)}`);
      }
      const iterations = 100;
      const warmup = 20;
      const { value: samples, bytes } = await withCapturedStdout(async () => {
        const taken: Timing[] = [];
        for (let round = 0; round < ROUNDS; round++)
          taken.push(await cpuMicrosPerCall(invoke, iterations, warmup));
        return taken;
      });
      result[name] = { ...medianTiming(samples), logBytes: bytes / (ROUNDS * (iterations + warmup)) };
    }
    const { archive, logForward } = result;
    if (!archive || !logForward) throw new Error('a handler was not measured');
    return { archive, logForward };
  } finally {
    firehose.destroy();
    logs.destroy();
    await stub.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Cost

/**
 * Milliseconds of one invocation at `memoryMb`: the measured CPU stretched by the vCPU share Lambda gives that
 * memory, plus the assumed round trips of the AWS calls the invocation waits for.
 */
export function invocationMs(cpuUs: number, memoryMb: number, awsCalls: number, awsCallMs: number): number {
  return (cpuUs / 1000) * (PIPELINE_ASSUMPTIONS.oneVcpuMemoryMb / memoryMb) + awsCalls * awsCallMs;
}

export interface CostInputs {
  readonly bytes: Bytes;
  readonly archiveCpuUs: number;
  readonly logForwardCpuUs: number;
  readonly archiveLogBytes: number;
  readonly logForwardLogBytes: number;
}

/** What the cost model varies around the measured inputs: the log line, the batch size, the memory. */
export interface Scenario {
  readonly logBytesPerEvent: number;
  readonly eventsPerInvocation: number;
  readonly memoryMb: number;
  /** Months of the archive's retention in S3 Standard before Standard-IA. @default all of them */
  readonly archiveStandardMonths?: number;
  /** @default PIPELINE_ASSUMPTIONS.kmsRequestsPerObject */
  readonly kmsRequestsPerObject?: number;
}

function consumerMs(inputs: CostInputs, memoryMb: number) {
  const { awsCallMs } = PIPELINE_ASSUMPTIONS;
  return {
    archive: invocationMs(
      inputs.archiveCpuUs,
      memoryMb,
      inputs.bytes.firehoseCallsPerInvocation,
      awsCallMs.archive,
    ),
    logForward: invocationMs(
      inputs.logForwardCpuUs,
      memoryMb,
      inputs.bytes.logCallsPerInvocation,
      awsCallMs.logForward,
    ),
  };
}

export function pipelineStages(inputs: CostInputs, scenario: Scenario): StageCost[] {
  const a = PIPELINE_ASSUMPTIONS;
  const { memoryMb, eventsPerInvocation } = scenario;
  const ms = consumerMs(inputs, memoryMb);
  return [
    lambdaStage('streamConsumers', [
      {
        name: 'archive fn',
        memoryMb,
        eventsPerInvocation,
        durationMs: ms.archive,
        logBytesPerInvocation: inputs.archiveLogBytes + a.platformLogBytesPerInvocation,
      },
      {
        name: 'log-forward fn',
        memoryMb,
        eventsPerInvocation,
        durationMs: ms.logForward,
        logBytesPerInvocation: inputs.logForwardLogBytes + a.platformLogBytesPerInvocation,
      },
    ]),
    firehoseStage(inputs.bytes.firehoseBilledBytesPerEvent),
    s3ArchiveStage({
      storedBytesPerEvent: inputs.bytes.archive.gzipBytes / inputs.bytes.archive.events,
      eventsPerObject: inputs.bytes.archive.events,
      retentionMonths: a.retentionMonths,
      kmsRequestsPerObject: scenario.kmsRequestsPerObject ?? a.kmsRequestsPerObject,
      ...(scenario.archiveStandardMonths === undefined
        ? {}
        : { standardMonths: scenario.archiveStandardMonths }),
    }),
    logsStage({
      ingestedBytesPerEvent: scenario.logBytesPerEvent,
      retentionMonths: a.retentionMonths,
      archiveCompression: LOGS_ARCHIVE_COMPRESSION,
    }),
  ];
}

// ---------------------------------------------------------------------------------------------------------------

/** Local mode's end-to-end path (stream poller) is measured only once `startLocal` runs it. */
function localStreamStatus(): string {
  let runner = '';
  try {
    runner = readFileSync(join(REPO_ROOT, 'local', 'runner.ts'), 'utf8');
  } catch {
    return 'local/runner.ts not found';
  }
  return /stream-?poller/i.test(runner)
    ? 'startLocal now starts a stream poller: the end-to-end local figure is still to be added to this benchmark'
    : 'not measured: startLocal does not run a stream poller yet (local/stream-poller.ts is being finished and is not wired into local/runner.ts), so events put through local mode never reach S3';
}

const usd = (value: number, digits = 4): string => `$${value.toFixed(digits)}`;

/** Target for the insight counters' extra write cost per event (issue 5). */
export const INSIGHT_COUNTER_TARGET: Target = { max: 0.2 };

/**
 * Extra WRU per event the insight counters cost: the counter consumer's one update per (key, minute) per
 * batch, each merged into its item as the adapter does (a strongly consistent read, then a put of the merged item,
 * billed at the larger of the old and the new item), over batches of the counter mapping's size in eventTime order.
 */
export function insightCounterWruPerEvent(stored: readonly StoredEvent[], batchSize: number): number {
  return insightCounterLoad(stored, batchSize).wruPerEvent;
}

/** What the counter consumer does with `stored`: capacity per event, updates per batch, keys, the largest item. */
export interface InsightCounterLoad {
  readonly wruPerEvent: number;
  readonly rruPerEvent: number;
  readonly batches: number;
  readonly updates: number;
  readonly keys: number;
  readonly largestItemBytes: number;
}

/** Counts `records` in batches of `batchSize` and prices every counter item write (shared with bench -- partitions). */
export function counterLoadOf(
  records: ReadonlyArray<{ readonly json: string; readonly sequenceNumber: string }>,
  batchSize: number,
): Omit<InsightCounterLoad, 'wruPerEvent' | 'rruPerEvent'> & { readonly wru: number; readonly rru: number } {
  const items = new Map<string, { totals: CounterTotals; bytes: number }>();
  let wru = 0;
  let rru = 0;
  let batches = 0;
  let updates = 0;
  let largestItemBytes = 0;
  const keys = new Set<string>();
  for (let start = 0; start < records.length; start += batchSize) {
    batches += 1;
    for (const update of countRecords(records.slice(start, start + batchSize))) {
      updates += 1;
      keys.add(update.keyId);
      const id = `${update.keyId}#${update.minute}`;
      const before = items.get(id);
      rru += readUnits(before?.bytes ?? 0, 'strong');
      const merged = mergeCounterUpdate(before?.totals, update);
      if (merged === undefined) continue;
      const bytes = itemBytes(counterItem(update.keyId, update.minute, merged, updates, 1_800_000_000));
      wru += writeUnits(Math.max(bytes, before?.bytes ?? 0));
      largestItemBytes = Math.max(largestItemBytes, bytes);
      items.set(id, { totals: merged, bytes });
    }
  }
  return { wru, rru, batches, updates, keys: keys.size, largestItemBytes };
}

export function insightCounterLoad(stored: readonly StoredEvent[], batchSize: number): InsightCounterLoad {
  const records = stored
    .map((event, i) => ({
      json: event.recordJson,
      sequenceNumber: String(i),
      time: JSON.parse(event.recordJson).eventTime as string,
    }))
    .sort((a, b) => (a.time < b.time ? -1 : 1));
  const { wru, rru, ...load } = counterLoadOf(records, batchSize);
  return { ...load, wruPerEvent: wru / stored.length, rruPerEvent: rru / stored.length };
}

export async function runPipeline(): Promise<Outcome> {
  const nowMs = Date.now();
  const a = PIPELINE_ASSUMPTIONS;
  progress(`pipeline: storing ${TYPICAL_EVENTS} typical events through putEvents`);
  const stored = await storeEvents(typicalBatch(TYPICAL_EVENTS, nowMs), nowMs);
  const batches = streamBatches(stored, nowMs);
  const bytes = measureBytes(stored, batches, nowMs);
  const varied = archiveObject(
    (await storeEvents(variedEvents(TYPICAL_EVENTS, nowMs, 60 * 60 * 1000), nowMs)).map(
      (event) => event.recordJson,
    ),
  );

  // Varied traffic (six sources, many names, 8% errors) at 100 events/s and at 10 events/s; the counter mapping
  // takes up to 1,000 records or 5 s per batch: 500 and 50 records.
  const busy = await storeEvents(variedEvents(6_000, nowMs, 60 * 1000), nowMs);
  const quiet = await storeEvents(variedEvents(6_000, nowMs, 10 * 60 * 1000), nowMs);
  const counterWru = insightCounterWruPerEvent(busy, 500);
  const counterWruSmallBatches = insightCounterWruPerEvent(quiet, 50);

  progress('pipeline: archiveBatch and forwardBatch per 100-record invocation');
  const core = await measureCore(batches, nowMs);
  progress('pipeline: the deployed handlers against a loopback Firehose/Logs stand-in');
  const handlers = await measureHandlers(batches);

  const inputs: CostInputs = {
    bytes,
    archiveCpuUs: handlers.archive.cpuUs,
    logForwardCpuUs: handlers.logForward.cpuUs,
    archiveLogBytes: handlers.archive.logBytes,
    logForwardLogBytes: handlers.logForward.logBytes,
  };
  const base: Scenario = {
    logBytesPerEvent: bytes.logsBytesPerEvent,
    eventsPerInvocation: a.eventsPerInvocation,
    memoryMb: a.lambdaMemoryMb,
  };
  const ms = consumerMs(inputs, a.lambdaMemoryMb);
  const stages = pipelineStages(inputs, base);
  const cost = summarize(stages);
  const withSummary = summarize(
    pipelineStages(inputs, { ...base, logBytesPerEvent: bytes.summaryLogBytesPerEvent }),
  );
  const smallBatches = summarize(pipelineStages(inputs, { ...base, eventsPerInvocation: 25 }));
  const at512Mb = summarize(pipelineStages(inputs, { ...base, memoryMb: 512 }));
  const unpackedFirehose = firehoseStage(bytes.firehoseBilledBytesPerEventUnpacked).usdPerMillionEvents;
  const variedS3 = s3ArchiveStage({
    storedBytesPerEvent: varied.gzipBytes / varied.events,
    eventsPerObject: varied.events,
    retentionMonths: a.retentionMonths,
    kmsRequestsPerObject: a.kmsRequestsPerObject,
  }).usdPerMillionEvents;
  const dominant = dominantStage(stages);
  const total = round(cost.total, 4);
  const status = statusOf(total, PIPELINE_TARGETS.costPerMillionUsd);

  const perSecond = (timing: Timing) => round(BATCH_SIZE / (timing.wallUs / 1e6), 0);
  const gzipPerEvent = round(bytes.archive.gzipBytes / bytes.archive.events, 1);
  const rawPerEvent = round(bytes.archive.rawBytes / bytes.archive.events, 1);
  const variedGzipPerEvent = round(varied.gzipBytes / varied.events, 1);
  const kb = (value: number) => round(value / 1024, 3);
  const costPerMillionUsd = {
    ...Object.fromEntries(Object.entries(cost.byStage).map(([name, value]) => [name, round(value, 4)])),
    total,
  };

  const result = {
    insightCounterWruPerEvent: round(counterWru, 3),
    s3GzipBytesPerEvent: gzipPerEvent,
    logsBytesPerEvent: round(bytes.logsBytesPerEvent, 1),
    firehoseBilledKbPerEvent: kb(bytes.firehoseBilledBytesPerEvent),
    firehoseBilledKbPerEventUnpacked: kb(bytes.firehoseBilledBytesPerEventUnpacked),
    eventsPerSecondPerInvocation: {
      archive: perSecond(core.archive),
      logForward: perSecond(core.logForward),
    },
    costPerMillionUsd,
    targets: { costPerMillionUsd: { ...PIPELINE_TARGETS.costPerMillionUsd, status } },
    detail: {
      events: stored.length,
      recordJsonBytes: round(bytes.recordJsonBytes, 1),
      s3: {
        eventsPerObject: bytes.archive.events,
        uncompressedBytesPerEvent: rawPerEvent,
        gzipBytesPerEvent: gzipPerEvent,
        compressionRatio: round(bytes.archive.rawBytes / bytes.archive.gzipBytes, 1),
        variedEventsGzipBytesPerEvent: variedGzipPerEvent,
        variedEventsS3CostPerMillionUsd: round(variedS3, 4),
      },
      firehose: {
        recordsPerInvocation: bytes.firehoseRecordsPerInvocation,
        recordBytes: bytes.firehoseRecordBytes,
        billedRecordBytes: firehoseBilledBytes(bytes.firehoseRecordBytes),
        putRecordBatchCallsPerInvocation: bytes.firehoseCallsPerInvocation,
        unpackedCostPerMillionUsd: round(unpackedFirehose, 4),
      },
      logs: {
        putLogEventsCallsPerInvocation: bytes.logCallsPerInvocation,
        summaryLineBytesPerEvent: round(bytes.summaryLogBytesPerEvent, 1),
        summaryLineOmits: SUMMARY_OMITS,
        costWithSummaryLineUsd: {
          cloudwatchLogs: round(withSummary.byStage.cloudwatchLogs ?? 0, 4),
          total: round(withSummary.total, 4),
        },
      },
      perInvocation: {
        core: {
          archive: { wallUs: round(core.archive.wallUs, 1), cpuUs: round(core.archive.cpuUs, 1) },
          logForward: { wallUs: round(core.logForward.wallUs, 1), cpuUs: round(core.logForward.cpuUs, 1) },
        },
        handler: {
          archive: {
            wallUs: round(handlers.archive.wallUs, 1),
            cpuUs: round(handlers.archive.cpuUs, 1),
            logBytes: round(handlers.archive.logBytes, 0),
          },
          logForward: {
            wallUs: round(handlers.logForward.wallUs, 1),
            cpuUs: round(handlers.logForward.cpuUs, 1),
            logBytes: round(handlers.logForward.logBytes, 0),
          },
          handlerEventsPerSecond: {
            archive: perSecond(handlers.archive),
            logForward: perSecond(handlers.logForward),
          },
        },
        modelledBilledMs: {
          archive: lambdaBilledMs(ms.archive),
          logForward: lambdaBilledMs(ms.logForward),
        },
      },
      costLines: stages.flatMap((cost) =>
        cost.lines.map((line) => ({
          stage: cost.stage,
          what: line.what,
          quantity: round(line.quantity, 6),
          unit: line.unit,
          usd: round(line.usd, 6),
        })),
      ),
      costWith25EventBatchesUsd: round(smallBatches.total, 4),
      costAt512MbUsd: round(at512Mb.total, 4),
      assumptions: PIPELINE_ASSUMPTIONS,
      localEndToEnd: localStreamStatus(),
    },
  };

  const stageRow = (cost: StageCost): Row => ({
    metric: `$ per M events: ${cost.stage}`,
    value: usd(cost.usdPerMillionEvents),
  });
  const rows: Row[] = [
    {
      metric: 'S3 bytes per event: gzip / uncompressed',
      value: `${gzipPerEvent} / ${rawPerEvent}`,
    },
    { metric: 'CloudWatch Logs bytes per event', value: String(round(bytes.logsBytesPerEvent, 1)) },
    {
      metric: 'Firehose billed KB per event: packed / unpacked',
      value: `${kb(bytes.firehoseBilledBytesPerEvent)} / ${kb(bytes.firehoseBilledBytesPerEventUnpacked)}`,
    },
    {
      metric: 'archiveBatch: events/s per invocation (µs per 100)',
      value: `${perSecond(core.archive)} (${round(core.archive.wallUs, 0)})`,
    },
    {
      metric: 'forwardBatch: events/s per invocation (µs per 100)',
      value: `${perSecond(core.logForward)} (${round(core.logForward.wallUs, 0)})`,
    },
    {
      metric: 'handlers + SDK, loopback: events/s archive / log-forward',
      value: `${perSecond(handlers.archive)} / ${perSecond(handlers.logForward)}`,
    },
    ...stages.map(stageRow),
    targetRow('$ per M events: pipeline total', total, usd(total), PIPELINE_TARGETS.costPerMillionUsd),
    targetRow(
      'insight counters: extra WRU per event at 100 / 10 events/s',
      counterWru,
      `${round(counterWru, 3)} / ${round(counterWruSmallBatches, 3)}`,
      INSIGHT_COUNTER_TARGET,
    ),
    {
      metric: '$ per M events: total with a summary log line',
      value: usd(withSummary.total),
    },
  ];

  const line = (cost: StageCost) =>
    `${cost.stage} ${usd(cost.usdPerMillionEvents)} = ${cost.lines
      .map((entry) => `${entry.what} ${round(entry.quantity, 4)} ${entry.unit} ${usd(entry.usd, 5)}`)
      .join(' + ')}`;
  const logs = stages.find((cost) => cost.stage === 'cloudwatchLogs');
  const logsIngestion = logs?.lines[0]?.usd ?? 0;
  const notes = [
    `pipeline: ${stored.length} typical events stored through putEvents (${round(bytes.recordJsonBytes, 0)} B of record JSON each), then as ${batches.length} stream batches of about ${BATCH_SIZE} events each, as page INSERTs built from the adapter's own items.`,
    `pipeline: S3 object = one Firehose delivery at ${a.eventsPerSecond} events/s buffered ${a.firehoseBufferSeconds} s (size hint ${a.firehoseBufferBytes / 2 ** 20} MiB not reached): ${bytes.archive.events} NDJSON lines, ${bytes.archive.rawBytes} B, gzip (zlib default level) ${bytes.archive.gzipBytes} B, ratio ${round(bytes.archive.rawBytes / bytes.archive.gzipBytes, 1)}:1. The typical events differ only in ids and times, so they compress unusually well; ${varied.events} varied events (six sources, 32 identities, 8% errors) take ${variedGzipPerEvent} B/event gzip, which would make the S3 stage ${usd(variedS3)} and the total ${usd(cost.total - (cost.byStage.s3Archive ?? 0) + variedS3)}.`,
    `pipeline: CloudWatch Logs bytes = the message of each log event (the stored record JSON), ${bytes.logCallsPerInvocation} PutLogEvents call per 100-event invocation. PutLogEvents counts 26 B per event toward its 1 MiB call limit; the pricing pages found bill "data ingested" and the IncomingBytes metric counts uncompressed log event bytes, with no mention of the 26 B, so they are left out (+26 B/event would add ${usd((26 * 1e6 * 0.5) / 2 ** 30)} per million).`,
    `pipeline: Firehose packing: ${bytes.firehoseRecordsPerInvocation} record of ${bytes.firehoseRecordBytes} B per 100-event invocation, billed ${firehoseBilledBytes(bytes.firehoseRecordBytes)} B; one record per event would be billed 5,120 B each, ${round(bytes.firehoseBilledBytesPerEventUnpacked / bytes.firehoseBilledBytesPerEvent, 2)}x as much (${usd(unpackedFirehose)} instead of ${usd(stages[1]?.usdPerMillionEvents ?? 0)} per million).`,
    `pipeline: throughput per invocation in process, median of ${ROUNDS} rounds, sinks answering at once: archiveBatch ${round(core.archive.wallUs, 0)} µs (${round(core.archive.cpuUs, 0)} µs CPU), forwardBatch ${round(core.logForward.wallUs, 0)} µs (${round(core.logForward.cpuUs, 0)} µs CPU) per 100 records. The deployed handlers (streamHandler, real sinks and SDK clients, a loopback stand-in for Firehose/Logs in a child process): archive ${round(handlers.archive.wallUs, 0)} µs wall / ${round(handlers.archive.cpuUs, 0)} µs CPU, log-forward ${round(handlers.logForward.wallUs, 0)} µs / ${round(handlers.logForward.cpuUs, 0)} µs, logging ${round(handlers.archive.logBytes, 0)} B and ${round(handlers.logForward.logBytes, 0)} B per invocation.`,
    `pipeline: Lambda cost inputs (assumed): ${a.lambdaMemoryMb} MB arm64, ${a.eventsPerInvocation} events per invocation, billed duration = handler CPU x ${round(a.oneVcpuMemoryMb / a.lambdaMemoryMb, 2)} (vCPU share at ${a.lambdaMemoryMb} MB of the one vCPU at ${a.oneVcpuMemoryMb} MB) + ${a.awsCallMs.archive} ms per PutRecordBatch / ${a.awsCallMs.logForward} ms per PutLogEvents round trip = ${lambdaBilledMs(ms.archive)} ms archive, ${lambdaBilledMs(ms.logForward)} ms log-forward; each function's own log group also ingests its log line(s) + ${a.platformLogBytesPerInvocation} B of START/END/REPORT. DynamoDB does not bill GetRecords made by Lambda triggers. Sensitivity: with 25-event batches (no batching window at this rate) the total would be ${usd(smallBatches.total)}; at 512 MB ${usd(at512Mb.total)}.`,
    `pipeline: storage for ${a.retentionMonths} months: S3 Standard on the gzip bytes, one PUT and (upper bound, SSE-KMS without bucket key) one KMS request per object; CloudWatch Logs archive billed on ${LOGS_ARCHIVE_COMPRESSION * 100}% of ingested bytes (AWS Pricing Calculator's compression factor). GB = 2^30 bytes throughout (decimal GB would raise the Logs lines by 7.4%).`,
    ...stages.map((cost) => `pipeline: ${line(cost)}.`),
    `pipeline: ${status === 'PASS' ? 'within' : 'MISSES'} the $${PIPELINE_TARGETS.costPerMillionUsd.max} target: ${usd(total)} per million 1 KB events. ${dominant ? `${dominant.stage} is ${round(dominant.share * 100, 0)}% of it` : ''}${dominant?.stage === 'cloudwatchLogs' ? `, and its ingestion alone (${usd(logsIngestion)}) is ${round((logsIngestion / cost.total) * 100, 0)}%: every full record is ingested at $0.50/GB` : ''}.`,
    `pipeline: alternative for the owners (product code unchanged): a "summary" log line without ${SUMMARY_OMITS.join(', ')} is ${round(bytes.summaryLogBytesPerEvent, 0)} B instead of ${round(bytes.logsBytesPerEvent, 0)} B; CloudWatch Logs would cost ${usd(withSummary.byStage.cloudwatchLogs ?? 0)} and the pipeline ${usd(withSummary.total)} (${statusOf(withSummary.total, PIPELINE_TARGETS.costPerMillionUsd)}); metric filters on errorCode, eventName, userIdentity and sourceIPAddress keep working, the full record stays in S3 and DynamoDB.`,
    `pipeline: local end to end: ${localStreamStatus()}.`,
    `pipeline: insight counters: ${busy.length} varied events (six sources, 8% errors) in eventTime order, at 100 events/s (batches of 500: the counter mapping's 5 s window) and at 10 events/s (batches of 50); each batch makes one read-merge-write per (key, minute) (a strongly consistent GetItem, a PutItem billed at the larger of the old and new item: count, the last update ids, the top contributors per attribute, capped): ${round(counterWru, 3)} and ${round(counterWruSmallBatches, 3)} WRU per event. The cost per event falls as traffic rises; at a trickle (one event per batch) it approaches 1-2 WRU per counted event.`,
  ];
  return { name: 'pipeline', result, rows, notes };
}
