import {
  CloudWatchLogsClient,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-cloudwatch-logs';
import { FirehoseClient, PutRecordBatchCommand, ServiceUnavailableException } from '@aws-sdk/client-firehose';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { CloudWatchLogSink } from '../../lambda/adapters/cloudwatch-log-sink.js';
import { FirehoseArchiveSink } from '../../lambda/adapters/firehose-archive-sink.js';

const firehose = mockClient(FirehoseClient);
const logs = mockClient(CloudWatchLogsClient);
const noWait = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {} };
const decoded = (data: Uint8Array | undefined): string => new TextDecoder().decode(data);

afterEach(() => {
  firehose.reset();
  logs.reset();
});

describe('FirehoseArchiveSink', () => {
  it('splits calls at 500 records and retries only the records Firehose rejected', async () => {
    // Prepare: the first call rejects its record #3.
    firehose.on(PutRecordBatchCommand).callsFake((input: { Records: unknown[] }) => {
      const first = firehose.commandCalls(PutRecordBatchCommand).length === 1;
      return {
        FailedPutCount: first ? 1 : 0,
        RequestResponses: input.Records.map((_, i) =>
          first && i === 3
            ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'slow down' }
            : { RecordId: `r${i}` },
        ),
      };
    });
    const sink = new FirehoseArchiveSink(new FirehoseClient({}), 'archive', noWait);
    const records = Array.from({ length: 501 }, (_, i) => `{"n":${i}}\n`);
    // Act
    const accepted = await sink.putRecords(records);
    // Assess
    expect(accepted.every(Boolean)).toBe(true);
    const calls = firehose
      .commandCalls(PutRecordBatchCommand)
      .map((call) => call.args[0].input.Records ?? []);
    expect(calls.map((call) => call.length)).toEqual([500, 1, 1]);
    expect(decoded(calls[1]?.[0]?.Data)).toBe('{"n":3}\n');
    expect(calls[0]?.every((record, i) => i === 3 || decoded(record.Data) === records[i])).toBe(true);
  });

  it('keeps each call under 4 MiB', async () => {
    firehose.on(PutRecordBatchCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedPutCount: 0,
      RequestResponses: input.Records.map((_, i) => ({ RecordId: `r${i}` })),
    }));
    const sink = new FirehoseArchiveSink(new FirehoseClient({}), 'archive', noWait);
    await sink.putRecords(Array.from({ length: 10 }, () => 'z'.repeat(900 * 1024)));
    const sizes = firehose
      .commandCalls(PutRecordBatchCommand)
      .map((call) =>
        (call.args[0].input.Records ?? []).reduce((sum, record) => sum + (record.Data?.length ?? 0), 0),
      );
    expect(sizes.every((size) => size <= 4 * 1024 * 1024)).toBe(true);
    expect(sizes).toHaveLength(3);
  });

  it('reports records still rejected after every retry as not accepted', async () => {
    firehose
      .on(PutRecordBatchCommand)
      .rejects(new ServiceUnavailableException({ message: 'down', $metadata: {} }));
    const sink = new FirehoseArchiveSink(new FirehoseClient({}), 'archive', noWait);
    expect(await sink.putRecords(['a\n', 'b\n'])).toEqual([false, false]);
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(noWait.maxAttempts);
  });
});

describe('CloudWatchLogSink', () => {
  it('creates its log stream once and writes the lines to it', async () => {
    logs.on(CreateLogStreamCommand).resolves({});
    logs.on(PutLogEventsCommand).resolves({});
    const sink = new CloudWatchLogSink(
      new CloudWatchLogsClient({}),
      '/opentrail/events',
      noWait,
      new Date('2026-11-24T00:00:00Z'),
    );
    await sink.putLogEvents([{ timestamp: 1, message: 'a' }]);
    await sink.putLogEvents([{ timestamp: 2, message: 'b' }]);
    expect(logs.commandCalls(CreateLogStreamCommand)).toHaveLength(1);
    const puts = logs.commandCalls(PutLogEventsCommand).map((call) => call.args[0].input);
    expect(puts[0]).toMatchObject({
      logGroupName: '/opentrail/events',
      logEvents: [{ timestamp: 1, message: 'a' }],
    });
    expect(puts[0]?.logStreamName).toMatch(/^2026\/11\/24\/[0-9a-f-]{36}$/);
  });

  it('accepts an existing stream and retries throttling, then gives up with false', async () => {
    logs
      .on(CreateLogStreamCommand)
      .rejects(new ResourceAlreadyExistsException({ message: 'exists', $metadata: {} }));
    logs
      .on(PutLogEventsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const sink = new CloudWatchLogSink(new CloudWatchLogsClient({}), 'g', noWait);
    expect(await sink.putLogEvents([{ timestamp: 1, message: 'a' }])).toBe(false);
    expect(logs.commandCalls(PutLogEventsCommand)).toHaveLength(noWait.maxAttempts);
  });
});
