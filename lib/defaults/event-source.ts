import { Duration } from 'aws-cdk-lib';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import type { DynamoEventSourceProps } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { StreamMapping } from '../../lambda/manifest/functions.js';

/**
 * A consumer's stream mapping as the manifest describes it (lambda/manifest/functions.ts), in CDK's terms,
 * without the settings the pipeline contract fixes (filters, partial batch responses, on-failure queue): the
 * StreamConsumer construct adds those.
 */
export function eventSourcePropsOf(mapping: StreamMapping): DynamoEventSourceProps {
  return {
    startingPosition: StartingPosition[mapping.startingPosition],
    batchSize: mapping.batchSize,
    maxBatchingWindow: Duration.seconds(mapping.maxBatchingWindowSeconds),
    bisectBatchOnError: mapping.bisectBatchOnError,
    retryAttempts: mapping.retryAttempts,
    maxRecordAge: Duration.seconds(mapping.maxRecordAgeSeconds),
    parallelizationFactor: mapping.parallelizationFactor,
  };
}
