import { describe, expect, it } from 'vitest';
import { type IngestOptions, putEvents } from '../../lambda/core/ingest.js';
import { type LookupQuery, lookupEvents } from '../../lambda/core/lookup.js';
import { ENRICHMENT, NOW_MS, sampleEvent } from '../fixtures/events.js';
import { MemoryEventStore } from '../fixtures/memory-store.js';
import { expectedMatches, lookupCases, variedEvents } from '../fixtures/traffic.js';

const SHARDS = 4;
const OPTIONS: IngestOptions = { ...ENRICHMENT, writeShards: SHARDS };
const store = new MemoryEventStore();
// Varied traffic, plus the shapes it lacks: an event with no resources and one with two.
const inputs = [
  ...variedEvents(398, NOW_MS),
  sampleEvent({ eventTime: new Date(NOW_MS - 60_000).toISOString(), resources: [] }),
  sampleEvent({
    eventTime: new Date(NOW_MS - 120_000).toISOString(),
    resources: [
      { ARN: 'arn:example:orders:::order/o-1', type: 'Order' },
      { ARN: 'arn:example:billing:::invoice/i-1', type: 'Invoice' },
    ],
  }),
];
const ingested = await putEvents(inputs, store, OPTIONS);
const records = [...store.records.values()].map((json) => JSON.parse(json) as Record<string, unknown>);

async function allPages(query: Omit<LookupQuery, 'afterEventID'>): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let afterEventID: string | undefined;
  for (let pages = 1; pages <= 500; pages++) {
    const page = await lookupEvents({ ...query, ...(afterEventID ? { afterEventID } : {}) }, store, {
      writeShards: SHARDS,
    });
    ids.push(...page.records.map((record) => (JSON.parse(record) as { eventID: string }).eventID));
    if (page.lastEventID === undefined) return { ids, pages };
    expect(page.records).toHaveLength(query.maxResults);
    afterEventID = page.lastEventID;
  }
  throw new Error('pagination did not end');
}

const WINDOW = { startMs: NOW_MS - 2 * 3_600_000, endMs: NOW_MS };

describe('lookupEvents', () => {
  it('is given every event', () => {
    expect(ingested.failed).toEqual([]);
    expect(records).toHaveLength(400);
  });

  it.each([
    ...lookupCases(records),
    { ResourceName: 'arn:example:billing:::invoice/i-1' },
    { ResourceType: 'Order', ResourceName: 'arn:example:orders:::order/o-1' },
  ])('pages through exactly the oracle’s matches, newest first, for %j', async (attributes) => {
    const { ids } = await allPages({ attributes, ...WINDOW, maxResults: 7 });
    expect(ids).toEqual(expectedMatches(records, attributes));
  });

  it('walks many pages without gaps or duplicates', async () => {
    const { ids, pages } = await allPages({ attributes: {}, ...WINDOW, maxResults: 50 });
    expect(pages).toBe(8);
    expect(new Set(ids).size).toBe(400);
  });

  it('honours inclusive time bounds to the millisecond', async () => {
    // Prepare: pick an event and bound the window exactly on its time.
    const target = records[17] as { eventID: string; eventTime: string };
    const timeMs = Date.parse(target.eventTime);
    // Act
    const inside = await allPages({ attributes: {}, startMs: timeMs, endMs: timeMs, maxResults: 50 });
    const before = await allPages({
      attributes: {},
      startMs: timeMs - 1000,
      endMs: timeMs - 1,
      maxResults: 50,
    });
    // Assess
    expect(inside.ids).toContain(target.eventID);
    expect(before.ids).not.toContain(target.eventID);
    const expected = records
      .filter((record) => Date.parse(record.eventTime as string) === timeMs)
      .map((record) => record.eventID);
    expect(inside.ids.sort()).toEqual(expected.sort());
  });

  it('finds one event by EventId, and nothing outside the window', async () => {
    const target = records[3] as { eventID: string };
    const found = await lookupEvents(
      { attributes: { EventId: target.eventID }, ...WINDOW, maxResults: 5 },
      store,
      {
        writeShards: SHARDS,
      },
    );
    expect(found.records.map((record) => JSON.parse(record).eventID)).toEqual([target.eventID]);
    const outside = await lookupEvents(
      { attributes: { EventId: target.eventID }, startMs: 0, endMs: 1, maxResults: 5 },
      store,
      { writeShards: SHARDS },
    );
    expect(outside.records).toEqual([]);
  });
});

describe('lookupEvents over posting lists', () => {
  /** Requests of `size` events, their times interleaved within one minute: their posting lists overlap in time. */
  async function interleaved(requests: number, size: number): Promise<MemoryEventStore> {
    const target = new MemoryEventStore();
    const minuteStart = Math.floor(NOW_MS / 60_000) * 60_000 - 60_000;
    for (let request = 0; request < requests; request++) {
      const events = Array.from({ length: size }, (_, i) =>
        sampleEvent({ eventTime: new Date(minuteStart + (i * requests + request) * 10).toISOString() }),
      );
      const result = await putEvents(events, target, { ...OPTIONS, writeShards: 1 });
      expect(result.failed).toEqual([]);
    }
    return target;
  }

  it('merges lists of one value that overlap in time newest first, whatever the page size', async () => {
    // Prepare: 30 requests of 20 events: every EventName list of the minute spans the others.
    const target = await interleaved(30, 20);
    const expected = [...target.records.keys()].sort().reverse();

    // Act
    const pages: string[] = [];
    let afterEventID: string | undefined;
    for (let page = 0; page < 100; page++) {
      const result = await lookupEvents(
        {
          attributes: { EventName: 'CreateOrder' },
          ...WINDOW,
          maxResults: 7,
          ...(afterEventID ? { afterEventID } : {}),
        },
        target,
        { writeShards: 1 },
      );
      pages.push(...result.records.map((record) => (JSON.parse(record) as { eventID: string }).eventID));
      afterEventID = result.lastEventID;
      if (afterEventID === undefined) break;
    }

    // Assess
    expect(pages).toEqual(expected);
  });

  it('returns an event once when a retry listed it again in lists of its own', async () => {
    // Prepare: the first event of a request of two is listed again alone, as a healing retry does.
    const target = await interleaved(1, 2);
    const [first] = target.storedEvents;
    await target.writeEvents([{ ...(first as (typeof target.storedEvents)[number]), relist: true }]);

    // Act
    const found = await lookupEvents({ attributes: {}, ...WINDOW, maxResults: 10 }, target, {
      writeShards: 1,
    });

    // Assess
    expect(found.records.map((record) => JSON.parse(record).eventID)).toEqual(
      [...target.records.keys()].sort().reverse(),
    );
    expect(found.records).toHaveLength(2);
  });
});
