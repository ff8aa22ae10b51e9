import { Duration } from 'aws-cdk-lib';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import type { DynamoEventSourceProps } from 'aws-cdk-lib/aws-lambda-event-sources';

/**
 * Defaults for a DynamoDB stream consumer: read from the oldest record, batches of 100 gathered for at most 1 s,
 * bisect a failing batch, retry 5 times and for at most 24 h (the stream's own retention), one batch per shard at
 * a time so stream order is kept.
 */
export function defaultStreamEventSourceProps(): DynamoEventSourceProps {
  return {
    startingPosition: StartingPosition.TRIM_HORIZON,
    batchSize: 100,
    maxBatchingWindow: Duration.seconds(1),
    bisectBatchOnError: true,
    retryAttempts: 5,
    maxRecordAge: Duration.hours(24),
    parallelizationFactor: 1,
  };
}
