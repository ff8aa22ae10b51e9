import {
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalHandle, startLocal } from '../../local/runner.js';
import type { StreamOnFailureRecord } from '../../local/stream-poller.js';
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
                record.dynamodb?.NewImage?.record?.S?.includes(`"eventName":"${POISON}"`),
              );
              if (poisoned) throw new Error('injected archive failure');
              return handler(event, context);
            }
          : handler,
      // A window long enough to take the whole put as one batch; one retry, no waits.
      streamMapping: { maxBatchingWindowMs: 500, retryAttempts: 1, retryBaseDelayMs: 0, retryMaxDelayMs: 0 },
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

    // Act
    const put = await signedFetch(new URL('/events', local.apiUrl), {
      method: 'POST',
      body: JSON.stringify({ events }),
      credentials: local.credentials,
      region: local.region,
    });
    const { successful } = (await put.json()) as { successful: Array<{ id: string; eventID: string }> };
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
    expect(put.status).toBe(200);
    expect(successful).toHaveLength(5);
    expect(archived.sort()).toEqual([...good].sort());
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
      archive: { recordsDelivered: 4, recordsSentToDlq: 1, dlqMessages: 1 },
      logForward: { recordsDelivered: 5, recordsSentToDlq: 0 },
    });

    // The on-failure record points at the poison event in the stream, so it can be read back and replayed.
    const streams = new DynamoDBStreamsClient({
      region: local.region,
      endpoint: local.awsEndpoint,
      credentials: local.credentials,
    });
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
      const record = JSON.parse(Records?.[0]?.dynamodb?.NewImage?.record?.S ?? '{}') as { eventID?: string };
      expect(record.eventID).toBe(idOf(POISON));
    } finally {
      streams.destroy();
    }
  });
});
