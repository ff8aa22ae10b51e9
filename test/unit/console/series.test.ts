import { describe, expect, it } from 'vitest';
import { type InsightSeries, roundTop, seriesGeometry } from '../../../console/src/series.js';

const minute = (i: number) => new Date(Date.parse('2026-11-05T12:00:00Z') + i * 60_000).toISOString();

const SERIES: InsightSeries = {
  key: { insightType: 'ApiCallRateInsight', eventSource: 'iam.example.com', eventName: 'CreateUser' },
  minutes: [
    { minute: minute(0), count: 0 },
    { minute: minute(1), count: 5 },
    { minute: minute(2), count: 10, baseline: 5 },
    { minute: minute(3), count: 8, baseline: 5 },
  ],
  insightStart: minute(2),
  insightEnd: minute(3),
  attributions: [],
};

describe('seriesGeometry', () => {
  it('puts one point per minute at its middle, on a round scale with headroom above the highest count', () => {
    // Act
    const geometry = seriesGeometry(SERIES, 400, 100);

    // Assess: the scale tops at 12 (10 x 1.1 rounded up), drawn 5 units below the top; 0 sits 5 above the bottom.
    expect(geometry.highest).toBe(10);
    expect(geometry.top).toBe(12);
    expect(geometry.actual).toBe('M50,95L150,57.5L250,20L350,35');
    expect(geometry.ticks).toEqual([
      { value: 0, y: 95 },
      { value: 6, y: 50 },
      { value: 12, y: 5 },
    ]);
  });

  it('keeps every point inside the plot, a peak below the top gridline and a zero on the zero line', () => {
    // Prepare: a flat run at the highest count, then nothing (what a burst that stopped looks like).
    const burst: InsightSeries = {
      ...SERIES,
      minutes: [4, 4, 120, 120, 120, 0, 0].map((count, i) => ({ minute: minute(i), count, baseline: 4 })),
    };

    // Act
    const geometry = seriesGeometry(burst, 700, 200);
    const ys = [...geometry.actual.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((match) => Number(match[1]));

    // Assess
    const [zero, , top] = geometry.ticks;
    expect(geometry.top).toBe(150);
    expect(Math.min(...ys)).toBeGreaterThan(top?.y ?? Number.POSITIVE_INFINITY);
    expect(Math.max(...ys)).toBe(zero?.y);
    expect(Math.min(...ys)).toBeGreaterThan(0);
    expect(Math.max(...ys)).toBeLessThan(200);
  });

  it('rounds the top of the scale up to a round whole number', () => {
    expect([0.5, 1.1, 4.4, 11, 132, 1_001].map(roundTop)).toEqual([1, 2, 5, 12, 150, 1_200]);
  });

  it('draws the baseline only over the minutes that have one', () => {
    // Act
    const geometry = seriesGeometry(SERIES, 400, 100);

    // Assess
    expect(geometry.baseline).toBe('M250,57.5L350,57.5');
  });

  it('shades from the insight start to the end of its last minute, or to the end of the series while open', () => {
    // Act
    const closed = seriesGeometry(SERIES, 400, 100);
    const { insightEnd: _, ...open } = SERIES;
    const opened = seriesGeometry(open, 400, 100);

    // Assess
    expect(closed.window).toEqual({ x: 200, width: 200 });
    expect(opened.window).toEqual({ x: 200, width: 200 });
    expect(seriesGeometry({ ...SERIES, insightEnd: minute(2) }, 400, 100).window).toEqual({
      x: 200,
      width: 100,
    });
  });
});
