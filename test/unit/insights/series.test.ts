import { describe, expect, it } from 'vitest';
import { counterKeyId, minuteOf } from '../../../lambda/core/insights/counters.js';
import { findInsight } from '../../../lambda/core/insights/find.js';
import {
  AFTER_END_MINUTES,
  insightSeries,
  MAX_SERIES_MINUTES,
  parseBaselineMinutes,
} from '../../../lambda/core/insights/series.js';
import { NOW_MS } from '../../fixtures/events.js';
import { MemoryInsightStore } from '../../fixtures/memory-insight-store.js';
import { MemoryEventStore } from '../../fixtures/memory-store.js';
import { ATTRIBUTIONS, KEY, KEY_ID, storeInsight, WRITE_SHARDS } from './insight-kit.js';

const NOW_MINUTE = minuteOf(NOW_MS);
const START = NOW_MINUTE - 120;
const END = NOW_MINUTE - 100;
const iso = (minute: number) => new Date(minute * 60_000).toISOString();

async function setup({ open = false } = {}) {
  const store = new MemoryEventStore();
  const counters = new MemoryInsightStore();
  const sharedEventID = await storeInsight(store, START, open ? undefined : END, NOW_MS);
  const pair = await findInsight(sharedEventID, store, {
    writeShards: WRITE_SHARDS,
    notBeforeMs: NOW_MS - 90 * 86_400_000,
    nowMs: NOW_MS,
  });
  return { store, counters, sharedEventID, pair };
}

describe('insightSeries', () => {
  it('gives every minute of the window, 0 where no counter exists, the counted value where one does', async () => {
    // Prepare
    const { counters, pair } = await setup();
    counters.setCount(KEY_ID, KEY, START - 2, 4);
    counters.setCount(KEY_ID, KEY, START, 120);

    // Act
    const series = await insightSeries(pair, counters, { baselineMinutes: 10, nowMs: NOW_MS });

    // Assess
    expect(series.minutes).toHaveLength(10 + (END - START + 1) + AFTER_END_MINUTES);
    expect(series.minutes.slice(0, 3)).toEqual([
      { minute: iso(START - 10), count: 0 },
      { minute: iso(START - 9), count: 0 },
      { minute: iso(START - 8), count: 0 },
    ]);
    expect(series.minutes[8]).toEqual({ minute: iso(START - 2), count: 4 });
    expect(series.minutes[10]).toEqual({ minute: iso(START), count: 120, baseline: 4 });
    expect(series.minutes.filter((minute) => minute.count > 0)).toHaveLength(2);
  });

  it('covers the baseline before the Start to AFTER_END_MINUTES after the End, and leaves out counts beyond', async () => {
    // Prepare
    const { counters, pair } = await setup();
    const last = END + AFTER_END_MINUTES;
    for (const minute of [START - 11, START - 10, last, last + 1]) counters.setCount(KEY_ID, KEY, minute, 7);

    // Act
    const series = await insightSeries(pair, counters, { baselineMinutes: 10, nowMs: NOW_MS });

    // Assess
    expect(series.minutes[0]).toEqual({ minute: iso(START - 10), count: 7 });
    expect(series.minutes.at(-1)).toEqual({ minute: iso(last), count: 7 });
    expect(series.minutes.reduce((sum, minute) => sum + minute.count, 0)).toBe(14);
    expect(series).toMatchObject({
      key: KEY,
      insightStart: iso(START),
      insightEnd: iso(END),
      attributions: ATTRIBUTIONS,
    });
  });

  it('marks the baseline only inside the insight window', async () => {
    // Prepare
    const { counters, pair } = await setup();

    // Act
    const series = await insightSeries(pair, counters, { baselineMinutes: 5, nowMs: NOW_MS });

    // Assess
    const marked = series.minutes.filter((minute) => minute.baseline !== undefined).map((m) => m.minute);
    expect(marked).toEqual(Array.from({ length: END - START + 1 }, (_, i) => iso(START + i)));
  });

  it('runs an open insight to the current minute, without insightEnd', async () => {
    // Prepare
    const { counters, pair } = await setup({ open: true });

    // Act
    const series = await insightSeries(pair, counters, { baselineMinutes: 0, nowMs: NOW_MS });

    // Assess
    expect(series.insightEnd).toBeUndefined();
    expect(series.minutes[0]?.minute).toBe(iso(START));
    expect(series.minutes.at(-1)?.minute).toBe(iso(NOW_MINUTE));
  });

  it('keeps at most MAX_SERIES_MINUTES, the newest, whatever baseline is asked for', async () => {
    // Prepare
    const { counters, pair } = await setup();

    // Act
    const series = await insightSeries(pair, counters, {
      baselineMinutes: MAX_SERIES_MINUTES,
      nowMs: NOW_MS,
    });

    // Assess
    expect(series.minutes).toHaveLength(MAX_SERIES_MINUTES);
    expect(series.minutes.at(-1)?.minute).toBe(iso(END + AFTER_END_MINUTES));
  });
});

describe('findInsight', () => {
  it('finds the Start and the End of an insight by sharedEventID among others', async () => {
    // Prepare
    const { store, sharedEventID } = await setup();
    await storeInsight(store, START - 500, START - 490, NOW_MS);

    // Act
    const pair = await findInsight(sharedEventID, store, {
      writeShards: WRITE_SHARDS,
      notBeforeMs: 0,
      nowMs: NOW_MS,
    });

    // Assess
    expect(pair.start.sharedEventID).toBe(sharedEventID);
    expect(pair.start.eventTime).toBe(iso(START));
    expect(pair.end?.eventTime).toBe(iso(END));
  });

  it('refuses with InsightNotFound when no insight has the sharedEventID', async () => {
    // Prepare
    const { store } = await setup();

    // Act
    const found = findInsight('00000000-0000-4000-a000-000000000000', store, {
      writeShards: WRITE_SHARDS,
      notBeforeMs: 0,
      nowMs: NOW_MS,
    });

    // Assess
    await expect(found).rejects.toMatchObject({ kind: 'InsightNotFound' });
  });
});

describe('parseBaselineMinutes', () => {
  it('refuses what is not a whole number of minutes up to seven days', () => {
    // Assess
    expect(parseBaselineMinutes(undefined)).toBe(1440);
    expect(parseBaselineMinutes('0')).toBe(0);
    for (const text of ['-1', '1.5', 'x', String(MAX_SERIES_MINUTES + 1), '']) {
      expect(() => parseBaselineMinutes(text), text).toThrow(
        expect.objectContaining({ kind: 'InvalidParameter' }),
      );
    }
  });
});

describe('the series response', () => {
  it('stays under 1 MB at its bound, with counts of a billion a minute and 1 KB key fields', async () => {
    // Prepare
    const long = 'x'.repeat(1024);
    const key = { ...KEY, eventSource: long, eventName: long, errorCode: long };
    const store = new MemoryEventStore();
    const counters = new MemoryInsightStore();
    const id = await storeInsight(store, NOW_MINUTE - MAX_SERIES_MINUTES, undefined, NOW_MS, key);
    const pair = await findInsight(id, store, { writeShards: WRITE_SHARDS, notBeforeMs: 0, nowMs: NOW_MS });
    for (let minute = NOW_MINUTE - MAX_SERIES_MINUTES; minute <= NOW_MINUTE; minute++) {
      counters.setCount(counterKeyId(key), key, minute, 1_000_000_000);
    }

    // Act
    const series = await insightSeries(pair, counters, {
      baselineMinutes: MAX_SERIES_MINUTES,
      nowMs: NOW_MS,
    });

    // Assess
    expect(series.minutes.every((minute) => minute.count === 1_000_000_000)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(series))).toBeLessThan(1024 * 1024);
  });
});
