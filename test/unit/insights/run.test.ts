import { describe, expect, it } from 'vitest';
import { type CounterKey, counterKeyId } from '../../../lambda/core/insights/counters.js';
import { type InsightPublisher, runInsights } from '../../../lambda/core/insights/run.js';
import type { StoredEvent } from '../../../lambda/core/ports.js';
import { MemoryInsightStore } from '../../fixtures/memory-insight-store.js';
import { MemoryEventStore } from '../../fixtures/memory-store.js';

const KEY: CounterKey = {
  insightType: 'ApiCallRateInsight',
  eventSource: 'iam.example.com',
  eventName: 'CreateUser',
};
const KEY_ID = counterKeyId(KEY);
const DAY = 1440;
const T0 = Math.floor(Date.parse('2026-11-01T00:00:00Z') / 60_000);
const SPIKE_START = T0 + 8 * DAY + 600;
const SPIKE_MINUTES = 20;

/** Eight days of steady traffic (20 calls a minute, gently wavy), then a 10x burst for 20 minutes. */
function trafficStore(): MemoryInsightStore {
  const store = new MemoryInsightStore();
  for (let minute = T0; minute < SPIKE_START + 120; minute++) {
    const spiking = minute >= SPIKE_START && minute < SPIKE_START + SPIKE_MINUTES;
    const count = spiking ? 200 : 20 + (minute % 3);
    store.setCount(
      KEY_ID,
      KEY,
      minute,
      count,
      spiking ? { 'u|arn:aws:iam::1:user/mallory': count } : { 'u|arn:aws:iam::1:user/app': count },
    );
  }
  return store;
}

class RecordingPublisher implements InsightPublisher {
  readonly published: string[] = [];
  failNext = false;
  async publish(records: readonly string[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('bus unavailable');
    }
    this.published.push(...records);
  }
}

const OPTIONS = {
  region: 'us-east-1',
  accountId: '123456789012',
  retentionDays: 90,
  writeShards: 4,
  lateMinutes: 0,
};

/** Runs the scheduled function once a minute from `from` to `to` (exclusive), like the schedule does. */
async function everyMinute(
  store: MemoryInsightStore,
  trail: MemoryEventStore,
  publisher: InsightPublisher,
  from: number,
  to: number,
) {
  for (let minute = from; minute < to; minute++) {
    await runInsights(store, trail, publisher, { ...OPTIONS, nowMs: (minute + 1) * 60_000 });
  }
}

describe('runInsights', () => {
  it('opens one insight with a Start and closes it with one End sharing sharedEventID, in the trail and on the bus', async () => {
    // Prepare
    const store = trafficStore();
    const trail = new MemoryEventStore();
    const publisher = new RecordingPublisher();
    // Act
    await everyMinute(store, trail, publisher, SPIKE_START - 30, SPIKE_START + 90);
    // Assess
    const records = publisher.published.map((json) => JSON.parse(json));
    expect(records.map((record) => record.insightDetails.state)).toEqual(['Start', 'End']);
    const [start, end] = records;
    expect(start.sharedEventID).toBe(end.sharedEventID);
    expect(start).toMatchObject({
      eventCategory: 'Insight',
      eventType: 'Insight',
      eventSource: KEY.eventSource,
      eventName: KEY.eventName,
      insightDetails: {
        insightType: 'ApiCallRateInsight',
        eventSource: KEY.eventSource,
        eventName: KEY.eventName,
      },
    });
    expect(Date.parse(start.eventTime) / 60_000).toBeGreaterThanOrEqual(SPIKE_START);
    expect(Date.parse(start.eventTime) / 60_000).toBeLessThanOrEqual(SPIKE_START + 3);
    expect(start.insightDetails.insightContext.statistics.baseline.average).toBeLessThan(25);
    expect(end.insightDetails.insightContext.statistics.insight.average).toBeGreaterThan(100);
    const attribution = end.insightDetails.insightContext.attributions.find(
      (entry: { attribute: string }) => entry.attribute === 'userIdentityArn',
    );
    expect(attribution.insight[0].value).toBe('arn:aws:iam::1:user/mallory');
    expect(attribution.baseline[0].value).toBe('arn:aws:iam::1:user/app');
    // The same two records are in the trail, under the insight partitions.
    expect([...trail.records.values()].map((json) => JSON.parse(json).eventID).sort()).toEqual(
      records.map((record) => record.eventID).sort(),
    );
  });

  it('publishes each insight once even when two runs race for every minute', async () => {
    const store = trafficStore();
    const trail = new MemoryEventStore();
    const publisher = new RecordingPublisher();
    for (let minute = SPIKE_START - 30; minute < SPIKE_START + 90; minute++) {
      const options = { ...OPTIONS, nowMs: (minute + 1) * 60_000 };
      await Promise.all([
        runInsights(store, trail, publisher, options),
        runInsights(store, trail, publisher, options),
      ]);
    }
    expect(publisher.published.map((json) => JSON.parse(json).insightDetails.state)).toEqual([
      'Start',
      'End',
    ]);
  });

  it('keeps what it could not publish and publishes it on the next run, once', async () => {
    // Prepare: the bus fails when the Start is first published.
    const store = trafficStore();
    const trail = new MemoryEventStore();
    const publisher = new RecordingPublisher();
    await everyMinute(store, trail, publisher, SPIKE_START - 30, SPIKE_START);
    publisher.failNext = true;
    const stored: StoredEvent[] = [];
    const write = trail.writeEvents.bind(trail);
    trail.writeEvents = async (events) => {
      stored.push(...events);
      return write(events);
    };
    // Act
    await everyMinute(store, trail, publisher, SPIKE_START, SPIKE_START + 90);
    // Assess
    expect(publisher.published.map((json) => JSON.parse(json).insightDetails.state)).toEqual([
      'Start',
      'End',
    ]);
    // Written to the trail twice under the same eventID: a re-write, not a second event.
    expect(new Set(stored.map((event) => event.eventID)).size).toBe(2);
    expect(trail.records.size).toBe(2);
  });

  it('says nothing about a key with ordinary traffic', async () => {
    const store = trafficStore();
    const trail = new MemoryEventStore();
    const publisher = new RecordingPublisher();
    await everyMinute(store, trail, publisher, SPIKE_START - 120, SPIKE_START);
    expect(publisher.published).toEqual([]);
  });
});
