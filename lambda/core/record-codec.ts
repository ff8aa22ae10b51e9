import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * The stored form of an event record: the record JSON, deflated, behind a 1-byte format version. A typical
 * 1.2 KB record becomes about 0.5 KB, so its event item costs 1 WRU instead of 2 (docs/storage.md, measured in
 * docs/costs.md). Decoding gives back the exact bytes that were encoded: the archive, the log line and
 * GET /events/{id} return the record byte for byte as stored.
 *
 * A stored format must stay decodable for as long as items live (TTL up to 3650 days) and stream records can be
 * replayed: a new format gets a new version byte and its own entry in FORMATS; an existing entry never changes.
 */

/**
 * Format 1's preset dictionary: CloudTrail's field names and common values, in the order records are built
 * (lambda/core/event-model.ts). Deflate looks back into it for its first matches, which is most of what a small
 * record can gain; the most frequent strings sit at the end, where their distances are shortest.
 * Frozen: changing one byte makes every stored format-1 record undecodable.
 */
export const RECORD_FORMAT_DICTIONARY = Buffer.from(
  '"sessionContext":{"sessionIssuer":{"type":"Role","principalId":"","arn":"","accountId":"","userName":""},' +
    '"attributes":{"creationDate":"","mfaAuthenticated":"false"}},"invokedBy":"' +
    '"additionalEventData":{},"errorCode":"AccessDenied","errorMessage":"","sharedEventID":"",' +
    '"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":""},' +
    '"eventType":"AwsConsoleSignIn","ConsoleAction","ServiceEvent","Insight","eventCategory":"Data",' +
    '"clientType":"console","cli","service","sdk","AssumedRole","Root","AWSService","arn:aws:sts::' +
    ':assumed-role/","ingestion":{"id":"","channelArn":"","externalId":"",' +
    '{"eventVersion":"1.11","eventTime":"T00:00:00.000Z","eventSource":"","eventName":"","awsRegion":"us-east-1",' +
    '"sourceIPAddress":"","userAgent":"","userIdentity":{"type":"IAMUser","principalId":"AIDA","arn":"arn:aws:iam::' +
    ':user/","accountId":"","accessKeyId":"AKIA","userName":""},"requestParameters":{},"responseElements":{},' +
    '"requestID":"","eventType":"ApiCall","readOnly":true,"resources":[{"ARN":"arn:","accountId":"","type":""}],' +
    '"recipientAccountId":"","eventID":"","managementEvent":true,"eventCategory":"Management","clientType":"other",' +
    '"ingestion":{"receivedAt":"","producerArn":"arn:aws:iam::',
  'utf8',
);

interface RecordFormat {
  readonly dictionary: Buffer;
  /** Only the encoder uses it. Chosen by `npm run bench -- codec`: level 1, the least CPU at 1 WRU. */
  readonly level: number;
}

/** Every format ever written, by version byte. 1: raw deflate (RFC 1951) with RECORD_FORMAT_DICTIONARY. */
const FORMATS: ReadonlyMap<number, RecordFormat> = new Map([
  [1, { dictionary: RECORD_FORMAT_DICTIONARY, level: 1 }],
]);

/** The format new records are written in. */
export const RECORD_FORMAT_VERSION = 1;

export class RecordCodecError extends Error {
  override readonly name = 'RecordCodecError';
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function encodeRecord(json: string): Uint8Array {
  // A lone surrogate has no UTF-8 form: it would come back as U+FFFD. JSON.stringify never leaves one unescaped.
  if (!json.isWellFormed()) throw new RecordCodecError('a record to store is not well-formed UTF-16');
  const format = FORMATS.get(RECORD_FORMAT_VERSION) as RecordFormat;
  const deflated = deflateRawSync(Buffer.from(json, 'utf8'), {
    level: format.level,
    dictionary: format.dictionary,
  });
  const encoded = new Uint8Array(deflated.byteLength + 1);
  encoded[0] = RECORD_FORMAT_VERSION;
  encoded.set(deflated, 1);
  return encoded;
}

export function decodeRecord(bytes: Uint8Array): string {
  const version = bytes[0];
  const format = version === undefined ? undefined : FORMATS.get(version);
  if (!format) throw new RecordCodecError(`unknown stored record format ${String(version)}`);
  try {
    const inflated = inflateRawSync(bytes.subarray(1), { dictionary: format.dictionary });
    return strictUtf8.decode(inflated);
  } catch (error) {
    throw new RecordCodecError(`stored record (format ${version}) is corrupt: ${(error as Error).message}`);
  }
}

/**
 * The record as DynamoDB holds it in the `record` attribute: B, the codec's bytes (base64 in Lambda's stream event
 * JSON, bytes from the SDK; docs/storage.md).
 */
export interface StoredRecordValue {
  readonly B?: string | Uint8Array;
}

/**
 * The record JSON of a stored value, byte for byte what was encoded; undefined when the value holds no B. A B value
 * that does not decode throws RecordCodecError: a reader fails at that record rather than skipping or garbling an
 * event.
 */
export function storedRecordJson(value: StoredRecordValue | undefined): string | undefined {
  if (value?.B === undefined) return undefined;
  return decodeRecord(typeof value.B === 'string' ? Buffer.from(value.B, 'base64') : value.B);
}
