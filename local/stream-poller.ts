import { randomUUID } from 'node:crypto';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type AttributeValue as StreamAttributeValue,
} from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type {
  AttributeValue,
  Context,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
} from 'aws-lambda';
import { STREAM_FILTER_PATTERNS } from '../lambda/core/pipeline.js';
import { compileFilters, type FilterPattern, type RecordFilter } from './event-filter.js';
import {
  createLambdaContext,
  describeError,
  functionArn,
  type InvocationOutcome,
  invokeWithTimeout,
} from './lambda-invoke.js';

/**
 * Plays a Lambda event source mapping on a DynamoDB stream for one consumer (moto runs no Lambda): reads every
 * shard in order, filters, batches, invokes the handler with a real DynamoDBStreamEvent and applies the
 * mapping's failure handling: partial batch responses, bisect on error, bounded retries and record age, and
 * an on-failure record in the consumer's SQS dead-letter queue. Each consumer has its own poller and its own
 * progress, so a failing consumer never holds back another (docs/pipeline.md).
 *
 * Where Lambda's documentation leaves a choice open, this poller decides as follows:
 * - a partial batch response that moved past some records starts the retry count again for the rest;
 * - after a split, each half has its full retry quota ("splitting batches doesn't consume the retry quota");
 * - approximateInvokeCount counts every invocation that carried the discarded records, before splits too;
 * - an itemIdentifier that names no record of the batch fails the whole batch, like an empty one;
 * - checkpoints live in memory: they survive stop() and start(), not a new process.
 */

export type StreamFunction = (
  event: DynamoDBStreamEvent,
  context: Context,
) => Promise<DynamoDBBatchResponse | undefined>;

/** Lambda's on-failure destination record for stream event sources (Lambda Developer Guide, services-dynamodb-errors). */
export interface StreamOnFailureRecord {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    readonly approximateInvokeCount: number;
  };
  /** The last invocation's outcome; absent when the records expired before any invocation. */
  readonly responseContext?: {
    readonly statusCode: number;
    readonly executedVersion: string;
    readonly functionError?: 'Unhandled';
  };
  readonly version: '1.0';
  readonly timestamp: string;
  readonly DDBStreamBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}

/** Where discarded batches are described: the mapping's DestinationConfig.OnFailure. */
export interface FailureDestination {
  send(record: StreamOnFailureRecord): Promise<void>;
}

export const sqsFailureDestination = (sqs: SQSClient, queueUrl: string): FailureDestination => ({
  send: async (record) => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(record) }));
  },
});

/** The pipeline's mapping filters, the patterns the stack deploys: INSERTs of event items only. */
export const PIPELINE_FILTERS: readonly FilterPattern[] = STREAM_FILTER_PATTERNS;

/** The settings of a DynamoDB event source mapping that local mode honours, with Lambda's names in the docs. */
export interface StreamMappingSettings {
  /** BatchSize. @default 100 */
  readonly batchSize?: number;
  /** MaximumBatchingWindowInSeconds, in ms. @default 1 000 */
  readonly maxBatchingWindowMs?: number;
  /** The invocation payload limit a batch stays under (Lambda's 6 MB). @default 6 MiB */
  readonly maxBatchBytes?: number;
  /** MaximumRetryAttempts; -1 retries until the record is too old. @default 5 */
  readonly retryAttempts?: number;
  /** MaximumRecordAgeInSeconds; -1 is no limit (the stream's 24 h retention). @default 86 400 */
  readonly maxRecordAgeSeconds?: number;
  /** BisectBatchOnFunctionError. @default true */
  readonly bisectBatchOnError?: boolean;
  /** FunctionResponseTypes ReportBatchItemFailures. @default true */
  readonly reportBatchItemFailures?: boolean;
  /** StartingPosition, where a shard is read from when there is no checkpoint. @default 'TRIM_HORIZON' */
  readonly startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** FilterCriteria: a record is delivered when any pattern matches. @default PIPELINE_FILTERS */
  readonly filters?: readonly FilterPattern[];
  /** The function's timeout; a timeout is a function error. @default 60 000 ms */
  readonly functionTimeoutMs?: number;
}

/** How the poller behaves between invocations; tests shrink these. */
export interface StreamPollerTiming {
  /** Wait between GetRecords calls that returned nothing (Lambda polls 4 times a second). @default 250 ms */
  readonly pollIntervalMs?: number;
  /** Retries of a failed batch wait a random time up to min(max, base * 2^retry). @default 100 ms */
  readonly retryBaseDelayMs?: number;
  /** @default 5 000 ms */
  readonly retryMaxDelayMs?: number;
  /** How often the shard list is read again to find new shards. @default 10 000 ms */
  readonly shardRefreshMs?: number;
  /** The clock record ages are measured with. @default Date.now */
  readonly now?: () => number;
}

export interface StreamPollerOptions extends StreamMappingSettings, StreamPollerTiming {
  /** The consumer's function name: in the context, the function ARN and the on-failure record. */
  readonly functionName: string;
  readonly handler: StreamFunction;
  readonly streams: DynamoDBStreamsClient;
  /** The table's LatestStreamArn (see latestStreamArn). */
  readonly streamArn: string;
  readonly onFailure: FailureDestination;
  /** Diagnostics: one line per invocation and every failure. @default drop them */
  readonly log?: (line: string) => void;
}

export interface StreamPollerStats {
  /** Handler invocations, failed ones included. */
  readonly invocations: number;
  /** Invocations that threw, timed out or reported a failed record. */
  readonly failedInvocations: number;
  /** Stream records read, before the filter. */
  readonly recordsRead: number;
  readonly recordsFilteredOut: number;
  /** Records the handler took: all of a successful batch, and those before the failed one in a partial response. */
  readonly recordsDelivered: number;
  /** Records given up on and described in the dead-letter queue. */
  readonly recordsSentToDlq: number;
  /** On-failure records sent (one per discarded batch). */
  readonly dlqMessages: number;
}

export interface StreamPoller {
  /** Starts polling; after stop(), resumes after the last record each shard finished with. */
  start(): void;
  /** Stops polling and waits for the batch in hand: an invocation finishes, a retry wait is cut short. */
  stop(): Promise<void>;
  stats(): StreamPollerStats;
}

/** The table's current stream, which the mapping reads; the table must have a stream. */
export const latestStreamArn = async (dynamodb: DynamoDBClient, tableName: string): Promise<string> => {
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
  if (Table?.LatestStreamArn === undefined) throw new Error(`Table ${tableName} has no stream`);
  return Table.LatestStreamArn;
};

const DEFAULTS = {
  batchSize: 100,
  maxBatchingWindowMs: 1_000,
  maxBatchBytes: 6 * 1024 * 1024,
  retryAttempts: 5,
  maxRecordAgeSeconds: 24 * 60 * 60,
  bisectBatchOnError: true,
  reportBatchItemFailures: true,
  startingPosition: 'TRIM_HORIZON',
  functionTimeoutMs: 60_000,
  pollIntervalMs: 250,
  retryBaseDelayMs: 100,
  retryMaxDelayMs: 5_000,
  shardRefreshMs: 10_000,
} as const;
/** GetRecords' largest page. */
const GET_RECORDS_LIMIT = 1_000;
/** Back-off after a failed stream call (an emulator restart, an expired iterator) before trying again. */
const READ_ERROR_DELAY_MS = { base: 250, max: 5_000 } as const;

export const createStreamPoller = (options: StreamPollerOptions): StreamPoller => new Poller(options);

type Settings = Required<StreamMappingSettings & StreamPollerTiming>;

type MutableStats = { -readonly [K in keyof StreamPollerStats]: StreamPollerStats[K] };

/** A run of consecutive records invoked together, with its retries and invocations so far. */
interface Segment {
  records: DynamoDBRecord[];
  retries: number;
  /** Invocations that carried these records, those of the batch it was split from included. */
  invocations: number;
  lastRequestId?: string;
  lastResponse?: StreamOnFailureRecord['responseContext'];
}

/** How the mapping reads an invocation's outcome. */
type InvocationResult =
  | { readonly kind: 'success' }
  | { readonly kind: 'partial'; readonly failedIndex: number }
  | { readonly kind: 'failure'; readonly reason: string };

type BatchResult = InvocationResult | { readonly kind: 'stopped' };

interface ShardState {
  readonly shardId: string;
  readonly parentShardId: string | undefined;
  /** The last record this consumer is done with (delivered, filtered out or discarded). */
  checkpoint?: string;
  finished: boolean;
  reading?: Promise<void>;
}

class Poller implements StreamPoller {
  private readonly settings: Settings;
  private readonly filter: RecordFilter;
  private readonly region: string;
  private readonly accountId: string;
  private readonly log: (line: string) => void;
  private readonly counters: MutableStats = {
    invocations: 0,
    failedInvocations: 0,
    recordsRead: 0,
    recordsFilteredOut: 0,
    recordsDelivered: 0,
    recordsSentToDlq: 0,
    dlqMessages: 0,
  };
  private readonly shards = new Map<string, ShardState>();
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private wakeRefresh: (() => void) | undefined;

  constructor(private readonly options: StreamPollerOptions) {
    this.settings = {
      batchSize: options.batchSize ?? DEFAULTS.batchSize,
      maxBatchingWindowMs: options.maxBatchingWindowMs ?? DEFAULTS.maxBatchingWindowMs,
      maxBatchBytes: options.maxBatchBytes ?? DEFAULTS.maxBatchBytes,
      retryAttempts: options.retryAttempts ?? DEFAULTS.retryAttempts,
      maxRecordAgeSeconds: options.maxRecordAgeSeconds ?? DEFAULTS.maxRecordAgeSeconds,
      bisectBatchOnError: options.bisectBatchOnError ?? DEFAULTS.bisectBatchOnError,
      reportBatchItemFailures: options.reportBatchItemFailures ?? DEFAULTS.reportBatchItemFailures,
      startingPosition: options.startingPosition ?? DEFAULTS.startingPosition,
      filters: options.filters ?? PIPELINE_FILTERS,
      functionTimeoutMs: options.functionTimeoutMs ?? DEFAULTS.functionTimeoutMs,
      pollIntervalMs: options.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
      retryBaseDelayMs: options.retryBaseDelayMs ?? DEFAULTS.retryBaseDelayMs,
      retryMaxDelayMs: options.retryMaxDelayMs ?? DEFAULTS.retryMaxDelayMs,
      shardRefreshMs: options.shardRefreshMs ?? DEFAULTS.shardRefreshMs,
      now: options.now ?? Date.now,
    };
    if (!Number.isInteger(this.settings.batchSize) || this.settings.batchSize < 1) {
      throw new Error(`batchSize must be a positive whole number (got ${this.settings.batchSize})`);
    }
    this.filter = compileFilters(this.settings.filters);
    // arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>; the label itself holds colons.
    const [, , , region, accountId] = options.streamArn.split(':');
    if (!region || !accountId) throw new Error(`Not a DynamoDB stream ARN: ${options.streamArn}`);
    this.region = region;
    this.accountId = accountId;
    const log = options.log ?? (() => {});
    this.log = (line) => log(`${options.functionName}: ${line}`);
  }

  start(): void {
    if (this.loop !== undefined) return;
    this.abort = new AbortController();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    const loop = this.loop;
    if (loop === undefined) return;
    this.abort.abort();
    await loop;
    this.loop = undefined;
  }

  stats(): StreamPollerStats {
    return { ...this.counters };
  }

  private get running(): boolean {
    return !this.abort.signal.aborted;
  }

  /** Finds shards and reads each in its own loop; a child shard waits until its parent is read to the end. */
  private async run(): Promise<void> {
    while (this.running) {
      try {
        for (const shard of await this.describeShards()) {
          if (shard.ShardId !== undefined && !this.shards.has(shard.ShardId)) {
            this.shards.set(shard.ShardId, {
              shardId: shard.ShardId,
              parentShardId: shard.ParentShardId,
              finished: false,
            });
          }
        }
      } catch (error) {
        this.log(`DescribeStream failed: ${errorSummary(error)}`);
      }
      for (const state of this.shards.values()) {
        const parent = state.parentShardId === undefined ? undefined : this.shards.get(state.parentShardId);
        if (state.reading === undefined && !state.finished && (parent === undefined || parent.finished)) {
          state.reading = this.readShard(state).finally(() => {
            state.reading = undefined;
            this.wakeRefresh?.();
          });
        }
      }
      await this.waitForRefresh();
    }
    await Promise.all([...this.shards.values()].map((state) => state.reading));
  }

  /** Waits for the next shard refresh: its interval, a shard reader ending, or stop(). */
  private waitForRefresh(): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.abort.signal;
      const finish = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', finish);
        this.wakeRefresh = undefined;
        resolve();
      };
      const timer = setTimeout(finish, this.settings.shardRefreshMs);
      this.wakeRefresh = finish;
      signal.addEventListener('abort', finish, { once: true });
    });
  }

  /** Resolves with the promise's value, or undefined as soon as stop() is called. */
  private unlessStopped<T>(promise: Promise<T>): Promise<T | undefined> {
    const signal = this.abort.signal;
    if (signal.aborted) return Promise.resolve(undefined);
    let onAbort: () => void = () => {};
    const stopped = new Promise<undefined>((resolve) => {
      onAbort = () => resolve(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    return Promise.race([promise, stopped]).finally(() => signal.removeEventListener('abort', onAbort));
  }

  /** A pause that stop() cuts short. */
  private pause(ms: number): Promise<void> {
    if (!this.running || ms <= 0) return Promise.resolve();
    const signal = this.abort.signal;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private async describeShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    // Bounded: 1,000 pages of 100 shards is far more than a table's stream has.
    for (let page = 0; page < 1_000; page++) {
      const { StreamDescription } = await this.options.streams.send(
        new DescribeStreamCommand({
          StreamArn: this.options.streamArn,
          ExclusiveStartShardId: exclusiveStartShardId,
        }),
      );
      shards.push(...(StreamDescription?.Shards ?? []));
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
      if (exclusiveStartShardId === undefined) break;
    }
    return shards;
  }

  // ---- Reading a shard ----

  private async readShard(state: ShardState): Promise<void> {
    const reader = new ShardReader(state);
    try {
      while (this.running) {
        const batch = await this.nextBatch(reader);
        if (batch.length === 0) {
          if (reader.ended) {
            state.finished = true;
            this.log(`shard ${state.shardId} read to its end`);
          }
          return;
        }
        if (!(await this.deliverBatch(state, batch))) return;
        reader.consume(batch.length);
      }
    } catch (error) {
      // A bug, not an AWS error (those are handled where they happen): the shard is read again after a
      // refresh, from its checkpoint.
      this.log(`reading shard ${state.shardId} stopped: ${describeError(error)}`);
      await this.pause(this.settings.shardRefreshMs);
    }
  }

  /**
   * The next batch: up to batchSize records within maxBatchBytes, waiting up to the batching window after the
   * first record for more. Empty when the shard has ended or the poller stops.
   */
  private async nextBatch(reader: ShardReader): Promise<DynamoDBRecord[]> {
    const { batchSize, maxBatchBytes, maxBatchingWindowMs, pollIntervalMs } = this.settings;
    let windowEndsAt: number | undefined;
    while (this.running) {
      const { records, full } = reader.peek(batchSize, maxBatchBytes);
      if (records.length > 0) windowEndsAt ??= Date.now() + maxBatchingWindowMs;
      const windowOver = windowEndsAt !== undefined && Date.now() >= windowEndsAt;
      if (full || (records.length > 0 && (windowOver || reader.ended))) return records;
      if (reader.ended) return [];
      const read = await this.read(reader);
      if (read === 0 && !reader.ended) {
        const untilWindowEnds = windowEndsAt === undefined ? pollIntervalMs : windowEndsAt - Date.now();
        await this.pause(Math.min(pollIntervalMs, untilWindowEnds));
      }
    }
    return [];
  }

  /** One GetRecords call; answers how many records it read. Errors are logged and retried after a back-off. */
  private async read(reader: ShardReader): Promise<number> {
    const { shardId } = reader.state;
    try {
      reader.iterator ??= await this.newIterator(reader);
      const page = await this.options.streams.send(
        new GetRecordsCommand({ ShardIterator: reader.iterator, Limit: GET_RECORDS_LIMIT }),
      );
      const records = page.Records ?? [];
      const accepted: DynamoDBRecord[] = [];
      for (const record of records) {
        const event = toLambdaRecord(record, this.options.streamArn, this.region);
        if (this.filter(event)) accepted.push(event);
      }
      this.counters.recordsRead += records.length;
      this.counters.recordsFilteredOut += records.length - accepted.length;
      reader.append(records.at(-1)?.dynamodb?.SequenceNumber, accepted, page.NextShardIterator);
      reader.readErrors = 0;
      return records.length;
    } catch (error) {
      reader.readErrors += 1;
      // An expired or unknown iterator (moto answers an unknown one with HTTP 500) is replaced by a new one
      // from where reading stopped; trimmed data is gone, so reading restarts at the oldest record left.
      reader.iterator = undefined;
      if (error instanceof Error && error.name === 'TrimmedDataAccessException')
        reader.restartAtTrimHorizon();
      this.log(`reading shard ${shardId} failed (${reader.readErrors} in a row): ${errorSummary(error)}`);
      await this.pause(Math.min(READ_ERROR_DELAY_MS.max, READ_ERROR_DELAY_MS.base * 2 ** reader.readErrors));
      return 0;
    }
  }

  private async newIterator(reader: ShardReader): Promise<string> {
    // Resume after what was read, or after the checkpoint of an earlier run; else at the starting position.
    const after = reader.resumeAfter();
    const { ShardIterator } = await this.options.streams.send(
      new GetShardIteratorCommand({
        StreamArn: this.options.streamArn,
        ShardId: reader.state.shardId,
        ...(after === undefined
          ? { ShardIteratorType: reader.startAt ?? this.settings.startingPosition }
          : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }),
      }),
    );
    if (ShardIterator === undefined)
      throw new Error(`GetShardIterator returned no iterator for ${reader.state.shardId}`);
    return ShardIterator;
  }

  // ---- Delivering a batch: the mapping's failure handling ----

  /**
   * Delivers a batch until every record is either taken by the handler or described in the dead-letter queue,
   * moving the shard's checkpoint as runs of records are done. Answers false when stop() came first.
   */
  private async deliverBatch(state: ShardState, batch: DynamoDBRecord[]): Promise<boolean> {
    const done = (records: readonly DynamoDBRecord[]) => {
      state.checkpoint = records.at(-1)?.dynamodb?.SequenceNumber ?? state.checkpoint;
    };
    const pending: Segment[] = [{ records: batch, retries: 0, invocations: 0 }];
    while (pending.length > 0) {
      const segment = pending[0] as Segment;
      const expired = this.countExpired(segment.records);
      if (expired > 0) {
        const discarded = segment.records.slice(0, expired);
        if (!(await this.discard(state.shardId, segment, discarded, 'RecordAgeExceeded'))) return false;
        done(discarded);
        segment.records = segment.records.slice(expired);
        if (segment.records.length === 0) {
          pending.shift();
          continue;
        }
      }
      if (!this.running) return false;

      const result = await this.invoke(segment);
      if (result.kind === 'stopped') return false;
      if (result.kind === 'success') {
        this.counters.recordsDelivered += segment.records.length;
        done(segment.records);
        pending.shift();
        continue;
      }
      this.counters.failedInvocations += 1;
      if (result.kind === 'partial') {
        // Records before the failed one are checkpointed and the rest is retried: with bisect on, Lambda
        // "bisects at the returned sequence number". A partial response is no function error, so the rest is
        // not split further; a record that keeps failing takes the records behind it to the DLQ with it.
        const delivered = segment.records.slice(0, result.failedIndex);
        this.counters.recordsDelivered += delivered.length;
        done(delivered);
        segment.records = segment.records.slice(result.failedIndex);
        // Progress starts the count again: the retries are about the record now at the front.
        segment.retries = delivered.length > 0 ? 1 : segment.retries + 1;
      } else if (this.settings.bisectBatchOnError && segment.records.length > 1) {
        // Splitting does not consume the retry quota (Lambda Developer Guide, services-dynamodb-errors).
        const half = Math.ceil(segment.records.length / 2);
        this.log(
          `batch of ${segment.records.length} failed (${result.reason}); split into ${half} + ${segment.records.length - half}`,
        );
        pending.splice(
          0,
          1,
          { ...segment, records: segment.records.slice(0, half), retries: 0 },
          { ...segment, records: segment.records.slice(half), retries: 0 },
        );
        continue;
      } else {
        segment.retries += 1;
      }
      if (this.settings.retryAttempts >= 0 && segment.retries > this.settings.retryAttempts) {
        if (!(await this.discard(state.shardId, segment, segment.records, 'RetryAttemptsExhausted'))) {
          return false;
        }
        done(segment.records);
        pending.shift();
        continue;
      }
      await this.pause(this.retryDelay(segment.retries));
    }
    return true;
  }

  private async invoke(segment: Segment): Promise<BatchResult> {
    const timeoutMs = this.settings.functionTimeoutMs;
    const context = createLambdaContext(this.options.functionName, this.region, this.accountId, timeoutMs);
    const startedAt = Date.now();
    this.counters.invocations += 1;
    segment.invocations += 1;
    segment.lastRequestId = context.awsRequestId;
    const outcome = await this.unlessStopped(
      invokeWithTimeout(this.options.handler, { Records: segment.records }, context, timeoutMs),
    );
    // stop() does not wait for a slow handler: its batch is not checkpointed and is delivered again later.
    if (outcome === undefined) return { kind: 'stopped' };
    segment.lastResponse = {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(outcome.kind === 'result' ? {} : { functionError: 'Unhandled' as const }),
    };
    const result = this.interpret(outcome, segment.records);
    const summary =
      result.kind === 'success'
        ? 'ok'
        : result.kind === 'partial'
          ? `partial failure from record ${result.failedIndex + 1}`
          : `failed: ${result.reason}`;
    this.log(`${segment.records.length} records -> ${summary} (${Date.now() - startedAt} ms)`);
    if (outcome.kind === 'error') this.log(`handler error: ${describeError(outcome.error)}`);
    return result;
  }

  /**
   * Reads the function's answer as Lambda does (Lambda Developer Guide, services-ddb-batchfailurereporting):
   * no response, no list or an empty list is success; an empty, missing or unknown itemIdentifier fails the
   * whole batch; several failures retry from the lowest sequence number.
   */
  private interpret(
    outcome: InvocationOutcome<unknown>,
    records: readonly DynamoDBRecord[],
  ): InvocationResult {
    if (outcome.kind === 'timeout') {
      return { kind: 'failure', reason: `timed out after ${this.settings.functionTimeoutMs} ms` };
    }
    if (outcome.kind === 'error') return { kind: 'failure', reason: errorSummary(outcome.error) };
    const response = outcome.result;
    if (!this.settings.reportBatchItemFailures) return { kind: 'success' };
    if (typeof response !== 'object' || response === null || !('batchItemFailures' in response)) {
      return { kind: 'success' };
    }
    const failures: unknown = response.batchItemFailures;
    if (failures === null || failures === undefined) return { kind: 'success' };
    if (!Array.isArray(failures)) return { kind: 'failure', reason: 'batchItemFailures is not a list' };
    let lowest: number | undefined;
    for (const failure of failures as unknown[]) {
      const identifier: unknown =
        typeof failure === 'object' && failure !== null && 'itemIdentifier' in failure
          ? failure.itemIdentifier
          : undefined;
      const index =
        typeof identifier === 'string' && identifier !== ''
          ? records.findIndex((record) => record.dynamodb?.SequenceNumber === identifier)
          : -1;
      if (index < 0) {
        return {
          kind: 'failure',
          reason: `invalid itemIdentifier ${JSON.stringify(identifier) ?? 'undefined'}`,
        };
      }
      lowest = Math.min(lowest ?? index, index);
    }
    return lowest === undefined ? { kind: 'success' } : { kind: 'partial', failedIndex: lowest };
  }

  /** Records at the front of a batch older than the maximum record age: they are never invoked. */
  private countExpired(records: readonly DynamoDBRecord[]): number {
    if (this.settings.maxRecordAgeSeconds < 0) return 0;
    const oldestAllowed = this.settings.now() / 1000 - this.settings.maxRecordAgeSeconds;
    const firstLive = records.findIndex(
      (record) => (record.dynamodb?.ApproximateCreationDateTime ?? Number.POSITIVE_INFINITY) >= oldestAllowed,
    );
    return firstLive < 0 ? records.length : firstLive;
  }

  /** Describes given-up records in the dead-letter queue; tries until it is sent or stop() is called. */
  private async discard(
    shardId: string,
    segment: Segment,
    records: readonly DynamoDBRecord[],
    condition: StreamOnFailureRecord['requestContext']['condition'],
  ): Promise<boolean> {
    const first = records[0]?.dynamodb;
    const last = records.at(-1)?.dynamodb;
    const record: StreamOnFailureRecord = {
      requestContext: {
        requestId: segment.lastRequestId ?? randomUUID(),
        functionArn: functionArn(this.region, this.accountId, this.options.functionName),
        condition,
        approximateInvokeCount: segment.invocations,
      },
      ...(segment.lastResponse === undefined ? {} : { responseContext: segment.lastResponse }),
      version: '1.0',
      timestamp: new Date(this.settings.now()).toISOString(),
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: first?.SequenceNumber ?? '',
        endSequenceNumber: last?.SequenceNumber ?? '',
        approximateArrivalOfFirstRecord: isoSeconds(first?.ApproximateCreationDateTime),
        approximateArrivalOfLastRecord: isoSeconds(last?.ApproximateCreationDateTime),
        batchSize: records.length,
        streamArn: this.options.streamArn,
      },
    };
    const { startSequenceNumber, endSequenceNumber } = record.DDBStreamBatchInfo;
    for (let attempt = 1; this.running; attempt++) {
      try {
        await this.options.onFailure.send(record);
        this.counters.recordsSentToDlq += records.length;
        this.counters.dlqMessages += 1;
        this.log(
          `${condition}: ${records.length} records (${startSequenceNumber}..${endSequenceNumber}) described in the dead-letter queue`,
        );
        return true;
      } catch (error) {
        this.log(`sending to the dead-letter queue failed (attempt ${attempt}): ${errorSummary(error)}`);
        await this.pause(this.retryDelay(attempt));
      }
    }
    return false;
  }

  private retryDelay(retry: number): number {
    const ceiling = Math.min(this.settings.retryMaxDelayMs, this.settings.retryBaseDelayMs * 2 ** retry);
    return Math.floor(Math.random() * ceiling);
  }
}

/**
 * One shard's read position. GetRecords pages go into a buffer, filtered on arrival; batches are cut from its
 * front and removed once handled, so reading ahead never skips a record.
 */
class ShardReader {
  iterator: string | undefined;
  readErrors = 0;
  /** The shard is closed and read to its end. */
  ended = false;
  /** Set after trimmed data: where a new iterator starts instead of the mapping's starting position. */
  startAt: 'TRIM_HORIZON' | undefined;
  private lastRead: string | undefined;
  private readonly buffer: Array<{ readonly record: DynamoDBRecord; readonly bytes: number }> = [];

  constructor(readonly state: ShardState) {}

  peek(batchSize: number, maxBytes: number): { records: DynamoDBRecord[]; full: boolean } {
    const records: DynamoDBRecord[] = [];
    let bytes = 0;
    for (const entry of this.buffer) {
      if (records.length === batchSize || (records.length > 0 && bytes + entry.bytes > maxBytes)) {
        return { records, full: true };
      }
      records.push(entry.record);
      bytes += entry.bytes;
    }
    return { records, full: false };
  }

  append(
    lastSequenceNumber: string | undefined,
    accepted: readonly DynamoDBRecord[],
    next: string | undefined,
  ) {
    if (lastSequenceNumber !== undefined) this.lastRead = lastSequenceNumber;
    for (const record of accepted)
      this.buffer.push({ record, bytes: Buffer.byteLength(JSON.stringify(record)) });
    // Nothing waits to be handled: whatever was read was filtered out, so the checkpoint moves past it.
    if (this.buffer.length === 0 && lastSequenceNumber !== undefined)
      this.state.checkpoint = lastSequenceNumber;
    this.iterator = next;
    // No next iterator: the shard is closed and everything in it has been read.
    if (next === undefined) this.ended = true;
  }

  consume(count: number): void {
    this.buffer.splice(0, count);
  }

  resumeAfter(): string | undefined {
    return this.lastRead ?? this.state.checkpoint;
  }

  restartAtTrimHorizon(): void {
    this.lastRead = undefined;
    this.state.checkpoint = undefined;
    this.startAt = 'TRIM_HORIZON';
    this.buffer.length = 0;
  }
}

/** A stream record as the Lambda service puts it in the event (the SDK's shape differs in a few places). */
export const toLambdaRecord = (record: _Record, streamArn: string, region: string): DynamoDBRecord => {
  const stream = record.dynamodb;
  const created = stream?.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: record.eventSource ?? 'aws:dynamodb',
    // moto always says us-east-1; the stream's own region is what Lambda reports.
    awsRegion: region,
    dynamodb: stream && {
      // Epoch seconds, rounded down: the SDK parses the field into a Date.
      ...(created === undefined ? {} : { ApproximateCreationDateTime: Math.floor(created.getTime() / 1000) }),
      ...(stream.Keys === undefined ? {} : { Keys: toLambdaImage(stream.Keys) }),
      ...(stream.NewImage === undefined ? {} : { NewImage: toLambdaImage(stream.NewImage) }),
      ...(stream.OldImage === undefined ? {} : { OldImage: toLambdaImage(stream.OldImage) }),
      SequenceNumber: stream.SequenceNumber,
      SizeBytes: stream.SizeBytes,
      StreamViewType: stream.StreamViewType,
    },
    eventSourceARN: streamArn,
    // TTL deletions carry the service as the identity; the event spells the keys in lower camel case.
    ...(record.userIdentity === undefined
      ? {}
      : { userIdentity: { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId } }),
  };
};

const toLambdaImage = (image: Record<string, StreamAttributeValue>): Record<string, AttributeValue> =>
  Object.fromEntries(Object.entries(image).map(([name, value]) => [name, toLambdaAttribute(value)]));

/** Binary values travel base64-encoded in the event's JSON; the SDK hands them over as bytes. */
const toLambdaAttribute = (value: StreamAttributeValue): AttributeValue => {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map((bytes) => Buffer.from(bytes).toString('base64')) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaAttribute) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  throw new Error(`Unknown attribute value type: ${JSON.stringify(Object.keys(value))}`);
};

/** 2019-11-14T00:13:19Z, as the on-failure record writes arrival times. */
const isoSeconds = (epochSeconds: number | undefined): string =>
  epochSeconds === undefined ? '' : new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

const errorSummary = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
