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
