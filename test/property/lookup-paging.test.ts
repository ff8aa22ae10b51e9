import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProducerEvent } from '../../lambda/core/event-model.js';
import { putEvents } from '../../lambda/core/ingest.js';
import { LIMITS } from '../../lambda/core/limits.js';
import {
  type LookupAttributes,
  type LookupBounds,
  lookupPage,
  nativeRecordBytes,
} from '../../lambda/core/lookup.js';
import { NextTokenCodec } from '../../lambda/core/next-token.js';
import { ENRICHMENT, NOW_MS, sampleEvent } from '../fixtures/events.js';
import { MemoryEventStore } from '../fixtures/memory-store.js';
import { expectedMatches } from '../fixtures/traffic.js';
import { counted, noCalls, queryCalls } from '../unit/lookup-bounds-reader.js';

/**
 * Paging under bounds (tracker issue 13): whatever producers sent (many sources, many users behind one key) and
 * however small the page's allowance, paging with nextTokens returns every matching event exactly once, newest
 * first overall, and no page passes its bounds.
 */

const tokens = new NextTokenCodec('s'.repeat(32), () => NOW_MS);
const KEY = 'AKIAPAGING';

const eventArbitrary = fc.record({
  source: fc.nat({ max: 59 }),
  user: fc.nat({ max: 29 }),
  secondsAgo: fc.integer({ min: 1, max: 3_599 }),
  read: fc.boolean(),
  otherKey: fc.boolean(),
});

/** A lookup without attributes merges the most partitions: both readOnly feeds of every shard. */
const boundsArbitrary = (shards: number): fc.Arbitrary<LookupBounds> =>
  fc.record({
    // A page can always read every partition twice: its first fetch and one refill.
    lookupQueriesPerPage: fc.integer({ min: 4 * shards, max: 12 * shards }),
    lookupConcurrency: fc.integer({ min: 1, max: 8 }),
    lookupRecordsPerPage: fc.integer({ min: 1, max: 60 }),
    lookupReadBytesPerPage: fc.integer({ min: 1, max: 40_000 }),
    lookupPageBytes: fc.integer({ min: 1, max: 20_000 }),
  });

const scenario = fc.integer({ min: 1, max: 4 }).chain((shards) =>
  fc.record({
    shards: fc.constant(shards),
    bounds: fc.oneof(boundsArbitrary(shards), fc.constant<LookupBounds>(LIMITS)),
    events: fc.array(eventArbitrary, { maxLength: 120 }),
    maxResults: fc.integer({ min: 1, max: 25 }),
    // Several requests in one minute write posting lists of one value that overlap in time.
    requestSize: fc.integer({ min: 1, max: 100 }),
    /** Seconds the events spread over: two minutes makes many lists of one value overlap. */
    spreadSeconds: fc.constantFrom(3_599, 120),
    attributes: fc.constantFrom<LookupAttributes>(
      {},
      { ReadOnly: 'true' },
      { AccessKeyId: KEY },
      { AccessKeyId: KEY, ReadOnly: 'false' },
    ),
  }),
);

describe('lookup paging under bounds', () => {
  it('returns every match exactly once, newest first overall, each page within its bounds', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenario,
        async ({ shards, bounds, events, maxResults, attributes, requestSize, spreadSeconds }) => {
          // Prepare
          const store = new MemoryEventStore();
          const producerEvents = events.map(
            (event) =>
              sampleEvent({
                eventSource: `s${event.source}.paging.example.com`,
                eventName: event.read ? 'GetOrder' : 'CreateOrder',
                eventTime: new Date(NOW_MS - (1 + (event.secondsAgo % spreadSeconds)) * 1000).toISOString(),
                userIdentity: {
                  type: 'IAMUser',
                  principalId: `P${event.user}`,
                  userName: `u${event.user}`,
                  accessKeyId: event.otherKey ? 'AKIAOTHER' : KEY,
                },
              }) as ProducerEvent,
          );
          for (let start = 0; start < producerEvents.length; start += requestSize) {
            const put = await putEvents(producerEvents.slice(start, start + requestSize), store, {
              ...ENRICHMENT,
              writeShards: shards,
            });
            expect(put.failed).toEqual([]);
          }
          const records = [...store.records.values()].map(
            (json) => JSON.parse(json) as Record<string, unknown>,
          );
          const expected = expectedMatches(records, attributes);
          const query = { attributes, startMs: NOW_MS - 3_600_000, endMs: NOW_MS, maxResults };

          // Act
          const ids: string[] = [];
          let nextToken: string | undefined;
          let pages = 0;
          do {
            const calls = noCalls();
            const page = await lookupPage(
              nextToken === undefined
                ? { query, fingerprint: 'q' }
                : { query: { attributes, maxResults }, fingerprint: 'q', nextToken },
              counted(store, calls),
              { writeShards: shards, tokens, bounds },
            );
            ids.push(...page.records.map((record) => (JSON.parse(record) as { eventID: string }).eventID));
            nextToken = page.nextToken;
            pages++;

            // Assess: the page kept to its bounds.
            expect(queryCalls(calls)).toBeLessThanOrEqual(bounds.lookupQueriesPerPage);
            expect(calls.maxInFlight).toBeLessThanOrEqual(bounds.lookupConcurrency);
            expect(calls.recordsAsked).toBeLessThanOrEqual(bounds.lookupRecordsPerPage);
            expect(page.records.length).toBeLessThanOrEqual(maxResults);
            const bytes = page.records.reduce((sum, record) => sum + nativeRecordBytes(record), 0);
            if (page.records.length > 1) expect(bytes).toBeLessThanOrEqual(bounds.lookupPageBytes);
            // Every page gets past at least one event, so paging ends.
            expect(pages).toBeLessThanOrEqual(events.length + 2);
          } while (nextToken !== undefined);

          // Assess: exactly the matches, each once, newest first overall.
          expect(ids).toEqual(expected);
        },
      ),
      { numRuns: 150, seed: 13 },
    );
  });
});
