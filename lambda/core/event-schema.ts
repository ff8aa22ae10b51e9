import Type from 'typebox';
import {
  CLIENT_TYPES,
  EVENT_CATEGORIES,
  EVENT_TYPES,
  PRODUCER_EVENT_CATEGORIES,
  PRODUCER_EVENT_TYPES,
} from './event-enums.js';
import { LIMITS } from './limits.js';

/**
 * The event model's schemas, written with TypeBox: the one source of the JSON Schemas and of the record's
 * TypeScript types (lambda/core/event-model.ts). Only the build scripts import it at run time
 * (scripts/write-validators.ts writes the schemas as plain JSON and the producer event's check into
 * lambda/core/generated, scripts/write-schema.ts publishes them under schema/); the functions import what they
 * wrote, so a cold start neither loads TypeBox's type builder nor builds a schema (bench -- bundles).
 */

/**
 * A string limited in UTF-8 bytes. JSON Schema's maxLength counts characters, so it is a necessary condition
 * that validators elsewhere can check; OpenTrail then counts the bytes (findOversizedString).
 */
function bytes(maxBytes: number, options: { minLength?: number } = {}) {
  return Type.String({ ...options, maxLength: maxBytes, description: `at most ${maxBytes} UTF-8 bytes` });
}

/** An object (or null) limited in bytes of its JSON text; checked against the stored record (checkFieldSizes). */
function jsonObject(maxJsonBytes: number) {
  return Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
    maxJsonBytes,
    description: `a JSON object of at most ${maxJsonBytes} bytes, or null`,
  });
}

const shortText = bytes(LIMITS.shortFieldBytes);
const keyText = bytes(LIMITS.keyFieldBytes, { minLength: 1 });
const anyObject = Type.Record(Type.String(), Type.Unknown());

export const userIdentitySchema = Type.Object(
  {
    type: keyText,
    principalId: Type.Optional(keyText),
    arn: Type.Optional(shortText),
    accountId: Type.Optional(shortText),
    accessKeyId: Type.Optional(keyText),
    userName: Type.Optional(keyText),
    invokedBy: Type.Optional(shortText),
    sessionContext: Type.Optional(anyObject),
  },
  {
    description:
      'needs principalId or userName; CloudTrail adds identity fields over time, so others are kept',
  },
);

export const resourceSchema = Type.Object(
  {
    ARN: Type.Optional(bytes(LIMITS.resourceArnBytes, { minLength: 1 })),
    accountId: Type.Optional(shortText),
    type: Type.Optional(keyText),
  },
  { additionalProperties: false, description: 'needs ARN or type' },
);

/** What a producer sends: every CloudTrail record field OpenTrail does not own, plus an idempotency `id`. */
export const producerEventSchema = Type.Object(
  {
    id: Type.Optional(Type.String({ pattern: LIMITS.producerIdPattern.source })),
    eventVersion: Type.Optional(Type.String({ pattern: '^\\d{1,2}\\.\\d{1,3}$' })),
    eventTime: Type.Optional(
      Type.String({
        pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z$',
        description: 'ISO 8601 in UTC, like 2026-01-31T12:00:00Z',
      }),
    ),
    eventSource: keyText,
    eventName: keyText,
    awsRegion: Type.Optional(shortText),
    sourceIPAddress: Type.Optional(shortText),
    userAgent: Type.Optional(shortText),
    userIdentity: userIdentitySchema,
    requestParameters: Type.Optional(jsonObject(LIMITS.requestParametersBytes)),
    responseElements: Type.Optional(jsonObject(LIMITS.responseElementsBytes)),
    additionalEventData: Type.Optional(jsonObject(LIMITS.additionalEventDataBytes)),
    errorCode: Type.Optional(shortText),
    errorMessage: Type.Optional(shortText),
    requestID: Type.Optional(shortText),
    eventType: Type.Optional(Type.Enum([...PRODUCER_EVENT_TYPES])),
    readOnly: Type.Optional(Type.Boolean()),
    managementEvent: Type.Optional(Type.Boolean()),
    resources: Type.Optional(Type.Array(resourceSchema, { maxItems: LIMITS.resourcesPerEvent })),
    recipientAccountId: Type.Optional(Type.String({ pattern: '^\\d{12}$' })),
    sharedEventID: Type.Optional(shortText),
    eventCategory: Type.Optional(Type.Enum([...PRODUCER_EVENT_CATEGORIES])),
    clientType: Type.Optional(Type.Enum([...CLIENT_TYPES])),
    tlsDetails: Type.Optional(
      Type.Object(
        {
          tlsVersion: Type.Optional(shortText),
          cipherSuite: Type.Optional(shortText),
          clientProvidedHostHeader: Type.Optional(shortText),
        },
        { additionalProperties: false },
      ),
    ),
    vpcEndpointId: Type.Optional(shortText),
    vpcEndpointAccountId: Type.Optional(shortText),
    apiVersion: Type.Optional(shortText),
    sessionCredentialFromConsole: Type.Optional(shortText),
    serviceEventDetails: Type.Optional(jsonObject(LIMITS.additionalEventDataBytes)),
    addendum: Type.Optional(anyObject),
    edgeDeviceDetails: Type.Optional(anyObject),
    /** CloudTrail Lake eventData's `version`: the event's version at its source (PutAuditEvents). */
    sourceEventVersion: Type.Optional(shortText),
  },
  { additionalProperties: false },
);

const { id: _producerId, ...recordedProducerFields } = producerEventSchema.properties;

/**
 * The stored, returned and archived record: the producer's fields as sent, plus what OpenTrail fills in.
 * The archive's contract test and the Athena table are checked against it.
 */
export const trailRecordSchema = Type.Object(
  {
    ...recordedProducerFields,
    eventVersion: Type.String(),
    eventTime: Type.String(),
    eventID: Type.String({ pattern: '^[0-9A-HJKMNP-TV-Z]{26}$' }),
    eventType: Type.Enum([...EVENT_TYPES]),
    eventCategory: Type.Enum([...EVENT_CATEGORIES]),
    readOnly: Type.Boolean(),
    managementEvent: Type.Boolean(),
    recipientAccountId: Type.String(),
    awsRegion: Type.String(),
    clientType: Type.Enum([...CLIENT_TYPES]),
    /** Only on insight events, which OpenTrail writes itself (CloudTrail's insightDetails shape). */
    insightDetails: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    ingestion: Type.Object(
      {
        receivedAt: Type.String(),
        id: Type.Optional(Type.String({ description: "the producer's idempotency id" })),
        producerArn: Type.Optional(Type.String({ description: 'the IAM principal that put the event' })),
        channelArn: Type.Optional(
          Type.String({ description: 'the channel a PutAuditEvents request named (CloudTrail Lake)' }),
        ),
        externalId: Type.Optional(Type.String({ description: "the PutAuditEvents request's externalId" })),
        redactedFields: Type.Optional(
          Type.Array(Type.String(), {
            description:
              'the payload values OpenTrail masked before storing, like requestParameters.password',
          }),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
