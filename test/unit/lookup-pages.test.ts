import { describe, expect, it } from 'vitest';
import { type IngestOptions, putEvents } from '../../lambda/core/ingest.js';
import { PAGE_SPAN_MS } from '../../lambda/core/keys.js';
import { lookupEvents } from '../../lambda/core/lookup.js';
import { ENRICHMENT, NOW_MS, sampleEvent } from '../fixtures/events.js';
import { MemoryEventStore } from '../fixtures/memory-store.js';

const SHARDS = 4;
const OPTIONS: IngestOptions = { ...ENRICHMENT, writeShards: SHARDS };
const MINUTE_START = Math.floor((NOW_MS - 120_000) / 60_000) * 60_000;

describe('EventSource lookups over a busy minute of single-event puts', () => {
  it('read only the pages of the top page window before answering, not the whole minute', async () => {
    // Prepare: 1,200 single-event requests from one source, evenly over one minute: 1,200 pages of one event.
    let queryItems = 0;
    const store = new MemoryEventStore({
      onRead: (read) => {
        if (read.operation === 'query') queryItems += read.items.length;
      },
    });
    for (let i = 0; i < 1_200; i++) {
      const eventTime = new Date(MINUTE_START + i * 50).toISOString();
      await putEvents([sampleEvent({ eventTime })], store, OPTIONS);
    }

    // Act
    const page = await lookupEvents(
      {
        attributes: { EventSource: 'orders.example.com' },
        startMs: MINUTE_START,
        endMs: MINUTE_START + 59_999,
        maxResults: 10,
      },
      store,
      { writeShards: SHARDS },
    );

    // Assess: the newest ten, having read about one window's pages (300 of the 1,200) and the merge's read-ahead.
    const times = page.records.map((record) =>
      Date.parse((JSON.parse(record) as { eventTime: string }).eventTime),
    );
    expect(times).toEqual(Array.from({ length: 10 }, (_, i) => MINUTE_START + (1_199 - i) * 50));
    const pagesPerWindow = PAGE_SPAN_MS / 50;
    expect(queryItems).toBeGreaterThanOrEqual(pagesPerWindow);
    expect(queryItems).toBeLessThan(2 * pagesPerWindow);
  });
});
