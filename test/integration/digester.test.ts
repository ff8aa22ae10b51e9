import { verify } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbLedger } from '../../lambda/adapters/dynamodb-ledger.js';
import { KmsDigestSigner } from '../../lambda/adapters/kms-digest-signer.js';
import { S3ArchiveReader } from '../../lambda/adapters/s3-archive-reader.js';
import { S3DigestWriter } from '../../lambda/adapters/s3-digest-writer.js';
import { SqsDeliveryQueue } from '../../lambda/adapters/sqs-delivery-queue.js';
import { type DigestFile, digestStringToSign, sha256Hex } from '../../lambda/core/integrity/digest-file.js';
import {
  type DigesterConfig,
  type DigesterPorts,
  runDigester,
} from '../../lambda/core/integrity/digester.js';
import { createIntegrityResources, type IntegrityResources } from '../../local/integrity-resources.js';
import { archiveObject, notification, pkcs1PublicKey, WRITER } from '../unit/integrity/integrity-kit.js';

const ARCHIVE = 'digester-archive';
const HOUR_MS = 3600_000;

/**
 * The digester's adapters on moto: the ledger's conditional writes in DynamoDB, notifications drained from SQS,
 * archive objects read by version from S3, digests signed by a real KMS RSA_2048 key and verified here with
 * node:crypto and the PKCS#1 key the registry holds, as `aws cloudtrail validate-logs` verifies them.
 */
describe('the digester on moto', () => {
  const aws = { region: 'us-east-1' };
  const s3 = new S3Client({ ...aws, forcePathStyle: true });
  const sqs = new SQSClient(aws);
  const kms = new KMSClient(aws);
  const dynamodb = new DynamoDBClient(aws);
  let resources: IntegrityResources;
  let ports: DigesterPorts;
  let config: DigesterConfig;
  let nowMs = Date.parse('2026-12-02T01:00:00Z');

  /** Writes an archive object as Firehose would and sends its notification, as S3 would. */
  const deliver = async (key: string, eventTimes: readonly string[]) => {
    const { VersionId } = await s3.send(
      new PutObjectCommand({ Bucket: ARCHIVE, Key: key, Body: archiveObject(eventTimes) }),
    );
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: resources.deliveryQueueUrl,
        MessageBody: notification(key, { bucket: ARCHIVE, ...(VersionId ? { versionId: VersionId } : {}) }),
      }),
    );
    return VersionId;
  };
  const run = (changes: Partial<DigesterPorts> = {}) =>
    runDigester({ ...ports, ...changes }, config, { now: () => nowMs, deadlineMs: nowMs + 15 * 60_000 });
  /** A digest as the CLI reads it: gunzipped JSON and its two metadata fields. */
  const readDigest = async (key: string) => {
    const object = await s3.send(new GetObjectCommand({ Bucket: resources.digestBucketName, Key: key }));
    const json = gunzipSync(
      Buffer.from(await (object.Body?.transformToByteArray() ?? new Uint8Array())),
    ).toString();
    return { json, digest: JSON.parse(json) as DigestFile, metadata: object.Metadata ?? {} };
  };
  const verifies = async (key: string) => {
    const { json, digest, metadata } = await readDigest(key);
    const registered = (await ports.ledger.signingKeys()).find(
      (candidate) => candidate.fingerprint === digest.digestPublicKeyFingerprint,
    );
    if (registered === undefined) return false;
    return verify(
      'sha256',
      Buffer.from(digestStringToSign(digest, json)),
      pkcs1PublicKey(registered.publicKeyPkcs1),
      Buffer.from(metadata.signature ?? '', 'hex'),
    );
  };

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: ARCHIVE }));
    resources = await createIntegrityResources(
      { dynamodb, sqs, s3, kms },
      {
        ledgerTableName: 'digester-ledger',
        deliveryQueueName: 'digester-deliveries',
        digestBucketName: 'digester-digests',
        signingKeyAlias: 'alias/digester-test',
      },
      ARCHIVE,
    );
    ports = {
      ledger: new DynamoDbLedger(dynamodb, resources.ledgerTableName),
      deliveries: new SqsDeliveryQueue(sqs, resources.deliveryQueueUrl),
      archive: new S3ArchiveReader(s3),
      signer: new KmsDigestSigner(kms, resources.signingKeyArn),
      digests: new S3DigestWriter(s3),
    };
    config = {
      trail: { accountId: '123456789012', region: 'us-east-1', name: 'opentrail' },
      writer: { bucket: ARCHIVE, principalPrefix: WRITER },
      digestBucket: resources.digestBucketName,
      digestKeyPrefix: '',
      intervalSeconds: 3600,
    };
  });

  it('signs with KMS a digest the PKCS#1 key verifies, listing each object with its hash, when objects arrive', async () => {
    // Prepare
    await deliver('events/2026/12/02/00/a.gz', ['2026-12-02T00:10:00Z', '2026-12-02T00:20:00Z']);
    await deliver('events/2026/12/02/00/b.gz', ['2026-12-02T00:30:00Z']);

    // Act
    const summary = await run();

    // Assess
    expect(summary).toMatchObject({ recorded: 2, duplicates: 0, resumed: false });
    const key = summary.digest?.s3Object ?? '';
    const { digest, metadata } = await readDigest(key);
    expect(metadata['signature-algorithm']).toBe('SHA256withRSA');
    expect(digest.digestS3Object).toBe(key);
    expect(digest.logFiles.map((file) => [file.s3Object, file.hashValue])).toEqual([
      [
        'events/2026/12/02/00/a.gz',
        sha256Hex(gunzipSync(archiveObject(['2026-12-02T00:10:00Z', '2026-12-02T00:20:00Z']))),
      ],
      ['events/2026/12/02/00/b.gz', sha256Hex(gunzipSync(archiveObject(['2026-12-02T00:30:00Z'])))],
    ]);
    expect(digest).toMatchObject({
      newestEventTime: '2026-12-02T00:30:00Z',
      oldestEventTime: '2026-12-02T00:10:00Z',
    });
    expect(await verifies(key)).toBe(true);
  });

  it('lists a late delivery in the next digest exactly once, even when its notification comes twice', async () => {
    // Prepare: an object of the first hour delivered after the first digest, its notification sent twice.
    const versionId = await deliver('events/2026/12/02/00/late.gz', ['2026-12-02T00:59:00Z']);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: resources.deliveryQueueUrl,
        MessageBody: notification('events/2026/12/02/00/late.gz', {
          bucket: ARCHIVE,
          ...(versionId ? { versionId } : {}),
        }),
      }),
    );

    // Act
    nowMs += HOUR_MS;
    const summary = await run();

    // Assess
    expect(summary).toMatchObject({ recorded: 1, duplicates: 1 });
    const { digest } = await readDigest(summary.digest?.s3Object ?? '');
    expect(digest.logFiles.map((file) => file.s3Object)).toEqual(['events/2026/12/02/00/late.gz']);
    expect(await verifies(summary.digest?.s3Object ?? '')).toBe(true);
  });

  it('writes a chained, signed digest for an empty period', async () => {
    // Prepare
    const head = await ports.ledger.head();

    // Act
    nowMs += HOUR_MS;
    const summary = await run();

    // Assess
    const { digest } = await readDigest(summary.digest?.s3Object ?? '');
    const previous = await readDigest(head.lastDigestS3Object ?? '');
    expect(digest.logFiles).toEqual([]);
    expect(digest).toMatchObject({
      digestStartTime: previous.digest.digestEndTime,
      previousDigestS3Bucket: resources.digestBucketName,
      previousDigestS3Object: head.lastDigestS3Object,
      previousDigestHashValue: sha256Hex(previous.json),
      previousDigestSignature: previous.metadata.signature,
    });
    expect(await verifies(summary.digest?.s3Object ?? '')).toBe(true);
  });

  it('keeps every earlier digest verifiable with its own key when the signing key rotates', async () => {
    // Prepare
    const { KeyMetadata } = await kms.send(
      new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }),
    );
    const rotated = new KmsDigestSigner(kms, KeyMetadata?.Arn ?? '');
    await deliver('events/2026/12/02/03/c.gz', ['2026-12-02T03:00:00Z']);

    // Act
    nowMs += HOUR_MS;
    const summary = await run({ signer: rotated });

    // Assess
    const keys = await ports.ledger.signingKeys();
    expect(summary.signingKey.registered).toBe(true);
    expect(keys.map(({ keyId, validityEnd }) => ({ keyId, ended: validityEnd !== undefined }))).toEqual(
      expect.arrayContaining([
        { keyId: resources.signingKeyArn, ended: true },
        { keyId: rotated.keyId, ended: false },
      ]),
    );
    const digests = await listDigests(dynamodb, resources.ledgerTableName);
    expect(digests).toHaveLength(4);
    for (const { digestS3Object } of digests) {
      expect(await verifies(digestS3Object)).toBe(true);
    }
  });
});

/** Every digest the ledger recorded. */
async function listDigests(
  dynamodb: DynamoDBClient,
  tableName: string,
): Promise<{ digestS3Object: string }[]> {
  const { Items } = await dynamodb.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: 'digest' } },
    }),
  );
  return (Items ?? []).map((item) => ({ digestS3Object: item.digestS3Object?.S ?? '' }));
}
