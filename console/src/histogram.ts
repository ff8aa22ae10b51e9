/** Buckets of events over a time range, at a round width, for the histogram above the table. */

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Widths a person reads at a glance; UTC-aligned, so a bucket starts on a round minute, hour or day. */
const WIDTHS_MS = [
  SECOND_MS,
  5 * SECOND_MS,
  15 * SECOND_MS,
  30 * SECOND_MS,
  MINUTE_MS,
  5 * MINUTE_MS,
  15 * MINUTE_MS,
  30 * MINUTE_MS,
  HOUR_MS,
  3 * HOUR_MS,
  6 * HOUR_MS,
  12 * HOUR_MS,
  DAY_MS,
  7 * DAY_MS,
];

export interface Bucket {
  readonly startMs: number;
  /** Exclusive. */
  readonly endMs: number;
  readonly count: number;
}

/** The smallest round width that covers the span in at most maxBuckets buckets. */
export function bucketWidthMs(spanMs: number, maxBuckets: number): number {
  return (
    WIDTHS_MS.find((width) => Math.ceil(spanMs / width) <= maxBuckets) ??
    WIDTHS_MS[WIDTHS_MS.length - 1] ??
    DAY_MS
  );
}

/** Counts per bucket from the first bucket holding startMs to the one holding endMs; times outside are left out. */
export function histogram(
  startMs: number,
  endMs: number,
  timesMs: readonly number[],
  maxBuckets = 60,
): Bucket[] {
  const width = bucketWidthMs(Math.max(1, endMs - startMs), maxBuckets);
  const first = Math.floor(startMs / width) * width;
  const counts = new Array<number>(Math.floor(endMs / width) - first / width + 1).fill(0);
  for (const time of timesMs) {
    if (time < startMs || time > endMs) continue;
    const index = Math.floor((time - first) / width);
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return counts.map((count, index) => ({
    startMs: first + index * width,
    endMs: first + (index + 1) * width,
    count,
  }));
}
