import {
  gammaFactor,
  integer,
  logUniform,
  normal,
  pick,
  poisson,
  type Random,
  seededRandom,
  subSeed,
  uniform,
} from '../../test/fixtures/random.js';

/**
 * Labelled synthetic traffic for the insights benchmark: per-minute counts of call-rate and error-rate keys over
 * several weeks, with labels saying which minutes are anomalies. What it models and how it labels: docs/insights.md
 * ("The benchmark's synthetic traffic").
 */

export const MINUTES_PER_DAY = 1440;
export const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;
/** Monday 2026-01-05 00:00 UTC, in epoch minutes: the traffic starts on a Monday at midnight. */
export const ORIGIN_MINUTE = Date.UTC(2026, 0, 5) / 60_000;
/** Calls per minute an anomaly brings at least (labelling rule above). */
export const MIN_ANOMALY_RATE = 12;

export type KeyKind = 'call-rate' | 'error-rate';
export type DailyProfile = 'office' | 'evening' | 'flat';

export interface DailyJob {
  readonly minuteOfDay: number;
  readonly durationMinutes: number;
  /** Rate during the job over the key's mean rate. */
  readonly factor: number;
  readonly weekdaysOnly: boolean;
}

export interface KeySpec {
  readonly id: string;
  readonly kind: KeyKind;
  readonly eventSource: string;
  readonly eventName: string;
  readonly errorCode?: string;
  /** Mean calls per minute on a weekday at the start. */
  readonly meanRate: number;
  readonly profile: DailyProfile;
  /** The night floor as a share of the daily curve's peak. */
  readonly nightShare: number;
  readonly peakHourUtc: number;
  /** Exponent of the daily curve: higher is a narrower peak. */
  readonly peakSharpness: number;
  /** What weekends multiply the daytime part by. */
  readonly weekendFactor: number;
  /** Growth per week (-0.05 is a 5% weekly decline). */
  readonly weeklyGrowth: number;
  /** Coefficient of variation of the per-minute rate factor (gamma). */
  readonly minuteNoise: number;
  /** Standard deviation of the log of the per-day factor. */
  readonly dayNoise: number;
  readonly levelShift?: { readonly minute: number; readonly factor: number };
  readonly dailyJob?: DailyJob;
}

export interface AnomalyLabel {
  readonly keyId: string;
  readonly kind: 'write-burst' | 'error-spike';
  /** First anomalous minute (epoch minutes). */
  readonly startMinute: number;
  /** First minute after the anomaly. */
  readonly endMinute: number;
  readonly magnitude: number;
  /** The key's expected calls per minute at the first minute, without the anomaly. */
  readonly baselineRate: number;
}

export interface BenignLabel {
  readonly keyId: string;
  readonly kind: 'level-shift' | 'micro-burst' | 'daily-job';
  readonly startMinute: number;
  /** First minute after it (a level shift lasts to the end of the traffic). */
  readonly endMinute: number;
  readonly factor: number;
}

export interface SyntheticKey {
  readonly spec: KeySpec;
  /** Calls per minute from `originMinute`. */
  readonly counts: Uint32Array;
}

export interface TrafficOptions {
  readonly seed: number;
  /** Weeks of traffic in all. */
  readonly weeks: number;
  /** Leading weeks that are history only (the benchmark scores the rest). */
  readonly warmupWeeks: number;
  readonly callRateKeys: number;
  readonly errorRateKeys: number;
}

export const DEFAULT_TRAFFIC_OPTIONS: Omit<TrafficOptions, 'seed'> = {
  weeks: 5,
  warmupWeeks: 2,
  callRateKeys: 32,
  errorRateKeys: 16,
};

export interface SyntheticTraffic {
  readonly seed: number;
  readonly originMinute: number;
  readonly minutes: number;
  /** First minute the benchmark scores. */
  readonly evaluationStartMinute: number;
  readonly keys: readonly SyntheticKey[];
  readonly anomalies: readonly AnomalyLabel[];
  readonly benign: readonly BenignLabel[];
}

// ---------------------------------------------------------------------------------------------------------------
// Keys

const SOURCES = ['orders.example.com', 'billing.example.com', 'accounts.example.com', 'storage.example.com'];
const WRITE_NAMES = ['Create', 'Update', 'Delete', 'Put', 'Attach', 'Detach', 'Start', 'Stop'];
const NOUNS = ['Order', 'Invoice', 'User', 'Object', 'Policy', 'Key', 'Job', 'Webhook'];
const ERROR_CODES = ['ThrottlingException', 'AccessDenied', 'ValidationException', 'InternalError'];

function keySpec(random: Random, index: number, kind: KeyKind, minutes: number): KeySpec {
  const profileRoll = random();
  const profile: DailyProfile =
    kind === 'error-rate'
      ? profileRoll < 0.75
        ? 'office'
        : 'flat'
      : profileRoll < 0.5
        ? 'office'
        : profileRoll < 0.75
          ? 'evening'
          : 'flat';
  const meanRate = kind === 'call-rate' ? logUniform(random, 2, 3000) : logUniform(random, 0.3, 30);
  const shape =
    profile === 'office'
      ? {
          nightShare: uniform(random, 0.07, 0.3),
          peakHourUtc: uniform(random, 11, 17),
          peakSharpness: uniform(random, 1, 3),
          weekendFactor: uniform(random, 0.15, 0.6),
        }
      : profile === 'evening'
        ? {
            nightShare: uniform(random, 0.15, 0.4),
            peakHourUtc: uniform(random, 18, 22),
            peakSharpness: uniform(random, 1, 2.5),
            weekendFactor: uniform(random, 1, 1.4),
          }
        : {
            nightShare: uniform(random, 0.8, 0.95),
            peakHourUtc: uniform(random, 0, 24),
            peakSharpness: 1,
            weekendFactor: uniform(random, 0.9, 1),
          };
  const shiftFactor = random() < 0.5 ? uniform(random, 0.5, 0.85) : uniform(random, 1.15, 2);
  const levelShift =
    random() < 0.4
      ? {
          minute: Math.floor(uniform(random, MINUTES_PER_DAY, minutes - MINUTES_PER_DAY)),
          factor: shiftFactor,
        }
      : undefined;
  const dailyJob =
    kind === 'call-rate' && index % 8 === 3
      ? {
          minuteOfDay: integer(random, 0, MINUTES_PER_DAY - 30),
          durationMinutes: integer(random, 5, 20),
          factor: uniform(random, 5, 20),
          weekdaysOnly: random() < 0.5,
        }
      : undefined;
  const noun = pick(random, NOUNS);
  return {
    id: `${kind === 'call-rate' ? 'c' : 'e'}${String(index).padStart(2, '0')}`,
    kind,
    eventSource: pick(random, SOURCES),
    eventName: `${pick(random, WRITE_NAMES)}${noun}`,
    ...(kind === 'error-rate' ? { errorCode: pick(random, ERROR_CODES) } : {}),
    meanRate,
    profile,
    ...shape,
    weeklyGrowth: uniform(random, -0.05, 0.15),
    minuteNoise: uniform(random, 0.05, 0.35),
    dayNoise: uniform(random, 0.03, 0.12),
    ...(levelShift ? { levelShift } : {}),
    ...(dailyJob ? { dailyJob } : {}),
  };
}

/** Mean of the daily curve's bump over a day, to normalise the curve to a weekday mean of 1. */
function bumpMean(spec: KeySpec): number {
  let sum = 0;
  for (let minute = 0; minute < MINUTES_PER_DAY; minute++) sum += bump(spec, minute);
  return sum / MINUTES_PER_DAY;
}

function bump(spec: KeySpec, minuteOfDay: number): number {
  const hours = minuteOfDay / 60 - spec.peakHourUtc;
  return ((1 + Math.cos((2 * Math.PI * hours) / 24)) / 2) ** spec.peakSharpness;
}

const isWeekend = (offset: number): boolean => Math.floor(offset / MINUTES_PER_DAY) % 7 >= 5;

/** A key's rate model without noise, anomalies or batch jobs: season x growth x level shift. */
export function seasonalRate(spec: KeySpec, offset: number, normaliser = bumpMean(spec)): number {
  const minuteOfDay = offset % MINUTES_PER_DAY;
  const day =
    spec.nightShare +
    (1 - spec.nightShare) * bump(spec, minuteOfDay) * (isWeekend(offset) ? spec.weekendFactor : 1);
  const season = day / (spec.nightShare + (1 - spec.nightShare) * normaliser);
  const growth = (1 + spec.weeklyGrowth) ** (offset / MINUTES_PER_WEEK);
  const shift = spec.levelShift && offset >= spec.levelShift.minute ? spec.levelShift.factor : 1;
  return spec.meanRate * season * growth * shift;
}

function jobWindows(spec: KeySpec, minutes: number, random: Random): Array<[number, number]> {
  const job = spec.dailyJob;
  if (!job) return [];
  const windows: Array<[number, number]> = [];
  for (let day = 0; day * MINUTES_PER_DAY < minutes; day++) {
    const start = day * MINUTES_PER_DAY + job.minuteOfDay + integer(random, 0, 1);
    if (job.weekdaysOnly && isWeekend(start)) continue;
    windows.push([start, Math.min(minutes, start + job.durationMinutes)]);
  }
  return windows;
}

function placeAnomalies(
  spec: KeySpec,
  minutes: number,
  random: Random,
  jobs: ReadonlyArray<readonly [number, number]>,
  normaliser: number,
): Array<Omit<AnomalyLabel, 'startMinute' | 'endMinute'> & { start: number; end: number }> {
  const placed: Array<Omit<AnomalyLabel, 'startMinute' | 'endMinute'> & { start: number; end: number }> = [];
  const wanted = integer(random, 1, 4);
  for (let attempt = 0; attempt < 200 && placed.length < wanted; attempt++) {
    const duration = random() < 0.5 ? integer(random, 3, 10) : integer(random, 30, 180);
    const start = integer(random, MINUTES_PER_DAY, minutes - duration - 60);
    const end = start + duration;
    const clear = (from: number, to: number, margin: number) => end + margin <= from || start - margin >= to;
    if (!placed.every((other) => clear(other.start, other.end, 12 * 60))) continue;
    if (!jobs.every(([from, to]) => clear(from, to, 60))) continue;
    if (spec.levelShift && !clear(spec.levelShift.minute, spec.levelShift.minute, 120)) continue;
    const baselineRate = seasonalRate(spec, start, normaliser);
    let magnitude = logUniform(random, 3, 50);
    if (baselineRate * magnitude < MIN_ANOMALY_RATE) {
      if (baselineRate * 50 < MIN_ANOMALY_RATE) continue;
      magnitude = MIN_ANOMALY_RATE / baselineRate;
    }
    placed.push({
      keyId: spec.id,
      kind: spec.kind === 'call-rate' ? 'write-burst' : 'error-spike',
      start,
      end,
      magnitude,
      baselineRate,
    });
  }
  return placed.sort((a, b) => a.start - b.start);
}

/** Generates the traffic; the same options always give the same counts and labels. */
export function generateTraffic(
  options: { readonly seed: number } & Partial<TrafficOptions>,
): SyntheticTraffic {
  const { seed, weeks, warmupWeeks, callRateKeys, errorRateKeys } = {
    ...DEFAULT_TRAFFIC_OPTIONS,
    ...options,
  };
  if (warmupWeeks >= weeks) throw new Error('the warm-up must leave weeks to evaluate');
  const minutes = weeks * MINUTES_PER_WEEK;
  const keys: SyntheticKey[] = [];
  const anomalies: AnomalyLabel[] = [];
  const benign: BenignLabel[] = [];
  const kinds: KeyKind[] = [
    ...Array.from({ length: callRateKeys }, (): KeyKind => 'call-rate'),
    ...Array.from({ length: errorRateKeys }, (): KeyKind => 'error-rate'),
  ];
  kinds.forEach((kind, index) => {
    const random = seededRandom(subSeed(seed, index, 1));
    const spec = keySpec(random, index, kind, minutes);
    const normaliser = bumpMean(spec);
    const jobs = jobWindows(spec, minutes, random);
    const placed = placeAnomalies(spec, minutes, random, jobs, normaliser);
    const multiplier = new Float64Array(minutes).fill(1);
    for (const [from, to] of jobs) {
      for (let offset = from; offset < to; offset++) {
        multiplier[offset] =
          ((spec.dailyJob?.factor ?? 1) * spec.meanRate) / seasonalRate(spec, offset, normaliser);
      }
      benign.push({
        keyId: spec.id,
        kind: 'daily-job',
        startMinute: ORIGIN_MINUTE + from,
        endMinute: ORIGIN_MINUTE + to,
        factor: spec.dailyJob?.factor ?? 1,
      });
    }
    const microBursts = integer(random, 1, 3) * weeks;
    for (let i = 0; i < microBursts; i++) {
      const offset = integer(random, 0, minutes - 1);
      const factor = uniform(random, 3, 8);
      multiplier[offset] = (multiplier[offset] ?? 1) * factor;
      benign.push({
        keyId: spec.id,
        kind: 'micro-burst',
        startMinute: ORIGIN_MINUTE + offset,
        endMinute: ORIGIN_MINUTE + offset + 1,
        factor,
      });
    }
    for (const anomaly of placed) {
      for (let offset = anomaly.start; offset < anomaly.end; offset++) multiplier[offset] = anomaly.magnitude;
      const { start, end, ...label } = anomaly;
      anomalies.push({ ...label, startMinute: ORIGIN_MINUTE + start, endMinute: ORIGIN_MINUTE + end });
    }
    if (spec.levelShift) {
      benign.push({
        keyId: spec.id,
        kind: 'level-shift',
        startMinute: ORIGIN_MINUTE + spec.levelShift.minute,
        endMinute: ORIGIN_MINUTE + minutes,
        factor: spec.levelShift.factor,
      });
    }

    const noise = seededRandom(subSeed(seed, index, 2));
    const shape = 1 / (spec.minuteNoise * spec.minuteNoise);
    const counts = new Uint32Array(minutes);
    let dayFactor = 1;
    for (let offset = 0; offset < minutes; offset++) {
      if (offset % MINUTES_PER_DAY === 0) dayFactor = Math.exp(spec.dayNoise * normal(noise));
      const rate = seasonalRate(spec, offset, normaliser) * dayFactor * (multiplier[offset] ?? 1);
      counts[offset] = poisson(noise, rate * gammaFactor(noise, shape));
    }
    keys.push({ spec, counts });
  });
  return {
    seed,
    originMinute: ORIGIN_MINUTE,
    minutes,
    evaluationStartMinute: ORIGIN_MINUTE + warmupWeeks * MINUTES_PER_WEEK,
    keys,
    anomalies: anomalies.sort((a, b) => a.startMinute - b.startMinute || a.keyId.localeCompare(b.keyId)),
    benign,
  };
}

/** Totals per hour (index = hour from the origin), so a reader never sums minutes twice. */
export function hourlyTotals(counts: Uint32Array): Float64Array {
  const hours = new Float64Array(Math.ceil(counts.length / 60));
  for (let offset = 0; offset < counts.length; offset++) {
    const hour = Math.floor(offset / 60);
    hours[hour] = (hours[hour] ?? 0) + (counts[offset] ?? 0);
  }
  return hours;
}
