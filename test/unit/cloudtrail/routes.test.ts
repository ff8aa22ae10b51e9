import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TrailConfig } from '../../../lambda/adapters/config.js';
import { publishIngestMetrics } from '../../../lambda/adapters/ingest-metrics.js';
import { eventDataChecksum } from '../../../lambda/core/cloudtrail/audit-events.js';
import { CLOUDTRAIL_TARGET_PREFIXES } from '../../../lambda/core/cloudtrail/operations.js';
import { routeKey, TRAIL_ROUTES } from '../../../lambda/core/trail-routes.js';
import { createIngestHandler } from '../../../lambda/routes/ingest.js';
import { createLookupHandler } from '../../../lambda/routes/lookup.js';
import { NOW_MS } from '../../fixtures/events.js';
import { HTTP_CONTEXT, httpEvent } from '../../fixtures/http.js';
import { MemoryInsightStore } from '../../fixtures/memory-insight-store.js';
import { MemoryEventStore } from '../../fixtures/memory-store.js';

const ACCOUNT = '111122223333';
const CHANNEL_ARN = `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:channel/default`;
const CONFIG: TrailConfig = {
  tableName: 'trail',
  region: 'eu-west-1',
  retentionDays: 90,
  writeShards: 2,
  channels: [{ name: 'default', arn: CHANNEL_ARN }],
};
const PRODUCER_ARN = `arn:aws:iam::${ACCOUNT}:user/producer`;
/** `{`, a byte that is never UTF-8, `}`. */
const NOT_UTF8_BASE64 = Buffer.from([0x7b, 0xff, 0x7d]).toString('base64');

const eventData = (uid: string, overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    version: '1',
    userIdentity: { type: 'Custom', principalId: 'p-1' },
    eventSource: 'app.example.com',
    eventName: 'DoThing',
    eventTime: new Date(NOW_MS - 60_000).toISOString().replace('.000', ''),
    UID: uid,
    recipientAccountId: ACCOUNT,
    ...overrides,
  });

function putAuditEvents(body: string, isBase64Encoded = false) {
  const ingest = createIngestHandler({ config: CONFIG, writer: new MemoryEventStore(), now: () => NOW_MS });
  return ingest(
    httpEvent(
      {
        routeKey: routeKey(TRAIL_ROUTES.PutAuditEvents),
        rawPath: TRAIL_ROUTES.PutAuditEvents.path,
        queryStringParameters: { channelArn: CHANNEL_ARN },
        body,
        isBase64Encoded,
      },
      PRODUCER_ARN,
    ),
    HTTP_CONTEXT,
  );
}

// The route's metrics are disabled in unit tests: count what it hands to publishIngestMetrics instead.
vi.mock('../../../lambda/adapters/ingest-metrics.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../lambda/adapters/ingest-metrics.js')>();
  return { ...original, publishIngestMetrics: vi.fn(original.publishIngestMetrics) };
});

/** EventsRejected per ErrorCode, as the puts `run` makes publish them, in first-seen order. */
async function rejectedWhile(run: () => Promise<unknown>): Promise<Array<[string, number]>> {
  const publish = vi.mocked(publishIngestMetrics);
  publish.mockClear();
  await run();
  const counts = new Map<string, number>();
  for (const [outcome] of publish.mock.calls) {
    for (const { errorCode } of outcome.failed) counts.set(errorCode, (counts.get(errorCode) ?? 0) + 1);
  }
  return [...counts];
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a body that is not UTF-8', () => {
  it("answers LookupEvents (awsJson) with SerializationException in the protocol's error shape", async () => {
    // Prepare
    const lookup = createLookupHandler({
      config: CONFIG,
      reader: new MemoryEventStore(),
      counters: new MemoryInsightStore(),
      tokenSecret: async () => 'x'.repeat(32),
      now: () => NOW_MS,
    });

    // Act
    const response = await lookup(
      httpEvent({
        routeKey: routeKey(TRAIL_ROUTES.LookupEvents),
        rawPath: TRAIL_ROUTES.LookupEvents.path,
        headers: { 'x-amz-target': `${CLOUDTRAIL_TARGET_PREFIXES[0]}LookupEvents` },
        body: NOT_UTF8_BASE64,
        isBase64Encoded: true,
      }),
      HTTP_CONTEXT,
    );

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.headers?.['x-amzn-errortype']).toBe('SerializationException');
    expect(JSON.parse(response.body ?? '')).toEqual({
      __type: 'SerializationException',
      message: 'the request body is not valid UTF-8',
    });
  });

  it('answers PutAuditEvents (cloudtrail-data) with ValidationException', async () => {
    // Act
    const response = await putAuditEvents(NOT_UTF8_BASE64, true);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.headers?.['x-amzn-errortype']).toBe('ValidationException');
    expect(JSON.parse(response.body ?? '')).toEqual({
      code: 'ValidationException',
      message: 'the request body is not valid UTF-8',
    });
  });
});

describe('PutAuditEvents metrics', () => {
  it('counts every failed event under the code the client was told, refusals before ingest included', async () => {
    // Prepare: one stored, one bad checksum, one foreign recipient, one AWS event source (all refused before
    // ingest), and one over the userAgent limit (refused by ingest as EventTooLarge, told as FieldTooLong).
    const good = eventData('u1');
    const body = JSON.stringify({
      auditEvents: [
        { id: 'stored', eventData: good, eventDataChecksum: eventDataChecksum(good) },
        { id: 'checksum', eventData: eventData('u2'), eventDataChecksum: eventDataChecksum('other') },
        { id: 'recipient', eventData: eventData('u3', { recipientAccountId: '999999999999' }) },
        { id: 'source', eventData: eventData('u4', { eventSource: 's3.amazonaws.com' }) },
        { id: 'long', eventData: eventData('u5', { userAgent: 'x'.repeat(2000) }) },
      ],
    });
    let response: Awaited<ReturnType<typeof putAuditEvents>> | undefined;

    // Act
    const rejected = await rejectedWhile(async () => {
      response = await putAuditEvents(body);
    });

    // Assess
    const failed = JSON.parse(response?.body ?? '').failed as Array<{ id: string; errorCode: string }>;
    expect(failed.map(({ id, errorCode }) => [id, errorCode])).toEqual([
      ['checksum', 'InvalidChecksum'],
      ['recipient', 'InvalidRecipient'],
      ['source', 'InvalidEventSource'],
      ['long', 'FieldTooLong'],
    ]);
    expect(rejected).toEqual([
      ['InvalidChecksum', 1],
      ['InvalidRecipient', 1],
      ['InvalidEventSource', 1],
      ['FieldTooLong', 1],
    ]);
  });
});
