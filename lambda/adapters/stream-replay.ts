import {
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamsRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryOutcome, StreamRecordLike } from '../core/pipeline.js';
import type { StoredRecordValue } from '../core/record-codec.js';

/**
 * Replays what a stream consumer's dead-letter queue names. The on-failure record Lambda sends for a stream
 * batch holds only its position (shard, first and last sequence number), so the records are read again from
 * the stream — possible while the stream keeps them (24 hours) — and delivered with the consumer's own logic.
 * A message is deleted only after its records were delivered.
 */
export interface StreamBatchInfo {
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly streamArn: string;
}

export interface ReplayResult {
  readonly messages: number;
  readonly replayed: number;
  readonly records: number;
  /** Messages kept in the queue, with why. */
  readonly kept: Array<{ readonly messageId: string; readonly reason: string }>;
}

export interface ReplayOptions {
  readonly sqs: SQSClient;
  readonly streams: DynamoDBStreamsClient;
  readonly queueUrl: string;
  readonly deliver: (records: readonly StreamRecordLike[]) => Promise<DeliveryOutcome>;
  /** Stop after this many messages, so a replay always ends. */
  readonly maxMessages?: number;
}

const MAX_PAGES_PER_BATCH = 100;

export function parseBatchInfo(body: string): StreamBatchInfo | undefined {
  try {
    const info = (JSON.parse(body) as { DDBStreamBatchInfo?: Partial<StreamBatchInfo> }).DDBStreamBatchInfo;
    if (info?.shardId && info.startSequenceNumber && info.endSequenceNumber && info.streamArn) {
      return info as StreamBatchInfo;
    }
  } catch {
    // Not an on-failure record: reported as kept below.
  }
  return undefined;
}

/** The SDK's stream record as the handlers see it from Lambda (dates as epoch seconds). */
function asLambdaRecord(record: StreamsRecord): StreamRecordLike {
  const created = record.dynamodb?.ApproximateCreationDateTime;
  return {
    eventName: record.eventName,
    dynamodb: {
      SequenceNumber: record.dynamodb?.SequenceNumber,
      ApproximateCreationDateTime: created === undefined ? undefined : created.getTime() / 1000,
      NewImage: record.dynamodb?.NewImage as Record<string, StoredRecordValue> | undefined,
    },
  };
}

async function readBatch(streams: DynamoDBStreamsClient, info: StreamBatchInfo): Promise<StreamRecordLike[]> {
  const end = BigInt(info.endSequenceNumber);
  const iterator = await streams.send(
    new GetShardIteratorCommand({
      StreamArn: info.streamArn,
      ShardId: info.shardId,
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      SequenceNumber: info.startSequenceNumber,
    }),
  );
  const records: StreamRecordLike[] = [];
  let next = iterator.ShardIterator;
  for (let page = 0; next && page < MAX_PAGES_PER_BATCH; page++) {
    const output = await streams.send(new GetRecordsCommand({ ShardIterator: next, Limit: 1000 }));
    for (const record of output.Records ?? []) {
      if (BigInt(record.dynamodb?.SequenceNumber ?? '0') > end) return records;
      records.push(asLambdaRecord(record));
    }
    if ((output.Records ?? []).length === 0) break;
    next = output.NextShardIterator;
  }
  return records;
}

export async function replayDeadLetters(options: ReplayOptions): Promise<ReplayResult> {
  const { sqs, streams, queueUrl, deliver, maxMessages = 1000 } = options;
  const kept: Array<{ messageId: string; reason: string }> = [];
  let messages = 0;
  let replayed = 0;
  let records = 0;
  while (messages < maxMessages) {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 60,
      }),
    );
    const batch = received.Messages ?? [];
    if (batch.length === 0) break;
    for (const message of batch) {
      messages++;
      const messageId = message.MessageId ?? '';
      const info = parseBatchInfo(message.Body ?? '');
      if (!info) {
        kept.push({ messageId, reason: 'not a DynamoDB stream on-failure record' });
        continue;
      }
      const batchRecords = await readBatch(streams, info);
      if (batchRecords.length === 0) {
        kept.push({ messageId, reason: 'the stream no longer holds these records (older than 24 hours?)' });
        continue;
      }
      const outcome = await deliver(batchRecords);
      if (outcome.firstFailedSequenceNumber !== undefined) {
        kept.push({ messageId, reason: `delivery failed again at ${outcome.firstFailedSequenceNumber}` });
        continue;
      }
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      replayed++;
      records += outcome.delivered;
    }
  }
  return { messages, replayed, records, kept };
}
