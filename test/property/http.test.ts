import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TrailConfig } from '../../lambda/adapters/config.js';
import type { HttpEvent, HttpResult } from '../../lambda/adapters/http.js';
import { LIMITS } from '../../lambda/core/limits.js';
import { LOOKUP_KEYS } from '../../lambda/core/lookup.js';
import { createIngestHandler } from '../../lambda/routes/ingest.js';
import { createLookupHandler } from '../../lambda/routes/lookup.js';
import { NOW_MS, sampleEvent } from '../fixtures/events.js';
import { httpEvent as baseHttpEvent, HTTP_CONTEXT } from '../fixtures/http.js';
import { MemoryInsightStore } from '../fixtures/memory-insight-store.js';
import { MemoryEventStore } from '../fixtures/memory-store.js';
import { eventJson, jsonish, producerEvent, REUSED_IDS, weirdString } from './arbitraries.js';

const CONFIG: TrailConfig = { tableName: 'trail', region: 'us-east-1', retentionDays: 90, writeShards: 2 };
const CONTEXT = HTTP_CONTEXT;
const httpEvent = baseHttpEvent;

/** 200, or a 4xx whose body is exactly `{ code, message }`; never a 5xx. */
function expectClearAnswer(response: HttpResult): Record<string, unknown> {
  const body = JSON.parse(response.body ?? '') as Record<string, unknown>;
  if (response.statusCode === 200) return body;
  expect(response.statusCode, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
  expect(response.statusCode, JSON.stringify(body)).toBeLessThan(500);
  expect(Object.keys(body).sort()).toEqual(['code', 'message']);
  expect(typeof body.code).toBe('string');
  expect(typeof body.message).toBe('string');
  return body;
}

/** The CloudTrail-compatible routes answer errors in CloudTrail's shapes: `__type` (JSON 1.1) or `code`. */
function expectCloudTrailAnswer(response: HttpResult): void {
  expect(response.statusCode, response.body).toBeLessThan(500);
  if (response.statusCode === 200) return;
  expect(response.statusCode).toBeGreaterThanOrEqual(400);
  const body = JSON.parse(response.body ?? '') as Record<string, unknown>;
  expect(typeof (body.__type ?? body.code)).toBe('string');
  expect(typeof body.message).toBe('string');
  expect(response.headers?.['x-amzn-errortype']).toBe(body.__type ?? body.code);
}

/** Request bodies: well-formed events and batches, JSON of any shape, raw text, duplicate keys, huge bodies. */
const body = fc.oneof(
  { weight: 4, arbitrary: eventJson },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.oneof(producerEvent, jsonish), { minLength: 0, maxLength: LIMITS.eventsPerRequest + 2 })
      .map((events) => JSON.stringify({ events })),
  },
  { weight: 1, arbitrary: jsonish.map((value) => JSON.stringify(value) ?? '') },
  { weight: 1, arbitrary: weirdString },
  {
    weight: 1,
    // Duplicate keys: JSON.parse keeps the last one; the stored record must agree with it.
    arbitrary: fc
      .tuple(weirdString, weirdString)
      .map(([first, last]) =>
        JSON.stringify(sampleEvent()).replace(
          '"eventName":"CreateOrder"',
          `"eventName":${JSON.stringify(first)},"eventName":${JSON.stringify(last)}`,
        ),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        '{"eventName":1e400}',
        '{"a":-0}',
        '[',
        '{"events":[',
        '\u0000',
        '{"events":null}',
        'null',
      )
      .map((text) => text),
  },
);

/** Base64 bodies (isBase64Encoded): valid UTF-8 JSON, or arbitrary bytes that may not be UTF-8 at all. */
const base64Body = fc.oneof(
  eventJson.map((text) => Buffer.from(text, 'utf8').toString('base64')),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('base64')),
  fc
    .tuple(eventJson, fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]))
    .map(([text, bad]) => Buffer.concat([Buffer.from(text), Buffer.from(bad)]).toString('base64')),
);

const LOOKUP_PARAMETERS = [
  'startTime',
  'endTime',
  'maxResults',
  'nextToken',
  'EventCategory',
  ...LOOKUP_KEYS,
  // Keys OpenTrail does not look up by: refused with InvalidParameter.
  'ErrorCode',
  'ClientType',
  'SourceIPAddress',
];
const parameterValue = fc.oneof(
  weirdString,
  fc.date().map((date) => (Number.isNaN(date.getTime()) ? 'Invalid' : date.toISOString())),
  fc.integer().map(String),
  fc.constantFrom(
    'true',
    'false',
    'insight',
    '0',
    '1000',
    '1001',
    '%',
    '2026-11-23T00:00:00Z',
    'orders.example.com',
  ),
);
const queryParameters = fc.dictionary(
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...LOOKUP_PARAMETERS) },
    { weight: 1, arbitrary: weirdString },
  ),
  parameterValue,
  { maxKeys: 4 },
);

describe('the HTTP routes on generated requests', () => {
  beforeAll(() => {
    // Ingest writes EMF metric lines to stdout; thousands of them would bury the test report.
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });

  it('POST /events answers 200 or a clear 4xx, and never changes a record it stored before', async () => {
    // Prepare: events stored under the producer ids the generator reuses, so repeats meet stored records.
    const store = new MemoryEventStore();
    const ingest = createIngestHandler({ config: CONFIG, writer: store, now: () => NOW_MS });
    const put = (request: Partial<HttpEvent>) =>
      ingest(httpEvent({ routeKey: 'POST /events', ...request }), CONTEXT);
    await put({ body: JSON.stringify({ events: REUSED_IDS.map((id) => sampleEvent({ id })) }) });
    const seen = new Map(store.records);
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 4, arbitrary: body.map((text) => ({ body: text, isBase64Encoded: false })) },
          { weight: 1, arbitrary: base64Body.map((text) => ({ body: text, isBase64Encoded: true })) },
        ),
        async (request) => {
          // Act
          const answer = expectClearAnswer(await put(request));
          // Assess
          if (!('successful' in answer)) return;
          const successful = answer.successful as Array<{ index: number; eventID: string }>;
          const results = [...successful, ...(answer.failed as []), ...(answer.filtered as [])];
          const indexes = results.map((result: { index: number }) => result.index).sort((a, b) => a - b);
          expect(indexes).toEqual(indexes.map((_, i) => i));
          for (const { eventID } of successful) {
            const record = store.records.get(eventID);
            expect(record).toBeDefined();
            if (seen.has(eventID)) expect(record).toBe(seen.get(eventID));
            seen.set(eventID, record as string);
          }
          stored += successful.length;
        },
      ),
      { numRuns: 1500 },
    );
    for (const [eventID, record] of seen) expect(store.records.get(eventID)).toBe(record);
    expect(stored).toBeGreaterThan(300);
  });

  it('GET /events answers any query string with 200 or a clear 4xx', async () => {
    const store = new MemoryEventStore();
    const ingest = createIngestHandler({ config: CONFIG, writer: store, now: () => NOW_MS });
    await ingest(
      httpEvent({
        routeKey: 'POST /events',
        body: JSON.stringify({ events: Array.from({ length: 30 }, () => sampleEvent()) }),
      }),
      CONTEXT,
    );
    const lookup = createLookupHandler({
      config: CONFIG,
      reader: store,
      counters: new MemoryInsightStore(),
      tokenSecret: async () => 'x'.repeat(32),
      now: () => NOW_MS,
    });
    let found = 0;
    await fc.assert(
      fc.asyncProperty(queryParameters, async (queryStringParameters) => {
        const response = await lookup(httpEvent({ routeKey: 'GET /events', queryStringParameters }), CONTEXT);
        const answer = expectClearAnswer(response);
        if (response.statusCode === 200) found += (answer.events as unknown[]).length;
      }),
      { numRuns: 2000 },
    );
    expect(found).toBeGreaterThan(0);
  });

  it('GET /events/{eventId} answers any id with the record, a 404 or a clear 4xx', async () => {
    const store = new MemoryEventStore();
    const lookup = createLookupHandler({
      config: CONFIG,
      reader: store,
      counters: new MemoryInsightStore(),
      tokenSecret: async () => 'x'.repeat(32),
      now: () => NOW_MS,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(weirdString, fc.constantFrom('%', '%E0%A4%A', '%zz', '01JD0000000000000000000000')),
        async (eventId) => {
          const response = await lookup(
            httpEvent({ routeKey: 'GET /events/{eventId}', pathParameters: { eventId } }),
            CONTEXT,
          );
          expectClearAnswer(response);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('the CloudTrail-compatible routes answer any body with 200 or a 4xx in CloudTrail form', async () => {
    const store = new MemoryEventStore();
    const ingest = createIngestHandler({ config: CONFIG, writer: store, now: () => NOW_MS });
    const lookup = createLookupHandler({
      config: CONFIG,
      reader: store,
      counters: new MemoryInsightStore(),
      tokenSecret: async () => 'x'.repeat(32),
      now: () => NOW_MS,
    });
    const lookupBody = fc.oneof(
      fc
        .record(
          {
            LookupAttributes: fc.oneof(
              fc.array(
                fc.record({
                  AttributeKey: fc.constantFrom(...LOOKUP_PARAMETERS),
                  AttributeValue: parameterValue,
                }),
              ),
              jsonish,
            ),
            StartTime: fc.oneof(fc.integer(), fc.double(), parameterValue),
            EndTime: fc.oneof(fc.integer(), parameterValue),
            MaxResults: fc.oneof(fc.integer({ min: -5, max: 60 }), jsonish),
            NextToken: weirdString,
            EventCategory: fc.oneof(fc.constant('insight'), weirdString),
          },
          { requiredKeys: [] },
        )
        .map((request) => JSON.stringify(request)),
      body,
    );
    const lakeEvent = fc.record(
      {
        version: fc.oneof(fc.constant('1.0'), weirdString),
        UID: weirdString,
        eventSource: weirdString,
        eventName: fc.constantFrom('CreateOrder', 'GetOrder'),
        eventTime: fc.oneof(fc.constant('2026-11-23T10:00:00Z'), weirdString),
        userIdentity: fc.oneof(
          fc.record({ type: weirdString, principalId: weirdString, details: jsonish }),
          jsonish,
        ),
        requestParameters: jsonish,
        extra: jsonish,
      },
      { requiredKeys: ['eventSource'] },
    );
    const auditEventsBody = fc.oneof(
      fc
        .array(
          fc.record(
            {
              id: fc.oneof(fc.stringMatching(/^[-_A-Za-z0-9]{1,128}$/), weirdString),
              eventData: fc.oneof(lakeEvent, jsonish).map((data) => JSON.stringify(data) ?? ''),
              eventDataChecksum: weirdString,
            },
            { requiredKeys: ['id', 'eventData'] },
          ),
          { maxLength: 5 },
        )
        .map((auditEvents) => JSON.stringify({ auditEvents })),
      body,
    );
    const channel = fc.oneof(
      { weight: 3, arbitrary: fc.constant('arn:aws:cloudtrail:us-east-1:111122223333:channel/orders') },
      { weight: 1, arbitrary: weirdString },
    );
    await fc.assert(
      fc.asyncProperty(lookupBody, auditEventsBody, channel, async (lookupText, putText, channelArn) => {
        const target = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents';
        expectCloudTrailAnswer(
          await lookup(
            httpEvent({
              routeKey: 'POST /',
              rawPath: '/',
              headers: { 'x-amz-target': target },
              body: lookupText,
            }),
            CONTEXT,
          ),
        );
        expectCloudTrailAnswer(
          await ingest(
            httpEvent({
              routeKey: 'POST /PutAuditEvents',
              rawPath: '/PutAuditEvents',
              queryStringParameters: { channelArn },
              body: putText,
            }),
            CONTEXT,
          ),
        );
      }),
      { numRuns: 1500 },
    );
  });
});
