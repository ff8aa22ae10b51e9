import type { DynamoDBRecord } from 'aws-lambda';
import type { BufferedRecord } from '../../../../local/stream-mapping/batching.js';

/** Stream records `seq-1`..`seq-n` for the policy tests, created one second apart from `firstCreatedSeconds`. */
export const records = (count: number, firstCreatedSeconds = 1_000): DynamoDBRecord[] =>
  Array.from({ length: count }, (_, i) => ({
    eventName: 'INSERT',
    dynamodb: { SequenceNumber: `seq-${i + 1}`, ApproximateCreationDateTime: firstCreatedSeconds + i },
  }));

export const buffered = (list: readonly DynamoDBRecord[], bytes = 100): BufferedRecord[] =>
  list.map((record) => ({ record, bytes }));

export const sequenceNumbers = (list: readonly DynamoDBRecord[]): string[] =>
  list.map((record) => record.dynamodb?.SequenceNumber ?? '?');
