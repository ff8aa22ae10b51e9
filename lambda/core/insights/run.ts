import { mapWithConcurrency } from '../backoff.js';
import type { EventWriter } from '../ports.js';
import type { CounterKey } from './counters.js';
import {
  DEFAULT_DETECTOR_CONFIG,
  type DetectorConfig,
  type KeyState,
  type SeriesReader,
  step,
} from './detector.js';
import {
  type Attribution,
  type InsightState,
  insightRecord,
  type RecordContext,
  storedInsight,
  topValues,
} from './records.js';

/**
 * One scheduled insights run: for every counter key, evaluate each complete minute since the last run with the
 * detector, and turn its Start/End verdicts into insight events. State is saved with optimistic concurrency
 * before anything is published, and what must be published is saved with it (an outbox), so a retried or
 * concurrent run never publishes an insight twice and a run that stops half-way is finished by the next.
 */
export interface MinuteCounter {
  readonly count: number;
  readonly contributors: Readonly<Record<string, number>>;
}

export interface StoredInsightState {
  readonly detector?: KeyState;
  /** The last minute evaluated. */
  readonly lastMinute: number;
  readonly firstDataMinute: number;
  /** The first minute of the insight in progress, if any. */
  readonly openSince?: number;
  /** Insight records (JSON) saved but not yet written to the trail and the bus. */
  readonly outbox: readonly string[];
}

export interface InsightStorePort {
  listKeys(): Promise<Array<{ keyId: string; key: CounterKey }>>;
  /** The first minute with a counter for the key (history can predate OpenTrail: back-dated events). */
  firstMinute(keyId: string): Promise<number | undefined>;
  readMinutes(keyId: string, fromMinute: number, toMinute: number): Promise<Map<number, MinuteCounter>>;
  readHours(keyId: string, fromHourMinute: number, toHourMinute: number): Promise<Map<number, number>>;
  writeHours(keyId: string, totals: ReadonlyMap<number, number>, expiresAt: number): Promise<void>;
  readState(keyId: string): Promise<{ state: StoredInsightState; version: number } | undefined>;
  /** Saves only if the stored version is still `expectedVersion` (undefined: no state yet). */
  writeState(keyId: string, state: StoredInsightState, expectedVersion: number | undefined): Promise<boolean>;
}

export interface InsightPublisher {
  publish(recordJsons: readonly string[]): Promise<void>;
}

export interface InsightsRunOptions extends Omit<RecordContext, 'nowMs'> {
  readonly nowMs: number;
  readonly detector?: Partial<DetectorConfig>;
  /** Minutes a late event may still arrive in; minutes are evaluated once they are older than this. */
  readonly lateMinutes?: number;
  /** A run evaluates at most this many minutes per key; a trail far behind skips ahead. */
  readonly maxMinutesPerRun?: number;
  /** Told about a key that failed, so the caller can log it; the run goes on with the other keys. */
  readonly onKeyFailure?: (keyId: string, error: unknown) => void;
}

export interface InsightsRunSummary {
  keys: number;
  minutesEvaluated: number;
  started: number;
  ended: number;
  published: number;
  /** Keys another run got to first (concurrent or retried runs). */
  yielded: number;
  /** Keys whose evaluation or delivery failed; their state keeps what is owed, and the next run retries. */
  failed: number;
}

const ATTRIBUTION_BASELINE_MINUTES = 60;
const PARALLEL_KEYS = 4;
const hourOf = (minute: number): number => minute - (minute % 60);

export async function runInsights(
  store: InsightStorePort,
  trail: EventWriter,
  publisher: InsightPublisher,
  options: InsightsRunOptions,
): Promise<InsightsRunSummary> {
  const detector: DetectorConfig = { ...DEFAULT_DETECTOR_CONFIG, ...options.detector };
  const summary: InsightsRunSummary = {
    keys: 0,
    minutesEvaluated: 0,
    started: 0,
    ended: 0,
    published: 0,
    yielded: 0,
    failed: 0,
  };
  const deliver = async (records: readonly string[]): Promise<void> => {
    const stored = records.map((json) => storedInsight(JSON.parse(json), options.retentionDays));
    const results = await trail.writeEvents(stored);
    if (results.some((result) => !result.ok))
      throw new Error('insight events could not be stored in the trail');
    await publisher.publish(records);
    summary.published += records.length;
  };
  const keys = await store.listKeys();
  summary.keys = keys.length;
  await mapWithConcurrency(keys, PARALLEL_KEYS, async ({ keyId, key }) => {
    try {
      await evaluateKey(keyId, key, store, deliver, detector, options, summary);
    } catch (error) {
      summary.failed++;
      options.onKeyFailure?.(keyId, error);
    }
  });
  return summary;
}

async function evaluateKey(
  keyId: string,
  key: CounterKey,
  store: InsightStorePort,
  deliver: (records: readonly string[]) => Promise<void>,
  detector: DetectorConfig,
  options: InsightsRunOptions,
  summary: InsightsRunSummary,
): Promise<void> {
  const loaded = await store.readState(keyId);
  let version = loaded?.version;
  let state = loaded?.state;
  if (state && state.outbox.length > 0) {
    await deliver(state.outbox);
    state = { ...state, outbox: [] };
    if (!(await store.writeState(keyId, state, version))) return void summary.yielded++;
    version = (version ?? 0) + 1;
  }
  const lastComplete = Math.floor(options.nowMs / 60_000) - (options.lateMinutes ?? 2);
  const maxMinutes = options.maxMinutesPerRun ?? 120;
  if (!state) {
    const first = await store.firstMinute(keyId);
    if (first === undefined) return;
    state = {
      lastMinute: Math.max(first, lastComplete - maxMinutes + 1) - 1,
      firstDataMinute: first,
      outbox: [],
    };
  }
  const from = Math.max(state.lastMinute + 1, lastComplete - maxMinutes + 1);
  if (from > lastComplete) return;

  const windowStart = Math.min(from, state.openSince ?? from) - ATTRIBUTION_BASELINE_MINUTES;
  const minutes = await store.readMinutes(keyId, windowStart, lastComplete);
  const hours = await hourTotals(
    store,
    keyId,
    { from, lastComplete, windowStart },
    minutes,
    detector,
    state,
    options.nowMs,
  );
  const series: SeriesReader = {
    count: (minute) => minutes.get(minute)?.count ?? 0,
    hourTotal: (hour) => hours.get(hour) ?? 0,
  };

  const records: string[] = [];
  let detectorState = state.detector;
  let openSince = state.openSince;
  for (let minute = from; minute <= lastComplete; minute++) {
    const verdict = step(series, minute, detectorState, state.firstDataMinute, detector);
    detectorState = verdict.state;
    summary.minutesEvaluated++;
    if (verdict.action === 'none' || !verdict.statistics) continue;
    const startMinute =
      verdict.action === 'start'
        ? minute - Math.max(0, verdict.statistics.insightDurationMinutes - 1)
        : (openSince ?? minute - Math.max(0, verdict.statistics.insightDurationMinutes - 1));
    const insightState: InsightState = verdict.action === 'start' ? 'Start' : 'End';
    const record = insightRecord(
      {
        key,
        keyId,
        startMinute,
        state: insightState,
        minute: insightState === 'Start' ? startMinute : minute,
        statistics: verdict.statistics,
        historyMinutes: verdict.historyMinutes,
        baselineMinutes: detector.baselineMinutes,
        attributions: attributions(minutes, startMinute, minute),
      },
      options,
    );
    records.push(JSON.stringify(record));
    if (verdict.action === 'start') {
      summary.started++;
      openSince = startMinute;
    } else {
      summary.ended++;
      openSince = undefined;
    }
  }

  const next: StoredInsightState = {
    detector: detectorState,
    lastMinute: lastComplete,
    firstDataMinute: state.firstDataMinute,
    ...(openSince === undefined ? {} : { openSince }),
    outbox: records,
  };
  if (!(await store.writeState(keyId, next, version))) return void summary.yielded++;
  if (records.length === 0) return;
  await deliver(records);
  // If this save is lost, the next run finds the outbox and writes the same records again: same eventIDs.
  await store.writeState(keyId, { ...next, outbox: [] }, (version ?? 0) + 1);
}

/**
 * Hourly totals for the baseline window. Hours already rolled up are read; complete hours that are not yet
 * (a new key, or back-dated history) are summed from minute counters once and rolled up for later runs.
 */
async function hourTotals(
  store: InsightStorePort,
  keyId: string,
  { from, lastComplete, windowStart }: { from: number; lastComplete: number; windowStart: number },
  recent: ReadonlyMap<number, MinuteCounter>,
  detector: DetectorConfig,
  { firstDataMinute }: StoredInsightState,
  nowMs: number,
): Promise<Map<number, number>> {
  const baselineStart = hourOf(Math.max(firstDataMinute, from - detector.baselineMinutes));
  const hours = await store.readHours(keyId, baselineStart, hourOf(lastComplete));
  const missing: number[] = [];
  for (let hour = baselineStart; hour + 59 <= lastComplete; hour += 60)
    if (!hours.has(hour)) missing.push(hour);
  if (missing.length === 0) return hours;
  const older =
    (missing[0] as number) < windowStart
      ? await store.readMinutes(keyId, missing[0] as number, windowStart - 1)
      : new Map();
  const fresh = new Map<number, number>();
  for (const hour of missing) {
    let total = 0;
    for (let minute = hour; minute < hour + 60; minute++)
      total += (recent.get(minute) ?? older.get(minute))?.count ?? 0;
    fresh.set(hour, total);
    hours.set(hour, total);
  }
  const expiresAt = Math.floor(nowMs / 1000) + (detector.baselineMinutes + 2 * 1440) * 60;
  await store.writeHours(keyId, fresh, expiresAt);
  return hours;
}

/** Top contributors during the insight and in the hour before it. */
function attributions(
  minutes: ReadonlyMap<number, MinuteCounter>,
  startMinute: number,
  endMinute: number,
): Attribution[] {
  const sum = (from: number, to: number): Map<string, number> => {
    const totals = new Map<string, number>();
    for (let minute = from; minute <= to; minute++) {
      for (const [name, count] of Object.entries(minutes.get(minute)?.contributors ?? {})) {
        totals.set(name, (totals.get(name) ?? 0) + count);
      }
    }
    return totals;
  };
  const insight = topValues(sum(startMinute, endMinute), endMinute - startMinute + 1);
  const baseline = topValues(
    sum(startMinute - ATTRIBUTION_BASELINE_MINUTES, startMinute - 1),
    ATTRIBUTION_BASELINE_MINUTES,
  );
  return (Object.keys(insight) as Array<keyof typeof insight>).map((attribute) => ({
    attribute,
    insight: insight[attribute],
    baseline: baseline[attribute],
  }));
}
