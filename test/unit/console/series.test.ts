import { describe, expect, it } from 'vitest';
import { type InsightSeries, seriesGeometry } from '../../../console/src/series.js';

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
  it('puts one point per minute at its middle, scaled to the highest count', () => {
    // Act
    const geometry = seriesGeometry(SERIES, 400, 100);

    // Assess
    expect(geometry.highest).toBe(10);
    expect(geometry.actual).toBe('M50,100L150,50L250,0L350,20');
  });

  it('draws the baseline only over the minutes that have one', () => {
    // Act
    const geometry = seriesGeometry(SERIES, 400, 100);

    // Assess
    expect(geometry.baseline).toBe('M250,50L350,50');
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
