import {
  FirehoseClient,
  PutRecordBatchCommand,
  PutRecordCommand,
  ResourceNotFoundException,
  ServiceUnavailableException,
} from '@aws-sdk/client-firehose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FirehoseArchiveSink } from '../../../lambda/adapters/firehose-archive-sink.js';
import { type FirehoseDelivery, ServiceUnavailableError } from '../../../local/firehose-delivery.js';
import { type FirehoseEndpoint, startFirehoseEndpoint } from '../../../local/firehose-endpoint.js';

const STREAM = 'opentrail-events';

/** The archive function's own client and sink against local mode's Firehose endpoint, on loopback. */
describe('local Firehose endpoint', () => {
  let endpoint: FirehoseEndpoint;
  let client: FirehoseClient;
  let accepted: Uint8Array[][];
  let refuse: boolean;
  const delivery: FirehoseDelivery = {
    accept: (records) => {
      if (refuse) throw new ServiceUnavailableError('Slow down.');
      accepted.push([...records]);
    },
    flush: async () => {},
    close: async () => {},
    stats: () => ({ objectsDelivered: 0, recordsDelivered: 0, notificationsSent: 0, recordsBuffered: 0 }),
  };

  beforeAll(async () => {
    endpoint = await startFirehoseEndpoint({
      streams: new Map([[STREAM, delivery]]),
      region: 'us-east-1',
      accountId: '123456789012',
    });
    client = new FirehoseClient({
      region: 'us-east-1',
      endpoint: endpoint.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    client?.destroy();
    await endpoint?.close();
  });

  beforeEach(() => {
    accepted = [];
    refuse = false;
  });

  const text = (records: readonly Uint8Array[] | undefined) =>
    (records ?? []).map((record) => new TextDecoder().decode(record));

  it("answers PutRecordBatch as Firehose does, a record id per record, and buffers the records' bytes", async () => {
    // Act
    const output = await client.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: STREAM,
        Records: [
          { Data: new TextEncoder().encode('{"a":1}\n') },
          { Data: new TextEncoder().encode('{"b":2}\n') },
        ],
      }),
    );

    // Assess
    expect(output.FailedPutCount).toBe(0);
    expect(output.Encrypted).toBe(false);
    expect(output.RequestResponses).toHaveLength(2);
    expect(output.RequestResponses?.every((response) => typeof response.RecordId === 'string')).toBe(true);
    expect(accepted.map(text)).toEqual([['{"a":1}\n', '{"b":2}\n']]);
  });

  it('answers PutRecord with its record id', async () => {
    // Act
    const output = await client.send(
      new PutRecordCommand({ DeliveryStreamName: STREAM, Record: { Data: new TextEncoder().encode('one') } }),
    );

    // Assess
    expect(output.RecordId).toEqual(expect.any(String));
    expect(accepted.map(text)).toEqual([['one']]);
  });

  it('answers ResourceNotFoundException for a stream it does not play', async () => {
    // Act
    const put = client.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: 'elsewhere',
        Records: [{ Data: new Uint8Array([1]) }],
      }),
    );

    // Assess
    await expect(put).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(accepted).toEqual([]);
  });

  it("answers InvalidArgumentException beyond Firehose's 500 records per call", async () => {
    // Act
    const put = client.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: STREAM,
        Records: Array.from({ length: 501 }, () => ({ Data: new Uint8Array([1]) })),
      }),
    );

    // Assess
    await expect(put).rejects.toMatchObject({ name: 'InvalidArgumentException' });
    expect(accepted).toEqual([]);
  });

  it('answers ServiceUnavailableException when the delivery refuses more', async () => {
    // Prepare
    refuse = true;

    // Act
    const put = client.send(
      new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: [{ Data: new Uint8Array([1]) }] }),
    );

    // Assess
    await expect(put).rejects.toBeInstanceOf(ServiceUnavailableException);
  });

  it("takes the archive function's sink unchanged: every record reported accepted", async () => {
    // Prepare
    const sink = new FirehoseArchiveSink(client, STREAM);

    // Act
    const result = await sink.putRecords(['{"a":1}\n', '{"b":2}\n{"c":3}\n']);

    // Assess
    expect(result).toEqual([true, true]);
    expect(accepted.map(text)).toEqual([['{"a":1}\n', '{"b":2}\n{"c":3}\n']]);
  });
});
