import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageCount } from '../../lambda/core/keys.js';
import { type MotoEmulator, startEmulator } from '../../local/emulator.js';
import { type LocalHandle, startLocal } from '../../local/runner.js';
import { eventually, pipelineReader } from '../support/pipeline-reader.js';
import { signedFetch } from '../support/signed-fetch.js';

// The functions log JSON to stdout; only their errors are of interest here.
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';

interface DigestLogFile {
  readonly s3Bucket: string;
  readonly s3Object: string;
  readonly hashValue: string;
  readonly hashAlgorithm: string;
}

interface Digest {
  readonly digestS3Bucket: string;
  readonly digestS3Object: string;
  readonly logFiles: readonly DigestLogFile[];
}

/**
 * Tamper evidence in local mode, read back as `aws cloudtrail validate-logs` reads it: events put through the API
 * reach the archive as local mode's Firehose writes it (gzip, one member), the digester lists that object in a
 * digest in the digest bucket, and the listed hash is the SHA-256 of the inflated object, whose lines are the
 * records GET /events/{id} returns, byte for byte. Both buckets are read through moto's S3 endpoint, path-style.
 */
describe('integrity in local mode', () => {
  let local: LocalHandle;
  let s3: S3Client;

  beforeAll(async () => {
    local = await startLocal({ archiveBufferSeconds: 1, console: false });
    s3 = new S3Client({
      region: local.region,
      endpoint: local.s3Endpoint,
      credentials: local.credentials,
      forcePathStyle: true,
    });
  });

  afterAll(async () => {
    s3?.destroy();
    await local?.stop();
  });

  const getObject = async (Bucket: string, Key: string, VersionId?: string): Promise<Buffer> => {
    const object = await s3.send(new GetObjectCommand({ Bucket, Key, VersionId }));
    return Buffer.from((await object.Body?.transformToByteArray()) ?? []);
  };

  it("lists each archive object in a digest with the SHA-256 of its inflated member, whose lines are the API's records", async () => {
    // Prepare
    const events = ['CreateOrder', 'ShipOrder', 'CloseOrder'].map((eventName, i) => ({
      id: `integrity-e2e-${i}`,
      eventSource: 'orders.example.com',
      eventName,
      userIdentity: { type: 'IAMUser', userName: 'integrity-e2e' },
    }));
    const put = await signedFetch(new URL('/events', local.apiUrl), {
      method: 'POST',
      body: JSON.stringify({ events }),
      credentials: local.producerCredentials,
      region: local.region,
    });
    const { successful } = (await put.json()) as { successful: Array<{ eventID: string }> };
    const eventIDs = successful.map(({ eventID }) => eventID);
    // Every event archived and its object's notification queued for the digester.
    await eventually(async () => {
      const { recordsDelivered } = local.streamStats().archive;
      const { notificationsSent, recordsBuffered } = local.firehose.stats();
      return recordsDelivered >= pageCount(eventIDs) && recordsBuffered === 0 && notificationsSent > 0
        ? true
        : undefined;
    }, 'the events archived and their notifications sent');

    // Act: the scheduled digester, run now.
    await local.runDigester();
    const digestKeys = await eventually(async () => {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: local.integrity.digestBucketName }));
      const keys = (listed.Contents ?? []).flatMap(({ Key }) => (Key === undefined ? [] : [Key]));
      return keys.length > 0 ? keys : undefined;
    }, 'a digest in the digest bucket');
    const digests = await Promise.all(
      digestKeys.map(
        async (key) =>
          JSON.parse(
            gunzipSync(await getObject(local.integrity.digestBucketName, key)).toString('utf8'),
          ) as Digest,
      ),
    );
    const listed = digests.flatMap((digest) => digest.logFiles);
    const archiveObjects = await Promise.all(
      listed.map(async (file) => ({ file, bytes: await getObject(file.s3Bucket, file.s3Object) })),
    );
    const archivedLines = archiveObjects.flatMap(({ bytes }) =>
      gunzipSync(bytes)
        .toString('utf8')
        .split('\n')
        .filter((line) => line !== ''),
    );
    const records = await Promise.all(
      eventIDs.map(async (eventID) => {
        const response = await signedFetch(new URL(`/events/${eventID}`, local.apiUrl), {
          credentials: local.readerCredentials,
          region: local.region,
        });
        return response.text();
      }),
    );

    // Assess
    expect(put.status).toBe(200);
    expect(eventIDs).toHaveLength(events.length);
    const expectedPrefix = `AWSLogs/${local.integrity.trailArn.split(':')[4]}/CloudTrail-Digest/${local.region}/`;
    for (const [index, digest] of digests.entries()) {
      expect(digest.digestS3Bucket).toBe(local.integrity.digestBucketName);
      expect(digest.digestS3Object).toBe(digestKeys[index]);
      expect(digestKeys[index]).toMatch(
        new RegExp(
          `^${expectedPrefix}\\d{4}/\\d{2}/\\d{2}/\\d{12}_CloudTrail-Digest_${local.region}_opentrail_`,
        ),
      );
    }
    expect(listed.length).toBeGreaterThan(0);
    for (const { file, bytes } of archiveObjects) {
      expect(file.s3Bucket).toBe(local.pipeline.bucketName);
      expect(file.s3Object).toMatch(/^events\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/opentrail-events-1-.+\.gz$/);
      expect(file.hashAlgorithm).toBe('SHA-256');
      expect(file.hashValue).toBe(createHash('sha256').update(gunzipSync(bytes)).digest('hex'));
    }
    expect([...archivedLines].sort()).toEqual([...records].sort());
  });
});

/** Stopping local mode ends the archive as a stream's end does: what Firehose buffers is written, with its notification. */
describe('local mode stopping with records in its Firehose buffer', () => {
  let emulator: MotoEmulator;

  beforeAll(async () => {
    emulator = await startEmulator();
  });

  afterAll(async () => {
    await emulator?.stop();
  });

  it('writes the buffered records and sends their notification before it stops', async () => {
    // Prepare: a buffer far longer than the test, on an emulator that outlives local mode.
    const local = await startLocal({ awsEndpoint: emulator.url, archiveBufferSeconds: 900, console: false });
    const reader = pipelineReader(local);
    let stopped = false;
    try {
      const put = await signedFetch(new URL('/events', local.apiUrl), {
        method: 'POST',
        body: JSON.stringify({
          eventSource: 'orders.example.com',
          eventName: 'CloseOrder',
          userIdentity: { type: 'IAMUser', userName: 'integrity-e2e' },
        }),
        credentials: local.producerCredentials,
        region: local.region,
      });
      const { successful } = (await put.json()) as { successful: Array<{ eventID: string }> };
      await eventually(
        async () => (local.firehose.stats().recordsBuffered > 0 ? true : undefined),
        'the record in the Firehose buffer',
      );
      const archivedBeforeStop = await reader.archiveLines(local.pipeline.bucketName);

      // Act
      await local.stop();
      stopped = true;
      const archived = await reader.archiveLines(local.pipeline.bucketName);
      const notifications = await reader.receiveMessages(local.integrity.deliveryQueueUrl);

      // Assess
      expect(archivedBeforeStop).toEqual([]);
      expect(archived.map(({ line }) => (JSON.parse(line) as { eventID: string }).eventID)).toEqual([
        successful[0]?.eventID,
      ]);
      expect(notifications).toHaveLength(1);
      expect(JSON.parse(notifications[0] ?? '{}')).toMatchObject({
        Records: [{ eventName: 'ObjectCreated:Put', s3: { object: { key: archived[0]?.key } } }],
      });
    } finally {
      reader.destroy();
      if (!stopped) await local.stop();
    }
  });
});
