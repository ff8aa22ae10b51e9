import { createHash } from 'node:crypto';
import { RequestError } from '../errors.js';
import type { ProducerEvent } from '../event-model.js';
import type { PutEventsResult } from '../ingest.js';
import { LIMITS } from '../limits.js';
import { parsePutRequestJson } from '../request-body.js';

/**
 * CloudTrail Data's PutAuditEvents (restJson1): the request body, the CloudTrail Lake integration schema of each
 * `eventData`, its mapping onto OpenTrail's producer event, and the response with CloudTrail's per-event codes.
 *
 * The mapping keeps every field: each eventData field lands in the stored record under the same name, except
 * `UID` (the producer idempotency id, `ingestion.id`) and `version` (`sourceEventVersion`); `userIdentity.details`
 * stays inside `userIdentity`. `toLakeEventData` is the inverse, so a test can prove the round trip. Values are
 * kept as sent unless the trail's redaction rules mask them (docs/selectors.md): a masked value is stored, and so
 * comes back, masked.
 */

export interface AuditEvent {
  readonly id: string;
  readonly eventData: string;
  readonly eventDataChecksum?: string;
}

export type AuditEventErrorCode =
  | 'FieldTooLong'
  | 'FieldNotFound'
  | 'InvalidChecksum'
  | 'InvalidData'
  | 'InvalidRecipient'
  | 'InvalidEventSource'
  | 'Throttling'
  | 'InternalFailure';

export interface AuditEventFailure {
  readonly id: string;
  readonly errorCode: AuditEventErrorCode;
  readonly errorMessage: string;
}

export interface PutAuditEventsResponse {
  readonly successful: Array<{ readonly id: string; readonly eventID: string }>;
  readonly failed: AuditEventFailure[];
}

/** The eventData fields of the CloudTrail Lake integration schema, and which of them are required. */
const LAKE_FIELDS = [
  'version',
  'userIdentity',
  'userAgent',
  'eventSource',
  'eventName',
  'eventTime',
  'UID',
  'requestParameters',
  'responseElements',
  'errorCode',
  'errorMessage',
  'sourceIPAddress',
  'recipientAccountId',
  'additionalEventData',
] as const;
const REQUIRED_LAKE_FIELDS = [
  'version',
  'userIdentity',
  'eventSource',
  'eventName',
  'eventTime',
  'UID',
  'recipientAccountId',
] as const;
const USER_IDENTITY_FIELDS = ['type', 'principalId', 'details'] as const;

/** `externalId` as the cloudtrail-data model constrains it. */
const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]{2,1224}$/;

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const invalidBody = (message: string) => new RequestError('InvalidRequestBody', message);

/** The request body: 1 to 100 audit events, at most 1 MB, ids unique within the request. */
export function parsePutAuditEventsBody(body: string | undefined): AuditEvent[] {
  const parsed = parsePutRequestJson(body, 'the request body is empty; send { "auditEvents": [...] }');
  const auditEvents = isObject(parsed) ? parsed.auditEvents : undefined;
  if (
    !Array.isArray(auditEvents) ||
    auditEvents.length === 0 ||
    auditEvents.length > LIMITS.eventsPerRequest
  ) {
    throw invalidBody(`auditEvents must be a list of 1 to ${LIMITS.eventsPerRequest} audit events`);
  }
  const seen = new Set<string>();
  return auditEvents.map((entry: unknown, index) => {
    if (!isObject(entry)) throw invalidBody(`auditEvents[${index}] must be an object { id, eventData }`);
    const { id, eventData, eventDataChecksum } = entry;
    if (typeof id !== 'string' || !LIMITS.producerIdPattern.test(id)) {
      throw invalidBody(`auditEvents[${index}].id must be 1 to 128 letters, digits, '-' or '_'`);
    }
    if (typeof eventData !== 'string')
      throw invalidBody(`auditEvents[${index}].eventData must be a JSON string`);
    if (eventDataChecksum !== undefined && typeof eventDataChecksum !== 'string') {
      throw invalidBody(`auditEvents[${index}].eventDataChecksum must be a string`);
    }
    if (seen.has(id)) {
      throw new RequestError('DuplicateEventId', `the audit event id ${id} appears more than once`);
    }
    seen.add(id);
    return { id, eventData, ...(eventDataChecksum === undefined ? {} : { eventDataChecksum }) };
  });
}

export function parseExternalId(externalId: string | undefined): string | undefined {
  if (externalId === undefined) return undefined;
  if (!EXTERNAL_ID_PATTERN.test(externalId)) {
    throw new RequestError(
      'InvalidParameter',
      "externalId must be 2 to 1224 letters, digits or any of '_+=,.@:/-'",
    );
  }
  return externalId;
}

/** base64 of the SHA-256 of eventData's UTF-8 bytes, as CloudTrail Data computes eventDataChecksum. */
export function eventDataChecksum(eventData: string): string {
  return createHash('sha256').update(eventData, 'utf8').digest('base64');
}

type Mapping =
  | { readonly ok: true; readonly event: ProducerEvent }
  | { readonly ok: false; readonly errorCode: AuditEventErrorCode; readonly errorMessage: string };

const fail = (errorCode: AuditEventErrorCode, errorMessage: string): Mapping => ({
  ok: false,
  errorCode,
  errorMessage,
});

/**
 * Checks one audit event against its checksum and the Lake integration schema, and maps it onto a producer
 * event; types, sizes and provenance (recipient, eventSource: lambda/core/provenance.ts) of the mapped event are
 * then checked by ingest like any other event's.
 */
export function toProducerEvent(auditEvent: AuditEvent): Mapping {
  if (
    auditEvent.eventDataChecksum !== undefined &&
    auditEvent.eventDataChecksum !== eventDataChecksum(auditEvent.eventData)
  ) {
    return fail('InvalidChecksum', 'eventDataChecksum is not the base64 SHA-256 of eventData');
  }
  let data: unknown;
  try {
    data = JSON.parse(auditEvent.eventData);
  } catch {
    return fail('InvalidData', 'eventData is not valid JSON');
  }
  if (!isObject(data)) return fail('InvalidData', 'eventData must be a JSON object');
  const unknown = Object.keys(data).filter((field) => !(LAKE_FIELDS as readonly string[]).includes(field));
  if (unknown.length > 0) return fail('InvalidData', `eventData has unknown field(s): ${unknown.join(', ')}`);
  const missing = REQUIRED_LAKE_FIELDS.find((field) => data[field] === undefined || data[field] === null);
  if (missing !== undefined) return fail('FieldNotFound', `eventData.${missing} is required`);
  const { UID, version, userIdentity, ...fields } = data;
  if (!isObject(userIdentity)) return fail('InvalidData', 'eventData.userIdentity must be an object');
  const unknownIdentity = Object.keys(userIdentity).filter(
    (field) => !(USER_IDENTITY_FIELDS as readonly string[]).includes(field),
  );
  if (unknownIdentity.length > 0) {
    return fail('InvalidData', `eventData.userIdentity has unknown field(s): ${unknownIdentity.join(', ')}`);
  }
  for (const field of ['type', 'principalId'] as const) {
    if (userIdentity[field] === undefined)
      return fail('FieldNotFound', `eventData.userIdentity.${field} is required`);
  }
  if (typeof version !== 'string') return fail('InvalidData', 'eventData.version must be a string');
  if (typeof UID !== 'string') return fail('InvalidData', 'eventData.UID must be a string');
  if (UID.length > 128)
    return fail('FieldTooLong', `eventData.UID is ${UID.length} characters; at most 128 are allowed`);
  if (!LIMITS.producerIdPattern.test(UID)) {
    return fail('InvalidData', "eventData.UID must be letters, digits, '-' or '_'");
  }
  return {
    ok: true,
    event: { ...fields, userIdentity, id: UID, sourceEventVersion: version } as ProducerEvent,
  };
}

/** The eventData a stored record came from: the inverse of toProducerEvent, for round-trip checks and exports. */
export function toLakeEventData(record: Record<string, unknown>): Record<string, unknown> {
  const ingestion = record.ingestion as { id?: string } | undefined;
  const lake: Record<string, unknown> = {};
  for (const field of LAKE_FIELDS) {
    const value =
      field === 'UID' ? ingestion?.id : field === 'version' ? record.sourceEventVersion : record[field];
    if (value !== undefined) lake[field] = value;
  }
  return lake;
}

/**
 * Per-event codes of OpenTrail's event model in CloudTrail Data's vocabulary: the codes its model documents for
 * ResultErrorEntry.errorCode (botocore cloudtrail-data 2021-08-11), so clients written against that list handle
 * every answer. A code the list lacks becomes the nearest one, and the message starts with OpenTrail's own.
 */
function toAuditEventFailure({
  errorCode,
  errorMessage,
}: Pick<PutEventsResult['failed'][number], 'errorCode' | 'errorMessage'>): Omit<AuditEventFailure, 'id'> {
  switch (errorCode) {
    case 'EventTooLarge':
      return { errorCode: 'FieldTooLong', errorMessage };
    case 'InvalidRegion':
      return { errorCode: 'InvalidData', errorMessage };
    // Not retryable as sent, like InvalidData: the UID names another event.
    case 'IdempotencyConflict':
      return { errorCode: 'InvalidData', errorMessage: `${errorCode}: ${errorMessage}` };
    default:
      return { errorCode, errorMessage };
  }
}

/** Ends a message cut to CloudTrail Data's ErrorMessage limit, so a reader knows it was cut. */
export const TRUNCATION_MARKER = '… (truncated)';

/**
 * A per-event errorMessage within CloudTrail Data's ErrorMessage limit (characters as code points, so a surrogate
 * pair is never split). Messages that list a producer's field names could otherwise grow without bound.
 */
export function boundedErrorMessage(message: string): string {
  const max = LIMITS.auditEventErrorMessageChars;
  const characters = Array.from(message);
  if (characters.length <= max) return message;
  return characters.slice(0, max - Array.from(TRUNCATION_MARKER).length).join('') + TRUNCATION_MARKER;
}

/**
 * The response, in request order: events rejected before ingest, then ingest's outcome for the rest, whose
 * indexes count only what was passed on (`ingestedIndexes[i]` is the request index of ingest's input i).
 * Events no trail selector keeps are successful, as CloudTrail's event data stores answer for them.
 */
export function putAuditEventsResponse(
  auditEvents: readonly AuditEvent[],
  rejected: ReadonlyMap<number, Omit<AuditEventFailure, 'id'>>,
  ingestedIndexes: readonly number[],
  result: PutEventsResult,
): PutAuditEventsResponse {
  const outcomes = new Map<number, { eventID: string } | Omit<AuditEventFailure, 'id'>>(rejected);
  for (const success of [...result.successful, ...result.filtered]) {
    outcomes.set(ingestedIndexes[success.index] ?? -1, { eventID: success.eventID });
  }
  for (const failure of result.failed) {
    outcomes.set(ingestedIndexes[failure.index] ?? -1, toAuditEventFailure(failure));
  }
  const response: PutAuditEventsResponse = { successful: [], failed: [] };
  auditEvents.forEach(({ id }, index) => {
    const outcome = outcomes.get(index) ?? {
      errorCode: 'InternalFailure',
      errorMessage: 'the event was not processed',
    };
    if ('eventID' in outcome) response.successful.push({ id, eventID: outcome.eventID });
    else response.failed.push({ id, ...outcome, errorMessage: boundedErrorMessage(outcome.errorMessage) });
  });
  return response;
}
