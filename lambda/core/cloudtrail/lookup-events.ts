import { RequestError } from '../errors.js';
import type { TrailRecord } from '../event-model.js';
import { lookupUsername } from '../identity.js';
import { LIMITS } from '../limits.js';
import {
  LOOKUP_KEYS,
  type LookupAttributes,
  type LookupKey,
  type LookupPage,
  type PagedLookupRequest,
  type RecordBytes,
  responseBytes,
} from '../lookup.js';
import {
  checkLookupAttributes,
  type LookupRequestContext,
  parseEventCategory,
  resolveWindow,
} from '../lookup-request.js';
import { queryFingerprint } from '../next-token.js';
import { isObject, optionalString, parseEpochSeconds, wrongType } from './aws-json.js';

/**
 * CloudTrail's LookupEvents on the wire (awsJson1_1): the request as the SDKs send it, parsed into OpenTrail's
 * lookup query, and the page shaped as CloudTrail answers it. Refusals name their domain kind; the route's error
 * table gives them CloudTrail's exception names, so an SDK raises the same exception class it raises for CloudTrail.
 */

/** One entry of LookupEvents' `Events`, as CloudTrail returns it. */
export interface CloudTrailEvent {
  readonly EventId: string;
  readonly EventName: string;
  readonly ReadOnly: string;
  readonly AccessKeyId?: string;
  /** Epoch seconds: the JSON number the SDKs parse into a Date. */
  readonly EventTime: number;
  readonly EventSource: string;
  readonly Username?: string;
  readonly Resources: ReadonlyArray<{ readonly ResourceType?: string; readonly ResourceName?: string }>;
  /** The stored record, as JSON text. */
  readonly CloudTrailEvent: string;
}

const invalidAttributes = (message: string) => new RequestError('InvalidLookupAttributes', message);

function parseAttributes(value: unknown): LookupAttributes {
  if (value === undefined || value === null) return {};
  if (!Array.isArray(value)) throw wrongType('LookupAttributes', 'a list of {AttributeKey, AttributeValue}');
  const attributes: LookupAttributes = {};
  const keys = new Set<string>(LOOKUP_KEYS);
  for (const entry of value) {
    if (!isObject(entry)) throw wrongType('LookupAttributes[]', 'an object {AttributeKey, AttributeValue}');
    const { AttributeKey: key, AttributeValue: attributeValue } = entry;
    if (typeof key !== 'string' || !keys.has(key)) {
      throw invalidAttributes(
        `AttributeKey ${JSON.stringify(key)} is not valid; use one of ${LOOKUP_KEYS.join(', ')}`,
      );
    }
    if (typeof attributeValue !== 'string') {
      throw invalidAttributes(`AttributeValue of ${key} must be a string`);
    }
    const lookupKey = key as LookupKey;
    const earlier = attributes[lookupKey];
    // Every attribute is honoured (AND), so two different values of one key could never match.
    if (earlier !== undefined && earlier !== attributeValue) {
      throw invalidAttributes(`${key} is given twice with different values; an event has only one ${key}`);
    }
    attributes[lookupKey] = attributeValue;
  }
  checkLookupAttributes(attributes);
  return attributes;
}

function parseMaxResults(value: unknown): number {
  if (value === undefined || value === null) return LIMITS.lookupDefaultMaxResults;
  const max = LIMITS.cloudTrailLookupMaxResults;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new RequestError('InvalidMaxResults', `MaxResults must be a whole number from 1 to ${max}`);
  }
  return value;
}

/**
 * A LookupEvents request as OpenTrail's lookup query. Unknown members are ignored, as AWS services do for
 * members newer than their model. The window is checked even with a NextToken, whose own window then wins.
 */
export function parseLookupEventsRequest(
  body: Record<string, unknown>,
  context: LookupRequestContext,
): PagedLookupRequest {
  const attributes = parseAttributes(body.LookupAttributes);
  const startMs = parseEpochSeconds('StartTime', body.StartTime);
  const endMs = parseEpochSeconds('EndTime', body.EndTime);
  const maxResults = parseMaxResults(body.MaxResults);
  const eventCategory = parseEventCategory(optionalString('EventCategory', body.EventCategory));
  const nextToken = optionalString('NextToken', body.NextToken);
  const window = resolveWindow(startMs, endMs, context);
  const fingerprint = queryFingerprint({
    api: 'cloudtrail',
    attributes,
    startTime: startMs,
    endTime: endMs,
    eventCategory,
  });
  const query = { attributes, ...window, maxResults, ...(eventCategory ? { eventCategory } : {}) };
  return nextToken === undefined ? { query, fingerprint } : { query, fingerprint, nextToken };
}

/** One stored record as a LookupEvents entry. */
export function toCloudTrailEvent(recordJson: string): CloudTrailEvent {
  const record = JSON.parse(recordJson) as TrailRecord;
  const username = lookupUsername(record.userIdentity);
  const accessKeyId = record.userIdentity.accessKeyId;
  return {
    EventId: record.eventID,
    EventName: record.eventName,
    ReadOnly: String(record.readOnly),
    ...(accessKeyId === undefined ? {} : { AccessKeyId: accessKeyId }),
    EventTime: Date.parse(record.eventTime) / 1000,
    EventSource: record.eventSource,
    ...(username === '' ? {} : { Username: username }),
    Resources: (record.resources ?? []).map((resource) => ({
      ...(resource.type === undefined ? {} : { ResourceType: resource.type }),
      ...(resource.ARN === undefined ? {} : { ResourceName: resource.ARN }),
    })),
    CloudTrailEvent: recordJson,
  };
}

/** A record's share of a LookupEvents page: its entry, the record escaped once more inside CloudTrailEvent. */
export const cloudTrailEventBytes: RecordBytes = (recordJson) =>
  responseBytes(JSON.stringify(toCloudTrailEvent(recordJson))) + 1;

/** The LookupEvents response body; NextToken only when another page exists. */
export function lookupEventsResponse(
  page: Pick<LookupPage, 'records'>,
  nextToken: string | undefined,
): string {
  return JSON.stringify({
    Events: page.records.map(toCloudTrailEvent),
    ...(nextToken === undefined ? {} : { NextToken: nextToken }),
  });
}
