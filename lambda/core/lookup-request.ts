import { isCalendarDateTime } from './calendar.js';
import { RequestError } from './errors.js';
import { EVENT_ID_LENGTH } from './event-id.js';
import { byteLength } from './event-model.js';
import { LIMITS } from './limits.js';
import { LOOKUP_KEYS, type LookupAttributes, type LookupKey, type PagedLookupRequest } from './lookup.js';
import { queryFingerprint } from './next-token.js';

/** The native `GET /events` query parameters, besides the lookup attribute keys. */
const CONTROL_PARAMETERS = ['startTime', 'endTime', 'maxResults', 'nextToken', 'EventCategory'] as const;

export interface LookupRequestContext {
  readonly nowMs: number;
  readonly retentionDays: number;
}

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

function parseTime(name: string, text: string): number {
  const fields = ISO_TIME.exec(text);
  const [, year, month, day, hour = '0', minute = '0', second = '0'] = fields ?? [];
  const onCalendar =
    fields !== null &&
    isCalendarDateTime(
      Number(year),
      Number(month),
      Number(day),
      Number(hour),
      Number(minute),
      Number(second),
    );
  const ms = onCalendar ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new RequestError(
      'InvalidTimeRange',
      `${name} must be an ISO 8601 time such as 2026-01-31T12:00:00Z`,
    );
  }
  return ms;
}

function parseMaxResults(text: string | undefined): number {
  if (text === undefined) return LIMITS.lookupDefaultMaxResults;
  const value = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 1 && value <= LIMITS.lookupMaxResults)) {
    throw new RequestError(
      'InvalidMaxResults',
      `maxResults must be a whole number from 1 to ${LIMITS.lookupMaxResults}`,
    );
  }
  return value;
}

/** CloudTrail's EventCategory: only `insight` exists. */
export function parseEventCategory(text: string | undefined): 'insight' | undefined {
  if (text === undefined) return undefined;
  if (text !== 'insight') throw new RequestError('InvalidEventCategory', 'EventCategory must be insight');
  return 'insight';
}

/** A lookup key's field as the write path stores it: its name in the record and its most UTF-8 bytes. */
interface StoredField {
  readonly field: string;
  readonly maxBytes: number;
}

/**
 * The stored limit behind each lookup key (event-model.ts, limits.ts). A longer value matches no stored event, and
 * as part of a partition key (keys.ts) it could pass DynamoDB's 2,048-byte limit, which fails the Query for good.
 * ReadOnly takes only `true` or `false`.
 */
const STORED_FIELDS: Readonly<Record<Exclude<LookupKey, 'ReadOnly'>, StoredField>> = {
  EventId: { field: 'eventID', maxBytes: EVENT_ID_LENGTH },
  EventName: { field: 'eventName', maxBytes: LIMITS.keyFieldBytes },
  Username: { field: 'userIdentity.userName (or principalId)', maxBytes: LIMITS.keyFieldBytes },
  ResourceType: { field: 'resources[].type', maxBytes: LIMITS.keyFieldBytes },
  ResourceName: { field: 'resources[].ARN', maxBytes: LIMITS.resourceArnBytes },
  EventSource: { field: 'eventSource', maxBytes: LIMITS.keyFieldBytes },
  AccessKeyId: { field: 'userIdentity.accessKeyId', maxBytes: LIMITS.keyFieldBytes },
};

/** Unicode code points, as the Smithy models count a string's length. */
function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** Checks lookup attribute values the same way for every API that takes them. */
export function checkLookupAttributes(attributes: LookupAttributes): void {
  const invalid = (message: string) => new RequestError('InvalidLookupAttributes', message);
  const maxChars = LIMITS.lookupAttributeValueChars;
  for (const key of LOOKUP_KEYS) {
    const value = attributes[key];
    if (value === undefined) continue;
    if (value === '') throw invalid(`${key} must not be empty`);
    const chars = characterCount(value);
    if (chars > maxChars) {
      throw invalid(`${key} is ${chars} characters; at most ${maxChars} are allowed`);
    }
    if (key === 'ReadOnly') {
      if (value !== 'true' && value !== 'false') {
        throw invalid('ReadOnly must be true or false');
      }
      continue;
    }
    const { field, maxBytes } = STORED_FIELDS[key];
    const bytes = byteLength(value);
    if (bytes > maxBytes) {
      throw invalid(
        `${key} is ${bytes} UTF-8 bytes; ${field} is stored with at most ${maxBytes}, so no event can match`,
      );
    }
  }
}

/** The oldest eventTime still within retention: older events are hidden until TTL deletes them. */
export function retentionStartMs({ nowMs, retentionDays }: LookupRequestContext): number {
  return nowMs - retentionDays * 86_400_000;
}

/**
 * Resolves the time window: defaults to the retention window ending now, and rejects an inverted one or one
 * before 1970 (eventIDs begin with the time since 1970). A nextToken's window wins, so every page of a lookup
 * covers the same events.
 */
export function resolveWindow(
  startMs: number | undefined,
  endMs: number | undefined,
  context: LookupRequestContext,
): { startMs: number; endMs: number } {
  const end = endMs ?? context.nowMs;
  const start = startMs ?? retentionStartMs(context);
  if (start < 0 || end < 0) {
    throw new RequestError(
      'InvalidTimeRange',
      'startTime and endTime must not be before 1970-01-01T00:00:00Z',
    );
  }
  if (start > end) throw new RequestError('InvalidTimeRange', 'startTime must not be after endTime');
  return { startMs: start, endMs: end };
}

/**
 * Parses `GET /events` query parameters into a paged lookup, or a refusal naming the bad parameter. With a
 * nextToken the request has no window of its own: the token's wins (lookupPage).
 */
export function parseNativeLookup(
  parameters: Readonly<Record<string, string | undefined>>,
  context: LookupRequestContext,
): PagedLookupRequest {
  const known = new Set<string>([...LOOKUP_KEYS, ...CONTROL_PARAMETERS]);
  const unknown = Object.keys(parameters).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new RequestError(
      'InvalidParameter',
      `unknown query parameter(s): ${unknown.join(', ')}; lookup keys are ${LOOKUP_KEYS.join(', ')}`,
    );
  }
  const attributes: LookupAttributes = {};
  for (const key of LOOKUP_KEYS) {
    const value = parameters[key];
    if (value !== undefined) attributes[key as LookupKey] = value;
  }
  checkLookupAttributes(attributes);
  const startText = parameters.startTime;
  const endText = parameters.endTime;
  const requestedStart = startText === undefined ? undefined : parseTime('startTime', startText);
  const requestedEnd = endText === undefined ? undefined : parseTime('endTime', endText);
  const maxResults = parseMaxResults(parameters.maxResults);
  const eventCategory = parseEventCategory(parameters.EventCategory);
  const fingerprint = queryFingerprint({
    api: 'native',
    attributes,
    startTime: startText,
    endTime: endText,
    eventCategory,
  });
  const filters = { attributes, maxResults, ...(eventCategory ? { eventCategory } : {}) };
  const nextToken = parameters.nextToken;
  if (nextToken !== undefined) return { query: filters, fingerprint, nextToken };
  return {
    query: { ...filters, ...resolveWindow(requestedStart, requestedEnd, context) },
    fingerprint,
  };
}
