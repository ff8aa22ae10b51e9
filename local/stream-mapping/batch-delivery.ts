import type { DynamoDBRecord } from 'aws-lambda';
import { type BackoffPolicy, backoffDelayMs } from '../../lambda/core/backoff.js';
import type { StreamMapping } from '../../lambda/manifest/functions.js';
import type { InvocationOutcome } from '../lambda-invoke.js';
import type { FailureCondition, ResponseContext } from './on-failure-record.js';

/**
 * A mapping's failure handling for one batch, as decisions without I/O: partial batch responses, bisect on
 * error, bounded retries with back-off, record age, and which records to give up on. The caller performs each
 * step (invoke, wait, send the on-failure record) and reports back.
 *
 * Where Lambda's documentation leaves a choice open, the mapping decides as follows:
 * - a partial batch response that moved past some records starts the retry count again for the rest;
 * - after a split, each half has its full retry quota ("splitting batches doesn't consume the retry quota");
 * - approximateInvokeCount counts every invocation that carried the discarded records, before splits too;
 * - an itemIdentifier that names no record of the batch fails the whole batch, like an empty one.
 */

/** How the mapping reads an invocation's outcome. */
export type InvocationResult =
  | { readonly kind: 'success' }
  | { readonly kind: 'partial'; readonly failedIndex: number }
  | { readonly kind: 'failure'; readonly reason: string };

/**
 * Reads the function's answer as Lambda does (Lambda Developer Guide, services-ddb-batchfailurereporting):
 * no response, no list or an empty list is success; an empty, missing or unknown itemIdentifier fails the
 * whole batch; several failures retry from the lowest sequence number. The manifest always sets
 * ReportBatchItemFailures, so the response is always read.
 */
export const interpretResponse = (
  outcome: InvocationOutcome<unknown>,
  records: readonly DynamoDBRecord[],
  functionTimeoutMs: number,
): InvocationResult => {
  if (outcome.kind === 'timeout')
    return { kind: 'failure', reason: `timed out after ${functionTimeoutMs} ms` };
  if (outcome.kind === 'error') return { kind: 'failure', reason: errorSummary(outcome.error) };
  const response = outcome.result;
  if (typeof response !== 'object' || response === null || !('batchItemFailures' in response)) {
    return { kind: 'success' };
  }
  const failures: unknown = response.batchItemFailures;
  if (failures === null || failures === undefined) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'failure', reason: 'batchItemFailures is not a list' };
  let lowest: number | undefined;
  for (const failure of failures as unknown[]) {
    const identifier: unknown =
      typeof failure === 'object' && failure !== null && 'itemIdentifier' in failure
        ? failure.itemIdentifier
        : undefined;
    const index =
      typeof identifier === 'string' && identifier !== ''
        ? records.findIndex((record) => record.dynamodb?.SequenceNumber === identifier)
        : -1;
    if (index < 0) {
      return {
        kind: 'failure',
        reason: `invalid itemIdentifier ${JSON.stringify(identifier) ?? 'undefined'}`,
      };
    }
    lowest = Math.min(lowest ?? index, index);
  }
  return lowest === undefined ? { kind: 'success' } : { kind: 'partial', failedIndex: lowest };
};

/** Records at the front of a batch older than MaximumRecordAgeInSeconds (-1: no limit) at `nowMs`. */
export const countExpired = (
  records: readonly DynamoDBRecord[],
  nowMs: number,
  maxRecordAgeSeconds: number,
): number => {
  if (maxRecordAgeSeconds < 0) return 0;
  const oldestAllowed = nowMs / 1000 - maxRecordAgeSeconds;
  const firstLive = records.findIndex(
    (record) => (record.dynamodb?.ApproximateCreationDateTime ?? Number.POSITIVE_INFINITY) >= oldestAllowed,
  );
  return firstLive < 0 ? records.length : firstLive;
};

export interface DeliveryPolicy {
  readonly mapping: Pick<StreamMapping, 'bisectBatchOnError' | 'retryAttempts' | 'maxRecordAgeSeconds'>;
  readonly functionTimeoutMs: number;
  /** The wait before a retry (lambda/core/backoff.ts). */
  readonly retryBackoff: Pick<BackoffPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>;
}

/** Records given up on, to be described in the on-failure destination. */
export interface DiscardStep {
  readonly kind: 'discard';
  readonly condition: FailureCondition;
  readonly records: readonly DynamoDBRecord[];
  /** Invocations that carried these records. */
  readonly invocations: number;
  readonly lastRequestId: string | undefined;
  readonly lastResponse: ResponseContext | undefined;
}

export type DeliveryStep =
  | { readonly kind: 'invoke'; readonly records: readonly DynamoDBRecord[] }
  | { readonly kind: 'wait'; readonly ms: number }
  | DiscardStep
  /** Every record is taken by the handler or discarded. */
  | { readonly kind: 'done' };

export interface InvocationVerdict {
  readonly result: InvocationResult;
  /** Records the handler took: all of a success, those before the failed one of a partial response. */
  readonly delivered: readonly DynamoDBRecord[];
  /** The sizes of the two halves when a failed batch was split. */
  readonly split?: readonly [number, number];
}

/** A run of consecutive records invoked together, with its retries and invocations so far. */
interface Segment {
  readonly records: readonly DynamoDBRecord[];
  readonly retries: number;
  /** Invocations that carried these records, those of the batch it was split from included. */
  readonly invocations: number;
  readonly lastRequestId: string | undefined;
  readonly lastResponse: ResponseContext | undefined;
}

/**
 * One batch's way through the failure handling. Call next() for the step to perform, then invoked() after an
 * invoke step, discarded() after a discard step once its record is sent; a wait step needs no answer.
 */
export class BatchDelivery {
  private readonly pending: Segment[];
  /** The step an invocation's outcome decided: a retry wait or giving up. */
  private decided: DeliveryStep | undefined;
  /** Records discarded for their age were just cut from the front: the rest is invoked without a new check. */
  private ageChecked = false;

  constructor(
    batch: readonly DynamoDBRecord[],
    private readonly policy: DeliveryPolicy,
  ) {
    this.pending =
      batch.length === 0
        ? []
        : [{ records: batch, retries: 0, invocations: 0, lastRequestId: undefined, lastResponse: undefined }];
  }

  next(nowMs: number): DeliveryStep {
    const decided = this.decided;
    if (decided !== undefined) {
      // A wait is performed once; a discard stays the next step until discarded() is called.
      if (decided.kind === 'wait') this.decided = undefined;
      return decided;
    }
    const segment = this.pending[0];
    if (segment === undefined) return { kind: 'done' };
    if (!this.ageChecked) {
      const expired = countExpired(segment.records, nowMs, this.policy.mapping.maxRecordAgeSeconds);
      if (expired > 0) return discardStep(segment, segment.records.slice(0, expired), 'RecordAgeExceeded');
    }
    return { kind: 'invoke', records: segment.records };
  }

  /** The discard step's on-failure record is sent: its records are done with. */
  discarded(step: DiscardStep): void {
    const segment = this.front();
    this.decided = undefined;
    const rest = segment.records.slice(step.records.length);
    if (rest.length === 0) {
      this.pending.shift();
      this.ageChecked = false;
    } else {
      this.pending[0] = { ...segment, records: rest };
      this.ageChecked = true;
    }
  }

  /** The invoke step's records were invoked with this request id and outcome. */
  invoked(requestId: string, outcome: InvocationOutcome<unknown>): InvocationVerdict {
    const { mapping, functionTimeoutMs, retryBackoff } = this.policy;
    this.ageChecked = false;
    const invokedSegment = this.front();
    const segment: Segment = {
      ...invokedSegment,
      invocations: invokedSegment.invocations + 1,
      lastRequestId: requestId,
      lastResponse: {
        statusCode: 200,
        executedVersion: '$LATEST',
        ...(outcome.kind === 'result' ? {} : { functionError: 'Unhandled' as const }),
      },
    };
    const result = interpretResponse(outcome, segment.records, functionTimeoutMs);
    if (result.kind === 'success') {
      this.pending.shift();
      return { result, delivered: segment.records };
    }
    let delivered: readonly DynamoDBRecord[] = [];
    let retrying: Segment;
    if (result.kind === 'partial') {
      // Records before the failed one are checkpointed and the rest is retried: with bisect on, Lambda
      // "bisects at the returned sequence number". A partial response is no function error, so the rest is
      // not split further; a record that keeps failing takes the records behind it to the DLQ with it.
      delivered = segment.records.slice(0, result.failedIndex);
      retrying = {
        ...segment,
        records: segment.records.slice(result.failedIndex),
        // Progress starts the count again: the retries are about the record now at the front.
        retries: delivered.length > 0 ? 1 : segment.retries + 1,
      };
    } else if (mapping.bisectBatchOnError && segment.records.length > 1) {
      // Splitting does not consume the retry quota (Lambda Developer Guide, services-dynamodb-errors).
      const half = Math.ceil(segment.records.length / 2);
      this.pending.splice(
        0,
        1,
        { ...segment, records: segment.records.slice(0, half), retries: 0 },
        { ...segment, records: segment.records.slice(half), retries: 0 },
      );
      return { result, delivered, split: [half, segment.records.length - half] };
    } else {
      retrying = { ...segment, retries: segment.retries + 1 };
    }
    this.pending[0] = retrying;
    this.decided =
      mapping.retryAttempts >= 0 && retrying.retries > mapping.retryAttempts
        ? discardStep(retrying, retrying.records, 'RetryAttemptsExhausted')
        : { kind: 'wait', ms: backoffDelayMs(retryBackoff, retrying.retries) };
    return { result, delivered };
  }

  private front(): Segment {
    const segment = this.pending[0];
    if (segment === undefined) throw new Error('BatchDelivery: no records in hand');
    return segment;
  }
}

const discardStep = (
  segment: Segment,
  records: readonly DynamoDBRecord[],
  condition: FailureCondition,
): DiscardStep => ({
  kind: 'discard',
  condition,
  records,
  invocations: segment.invocations,
  lastRequestId: segment.lastRequestId,
  lastResponse: segment.lastResponse,
});

export const errorSummary = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
