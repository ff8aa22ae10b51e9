/**
 * The insights detector (DESIGN §7, docs/insights.md): decides, one complete minute at a time, whether one counter
 * series (a call-rate or an error-rate key) is in an unusual state. Pure and deterministic: no clock (the minute is
 * an argument), no randomness, no I/O beyond the injected `SeriesReader`, and everything it must remember between
 * minutes is in the `KeyState` it returns.
 *
 * How a minute is judged:
 * - Expectation. Once per hour the baseline of that hour is worked out from hourly totals inside the window
 *   (`baselineMinutes` before the minute): the median rate of the same hour of day over the previous days
 *   (`daily`), joined by the same hour of the week over previous weeks once the window holds two of them
 *   (`weekly`: median of those rates and the daily median). That shape is multiplied by a level factor, the median
 *   over the last 4 usable hours of (actual / shape), so weekends, growth and benign level shifts are followed
 *   within hours. Inside the hour the expectation follows the shape of the neighbouring hours (never below the
 *   hour's own rate). With less than a day of history the expectation is a trimmed mean of the last hours'
 *   rates (`recent`), with less than 3 hours a trimmed mean of the last minutes (`minutes`).
 * - Robustness. Medians and trimmed means throughout; the minutes of every earlier insight are left out of every
 *   later baseline, so an anomaly neither raises the baseline nor masks the next one.
 * - Score. The signed root of the Poisson deviance of the observed count against the expectation, divided by an
 *   overdispersion factor sqrt(1 + 0.25^2 * expected): about a z-score for small counts, about
 *   ln-ratio / 0.25 for large ones, so 1 -> 3 calls is weak evidence and 1,000 -> 1,300 calls is none.
 * - Start. The last 2 (or 3) minutes each have at least `minVolume` calls and score at least sensitivity / 2, and
 *   their sum scores at least `sensitivity`. A burst that the key already showed at the same time of day
 *   (+- 5 minutes) on two earlier days in the window is seasonal (a batch job), not an insight.
 * - End. After 5 consecutive minutes that are no longer anomalous against the expectation frozen at the start
 *   (so the anomaly cannot become its own baseline); an insight open for 6 hours ends too, and its level is then
 *   the new normal (it stays in the baseline).
 *
 * Reads: `hourTotal` of complete hours inside the window, at most a few hundred per key per hour (the baseline is
 * kept in the state between hours); `count` of minutes no older than 60 minutes before the one evaluated.
 */

/** Sensitivity: the score (above) a start window must reach. */
export interface DetectorConfig {
  /** History the baseline uses; at least 7 days in production (DESIGN §7), short in local demos. */
  readonly baselineMinutes: number;
  /**
   * Higher means fewer, stronger insights. It is the score a start window must reach: for small counts a one-sided
   * Poisson z-score (6: p < 1e-9 per window), for large counts a ratio over the expectation of about
   * 2.2x (4), 2.5x (5), 2.8x (6), 3.2x (7) or 3.7x (8).
   */
  readonly sensitivity: number;
  /** Minimum calls per minute during an anomaly: 1 -> 3 calls is never an insight. */
  readonly minVolume: number;
}

/**
 * Tuned on the labelled synthetic traffic of `npm run bench -- insights` (several seeds): sensitivity 6 detects every
 * anomaly of 5x and more, and large-volume bursts from about 3x, with well under one false insight per week over
 * 48 keys; minVolume 5 keeps a few stray calls (1 -> 3, or 4 deletes in a row on a quiet key) from ever
 * being an insight.
 */
export const DEFAULT_DETECTOR_CONFIG: DetectorConfig = Object.freeze({
  baselineMinutes: 7 * 1440,
  sensitivity: 6,
  minVolume: 5,
});

export interface SeriesReader {
  /** Calls in that minute (0 when none). */
  count(minute: number): number;
  /** Calls in the hour starting at that minute (a multiple of 60); production keeps hourly rollups, so the baseline never re-reads a week of minutes. */
  hourTotal(hourStartMinute: number): number;
}

/** How the expectation of an hour was made (see the module comment). */
export type BaselineMode = 'weekly' | 'daily' | 'recent' | 'minutes';

/** The baseline of one hour, worked out at its first minute and kept in the state until the next hour. */
export interface HourBaseline {
  /** First minute of the hour. */
  readonly hour: number;
  readonly mode: BaselineMode;
  /** Calls per minute the shape expects in the previous, this and the next hour (before the level factor). */
  readonly shape: readonly [number, number, number];
  /** Recent traffic over what the shape expected of it (1 when the shape is itself recent). */
  readonly level: number;
  /** The window the baseline was made for: a change of configuration makes a new one. */
  readonly baselineMinutes: number;
}

/** The insight in progress. */
export interface OpenInsight {
  readonly startMinute: number;
  /** The last minute that was still anomalous: the insight's statistics end there. */
  readonly lastAnomalousMinute: number;
  /** The level factor at the start, kept for the whole insight so the anomaly never becomes the baseline. */
  readonly level: number;
  /** The expectation at the start when it was a flat one (`recent`, `minutes` modes). */
  readonly flat?: number;
  /** Calls and expected calls from the start to the last anomalous minute. */
  readonly calls: number;
  readonly expected: number;
  /** Calls and expected calls of the calm minutes since then (added back if the anomaly resumes). */
  readonly tailCalls: number;
  readonly tailExpected: number;
  readonly calmMinutes: number;
  /** Average calls per minute over the baseline window at the start, and its length in minutes. */
  readonly baselineAverage: number;
  readonly baselineDurationMinutes: number;
}

/** Per-key state the caller stores between runs (JSON-serialisable, small: well under 2 KB). */
export interface KeyState {
  readonly version: 1;
  /** The last minute evaluated; a minute at or before it is not evaluated again. */
  readonly lastMinute: number;
  readonly baseline?: HourBaseline;
  readonly open?: OpenInsight;
  /** Earlier insights as [first, last] minutes inside the window: left out of every baseline. */
  readonly excluded: readonly (readonly [number, number])[];
  /** First minutes of the bursts that met the start condition inside the window, to recognise recurring ones. */
  readonly bursts: readonly number[];
  /** Level factor (actual over shape) followed minute by minute in `daily` and `weekly` modes. */
  readonly level?: number;
  /** The current burst is a recurring one: no insight until it has been calm for as long as an insight needs to end. */
  readonly recurring?: { readonly calmMinutes: number };
}

export interface InsightStatistics {
  baselineAverage: number;
  insightAverage: number;
  baselineDurationMinutes: number;
  insightDurationMinutes: number;
}

export interface Verdict {
  readonly action: 'none' | 'start' | 'end';
  readonly state: KeyState;
  /** Filled for 'start' and 'end' (CloudTrail insightContext.statistics semantics: baseline = average per minute in the baseline, insight = average per minute during the anomaly). */
  readonly statistics?: InsightStatistics;
  /** Minutes of history the baseline had; less than baselineMinutes means a limited baseline, which the insight must say. */
  readonly historyMinutes: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Tuning constants (the configurable knobs are in DetectorConfig)

/** Relative noise assumed on top of Poisson counting noise: day-to-day and minute-to-minute variation. */
const RELATIVE_NOISE = 0.25;
/** Every minute of a start window must score at least this fraction of the sensitivity. */
const MINUTE_FRACTION = 0.5;
/** An open insight goes on while its minutes score this much (or the start's per-minute score, if lower). */
const CONTINUE_SCORE = 2.5;
/** Start windows, in minutes: the anomaly must hold for 2 minutes (or 3 when 2 are not conclusive). */
const START_WINDOWS = [2, 3] as const;
/** Calm minutes that end an insight. */
const END_CALM_MINUTES = 5;
/** An insight open this long ends; its level is the new normal. */
const MAX_INSIGHT_MINUTES = 360;
/** Expectation floor, calls per minute: a key that has been silent still has a finite score. */
const EXPECTED_FLOOR = 0.05;
/** Hours averaged into the level factor, and how far back the detector looks for them. */
const LEVEL_HOURS = 4;
const LEVEL_LOOKBACK_HOURS = 24;
/** Pseudo-calls added to both sides of an hour's level ratio, so near-silent hours count for little. */
const LEVEL_PRIOR_CALLS = 60;
const LEVEL_RANGE = [1 / 16, 16] as const;
/** How fast the level follows the traffic: 1/30 of the (clipped) log-ratio per minute, about half an hour of memory. */
const LEVEL_RATE = 1 / 30;
/** How far the minute-by-minute level may stray from the hour's level factor. */
const LEVEL_SPREAD = 2;
/** Pseudo-calls added to both sides of a minute's level ratio. */
const LEVEL_PRIOR_MINUTE = 1;
/** Limited baselines (`recent`, `minutes`) expect their upper quartile: without a day of history, a daily peak is unknown. */
const LIMITED_QUANTILE = 0.75;
/** Minimum complete hours for a `recent` baseline, and minutes for a `minutes` one. */
const RECENT_MIN_HOURS = 3;
const MINUTES_MIN = 5;
/** `minutes` baselines end this many minutes before the one evaluated, so a start window is never its own baseline. */
const MINUTES_GAP = 3;
/** Oldest minute the detector reads with `count`, relative to the minute evaluated (the caller keeps an hour). */
const MINUTES_LOOKBACK = 60;
/** A burst is recurring when seen on this many earlier days at the same time of day, within this many minutes. */
const RECURRING_DAYS = 2;
const RECURRING_TOLERANCE = 5;
/** Bursts closer than this to the previous one are the same burst. */
const BURST_GAP = 30;
/** Minutes before a start that are left out of later baselines with the insight. */
const EXCLUDE_BEFORE_START = 2;
/** Bounds on what the state keeps. */
const MAX_EXCLUDED = 32;
const MAX_BURSTS = 64;

const HOUR = 60;
const DAY = 1440;
const WEEK = 7 * DAY;

// ---------------------------------------------------------------------------------------------------------------
// Statistics helpers

const hourOf = (minute: number): number => minute - (((minute % HOUR) + HOUR) % HOUR);

function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

export function median(values: readonly number[]): number {
  const ordered = sorted(values);
  const middle = Math.floor(ordered.length / 2);
  if (ordered.length === 0) return 0;
  return ordered.length % 2 === 1
    ? (ordered[middle] as number)
    : ((ordered[middle - 1] as number) + (ordered[middle] as number)) / 2;
}

/** The q-quantile (0..1) with linear interpolation between order statistics. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const ordered = sorted(values);
  const position = (ordered.length - 1) * q;
  const below = Math.floor(position);
  const low = ordered[below] as number;
  const high = ordered[Math.min(below + 1, ordered.length - 1)] as number;
  return low + (high - low) * (position - below);
}

/**
 * How anomalous `calls` are against `expected` (calls in the same minutes): the signed root of the Poisson
 * deviance, divided by sqrt(1 + RELATIVE_NOISE^2 * expected) for the variation counting noise does not explain.
 */
export function anomalyScore(calls: number, expected: number, minutes = 1): number {
  const mu = Math.max(expected, EXPECTED_FLOOR * minutes);
  const deviance = calls > 0 ? 2 * (calls * Math.log(calls / mu) - (calls - mu)) : 2 * mu;
  const root = Math.sqrt(Math.max(0, deviance) / (1 + RELATIVE_NOISE * RELATIVE_NOISE * mu));
  return calls >= mu ? root : -root;
}

// ---------------------------------------------------------------------------------------------------------------
// Baseline

interface Context {
  readonly series: SeriesReader;
  readonly minute: number;
  readonly firstDataMinute: number;
  readonly config: DetectorConfig;
  readonly excluded: readonly (readonly [number, number])[];
  /** First hour (its first minute) the window reaches. */
  readonly minHour: number;
}

const overlaps = (excluded: readonly (readonly [number, number])[], first: number, last: number): boolean =>
  excluded.some(([from, to]) => from <= last && to >= first);

interface HourSample {
  /** Calls per minute. */
  readonly rate: number;
  /** The hour overlaps an earlier insight. */
  readonly excluded: boolean;
}

/** Calls per minute in a complete hour of the window, or undefined when it has no usable data. */
function hourSample(context: Context, hour: number): HourSample | undefined {
  if (hour < context.minHour || hour + HOUR > hourOf(context.minute)) return undefined;
  const covered = hour + HOUR - Math.max(hour, context.firstDataMinute);
  if (covered < HOUR / 2) return undefined;
  return {
    rate: context.series.hourTotal(hour) / covered,
    excluded: overlaps(context.excluded, hour, hour + HOUR - 1),
  };
}

/**
 * The rates of the samples that do not overlap an earlier insight, unless those are fewer than half: an "anomaly"
 * seen at this hour on most days is the pattern (say insights raised while the history was too short to know it).
 */
function withoutInsights(samples: readonly HourSample[]): number[] {
  const clean = samples.filter((sample) => !sample.excluded);
  return (clean.length * 2 >= samples.length ? clean : samples).map((sample) => sample.rate);
}

/** The seasonal rate of an hour from the same hour of previous days (and weeks), or undefined without any. */
function seasonalRate(
  context: Context,
  hour: number,
): { rate: number; mode: 'daily' | 'weekly' } | undefined {
  const samples = (span: number, count: number): HourSample[] => {
    const found: HourSample[] = [];
    for (let back = 1; back <= count; back++) {
      const past = hour - back * span;
      if (past < context.minHour) break;
      const sample = hourSample(context, past);
      if (sample) found.push(sample);
    }
    return found;
  };
  const daily = withoutInsights(samples(DAY, Math.floor(context.config.baselineMinutes / DAY)));
  if (daily.length === 0) return undefined;
  const weekly = withoutInsights(samples(WEEK, Math.floor(context.config.baselineMinutes / WEEK)));
  if (weekly.length >= 2) return { rate: median([...weekly, median(daily)]), mode: 'weekly' };
  return { rate: median(daily), mode: 'daily' };
}

/**
 * Recent traffic over what the shape expected of it: the median ratio over the last LEVEL_HOURS hours that do not
 * overlap an insight (the last hours whatever they overlap, when fewer than 2 of those are within a day).
 */
function levelFactor(context: Context, hour: number): number {
  const clean: number[] = [];
  const any: number[] = [];
  for (let back = 1; back <= LEVEL_LOOKBACK_HOURS && clean.length < LEVEL_HOURS; back++) {
    const past = hour - back * HOUR;
    if (past < context.minHour) break;
    const actual = hourSample(context, past);
    const shape = actual && seasonalRate(context, past);
    if (!actual || !shape) continue;
    const ratio = (actual.rate * HOUR + LEVEL_PRIOR_CALLS) / (shape.rate * HOUR + LEVEL_PRIOR_CALLS);
    if (!actual.excluded) clean.push(ratio);
    if (any.length < LEVEL_HOURS) any.push(ratio);
  }
  const ratios = clean.length >= 2 ? clean : any;
  const level = ratios.length === 0 ? 1 : median(ratios);
  return Math.min(LEVEL_RANGE[1], Math.max(LEVEL_RANGE[0], level));
}

function hourBaseline(context: Context): HourBaseline {
  const hour = hourOf(context.minute);
  const { baselineMinutes } = context.config;
  const current = seasonalRate(context, hour);
  if (current) {
    return {
      hour,
      mode: current.mode,
      shape: [
        seasonalRate(context, hour - HOUR)?.rate ?? current.rate,
        current.rate,
        seasonalRate(context, hour + HOUR)?.rate ?? current.rate,
      ],
      level: levelFactor(context, hour),
      baselineMinutes,
    };
  }
  const recent: HourSample[] = [];
  for (let back = 1; back <= LEVEL_LOOKBACK_HOURS; back++) {
    const sample = hourSample(context, hour - back * HOUR);
    if (sample) recent.push(sample);
  }
  if (recent.length >= RECENT_MIN_HOURS) {
    const rate = quantile(withoutInsights(recent), LIMITED_QUANTILE);
    return { hour, mode: 'recent', shape: [rate, rate, rate], level: 1, baselineMinutes };
  }
  return { hour, mode: 'minutes', shape: [0, 0, 0], level: 1, baselineMinutes };
}

/** A flat expectation from the minutes just before the start window, or undefined with too few of them. */
function minutesRate(context: Context): number | undefined {
  const from = Math.max(
    context.firstDataMinute,
    context.minute - context.config.baselineMinutes,
    context.minute - MINUTES_LOOKBACK,
  );
  const values: number[] = [];
  for (let minute = from; minute <= context.minute - MINUTES_GAP; minute++) {
    if (!overlaps(context.excluded, minute, minute)) values.push(context.series.count(minute));
  }
  return values.length >= MINUTES_MIN ? quantile(values, LIMITED_QUANTILE) : undefined;
}

/** The hour's shape at a minute of this hour or the previous one: the neighbouring hours' trend, never below the hour's own rate. */
function shapeAt(baseline: HourBaseline, minute: number): number {
  const [previous, current, next] = baseline.shape;
  const offset = minute - baseline.hour + 0.5;
  const own = offset < 0 ? previous : offset < HOUR ? current : next;
  let trend: number;
  if (offset < -HOUR / 2) trend = previous;
  else if (offset < HOUR / 2) trend = previous + ((current - previous) * (offset + HOUR / 2)) / HOUR;
  else if (offset < (3 * HOUR) / 2) trend = current + ((next - current) * (offset - HOUR / 2)) / HOUR;
  else trend = next;
  return Math.max(own, trend);
}

/**
 * Average calls per minute over the window before `startMinute` (CloudTrail's baseline statistic), from the
 * complete hours before the start's hour.
 */
function windowAverage(context: Context, startMinute: number, historyMinutes: number): number {
  const firstHour = Math.max(context.minHour, hourOf(startMinute - historyMinutes));
  let calls = 0;
  let minutes = 0;
  for (let hour = firstHour; hour + HOUR <= hourOf(startMinute); hour += HOUR) {
    const covered = hour + HOUR - Math.max(hour, context.firstDataMinute);
    if (covered <= 0) continue;
    calls += context.series.hourTotal(hour);
    minutes += Math.min(HOUR, covered);
  }
  return minutes === 0 ? 0 : calls / minutes;
}

// ---------------------------------------------------------------------------------------------------------------
// The step

const EMPTY_STATE: KeyState = { version: 1, lastMinute: Number.NEGATIVE_INFINITY, excluded: [], bursts: [] };

/** Evaluates one complete minute for one key. `firstDataMinute` is the first minute OpenTrail has counters for this key (history may be shorter than the window). */
export function step(
  series: SeriesReader,
  minute: number,
  state: KeyState | undefined,
  firstDataMinute: number,
  config: DetectorConfig,
): Verdict {
  const previous = state ?? EMPTY_STATE;
  const historyMinutes = Math.max(0, Math.min(config.baselineMinutes, minute - firstDataMinute));
  if (minute <= previous.lastMinute) return { action: 'none', state: previous, historyMinutes };

  const windowStart = minute - config.baselineMinutes;
  const excluded = previous.excluded.filter(([, last]) => last >= windowStart - DAY).slice(-MAX_EXCLUDED);
  const bursts = previous.bursts.filter((first) => first >= windowStart - DAY).slice(-MAX_BURSTS);
  const context: Context = {
    series,
    minute,
    firstDataMinute,
    config,
    excluded,
    minHour: hourOf(Math.max(firstDataMinute, windowStart)),
  };
  const baseline =
    previous.baseline?.hour === hourOf(minute) && previous.baseline.baselineMinutes === config.baselineMinutes
      ? previous.baseline
      : hourBaseline(context);
  const { open } = previous;
  const seasonal = baseline.mode === 'daily' || baseline.mode === 'weekly';

  // Expectation of a minute: frozen while an insight is open.
  let flat: number | undefined;
  if (open) flat = open.flat;
  else if (baseline.mode === 'recent') flat = baseline.shape[1];
  else if (baseline.mode === 'minutes') flat = minutesRate(context);
  const level = open ? open.level : seasonal ? (previous.level ?? baseline.level) : 1;
  const expectedAt = (at: number): number => {
    if (flat !== undefined) return flat;
    return baseline.mode === 'minutes' ? 0 : shapeAt(baseline, at) * level;
  };
  const scoreAt = (at: number): number => {
    if (at < firstDataMinute) return Number.NEGATIVE_INFINITY;
    const calls = series.count(at);
    return calls >= config.minVolume ? anomalyScore(calls, expectedAt(at)) : Number.NEGATIVE_INFINITY;
  };
  const anomalous = (at: number): boolean => scoreAt(at) >= config.sensitivity * MINUTE_FRACTION;
  const calls = series.count(minute);
  const { level: _level, ...withoutLevel } = previous;
  const base: KeyState = { ...withoutLevel, version: 1, lastMinute: minute, baseline, excluded, bursts };

  if (open) {
    const verdict = continueInsight(
      base,
      open,
      calls,
      expectedAt(minute),
      scoreAt(minute) >= Math.min(config.sensitivity * MINUTE_FRACTION, CONTINUE_SCORE),
      historyMinutes,
    );
    // The level before the insight carries on after it, unless the insight's level became the new normal.
    const newNormal = minute - open.startMinute + 1 >= MAX_INSIGHT_MINUTES;
    const keepLevel = previous.level !== undefined && !newNormal;
    return keepLevel ? { ...verdict, state: { ...verdict.state, level: previous.level } } : verdict;
  }

  const canEvaluate = baseline.mode !== 'minutes' || flat !== undefined;
  const hot = canEvaluate && anomalous(minute);
  // The level follows the traffic minute by minute (at most a factor 2^(1/30) a minute), not during a recurring burst.
  const tracked: KeyState =
    seasonal && !previous.recurring
      ? { ...base, level: trackLevel(level, calls, shapeAt(baseline, minute), baseline.level) }
      : seasonal
        ? { ...base, level }
        : base;
  if (previous.recurring) {
    const calmMinutes = hot ? 0 : previous.recurring.calmMinutes + 1;
    const state =
      calmMinutes >= END_CALM_MINUTES ? stripRecurring(tracked) : { ...tracked, recurring: { calmMinutes } };
    return { action: 'none', state, historyMinutes };
  }
  if (!hot || !anomalous(minute - 1)) return { action: 'none', state: tracked, historyMinutes };

  // A burst: anomalous minutes in a row. Its first minute is remembered, to recognise the bursts that come back at
  // the same time every day (a batch job): those are the key's pattern, not insights.
  let startMinute = minute - 1;
  while (startMinute - 1 > minute - Math.max(...START_WINDOWS) && anomalous(startMinute - 1)) startMinute--;
  const lastBurst = bursts[bursts.length - 1];
  if (lastBurst === undefined || startMinute - lastBurst > BURST_GAP) {
    const withBurst: KeyState = {
      ...tracked,
      ...(seasonal ? { level } : {}),
      bursts: [...bursts, startMinute],
    };
    if (recurringDays(bursts, startMinute, config.baselineMinutes) >= RECURRING_DAYS) {
      return { action: 'none', state: { ...withBurst, recurring: { calmMinutes: 0 } }, historyMinutes };
    }
    return openIfHeld(withBurst);
  }
  return openIfHeld(tracked);

  /** Starts an insight when the burst has held: every minute of a start window anomalous, and the lowest ratio over the window's expectation significant. */
  function openIfHeld(burstState: KeyState): Verdict {
    const held = START_WINDOWS.some((length) => {
      let expected = 0;
      let lowestRatio = Number.POSITIVE_INFINITY;
      for (let at = minute - length + 1; at <= minute; at++) {
        if (!anomalous(at)) return false;
        const mu = Math.max(expectedAt(at), EXPECTED_FLOOR);
        expected += mu;
        lowestRatio = Math.min(lowestRatio, series.count(at) / mu);
      }
      return anomalyScore(lowestRatio * expected, expected, length) >= config.sensitivity;
    });
    if (!held) return { action: 'none', state: burstState, historyMinutes };
    return startInsight(burstState);
  }

  function startInsight(burstState: KeyState): Verdict {
    let insightCalls = 0;
    let expected = 0;
    for (let at = startMinute; at <= minute; at++) {
      insightCalls += series.count(at);
      expected += expectedAt(at);
    }
    const duration = minute - startMinute + 1;
    const baselineAverage = windowAverage(context, startMinute, historyMinutes);
    const opened: OpenInsight = {
      startMinute,
      lastAnomalousMinute: minute,
      level,
      ...(flat === undefined ? {} : { flat }),
      calls: insightCalls,
      expected,
      tailCalls: 0,
      tailExpected: 0,
      calmMinutes: 0,
      baselineAverage,
      baselineDurationMinutes: historyMinutes,
    };
    return {
      action: 'start',
      state: { ...burstState, ...(seasonal ? { level } : {}), open: opened },
      statistics: {
        baselineAverage,
        insightAverage: insightCalls / duration,
        baselineDurationMinutes: historyMinutes,
        insightDurationMinutes: duration,
      },
      historyMinutes,
    };
  }
}

/**
 * One minute's move of the level towards what the minute showed: the log-ratio clipped to +-ln 2, times LEVEL_RATE,
 * kept within a factor LEVEL_SPREAD of the hour's level factor (`anchor`), so hours whose shape is off (a batch job
 * inflating an hour's total) cannot walk it away.
 */
function trackLevel(level: number, calls: number, shape: number, anchor: number): number {
  const ratio = (calls + LEVEL_PRIOR_MINUTE) / (shape * level + LEVEL_PRIOR_MINUTE);
  const move = Math.max(-Math.LN2, Math.min(Math.LN2, Math.log(ratio)));
  const moved = level * Math.exp(LEVEL_RATE * move);
  return Math.min(anchor * LEVEL_SPREAD, Math.max(anchor / LEVEL_SPREAD, moved));
}

function stripRecurring(state: KeyState): KeyState {
  if (state.recurring === undefined) return state;
  const { recurring: _recurring, ...rest } = state;
  return rest;
}

/** Earlier days (in the window) with a burst at this time of day. */
function recurringDays(bursts: readonly number[], startMinute: number, baselineMinutes: number): number {
  let days = 0;
  for (let day = 1; day <= Math.floor(baselineMinutes / DAY); day++) {
    const then = startMinute - day * DAY;
    if (bursts.some((first) => Math.abs(first - then) <= RECURRING_TOLERANCE)) days++;
  }
  return days;
}

function continueInsight(
  base: KeyState,
  open: OpenInsight,
  calls: number,
  expected: number,
  anomalous: boolean,
  historyMinutes: number,
): Verdict {
  const { open: _open, ...closedBase } = base;
  const minute = base.lastMinute;
  const next: OpenInsight = anomalous
    ? {
        ...open,
        lastAnomalousMinute: minute,
        calls: open.calls + open.tailCalls + calls,
        expected: open.expected + open.tailExpected + expected,
        tailCalls: 0,
        tailExpected: 0,
        calmMinutes: 0,
      }
    : {
        ...open,
        tailCalls: open.tailCalls + calls,
        tailExpected: open.tailExpected + expected,
        calmMinutes: open.calmMinutes + 1,
      };
  const tooLong = minute - open.startMinute + 1 >= MAX_INSIGHT_MINUTES;
  if (next.calmMinutes < END_CALM_MINUTES && !tooLong) {
    return { action: 'none', state: { ...base, open: next }, historyMinutes };
  }
  const duration = next.lastAnomalousMinute - next.startMinute + 1;
  // An insight that ended because its level lasted is the new normal: it stays in later baselines.
  const excluded = tooLong
    ? closedBase.excluded
    : [
        ...closedBase.excluded,
        [next.startMinute - EXCLUDE_BEFORE_START, next.lastAnomalousMinute] as const,
      ].slice(-MAX_EXCLUDED);
  return {
    action: 'end',
    state: { ...closedBase, excluded },
    statistics: {
      baselineAverage: next.baselineAverage,
      insightAverage: next.calls / duration,
      baselineDurationMinutes: next.baselineDurationMinutes,
      insightDurationMinutes: duration,
    },
    historyMinutes,
  };
}
