import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { TrailConfig } from '../../lambda/adapters/config.js';
import { DEADLINE_MARGIN_MS, type HttpResult } from '../../lambda/adapters/http.js';
import { newEventId } from '../../lambda/core/event-id.js';
import type { ProducerEvent, TrailRecord } from '../../lambda/core/event-model.js';
import { putEvents } from '../../lambda/core/ingest.js';
import { storedInsight } from '../../lambda/core/insights/records.js';
import { INSIGHTS_SOURCE } from '../../lambda/core/keys.js';
import type { EventReader, ReadOptions } from '../../lambda/core/ports.js';
import { createLookupHandler } from '../../lambda/routes/lookup.js';
import { ENRICHMENT, NOW_MS, sampleEvent, sampleRecord } from '../fixtures/events.js';
import { HTTP_CONTEXT, httpEvent } from '../fixtures/http.js';
import { MemoryInsightStore } from '../fixtures/memory-insight-store.js';
import { MemoryEventStore } from '../fixtures/memory-store.js';

/**
 * The lookup routes within Lambda's limits and the trail's rules (tracker issue 13): pages under the 6 MB response
 * limit on both protocols, times before 1970 or off the calendar refused as invalid time ranges, events past their
 * retention never returned, and an insight's eventID answered alike by GET /events/{eventId} and an EventId lookup.
 */

const CONFIG: TrailConfig = { tableName: 'trail', region: 'eu-west-1', retentionDays: 90, writeShards: 4 };
const DAY_MS = 86_400_000;
/** Lambda's synchronous response payload limit: the whole result object, the body as an escaped JSON string. */
const LAMBDA_RESPONSE_BYTES = 6 * 1024 * 1024;
const LOOKUP_TARGET = 'CloudTrail_20131101.LookupEvents';

function lookupOf(reader: EventReader, nowMs = NOW_MS) {
  const lookup = createLookupHandler({
    config: CONFIG,
    reader,
    counters: new MemoryInsightStore(),
    tokenSecret: async () => 'x'.repeat(32),
    now: () => nowMs,
  });
  return {
    list: (queryStringParameters: Record<string, string>, context: Context = HTTP_CONTEXT) =>
      lookup(httpEvent({ routeKey: 'GET /events', queryStringParameters }), context),
    get: (eventId: string, queryStringParameters?: Record<string, string>) =>
      lookup(
        httpEvent({ routeKey: 'GET /events/{eventId}', pathParameters: { eventId }, queryStringParameters }),
        HTTP_CONTEXT,
      ),
    lookupEvents: (body: Record<string, unknown>) =>
      lookup(
        httpEvent({
          routeKey: 'POST /',
          rawPath: '/',
          headers: { 'x-amz-target': LOOKUP_TARGET, 'content-type': 'application/x-amz-json-1.1' },
          body: JSON.stringify(body),
        }),
        HTTP_CONTEXT,
      ),
  };
}

async function storeWith(events: readonly Record<string, unknown>[]): Promise<MemoryEventStore> {
  const store = new MemoryEventStore();
  const result = await putEvents(events as ProducerEvent[], store, {
    ...ENRICHMENT,
    writeShards: CONFIG.writeShards,
  });
  expect(result.failed).toEqual([]);
  return store;
}

const bodyOf = (result: HttpResult) => JSON.parse(result.body ?? '') as Record<string, unknown>;
const payloadBytes = (result: HttpResult): number => Buffer.byteLength(JSON.stringify(result));
const minutesAgo = (minutes: number): string => new Date(NOW_MS - minutes * 60_000).toISOString();

describe('a lookup page fits in a Lambda response', () => {
  // 28 records of about 226 KB: 6.3 MB in one page, more once escaped in the response. Quotes make the record grow again when it is escaped.
  const big = (index: number) =>
    sampleEvent({
      eventSource: 'big.example.com',
      eventTime: minutesAgo(index + 1),
      requestParameters: { blob: '"x'.repeat(33_000) },
      responseElements: { blob: 'y'.repeat(99_000) },
      additionalEventData: { blob: 'z'.repeat(27_000) },
    });
  const bigStore = storeWith(Array.from({ length: 28 }, (_, index) => big(index)));

  it('ends GET /events early with a nextToken and pages through all 28 records', async () => {
    // Prepare
    const { list } = lookupOf(await bigStore);
    const ids: string[] = [];
    let nextToken: string | undefined;

    // Act
    for (let page = 0; page < 28; page++) {
      const result = await list({
        EventSource: 'big.example.com',
        maxResults: '50',
        ...(nextToken === undefined ? {} : { nextToken }),
      });
      // Assess
      expect(result.statusCode).toBe(200);
      expect(payloadBytes(result)).toBeLessThan(LAMBDA_RESPONSE_BYTES);
      const body = bodyOf(result) as { events: Array<{ eventID: string }>; nextToken?: string };
      ids.push(...body.events.map((event) => event.eventID));
      nextToken = body.nextToken;
      if (nextToken === undefined) break;
    }
    expect(ids).toHaveLength(28);
    expect(new Set(ids).size).toBe(28);
  });

  it('ends LookupEvents early with a NextToken, counting each record escaped inside CloudTrailEvent', async () => {
    // Prepare
    const { lookupEvents } = lookupOf(await bigStore);
    const ids: string[] = [];
    let nextToken: string | undefined;

    // Act
    for (let page = 0; page < 28; page++) {
      const result = await lookupEvents({
        MaxResults: 50,
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      });
      // Assess
      expect(result.statusCode).toBe(200);
      expect(payloadBytes(result)).toBeLessThan(LAMBDA_RESPONSE_BYTES);
      const body = bodyOf(result) as { Events: Array<{ EventId: string }>; NextToken?: string };
      ids.push(...body.Events.map((event) => event.EventId));
      nextToken = body.NextToken;
      if (nextToken === undefined) break;
    }
    expect(ids).toHaveLength(28);
    expect(new Set(ids).size).toBe(28);
  });
});

describe('lookup time windows', () => {
  it.each([
    ['before 1970', { startTime: '1969-12-31T23:59:59.999Z' }],
    ['an end before 1970', { startTime: '1969-12-31T23:59:59.000Z', endTime: '1969-12-31T23:59:59.999Z' }],
    ['31 September', { startTime: '2026-09-31T12:00:00Z' }],
    ['hour 24', { endTime: '2026-11-20T24:00:00Z' }],
    ['29 February of a common year', { startTime: '2026-02-29T00:00:00Z' }],
    ['month 13', { startTime: '2026-13-01' }],
  ])('answers GET /events with InvalidTimeRange for %s', async (_, times) => {
    // Act
    const result = await lookupOf(new MemoryEventStore()).list(times);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result)).toMatchObject({ code: 'InvalidTimeRange' });
  });

  it.each([
    ['StartTime before 1970', { StartTime: -0.001 }],
    ['both before 1970', { StartTime: -10, EndTime: -1 }],
  ])('answers LookupEvents with InvalidTimeRangeException for %s', async (_, times) => {
    // Act
    const result = await lookupOf(new MemoryEventStore()).lookupEvents(times);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(result.headers).toMatchObject({ 'x-amzn-errortype': 'InvalidTimeRangeException' });
  });

  it('still takes real calendar times: 29 February of a leap year, 23:59:59.999, an offset', async () => {
    // Act
    const result = await lookupOf(new MemoryEventStore()).list({
      startTime: '2024-02-29T23:59:59.999Z',
      endTime: '2026-11-20T10:00:00+01:00',
    });

    // Assess
    expect(result.statusCode).toBe(200);
  });
});

describe('events past their retention', () => {
  it('are not returned by any lookup nor by GET /events/{eventId}, though TTL has not deleted them', async () => {
    // Prepare: stored an hour before NOW; read 90 days later, when its retention ended an hour ago.
    const store = await storeWith([sampleEvent({ eventTime: minutesAgo(60) })]);
    const eventID = [...store.records.keys()][0] as string;
    const fresh = lookupOf(store);
    const later = lookupOf(store, NOW_MS + CONFIG.retentionDays * DAY_MS);
    const longAgo = { startTime: '2026-01-01T00:00:00Z' };

    // Act
    const results = {
      fresh: (bodyOf(await fresh.list(longAgo)).events as unknown[]).length,
      list: (bodyOf(await later.list(longAgo)).events as unknown[]).length,
      byId: (bodyOf(await later.list({ ...longAgo, EventId: eventID })).events as unknown[]).length,
      lookupEvents: (bodyOf(await later.lookupEvents({ StartTime: 0 })).Events as unknown[]).length,
      get: (await later.get(eventID)).statusCode,
    };

    // Assess
    expect(results).toEqual({ fresh: 1, list: 0, byId: 0, lookupEvents: 0, get: 404 });
  });
});

describe('an insight eventID', () => {
  it('is found by GET /events/{eventId} and EventId lookups only with EventCategory=insight', async () => {
    // Prepare
    const store = new MemoryEventStore();
    const timeMs = NOW_MS - 60_000;
    const record: TrailRecord = {
      ...sampleRecord({ eventTime: new Date(timeMs).toISOString() }),
      eventID: newEventId(timeMs, INSIGHTS_SOURCE, 0),
      eventType: 'Insight',
      eventCategory: 'Insight',
    };
    await store.writeEvents([storedInsight(record, CONFIG.retentionDays)]);
    const { list, get } = lookupOf(store);
    const insight = { EventCategory: 'insight' };

    // Act
    const results = {
      get: (await get(record.eventID)).statusCode,
      getInsight: (await get(record.eventID, insight)).statusCode,
      lookup: (bodyOf(await list({ EventId: record.eventID })).events as unknown[]).length,
      lookupInsight: (bodyOf(await list({ EventId: record.eventID, ...insight })).events as unknown[]).length,
    };

    // Assess
    expect(results).toEqual({ get: 404, getInsight: 200, lookup: 0, lookupInsight: 1 });
  });

  it('refuses a GET /events/{eventId} EventCategory other than insight', async () => {
    // Act
    const result = await lookupOf(new MemoryEventStore()).get('01ABCDEFGHJKMNPQRSTVWXYZ00', {
      EventCategory: 'management',
    });

    // Assess
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result)).toMatchObject({ code: 'InvalidEventCategory' });
  });
});

describe('the request deadline', () => {
  it('answers 503 and aborts the store calls still outstanding', async () => {
    // Prepare: every Query waits for its signal; the function has 20 ms left beyond the margin.
    const store = await storeWith([sampleEvent({ eventTime: minutesAgo(1) })]);
    const signals: AbortSignal[] = [];
    const reader: EventReader = {
      queryPartition: (_partition, _low, _high, _limit, options?: ReadOptions) =>
        new Promise((_, reject) => {
          if (options?.signal) signals.push(options.signal);
          options?.signal?.addEventListener('abort', () => reject(options.signal?.reason), { once: true });
        }),
      readRecords: (ids) => store.readRecords(ids),
      readCatalog: (pk, range) => store.readCatalog(pk, range),
    };
    const context = { ...HTTP_CONTEXT, getRemainingTimeInMillis: () => DEADLINE_MARGIN_MS + 20 } as Context;

    // Act
    const result = await lookupOf(reader).list({}, context);

    // Assess
    expect(result.statusCode).toBe(503);
    expect(signals.length).toBeGreaterThan(0);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });
});
