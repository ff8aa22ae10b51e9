import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * The stored form of a page's records (a page is the item holding several events of one request; keys.ts): the
 * record JSONs, one per line, deflated together behind a 1-byte format version. Deflating a page at once costs one
 * deflate setup instead of one per record and lets later records match earlier ones: a typical 1.2 KB record takes
 * about 0.1 KB of a page (docs/storage.md, measured by `npm run bench -- codec`). Decoding gives back the exact
 * bytes that were encoded: the archive, the log line and GET /events/{id} return each record byte for byte as stored.
 *
 * A stored format must stay decodable for as long as items live (TTL up to 3650 days) and stream records can be
 * replayed: a new format gets a new version byte and its own entry in FORMATS; an existing entry never changes.
 */

/**
 * The preset dictionary: CloudTrail's field names and common values, in the order records are built
 * (lambda/core/event-model.ts). Deflate looks back into it for its first matches, which is most of what a small
 * record can gain; the most frequent strings sit at the end, where their distances are shortest.
 * Frozen: changing one byte makes every stored format-2 page undecodable.
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
  /**
   * Only the encoder uses it. `npm run bench -- codec`: level 1 costs the least CPU; levels 2-3 would save about
   * 0.01 WRU per event (docs/storage.md).
   */
  readonly level: number;
}

/**
 * Every format ever written, by version byte. 2: records joined by line feeds (JSON text holds none: JSON.stringify
 * escapes every control character), raw deflate (RFC 1951) with RECORD_FORMAT_DICTIONARY. Format 1, one record per
 * item, was never shipped.
 */
const FORMATS: ReadonlyMap<number, RecordFormat> = new Map([
  [2, { dictionary: RECORD_FORMAT_DICTIONARY, level: 1 }],
]);

/** The format new pages are written in. */
export const RECORD_FORMAT_VERSION = 2;

const RECORD_SEPARATOR = '\n';

export class RecordCodecError extends Error {
  override readonly name = 'RecordCodecError';
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Where a page's text is encoded to UTF-8 for deflate, reused from page to page: deflateRawSync reads it at once, and
 * a fresh buffer per page (Buffer.from) costs several times the encoding. It grows to 3 bytes per character of the
 * largest page met, which the limits bound (LIMITS.pageOpenBytes plus one event).
 */
let pageText = Buffer.allocUnsafe(64 * 1024);
const SEPARATOR_BYTE = RECORD_SEPARATOR.charCodeAt(0);

/** The records' UTF-8 bytes, one per line, written one after another: no joined copy of the page's text. */
function pageBytes(jsons: readonly string[]): Buffer {
  let most = jsons.length;
  for (const json of jsons) most += json.length * 3;
  if (most > pageText.length) pageText = Buffer.allocUnsafe(most);
  let at = 0;
  jsons.forEach((json, index) => {
    if (index > 0) pageText[at++] = SEPARATOR_BYTE;
    at += pageText.write(json, at, 'utf8');
  });
  return pageText.subarray(0, at);
}

/** A page's records, in the order given, as one stored value. */
export function encodePage(jsons: readonly string[]): Uint8Array {
  if (jsons.length === 0) throw new RecordCodecError('a page holds at least one record');
  for (const json of jsons) {
    // A lone surrogate has no UTF-8 form: it would come back as U+FFFD. JSON.stringify never leaves one unescaped.
    if (!json.isWellFormed()) throw new RecordCodecError('a record to store is not well-formed UTF-16');
    if (json.includes(RECORD_SEPARATOR))
      throw new RecordCodecError('a record to store holds a raw line feed');
  }
  const format = FORMATS.get(RECORD_FORMAT_VERSION) as RecordFormat;
  const deflated = deflateRawSync(pageBytes(jsons), {
    level: format.level,
    dictionary: format.dictionary,
  });
  const encoded = new Uint8Array(deflated.byteLength + 1);
  encoded[0] = RECORD_FORMAT_VERSION;
  encoded.set(deflated, 1);
  return encoded;
}

/** The records of a stored page, in the order they were encoded. */
export function decodePage(bytes: Uint8Array): string[] {
  const version = bytes[0];
  const format = version === undefined ? undefined : FORMATS.get(version);
  if (!format) throw new RecordCodecError(`unknown stored record format ${String(version)}`);
  try {
    const inflated = inflateRawSync(bytes.subarray(1), { dictionary: format.dictionary });
    return strictUtf8.decode(inflated).split(RECORD_SEPARATOR);
  } catch (error) {
    throw new RecordCodecError(`stored page (format ${version}) is corrupt: ${(error as Error).message}`);
  }
}

/**
 * The records as DynamoDB holds them in the `record` attribute: B, the codec's bytes (base64 in Lambda's stream event
 * JSON, bytes from the SDK; docs/storage.md).
 */
export interface StoredRecordValue {
  readonly B?: string | Uint8Array;
}

/**
 * The record JSONs of a stored page, each byte for byte what was encoded; undefined when the value holds no B. A B
 * value that does not decode throws RecordCodecError: a reader fails at that page rather than skipping or garbling
 * an event.
 */
export function storedPageRecords(value: StoredRecordValue | undefined): string[] | undefined {
  if (value?.B === undefined) return undefined;
  return decodePage(typeof value.B === 'string' ? Buffer.from(value.B, 'base64') : value.B);
}
