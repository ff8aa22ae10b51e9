import { describe, expect, it } from 'vitest';
import { bucketWidthMs, histogram } from '../../../console/src/histogram.js';

const T0 = Date.parse('2026-11-05T12:00:00Z');

describe('console histogram', () => {
  it('picks the smallest round width that fits', () => {
    expect(bucketWidthMs(15 * 60_000, 60)).toBe(15_000);
    expect(bucketWidthMs(3_600_000, 60)).toBe(60_000);
    expect(bucketWidthMs(86_400_000, 60)).toBe(30 * 60_000);
    expect(bucketWidthMs(90 * 86_400_000, 60)).toBe(7 * 86_400_000);
  });

  it('counts each time in its UTC-aligned bucket and leaves out times outside the range', () => {
    // Act
    const buckets = histogram(
      T0 + 30_000,
      T0 + 3 * 60_000,
      [T0 + 30_000, T0 + 59_999, T0 + 60_000, T0 - 1, T0 + 10 * 60_000],
      3,
    );

    // Assess
    expect(buckets).toEqual([
      { startMs: T0, endMs: T0 + 60_000, count: 2 },
      { startMs: T0 + 60_000, endMs: T0 + 120_000, count: 1 },
      { startMs: T0 + 120_000, endMs: T0 + 180_000, count: 0 },
      { startMs: T0 + 180_000, endMs: T0 + 240_000, count: 0 },
    ]);
  });
});
