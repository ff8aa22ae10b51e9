import { describe, expect, it } from 'vitest';
import type { TrailConfig } from '../../lambda/adapters/config.js';
import { minuteOf } from '../../lambda/core/insights/counters.js';
import { INSIGHT_KEYS_CATALOG_PK } from '../../lambda/core/insights/key-catalog.js';
import { SOURCE_CATALOG_PK } from '../../lambda/core/keys.js';
import { createIngestHandler } from '../../lambda/routes/ingest.js';
import { createLookupHandler } from '../../lambda/routes/lookup.js';
import { NOW_MS, sampleEvent } from '../fixtures/events.js';
import { HTTP_CONTEXT, httpEvent } from '../fixtures/http.js';
import { MemoryInsightStore } from '../fixtures/memory-insight-store.js';
import { MemoryEventStore } from '../fixtures/memory-store.js';
import { KEY, KEY_ID, storeInsight, WRITE_SHARDS } from './insights/insight-kit.js';

const CONFIG: TrailConfig = {
  tableName: 'trail',
  region: 'eu-west-1',
  retentionDays: 90,
  writeShards: WRITE_SHARDS,
};
const NOW_MINUTE = minuteOf(NOW_MS);

function setup() {
  const store = new MemoryEventStore();
  const counters = new MemoryInsightStore();
  const now = () => NOW_MS;
  const lookup = createLookupHandler({
    config: CONFIG,
    reader: store,
    counters,
    tokenSecret: async () => 'x'.repeat(32),
    now,
  });
  const ingest = createIngestHandler({ config: CONFIG, writer: store, now });
  const get = async (
    routeKey: string,
    pathParameters: Record<string, string>,
    queryStringParameters?: Record<string, string>,
  ) => {
    const response = await lookup(
      httpEvent({ routeKey, pathParameters, ...(queryStringParameters ? { queryStringParameters } : {}) }),
      HTTP_CONTEXT,
    );
    return {
      status: response.statusCode,
      body: JSON.parse(response.body ?? '{}') as Record<string, unknown>,
    };
  };
  const series = (sharedEventID: string, query?: Record<string, string>) =>
    get('GET /insights/{sharedEventID}/series', { sharedEventID }, query);
  const values = (attribute: string, query?: Record<string, string>) =>
    get('GET /values/{attribute}', { attribute }, query);
  return { store, counters, ingest, series, values };
}

describe('GET /insights/{sharedEventID}/series', () => {
  it('answers the per-minute counts of the insight key with its window and attributions', async () => {
    // Prepare
    const { store, counters, series } = setup();
    const id = await storeInsight(store, NOW_MINUTE - 60, NOW_MINUTE - 50, NOW_MS);
    counters.setCount(KEY_ID, KEY, NOW_MINUTE - 60, 120);

    // Act
    const response = await series(id, { baselineMinutes: '30' });

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      key: KEY,
      insightStart: new Date((NOW_MINUTE - 60) * 60_000).toISOString(),
      insightEnd: new Date((NOW_MINUTE - 50) * 60_000).toISOString(),
      attributions: [expect.objectContaining({ attribute: 'userIdentityArn' })],
    });
    const minutes = response.body.minutes as Array<{ count: number; baseline?: number }>;
    expect(minutes).toHaveLength(30 + 11 + 30);
    expect(minutes[30]).toMatchObject({ count: 120, baseline: 4 });
  });

  it('answers 404 InsightNotFound for a sharedEventID no insight has', async () => {
    // Act
    const response = await setup().series('00000000-0000-4000-a000-000000000000');

    // Assess
    expect(response).toEqual({
      status: 404,
      body: { code: 'InsightNotFound', message: expect.any(String) },
    });
  });

  it('answers 400 InvalidParameter for a malformed id, baselineMinutes or an unknown parameter', async () => {
    // Prepare
    const { store, series } = setup();
    const id = await storeInsight(store, NOW_MINUTE - 60, undefined, NOW_MS);

    // Act
    const responses = await Promise.all([
      series('not-an-id'),
      series(id, { baselineMinutes: '20000' }),
      series(id, { baselineMinutes: 'soon' }),
      series(id, { window: '1' }),
    ]);

    // Assess
    for (const response of responses) {
      expect(response).toMatchObject({ status: 400, body: { code: 'InvalidParameter' } });
    }
  });
});

describe('GET /values/{attribute}', () => {
  it('suggests event sources from the source catalog, by prefix, sorted and bounded by maxResults', async () => {
    // Prepare
    const { store, values } = setup();
    const sources = ['s3.example.com', 'iam.example.com', 'sqs.example.com', 'ec2.example.com'];
    await store.writeCatalog(
      sources.map((eventSource, i) => ({ pk: SOURCE_CATALOG_PK, sk: `h${i}`, attributes: { eventSource } })),
      0,
    );

    // Act
    const all = await values('EventSource');
    const someS = await values('EventSource', { prefix: 's', maxResults: '1' });

    // Assess
    expect(all).toEqual({
      status: 200,
      body: {
        attribute: 'EventSource',
        values: ['ec2.example.com', 'iam.example.com', 's3.example.com', 'sqs.example.com'],
        truncated: false,
      },
    });
    expect(someS.body).toEqual({ attribute: 'EventSource', values: ['s3.example.com'], truncated: true });
  });

  it('suggests event names from the insight key catalog, each once', async () => {
    // Prepare
    const { store, values } = setup();
    const keys = [
      KEY,
      { ...KEY, insightType: 'ApiErrorRateInsight', errorCode: 'AccessDenied' },
      { ...KEY, eventName: 'DeleteUser' },
    ];
    await store.writeCatalog(
      keys.map((key, i) => ({
        pk: INSIGHT_KEYS_CATALOG_PK,
        sk: `k${i}`,
        attributes: { key: JSON.stringify(key) },
      })),
      0,
    );

    // Act
    const response = await values('EventName');

    // Assess
    expect(response.body).toEqual({
      attribute: 'EventName',
      values: ['CreateUser', 'DeleteUser'],
      truncated: false,
    });
  });

  it('suggests the users of the newest events', async () => {
    // Prepare
    const { ingest, values } = setup();
    const events = ['alice', 'bob', 'alice', 'carol'].map((userName, i) =>
      sampleEvent({ id: `u${i}`, userIdentity: { type: 'IAMUser', userName } }),
    );
    const put = await ingest(
      httpEvent({ routeKey: 'POST /events', body: JSON.stringify({ events }) }, 'arn:aws:iam::1:user/p'),
      HTTP_CONTEXT,
    );
    expect(put.statusCode).toBe(200);

    // Act
    const response = await values('Username', { prefix: 'a' });

    // Assess
    expect(response.body).toEqual({ attribute: 'Username', values: ['alice'], truncated: false });
  });

  it('answers 400 for an attribute it does not suggest, maxResults over 100 and an unknown parameter', async () => {
    // Prepare
    const { values } = setup();

    // Act
    const [attribute, max, unknown] = await Promise.all([
      values('ResourceName'),
      values('EventSource', { maxResults: '101' }),
      values('EventSource', { startTime: '2026-01-01T00:00:00Z' }),
    ]);

    // Assess
    expect(attribute).toMatchObject({ status: 400, body: { code: 'InvalidParameter' } });
    expect(max).toMatchObject({ status: 400, body: { code: 'InvalidMaxResults' } });
    expect(unknown).toMatchObject({ status: 400, body: { code: 'InvalidParameter' } });
  });
});
