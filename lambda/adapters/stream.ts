import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { DeliveryOutcome, StreamRecordLike } from '../core/pipeline.js';
import { logger as functionLogger, type Logger } from './logger.js';

export type StreamHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;

/**
 * Wraps a stream consumer: the first record it could not deliver becomes the partial batch response, so the
 * event source mapping retries from it (and bisects down to a poison record). Unexpected errors are thrown,
 * never swallowed: the whole batch is then retried.
 */
export function streamHandler(
  consumer: string,
  deliver: (records: readonly StreamRecordLike[]) => Promise<DeliveryOutcome>,
  logger: Logger = functionLogger,
): StreamHandler {
  return async (event, context) => {
    logger.addContext(context);
    try {
      const outcome = await deliver(event.Records);
      const failed = outcome.firstFailedSequenceNumber;
      logger.info('stream batch handled', {
        consumer,
        records: event.Records.length,
        delivered: outcome.delivered,
        retryFrom: failed,
      });
      return { batchItemFailures: failed === undefined ? [] : [{ itemIdentifier: failed }] };
    } finally {
      logger.resetKeys();
    }
  };
}
