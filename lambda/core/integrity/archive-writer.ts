import { ARCHIVE_PREFIXES } from '../archive-layout.js';

/**
 * Which archive objects the trail delivered: S3's ObjectCreated notifications name who wrote each object
 * (`userIdentity.principalId`). Only the Firehose delivery role writes under `events/`; anything else in the
 * archive is foreign, logged and counted, never digested, so a validator reports it (docs/integrity.md,
 * "The writer check").
 */

/** One ObjectCreated notification record, as far as the digester reads it. */
export interface ObjectCreatedRecord {
  readonly bucket: string;
  /** The object key, URL-decoded. */
  readonly key: string;
  readonly versionId?: string;
  readonly principalId: string;
  readonly eventName: string;
}

/** A notification message: its object records, or a message S3 sends with none (the s3:TestEvent). */
export interface DeliveryNotification {
  readonly records: readonly ObjectCreatedRecord[];
}

export type WriterVerdict = 'delivered' | 'foreign';

export interface ArchiveWriter {
  readonly bucket: string;
  /** `AWS:<roleId>:`: the prefix of the delivery role's sessions' principal ids. */
  readonly principalPrefix: string;
}

/** Delivered: written by the delivery role, into the archive bucket, under `events/`; anything else is foreign. */
export function writerVerdict(record: ObjectCreatedRecord, writer: ArchiveWriter): WriterVerdict {
  return record.bucket === writer.bucket &&
    record.key.startsWith(ARCHIVE_PREFIXES.events) &&
    writer.principalPrefix !== '' &&
    record.principalId.startsWith(writer.principalPrefix)
    ? 'delivered'
    : 'foreign';
}

/** S3 URL-encodes keys in notifications, spaces as `+` (S3 user guide, "Event message structure"). */
function decodeKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * The ObjectCreated records of an S3 notification body. A message that is not one (the test event S3 sends when
 * the notification is created, other event types) has none; a record without a bucket or key throws.
 */
export function parseDeliveryNotification(body: string): DeliveryNotification {
  const message: unknown = JSON.parse(body);
  const records = field(message, 'Records');
  if (!Array.isArray(records)) return { records: [] };
  return {
    records: records
      .filter((record) => text(field(record, 'eventName'))?.startsWith('ObjectCreated:'))
      .map((record): ObjectCreatedRecord => {
        const s3 = field(record, 's3');
        const bucket = text(field(field(s3, 'bucket'), 'name'));
        const key = text(field(field(s3, 'object'), 'key'));
        if (bucket === undefined || key === undefined)
          throw new Error('notification record without bucket or key');
        const versionId = text(field(field(s3, 'object'), 'versionId'));
        return {
          bucket,
          key: decodeKey(key),
          ...(versionId === undefined ? {} : { versionId }),
          principalId: text(field(field(record, 'userIdentity'), 'principalId')) ?? '',
          eventName: text(field(record, 'eventName')) ?? '',
        };
      }),
  };
}
