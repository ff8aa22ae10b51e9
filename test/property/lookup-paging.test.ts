import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sourceHash } from '../../lambda/core/event-id.js';
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
 * Paging under bounds (tracker issue 13): whatever the catalogs hold and however small the page's allowance, paging
 * with nextTokens returns every matching event exactly once, each catalog entry's events newest first (and every
 * event newest first while the catalog fits one group), and no page passes its bounds.
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

const boundsArbitrary = (shards: number): fc.Arbitrary<LookupBounds> =>
  fc.integer({ min: shards, max: 48 }).chain((partitions) =>
    fc.record({
      lookupPartitionsPerPage: fc.constant(partitions),
      // A page can always begin its first group and read the next one's catalog entries.
      lookupQueriesPerPage: fc.integer({ min: partitions + 2, max: partitions * 3 + 2 }),
      lookupConcurrency: fc.integer({ min: 1, max: 8 }),
      lookupRecordsPerPage: fc.integer({ min: 1, max: 60 }),
      lookupReadBytesPerPage: fc.integer({ min: 1, max: 40_000 }),
      lookupGroupBytes: fc.integer({ min: 1, max: 64 }),
      lookupPageBytes: fc.integer({ min: 1, max: 20_000 }),
    }),
  );

const scenario = fc.integer({ min: 1, max: 4 }).chain((shards) =>
  fc.record({
    shards: fc.constant(shards),
    bounds: fc.oneof(boundsArbitrary(shards), fc.constant<LookupBounds>(LIMITS)),
    events: fc.array(eventArbitrary, { maxLength: 120 }),
    maxResults: fc.integer({ min: 1, max: 25 }),
    attributes: fc.constantFrom<LookupAttributes>(
      {},
      { ReadOnly: 'true' },
      { AccessKeyId: KEY },
      { AccessKeyId: KEY, ReadOnly: 'false' },
    ),
  }),
);

interface Identity {
  readonly accessKeyId: string;
}

describe('lookup paging under bounds', () => {
  it('returns every match exactly once, newest first per catalog entry, each page within its bounds', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ shards, bounds, events, maxResults, attributes }) => {
        // Prepare
        const store = new MemoryEventStore();
        const producerEvents = events.map(
          (event) =>
            sampleEvent({
              eventSource: `s${event.source}.paging.example.com`,
              eventName: event.read ? 'GetOrder' : 'CreateOrder',
              eventTime: new Date(NOW_MS - event.secondsAgo * 1000).toISOString(),
              userIdentity: {
                type: 'IAMUser',
                principalId: `P${event.user}`,
                userName: `u${event.user}`,
                accessKeyId: event.otherKey ? 'AKIAOTHER' : KEY,
              },
            }) as ProducerEvent,
        );
        const put = await putEvents(producerEvents, store, { ...ENRICHMENT, writeShards: shards });
        expect(put.failed).toEqual([]);
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

        // Assess: exactly the matches, each once.
        expect([...ids].sort()).toEqual([...expected].sort());
        // Each catalog entry (a source's hash, or a user of the key) lies in one group: its events come newest first.
        const entryOf = (record: Record<string, unknown>): string =>
          attributes.AccessKeyId === undefined
            ? sourceHash(record.eventSource as string)
            : (record.userIdentity as { userName: string }).userName;
        const byId = new Map(records.map((record) => [record.eventID as string, entryOf(record)]));
        const runs = new Map<string, string[]>();
        for (const id of ids) runs.set(byId.get(id) ?? '', [...(runs.get(byId.get(id) ?? '') ?? []), id]);
        for (const run of runs.values()) expect(run).toEqual([...run].sort().reverse());
        // While the whole catalog fits one group, the order is newest first overall.
        const catalog = new Set(
          records
            .filter(
              (record) =>
                attributes.AccessKeyId === undefined || (record.userIdentity as Identity).accessKeyId === KEY,
            )
            .map(entryOf),
        );
        const catalogBytes = [...catalog].reduce((sum, entry) => sum + Buffer.byteLength(entry), 0);
        const oneGroup =
          catalog.size <= Math.max(1, Math.floor(bounds.lookupPartitionsPerPage / shards)) &&
          (catalog.size <= 1 || catalogBytes <= bounds.lookupGroupBytes);
        if (oneGroup) expect(ids).toEqual(expected);
      }),
      { numRuns: 150, seed: 13 },
    );
  });
});
