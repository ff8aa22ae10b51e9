import { describe, expect, it } from 'vitest';
import { parseJsonBody } from '../../../lambda/core/cloudtrail/aws-json.js';
import {
  lookupEventsResponse,
  parseLookupEventsRequest,
  toCloudTrailEvent,
} from '../../../lambda/core/cloudtrail/lookup-events.js';
import { CLOUDTRAIL_PROTOCOL } from '../../../lambda/routes/protocols.js';
import { NOW_MS } from '../../fixtures/events.js';
import { requestErrorOf } from '../../fixtures/request-error.js';

const CONTEXT = { nowMs: NOW_MS, retentionDays: 90 };

/** The error code parsing `body` throws, or 'none'. */
const lookupErrorOf = (body: Record<string, unknown>): string =>
  requestErrorOf(() => parseLookupEventsRequest(body, CONTEXT), CLOUDTRAIL_PROTOCOL);

describe('parseLookupEventsRequest', () => {
  it('maps attributes, epoch-second times, MaxResults and EventCategory onto the lookup query', () => {
    // Act
    const { query } = parseLookupEventsRequest(
      {
        LookupAttributes: [
          { AttributeKey: 'EventName', AttributeValue: 'CreateOrder' },
          { AttributeKey: 'Username', AttributeValue: 'alice' },
        ],
        StartTime: 1_700_000_000.25,
        EndTime: 1_700_000_100,
        MaxResults: 7,
        EventCategory: 'insight',
      },
      CONTEXT,
    );

    // Assess
    expect(query).toEqual({
      attributes: { EventName: 'CreateOrder', Username: 'alice' },
      startMs: 1_700_000_000_250,
      endMs: 1_700_000_100_000,
      maxResults: 7,
      eventCategory: 'insight',
    });
  });

  it('defaults to 50 results over the retention window ending now when the body is empty', () => {
    // Act
    const { query, nextToken } = parseLookupEventsRequest({}, CONTEXT);

    // Assess
    expect(query).toEqual({
      attributes: {},
      startMs: NOW_MS - 90 * 86_400_000,
      endMs: NOW_MS,
      maxResults: 50,
    });
    expect(nextToken).toBeUndefined();
  });

  it.each([
    [{ MaxResults: 0 }, '400 InvalidMaxResultsException'],
    [{ MaxResults: 51 }, '400 InvalidMaxResultsException'],
    [{ MaxResults: 2.5 }, '400 InvalidMaxResultsException'],
    [{ StartTime: 20, EndTime: 10 }, '400 InvalidTimeRangeException'],
    [{ StartTime: 'yesterday' }, '400 InvalidTimeRangeException'],
    [{ EventCategory: 'management' }, '400 InvalidEventCategoryException'],
    [
      { LookupAttributes: [{ AttributeKey: 'Color', AttributeValue: 'red' }] },
      '400 InvalidLookupAttributesException',
    ],
    [
      { LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: '' }] },
      '400 InvalidLookupAttributesException',
    ],
    [
      { LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'yes' }] },
      '400 InvalidLookupAttributesException',
    ],
    [
      {
        LookupAttributes: [
          { AttributeKey: 'EventName', AttributeValue: 'A' },
          { AttributeKey: 'EventName', AttributeValue: 'B' },
        ],
      },
      '400 InvalidLookupAttributesException',
    ],
    [{ LookupAttributes: 'EventName=A' }, '400 SerializationException'],
    [{ NextToken: 7 }, '400 SerializationException'],
  ])('refuses %j with %s', (body, expected) => {
    // Assess
    expect(lookupErrorOf(body)).toBe(expected);
  });

  it('gives the same fingerprint to the same query whatever the attribute order, and another to another query', () => {
    // Prepare
    const a = { AttributeKey: 'EventName', AttributeValue: 'A' };
    const b = { AttributeKey: 'Username', AttributeValue: 'bob' };

    // Act
    const first = parseLookupEventsRequest({ LookupAttributes: [a, b], StartTime: 1 }, CONTEXT).fingerprint;
    const swapped = parseLookupEventsRequest({ LookupAttributes: [b, a], StartTime: 1 }, CONTEXT).fingerprint;
    const other = parseLookupEventsRequest({ LookupAttributes: [a], StartTime: 1 }, CONTEXT).fingerprint;

    // Assess
    expect(swapped).toBe(first);
    expect(other).not.toBe(first);
  });
});

describe('parseJsonBody', () => {
  it('reads an empty body as an empty request and refuses text that is not a JSON object', () => {
    // Assess
    expect(parseJsonBody('')).toEqual({});
    expect(() => parseJsonBody('[1]')).toThrowError(/JSON object/);
    expect(() => parseJsonBody('{')).toThrowError(/not valid JSON/);
  });
});

describe('toCloudTrailEvent', () => {
  it('shapes a stored record as a LookupEvents entry with the record as CloudTrailEvent', () => {
    // Prepare
    const recordJson = JSON.stringify({
      eventID: '01JDQ0000000000000000000AB',
      eventName: 'CreateOrder',
      eventSource: 'orders.example.com',
      eventTime: '2026-11-20T10:00:00.500Z',
      readOnly: false,
      userIdentity: { type: 'IAMUser', principalId: 'AIDA1', userName: 'alice', accessKeyId: 'AKIA1' },
      resources: [{ ARN: 'arn:example:orders:::order/o-1', type: 'Order' }, { type: 'Invoice' }],
    });

    // Act
    const entry = toCloudTrailEvent(recordJson);

    // Assess
    expect(entry).toEqual({
      EventId: '01JDQ0000000000000000000AB',
      EventName: 'CreateOrder',
      ReadOnly: 'false',
      AccessKeyId: 'AKIA1',
      EventTime: Date.parse('2026-11-20T10:00:00.500Z') / 1000,
      EventSource: 'orders.example.com',
      Username: 'alice',
      Resources: [
        { ResourceType: 'Order', ResourceName: 'arn:example:orders:::order/o-1' },
        { ResourceType: 'Invoice' },
      ],
      CloudTrailEvent: recordJson,
    });
  });

  it('uses the principal id as Username and leaves AccessKeyId out when the identity has neither', () => {
    // Act
    const entry = toCloudTrailEvent(
      JSON.stringify({
        eventID: 'x',
        eventName: 'N',
        eventSource: 's',
        eventTime: '2026-11-20T10:00:00Z',
        readOnly: true,
        userIdentity: { type: 'Custom', principalId: 'user-7' },
      }),
    );

    // Assess
    expect(entry).toMatchObject({ Username: 'user-7', ReadOnly: 'true', Resources: [] });
    expect(entry).not.toHaveProperty('AccessKeyId');
  });
});

describe('lookupEventsResponse', () => {
  it('writes NextToken only when there is a next page', () => {
    // Assess
    expect(JSON.parse(lookupEventsResponse({ records: [] }, undefined))).toEqual({ Events: [] });
    expect(JSON.parse(lookupEventsResponse({ records: [] }, 'tok'))).toEqual({
      Events: [],
      NextToken: 'tok',
    });
  });
});
