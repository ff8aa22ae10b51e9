import { gunzipSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ARCHIVE_PREFIX } from '../../../lambda/core/archive-layout.js';
import {
  compilePrefix,
  createFirehoseDelivery,
  type FirehoseS3Destination,
  type ObjectWriter,
  ServiceUnavailableError,
} from '../../../local/firehose-delivery.js';
import { FakeClock } from './fake-clock.js';

const START = Date.parse('2026-11-24T05:06:07.250Z');
const WRITER = 'AWS:AROALOCALFIREHOSE0001:AWSFirehoseToS3';
const DESTINATION: FirehoseS3Destination = {
  deliveryStreamName: 'opentrail-events',
  versionId: '1',
  bucketName: 'opentrail-archive',
  prefix: ARCHIVE_PREFIX,
  buffering: { intervalSeconds: 60, sizeBytes: 1024 },
};

interface Written {
  readonly bucket: string;
  readonly key: string;
  readonly body: Uint8Array;
}

/** A delivery on fake time whose S3 and queue record what they are given. */
const deliveryOnFakeTime = (
  options: { destination?: FirehoseS3Destination; putObject?: ObjectWriter['putObject'] } = {},
) => {
  const clock = new FakeClock(START);
  const written: Written[] = [];
  const notifications: string[] = [];
  const delivery = createFirehoseDelivery({
    destination: options.destination ?? DESTINATION,
    objects: {
      putObject:
        options.putObject ??
        (async (bucket, key, body) => {
          written.push({ bucket, key, body });
          return { eTag: `"etag-${written.length}"`, versionId: `version-${written.length}` };
        }),
    },
    notify: async (body) => {
      notifications.push(body);
    },
    writerPrincipal: WRITER,
    region: 'us-east-1',
    clock,
  });
  return { clock, written, notifications, delivery };
};

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The gzip members of an object (Node writes 10-byte headers without optional fields). */
const gzipMembers = (object: Uint8Array): string[] => {
  const members: string[] = [];
  let offset = 0;
  for (let guard = 0; offset < object.byteLength && guard < 100; guard++) {
    expect([object[offset], object[offset + 1], object[offset + 3]]).toEqual([0x1f, 0x8b, 0]);
    const { buffer, engine } = inflateRawSync(object.subarray(offset + 10), { info: true }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    members.push(buffer.toString('utf8'));
    // Header, deflate stream, CRC32 and ISIZE.
    offset += 10 + engine.bytesWritten + 8;
  }
  return members;
};

describe('local Firehose delivery', () => {
  it('writes nothing until the buffering interval has passed since the oldest record, then one object', async () => {
    // Prepare
    const { clock, written, delivery } = deliveryOnFakeTime();

    // Act
    delivery.accept([bytes('{"a":1}\n')]);
    await clock.runFor(30_000);
    delivery.accept([bytes('{"b":2}\n'), bytes('{"c":3}\n')]);
    await clock.runFor(29_999);
    const beforeInterval = written.length;
    await clock.runFor(1);

    // Assess
    expect(beforeInterval).toBe(0);
    expect(written).toHaveLength(1);
    expect(gunzipSync(written[0]?.body ?? new Uint8Array()).toString('utf8')).toBe(
      '{"a":1}\n{"b":2}\n{"c":3}\n',
    );
    expect(delivery.stats()).toEqual({
      objectsDelivered: 1,
      recordsDelivered: 3,
      notificationsSent: 1,
      recordsBuffered: 0,
    });
  });

  it('writes exactly one gzip member per object', async () => {
    // Prepare
    const { written, delivery } = deliveryOnFakeTime();
    delivery.accept([bytes('{"a":1}\n'), bytes('{"b":2}\n')]);

    // Act
    await delivery.flush();

    // Assess
    expect(gzipMembers(written[0]?.body ?? new Uint8Array())).toEqual(['{"a":1}\n{"b":2}\n']);
  });

  it('writes at once when the buffered bytes reach the buffering size, before the interval', async () => {
    // Prepare
    const { clock, written, delivery } = deliveryOnFakeTime();

    // Act
    delivery.accept([bytes('x'.repeat(600))]);
    await clock.runFor(1_000);
    const belowSize = written.length;
    delivery.accept([bytes('y'.repeat(600))]);
    await clock.runFor(0);

    // Assess
    expect(belowSize).toBe(0);
    expect(written).toHaveLength(1);
    expect(gunzipSync(written[0]?.body ?? new Uint8Array())).toHaveLength(1200);
  });

  it("names the object as Firehose does, after the oldest record's arrival", async () => {
    // Prepare
    const { clock, written, delivery } = deliveryOnFakeTime();
    delivery.accept([bytes('{"a":1}\n')]);
    // A record arriving in the next hour joins the same object, named after the first.
    await clock.runFor(55_000);
    delivery.accept([bytes('{"b":2}\n')]);

    // Act
    await clock.runFor(5_000);

    // Assess
    expect(written[0]?.bucket).toBe('opentrail-archive');
    expect(written[0]?.key).toMatch(
      /^events\/2026\/11\/24\/05\/opentrail-events-1-2026-11-24-05-06-07-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.gz$/,
    );
  });

  it('sends the ObjectCreated notification S3 would, with the version, the size and the writer', async () => {
    // Prepare: a prefix with a space and no timestamp expression (Firehose appends the hour itself).
    const { written, notifications, delivery } = deliveryOnFakeTime({
      destination: { ...DESTINATION, prefix: 'my archive/' },
    });
    delivery.accept([bytes('{"a":1}\n')]);

    // Act
    await delivery.flush();

    // Assess
    const key = written[0]?.key ?? '';
    expect(key).toMatch(/^my archive\/2026\/11\/24\/05\/opentrail-events-1-/);
    expect(notifications).toHaveLength(1);
    const message = JSON.parse(notifications[0] ?? '{}') as { Records: unknown[] };
    expect(message.Records).toHaveLength(1);
    expect(message.Records[0]).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: WRITER },
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: 'opentrail-archive', arn: 'arn:aws:s3:::opentrail-archive' },
        object: {
          key: key.replace(' ', '+'),
          size: written[0]?.body.byteLength,
          eTag: 'etag-1',
          versionId: 'version-1',
        },
      },
    });
  });

  it('delivers what is buffered at close, and refuses records after it', async () => {
    // Prepare
    const { written, notifications, delivery } = deliveryOnFakeTime();
    delivery.accept([bytes('{"a":1}\n')]);

    // Act
    await delivery.close();

    // Assess
    expect(written).toHaveLength(1);
    expect(notifications).toHaveLength(1);
    expect(() => delivery.accept([bytes('{"b":2}\n')])).toThrow(ServiceUnavailableError);
  });

  it('tries a failed PutObject again, and notifies once for the object written', async () => {
    // Prepare
    let calls = 0;
    const { clock, notifications, delivery } = deliveryOnFakeTime({
      putObject: async () => {
        calls++;
        if (calls === 1) throw new Error('InternalError');
        return { eTag: '"etag"', versionId: 'v' };
      },
    });
    delivery.accept([bytes('{"a":1}\n')]);

    // Act
    await clock.runUntil(() => notifications.length > 0, 'the notification');

    // Assess
    expect(calls).toBe(2);
    expect(delivery.stats().objectsDelivered).toBe(1);
  });

  it('refuses records with ServiceUnavailableException while twice the buffering size is undelivered', async () => {
    // Prepare: S3 never answers.
    const { delivery } = deliveryOnFakeTime({ putObject: () => new Promise(() => {}) });
    delivery.accept([bytes('x'.repeat(1024))]);
    delivery.accept([bytes('x'.repeat(1000))]);

    // Act
    const overflow = () => delivery.accept([bytes('x'.repeat(100))]);

    // Assess
    expect(overflow).toThrow(ServiceUnavailableError);
  });
});

describe('Firehose prefix evaluation', () => {
  it("evaluates the stack's timestamp expressions in UTC", () => {
    // Act
    const evaluated = compilePrefix(ARCHIVE_PREFIX)(new Date('2026-01-02T03:04:05Z'));

    // Assess
    expect(evaluated).toBe('events/2026/01/02/03/');
  });

  it('refuses an expression it cannot evaluate rather than write it into keys', () => {
    // Act
    const compile = () => compilePrefix('events/!{firehose:random-string}/');

    // Assess
    expect(compile).toThrow(/cannot evaluate !\{firehose:random-string\}/);
  });
});
