import {
  type CloudTrailClient,
  InvalidEventCategoryException,
  InvalidLookupAttributesException,
  InvalidMaxResultsException,
  InvalidNextTokenException,
  InvalidTimeRangeException,
  type LookupAttributeKey,
  LookupEventsCommand,
  type LookupEventsCommandInput,
  paginateLookupEvents,
} from '@aws-sdk/client-cloudtrail';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventDataChecksum, toLakeEventData } from '../../lambda/core/cloudtrail/audit-events.js';
import { LOOKUP_KEYS, type LookupAttributes } from '../../lambda/core/lookup.js';
import { type HttpFront, startHttpFront } from '../../local/http-front.js';
import { type LocalHandle, startLocal } from '../../local/runner.js';
import { createSigV4Verifier } from '../../local/sigv4-verifier.js';
import { expectedMatches } from '../fixtures/traffic.js';
import {
  type Boto3Call,
  boto3Calls,
  type CloudTrailTarget,
  cloudTrailClient,
} from '../support/cloudtrail-clients.js';
import { signedFetch } from '../support/signed-fetch.js';

/**
 * Contract tests with the real clients against local mode: boto3's cloudtrail-data puts 300 CloudTrail Lake events
 * (some broken on purpose), @aws-sdk/client-cloudtrail looks them up by every key, page by page, against an
 * oracle computed from the stored records.
 */

const LAKE_EVENTS = 300;
const NATIVE_EVENTS = 40;
const PAGE_SIZE = 7;
const MAX_PAGES = 200;

type ExpectedOutcome =
  | 'ok'
  | 'InvalidChecksum'
  | 'FieldNotFound'
  | 'FieldTooLong'
  | 'InvalidRecipient'
  | 'InvalidEventSource'
  | 'InvalidData';

interface PlannedAuditEvent {
  readonly id: string;
  readonly eventData: string;
  readonly eventDataChecksum?: string;
  readonly lakeEventData: Record<string, unknown>;
  readonly expected: ExpectedOutcome;
}

/** Event i of the batch, broken in one way for some i: each broken kind recurs across the three requests. */
function planAuditEvent(i: number, nowMs: number, accountId: string): PlannedAuditEvent {
  const names = ['CreateOrder', 'GetOrder', 'DeleteOrder', 'ListOrders'];
  const sources = ['orders.example.com', 'billing.example.com', 'iam.example.com'];
  const data: Record<string, unknown> = {
    version: `1.${i % 3}`,
    userIdentity: {
      type: 'CustomUser',
      principalId: `user-${i % 6}`,
      ...(i % 2 === 0 ? { details: { team: `team-${i % 4}`, mfa: i % 3 === 0 } } : {}),
    },
    userAgent: `app/${i % 5}`,
    eventSource: sources[i % sources.length],
    eventName: names[i % names.length],
    eventTime: new Date(nowMs - (i + 1) * 7_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    UID: `uid-${i}`,
    requestParameters: { orderId: `o-${i}`, quantity: i % 9 },
    responseElements: i % 4 === 0 ? null : { status: 'ok' },
    ...(i % 10 === 0 ? { errorCode: 'Denied', errorMessage: 'not allowed' } : {}),
    sourceIPAddress: `198.51.100.${i % 200}`,
    recipientAccountId: accountId,
    ...(i % 5 === 0 ? { additionalEventData: { shard: i % 3, note: 'ünïcode ✓' } } : {}),
  };
  const id = `audit-${i}`;
  const good = (eventData = JSON.stringify(data)): PlannedAuditEvent => ({
    id,
    eventData,
    eventDataChecksum: eventDataChecksum(eventData),
    lakeEventData: data,
    expected: 'ok',
  });
  switch (i % 25) {
    case 3:
      return { ...good(), eventDataChecksum: eventDataChecksum('{}'), expected: 'InvalidChecksum' };
    case 7: {
      const { eventName: _eventName, ...rest } = data;
      return { ...good(JSON.stringify(rest)), expected: 'FieldNotFound' };
    }
    case 11:
      return { ...good(JSON.stringify({ ...data, userAgent: 'x'.repeat(2_000) })), expected: 'FieldTooLong' };
    case 13:
      return {
        ...good(JSON.stringify({ ...data, recipientAccountId: '999999999999' })),
        expected: 'InvalidRecipient',
      };
    case 17:
      return {
        ...good(JSON.stringify({ ...data, eventSource: 's3.amazonaws.com' })),
        expected: 'InvalidEventSource',
      };
    case 19: {
      // No checksum here: the checksum of text that is not JSON would still match.
      const { eventDataChecksum: _checksum, ...withoutChecksum } = good('{"version": "1.0",');
      return { ...withoutChecksum, expected: 'InvalidData' };
    }
    default:
      // Every other good event is sent without a checksum: the field is optional.
      return i % 2 === 0
        ? good()
        : { id, eventData: JSON.stringify(data), lakeEventData: data, expected: 'ok' };
  }
}

/** Native events fill in what Lake events have no field for: access keys and resources. */
function nativeEvent(i: number, nowMs: number): Record<string, unknown> {
  return {
    eventSource: 'orders.example.com',
    eventName: i % 2 === 0 ? 'CreateOrder' : 'GetOrder',
    eventTime: new Date(nowMs - (i + 1) * 50_000).toISOString(),
    userIdentity: {
      type: 'IAMUser',
      principalId: `AIDA${i % 3}`,
      userName: `native-${i % 3}`,
      accessKeyId: `AKIA${i % 4}`,
    },
    resources: [
      { ARN: `arn:example:orders:::order/o-${i % 5}`, type: 'Order' },
      ...(i % 3 === 0 ? [{ ARN: `arn:example:billing:::invoice/i-${i % 2}`, type: 'Invoice' }] : []),
    ],
  };
}

const toWire = (attributes: LookupAttributes) =>
  Object.entries(attributes).map(([key, value]) => ({
    AttributeKey: key as LookupAttributeKey,
    AttributeValue: value,
  }));

describe('CloudTrail wire compatibility (local mode, real clients)', () => {
  let local: LocalHandle;
  /**
   * A second front on the same functions that verifies SigV4 for execute-api only, as API Gateway does in AWS:
   * clients configured with the documented signing snippets talk to it, so the snippets are proven, not assumed.
   */
  let apiGateway: HttpFront;
  let apiGatewayTarget: CloudTrailTarget;
  let startMs: number;
  let planned: PlannedAuditEvent[];
  let putResults: Awaited<ReturnType<typeof boto3Calls>>;
  /** eventID -> stored record, read one by one through GET /events/{eventId}: the oracle's ground truth. */
  const records = new Map<string, Record<string, unknown>>();
  let clients: Record<'executeApi' | 'cloudtrail', CloudTrailClient>;

  /** Every page of a lookup (MaxResults 7 unless said) until NextToken is absent; EventIds in order. */
  async function allPages(client: CloudTrailClient, input: LookupEventsCommandInput, pageSize = PAGE_SIZE) {
    const ids: string[] = [];
    const events: Array<{ EventId?: string; CloudTrailEvent?: string }> = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const output = await client.send(
        new LookupEventsCommand({
          ...input,
          MaxResults: pageSize,
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      events.push(...(output.Events ?? []));
      ids.push(...(output.Events ?? []).map((event) => event.EventId ?? ''));
      nextToken = output.NextToken;
      if (nextToken === undefined) return { ids, events };
      expect(output.Events).toHaveLength(pageSize);
    }
    throw new Error('pagination did not end');
  }

  beforeAll(async () => {
    // Two write shards instead of 16: a lookup merges every shard of its partitions, and on moto each Query
    // costs milliseconds; what is under test here is the wire, which the shard count does not change.
    local = await startLocal({ writeShards: 2 });
    apiGateway = await startHttpFront({
      routes: local.routes,
      verifySignature: createSigV4Verifier({
        credentials: [local.credentials],
        region: local.region,
        accountId: local.accountId,
      }),
      port: 0,
      region: local.region,
      accountId: local.accountId,
    });
    apiGatewayTarget = { ...local, apiUrl: apiGateway.url };
    const nowMs = Date.now();
    startMs = nowMs - 3 * 3_600_000;
    clients = {
      executeApi: cloudTrailClient(apiGatewayTarget, 'execute-api'),
      cloudtrail: cloudTrailClient(local, 'cloudtrail'),
    };
    planned = Array.from({ length: LAKE_EVENTS }, (_, i) => planAuditEvent(i, nowMs, local.accountId));
    const calls: Boto3Call[] = [0, 1, 2].map((batch) => ({
      service: 'cloudtrail-data',
      operation: 'put_audit_events',
      params: {
        channelArn: local.channelArn,
        externalId: 'contract-test',
        auditEvents: planned
          .slice(batch * 100, batch * 100 + 100)
          .map(({ id, eventData, eventDataChecksum: checksum }) => ({
            id,
            eventData,
            ...(checksum === undefined ? {} : { eventDataChecksum: checksum }),
          })),
      },
      // The first request signs as cloudtrail-data (the client's default), the others as execute-api.
      executeApi: batch > 0,
    }));
    putResults = [
      ...(await boto3Calls(local, calls.slice(0, 1))),
      ...(await boto3Calls(apiGatewayTarget, calls.slice(1))),
    ];

    const native = await signedFetch(new URL('/events', local.apiUrl), {
      method: 'POST',
      body: JSON.stringify({
        events: Array.from({ length: NATIVE_EVENTS }, (_, i) => nativeEvent(i, nowMs)),
      }),
      credentials: local.credentials,
      region: local.region,
    });
    const nativeIds = ((await native.json()) as { successful: Array<{ eventID: string }> }).successful.map(
      (success) => success.eventID,
    );
    const lakeIds = putResults.flatMap((result) =>
      result.ok
        ? (result.response.successful as Array<{ eventID: string }>).map((entry) => entry.eventID)
        : [],
    );
    // A few reads at a time: enough to keep the front busy without queueing behind one another.
    const eventIDs = [...lakeIds, ...nativeIds];
    for (let offset = 0; offset < eventIDs.length; offset += 8) {
      const chunk = eventIDs.slice(offset, offset + 8);
      const read = await Promise.all(
        chunk.map(async (eventID) => {
          const response = await signedFetch(new URL(`/events/${eventID}`, local.apiUrl), {
            credentials: local.credentials,
            region: local.region,
          });
          return (await response.json()) as Record<string, unknown>;
        }),
      );
      for (const [k, eventID] of chunk.entries()) records.set(eventID, read[k] ?? {});
    }
  });

  afterAll(async () => {
    for (const client of Object.values(clients ?? {})) client.destroy();
    await apiGateway?.close();
    await local?.stop();
  });

  it('refuses the clients’ default signing names where API Gateway would, and takes execute-api', async () => {
    // Act
    const defaultSigning = await cloudTrailClient(apiGatewayTarget, 'cloudtrail')
      .send(new LookupEventsCommand({ MaxResults: 1 }))
      .catch((caught: unknown) => caught);
    const [boto3Default, boto3ExecuteApi] = await boto3Calls(apiGatewayTarget, [
      { service: 'cloudtrail', operation: 'lookup_events', params: { MaxResults: 1 }, executeApi: false },
      { service: 'cloudtrail', operation: 'lookup_events', params: { MaxResults: 1 }, executeApi: true },
    ]);

    // Assess
    expect(defaultSigning).toMatchObject({ $metadata: { httpStatusCode: 403 } });
    expect(boto3Default).toMatchObject({ ok: false, status: 403 });
    expect(boto3ExecuteApi).toMatchObject({ ok: true });
  });

  describe('PutAuditEvents (boto3 cloudtrail-data)', () => {
    it('answers every audit event: the broken ones in failed[] with their code, the rest successful', () => {
      // Prepare
      const expectedFailed = planned
        .filter((event) => event.expected !== 'ok')
        .map((event) => [event.id, event.expected]);
      const expectedSuccessful = planned.filter((event) => event.expected === 'ok').map((event) => event.id);

      // Act
      const responses = putResults.map((result) => {
        if (!result.ok) throw new Error(`PutAuditEvents failed: ${result.code} ${result.message}`);
        return result.response as {
          successful: Array<{ id: string; eventID: string }>;
          failed: Array<{ id: string; errorCode: string; errorMessage: string }>;
        };
      });

      // Assess
      const failed = responses.flatMap((response) => response.failed);
      expect(failed.map((entry) => [entry.id, entry.errorCode])).toEqual(expectedFailed);
      for (const entry of failed) expect(entry.errorMessage.length).toBeGreaterThan(0);
      expect(responses.flatMap((response) => response.successful.map((entry) => entry.id))).toEqual(
        expectedSuccessful,
      );
      expect(new Set(expectedFailed.map(([, code]) => code))).toEqual(
        new Set([
          'InvalidChecksum',
          'FieldNotFound',
          'FieldTooLong',
          'InvalidRecipient',
          'InvalidEventSource',
          'InvalidData',
        ]),
      );
    });

    it('stores each successful event with the channel and externalId in its ingestion metadata', () => {
      // Assess
      const lakeRecords = [...records.values()].filter((record) => 'sourceEventVersion' in record);
      expect(lakeRecords).toHaveLength(planned.filter((event) => event.expected === 'ok').length);
      for (const record of lakeRecords) {
        expect(record.ingestion).toMatchObject({ channelArn: local.channelArn, externalId: 'contract-test' });
      }
    });

    it('returns the original eventID when the same UID is put again', async () => {
      // Prepare
      const first = planned.find((event) => event.expected === 'ok') as PlannedAuditEvent;
      const firstResult = putResults[0];
      const original = firstResult?.ok
        ? (firstResult.response.successful as Array<{ id: string; eventID: string }>).find(
            (entry) => entry.id === first.id,
          )
        : undefined;

      // Act
      const [retry] = await boto3Calls(apiGatewayTarget, [
        {
          service: 'cloudtrail-data',
          operation: 'put_audit_events',
          params: {
            channelArn: local.channelArn,
            auditEvents: [{ id: 'retry-1', eventData: first.eventData }],
          },
          executeApi: true,
        },
      ]);

      // Assess
      expect(retry).toEqual({
        ok: true,
        response: { successful: [{ id: 'retry-1', eventID: original?.eventID }], failed: [] },
      });
    });

    it('raises the modeled exceptions for a bad channel and duplicated ids', async () => {
      // Prepare
      const event = { id: 'e1', eventData: planned[0]?.eventData };
      const put = (params: Record<string, unknown>): Boto3Call => ({
        service: 'cloudtrail-data',
        operation: 'put_audit_events',
        params,
        executeApi: true,
      });

      // Act
      const results = await boto3Calls(apiGatewayTarget, [
        put({ channelArn: 'arn:aws:s3:::not-a-channel', auditEvents: [event] }),
        put({ channelArn: local.channelArn.replace(/default$/, 'unknown'), auditEvents: [event] }),
        put({ channelArn: local.channelArn, auditEvents: [event, event] }),
      ]);

      // Assess
      expect(
        results.map((result) => (result.ok ? 'ok' : [result.code, result.exception, result.status])),
      ).toEqual([
        ['InvalidChannelARN', 'InvalidChannelARN', 400],
        ['ChannelNotFound', 'ChannelNotFound', 400],
        ['DuplicatedAuditEventId', 'DuplicatedAuditEventId', 400],
      ]);
    });
  });

  describe('LookupEvents (@aws-sdk/client-cloudtrail)', () => {
    const lookupCases = (): LookupAttributes[] => {
      const someEventId = [...records.keys()][17] ?? '';
      // No attributes at all is the paginator test's walk below.
      return [
        { EventId: someEventId },
        { EventName: 'CreateOrder' },
        { ReadOnly: 'true' },
        { ReadOnly: 'false' },
        { Username: 'user-2' },
        { Username: 'native-1' },
        { ResourceType: 'Invoice' },
        { ResourceName: 'arn:example:orders:::order/o-3' },
        { EventSource: 'billing.example.com' },
        { AccessKeyId: 'AKIA2' },
        { EventName: 'DeleteOrder', Username: 'user-3', EventSource: 'orders.example.com' },
        { ResourceType: 'Order', AccessKeyId: 'AKIA1', ReadOnly: 'true' },
        { EventName: 'NoSuchName' },
      ];
    };

    it('pages through exactly the oracle’s matches, newest first, for every key, signed as execute-api or cloudtrail', async () => {
      // Prepare
      const stored = [...records.values()];
      const cases = lookupCases();

      for (const [index, attributes] of cases.entries()) {
        // Act
        const client = index % 2 === 0 ? clients.executeApi : clients.cloudtrail;
        const { ids } = await allPages(client, {
          LookupAttributes: toWire(attributes),
          StartTime: new Date(startMs),
        });

        // Assess
        expect(ids, JSON.stringify(attributes)).toEqual(expectedMatches(stored, attributes));
      }
      for (const key of LOOKUP_KEYS) {
        const hits = cases
          .filter((attributes) => key in attributes)
          .map((attributes) => expectedMatches(stored, attributes).length);
        expect(Math.max(...hits), key).toBeGreaterThan(0);
      }
    });

    it('gives back every eventData field in CloudTrailEvent, and CloudTrail-shaped entries', async () => {
      // Act
      const { events } = await allPages(clients.executeApi, { StartTime: new Date(startMs) }, 50);
      const byId = new Map(events.map((event) => [event.EventId, event]));

      // Assess
      for (const [eventID, record] of records) {
        const entry = byId.get(eventID) as (typeof events)[number] & Record<string, unknown>;
        expect(JSON.parse(entry.CloudTrailEvent ?? '')).toEqual(record);
        expect(entry).toMatchObject({
          EventName: record.eventName,
          EventSource: record.eventSource,
          ReadOnly: String(record.readOnly),
          EventTime: new Date(String(record.eventTime)),
        });
      }
      for (const event of planned.filter((plannedEvent) => plannedEvent.expected === 'ok')) {
        const record = [...records.values()].find(
          (candidate) => (candidate.ingestion as { id?: string }).id === event.lakeEventData.UID,
        );
        expect(toLakeEventData(record ?? {})).toEqual(event.lakeEventData);
      }
    });

    it('walks every page with paginateLookupEvents without duplicates', async () => {
      // Act
      const ids: string[] = [];
      for await (const page of paginateLookupEvents(
        { client: clients.executeApi, pageSize: PAGE_SIZE },
        { StartTime: new Date(startMs) },
      )) {
        ids.push(...(page.Events ?? []).map((event) => event.EventId ?? ''));
      }

      // Assess
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(expectedMatches([...records.values()], {}));
    });

    it.each([
      ['MaxResults 51', { MaxResults: 51 }, InvalidMaxResultsException],
      [
        'StartTime after EndTime',
        { StartTime: new Date(2_000_000), EndTime: new Date(1_000_000) },
        InvalidTimeRangeException,
      ],
      [
        'an unknown AttributeKey',
        { LookupAttributes: [{ AttributeKey: 'Color' as LookupAttributeKey, AttributeValue: 'red' }] },
        InvalidLookupAttributesException,
      ],
      [
        'an empty AttributeValue',
        { LookupAttributes: [{ AttributeKey: 'EventName' as LookupAttributeKey, AttributeValue: '' }] },
        InvalidLookupAttributesException,
      ],
      [
        'EventCategory management',
        { EventCategory: 'management' as 'insight' },
        InvalidEventCategoryException,
      ],
      ['a forged NextToken', { NextToken: 'forged.token' }, InvalidNextTokenException],
    ])('raises the SDK’s exception class for %s', async (_, input, exceptionClass) => {
      // Act
      const error = await clients.executeApi
        .send(new LookupEventsCommand(input))
        .catch((caught: unknown) => caught);

      // Assess
      expect(error).toBeInstanceOf(exceptionClass);
      expect(error).toMatchObject({ $metadata: { httpStatusCode: 400 } });
    });

    it('raises InvalidNextTokenException for a token reused with other attributes', async () => {
      // Prepare
      const first = await clients.cloudtrail.send(new LookupEventsCommand({ MaxResults: 1 }));

      // Act
      const error = await clients.cloudtrail
        .send(
          new LookupEventsCommand({
            MaxResults: 1,
            NextToken: first.NextToken,
            LookupAttributes: toWire({ EventName: 'GetOrder' }),
          }),
        )
        .catch((caught: unknown) => caught);

      // Assess
      expect(error).toBeInstanceOf(InvalidNextTokenException);
    });

    it('answers boto3 with the same pages and CloudTrail error codes', async () => {
      // Act
      const [page, badMax] = await boto3Calls(apiGatewayTarget, [
        {
          service: 'cloudtrail',
          operation: 'lookup_events',
          params: { MaxResults: PAGE_SIZE },
          executeApi: true,
        },
        { service: 'cloudtrail', operation: 'lookup_events', params: { MaxResults: 51 }, executeApi: true },
      ]);
      const [badRange] = await boto3Calls(local, [
        {
          service: 'cloudtrail',
          operation: 'lookup_events',
          params: { StartTime: 2_000_000, EndTime: 1_000_000 },
          executeApi: false,
        },
      ]);

      // Assess
      const ids = page?.ok
        ? (page.response.Events as Array<{ EventId: string }>).map((event) => event.EventId)
        : [];
      expect(ids).toEqual(expectedMatches([...records.values()], {}).slice(0, PAGE_SIZE));
      expect(badMax).toMatchObject({
        ok: false,
        code: 'InvalidMaxResultsException',
        exception: 'InvalidMaxResultsException',
      });
      expect(badRange).toMatchObject({ ok: false, code: 'InvalidTimeRangeException', status: 400 });
    });
  });
});
