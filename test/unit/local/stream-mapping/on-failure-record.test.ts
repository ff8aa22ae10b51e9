import { describe, expect, it } from 'vitest';
import { onFailureRecord } from '../../../../local/stream-mapping/on-failure-record.js';
import { records } from './records.js';

describe('on-failure record', () => {
  it('describes the given-up records as Lambda does for a DynamoDB stream', () => {
    // Prepare: records created at 2019-11-14T00:13:19Z and one second later.
    const batch = records(2, 1_573_690_399);

    // Act
    const record = onFailureRecord({
      condition: 'RetryAttemptsExhausted',
      records: batch,
      invocations: 3,
      requestId: 'request-3',
      lastResponse: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      functionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:opentrail-archive',
      shardId: 'shardId-1',
      streamArn: 'arn:aws:dynamodb:eu-west-1:111122223333:table/t/stream/label',
      nowMs: Date.UTC(2019, 10, 14, 0, 20, 0, 123),
    });

    // Assess
    expect(record).toEqual({
      requestContext: {
        requestId: 'request-3',
        functionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:opentrail-archive',
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: '2019-11-14T00:20:00.123Z',
      DDBStreamBatchInfo: {
        shardId: 'shardId-1',
        startSequenceNumber: 'seq-1',
        endSequenceNumber: 'seq-2',
        approximateArrivalOfFirstRecord: '2019-11-14T00:13:19Z',
        approximateArrivalOfLastRecord: '2019-11-14T00:13:20Z',
        batchSize: 2,
        streamArn: 'arn:aws:dynamodb:eu-west-1:111122223333:table/t/stream/label',
      },
    });
  });

  it('has no response context when the records expired before any invocation', () => {
    // Act
    const record = onFailureRecord({
      condition: 'RecordAgeExceeded',
      records: records(1),
      invocations: 0,
      requestId: 'fresh',
      lastResponse: undefined,
      functionArn: 'arn',
      shardId: 'shardId-1',
      streamArn: 'stream',
      nowMs: 0,
    });

    // Assess
    expect(record).not.toHaveProperty('responseContext');
    expect(record.requestContext).toMatchObject({
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 0,
    });
  });
});
