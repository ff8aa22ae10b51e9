import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACTION_MASK } from '../../lambda/core/redaction.js';
import {
  routeKey,
  TRAIL_ROUTE_NAMES,
  TRAIL_ROUTES,
  type TrailRouteName,
} from '../../lambda/core/trail-routes.js';
import { type LocalCaller, type LocalHandle, startLocal } from '../../local/runner.js';
import { cloudTrailClient } from '../support/cloudtrail-clients.js';
import { signedFetch } from '../support/signed-fetch.js';

process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';

/**
 * Least privilege in local mode (tracker issue 8): the producer pair may only put, the reader pair may only look
 * up, `credentials` may do both, exactly the route sets grantPut and grantLookup allow in AWS. The ingest policy
 * given to startLocal applies end to end: this trail records management writes only and masks `ssn`.
 */

const FORBIDDEN = { message: 'Forbidden' };
const LOOKUP_TARGET = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents';

describe('producer and reader credentials in local mode', () => {
  let local: LocalHandle;
  /** An event the producer put before the tests, for the lookup routes to find. */
  let storedEventId: string;
  const runId = `split${Date.now()}`;

  /** One request per route, as a client of that route sends it. */
  const requestFor = (name: TrailRouteName, eventName: string) => {
    const event = {
      eventSource: 'split.example.com',
      eventName,
      userIdentity: { type: 'IAMUser', userName: runId },
    };
    switch (name) {
      case 'PutEvents':
        return { path: '/events', method: 'POST', body: JSON.stringify(event) };
      case 'PutAuditEvents':
        return {
          path: `/PutAuditEvents?channelArn=${encodeURIComponent(local.channelArn)}`,
          method: 'POST',
          body: JSON.stringify({
            auditEvents: [
              {
                id: `${runId}-${eventName}`,
                eventData: JSON.stringify({
                  version: '1.0',
                  userIdentity: { type: 'IAMUser', principalId: runId },
                  eventSource: event.eventSource,
                  eventName,
                  eventTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
                  UID: `${runId}-${eventName}-uid`,
                  recipientAccountId: local.accountId,
                }),
              },
            ],
          }),
        };
      case 'ListEvents':
        return { path: `/events?Username=${runId}`, method: 'GET' };
      case 'GetEvent':
        return { path: `/events/${storedEventId}`, method: 'GET' };
      case 'GetInsightSeries':
        // No insight exists: the lookup function's 404 shows the request got past the route's grant.
        return { path: '/insights/00000000-0000-4000-a000-000000000000/series', method: 'GET' };
      case 'GetValueSuggestions':
        return { path: '/values/EventSource', method: 'GET' };
      case 'LookupEvents':
        return {
          path: '/',
          method: 'POST',
          headers: { 'x-amz-target': LOOKUP_TARGET, 'content-type': 'application/x-amz-json-1.1' },
          body: JSON.stringify({ LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: runId }] }),
        };
    }
  };

  const call = (caller: LocalCaller, name: TrailRouteName, eventName = 'CreateWidget') => {
    const { path, ...init } = requestFor(name, eventName);
    return signedFetch(new URL(path, local.apiUrl), {
      ...init,
      credentials: local[caller],
      region: local.region,
    });
  };

  /** Status and body of every route for one caller, keyed by route key. */
  const callEveryRoute = async (caller: LocalCaller) =>
    Object.fromEntries(
      await Promise.all(
        TRAIL_ROUTE_NAMES.map(async (name) => {
          const response = await call(caller, name);
          return [
            routeKey(TRAIL_ROUTES[name]),
            {
              status: response.status,
              errorType: response.headers.get('x-amzn-errortype'),
              body: await response.json(),
            },
          ] as const;
        }),
      ),
    );

  const putRoutes = TRAIL_ROUTE_NAMES.filter((name) => TRAIL_ROUTES[name].access === 'put').map((name) =>
    routeKey(TRAIL_ROUTES[name]),
  );
  const lookupRoutes = TRAIL_ROUTE_NAMES.filter((name) => TRAIL_ROUTES[name].access === 'lookup').map(
    (name) => routeKey(TRAIL_ROUTES[name]),
  );

  /** Each route answered as its function does: 200, and the series route's 404 for the insight no one opened. */
  const expectAnswered = (
    results: Record<string, { status: number; body: unknown }>,
    routes: readonly string[],
  ) => {
    const seriesRoute = routeKey(TRAIL_ROUTES.GetInsightSeries);
    for (const route of routes.filter((key) => key !== seriesRoute)) {
      expect(results[route]?.status, route).toBe(200);
    }
    if (routes.includes(seriesRoute)) {
      expect(results[seriesRoute]).toMatchObject({ status: 404, body: { code: 'InsightNotFound' } });
    }
  };

  const getEvent = async (eventID: string) =>
    (await signedFetch(new URL(`/events/${eventID}`, local.apiUrl), {
      credentials: local.readerCredentials,
      region: local.region,
    }).then((response) => response.json())) as Record<string, unknown>;

  beforeAll(async () => {
    local = await startLocal({
      selectors: { management: { read: false, write: true } },
      redaction: { keys: ['ssn'] },
    });
    const put = await call('producerCredentials', 'PutEvents');
    const { successful } = (await put.json()) as { successful: Array<{ eventID: string }> };
    storedEventId = successful[0]?.eventID ?? '';
  });

  afterAll(async () => {
    await local?.stop();
  });

  it('has three distinct pairs, each signing as its own IAM user', () => {
    // Assess
    const keys = [local.credentials, local.producerCredentials, local.readerCredentials].map(
      ({ accessKeyId }) => accessKeyId,
    );
    expect(new Set(keys).size).toBe(3);
    expect(local.callerArns).toEqual({
      credentials: 'arn:aws:iam::000000000000:user/local',
      producerCredentials: 'arn:aws:iam::000000000000:user/opentrail-producer',
      readerCredentials: 'arn:aws:iam::000000000000:user/opentrail-reader',
    });
  });

  it('lets the producer pair put on both put routes and answers its lookups with 403 Forbidden', async () => {
    // Act
    const results = await callEveryRoute('producerCredentials');

    // Assess
    for (const route of putRoutes) expect(results[route]?.status, route).toBe(200);
    for (const route of lookupRoutes) {
      expect(results[route], route).toEqual({
        status: 403,
        errorType: 'AccessDeniedException',
        body: FORBIDDEN,
      });
    }
  });

  it('lets the reader pair look up on every lookup route and answers its puts with 403 Forbidden', async () => {
    // Act
    const results = await callEveryRoute('readerCredentials');

    // Assess
    expectAnswered(results, lookupRoutes);
    expect(results['GET /events/{eventId}']?.body).toMatchObject({ eventID: storedEventId });
    expect(results['GET /events']?.body).toMatchObject({
      events: expect.arrayContaining([expect.objectContaining({ eventID: storedEventId })]),
    });
    for (const route of putRoutes) {
      expect(results[route], route).toEqual({
        status: 403,
        errorType: 'AccessDeniedException',
        body: FORBIDDEN,
      });
    }
  });

  it('surfaces the denial to @aws-sdk/client-cloudtrail as AccessDeniedException', async () => {
    // Prepare
    const asProducer = cloudTrailClient({ ...local, credentials: local.producerCredentials }, 'execute-api');
    const asReader = cloudTrailClient({ ...local, credentials: local.readerCredentials }, 'execute-api');
    const lookup = new LookupEventsCommand({
      LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: runId }],
    });

    try {
      // Act
      const [denied, allowed] = await Promise.allSettled([asProducer.send(lookup), asReader.send(lookup)]);

      // Assess
      expect(denied).toMatchObject({
        status: 'rejected',
        reason: { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } },
      });
      expect(allowed).toMatchObject({ status: 'fulfilled', value: { Events: expect.any(Array) } });
    } finally {
      asProducer.destroy();
      asReader.destroy();
    }
  });

  it('stores nothing for a put the reader was refused', async () => {
    // Act
    const refused = await call('readerCredentials', 'PutEvents', 'RefusedWidget');
    const lookup = await signedFetch(new URL('/events?EventName=RefusedWidget', local.apiUrl), {
      credentials: local.readerCredentials,
      region: local.region,
    });

    // Assess
    expect(refused.status).toBe(403);
    expect(await lookup.json()).toMatchObject({ events: [] });
  });

  it('lets the all-powerful pair call every route', async () => {
    // Act
    const results = await callEveryRoute('credentials');

    // Assess
    expectAnswered(results, [...putRoutes, ...lookupRoutes]);
  });

  it('refuses an unknown access key with 403 UnrecognizedClientException, as before the split', async () => {
    // Act
    const response = await signedFetch(new URL('/events', local.apiUrl), {
      credentials: { accessKeyId: 'nobody', secretAccessKey: 'nobody' },
      region: local.region,
    });

    // Assess
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      code: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
  });

  it("records the producer's ARN as ingestion.producerArn on both put routes", async () => {
    // Prepare
    const auditPut = await call('producerCredentials', 'PutAuditEvents', 'AuditWidget');
    const { successful } = (await auditPut.json()) as { successful: Array<{ eventID: string }> };

    // Act
    const [fromPutEvents, fromAuditEvents] = await Promise.all([
      getEvent(storedEventId),
      getEvent(successful[0]?.eventID ?? ''),
    ]);

    // Assess
    for (const record of [fromPutEvents, fromAuditEvents]) {
      expect(record).toMatchObject({ ingestion: { producerArn: local.callerArns.producerCredentials } });
    }
  });

  it('applies the selectors and redaction given to startLocal: a read is filtered, a write stored and masked', async () => {
    // Prepare
    const event = (eventName: string) => ({
      id: `${runId}-${eventName}`,
      eventSource: 'policy.example.com',
      eventName,
      userIdentity: { type: 'IAMUser', userName: runId },
      requestParameters: { ssn: '078-05-1120', widget: 'w-1' },
    });

    // Act
    const put = await signedFetch(new URL('/events', local.apiUrl), {
      method: 'POST',
      body: JSON.stringify({ events: [event('GetWidget'), event('UpdateWidget')] }),
      credentials: local.producerCredentials,
      region: local.region,
    });
    const result = (await put.json()) as {
      successful: Array<{ index: number; eventID: string }>;
      filtered: Array<{ index: number; eventID: string }>;
    };
    const [kept] = result.successful;
    const [dropped] = result.filtered;
    const [keptRecord, droppedLookup] = await Promise.all([
      getEvent(kept?.eventID ?? ''),
      signedFetch(new URL(`/events/${dropped?.eventID ?? ''}`, local.apiUrl), {
        credentials: local.readerCredentials,
        region: local.region,
      }),
    ]);

    // Assess
    expect(put.status).toBe(200);
    expect(result.successful.map(({ index }) => index)).toEqual([1]);
    expect(result.filtered.map(({ index }) => index)).toEqual([0]);
    expect(keptRecord).toMatchObject({
      eventName: 'UpdateWidget',
      requestParameters: { ssn: REDACTION_MASK, widget: 'w-1' },
    });
    expect(droppedLookup.status).toBe(404);
  });
});
