import type { Static } from 'typebox';
import { Errors } from 'typebox/schema';
import { isCalendarDateTime } from './calendar.js';
import { inferClientType } from './client-type.js';
import type * as TypeBoxSchemas from './event-schema.js';
import { producerEventSchema, trailRecordSchema } from './generated/event-schemas.js';
import { check as isProducerEvent } from './generated/producer-event-check.js';
import { LIMITS } from './limits.js';

export * from './event-enums.js';
export { producerEventSchema, trailRecordSchema };

/**
 * The OpenTrail event record: CloudTrail record contents (eventVersion 1.11) plus `clientType` and the
 * `ingestion` metadata. This module is what handlers, local mode, the CLI and tests import: what a producer may
 * send, what OpenTrail fills in, and every limit. The schemas are written with TypeBox in ./event-schema.ts, which
 * only the build scripts load: the types come from it at compile time, and the JSON Schemas and the producer
 * event's check are generated from it ahead of time (scripts/write-validators.ts), so a cold start neither loads
 * TypeBox's type builder nor compiles a schema.
 */
export const EVENT_VERSION = '1.11';

/** Per-event failure codes, as CloudTrail Lake names them where it has a name. */
export type EventErrorCode =
  | 'FieldNotFound'
  | 'FieldTooLong'
  | 'InvalidData'
  | 'EventTooLarge'
  /** awsRegion names a region the trail does not record (the selectors' region list). */
  | 'InvalidRegion'
  /** recipientAccountId is not the trail's account (lambda/core/provenance.ts). */
  | 'InvalidRecipient'
  /** eventSource is an AWS service's, or OpenTrail's own (lambda/core/provenance.ts). */
  | 'InvalidEventSource'
  /** The producer's id was put before with other content (docs/storage.md, Idempotency). */
  | 'IdempotencyConflict';

export const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

export type ProducerEvent = Static<typeof TypeBoxSchemas.producerEventSchema>;
export type UserIdentity = Static<typeof TypeBoxSchemas.userIdentitySchema>;
export type Resource = Static<typeof TypeBoxSchemas.resourceSchema>;
export type TrailRecord = Static<typeof TypeBoxSchemas.trailRecordSchema>;
export type IngestionMetadata = TrailRecord['ingestion'];

/** What the schema finds wrong with an event that failed the generated check (the rare path, not compiled). */
const schemaErrors = (input: unknown): SchemaError[] =>
  Errors(producerEventSchema, input)[1] as unknown as SchemaError[];

/** A schema as a standalone JSON Schema document (a deep copy, with its dialect). */
export function jsonSchemaDocument(schema: object): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    ...(JSON.parse(JSON.stringify(schema)) as Record<string, unknown>),
  };
}

/** The JSON Schema of stored records, as the archive holds them. */
export function trailRecordJsonSchema(): Record<string, unknown> {
  return jsonSchemaDocument(trailRecordSchema);
}

/** The JSON Schema producers can validate against before sending. */
export function producerEventJsonSchema(): Record<string, unknown> {
  return jsonSchemaDocument(producerEventSchema);
}

const READ_ONLY_VERBS =
  /^(Get|List|Describe|Head|Lookup|Search|Query|Scan|BatchGet|Select|View|Read|Check|Download|Preview|Estimate)(?=[A-Z0-9_]|$)/;

export function inferReadOnly(eventName: string): boolean {
  return READ_ONLY_VERBS.test(eventName);
}

export interface EventFailure {
  readonly ok: false;
  readonly errorCode: EventErrorCode;
  readonly errorMessage: string;
}

export interface ValidEvent {
  readonly ok: true;
  readonly event: ProducerEvent;
}

function failure(errorCode: EventErrorCode, errorMessage: string): EventFailure {
  return { ok: false, errorCode, errorMessage };
}

/** A value storage would alter, and where it sits; the path is collected only on the way out of a failure. */
interface Unstorable {
  readonly problem: string;
  readonly reversedPath: Array<string | number>;
}

function unstorable(problem: string): Unstorable {
  return { problem, reversedPath: [] };
}

/**
 * Checks what JSON.parse cannot: strings must be well-formed Unicode (a lone surrogate would be rewritten on the
 * way to storage), numbers must survive a round trip, and nesting is bounded. It runs on every event, so it
 * builds no path strings unless it finds something.
 */
function findUnstorableValue(value: unknown, depth: number): Unstorable | undefined {
  if (typeof value === 'string') {
    return value.isWellFormed() ? undefined : unstorable('contains an unpaired UTF-16 surrogate');
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return unstorable('is not a finite number');
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
      return unstorable('is an integer beyond 2^53 that cannot be stored exactly; send it as a string');
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth > LIMITS.nestingDepth) return unstorable(`is nested deeper than ${LIMITS.nestingDepth} levels`);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorableValue(value[i], depth + 1);
      if (found) {
        found.reversedPath.push(i);
        return found;
      }
    }
    return undefined;
  }
  const object = value as Record<string, unknown>;
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    if (!key.isWellFormed()) return unstorable('has a key with an unpaired UTF-16 surrogate');
    const found = findUnstorableValue(object[key], depth + 1);
    if (found) {
      found.reversedPath.push(key);
      return found;
    }
  }
  return undefined;
}

function describeUnstorable({ problem, reversedPath }: Unstorable): string {
  const path = reversedPath
    .reverse()
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
  return `${path || 'the event'} ${problem}`;
}

interface SchemaError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: { readonly requiredProperties?: readonly string[] };
  readonly message: string;
}

/** JSON Pointer to the dotted path people read in messages: /resources/0/ARN -> resources[0].ARN. */
function readablePath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) =>
      /^\d+$/.test(part) ? `[${part}]` : `.${part.replaceAll('~1', '/').replaceAll('~0', '~')}`,
    )
    .join('')
    .slice(1);
}

/** The first schema error, in CloudTrail's terms. */
function describeSchemaError(errors: readonly SchemaError[]): EventFailure {
  const first = errors[0];
  if (!first) return failure('InvalidData', 'the event is not valid');
  const path = readablePath(first.instancePath);
  if (first.keyword === 'required') {
    const field = first.params.requiredProperties?.[0] ?? '';
    return failure('FieldNotFound', `${path ? `${path}.` : ''}${field} is required`);
  }
  if (first.keyword === 'boolean') {
    // additionalProperties: false. Name every unknown field at once; a producer fixes them in one go.
    const unknown = errors
      .filter((error) => error.keyword === 'boolean')
      .map((error) => readablePath(error.instancePath));
    if (unknown.includes('eventID')) {
      return failure('InvalidData', 'eventID is assigned by OpenTrail; send your own identifier as id');
    }
    return failure('InvalidData', `unknown field(s): ${unknown.join(', ')}`);
  }
  if (first.keyword === 'maxItems' && path === 'resources') {
    return failure(
      'FieldTooLong',
      `resources has more than ${LIMITS.resourcesPerEvent} entries; at most ${LIMITS.resourcesPerEvent} are allowed per event (each one writes index items)`,
    );
  }
  if (first.keyword === 'maxLength' || first.keyword === 'maxItems') {
    return failure('FieldTooLong', `${path} ${first.message}`);
  }
  return failure('InvalidData', `${path || 'the event'} ${first.message}`);
}

/** Where byte-limited strings sit in the schema: a plan made once, so each event only visits those fields. */
interface ByteLimitPlan {
  readonly maxBytes?: number;
  readonly fields?: ReadonlyArray<readonly [string, ByteLimitPlan]>;
  readonly items?: ByteLimitPlan;
}

/** A JSON Schema, as far as byte limits go: the keywords that place one (others are ignored). */
interface SchemaShape {
  readonly [keyword: string]: unknown;
  readonly type?: string;
  readonly maxLength?: number;
  readonly properties?: Readonly<Record<string, SchemaShape>>;
  readonly items?: SchemaShape;
}

function planByteLimits(shape: SchemaShape): ByteLimitPlan | undefined {
  if (shape.type === 'string')
    return shape.maxLength === undefined ? undefined : { maxBytes: shape.maxLength };
  if (shape.type === 'array' && shape.items) {
    const items = planByteLimits(shape.items);
    return items && { items };
  }
  if (shape.properties) {
    const fields = Object.entries(shape.properties).flatMap(([key, child]) => {
      const plan = planByteLimits(child);
      return plan ? [[key, plan] as const] : [];
    });
    return fields.length > 0 ? { fields } : undefined;
  }
  return undefined;
}

const BYTE_LIMITS = planByteLimits(producerEventSchema) ?? {};

/** The first string over its byte limit, following the plan; like findUnstorableValue, paths only on failure. */
function findOversizedString(plan: ByteLimitPlan, value: unknown): Unstorable | undefined {
  if (typeof value === 'string') {
    const max = plan.maxBytes;
    // A UTF-16 code unit is at most 3 UTF-8 bytes: short strings need no counting.
    if (max !== undefined && value.length * 3 > max && byteLength(value) > max) {
      return unstorable(`is ${byteLength(value)} bytes; at most ${max} are allowed`);
    }
  } else if (Array.isArray(value) && plan.items) {
    for (let i = 0; i < value.length; i++) {
      const found = findOversizedString(plan.items, value[i]);
      if (found) {
        found.reversedPath.push(i);
        return found;
      }
    }
  } else if (value !== null && typeof value === 'object' && plan.fields) {
    for (const [key, child] of plan.fields) {
      const field = (value as Record<string, unknown>)[key];
      if (field === undefined) continue;
      const found = findOversizedString(child, field);
      if (found) {
        found.reversedPath.push(key);
        return found;
      }
    }
  }
  return undefined;
}

/** Validates one producer event. Never throws; the result names the first problem with a CloudTrail code. */
export function validateProducerEvent(input: unknown): ValidEvent | EventFailure {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return failure('InvalidData', 'an event must be a JSON object');
  }
  const found = findUnstorableValue(input, 0);
  if (found) return failure('InvalidData', describeUnstorable(found));
  if (!isProducerEvent(input)) return describeSchemaError(schemaErrors(input));
  const event = input as ProducerEvent;
  const oversized = findOversizedString(BYTE_LIMITS, event);
  if (oversized) return failure('FieldTooLong', describeUnstorable(oversized));
  if (event.userIdentity.principalId === undefined && event.userIdentity.userName === undefined) {
    return failure('FieldNotFound', 'userIdentity needs principalId or userName');
  }
  const index = (event.resources ?? []).findIndex(
    (resource) => resource.ARN === undefined && resource.type === undefined,
  );
  if (index >= 0) return failure('FieldNotFound', `resources[${index}] needs ARN or type`);
  return { ok: true, event };
}

const SIZED_FIELDS = Object.entries(producerEventSchema.properties).flatMap(([field, schema]) => {
  const max = (schema as { maxJsonBytes?: number }).maxJsonBytes;
  return max === undefined ? [] : [{ field: field as keyof ProducerEvent, max }];
});
const SMALLEST_SIZED_FIELD = Math.min(...SIZED_FIELDS.map(({ max }) => max));

/**
 * Byte limits that depend on serialised sizes: each object field, then the whole stored record. Fields are
 * only measured when the record is big enough for one of them to be over its limit.
 */
export function checkStoredSize(event: ProducerEvent, recordBytes: number): EventFailure | undefined {
  if (recordBytes > SMALLEST_SIZED_FIELD) {
    for (const { field, max } of SIZED_FIELDS) {
      const value = event[field];
      if (value === undefined || value === null) continue;
      const size = byteLength(JSON.stringify(value));
      if (size > max)
        return failure('FieldTooLong', `${field} is ${size} bytes as JSON; at most ${max} are allowed`);
    }
  }
  if (recordBytes > LIMITS.eventBytes) {
    return failure(
      'EventTooLarge',
      `the event is ${recordBytes} bytes as stored; at most ${LIMITS.eventBytes} are allowed`,
    );
  }
  return undefined;
}

/** What OpenTrail needs to fill in a record; the caller decides the eventID once the event time is known. */
export interface EnrichmentContext {
  readonly receivedAtMs: number;
  readonly defaultRegion: string;
  readonly defaultAccountId: string;
  readonly retentionDays: number;
  readonly producerArn?: string;
  /** The channel and externalId of a PutAuditEvents request, kept in the ingestion metadata. */
  readonly channelArn?: string;
  readonly externalId?: string;
}

/** The number the decimal digits of text[from, from + length) spell; -1 when one is not a digit. */
function decimalAt(text: string, from: number, length: number): number {
  let value = 0;
  for (let at = from; at < from + length; at++) {
    const digit = text.charCodeAt(at) - 48;
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** The last date an eventTime named (YYYY-MM-DD) and its start in epoch ms (NaN: no calendar date): a batch shares a few. */
let lastDate = '';
let lastDateMs = Number.NaN;

function dateStartMs(date: string): number {
  if (date !== lastDate) {
    const year = decimalAt(date, 0, 4);
    const month = decimalAt(date, 5, 2);
    const day = decimalAt(date, 8, 2);
    lastDateMs =
      year >= 0 && month >= 0 && day >= 0 && isCalendarDateTime(year, month, day)
        ? Date.parse(date)
        : Number.NaN;
    lastDate = date;
  }
  return lastDateMs;
}

/** Where the schema's form of an eventTime, YYYY-MM-DDTHH:MM:SS(.fraction)Z, has its separators. */
const TIME_SEPARATORS: ReadonlyArray<readonly [number, number]> = [
  [4, 0x2d],
  [7, 0x2d],
  [10, 0x54],
  [13, 0x3a],
  [16, 0x3a],
];
const SECOND_FRACTION_AT = 19;
const FULL_STOP = 0x2e;
const LETTER_Z = 0x5a;

/** The milliseconds of a second's fraction (the digits after SECOND_FRACTION_AT), cut as Date.parse cuts them. */
function fractionMs(text: string): number {
  const digits = text.length - SECOND_FRACTION_AT - 2;
  if (digits < 0) return 0;
  if (digits === 0 || text.charCodeAt(SECOND_FRACTION_AT) !== FULL_STOP) return -1;
  return decimalAt(text, SECOND_FRACTION_AT + 1, Math.min(digits, 3)) * 10 ** Math.max(0, 3 - digits);
}

/**
 * The eventTime in epoch milliseconds, NaN when it names no calendar date and time (2026-11-31, T24:00:00) or is
 * not in the schema's form. It reads the time as Date.parse does (a fraction is cut, not rounded, to milliseconds)
 * without a regular expression or a Date per event.
 */
export function eventTimeMs(event: ProducerEvent, receivedAtMs: number): number {
  const text = event.eventTime;
  if (text === undefined) return receivedAtMs;
  if (text.charCodeAt(text.length - 1) !== LETTER_Z) return Number.NaN;
  for (const [at, separator] of TIME_SEPARATORS) if (text.charCodeAt(at) !== separator) return Number.NaN;
  const dayMs = dateStartMs(text.slice(0, 10));
  const hour = decimalAt(text, 11, 2);
  const minute = decimalAt(text, 14, 2);
  const second = decimalAt(text, 17, 2);
  const milliseconds = fractionMs(text);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || milliseconds < 0)
    return Number.NaN;
  return dayMs + hour * 3_600_000 + minute * 60_000 + second * 1_000 + milliseconds;
}

/** Checks what depends on the clock: the event must fall inside the retention window and not in the future. */
export function checkEventTime(timeMs: number, context: EnrichmentContext): EventFailure | undefined {
  if (Number.isNaN(timeMs)) return failure('InvalidData', 'eventTime is not a calendar date and time');
  if (timeMs > context.receivedAtMs + LIMITS.futureSkewMs) {
    return failure('InvalidData', 'eventTime is more than 15 minutes in the future');
  }
  const oldestMs = context.receivedAtMs - context.retentionDays * 86_400_000;
  if (timeMs < oldestMs) {
    return failure(
      'InvalidData',
      `eventTime is older than the trail's ${context.retentionDays}-day retention`,
    );
  }
  return undefined;
}

/** Builds the stored record: the producer's fields untouched, OpenTrail's fields filled in. */
let lastIsoMs = Number.NaN;
let lastIso = '';

/** ISO text of a time; a batch shares one receipt time, so the last answer is kept. */
function isoTime(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIso = new Date(ms).toISOString();
    lastIsoMs = ms;
  }
  return lastIso;
}

function withoutId({ id: _id, ...fields }: ProducerEvent): Omit<ProducerEvent, 'id'> {
  return fields;
}

export function buildRecord(
  event: ProducerEvent,
  eventID: string,
  timeMs: number,
  context: EnrichmentContext,
): TrailRecord | EventFailure {
  const id = event.id;
  // Most events carry no id: they are copied once, into the record, not first into an object without it.
  const fields: Omit<ProducerEvent, 'id'> = id === undefined ? event : withoutId(event);
  const eventCategory = fields.eventCategory ?? 'Management';
  const managementEvent = eventCategory === 'Management';
  if (fields.managementEvent !== undefined && fields.managementEvent !== managementEvent) {
    return failure(
      'InvalidData',
      `managementEvent ${fields.managementEvent} contradicts eventCategory ${eventCategory}`,
    );
  }
  const ingestion: IngestionMetadata = {
    receivedAt: isoTime(context.receivedAtMs),
  };
  if (id !== undefined) ingestion.id = id;
  if (context.producerArn !== undefined) ingestion.producerArn = context.producerArn;
  if (context.channelArn !== undefined) ingestion.channelArn = context.channelArn;
  if (context.externalId !== undefined) ingestion.externalId = context.externalId;
  const record: TrailRecord = {
    eventVersion: fields.eventVersion ?? EVENT_VERSION,
    ...fields,
    eventTime: fields.eventTime ?? isoTime(timeMs),
    awsRegion: fields.awsRegion ?? context.defaultRegion,
    eventID,
    eventType: fields.eventType ?? 'ApiCall',
    readOnly: fields.readOnly ?? inferReadOnly(fields.eventName),
    managementEvent,
    eventCategory,
    recipientAccountId: fields.recipientAccountId ?? context.defaultAccountId,
    clientType: fields.clientType ?? inferClientType(fields),
    ingestion,
  };
  return record;
}
