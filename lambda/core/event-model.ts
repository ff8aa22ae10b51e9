import { z } from 'zod';
import { inferClientType } from './client-type.js';
import { LIMITS } from './limits.js';

/**
 * The OpenTrail event record: CloudTrail record contents (eventVersion 1.11) plus `clientType` and the
 * `ingestion` metadata. This module is the single source of truth for what a producer may send, what
 * OpenTrail fills in, and every limit; handlers, local mode, the CLI and tests import it.
 */
export const EVENT_VERSION = '1.11';

export const EVENT_CATEGORIES = ['Management', 'Data', 'Insight'] as const;
export const PRODUCER_EVENT_CATEGORIES = ['Management', 'Data'] as const;
export const EVENT_TYPES = ['ApiCall', 'ConsoleAction', 'ConsoleSignIn', 'ServiceEvent', 'Insight'] as const;
export const PRODUCER_EVENT_TYPES = ['ApiCall', 'ConsoleAction', 'ConsoleSignIn', 'ServiceEvent'] as const;
export const CLIENT_TYPES = ['console', 'sdk', 'cli', 'service', 'other'] as const;

export type EventCategory = (typeof EVENT_CATEGORIES)[number];
export type EventType = (typeof EVENT_TYPES)[number];
export type ClientType = (typeof CLIENT_TYPES)[number];

/** Per-event failure codes, as CloudTrail Lake names them where it has a name. */
export type EventErrorCode = 'FieldNotFound' | 'FieldTooLong' | 'InvalidData' | 'EventTooLarge';

const utf8 = new TextEncoder();
export const byteLength = (text: string): number => utf8.encode(text).length;

function boundedString(maxBytes: number) {
  return z
    .string()
    .meta({ description: `at most ${maxBytes} UTF-8 bytes` })
    .superRefine((value, ctx) => {
      if (byteLength(value) > maxBytes) {
        ctx.addIssue({
          code: 'custom',
          message: `is ${byteLength(value)} bytes; at most ${maxBytes} are allowed`,
          params: { errorCode: 'FieldTooLong' },
        });
      }
    });
}

const shortText = boundedString(LIMITS.shortFieldBytes);
const keyText = boundedString(LIMITS.keyFieldBytes).min(1, 'must not be empty');

function boundedObject(maxBytes: number) {
  return z
    .record(z.string(), z.unknown())
    .nullable()
    .meta({ description: `a JSON object of at most ${maxBytes} bytes` })
    .superRefine((value, ctx) => {
      const size = value === null ? 0 : byteLength(JSON.stringify(value));
      if (size > maxBytes) {
        ctx.addIssue({
          code: 'custom',
          message: `is ${size} bytes as JSON; at most ${maxBytes} are allowed`,
          params: { errorCode: 'FieldTooLong' },
        });
      }
    });
}

const ISO_UTC_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

const userIdentitySchema = z
  .looseObject({
    type: keyText,
    principalId: keyText.optional(),
    arn: shortText.optional(),
    accountId: shortText.optional(),
    accessKeyId: keyText.optional(),
    userName: keyText.optional(),
    invokedBy: shortText.optional(),
    sessionContext: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((identity) => identity.principalId !== undefined || identity.userName !== undefined, {
    message: 'needs principalId or userName',
    params: { errorCode: 'FieldNotFound' },
  });

const resourceSchema = z
  .strictObject({
    ARN: boundedString(LIMITS.resourceArnBytes).min(1, 'must not be empty').optional(),
    accountId: shortText.optional(),
    type: keyText.optional(),
  })
  .refine((resource) => resource.ARN !== undefined || resource.type !== undefined, {
    message: 'needs ARN or type',
    params: { errorCode: 'FieldNotFound' },
  });

/** What a producer sends: every CloudTrail record field OpenTrail does not own, plus an idempotency `id`. */
export const producerEventSchema = z.strictObject({
  id: z
    .string()
    .regex(LIMITS.producerIdPattern, 'must be 1-128 characters of A-Z, a-z, 0-9, - and _')
    .optional(),
  eventVersion: z
    .string()
    .regex(/^\d{1,2}\.\d{1,3}$/, 'must look like 1.11')
    .optional(),
  eventTime: z.string().regex(ISO_UTC_TIME, 'must be ISO 8601 in UTC, like 2026-01-31T12:00:00Z').optional(),
  eventSource: keyText,
  eventName: keyText,
  awsRegion: shortText.optional(),
  sourceIPAddress: shortText.optional(),
  userAgent: shortText.optional(),
  userIdentity: userIdentitySchema,
  requestParameters: boundedObject(LIMITS.requestParametersBytes).optional(),
  responseElements: boundedObject(LIMITS.responseElementsBytes).optional(),
  additionalEventData: boundedObject(LIMITS.additionalEventDataBytes).optional(),
  errorCode: shortText.optional(),
  errorMessage: shortText.optional(),
  requestID: shortText.optional(),
  eventType: z.enum(PRODUCER_EVENT_TYPES).optional(),
  readOnly: z.boolean().optional(),
  managementEvent: z.boolean().optional(),
  resources: z
    .array(resourceSchema)
    .max(LIMITS.resourcesPerEvent, `has more than ${LIMITS.resourcesPerEvent} entries`)
    .optional(),
  recipientAccountId: z
    .string()
    .regex(/^\d{12}$/, 'must be a 12-digit account id')
    .optional(),
  sharedEventID: shortText.optional(),
  eventCategory: z.enum(PRODUCER_EVENT_CATEGORIES).optional(),
  clientType: z.enum(CLIENT_TYPES).optional(),
  tlsDetails: z
    .strictObject({
      tlsVersion: shortText.optional(),
      cipherSuite: shortText.optional(),
      clientProvidedHostHeader: shortText.optional(),
    })
    .optional(),
  vpcEndpointId: shortText.optional(),
  vpcEndpointAccountId: shortText.optional(),
  apiVersion: shortText.optional(),
  sessionCredentialFromConsole: shortText.optional(),
  serviceEventDetails: boundedObject(LIMITS.additionalEventDataBytes).optional(),
  addendum: z.record(z.string(), z.unknown()).optional(),
  edgeDeviceDetails: z.record(z.string(), z.unknown()).optional(),
});

export type ProducerEvent = z.infer<typeof producerEventSchema>;
export type UserIdentity = z.infer<typeof userIdentitySchema>;
export type Resource = z.infer<typeof resourceSchema>;

/** Metadata OpenTrail records about how it received the event. */
export interface IngestionMetadata {
  readonly receivedAt: string;
  /** The producer's idempotency id, when it sent one. */
  readonly id?: string;
  /** The IAM principal that put the event (from SigV4), so the trail itself is auditable. */
  readonly producerArn?: string;
}

export type TrailRecord = Omit<ProducerEvent, 'id'> & {
  eventVersion: string;
  eventTime: string;
  eventID: string;
  eventType: EventType;
  eventCategory: EventCategory;
  readOnly: boolean;
  managementEvent: boolean;
  recipientAccountId: string;
  awsRegion: string;
  clientType: ClientType;
  ingestion: IngestionMetadata;
};

/** The JSON Schema producers can validate against before sending. */
export function producerEventJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(producerEventSchema, { target: 'draft-2020-12', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
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

function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
    .join('')
    .slice(1);
}

/**
 * Checks what JSON.parse cannot: strings must be well-formed Unicode (a lone surrogate would be rewritten on the
 * way to storage), numbers must survive a round trip, and nesting is bounded.
 */
function findUnstorableValue(value: unknown, path: string, depth: number): string | undefined {
  if (typeof value === 'string') {
    return value.isWellFormed() ? undefined : `${path} contains an unpaired UTF-16 surrogate`;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return `${path} is not a finite number`;
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
      return `${path} is an integer beyond 2^53 that cannot be stored exactly; send it as a string`;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth > LIMITS.nestingDepth) return `${path} is nested deeper than ${LIMITS.nestingDepth} levels`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = findUnstorableValue(value[i], `${path}[${i}]`, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  for (const [key, child] of Object.entries(value)) {
    if (!key.isWellFormed()) return `a key in ${path || 'the event'} contains an unpaired UTF-16 surrogate`;
    const problem = findUnstorableValue(child, path ? `${path}.${key}` : key, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

/** Validates one producer event. Never throws; the result names the first problem with a CloudTrail code. */
export function validateProducerEvent(input: unknown): ValidEvent | EventFailure {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return failure('InvalidData', 'an event must be a JSON object');
  }
  const unstorable = findUnstorableValue(input, '', 0);
  if (unstorable) return failure('InvalidData', unstorable);
  const parsed = producerEventSchema.safeParse(input);
  if (parsed.success) {
    if ('eventID' in input) {
      return failure('InvalidData', 'eventID is assigned by OpenTrail; send your own identifier as id');
    }
    return { ok: true, event: input as ProducerEvent };
  }
  const issue = parsed.error.issues[0];
  if (!issue) return failure('InvalidData', 'the event is not valid');
  const path = pathText(issue.path);
  const where = path || 'event';
  if (issue.code === 'invalid_type' && (issue.input === undefined || issue.message.includes('undefined'))) {
    return failure('FieldNotFound', `${where} is required`);
  }
  if (issue.code === 'unrecognized_keys') {
    if (issue.keys.includes('eventID')) {
      return failure('InvalidData', 'eventID is assigned by OpenTrail; send your own identifier as id');
    }
    return failure(
      'InvalidData',
      `${where === 'event' ? 'the event' : where} has unknown field(s): ${issue.keys.join(', ')}`,
    );
  }
  const params = 'params' in issue ? (issue.params as { errorCode?: EventErrorCode } | undefined) : undefined;
  if (params?.errorCode) return failure(params.errorCode, `${where} ${issue.message}`);
  if (issue.code === 'too_big') return failure('FieldTooLong', `${where} ${issue.message}`);
  return failure('InvalidData', `${where}: ${issue.message}`);
}

/** What OpenTrail needs to fill in a record; the caller decides the eventID once the event time is known. */
export interface EnrichmentContext {
  readonly receivedAtMs: number;
  readonly defaultRegion: string;
  readonly defaultAccountId: string;
  readonly retentionDays: number;
  readonly producerArn?: string;
}

export function eventTimeMs(event: ProducerEvent, receivedAtMs: number): number {
  return event.eventTime === undefined ? receivedAtMs : Date.parse(event.eventTime);
}

/** Checks what depends on the clock: the event must fall inside the retention window and not in the future. */
export function checkEventTime(timeMs: number, context: EnrichmentContext): EventFailure | undefined {
  if (Number.isNaN(timeMs)) return failure('InvalidData', 'eventTime is not a real date');
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
export function buildRecord(
  event: ProducerEvent,
  eventID: string,
  timeMs: number,
  context: EnrichmentContext,
): TrailRecord | EventFailure {
  const { id, ...fields } = event;
  const eventCategory = fields.eventCategory ?? 'Management';
  const managementEvent = eventCategory === 'Management';
  if (fields.managementEvent !== undefined && fields.managementEvent !== managementEvent) {
    return failure(
      'InvalidData',
      `managementEvent ${fields.managementEvent} contradicts eventCategory ${eventCategory}`,
    );
  }
  const ingestion: IngestionMetadata = {
    receivedAt: new Date(context.receivedAtMs).toISOString(),
    ...(id === undefined ? {} : { id }),
    ...(context.producerArn === undefined ? {} : { producerArn: context.producerArn }),
  };
  const record: TrailRecord = {
    eventVersion: fields.eventVersion ?? EVENT_VERSION,
    ...fields,
    eventTime: fields.eventTime ?? new Date(timeMs).toISOString(),
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

/** Username as CloudTrail's lookup means it: userName, or the principal id when there is no user name. */
export function lookupUsername(identity: UserIdentity): string {
  return identity.userName ?? identity.principalId ?? '';
}
