import { performance } from 'node:perf_hooks';
import {
  DEFAULT_DETECTOR_CONFIG,
  type DetectorConfig,
  type KeyState,
  type SeriesReader,
  step,
} from '../lambda/core/insights/detector.js';
import { median, progress, round } from './support/measure.js';
import { type Outcome, type Row, type Target, targetRow } from './support/report.js';
import {
  type AnomalyLabel,
  type BenignLabel,
  generateTraffic,
  hourlyTotals,
  MIN_ANOMALY_RATE,
  MINUTES_PER_DAY,
  MINUTES_PER_WEEK,
  type SyntheticKey,
  type SyntheticTraffic,
  type TrafficOptions,
} from './support/traffic-generator.js';

/**
 * `npm run bench -- insights [--seed N]`: the detector's quality on labelled synthetic traffic
 * (bench/support/traffic-generator.ts). The real `step` runs minute by minute over every key from the first minute
 * of traffic, carrying its state as the scheduled function does; the first weeks are history, the rest is scored:
 * anomalies detected and missed, detection delay, false Starts per week, and how Ends line up with the labelled ends.
 */

export const INSIGHTS_TARGETS = {
  missedAtLeast5x: { max: 0 },
  medianDelayMinutes: { max: 3 },
  falseInsightsPerWeek: { max: 1 },
} as const satisfies Record<string, Target>;

export const DEFAULT_INSIGHTS_SEED = 1;

/** A Start up to this many minutes after a labelled anomaly's end still belongs to it. */
const MATCH_AFTER_END = 2;
/** The reads the scheduled function can serve: minutes of the last hour, complete hours of the window. */
const MINUTES_READABLE = 60;

interface Insight {
  readonly startVerdictMinute: number;
  /** The insight's own first minute (the Start's verdict minute minus its duration so far). */
  readonly firstMinute: number;
  endVerdictMinute?: number;
  /** One past the last anomalous minute, as the End's statistics say. */
  statedEndMinute?: number;
}

/**
 * The series as the scheduled function serves it (lambda/core/insights/run.ts): minute counters of the last hour
 * and hourly rollups of complete hours inside the window. Any other read is a contract break and stops the run.
 */
class GuardedSeries implements SeriesReader {
  minute = 0;
  constructor(
    private readonly key: SyntheticKey,
    private readonly hours: Float64Array,
    private readonly origin: number,
    private readonly baselineMinutes: number,
  ) {}

  count(minute: number): number {
    if (minute > this.minute || minute < this.minute - MINUTES_READABLE) {
      throw new Error(`detector read minute ${minute} while evaluating ${this.minute}`);
    }
    return this.key.counts[minute - this.origin] ?? 0;
  }

  hourTotal(hourStartMinute: number): number {
    const windowHour = this.minute - this.baselineMinutes - ((this.minute - this.baselineMinutes) % 60);
    if (
      hourStartMinute % 60 !== 0 ||
      hourStartMinute + 60 > this.minute + 1 ||
      hourStartMinute < windowHour
    ) {
      throw new Error(`detector read hour ${hourStartMinute} while evaluating ${this.minute}`);
    }
    return this.hours[(hourStartMinute - this.origin) / 60] ?? 0;
  }
}

function detect(
  traffic: SyntheticTraffic,
  key: SyntheticKey,
  config: DetectorConfig,
): { insights: Insight[]; steps: number } {
  const series = new GuardedSeries(
    key,
    hourlyTotals(key.counts),
    traffic.originMinute,
    config.baselineMinutes,
  );
  const insights: Insight[] = [];
  let state: KeyState | undefined;
  let steps = 0;
  const last = traffic.originMinute + traffic.minutes - 1;
  for (let minute = traffic.originMinute; minute <= last; minute++) {
    series.minute = minute;
    const verdict = step(series, minute, state, traffic.originMinute, config);
    state = verdict.state;
    steps++;
    if (verdict.action === 'start') {
      const duration = verdict.statistics?.insightDurationMinutes ?? 1;
      insights.push({ startVerdictMinute: minute, firstMinute: minute - duration + 1 });
    } else if (verdict.action === 'end') {
      const open = insights[insights.length - 1];
      if (!open || open.endVerdictMinute !== undefined)
        throw new Error(`an End without a Start at ${minute}`);
      open.endVerdictMinute = minute;
      open.statedEndMinute = open.firstMinute + (verdict.statistics?.insightDurationMinutes ?? 0);
    }
  }
  return { insights, steps };
}

type FalseCause = 'level-shift' | 'daily-job' | 'micro-burst' | 'other';

function falseCause(benign: readonly BenignLabel[], insight: Insight): FalseCause {
  const at = insight.firstMinute;
  const near = (label: BenignLabel, before: number, after: number) =>
    label.startMinute <= at + after && label.endMinute + before > at;
  if (benign.some((label) => label.kind === 'daily-job' && near(label, 5, 5))) return 'daily-job';
  if (benign.some((label) => label.kind === 'micro-burst' && near(label, 3, 1))) return 'micro-burst';
  if (
    benign.some(
      (label) =>
        label.kind === 'level-shift' && label.startMinute <= at && at < label.startMinute + MINUTES_PER_DAY,
    )
  ) {
    return 'level-shift';
  }
  return 'other';
}

interface Detection {
  readonly label: AnomalyLabel;
  readonly delay?: number;
  readonly endOffset?: number;
  readonly statedEndOffset?: number;
}

interface Scored {
  readonly detections: Detection[];
  readonly falseStarts: Array<{ keyId: string; minute: number; cause: FalseCause }>;
  readonly duplicates: number;
}

function score(traffic: SyntheticTraffic, keyId: string, insights: readonly Insight[]): Scored {
  const labels = traffic.anomalies.filter((label) => label.keyId === keyId);
  const benign = traffic.benign.filter((label) => label.keyId === keyId);
  const matched = new Map<AnomalyLabel, Insight>();
  const falseStarts: Scored['falseStarts'] = [];
  let duplicates = 0;
  for (const insight of insights) {
    const at = insight.startVerdictMinute;
    const label = labels.find((one) => one.startMinute <= at && at < one.endMinute + MATCH_AFTER_END);
    if (label && label.startMinute < traffic.evaluationStartMinute) continue;
    if (at < traffic.evaluationStartMinute) continue;
    if (!label) {
      falseStarts.push({ keyId, minute: at, cause: falseCause(benign, insight) });
    } else if (matched.has(label)) {
      duplicates++;
      falseStarts.push({ keyId, minute: at, cause: 'other' });
    } else {
      matched.set(label, insight);
    }
  }
  const detections = labels
    .filter((label) => label.startMinute >= traffic.evaluationStartMinute)
    .map((label): Detection => {
      const insight = matched.get(label);
      if (!insight) return { label };
      return {
        label,
        delay: insight.startVerdictMinute + 1 - label.startMinute,
        ...(insight.endVerdictMinute === undefined
          ? {}
          : { endOffset: insight.endVerdictMinute + 1 - label.endMinute }),
        ...(insight.statedEndMinute === undefined
          ? {}
          : { statedEndOffset: insight.statedEndMinute - label.endMinute }),
      };
    });
  return { detections, falseStarts, duplicates };
}

const fmt = (value: number | undefined, digits = 1): string =>
  value === undefined ? 'n/a' : String(round(value, digits));

const medianOr = (values: readonly number[]): number | undefined =>
  values.length === 0 ? undefined : median(values);

export interface InsightsBenchmarkOptions {
  readonly seed?: number;
  /** Overrides of the detector's defaults, to explore the tuning (the committed results use the defaults). */
  readonly detector?: Partial<DetectorConfig>;
  /** Overrides of the generator's defaults. */
  readonly traffic?: Partial<TrafficOptions>;
}

export async function runInsightsBenchmark(options: InsightsBenchmarkOptions = {}): Promise<Outcome> {
  const seed = options.seed ?? DEFAULT_INSIGHTS_SEED;
  const config: DetectorConfig = { ...DEFAULT_DETECTOR_CONFIG, ...options.detector };
  progress(`insights: generating traffic, seed ${seed}`);
  const generated = performance.now();
  const traffic = generateTraffic({ ...options.traffic, seed });
  const generationMs = performance.now() - generated;
  progress(
    `insights: ${traffic.keys.length} keys x ${traffic.minutes} minutes in ${round(generationMs / 1000, 1)} s; detecting`,
  );

  const detections: Detection[] = [];
  const falseStarts: Scored['falseStarts'] = [];
  let duplicates = 0;
  let steps = 0;
  const started = performance.now();
  for (const key of traffic.keys) {
    const run = detect(traffic, key, config);
    steps += run.steps;
    const scored = score(traffic, key.spec.id, run.insights);
    detections.push(...scored.detections);
    falseStarts.push(...scored.falseStarts);
    duplicates += scored.duplicates;
  }
  const detectMs = performance.now() - started;

  const evaluatedWeeks =
    (traffic.originMinute + traffic.minutes - traffic.evaluationStartMinute) / MINUTES_PER_WEEK;
  const detected = detections.filter((one) => one.delay !== undefined);
  const missed = detections.filter((one) => one.delay === undefined);
  const atLeast5x = detections.filter((one) => one.label.magnitude >= 5);
  const missedAtLeast5x = missed.filter((one) => one.label.magnitude >= 5);
  const delays = detected.map((one) => one.delay as number);
  const endOffsets = detected.flatMap((one) => (one.endOffset === undefined ? [] : [one.endOffset]));
  const statedEndOffsets = detected.flatMap((one) =>
    one.statedEndOffset === undefined ? [] : [one.statedEndOffset],
  );
  const medianDelay = medianOr(delays) ?? Number.POSITIVE_INFINITY;
  const maxDelay = delays.length === 0 ? Number.POSITIVE_INFINITY : Math.max(...delays);
  const falsePerWeek = falseStarts.length / evaluatedWeeks;
  const bucket = (low: number, high: number) => {
    const inBucket = detections.filter((one) => one.label.magnitude >= low && one.label.magnitude < high);
    return { anomalies: inBucket.length, detected: inBucket.filter((one) => one.delay !== undefined).length };
  };
  const byKind = (kind: AnomalyLabel['kind']) => {
    const ofKind = detections.filter((one) => one.label.kind === kind);
    return { anomalies: ofKind.length, detected: ofKind.filter((one) => one.delay !== undefined).length };
  };
  const byLength = (short: boolean) => {
    const ofLength = detections.filter((one) => one.label.endMinute - one.label.startMinute <= 10 === short);
    return {
      anomalies: ofLength.length,
      detected: ofLength.filter((one) => one.delay !== undefined).length,
      medianDelayMinutes: medianOr(ofLength.flatMap((one) => (one.delay === undefined ? [] : [one.delay]))),
    };
  };
  const causes: Record<FalseCause, number> = { 'level-shift': 0, 'daily-job': 0, 'micro-burst': 0, other: 0 };
  for (const start of falseStarts) causes[start.cause]++;

  const absolute = (values: readonly number[]) => values.map((value) => Math.abs(value));
  const result = {
    seed,
    anomalies: detections.length,
    missed: missed.length,
    missedAtLeast5x: missedAtLeast5x.length,
    medianDelayMinutes: round(medianDelay, 1),
    maxDelayMinutes: maxDelay,
    falseInsightsPerWeek: round(falsePerWeek, 2),
    targets: Object.fromEntries(
      Object.entries(INSIGHTS_TARGETS).map(([name, target]) => {
        const value = {
          missedAtLeast5x: missedAtLeast5x.length,
          medianDelayMinutes: medianDelay,
          falseInsightsPerWeek: falsePerWeek,
        }[name as keyof typeof INSIGHTS_TARGETS];
        return [name, { ...target, status: value <= target.max ? 'PASS' : 'MISS' }];
      }),
    ),
    detail: {
      detectorConfig: config,
      keys: traffic.keys.length,
      callRateKeys: traffic.keys.filter((key) => key.spec.kind === 'call-rate').length,
      errorRateKeys: traffic.keys.filter((key) => key.spec.kind === 'error-rate').length,
      weeks: traffic.minutes / MINUTES_PER_WEEK,
      evaluatedWeeks,
      anomaliesAtLeast5x: atLeast5x.length,
      falseInsights: falseStarts.length,
      falseInsightsPerDay: round(falseStarts.length / (evaluatedWeeks * 7), 3),
      falseInsightCauses: causes,
      duplicateStarts: duplicates,
      endMedianAbsMinutes: medianOr(absolute(endOffsets)),
      endMedianMinutes: medianOr(endOffsets),
      statedEndMedianAbsMinutes: medianOr(absolute(statedEndOffsets)),
      stillOpenAtEndOfTraffic: detected.length - endOffsets.length,
      byMagnitude: {
        '3-5x': bucket(3, 5),
        '5-10x': bucket(5, 10),
        '10x+': bucket(10, Number.POSITIVE_INFINITY),
      },
      byKind: { writeBurst: byKind('write-burst'), errorSpike: byKind('error-spike') },
      byLength: { short: byLength(true), long: byLength(false) },
      missedAnomalies: missed.map((one) => ({
        keyId: one.label.keyId,
        startMinute: one.label.startMinute,
        minutes: one.label.endMinute - one.label.startMinute,
        magnitude: round(one.label.magnitude, 2),
        baselineRate: round(one.label.baselineRate, 2),
      })),
      falseStarts: falseStarts.slice(0, 20),
      detectorMicrosPerKeyMinute: round((detectMs * 1000) / steps, 2),
    },
  };

  const ratio = (part: { anomalies: number; detected: number }) => `${part.detected} / ${part.anomalies}`;
  const rows: Row[] = [
    { metric: `anomalies scored (>= 5x), seed ${seed}`, value: `${detections.length} (${atLeast5x.length})` },
    {
      metric: 'detected: 3-5x / 5-10x / >= 10x',
      value: [
        result.detail.byMagnitude['3-5x'],
        result.detail.byMagnitude['5-10x'],
        result.detail.byMagnitude['10x+'],
      ]
        .map(ratio)
        .join(', '),
    },
    { metric: 'missed (all magnitudes)', value: String(missed.length) },
    targetRow(
      'missed among >= 5x',
      missedAtLeast5x.length,
      String(missedAtLeast5x.length),
      INSIGHTS_TARGETS.missedAtLeast5x,
    ),
    targetRow(
      'detection delay, median (min)',
      medianDelay,
      fmt(medianDelay),
      INSIGHTS_TARGETS.medianDelayMinutes,
    ),
    { metric: 'detection delay, max (min)', value: fmt(maxDelay, 0) },
    targetRow(
      'false Starts per simulated week (all keys)',
      falsePerWeek,
      `${fmt(falsePerWeek, 2)} (${falseStarts.length} in ${evaluatedWeeks} wk)`,
      INSIGHTS_TARGETS.falseInsightsPerWeek,
    ),
    {
      metric: 'End after labelled end: median |diff| (min)',
      value: `${fmt(medianOr(absolute(endOffsets)))} (stated end ${fmt(medianOr(absolute(statedEndOffsets)))})`,
    },
  ];
  const notes = [
    `insights: seed ${seed}: ${traffic.keys.length} keys (${result.detail.callRateKeys} call-rate, ${result.detail.errorRateKeys} error-rate) x ${traffic.minutes / MINUTES_PER_WEEK} weeks of per-minute counts; the first ${(traffic.evaluationStartMinute - traffic.originMinute) / MINUTES_PER_WEEK} weeks are history (anomalies there shape the state but are not scored), the last ${evaluatedWeeks} are scored. Daily and weekly seasonality, gamma-Poisson noise, growth, level shifts of 0.5x-2x, 1-minute micro-bursts and daily batch jobs are benign; anomalies are 3x-50x for 3-10 or 30-180 minutes, each bringing >= ${MIN_ANOMALY_RATE} calls/min (bench/support/traffic-generator.ts).`,
    `insights: detector ${JSON.stringify(config)}; the real step() runs every minute of every key with the reads the scheduled function serves (minutes of the last hour, hourly totals of the window), ${round((detectMs * 1000) / steps, 2)} µs per key-minute.`,
    `insights: delay = minutes of the anomaly complete when its Start is decided (Start at the anomaly's 2nd minute = 2), before the scheduler's own lag. A Start matches the anomaly it falls in (or up to ${MATCH_AFTER_END} minutes after); any other Start, including a second one for the same anomaly (${duplicates}), is false. False Starts by cause: ${Object.entries(
      causes,
    )
      .map(([cause, count]) => `${cause} ${count}`)
      .join(', ')}.`,
    `insights: End = the minute the End is decided, 5 calm minutes after the anomaly (median ${fmt(medianOr(endOffsets))} min after the labelled end); the End's statistics put the insight's own end (start + insightDuration) a median |${fmt(medianOr(absolute(statedEndOffsets)))}| min from the labelled end.`,
    ...(missed.length === 0
      ? []
      : [
          `insights: missed: ${missed
            .map(
              (one) =>
                `${one.label.keyId} ${round(one.label.magnitude, 1)}x of ${round(one.label.baselineRate, 1)}/min for ${one.label.endMinute - one.label.startMinute} min`,
            )
            .join('; ')}.`,
        ]),
  ];
  return { name: 'insights', result, rows, notes };
}
