import { describe, expect, it } from 'vitest';
import { batchingStep, cutBatch, pollWaitMs } from '../../../../local/stream-mapping/batching.js';
import { buffered, records, sequenceNumbers } from './records.js';

const LIMITS = { batchSize: 3, maxBatchBytes: 1_000, maxBatchingWindowMs: 5_000 };

describe('batching: cutting a batch', () => {
  it('takes at most batchSize records from the front, in order, and says a limit cut it', () => {
    // Act
    const batch = cutBatch(buffered(records(5)), LIMITS);

    // Assess
    expect(sequenceNumbers(batch.records)).toEqual(['seq-1', 'seq-2', 'seq-3']);
    expect(batch.full).toBe(true);
  });

  it('stops before the record that would pass the payload limit, but sends a larger record alone', () => {
    // Prepare
    const buffer = buffered(records(3)).map((entry, i) => ({ ...entry, bytes: [400, 2_000, 10][i] ?? 0 }));

    // Act
    const first = cutBatch(buffer, LIMITS);
    const second = cutBatch(buffer.slice(1), LIMITS);

    // Assess
    expect(sequenceNumbers(first.records)).toEqual(['seq-1']);
    expect(first.full).toBe(true);
    expect(sequenceNumbers(second.records)).toEqual(['seq-2']);
  });

  it('is not full while the buffer holds less than a limit', () => {
    // Act / Assess
    expect(cutBatch(buffered(records(2)), LIMITS)).toMatchObject({ full: false });
  });
});

describe('batching: the window', () => {
  it('opens the window at the first waiting record and reads on until it ends', () => {
    // Act
    const opened = batchingStep(
      { buffer: buffered(records(1)), ended: false, windowEndsAt: undefined },
      10_000,
      LIMITS,
    );

    // Assess
    expect(opened).toEqual({ kind: 'read', windowEndsAt: 15_000 });
  });

  it('invokes when the window ends, not a millisecond before', () => {
    // Prepare
    const state = { buffer: buffered(records(2)), ended: false, windowEndsAt: 15_000 };

    // Act / Assess
    expect(batchingStep(state, 14_999, LIMITS)).toEqual({ kind: 'read', windowEndsAt: 15_000 });
    expect(batchingStep(state, 15_000, LIMITS)).toMatchObject({ kind: 'invoke' });
  });

  it('invokes a full batch at once, inside its window', () => {
    // Act
    const step = batchingStep(
      { buffer: buffered(records(4)), ended: false, windowEndsAt: 15_000 },
      10_000,
      LIMITS,
    );

    // Assess
    expect(step).toMatchObject({ kind: 'invoke' });
    expect(step.kind === 'invoke' && sequenceNumbers(step.records)).toEqual(['seq-1', 'seq-2', 'seq-3']);
  });

  it('invokes what waits when the shard has ended, and says ended when nothing does', () => {
    // Act / Assess
    expect(
      batchingStep({ buffer: buffered(records(1)), ended: true, windowEndsAt: undefined }, 0, LIMITS),
    ).toMatchObject({ kind: 'invoke' });
    expect(batchingStep({ buffer: [], ended: true, windowEndsAt: undefined }, 0, LIMITS)).toEqual({
      kind: 'ended',
    });
  });

  it('invokes at once without a window (MaximumBatchingWindowInSeconds 0)', () => {
    // Act
    const step = batchingStep(
      { buffer: buffered(records(1)), ended: false, windowEndsAt: undefined },
      10_000,
      { ...LIMITS, maxBatchingWindowMs: 0 },
    );

    // Assess
    expect(step).toMatchObject({ kind: 'invoke' });
  });

  it('polls at its interval, or sooner when the window ends sooner', () => {
    // Act / Assess
    expect(pollWaitMs(undefined, 10_000, 250)).toBe(250);
    expect(pollWaitMs(20_000, 10_000, 250)).toBe(250);
    expect(pollWaitMs(10_100, 10_000, 250)).toBe(100);
  });

  it('backs off while nothing waits: doubling per empty read in a row, up to a second', () => {
    // Assess
    expect([1, 2, 3, 4, 5, 20].map((emptyReads) => pollWaitMs(undefined, 10_000, 250, emptyReads))).toEqual([
      250, 500, 1_000, 1_000, 1_000, 1_000,
    ]);
    // An open window keeps the poll interval however long the shard was idle.
    expect(pollWaitMs(20_000, 10_000, 250, 20)).toBe(250);
    // A poll interval longer than the cap is kept.
    expect(pollWaitMs(undefined, 10_000, 5_000, 3)).toBe(5_000);
  });
});
