import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TrailConfig } from '../../lambda/adapters/config.js';
import type { HttpEvent } from '../../lambda/adapters/http.js';
import { createFunctionLogger, logger as sharedLogger } from '../../lambda/adapters/logger.js';
import { createIngestHandler } from '../../lambda/routes/ingest.js';
import { createLookupHandler } from '../../lambda/routes/lookup.js';
import { NOW_MS, sampleEvent } from '../fixtures/events.js';
import { httpEvent as baseHttpEvent, HTTP_CONTEXT } from '../fixtures/http.js';
import { MemoryInsightStore } from '../fixtures/memory-insight-store.js';
import { MemoryEventStore } from '../fixtures/memory-store.js';

const CONFIG: TrailConfig = { tableName: 'trail', region: 'eu-west-1', retentionDays: 90, writeShards: 2 };
const CONTEXT = HTTP_CONTEXT;
const PRODUCER_ARN = 'arn:aws:iam::111122223333:user/producer';
const httpEvent = (fields: Parameters<typeof baseHttpEvent>[0]) => baseHttpEvent(fields, PRODUCER_ARN);

function setup() {
  const store = new MemoryEventStore();
  const now = () => NOW_MS;
  const ingest = createIngestHandler({ config: CONFIG, writer: store, now });
  const lookup = createLookupHandler({
    config: CONFIG,
    reader: store,
    counters: new MemoryInsightStore(),
    tokenSecret: async () => 'x'.repeat(32),
    now,
  });
  const put = (body: string, isBase64Encoded = false) =>
    ingest(httpEvent({ routeKey: 'POST /events', body, isBase64Encoded }), CONTEXT);
  const get = (queryStringParameters: Record<string, string>) =>
    lookup(httpEvent({ routeKey: 'GET /events', queryStringParameters }), CONTEXT);
  return { store, put, get, lookup };
}

describe('POST /events', () => {
  it('answers 200 with per-event results and records the producer and the API account', async () => {
    const { put, store } = setup();
    const response = await put(JSON.stringify({ events: [sampleEvent({ id: 'a' }), { eventName: 'x' }] }));
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body ?? '');
    expect(body.successful).toEqual([{ index: 0, id: 'a', eventID: expect.any(String) }]);
    expect(body.failed).toEqual([
      { index: 1, errorCode: 'FieldNotFound', errorMessage: expect.stringContaining('eventSource') },
    ]);
    const record = JSON.parse(store.records.get(body.successful[0].eventID) ?? '{}');
    expect(record.ingestion.producerArn).toBe('arn:aws:iam::111122223333:user/producer');
    expect(record.awsRegion).toBe('eu-west-1');
  });

  it('answers 400 with a code and a message for a malformed request', async () => {
    const { put } = setup();
    const response = await put('{"events": 3}');
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body ?? '')).toEqual({ code: 'InvalidRequest', message: expect.any(String) });
  });

  it('refuses a base64 body that is not UTF-8 instead of repairing it', async () => {
    const { put, store } = setup();
    const response = await put(Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), true);
    expect(response.statusCode).toBe(400);
    expect(store.records.size).toBe(0);
  });

  it('answers 500 without internals when the store breaks unexpectedly', async () => {
    const { put, store } = setup();
    store.writeEvents = async () => {
      throw new Error('secret internal detail');
    };
    const response = await put(JSON.stringify(sampleEvent()));
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret internal detail');
    expect(JSON.parse(response.body ?? '')).toMatchObject({ code: 'InternalError' });
  });
});

describe('GET /events', () => {
  it('returns stored records, newest first, with a nextToken that resumes the same query', async () => {
    // Prepare
    const { put, get } = setup();
    const events = [1, 2, 3].map((minute) =>
      sampleEvent({ eventTime: new Date(NOW_MS - minute * 60_000).toISOString() }),
    );
    await put(JSON.stringify({ events }));
    // Act
    const first = JSON.parse((await get({ maxResults: '2', EventName: 'CreateOrder' })).body ?? '');
    const second = JSON.parse(
      (await get({ maxResults: '2', EventName: 'CreateOrder', nextToken: first.nextToken })).body ?? '',
    );
    // Assess
    expect(first.events.map((e: { eventTime: string }) => e.eventTime)).toEqual([
      events[0]?.eventTime,
      events[1]?.eventTime,
    ]);
    expect(second.events.map((e: { eventTime: string }) => e.eventTime)).toEqual([events[2]?.eventTime]);
    expect(second.nextToken).toBeUndefined();
  });

  it('answers 400 when a nextToken is reused with other parameters', async () => {
    const { put, get } = setup();
    await put(JSON.stringify({ events: [sampleEvent(), sampleEvent()] }));
    const first = JSON.parse((await get({ maxResults: '1' })).body ?? '');
    const reused = await get({ maxResults: '1', EventName: 'CreateOrder', nextToken: first.nextToken });
    expect(reused.statusCode).toBe(400);
    expect(JSON.parse(reused.body ?? '')).toMatchObject({ code: 'InvalidNextToken' });
  });

  it.each([
    [{ maxResults: '0' }, 'InvalidMaxResults'],
    [{ maxResults: '1001' }, 'InvalidMaxResults'],
    [{ maxResults: 'ten' }, 'InvalidMaxResults'],
    [{ startTime: 'yesterday' }, 'InvalidTimeRange'],
    [{ startTime: '2026-11-23T00:00:00Z', endTime: '2026-11-22T00:00:00Z' }, 'InvalidTimeRange'],
    [{ ReadOnly: 'maybe' }, 'InvalidLookupAttributes'],
    [{ EventName: '' }, 'InvalidLookupAttributes'],
    [{ eventName: 'x' }, 'InvalidParameter'],
  ])('answers 400 for %j with %s', async (parameters, code) => {
    const response = await setup().get(parameters);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body ?? '')).toMatchObject({ code });
  });
});

describe('GET /events/{eventId}', () => {
  it('returns the stored record byte for byte, and 404 for an unknown id', async () => {
    const { put, lookup, store } = setup();
    const body = JSON.parse((await put(JSON.stringify(sampleEvent()))).body ?? '');
    const eventId = body.successful[0].eventID as string;
    const found = await lookup(
      httpEvent({ routeKey: 'GET /events/{eventId}', pathParameters: { eventId } }),
      CONTEXT,
    );
    expect(found.statusCode).toBe(200);
    expect(found.body).toBe(store.records.get(eventId));
    for (const unknown of ['01ABCDEFGHJKMNPQRSTVWXYZ00', 'not-an-id']) {
      const missing = await lookup(
        httpEvent({ routeKey: 'GET /events/{eventId}', pathParameters: { eventId: unknown } }),
        CONTEXT,
      );
      expect(missing.statusCode).toBe(404);
      expect(JSON.parse(missing.body ?? '')).toMatchObject({ code: 'EventNotFound' });
    }
  });
});

describe('POST / (CloudTrail LookupEvents)', () => {
  const LOOKUP_TARGET = 'CloudTrail_20131101.LookupEvents';
  const lookupEventsCall = (
    lookup: ReturnType<typeof setup>['lookup'],
    body: Record<string, unknown>,
    target = LOOKUP_TARGET,
  ) =>
    lookup(
      httpEvent({
        routeKey: 'POST /',
        rawPath: '/',
        headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.1' },
        body: JSON.stringify(body),
      }),
      CONTEXT,
    );

  it('pages newest first in CloudTrail shape until NextToken is absent', async () => {
    // Prepare
    const { put, lookup } = setup();
    const events = [1, 2, 3].map((minute) =>
      sampleEvent({ eventTime: new Date(NOW_MS - minute * 60_000).toISOString() }),
    );
    await put(JSON.stringify({ events }));
    const request = {
      LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'alice' }],
      MaxResults: 2,
    };

    // Act
    const first = await lookupEventsCall(lookup, request);
    const firstBody = JSON.parse(first.body ?? '');
    const second = JSON.parse(
      (await lookupEventsCall(lookup, { ...request, NextToken: firstBody.NextToken })).body ?? '',
    );

    // Assess
    expect(first.headers).toMatchObject({ 'content-type': 'application/x-amz-json-1.1' });
    expect(firstBody.Events.map((e: { EventTime: number }) => e.EventTime)).toEqual(
      events.slice(0, 2).map((event) => Date.parse(String(event.eventTime)) / 1000),
    );
    expect(firstBody.Events[0]).toMatchObject({
      EventName: 'CreateOrder',
      Username: 'alice',
      ReadOnly: 'false',
    });
    expect(second.Events).toHaveLength(1);
    expect(second.NextToken).toBeUndefined();
  });

  it('answers errors as {__type, message} with x-amzn-errortype, HTTP 400', async () => {
    // Act
    const response = await lookupEventsCall(setup().lookup, { MaxResults: 51 });

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.headers).toMatchObject({ 'x-amzn-errortype': 'InvalidMaxResultsException' });
    expect(JSON.parse(response.body ?? '')).toEqual({
      __type: 'InvalidMaxResultsException',
      message: expect.any(String),
    });
  });

  it('answers InvalidNextTokenException to a token from another query', async () => {
    // Prepare
    const { put, lookup } = setup();
    await put(JSON.stringify({ events: [sampleEvent(), sampleEvent()] }));
    const first = JSON.parse((await lookupEventsCall(lookup, { MaxResults: 1 })).body ?? '');

    // Act
    const reused = await lookupEventsCall(lookup, {
      MaxResults: 1,
      EventCategory: 'insight',
      NextToken: first.NextToken,
    });

    // Assess
    expect(JSON.parse(reused.body ?? '')).toMatchObject({ __type: 'InvalidNextTokenException' });
  });

  it('reads a base64-encoded body, as API Gateway may pass a non-text content type', async () => {
    // Prepare
    const { put, lookup } = setup();
    await put(JSON.stringify(sampleEvent()));

    // Act
    const response = await lookup(
      httpEvent({
        routeKey: 'POST /',
        rawPath: '/',
        headers: { 'x-amz-target': LOOKUP_TARGET },
        body: Buffer.from(JSON.stringify({ MaxResults: 1 })).toString('base64'),
        isBase64Encoded: true,
      }),
      CONTEXT,
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body ?? '').Events).toHaveLength(1);
  });

  it("answers UnsupportedOperationException to a CloudTrail write (the trail's reads: test/unit/cloudtrail)", async () => {
    // Act
    const response = await lookupEventsCall(setup().lookup, {}, 'CloudTrail_20131101.DeleteTrail');

    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body ?? '')).toMatchObject({ __type: 'UnsupportedOperationException' });
  });
});

describe('POST /PutAuditEvents (CloudTrail Data)', () => {
  const ACCOUNT = '111122223333';
  const channel = (name: string) => `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:channel/${name}`;
  const eventData = (uid: string) =>
    JSON.stringify({
      version: '1',
      userIdentity: { type: 'Custom', principalId: 'p-1', details: { a: 1 } },
      eventSource: 'app.example.com',
      eventName: 'DoThing',
      eventTime: new Date(NOW_MS - 60_000).toISOString().replace('.000', ''),
      UID: uid,
      recipientAccountId: ACCOUNT,
    });

  function setupChannels(principals?: string[]) {
    const store = new MemoryEventStore();
    const config: TrailConfig = {
      ...CONFIG,
      channels: [
        { name: 'default', arn: channel('default') },
        { name: 'locked', arn: channel('locked'), ...(principals ? { principals } : {}) },
      ],
    };
    const ingest = createIngestHandler({ config, writer: store, now: () => NOW_MS });
    const put = (queryStringParameters: Record<string, string>, body: unknown) =>
      ingest(
        httpEvent({
          routeKey: 'POST /PutAuditEvents',
          rawPath: '/PutAuditEvents',
          queryStringParameters,
          body: JSON.stringify(body),
        }),
        CONTEXT,
      );
    return { put, store };
  }

  it('stores audit events with the channel and externalId and answers {successful, failed}', async () => {
    // Prepare
    const { put, store } = setupChannels();

    // Act
    const response = await put(
      { channelArn: channel('default'), externalId: 'tenant-1' },
      {
        auditEvents: [
          { id: 'e1', eventData: eventData('u1') },
          { id: 'e2', eventData: eventData('u2'), eventDataChecksum: 'wrong' },
        ],
      },
    );

    // Assess
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body ?? '');
    expect(body).toEqual({
      successful: [{ id: 'e1', eventID: expect.any(String) }],
      failed: [{ id: 'e2', errorCode: 'InvalidChecksum', errorMessage: expect.any(String) }],
    });
    const record = JSON.parse(store.records.get(body.successful[0].eventID) ?? '{}');
    expect(record.ingestion).toMatchObject({
      id: 'u1',
      channelArn: channel('default'),
      externalId: 'tenant-1',
      producerArn: 'arn:aws:iam::111122223333:user/producer',
    });
    expect(record.userIdentity.details).toEqual({ a: 1 });
  });

  it.each([
    [{ channelArn: 'not-an-arn!' }, 400, 'InvalidChannelARN'],
    [{ channelArn: channel('missing') }, 400, 'ChannelNotFound'],
    [{}, 400, 'InvalidChannelARN'],
  ])('refuses %j with %s %s and the x-amzn-errortype header', async (query, status, code) => {
    // Act
    const response = await setupChannels().put(query, {
      auditEvents: [{ id: 'e1', eventData: eventData('u1') }],
    });

    // Assess
    expect(response.statusCode).toBe(status);
    expect(response.headers).toMatchObject({ 'x-amzn-errortype': code });
    expect(JSON.parse(response.body ?? '')).toEqual({ code, message: expect.any(String) });
  });

  it('answers 403 ChannelInsufficientPermission to a producer the channel does not list', async () => {
    // Prepare
    const { put, store } = setupChannels(['arn:aws:iam::111122223333:role/Writer']);

    // Act
    const response = await put(
      { channelArn: channel('locked') },
      {
        auditEvents: [{ id: 'e1', eventData: eventData('u1') }],
      },
    );

    // Assess
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body ?? '')).toMatchObject({ code: 'ChannelInsufficientPermission' });
    expect(store.records.size).toBe(0);
  });

  it('answers DuplicatedAuditEventId when two entries share an id', async () => {
    // Act
    const response = await setupChannels().put(
      { channelArn: channel('default') },
      {
        auditEvents: [
          { id: 'same', eventData: eventData('u1') },
          { id: 'same', eventData: eventData('u2') },
        ],
      },
    );

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.headers).toMatchObject({ 'x-amzn-errortype': 'DuplicatedAuditEventId' });
  });
});

describe('the routers', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('answers 404 NotFound to a route key the function does not serve', async () => {
    // Prepare
    const { lookup } = setup();
    const ingest = createIngestHandler({ config: CONFIG, writer: new MemoryEventStore(), now: () => NOW_MS });

    // Act
    const answers = await Promise.all([
      ingest(httpEvent({ routeKey: 'GET /events' }), CONTEXT),
      lookup(httpEvent({ routeKey: 'POST /events' }), CONTEXT),
    ]);

    // Assess
    for (const answer of answers) {
      expect(answer.statusCode).toBe(404);
      expect(JSON.parse(answer.body ?? '')).toMatchObject({ code: 'NotFound' });
    }
  });

  it('log through the logger they are given, not the shared one, each line with its own request id', async () => {
    // Prepare
    const lines: string[] = [];
    const own = createFunctionLogger({ sink: (line) => lines.push(line), logLevel: 'INFO' });
    const sharedInfo = vi.spyOn(sharedLogger, 'info');
    const store = new MemoryEventStore();
    const ingest = createIngestHandler({ config: CONFIG, writer: store, now: () => NOW_MS, logger: own });
    const lookup = createLookupHandler({
      config: CONFIG,
      reader: store,
      counters: new MemoryInsightStore(),
      tokenSecret: async () => 'x'.repeat(32),
      now: () => NOW_MS,
      logger: own,
    });

    const withRequestId = (event: HttpEvent, requestId: string): HttpEvent => ({
      ...event,
      requestContext: { ...event.requestContext, requestId },
    });

    // Act: the three at once, as local mode serves them.
    await Promise.all([
      ingest(
        withRequestId(httpEvent({ routeKey: 'POST /events', body: JSON.stringify(sampleEvent()) }), 'put-1'),
        CONTEXT,
      ),
      lookup(withRequestId(httpEvent({ routeKey: 'GET /events' }), 'lookup-1'), CONTEXT),
      lookup(
        withRequestId(
          httpEvent({ routeKey: 'GET /events', queryStringParameters: { maxResults: '0' } }),
          'bad-1',
        ),
        CONTEXT,
      ),
    ]);

    // Assess
    const logged = lines.map((line) => JSON.parse(line) as { message: string; requestId: string });
    expect(logged.map(({ message, requestId }) => `${requestId} ${message}`).sort()).toEqual([
      'bad-1 request refused',
      'lookup-1 events looked up',
      'put-1 events put',
    ]);
    expect(sharedInfo).not.toHaveBeenCalled();
  });
});
