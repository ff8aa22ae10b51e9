import { describe, expect, it } from 'vitest';
import { parseDeliveryNotification, writerVerdict } from '../../../lambda/core/integrity/archive-writer.js';
import { ARCHIVE_BUCKET, notification, WRITER } from './integrity-kit.js';

const writer = { bucket: ARCHIVE_BUCKET, principalPrefix: WRITER };

describe('the writer check', () => {
  it('reads bucket, decoded key, version and principal from an ObjectCreated notification', () => {
    // Act
    const { records } = parseDeliveryNotification(
      notification('events/2026/12/02/00/a b+c.gz', { versionId: 'v7' }),
    );

    // Assess
    expect(records).toEqual([
      {
        bucket: ARCHIVE_BUCKET,
        key: 'events/2026/12/02/00/a b+c.gz',
        versionId: 'v7',
        principalId: `${WRITER}FirehoseSession`,
        eventName: 'ObjectCreated:Put',
      },
    ]);
  });

  it("has no records in S3's test event and other event types", () => {
    // Assess
    expect(
      parseDeliveryNotification(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' })).records,
    ).toEqual([]);
    expect(
      parseDeliveryNotification(JSON.stringify({ Records: [{ eventName: 'ObjectRemoved:Delete' }] })).records,
    ).toEqual([]);
  });

  it('calls an object delivered only when the delivery role wrote it into the archive under events/', () => {
    // Prepare
    const [ours] = parseDeliveryNotification(notification('events/a.gz')).records;
    if (ours === undefined) throw new Error('no record');

    // Assess
    expect(writerVerdict(ours, writer)).toBe('delivered');
    expect(writerVerdict({ ...ours, principalId: 'AWS:AIDAUSER' }, writer)).toBe('foreign');
    expect(writerVerdict({ ...ours, principalId: 'AWS:AROAFIREHOSEROLEX:s' }, writer)).toBe('foreign');
    expect(writerVerdict({ ...ours, key: 'errors/a.gz' }, writer)).toBe('foreign');
    expect(writerVerdict({ ...ours, bucket: 'other' }, writer)).toBe('foreign');
    expect(writerVerdict(ours, { ...writer, principalPrefix: '' })).toBe('foreign');
  });
});
