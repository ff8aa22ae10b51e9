import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from '../core/backoff.js';
import { byteLength } from '../core/event-model.js';
import { type ArchiveSink, FIREHOSE_LIMITS } from '../core/pipeline.js';
import { isRetryable } from './retryable.js';

/**
 * Firehose PutRecordBatch within its limits (500 records, 4 MiB per call), retrying only the records Firehose
 * rejected, with capped exponential backoff and full jitter. A record still rejected after the retries is
 * reported as not accepted, never dropped silently.
 */
export class FirehoseArchiveSink implements ArchiveSink {
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly client: FirehoseClient,
    private readonly deliveryStreamName: string,
    private readonly backoff: BackoffPolicy = DEFAULT_BACKOFF,
  ) {}

  async putRecords(records: readonly string[]): Promise<boolean[]> {
    const accepted = records.map(() => false);
    for (const call of callsWithinLimits(records)) {
      let pending = call;
      for (let attempt = 1; pending.length > 0 && attempt <= this.backoff.maxAttempts; attempt++) {
        try {
          const output = await this.client.send(
            new PutRecordBatchCommand({
              DeliveryStreamName: this.deliveryStreamName,
              Records: pending.map((index) => ({ Data: this.encoder.encode(records[index]) })),
            }),
          );
          const responses = output.RequestResponses ?? [];
          const rejected: number[] = [];
          pending.forEach((index, position) => {
            if (responses[position]?.RecordId !== undefined && !responses[position]?.ErrorCode)
              accepted[index] = true;
            else rejected.push(index);
          });
          pending = rejected;
        } catch (error) {
          if (!isRetryable(error)) break;
        }
        if (pending.length > 0 && attempt < this.backoff.maxAttempts)
          await backoffDelay(this.backoff, attempt);
      }
      // Later calls would only reorder the archive around the failure; the batch is retried from it anyway.
      if (pending.length > 0) break;
    }
    return accepted;
  }
}

/** Record indexes grouped into PutRecordBatch calls that respect the record-count and byte limits. */
function callsWithinLimits(records: readonly string[]): number[][] {
  const calls: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  records.forEach((record, index) => {
    const size = byteLength(record);
    if (
      current.length > 0 &&
      (current.length === FIREHOSE_LIMITS.recordsPerCall || bytes + size > FIREHOSE_LIMITS.bytesPerCall)
    ) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += size;
  });
  if (current.length > 0) calls.push(current);
  return calls;
}
