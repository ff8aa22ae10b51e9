import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import {
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import {
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  PutRecordBatchCommand,
} from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineResources, type PipelineClients } from '../../lambda/adapters/pipeline-admin.js';
import {
  ARCHIVE_BUFFERING,
  ARCHIVE_ERROR_OUTPUT_PREFIX,
  ARCHIVE_PREFIX,
} from '../../lambda/core/archive-layout.js';
import { storedPageRecords } from '../../lambda/core/record-codec.js';
import { clientSettingsFor } from '../../lambda/functions/runtime.js';
import { type LocalHandle, startLocal } from '../../local/runner.js';
import type { StreamOnFailureRecord } from '../../local/stream-mapping/on-failure-record.js';
import { eventually, type PipelineReader, pipelineReader } from '../support/pipeline-reader.js';
import { signedFetch } from '../support/signed-fetch.js';

// The functions log JSON to stdout; only their errors are of interest here.
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';

const POISON = 'PoisonOrder';

/**
 * The pipeline in local mode, in this process, with a fault injected into the archive consumer: any batch
 * holding a PoisonOrder event throws. The mapping must bisect down to that one record, describe it in the
 * archive's dead-letter queue, archive the other events, and leave log forwarding untouched.
 */
describe('pipeline in local mode with a poison record', () => {
  let local: LocalHandle;
  let reader: PipelineReader;

  beforeAll(async () => {
    local = await startLocal({
      wrapStreamHandler: (consumer, handler) =>
        consumer === 'archive'
          ? async (event, context) => {
              const poisoned = event.Records.some((record) =>
                storedPageRecords(record.dynamodb?.NewImage?.record)?.some((json) =>
                  json.includes(`"eventName":"${POISON}"`),
                ),
              );
              if (poisoned) throw new Error('injected archive failure');
              return handler(event, context);
            }
          : handler,
      // Local mode's Firehose writes after a second instead of the stack's minute.
      archiveBufferSeconds: 1,
      // A window long enough to take the whole put as one batch; one retry, no waits.
      streamMapping: {
        maxBatchingWindowSeconds: 0.5,
        retryAttempts: 1,
        retryBaseDelayMs: 0,
        retryMaxDelayMs: 0,
      },
    });
    reader = pipelineReader(local);
  });

  afterAll(async () => {
    reader?.destroy();
    await local?.stop();
  });

  it('archives every other event, forwards all of them, and describes only the poison one in the archive DLQ', async () => {
    // Prepare
    const events = ['CreateOrder', 'UpdateOrder', POISON, 'ShipOrder', 'CloseOrder'].map((eventName, i) => ({
      id: `pipeline-e2e-${i}`,
      eventSource: 'orders.example.com',
      eventName,
      userIdentity: { type: 'IAMUser', userName: 'pipeline-e2e' },
    }));

    // Act: the poison event in a request of its own (a request's events share a page, which fails as one).
    const putEvents = (batch: readonly object[]) =>
      signedFetch(new URL('/events', local.apiUrl), {
        method: 'POST',
        body: JSON.stringify({ events: batch }),
        credentials: local.credentials,
        region: local.region,
      });
    const puts = [
      await putEvents(events.filter((event) => event.eventName !== POISON)),
      await putEvents(events.filter((event) => event.eventName === POISON)),
    ];
    const successful = (
      await Promise.all(
        puts.map(
          async (put) =>
            ((await put.json()) as { successful: Array<{ id: string; eventID: string }> }).successful,
        ),
      )
    ).flat();
    const idOf = (eventName: string) =>
      successful.find((success) => success.id === events.find((event) => event.eventName === eventName)?.id)
        ?.eventID;
    const good = ['CreateOrder', 'UpdateOrder', 'ShipOrder', 'CloseOrder'].map(idOf);
    const eventIdsIn = (lines: readonly string[]) =>
      lines.map((line) => (JSON.parse(line) as { eventID: string }).eventID);
    const archived = await eventually(async () => {
      const found = eventIdsIn(
        (await reader.archiveLines(local.pipeline.bucketName)).map(({ line }) => line),
      );
      return good.every((id) => found.includes(id ?? '')) ? found : undefined;
    }, 'the four good events in the archive');
    const logged = await eventually(async () => {
      const found = eventIdsIn(await reader.logMessages(local.pipeline.logGroupName));
      return found.length >= 5 ? found : undefined;
    }, 'all five events in the log group');
    const [dlqBody] = await eventually(async () => {
      const messages = await reader.receiveMessages(local.pipeline.archiveDlqUrl);
      return messages.length > 0 ? messages : undefined;
    }, 'a message in the archive dead-letter queue');
    const failure = JSON.parse(dlqBody ?? '{}') as StreamOnFailureRecord;

    // Assess
    expect(puts.map((put) => put.status)).toEqual([200, 200]);
    expect(successful).toHaveLength(5);
    expect(archived.sort()).toEqual([...good].sort());
    // Written as Firehose writes: gzip objects under the hour of arrival, named after the stream and its version.
    const keys = (await reader.archiveObjects(local.pipeline.bucketName)).map(({ key }) => key);
    for (const key of keys) {
      expect(key).toMatch(
        /^events\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/opentrail-events-1-\d{4}(-\d{2}){5}-[0-9a-f-]{36}\.gz$/,
      );
    }
    expect(logged.sort()).toEqual(successful.map((success) => success.eventID).sort());
    expect(failure).toMatchObject({
      requestContext: {
        condition: 'RetryAttemptsExhausted',
        functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:opentrail-archive',
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      DDBStreamBatchInfo: {
        batchSize: 1,
        streamArn: expect.stringContaining(':table/opentrail-events/stream/'),
      },
    });
    expect(await reader.receiveMessages(local.pipeline.logForwardDlqUrl)).toEqual([]);
    expect(local.streamStats()).toMatchObject({
      // Stream records are pages: the four good events' page, and the poison one's.
      archive: { recordsDelivered: 1, recordsSentToDlq: 1, dlqMessages: 1 },
      logForward: { recordsDelivered: 2, recordsSentToDlq: 0 },
    });

    // The on-failure record points at the poison event in the stream, so it can be read back and replayed.
    const streams = new DynamoDBStreamsClient(clientSettingsFor(local.aws, 'dynamodbstreams'));
    try {
      const info = failure.DDBStreamBatchInfo;
      const { ShardIterator } = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: info.streamArn,
          ShardId: info.shardId,
          ShardIteratorType: 'AT_SEQUENCE_NUMBER',
          SequenceNumber: info.startSequenceNumber,
        }),
      );
      const { Records } = await streams.send(new GetRecordsCommand({ ShardIterator, Limit: 1 }));
      const record = JSON.parse(storedPageRecords(Records?.[0]?.dynamodb?.NewImage?.record)?.[0] ?? '{}') as {
        eventID?: string;
      };
      expect(record.eventID).toBe(idOf(POISON));
    } finally {
      streams.destroy();
    }
  });

  it('creates the pipeline resources idempotently: a second run keeps them and answers the same', async () => {
    // Prepare
    const { clients, destroy } = emulatorClients(local);

    try {
      // Act
      const again = await createPipelineResources(clients, local.pipeline);
      const { DeliveryStreamDescription: description } = await clients.firehose.send(
        new DescribeDeliveryStreamCommand({ DeliveryStreamName: local.pipeline.deliveryStreamName }),
      );

      // Assess
      expect(again).toEqual(local.pipeline);
      expect(description?.DeliveryStreamType).toBe('DirectPut');
      expect(description?.Destinations?.[0]?.ExtendedS3DestinationDescription).toMatchObject({
        BucketARN: `arn:aws:s3:::${local.pipeline.bucketName}`,
        Prefix: ARCHIVE_PREFIX,
        ErrorOutputPrefix: ARCHIVE_ERROR_OUTPUT_PREFIX,
        CompressionFormat: 'GZIP',
        BufferingHints: {
          IntervalInSeconds: ARCHIVE_BUFFERING.intervalSeconds,
          SizeInMBs: ARCHIVE_BUFFERING.sizeMiB,
        },
      });
    } finally {
      destroy();
    }
  });

  // Documents the moto behaviour local mode's Firehose player (local/firehose-delivery.ts) replaces: should moto
  // start gzipping and evaluating prefix expressions, this fails and local mode could deliver through it again.
  it('shows that moto keeps Firehose prefix expressions literally and appends its own hour path', async () => {
    // Prepare
    const { clients, destroy } = emulatorClients(local);
    const names = {
      ...local.pipeline,
      bucketName: 'opentrail-prefix-check',
      deliveryStreamName: 'prefix-check',
    };

    try {
      await createPipelineResources(clients, names, { prefixStyle: 'firehose-expressions' });

      // Act
      await clients.firehose.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: names.deliveryStreamName,
          Records: [
            { Data: new TextEncoder().encode('{"a":1}\n') },
            { Data: new TextEncoder().encode('{"b":2}\n') },
          ],
        }),
      );
      const objects = await reader.archiveObjects(names.bucketName, '');

      // Assess: one object per PutRecordBatch, records concatenated as sent, not compressed.
      expect(objects.map(({ bytes }) => bytes.toString('utf8'))).toEqual(['{"a":1}\n{"b":2}\n']);
      expect(objects[0]?.key).toMatch(
        new RegExp(
          `^${escapeRegExp(ARCHIVE_PREFIX)}\\d{4}/\\d{2}/\\d{2}/\\d{2}/prefix-check-1-[\\d-]+-[0-9a-f-]{36}$`,
        ),
      );
    } finally {
      destroy();
    }
  });
});

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const emulatorClients = (local: LocalHandle): { clients: PipelineClients; destroy: () => void } => {
  const config = { region: local.region, endpoint: local.awsEndpoint, credentials: local.credentials };
  const clients = {
    s3: new S3Client({ ...config, forcePathStyle: true }),
    firehose: new FirehoseClient(config),
    logs: new CloudWatchLogsClient(config),
    sqs: new SQSClient(config),
  };
  const destroy = () => {
    for (const client of Object.values(clients)) client.destroy();
  };
  return { clients, destroy };
};
