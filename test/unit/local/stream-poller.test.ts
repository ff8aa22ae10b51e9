import { setImmediate as nextTurn } from 'node:timers/promises';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type StreamMapping, streamMappingOf } from '../../../lambda/manifest/functions.js';
import type { StreamOnFailureRecord } from '../../../local/stream-mapping/on-failure-record.js';
import {
  createStreamPoller,
  type StreamFunction,
  type StreamPoller,
  type StreamPollerOptions,
  sqsFailureDestination,
} from '../../../local/stream-poller.js';
import { FakeClock } from './fake-clock.js';
import { eventBytes, FakeStream, FIRST_ARRIVAL_SECONDS, SHARD_ID, STREAM_ARN } from './fake-stream.js';

const DLQ_URL = 'http://127.0.0.1:5000/111122223333/opentrail-archive-dlq';
/** The archive's mapping from the manifest, without a batching window and with two retries. */
const MAPPING: StreamMapping = {
  ...streamMappingOf('archive'),
  maxBatchingWindowSeconds: 0,
  retryAttempts: 2,
};
/** The clock starts a minute after the first record; the poller's own timings are its defaults. */
const START_MS = (FIRST_ARRIVAL_SECONDS + 60) * 1000;

const sqs = mockClient(SQSClient);
let clock: FakeClock;
let stream: FakeStream;
let streamStub: ReturnType<FakeStream['install']>;
const pollers: StreamPoller[] = [];

beforeEach(() => {
  clock = new FakeClock(START_MS);
  stream = new FakeStream();
  streamStub = stream.install();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
});

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
  streamStub.restore();
  sqs.reset();
});

interface PollerOverrides extends Partial<Omit<StreamPollerOptions, 'mapping'>> {
  readonly mapping?: Partial<StreamMapping>;
}

const startPoller = (handler: StreamFunction, overrides: PollerOverrides = {}): StreamPoller => {
  const { mapping, ...options } = overrides;
  const poller = createStreamPoller({
    mapping: { ...MAPPING, ...mapping },
    functionTimeoutMs: 60_000,
    functionName: 'opentrail-archive',
    handler,
    streams: new DynamoDBStreamsClient({ region: 'eu-west-1' }),
    streamArn: STREAM_ARN,
    onFailure: sqsFailureDestination(new SQSClient({ region: 'eu-west-1' }), DLQ_URL),
    clock,
    ...options,
  });
  pollers.push(poller);
  poller.start();
  return poller;
};

/** Runs the fake clock until `condition` holds. */
const until = (condition: () => boolean, what: string): Promise<void> => clock.runUntil(condition, what);

/** Answers true when `promise` settles within a few turns of the event loop, with no time passing. */
const settlesAtOnce = (promise: Promise<unknown>): Promise<boolean> => {
  const turns = async () => {
    for (let turn = 0; turn < 10; turn++) await nextTurn();
    return false;
  };
  return Promise.race([promise.then(() => true), turns()]);
};

/** The id an event record carries (its sort key), for short assertions. */
const idOf = (record: DynamoDBRecord): string => record.dynamodb?.Keys?.sk?.S ?? '?';
const ids = (from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `id-${from + i}`);

interface RecordingHandler {
  readonly handler: StreamFunction;
  /** The ids of each invocation's records. */
  readonly calls: string[][];
  readonly contexts: Context[];
  readonly events: DynamoDBStreamEvent[];
  /** Ids the handler took, in order: all of a successful call, those before the failure in a partial one. */
  readonly delivered: string[];
}

/** A handler that records what it saw; `behave` throws or answers a partial failure to inject faults. */
const recording = (
  behave: (records: DynamoDBRecord[], call: number) => DynamoDBBatchResponse | undefined = () => undefined,
): RecordingHandler => {
  const seen: RecordingHandler = {
    handler: async () => undefined,
    calls: [],
    contexts: [],
    events: [],
    delivered: [],
  };
  return {
    ...seen,
    handler: async (event, context) => {
      seen.calls.push(event.Records.map(idOf));
      seen.contexts.push(context);
      seen.events.push(event);
      const response = behave(event.Records, seen.calls.length);
      const failed = response?.batchItemFailures[0]?.itemIdentifier;
      const failedAt = event.Records.findIndex((record) => record.dynamodb?.SequenceNumber === failed);
      seen.delivered.push(...event.Records.slice(0, failedAt < 0 ? undefined : failedAt).map(idOf));
      return response;
    },
  };
};

const dlqMessages = (): Array<{ queueUrl: string | undefined; body: StreamOnFailureRecord }> =>
  sqs.commandCalls(SendMessageCommand).map((call) => ({
    queueUrl: call.args[0].input.QueueUrl,
    body: JSON.parse(call.args[0].input.MessageBody ?? '{}') as StreamOnFailureRecord,
  }));

describe('stream poller: events and filtering', () => {
  it('invokes the handler with the DynamoDBStreamEvent Lambda builds when an event item is inserted', async () => {
    // Prepare
    stream.put(1);
    const handler = recording();

    // Act
    startPoller(handler.handler);
    await until(() => handler.calls.length === 1, 'one invocation');

    // Assess: the SDK's Date becomes epoch seconds, and the region is the stream's, not moto's us-east-1.
    expect(handler.events[0]).toEqual({
      Records: [
        {
          eventID: 'fake-0',
          eventName: 'INSERT',
          eventVersion: '1.1',
          eventSource: 'aws:dynamodb',
          awsRegion: 'eu-west-1',
          dynamodb: {
            ApproximateCreationDateTime: FIRST_ARRIVAL_SECONDS,
            Keys: { pk: { S: 'E#2026-11-24#03' }, sk: { S: 'id-1' } },
            NewImage: {
              pk: { S: 'E#2026-11-24#03' },
              sk: { S: 'id-1' },
              record: { B: Buffer.from(eventBytes(1)).toString('base64') },
              writtenBy: { S: 'put' },
            },
            SequenceNumber: stream.sequenceNumber(0),
            SizeBytes: 120,
            StreamViewType: 'NEW_IMAGE',
          },
          eventSourceARN: STREAM_ARN,
        },
      ],
    });
    expect(handler.contexts[0]).toMatchObject({
      functionName: 'opentrail-archive',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:opentrail-archive',
    });
  });

  it('passes binary attributes base64-encoded, as they travel in the event JSON', async () => {
    // Prepare
    stream.put(1, {
      newImage: {
        sk: { S: 'id-1' },
        record: { B: eventBytes(1) },
        writtenBy: { S: 'put' },
        digest: { B: new Uint8Array([1, 2, 255]) },
        nested: { M: { list: { L: [{ BS: [new Uint8Array([0])] }, { N: '7' }] } } },
      },
    });
    const handler = recording();

    // Act
    startPoller(handler.handler);
    await until(() => handler.calls.length === 1, 'one invocation');

    // Assess
    expect(handler.events[0]?.Records[0]?.dynamodb?.NewImage).toMatchObject({
      digest: { B: 'AQL/' },
      nested: { M: { list: { L: [{ BS: ['AA=='] }, { N: '7' }] } } },
    });
  });

  it('delivers only INSERTs of event items, never updates, TTL deletions or other items', async () => {
    // Prepare
    stream.put(1, { newImage: { pk: { S: 'CATALOG' }, sk: { S: 'eventSource#orders' } } });
    stream.put(2, { eventName: 'MODIFY' });
    stream.put(3, {
      eventName: 'REMOVE',
      userIdentity: { PrincipalId: 'dynamodb.amazonaws.com', Type: 'Service' },
    });
    stream.put(4);
    const handler = recording();

    // Act
    const poller = startPoller(handler.handler);
    await until(() => handler.calls.length === 1, 'one invocation');

    // Assess
    expect(handler.calls).toEqual([['id-4']]);
    expect(poller.stats()).toMatchObject({ recordsRead: 4, recordsFilteredOut: 3, recordsDelivered: 1 });
  });

  it('invokes nothing when every record is filtered out', async () => {
    // Prepare
    stream.put(1, { eventName: 'MODIFY' });
    stream.put(2, { eventName: 'REMOVE' });
    const handler = recording();

    // Act
    const poller = startPoller(handler.handler);
    await until(() => poller.stats().recordsRead === 2, 'both records read');
    await clock.runFor(10_000);

    // Assess
    expect(handler.calls).toEqual([]);
    expect(poller.stats()).toMatchObject({ invocations: 0, recordsFilteredOut: 2 });
  });
});

describe('stream poller: batching', () => {
  it('cuts batches of at most batchSize records, in stream order', async () => {
    // Prepare
    for (let n = 1; n <= 250; n++) stream.put(n);
    const handler = recording();

    // Act
    startPoller(handler.handler, { mapping: { batchSize: 100 } });
    await until(() => handler.delivered.length === 250, 'all records delivered');

    // Assess
    expect(handler.calls.map((call) => call.length)).toEqual([100, 100, 50]);
    expect(handler.delivered).toEqual(ids(1, 250));
  });

  it('keeps a batch under the payload limit', async () => {
    // Prepare: each record is a little over 300 bytes of event JSON.
    for (let n = 1; n <= 6; n++) stream.put(n);
    const handler = recording();

    // Act
    startPoller(handler.handler, { maxBatchBytes: 1_000 });
    await until(() => handler.delivered.length === 6, 'all records delivered');

    // Assess
    expect(handler.calls.every((call) => call.length >= 1 && call.length < 6)).toBe(true);
    expect(handler.delivered).toEqual(ids(1, 6));
  });

  it('waits up to the batching window for more records before invoking', async () => {
    // Prepare
    stream.put(1);
    const handler = recording();

    // Act: the other records arrive while the first one waits in its window.
    const poller = startPoller(handler.handler, { mapping: { maxBatchingWindowSeconds: 1 } });
    await until(() => poller.stats().recordsRead === 1, 'the first record read');
    stream.put(2);
    stream.put(3);
    await until(() => handler.calls.length === 1, 'one invocation');

    // Assess
    expect(handler.calls).toEqual([['id-1', 'id-2', 'id-3']]);
  });
  it('measures the batching window on its clock, invoking when the window ends and not before', async () => {
    // Prepare
    stream.put(1);
    const handler = recording();
    startPoller(handler.handler, { mapping: { maxBatchingWindowSeconds: 5 } });

    // Act
    await clock.runFor(4_999);
    const callsBeforeTheEnd = handler.calls.length;
    await clock.runFor(1);

    // Assess
    expect(callsBeforeTheEnd).toBe(0);
    expect(handler.calls).toEqual([['id-1']]);
  });
});

describe('stream poller: failure handling', () => {
  it('retries from the first failed record of a partial batch response, never re-sending those before it', async () => {
    // Prepare: the first call fails at the third record.
    for (let n = 1; n <= 5; n++) stream.put(n);
    const handler = recording((records, call) =>
      call === 1
        ? { batchItemFailures: [{ itemIdentifier: records[2]?.dynamodb?.SequenceNumber ?? '' }] }
        : undefined,
    );

    // Act
    const poller = startPoller(handler.handler);
    await until(() => poller.stats().recordsDelivered === 5, 'all records delivered');

    // Assess
    expect(handler.calls).toEqual([ids(1, 5), ids(3, 5)]);
    expect(handler.delivered).toEqual(ids(1, 5));
    expect(poller.stats()).toMatchObject({ invocations: 2, failedInvocations: 1, recordsSentToDlq: 0 });
  });

  it('retries from the lowest sequence number when several records are reported', async () => {
    // Prepare
    for (let n = 1; n <= 5; n++) stream.put(n);
    const handler = recording((records, call) =>
      call === 1
        ? {
            batchItemFailures: [3, 1].map((index) => ({
              itemIdentifier: records[index]?.dynamodb?.SequenceNumber ?? '',
            })),
          }
        : undefined,
    );

    // Act
    const poller = startPoller(handler.handler);
    await until(() => poller.stats().recordsDelivered === 5, 'all records delivered');

    // Assess
    expect(handler.calls).toEqual([ids(1, 5), ids(2, 5)]);
  });

  it('fails the whole batch when an itemIdentifier is empty, and describes it in the DLQ after the retries', async () => {
    // Prepare
    for (let n = 1; n <= 3; n++) stream.put(n);
    const handler = recording(() => ({ batchItemFailures: [{ itemIdentifier: '' }] }));

    // Act
    const poller = startPoller(handler.handler, { mapping: { bisectBatchOnError: false, retryAttempts: 1 } });
    await until(() => poller.stats().dlqMessages === 1, 'a DLQ message');

    // Assess: one invocation and one retry, then the whole batch is given up.
    expect(handler.calls).toEqual([ids(1, 3), ids(1, 3)]);
    expect(dlqMessages()[0]?.body.DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: stream.sequenceNumber(0),
      endSequenceNumber: stream.sequenceNumber(2),
      batchSize: 3,
    });
    expect(poller.stats()).toMatchObject({ recordsDelivered: 0, recordsSentToDlq: 3 });
  });

  it('bisects a failing batch down to the poison record, sends it alone to the DLQ and delivers every other record once', async () => {
    // Prepare: any batch holding id-7 throws.
    for (let n = 1; n <= 10; n++) stream.put(n);
    const handler = recording((records) => {
      if (records.some((record) => idOf(record) === 'id-7')) throw new Error('poison');
      return undefined;
    });

    // Act
    const poller = startPoller(handler.handler, { mapping: { retryAttempts: 2 } });
    await until(
      () => poller.stats().recordsDelivered === 9 && poller.stats().dlqMessages === 1,
      'all handled',
    );

    // Assess: 1-10 fails, 1-5 ok, 6-10 fails, 6-8 fails, 6-7 fails, 6 ok, 7 fails three times, 8 ok, 9-10 ok.
    expect(handler.calls).toEqual([
      ids(1, 10),
      ids(1, 5),
      ids(6, 10),
      ids(6, 8),
      ids(6, 7),
      ['id-6'],
      ['id-7'],
      ['id-7'],
      ['id-7'],
      ['id-8'],
      ['id-9', 'id-10'],
    ]);
    expect(handler.delivered).toEqual([...ids(1, 6), ...ids(8, 10)]);
    const messages = dlqMessages();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.queueUrl).toBe(DLQ_URL);
    const poison = stream.sequenceNumber(6);
    // Every invocation that carried id-7 counts: 1-10, 6-10, 6-8, 6-7, then 7 alone three times.
    expect(messages[0]?.body).toEqual({
      requestContext: {
        requestId: handler.contexts[8]?.awsRequestId,
        functionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:opentrail-archive',
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 7,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      DDBStreamBatchInfo: {
        shardId: SHARD_ID,
        startSequenceNumber: poison,
        endSequenceNumber: poison,
        approximateArrivalOfFirstRecord: new Date((FIRST_ARRIVAL_SECONDS + 6) * 1000)
          .toISOString()
          .replace('.000Z', 'Z'),
        approximateArrivalOfLastRecord: new Date((FIRST_ARRIVAL_SECONDS + 6) * 1000)
          .toISOString()
          .replace('.000Z', 'Z'),
        batchSize: 1,
        streamArn: STREAM_ARN,
      },
    });
    expect(poller.stats()).toMatchObject({ recordsDelivered: 9, recordsSentToDlq: 1, invocations: 11 });
  });

  it('treats a handler that does not answer within the function timeout as failed', async () => {
    // Prepare
    stream.put(1);
    const handler: StreamFunction = () => new Promise(() => {});

    // Act
    const poller = startPoller(handler, { functionTimeoutMs: 10, mapping: { retryAttempts: 0 } });
    await until(() => poller.stats().dlqMessages === 1, 'a DLQ message');

    // Assess
    expect(dlqMessages()[0]?.body.responseContext).toEqual({
      statusCode: 200,
      executedVersion: '$LATEST',
      functionError: 'Unhandled',
    });
  });

  it('sends records older than the maximum record age to the DLQ without invoking the handler', async () => {
    // Prepare: two records two hours old, then a fresh one.
    clock = new FakeClock((FIRST_ARRIVAL_SECONDS + 2 * 3600) * 1000);
    stream.put(1, { createdAtSeconds: FIRST_ARRIVAL_SECONDS });
    stream.put(2, { createdAtSeconds: FIRST_ARRIVAL_SECONDS + 1 });
    stream.put(3, { createdAtSeconds: FIRST_ARRIVAL_SECONDS + 2 * 3600 - 5 });
    const handler = recording();

    // Act
    const poller = startPoller(handler.handler, { mapping: { maxRecordAgeSeconds: 3600 } });
    await until(() => poller.stats().recordsDelivered === 1, 'the fresh record delivered');

    // Assess
    expect(handler.calls).toEqual([['id-3']]);
    const [message] = dlqMessages();
    expect(message?.body.requestContext).toMatchObject({
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 0,
    });
    expect(message?.body.responseContext).toBeUndefined();
    expect(message?.body.DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: stream.sequenceNumber(0),
      endSequenceNumber: stream.sequenceNumber(1),
      batchSize: 2,
    });
  });

  it('gives up on a record that grows too old while it is retried, even with unlimited retries', async () => {
    // Prepare: each failed invocation takes 30 s of the clock; the limit is 60 s.
    clock = new FakeClock(FIRST_ARRIVAL_SECONDS * 1000);
    stream.put(1, { createdAtSeconds: FIRST_ARRIVAL_SECONDS });
    const handler = recording(() => {
      clock.advance(30_000);
      throw new Error('sink down');
    });

    // Act: no retry waits, so only the invocations move the clock.
    const poller = startPoller(handler.handler, {
      mapping: { retryAttempts: -1, maxRecordAgeSeconds: 60 },
      timing: { retryBaseDelayMs: 0, retryMaxDelayMs: 0 },
    });
    await until(() => poller.stats().dlqMessages === 1, 'a DLQ message');

    // Assess: invoked at 0 s, 30 s and 60 s; at 90 s the record is too old.
    expect(handler.calls).toHaveLength(3);
    expect(dlqMessages()[0]?.body.requestContext).toMatchObject({
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 3,
    });
  });
});

describe('stream poller: progress', () => {
  it('keeps each consumer independent: a stuck archive never holds back log forwarding', async () => {
    // Prepare: the archive handler hangs until released.
    let release: () => void = () => {};
    const archiveCalls: string[][] = [];
    const archive: StreamFunction = async (event) => {
      archiveCalls.push(event.Records.map(idOf));
      if (archiveCalls.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return { batchItemFailures: [] };
    };
    const logs = recording();
    for (let n = 1; n <= 3; n++) stream.put(n);

    // Act
    const archivePoller = startPoller(archive, { functionName: 'opentrail-archive' });
    const logPoller = startPoller(logs.handler, { functionName: 'opentrail-log-forward' });
    await until(() => archiveCalls.length === 1, 'the archive invoked');
    for (let n = 4; n <= 6; n++) stream.put(n);
    await until(() => logs.delivered.length === 6, 'log forwarding to deliver everything');
    const archiveWhileStuck = archivePoller.stats().recordsDelivered;
    release();
    await until(() => archivePoller.stats().recordsDelivered === 6, 'the archive to catch up');

    // Assess
    expect(archiveWhileStuck).toBe(0);
    expect(logs.delivered).toEqual(ids(1, 6));
    expect(archiveCalls).toEqual([ids(1, 3), ids(4, 6)]);
    expect(logPoller.stats().recordsDelivered).toBe(6);
  });

  it('resumes after its checkpoint when started again', async () => {
    // Prepare
    for (let n = 1; n <= 3; n++) stream.put(n);
    const handler = recording();
    const poller = startPoller(handler.handler);
    await until(() => handler.delivered.length === 3, 'the first records delivered');
    await poller.stop();

    // Act
    stream.put(4);
    stream.put(5);
    poller.start();
    await until(() => handler.delivered.length === 5, 'the new records delivered');

    // Assess
    expect(handler.calls).toEqual([ids(1, 3), ids(4, 5)]);
    expect(stream.iteratorRequests.at(-1)).toMatchObject({
      ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
      SequenceNumber: stream.sequenceNumber(2),
    });
  });

  it('replaces an iterator GetRecords refuses and reads on without losing or repeating a record', async () => {
    // Prepare
    for (let n = 1; n <= 2; n++) stream.put(n);
    const handler = recording();
    startPoller(handler.handler);
    await until(() => handler.delivered.length === 2, 'the first records delivered');

    // Act
    stream.expireIterators(2);
    stream.put(3);
    await until(() => handler.delivered.length === 3, 'the next record delivered');

    // Assess
    expect(handler.delivered).toEqual(ids(1, 3));
    expect(stream.iteratorRequests.map((request) => request.ShardIteratorType)).toEqual([
      'TRIM_HORIZON',
      'AFTER_SEQUENCE_NUMBER',
      'AFTER_SEQUENCE_NUMBER',
    ]);
  });

  it('stops promptly while a failed batch waits for its retry', async () => {
    // Prepare
    stream.put(1);
    const handler = recording(() => {
      throw new Error('down');
    });
    const poller = startPoller(handler.handler, {
      timing: { retryBaseDelayMs: 60_000, retryMaxDelayMs: 60_000 },
    });
    await until(() => handler.calls.length === 1, 'one invocation');

    // Act
    const stopped = await settlesAtOnce(poller.stop());

    // Assess
    expect(stopped).toBe(true);
    expect(poller.stats().recordsSentToDlq).toBe(0);
  });

  it('stops without waiting for a handler that hangs, and delivers that batch again on the next start', async () => {
    // Prepare: the first invocation never answers.
    stream.put(1);
    const calls: string[][] = [];
    const handler: StreamFunction = async (event) => {
      calls.push(event.Records.map(idOf));
      if (calls.length === 1) await new Promise(() => {});
      return undefined;
    };
    const poller = startPoller(handler, { functionTimeoutMs: 60_000 });
    await until(() => calls.length === 1, 'one invocation');

    // Act
    const stopped = await settlesAtOnce(poller.stop());
    poller.start();
    await until(() => poller.stats().recordsDelivered === 1, 'the record delivered after the restart');

    // Assess
    expect(stopped).toBe(true);
    expect(calls).toEqual([['id-1'], ['id-1']]);
  });
});
