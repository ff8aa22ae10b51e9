import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { streamMappingOf } from '../../../../lambda/manifest/functions.js';
import type { InvocationOutcome } from '../../../../local/lambda-invoke.js';
import {
  BatchDelivery,
  countExpired,
  type DeliveryPolicy,
  type DeliveryStep,
  interpretResponse,
} from '../../../../local/stream-mapping/batch-delivery.js';
import { records, sequenceNumbers } from './records.js';

/** The archive's mapping from the manifest (bisect on, 5 retries, 24 h), with retry waits of known length. */
const POLICY: DeliveryPolicy = {
  mapping: streamMappingOf('archive'),
  functionTimeoutMs: 60_000,
  retryBackoff: { baseDelayMs: 100, maxDelayMs: 5_000, random: () => 0.5 },
};
/** Records created at 1 000 s and after; the clock a minute later. */
const NOW_MS = 1_060_000;

const ok: InvocationOutcome<unknown> = { kind: 'result', result: undefined };
const thrown: InvocationOutcome<unknown> = { kind: 'error', error: new Error('sink down') };
const failingFrom = (record: DynamoDBRecord | undefined): InvocationOutcome<unknown> => ({
  kind: 'result',
  result: { batchItemFailures: [{ itemIdentifier: record?.dynamodb?.SequenceNumber ?? '' }] },
});

/** A step as the tests compare it: sequence numbers instead of records. */
type Seen =
  | { readonly invoke: string[] }
  | { readonly wait: number }
  | { readonly discard: string[]; readonly condition: string; readonly invocations: number };

/**
 * Performs a delivery's steps to the end, as the poller does: `answer` gives each invocation's outcome, a wait
 * moves the clock, and each invocation takes `invocationMs` of it.
 */
const drive = (
  delivery: BatchDelivery,
  answer: (records: readonly DynamoDBRecord[], call: number) => InvocationOutcome<unknown>,
  { nowMs = NOW_MS, invocationMs = 0 } = {},
): { readonly seen: Seen[]; readonly steps: DeliveryStep[] } => {
  const seen: Seen[] = [];
  const steps: DeliveryStep[] = [];
  let now = nowMs;
  let calls = 0;
  for (let step = delivery.next(now); step.kind !== 'done'; step = delivery.next(now)) {
    if (steps.length === 100) throw new Error('the delivery does not end');
    steps.push(step);
    if (step.kind === 'invoke') {
      calls += 1;
      seen.push({ invoke: sequenceNumbers(step.records) });
      now += invocationMs;
      delivery.invoked(`request-${calls}`, answer(step.records, calls));
    } else if (step.kind === 'wait') {
      seen.push({ wait: step.ms });
      now += step.ms;
    } else {
      seen.push({
        discard: sequenceNumbers(step.records),
        condition: step.condition,
        invocations: step.invocations,
      });
      delivery.discarded(step);
    }
  }
  return { seen, steps };
};

describe('batch delivery: success and partial batch responses', () => {
  it('invokes the whole batch once when the handler succeeds', () => {
    // Act
    const { seen } = drive(new BatchDelivery(records(3), POLICY), () => ok);

    // Assess
    expect(seen).toEqual([{ invoke: ['seq-1', 'seq-2', 'seq-3'] }]);
  });

  it('delivers the records before a reported failure and retries from it after a back-off', () => {
    // Prepare
    const delivery = new BatchDelivery(records(4), POLICY);

    // Act: the first invocation fails at the third record.
    const first = delivery.next(NOW_MS);
    const verdict = delivery.invoked('request-1', failingFrom(records(4)[2]));
    const { seen } = drive(delivery, () => ok);

    // Assess: the first retry waits up to base * 2 (random 0.5 of 200 ms).
    expect(first.kind === 'invoke' && sequenceNumbers(first.records)).toEqual([
      'seq-1',
      'seq-2',
      'seq-3',
      'seq-4',
    ]);
    expect(verdict.result).toEqual({ kind: 'partial', failedIndex: 2 });
    expect(sequenceNumbers(verdict.delivered)).toEqual(['seq-1', 'seq-2']);
    expect(seen).toEqual([{ wait: 100 }, { invoke: ['seq-3', 'seq-4'] }]);
  });

  it('starts the retry count again after a partial response that moved past some records', () => {
    // Prepare: two retries allowed; each call fails at its second record, so every call makes progress.
    const delivery = new BatchDelivery(records(4), {
      ...POLICY,
      mapping: { ...POLICY.mapping, retryAttempts: 1 },
    });

    // Act
    const { seen } = drive(delivery, (batch) => (batch.length > 1 ? failingFrom(batch[1]) : ok));

    // Assess: nothing is given up, though four invocations failed more often than one retry.
    expect(seen.filter((step) => 'invoke' in step)).toEqual([
      { invoke: ['seq-1', 'seq-2', 'seq-3', 'seq-4'] },
      { invoke: ['seq-2', 'seq-3', 'seq-4'] },
      { invoke: ['seq-3', 'seq-4'] },
      { invoke: ['seq-4'] },
    ]);
    expect(seen.some((step) => 'discard' in step)).toBe(false);
  });
});

describe('batch delivery: bisect and retries', () => {
  it('splits a batch whose invocation failed into halves with no wait, each with its full retry quota', () => {
    // Prepare
    const delivery = new BatchDelivery(records(5), POLICY);

    // Act
    delivery.next(NOW_MS);
    const verdict = delivery.invoked('request-1', thrown);
    const { seen } = drive(delivery, () => ok);

    // Assess
    expect(verdict).toMatchObject({ result: { kind: 'failure', reason: 'Error: sink down' }, split: [3, 2] });
    expect(seen).toEqual([{ invoke: ['seq-1', 'seq-2', 'seq-3'] }, { invoke: ['seq-4', 'seq-5'] }]);
  });

  it('retries a failing batch whole when bisect is off, waiting longer each time, then gives it up once', () => {
    // Prepare: the insights counter's mapping does not bisect; two retries.
    const mapping = { ...streamMappingOf('insightsCounter'), retryAttempts: 2 };
    const delivery = new BatchDelivery(records(3), { ...POLICY, mapping });

    // Act
    const { seen, steps } = drive(delivery, () => thrown);

    // Assess: one on-failure record for the whole batch, counting all three invocations.
    const whole = ['seq-1', 'seq-2', 'seq-3'];
    expect(seen).toEqual([
      { invoke: whole },
      { wait: 100 },
      { invoke: whole },
      { wait: 200 },
      { invoke: whole },
      { discard: whole, condition: 'RetryAttemptsExhausted', invocations: 3 },
    ]);
    expect(steps.at(-1)).toMatchObject({
      lastRequestId: 'request-3',
      lastResponse: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    });
  });

  it('bisects down to the poison record, gives it up alone and delivers every other record', () => {
    // Prepare: one retry; any batch holding seq-3 throws.
    const delivery = new BatchDelivery(records(4), {
      ...POLICY,
      mapping: { ...POLICY.mapping, retryAttempts: 1 },
    });

    // Act
    const { seen } = drive(delivery, (batch) => (sequenceNumbers(batch).includes('seq-3') ? thrown : ok));

    // Assess: 1-4 fails, 1-2 ok, 3-4 fails, 3 fails twice, 4 ok; seq-3 was in four invocations.
    expect(seen).toEqual([
      { invoke: ['seq-1', 'seq-2', 'seq-3', 'seq-4'] },
      { invoke: ['seq-1', 'seq-2'] },
      { invoke: ['seq-3', 'seq-4'] },
      { invoke: ['seq-3'] },
      { wait: 100 },
      { invoke: ['seq-3'] },
      { discard: ['seq-3'], condition: 'RetryAttemptsExhausted', invocations: 4 },
      { invoke: ['seq-4'] },
    ]);
  });

  it('marks the last response as no function error when a partial response exhausted the retries', () => {
    // Prepare: no retries.
    const delivery = new BatchDelivery(records(2), {
      ...POLICY,
      mapping: { ...POLICY.mapping, retryAttempts: 0 },
    });

    // Act
    const { steps } = drive(delivery, (batch) => failingFrom(batch[0]));

    // Assess
    expect(steps.at(-1)).toMatchObject({
      kind: 'discard',
      condition: 'RetryAttemptsExhausted',
      lastResponse: { statusCode: 200, executedVersion: '$LATEST' },
    });
    expect(steps.at(-1)).not.toHaveProperty('lastResponse.functionError');
  });
});

describe('batch delivery: record age', () => {
  it('gives up records older than the maximum age without invoking them, then invokes the rest', () => {
    // Prepare: one hour at most; the first two records are two hours old at the clock's time.
    const mapping = { ...POLICY.mapping, maxRecordAgeSeconds: 3_600 };
    const batch = [...records(2, 1_000), ...records(1, 1_000 + 7_200 - 5)].map((record, i) => ({
      ...record,
      dynamodb: { ...record.dynamodb, SequenceNumber: `seq-${i + 1}` },
    }));

    // Act
    const { seen, steps } = drive(new BatchDelivery(batch, { ...POLICY, mapping }), () => ok, {
      nowMs: (1_000 + 7_200) * 1000,
    });

    // Assess
    expect(seen).toEqual([
      { discard: ['seq-1', 'seq-2'], condition: 'RecordAgeExceeded', invocations: 0 },
      { invoke: ['seq-3'] },
    ]);
    expect(steps[0]).toMatchObject({ lastRequestId: undefined, lastResponse: undefined });
  });

  it('gives up a record that grows too old while it is retried, even with unlimited retries', () => {
    // Prepare: each invocation takes 30 s, no waits; at most 60 s old.
    const mapping = { ...streamMappingOf('insightsCounter'), retryAttempts: -1, maxRecordAgeSeconds: 60 };
    const retryBackoff = { baseDelayMs: 0, maxDelayMs: 0 };

    // Act
    const { seen } = drive(
      new BatchDelivery(records(1), { ...POLICY, mapping, retryBackoff }),
      () => thrown,
      {
        nowMs: 1_000_000,
        invocationMs: 30_000,
      },
    );

    // Assess: invoked at 0 s, 30 s and 60 s; at 90 s the record is too old.
    expect(seen.filter((step) => 'invoke' in step)).toHaveLength(3);
    expect(seen.at(-1)).toEqual({ discard: ['seq-1'], condition: 'RecordAgeExceeded', invocations: 3 });
  });

  it('counts only the expired records at the front, and none without a limit', () => {
    // Prepare: created at 1 000, 1 001 and 1 002 s; the clock at 1 061 s.
    const batch = records(3, 1_000);

    // Act / Assess: a record exactly maxRecordAgeSeconds old is still live.
    expect(countExpired(batch, 1_061_000, 60)).toBe(1);
    expect(countExpired(batch, 1_100_000, 60)).toBe(3);
    expect(countExpired(batch, 1_100_000, -1)).toBe(0);
  });
});

describe('batch delivery: reading the handler response', () => {
  const batch = records(3);
  const answered = (result: unknown) => interpretResponse({ kind: 'result', result }, batch, 60_000);

  it('reads no response, no list and an empty list as success', () => {
    // Act / Assess
    expect(answered(undefined)).toEqual({ kind: 'success' });
    expect(answered({})).toEqual({ kind: 'success' });
    expect(answered({ batchItemFailures: null })).toEqual({ kind: 'success' });
    expect(answered({ batchItemFailures: [] })).toEqual({ kind: 'success' });
  });

  it('retries from the lowest reported sequence number', () => {
    // Act
    const result = answered({
      batchItemFailures: [{ itemIdentifier: 'seq-3' }, { itemIdentifier: 'seq-2' }],
    });

    // Assess
    expect(result).toEqual({ kind: 'partial', failedIndex: 1 });
  });

  it('fails the whole batch for an empty, missing or unknown itemIdentifier, or a list that is not one', () => {
    // Act / Assess
    expect(answered({ batchItemFailures: [{ itemIdentifier: '' }] })).toEqual({
      kind: 'failure',
      reason: 'invalid itemIdentifier ""',
    });
    expect(answered({ batchItemFailures: [{}] })).toEqual({
      kind: 'failure',
      reason: 'invalid itemIdentifier undefined',
    });
    expect(answered({ batchItemFailures: [{ itemIdentifier: 'seq-9' }] })).toMatchObject({ kind: 'failure' });
    expect(answered({ batchItemFailures: 'seq-1' })).toEqual({
      kind: 'failure',
      reason: 'batchItemFailures is not a list',
    });
  });

  it('reads a timeout and a thrown error as function errors', () => {
    // Act / Assess
    expect(interpretResponse({ kind: 'timeout' }, batch, 60_000)).toEqual({
      kind: 'failure',
      reason: 'timed out after 60000 ms',
    });
    expect(interpretResponse(thrown, batch, 60_000)).toEqual({ kind: 'failure', reason: 'Error: sink down' });
  });
});
