import { randomUUID } from 'node:crypto';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { backoffDelayMs } from '../lambda/core/backoff.js';
import type { StreamMapping } from '../lambda/manifest/functions.js';
import { compileFilters, type RecordFilter } from './event-filter.js';
import { createLambdaContext, describeError, functionArn, invokeWithTimeout } from './lambda-invoke.js';
import {
  BatchDelivery,
  type DeliveryPolicy,
  type DiscardStep,
  errorSummary,
} from './stream-mapping/batch-delivery.js';
import { type BatchLimits, batchingStep, pollWaitMs } from './stream-mapping/batching.js';
import { type Clock, realClock } from './stream-mapping/clock.js';
import { toLambdaRecord } from './stream-mapping/lambda-record.js';
import { onFailureRecord, type StreamOnFailureRecord } from './stream-mapping/on-failure-record.js';
import { ShardReader, type ShardState } from './stream-mapping/shard-reader.js';

/**
 * Plays a Lambda event source mapping on a DynamoDB stream for one consumer (moto runs no Lambda): reads every
 * shard in order, filters, batches, invokes the handler with a real DynamoDBStreamEvent and applies the
 * mapping's failure handling: partial batch responses, bisect on error, bounded retries and record age, and
 * an on-failure record in the consumer's SQS dead-letter queue. Each consumer has its own poller and its own
 * progress, so a failing consumer never holds back another (docs/pipeline.md).
 *
 * This file only moves bytes (DescribeStream, GetShardIterator, GetRecords, the invocation, the on-failure
 * send) and waits on its clock; the decisions are in stream-mapping/: batching.ts cuts batches,
 * batch-delivery.ts handles failures (and lists the choices Lambda's documentation leaves open),
 * on-failure-record.ts describes what is given up, shard-reader.ts keeps each shard's position.
 */

export type StreamFunction = (
  event: DynamoDBStreamEvent,
  context: Context,
) => Promise<DynamoDBBatchResponse | undefined>;

/** Where discarded batches are described: the mapping's DestinationConfig.OnFailure. */
export interface FailureDestination {
  send(record: StreamOnFailureRecord): Promise<void>;
}

export const sqsFailureDestination = (sqs: SQSClient, queueUrl: string): FailureDestination => ({
  send: async (record) => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(record) }));
  },
});

/** How the poller behaves between invocations, outside the mapping's settings; tests may shrink these. */
export interface StreamPollerTiming {
  /** Wait between GetRecords calls that returned nothing (Lambda polls 4 times a second). @default 250 ms */
  readonly pollIntervalMs?: number;
  /** Retries of a failed batch wait a random time up to min(max, base * 2^retry). @default 100 ms */
  readonly retryBaseDelayMs?: number;
  /** @default 5 000 ms */
  readonly retryMaxDelayMs?: number;
  /** How often the shard list is read again to find new shards. @default 10 000 ms */
  readonly shardRefreshMs?: number;
}

export interface StreamPollerOptions {
  /** The event source mapping, as the manifest describes it (lambda/manifest/functions.ts). */
  readonly mapping: StreamMapping;
  /** The function's timeout; a timeout is a function error. */
  readonly functionTimeoutMs: number;
  /** The function's memory, as its context reports it. @default Lambda's 128 MB */
  readonly functionMemoryMb?: number;
  /** The consumer's function name: in the context, the function ARN and the on-failure record. */
  readonly functionName: string;
  readonly handler: StreamFunction;
  readonly streams: DynamoDBStreamsClient;
  /** The table's LatestStreamArn (see latestStreamArn). */
  readonly streamArn: string;
  readonly onFailure: FailureDestination;
  /** Diagnostics: one line per invocation and every failure. @default drop them */
  readonly log?: (line: string) => void;
  /** Every wait and every record age. @default real time */
  readonly clock?: Clock;
  readonly timing?: StreamPollerTiming;
  /** The invocation payload limit a batch stays under. @default Lambda's 6 MiB */
  readonly maxBatchBytes?: number;
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

const DEFAULT_TIMING: Required<StreamPollerTiming> = {
  pollIntervalMs: 250,
  retryBaseDelayMs: 100,
  retryMaxDelayMs: 5_000,
  shardRefreshMs: 10_000,
};
const MAX_BATCH_BYTES = 6 * 1024 * 1024;
/** GetRecords' largest page. */
const GET_RECORDS_LIMIT = 1_000;
/** Back-off after a failed stream call (an emulator restart, an expired iterator) before trying again. */
const readErrorDelayMs = (errorsInARow: number): number => Math.min(5_000, 250 * 2 ** errorsInARow);

export const createStreamPoller = (options: StreamPollerOptions): StreamPoller => new Poller(options);

type MutableStats = { -readonly [K in keyof StreamPollerStats]: StreamPollerStats[K] };

class Poller implements StreamPoller {
  private readonly timing: Required<StreamPollerTiming>;
  private readonly limits: BatchLimits;
  private readonly delivery: DeliveryPolicy;
  private readonly clock: Clock;
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
    const { mapping } = options;
    if (!Number.isInteger(mapping.batchSize) || mapping.batchSize < 1) {
      throw new Error(`batchSize must be a positive whole number (got ${mapping.batchSize})`);
    }
    // Refused rather than ignored: this poller reads one batch per shard at a time.
    if (mapping.parallelizationFactor !== 1) {
      throw new Error(
        `parallelizationFactor ${mapping.parallelizationFactor} is not supported in local mode`,
      );
    }
    const timing = options.timing ?? {};
    // Field by field: a timing given as undefined keeps its default.
    this.timing = {
      pollIntervalMs: timing.pollIntervalMs ?? DEFAULT_TIMING.pollIntervalMs,
      retryBaseDelayMs: timing.retryBaseDelayMs ?? DEFAULT_TIMING.retryBaseDelayMs,
      retryMaxDelayMs: timing.retryMaxDelayMs ?? DEFAULT_TIMING.retryMaxDelayMs,
      shardRefreshMs: timing.shardRefreshMs ?? DEFAULT_TIMING.shardRefreshMs,
    };
    this.limits = {
      batchSize: mapping.batchSize,
      maxBatchBytes: options.maxBatchBytes ?? MAX_BATCH_BYTES,
      maxBatchingWindowMs: mapping.maxBatchingWindowSeconds * 1000,
    };
    this.delivery = {
      mapping,
      functionTimeoutMs: options.functionTimeoutMs,
      retryBackoff: { baseDelayMs: this.timing.retryBaseDelayMs, maxDelayMs: this.timing.retryMaxDelayMs },
    };
    this.clock = options.clock ?? realClock;
    this.filter = compileFilters(mapping.filters);
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
  private async waitForRefresh(): Promise<void> {
    const wake = new AbortController();
    this.wakeRefresh = () => wake.abort();
    await this.clock.sleep(this.timing.shardRefreshMs, AbortSignal.any([this.abort.signal, wake.signal]));
    this.wakeRefresh = undefined;
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
    return this.clock.sleep(ms, this.abort.signal);
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
      await this.pause(this.timing.shardRefreshMs);
    }
  }

  /** The next batch (batching.ts); empty when the shard has ended or the poller stops. */
  private async nextBatch(reader: ShardReader): Promise<DynamoDBRecord[]> {
    let windowEndsAt: number | undefined;
    let emptyReadsInARow = 0;
    while (this.running) {
      const step = batchingStep(
        { buffer: reader.buffer, ended: reader.ended, windowEndsAt },
        this.clock.now(),
        this.limits,
      );
      if (step.kind === 'invoke') return step.records;
      if (step.kind === 'ended') return [];
      windowEndsAt = step.windowEndsAt;
      const read = await this.read(reader);
      emptyReadsInARow = read === 0 ? emptyReadsInARow + 1 : 0;
      if (read === 0 && !reader.ended) {
        await this.pause(
          pollWaitMs(windowEndsAt, this.clock.now(), this.timing.pollIntervalMs, emptyReadsInARow),
        );
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
      await this.pause(readErrorDelayMs(reader.readErrors));
      return 0;
    }
  }

  private async newIterator(reader: ShardReader): Promise<string> {
    const after = reader.resumeAfter();
    const { ShardIterator } = await this.options.streams.send(
      new GetShardIteratorCommand({
        StreamArn: this.options.streamArn,
        ShardId: reader.state.shardId,
        ...(after === undefined
          ? { ShardIteratorType: reader.startAt ?? this.options.mapping.startingPosition }
          : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }),
      }),
    );
    if (ShardIterator === undefined) {
      throw new Error(`GetShardIterator returned no iterator for ${reader.state.shardId}`);
    }
    return ShardIterator;
  }

  // ---- Delivering a batch: performing batch-delivery.ts's steps ----

  /**
   * Delivers a batch until every record is either taken by the handler or described in the dead-letter queue,
   * moving the shard's checkpoint as runs of records are done. Answers false when stop() came first.
   */
  private async deliverBatch(state: ShardState, batch: readonly DynamoDBRecord[]): Promise<boolean> {
    const done = (records: readonly DynamoDBRecord[]) => {
      state.checkpoint = records.at(-1)?.dynamodb?.SequenceNumber ?? state.checkpoint;
    };
    const delivery = new BatchDelivery(batch, this.delivery);
    for (
      let step = delivery.next(this.clock.now());
      step.kind !== 'done';
      step = delivery.next(this.clock.now())
    ) {
      if (step.kind === 'wait') {
        await this.pause(step.ms);
      } else if (step.kind === 'discard') {
        if (!(await this.discard(state.shardId, step))) return false;
        done(step.records);
        delivery.discarded(step);
      } else {
        if (!this.running) return false;
        const delivered = await this.invoke(delivery, step.records);
        if (delivered === undefined) return false;
        done(delivered);
      }
    }
    return true;
  }

  /** Invokes the handler and reports to the delivery; answers the records it took, or undefined after stop(). */
  private async invoke(
    delivery: BatchDelivery,
    records: readonly DynamoDBRecord[],
  ): Promise<readonly DynamoDBRecord[] | undefined> {
    const timeoutMs = this.options.functionTimeoutMs;
    const context = createLambdaContext(
      this.options.functionName,
      this.region,
      this.accountId,
      timeoutMs,
      this.options.functionMemoryMb,
    );
    const startedAt = this.clock.now();
    this.counters.invocations += 1;
    // A copy: the handler may change its event, the delivery keeps its records.
    const outcome = await this.unlessStopped(
      invokeWithTimeout(this.options.handler, { Records: [...records] }, context, timeoutMs),
    );
    // stop() does not wait for a slow handler: its batch is not checkpointed and is delivered again later.
    if (outcome === undefined) return undefined;
    const { result, delivered, split } = delivery.invoked(context.awsRequestId, outcome);
    this.counters.recordsDelivered += delivered.length;
    if (result.kind !== 'success') this.counters.failedInvocations += 1;
    const summary =
      result.kind === 'success'
        ? 'ok'
        : result.kind === 'partial'
          ? `partial failure from record ${result.failedIndex + 1}`
          : `failed: ${result.reason}`;
    this.log(`${records.length} records -> ${summary} (${this.clock.now() - startedAt} ms)`);
    if (outcome.kind === 'error') this.log(`handler error: ${describeError(outcome.error)}`);
    if (split !== undefined && result.kind === 'failure') {
      this.log(`batch of ${records.length} failed (${result.reason}); split into ${split[0]} + ${split[1]}`);
    }
    return delivered;
  }

  /** Describes given-up records in the dead-letter queue; tries until it is sent or stop() is called. */
  private async discard(shardId: string, step: DiscardStep): Promise<boolean> {
    const record = onFailureRecord({
      condition: step.condition,
      records: step.records,
      invocations: step.invocations,
      requestId: step.lastRequestId ?? randomUUID(),
      lastResponse: step.lastResponse,
      functionArn: functionArn(this.region, this.accountId, this.options.functionName),
      shardId,
      streamArn: this.options.streamArn,
      nowMs: this.clock.now(),
    });
    const { startSequenceNumber, endSequenceNumber } = record.DDBStreamBatchInfo;
    const { retryBackoff } = this.delivery;
    for (let attempt = 1; this.running; attempt++) {
      try {
        await this.options.onFailure.send(record);
        this.counters.recordsSentToDlq += step.records.length;
        this.counters.dlqMessages += 1;
        this.log(
          `${step.condition}: ${step.records.length} records (${startSequenceNumber}..${endSequenceNumber}) described in the dead-letter queue`,
        );
        return true;
      } catch (error) {
        this.log(`sending to the dead-letter queue failed (attempt ${attempt}): ${errorSummary(error)}`);
        await this.pause(backoffDelayMs(retryBackoff, attempt));
      }
    }
    return false;
  }
}
