import type { DynamoDBRecord } from 'aws-lambda';

/** Lambda's on-failure destination record for stream event sources (Lambda Developer Guide, services-dynamodb-errors). */
export interface StreamOnFailureRecord {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: FailureCondition;
    readonly approximateInvokeCount: number;
  };
  /** The last invocation's outcome; absent when the records expired before any invocation. */
  readonly responseContext?: ResponseContext;
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

export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

export interface ResponseContext {
  readonly statusCode: number;
  readonly executedVersion: string;
  readonly functionError?: 'Unhandled';
}

export interface OnFailureRecordInput {
  readonly condition: FailureCondition;
  /** The records given up on, in stream order. */
  readonly records: readonly DynamoDBRecord[];
  /** Invocations that carried these records. */
  readonly invocations: number;
  /** The last invocation's request id, or a fresh one when there was none. */
  readonly requestId: string;
  readonly lastResponse: ResponseContext | undefined;
  readonly functionArn: string;
  readonly shardId: string;
  readonly streamArn: string;
  readonly nowMs: number;
}

export const onFailureRecord = (input: OnFailureRecordInput): StreamOnFailureRecord => {
  const first = input.records[0]?.dynamodb;
  const last = input.records.at(-1)?.dynamodb;
  return {
    requestContext: {
      requestId: input.requestId,
      functionArn: input.functionArn,
      condition: input.condition,
      approximateInvokeCount: input.invocations,
    },
    ...(input.lastResponse === undefined ? {} : { responseContext: input.lastResponse }),
    version: '1.0',
    timestamp: new Date(input.nowMs).toISOString(),
    DDBStreamBatchInfo: {
      shardId: input.shardId,
      startSequenceNumber: first?.SequenceNumber ?? '',
      endSequenceNumber: last?.SequenceNumber ?? '',
      approximateArrivalOfFirstRecord: isoSeconds(first?.ApproximateCreationDateTime),
      approximateArrivalOfLastRecord: isoSeconds(last?.ApproximateCreationDateTime),
      batchSize: input.records.length,
      streamArn: input.streamArn,
    },
  };
};

/** 2019-11-14T00:13:19Z, as the on-failure record writes arrival times. */
const isoSeconds = (epochSeconds: number | undefined): string =>
  epochSeconds === undefined ? '' : new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
