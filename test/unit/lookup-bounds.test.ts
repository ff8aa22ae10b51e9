import { describe, expect, it } from 'vitest';
import type { ProducerEvent } from '../../lambda/core/event-model.js';
import { putEvents } from '../../lambda/core/ingest.js';
import { LIMITS } from '../../lambda/core/limits.js';
import { type LookupQuery, lookupPage } from '../../lambda/core/lookup.js';
import { NextTokenCodec } from '../../lambda/core/next-token.js';
import type { EventReader, ReadOptions } from '../../lambda/core/ports.js';
import { ENRICHMENT, NOW_MS, sampleEvent } from '../fixtures/events.js';
import { MemoryEventStore } from '../fixtures/memory-store.js';
import { counted, noCalls, type PageCalls, queryCalls, storeCalls } from './lookup-bounds-reader.js';

/**
 * What one lookup page may cost whatever producers sent (tracker issue 13): a producer that invents thousands of
 * event sources, or thousands of users behind one access key, must not make a page fan out to every partition.
 */

const SHARDS = 16;
const FLOOD = 3000;
const WINDOW = { startMs: NOW_MS - 3_600_000, endMs: NOW_MS };
const tokens = new NextTokenCodec('s'.repeat(32), () => NOW_MS);

async function seeded(events: readonly ProducerEvent[]): Promise<MemoryEventStore> {
  const store = new MemoryEventStore();
  for (let start = 0; start < events.length; start += LIMITS.eventsPerRequest) {
    const result = await putEvents(events.slice(start, start + LIMITS.eventsPerRequest), store, {
      ...ENRICHMENT,
      writeShards: SHARDS,
    });
    expect(result.failed).toEqual([]);
  }
  return store;
}

const at = (index: number): string => new Date(NOW_MS - 1_000 - index * 1_000).toISOString();

/** Each event a new eventSource: the source catalog holds FLOOD entries. */
const sourceFlood = await seeded(
  Array.from(
    { length: FLOOD },
    (_, index) =>
      sampleEvent({ eventSource: `s${index}.flood.example.com`, eventTime: at(index) }) as ProducerEvent,
  ),
);

/** One access key used by FLOOD users: the key's catalog holds FLOOD entries. */
const userFlood = await seeded(
  Array.from(
    { length: FLOOD },
    (_, index) =>
      sampleEvent({
        eventTime: at(index),
        userIdentity: {
          type: 'IAMUser',
          principalId: `P${index}`,
          userName: `u${index}`,
          accessKeyId: 'AKIAFLOOD',
        },
      }) as ProducerEvent,
  ),
);

/** Every page of a lookup, with what each page cost. */
async function allPages(
  store: EventReader,
  query: Omit<LookupQuery, 'afterEventID'>,
): Promise<{ ids: string[]; costs: PageCalls[] }> {
  const ids: string[] = [];
  const costs: PageCalls[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < FLOOD; page++) {
    const calls = noCalls();
    const result = await lookupPage(
      nextToken === undefined
        ? { query, fingerprint: 'q' }
        : {
            query: { attributes: query.attributes, maxResults: query.maxResults },
            fingerprint: 'q',
            nextToken,
          },
      counted(store, calls),
      { writeShards: SHARDS, tokens },
    );
    costs.push(calls);
    ids.push(...result.records.map((record) => (JSON.parse(record) as { eventID: string }).eventID));
    nextToken = result.nextToken;
    if (nextToken === undefined) return { ids, costs };
  }
  throw new Error('pagination did not end');
}

describe('a lookup page is bounded whatever producers sent', () => {
  it.each([
    ['no attribute, 3,000 event sources', sourceFlood, {}],
    ['AccessKeyId, 3,000 users of one key', userFlood, { AccessKeyId: 'AKIAFLOOD' }],
  ] as const)(
    'answers maxResults=1 with a bounded number of store calls (%s)',
    async (_, store, attributes) => {
      // Act
      const calls = noCalls();
      const page = await lookupPage(
        { query: { attributes, ...WINDOW, maxResults: 1 }, fingerprint: 'q' },
        counted(store, calls),
        { writeShards: SHARDS, tokens },
      );

      // Assess: one event and a token, from a page that queried a bounded share of the partitions.
      expect(page.records).toHaveLength(1);
      expect(page.nextToken).toBeDefined();
      expect(queryCalls(calls)).toBeLessThanOrEqual(LIMITS.lookupQueriesPerPage);
      expect(calls.maxInFlight).toBeLessThanOrEqual(LIMITS.lookupConcurrency);
    },
  );

  it.each([
    ['no attribute', sourceFlood, {}],
    ['AccessKeyId', userFlood, { AccessKeyId: 'AKIAFLOOD' }],
  ] as const)(
    'pages through all 3,000 events exactly once, each page bounded (%s)',
    async (_, store, attributes) => {
      // Act
      const { ids, costs } = await allPages(store, {
        attributes,
        ...WINDOW,
        maxResults: LIMITS.lookupMaxResults,
      });

      // Assess
      expect(ids).toHaveLength(FLOOD);
      expect(new Set(ids).size).toBe(FLOOD);
      for (const calls of costs) {
        expect(queryCalls(calls)).toBeLessThanOrEqual(LIMITS.lookupQueriesPerPage);
        expect(calls.maxInFlight).toBeLessThanOrEqual(LIMITS.lookupConcurrency);
      }
    },
  );

  it('reads one record and queries nothing for an EventId lookup, however many sources exist', async () => {
    // Prepare
    const eventID = [...sourceFlood.records.keys()][1234] as string;
    const calls = noCalls();

    // Act
    const page = await lookupPage(
      { query: { attributes: { EventId: eventID }, ...WINDOW, maxResults: 50 }, fingerprint: 'q' },
      counted(sourceFlood, calls),
      { writeShards: SHARDS, tokens },
    );

    // Assess
    expect(page.records.map((record) => JSON.parse(record).eventID)).toEqual([eventID]);
    expect(storeCalls(calls)).toBe(1);
  });
});

/** A reader whose calls never answer until their signal aborts; `fail` makes the n-th query fail at once. */
function stalledReader(store: EventReader, calls: PageCalls, fail?: number): EventReader {
  const stalled = (options: ReadOptions | undefined) =>
    new Promise<never>((_, reject) => {
      if (options?.signal) calls.signals.push(options.signal);
      options?.signal?.addEventListener('abort', () => reject(options.signal?.reason), { once: true });
    });
  return {
    queryPartition: async (_partition, _low, _high, _limit, options) => {
      calls.queries++;
      if (calls.queries === fail) throw new Error('the store failed');
      return stalled(options);
    },
    readRecords: (_ids, options) => stalled(options),
    readCatalog: (pk, range, options) => {
      calls.catalogReads++;
      return store.readCatalog(pk, range, options);
    },
  };
}

describe('a lookup stops its store calls', () => {
  it('aborts every outstanding call when one fails, and starts no more than its concurrency', async () => {
    // Prepare
    const calls = noCalls();

    // Act
    const outcome = lookupPage(
      { query: { attributes: {}, ...WINDOW, maxResults: 5 }, fingerprint: 'q' },
      stalledReader(sourceFlood, calls, LIMITS.lookupConcurrency),
      { writeShards: SHARDS, tokens },
    );

    // Assess
    await expect(outcome).rejects.toThrow('the store failed');
    expect(calls.signals.length).toBeGreaterThan(0);
    expect(calls.signals.every((signal) => signal.aborted)).toBe(true);
    expect(calls.queries).toBeLessThanOrEqual(LIMITS.lookupConcurrency);
  });

  it('aborts every outstanding call when the caller aborts (the request deadline)', async () => {
    // Prepare
    const calls = noCalls();
    const deadline = new AbortController();

    // Act
    const outcome = lookupPage(
      { query: { attributes: {}, ...WINDOW, maxResults: 5 }, fingerprint: 'q' },
      stalledReader(sourceFlood, calls),
      { writeShards: SHARDS, tokens, signal: deadline.signal },
    );
    await new Promise((resolve) => setImmediate(resolve));
    deadline.abort(new Error('out of time'));

    // Assess
    await expect(outcome).rejects.toThrow('out of time');
    expect(calls.signals.length).toBeGreaterThan(0);
    expect(calls.signals.every((signal) => signal.aborted)).toBe(true);
    expect(calls.queries).toBeLessThanOrEqual(LIMITS.lookupConcurrency);
  });

  it('leaves no call outstanding once a page is answered', async () => {
    // Prepare
    const calls = noCalls();

    // Act
    await lookupPage(
      { query: { attributes: {}, ...WINDOW, maxResults: 5 }, fingerprint: 'q' },
      counted(sourceFlood, calls),
      { writeShards: SHARDS, tokens },
    );

    // Assess
    expect(calls.signals.length).toBe(storeCalls(calls));
    expect(calls.signals.every((signal) => signal.aborted)).toBe(true);
  });
});
