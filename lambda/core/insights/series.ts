import { RequestError } from '../errors.js';
import type { TrailRecord } from '../event-model.js';
import { type CounterKey, counterKeyId, INSIGHT_TYPES, minuteOf } from './counters.js';
import type { Attribution } from './records.js';
import type { InsightStorePort } from './run.js';

/**
 * The per-minute series behind an insight's graph (GET /insights/{sharedEventID}/series, docs/insights.md): the
 * counts of the insight's counter key over a baseline stretch before it, the insight's window and a little after,
 * one entry per minute whether or not a counter exists (a minute nobody called has no counter item, and is 0).
 */

/** The counter reads the series needs: one Query on the key's minute partition. */
export type CounterSeriesReader = Pick<InsightStorePort, 'readMinutes'>;

/** At most 7 days of minutes per response, baseline included: about 0.7 MB of JSON at worst. */
export const MAX_SERIES_MINUTES = 7 * 24 * 60;
/** Baseline minutes shown before the insight when the request names none. */
export const DEFAULT_BASELINE_MINUTES = 24 * 60;
/** Minutes shown after a closed insight's End, so the return to normal is on the graph. */
export const AFTER_END_MINUTES = 30;

const SHARED_EVENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface InsightPair {
  readonly start: TrailRecord;
  readonly end?: TrailRecord;
}

export interface SeriesMinute {
  readonly minute: string;
  readonly count: number;
  /** Only inside the insight's window: the baseline average per minute the detector compared the window with. */
  readonly baseline?: number;
}

export interface InsightSeries {
  readonly key: CounterKey;
  readonly minutes: readonly SeriesMinute[];
  readonly insightStart: string;
  /** Absent while the insight is open. */
  readonly insightEnd?: string;
  readonly attributions: readonly Attribution[];
}

/** Refuses a path value that cannot be an insight's sharedEventID before anything is read. */
export function checkSharedEventId(sharedEventID: string): void {
  if (!SHARED_EVENT_ID.test(sharedEventID)) {
    throw new RequestError(
      'InvalidParameter',
      'sharedEventID must be a lowercase UUID, as insights carry it',
    );
  }
}

/** `baselineMinutes`: whole minutes from 0 to MAX_SERIES_MINUTES, DEFAULT_BASELINE_MINUTES when absent. */
export function parseBaselineMinutes(text: string | undefined): number {
  if (text === undefined) return DEFAULT_BASELINE_MINUTES;
  const value = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 0 && value <= MAX_SERIES_MINUTES)) {
    throw new RequestError(
      'InvalidParameter',
      `baselineMinutes must be a whole number from 0 to ${MAX_SERIES_MINUTES}`,
    );
  }
  return value;
}

interface InsightDetailsShape {
  readonly state?: unknown;
  readonly insightType?: unknown;
  readonly eventSource?: unknown;
  readonly eventName?: unknown;
  readonly errorCode?: unknown;
  readonly insightContext?: {
    readonly statistics?: { readonly baseline?: { readonly average?: unknown } };
    readonly attributions?: unknown;
  };
}

const detailsOf = (record: TrailRecord): InsightDetailsShape =>
  (record.insightDetails ?? {}) as InsightDetailsShape;

/** The counter key an insight was detected on, read back from its Start record's insightDetails. */
export function insightCounterKey(start: TrailRecord): CounterKey {
  const details = detailsOf(start);
  const insightType = INSIGHT_TYPES.find((type) => type === details.insightType);
  if (
    insightType === undefined ||
    typeof details.eventSource !== 'string' ||
    typeof details.eventName !== 'string'
  ) {
    throw new Error(`insight ${start.eventID} has no counter key in its insightDetails`);
  }
  return {
    insightType,
    eventSource: details.eventSource,
    eventName: details.eventName,
    ...(typeof details.errorCode === 'string' ? { errorCode: details.errorCode } : {}),
  };
}

/** The minutes a series covers: the baseline before the Start, the window, and AFTER_END_MINUTES after an End. */
export function seriesWindow(
  pair: InsightPair,
  baselineMinutes: number,
  nowMs: number,
): { readonly fromMinute: number; readonly toMinute: number } {
  const nowMinute = minuteOf(nowMs);
  const startMinute = minuteOf(Date.parse(pair.start.eventTime));
  const toMinute =
    pair.end === undefined
      ? nowMinute
      : Math.min(nowMinute, minuteOf(Date.parse(pair.end.eventTime)) + AFTER_END_MINUTES);
  // A long open insight keeps its latest minutes: the bound is on the whole response, baseline first to go.
  const fromMinute = Math.max(startMinute - baselineMinutes, toMinute - MAX_SERIES_MINUTES + 1);
  return { fromMinute, toMinute: Math.max(toMinute, fromMinute) };
}

/** The insight's series: every minute of its window, counted or 0, with the baseline average inside the insight. */
export async function insightSeries(
  pair: InsightPair,
  counters: CounterSeriesReader,
  options: { readonly baselineMinutes: number; readonly nowMs: number },
): Promise<InsightSeries> {
  const key = insightCounterKey(pair.start);
  const { fromMinute, toMinute } = seriesWindow(pair, options.baselineMinutes, options.nowMs);
  const counted = await counters.readMinutes(counterKeyId(key), fromMinute, toMinute);
  // The End's statistics cover the whole insight; a Start's only its first minutes.
  const latest = detailsOf(pair.end ?? pair.start);
  const average = latest.insightContext?.statistics?.baseline?.average;
  const baseline = typeof average === 'number' ? average : undefined;
  const startMinute = minuteOf(Date.parse(pair.start.eventTime));
  const endMinute = pair.end === undefined ? toMinute : minuteOf(Date.parse(pair.end.eventTime));
  const minutes: SeriesMinute[] = [];
  for (let minute = fromMinute; minute <= toMinute; minute++) {
    const inside = minute >= startMinute && minute <= endMinute;
    minutes.push({
      minute: new Date(minute * 60_000).toISOString(),
      count: counted.get(minute)?.count ?? 0,
      ...(inside && baseline !== undefined ? { baseline } : {}),
    });
  }
  const attributions = Array.isArray(latest.insightContext?.attributions)
    ? (latest.insightContext.attributions as Attribution[])
    : [];
  return {
    key,
    minutes,
    insightStart: pair.start.eventTime,
    ...(pair.end === undefined ? {} : { insightEnd: pair.end.eventTime }),
    attributions,
  };
}
