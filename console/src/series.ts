/**
 * The insight graph's geometry, kept pure so it is unit-tested: GET /insights/{sharedEventID}/series answers one
 * entry per minute (docs/insights.md); the graph draws the counts as a line, the baseline where the series has one,
 * and shades the insight's window. Coordinates are in a viewBox of `width` x `height`.
 */

export interface SeriesMinute {
  readonly minute: string;
  readonly count: number;
  readonly baseline?: number;
}

export interface AttributionValue {
  readonly value: string;
  readonly average: number;
}

export interface Attribution {
  readonly attribute: string;
  readonly insight: readonly AttributionValue[];
  readonly baseline: readonly AttributionValue[];
}

export interface InsightSeries {
  readonly key: {
    readonly insightType: string;
    readonly eventSource: string;
    readonly eventName: string;
    readonly errorCode?: string;
  };
  readonly minutes: readonly SeriesMinute[];
  readonly insightStart: string;
  readonly insightEnd?: string;
  readonly attributions: readonly Attribution[];
}

export interface Geometry {
  /** SVG path of the counts, one point per minute. */
  readonly actual: string;
  /** SVG path of the baseline, over the minutes that have one (empty when none has). */
  readonly baseline: string;
  /** The shaded insight window: from its first minute to the end of its last. */
  readonly window: { readonly x: number; readonly width: number };
  /** The highest count or baseline in the series. */
  readonly highest: number;
  /** The value the plot's top stands for: a round number at least HEADROOM above the highest. */
  readonly top: number;
  /** Gridlines at 0, half the top and the top, bottom to top; the page labels them at PLOT_INSET's heights. */
  readonly ticks: readonly { readonly value: number; readonly y: number }[];
}

/**
 * The plot keeps this share of the height free above its top and below its zero line, so a line drawn at either
 * keeps its whole stroke inside the box. styles.css places the tick labels at the same heights (5%, 50%, 95%).
 */
export const PLOT_INSET = 0.05;
/** The top of the scale is at least this much above the highest value, so a peak shows as a peak, not as the edge. */
const HEADROOM = 1.1;
/** Round scale tops, per power of ten. */
const ROUND_STEPS = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];
const MAX_POWER = 15;

/** The smallest round whole number at least `least`: 1.1 -> 2, 4.4 -> 5, 132 -> 150. */
export function roundTop(least: number): number {
  for (let power = 0; power <= MAX_POWER; power++) {
    for (const step of ROUND_STEPS) {
      const candidate = step * 10 ** power;
      if (candidate >= least && Number.isInteger(candidate)) return candidate;
    }
  }
  return Math.ceil(least);
}

const MINUTE_MS = 60_000;
const round = (value: number): number => Math.round(value * 100) / 100;

export function seriesGeometry(series: InsightSeries, width: number, height: number): Geometry {
  const { minutes } = series;
  const first = Date.parse(minutes[0]?.minute ?? series.insightStart);
  const span = Math.max(1, minutes.length);
  const highest = Math.max(0, ...minutes.map((minute) => Math.max(minute.count, minute.baseline ?? 0)));
  const top = roundTop(Math.max(1, highest) * HEADROOM);
  const inset = height * PLOT_INSET;
  // Minute i spans [i, i + 1) on the x axis; its point sits in the middle.
  const x = (ms: number): number => round(((ms - first) / MINUTE_MS / span) * width);
  const y = (value: number): number => round(height - inset - (value / top) * (height - 2 * inset));
  const point = (minute: SeriesMinute, value: number): string =>
    `${x(Date.parse(minute.minute) + MINUTE_MS / 2)},${y(value)}`;
  const actual = minutes.map((minute, i) => `${i === 0 ? 'M' : 'L'}${point(minute, minute.count)}`).join('');
  let baseline = '';
  let previous = false;
  for (const minute of minutes) {
    if (minute.baseline === undefined) {
      previous = false;
      continue;
    }
    baseline += `${previous ? 'L' : 'M'}${point(minute, minute.baseline)}`;
    previous = true;
  }
  const lastMs = first + span * MINUTE_MS;
  const startX = x(Math.max(first, Date.parse(series.insightStart)));
  const endX =
    series.insightEnd === undefined
      ? x(lastMs)
      : x(Math.min(lastMs, Date.parse(series.insightEnd) + MINUTE_MS));
  return {
    actual,
    baseline,
    window: { x: startX, width: round(Math.max(0, endX - startX)) },
    highest,
    top,
    ticks: [0, top / 2, top].map((value) => ({ value, y: y(value) })),
  };
}
