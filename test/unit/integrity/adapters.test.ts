import { gunzipSync } from 'node:zlib';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDbLedger } from '../../../lambda/adapters/dynamodb-ledger.js';
import { KmsDigestSigner } from '../../../lambda/adapters/kms-digest-signer.js';
import { S3DigestWriter } from '../../../lambda/adapters/s3-digest-writer.js';
import { SqsDeliveryQueue } from '../../../lambda/adapters/sqs-delivery-queue.js';
import type { DeliveredObject } from '../../../lambda/core/integrity/ledger-layout.js';

const kms = mockClient(KMSClient);
const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
const dynamo = mockClient(DynamoDBClient);
afterEach(() => {
  for (const mock of [kms, s3, sqs, dynamo]) mock.reset();
});

const object: DeliveredObject = {
  s3Bucket: 'archive',
  s3Object: 'events/a.gz',
  hashValue: 'ab',
  hashAlgorithm: 'SHA-256',
  recordedAt: '2026-12-02T01:00:00.000Z',
  status: 'pending',
};

describe('the integrity adapters', () => {
  it('signs the raw message with RSASSA_PKCS1_V1_5_SHA_256 and answers the signature in hex', async () => {
    // Prepare
    kms.on(SignCommand).resolves({ Signature: Uint8Array.from([0xbe, 0xef]) });

    // Act
    const signature = await new KmsDigestSigner(new KMSClient({}), 'arn:key').sign(Buffer.from('to sign'));

    // Assess
    expect(signature).toBe('beef');
    expect(kms.commandCalls(SignCommand)[0]?.args[0].input).toEqual({
      KeyId: 'arn:key',
      Message: Buffer.from('to sign'),
      MessageType: 'RAW',
      SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
    });
  });

  it('refuses a key KMS names as another spec or usage', async () => {
    // Prepare
    kms
      .on(GetPublicKeyCommand)
      .resolves({ PublicKey: new Uint8Array(1), KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });

    // Assess
    await expect(new KmsDigestSigner(new KMSClient({}), 'arn:key').publicKey()).rejects.toThrow(
      /RSA_2048 SIGN_VERIFY/,
    );
  });

  it('puts the digest gzip-compressed with the signature metadata the CLI reads', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});

    // Act
    await new S3DigestWriter(new S3Client({})).put('digests', 'AWSLogs/k.json.gz', '{"a":1}', 'beef');

    // Assess
    const input = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      Bucket: 'digests',
      Key: 'AWSLogs/k.json.gz',
      Metadata: { signature: 'beef', 'signature-algorithm': 'SHA256withRSA' },
    });
    expect(input?.ContentEncoding).toBeUndefined();
    expect(gunzipSync(input?.Body as Buffer).toString()).toBe('{"a":1}');
  });

  it('deletes handled messages in batches of 10 and fails when SQS keeps one', async () => {
    // Prepare
    sqs
      .on(DeleteMessageBatchCommand)
      .resolvesOnce({})
      .resolves({ Failed: [{ Id: '0', Code: 'ReceiptHandleIsInvalid', SenderFault: true }] });
    const queue = new SqsDeliveryQueue(new SQSClient({}), 'https://queue');

    // Act
    const acknowledged = queue.acknowledge(Array.from({ length: 12 }, (_, index) => `r${index}`));

    // Assess
    await expect(acknowledged).rejects.toThrow(/kept 1 handled messages/);
    expect(
      sqs.commandCalls(DeleteMessageBatchCommand).map((call) => call.args[0].input.Entries?.length),
    ).toEqual([10, 2]);
  });

  it('records an object with its pending entry in one conditional transaction, and answers false the second time', async () => {
    // Prepare
    dynamo
      .on(TransactWriteItemsCommand)
      .resolvesOnce({})
      .rejects(
        new TransactionCanceledException({
          message: 'cancelled',
          $metadata: {},
          CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
        }),
      );
    const ledger = new DynamoDbLedger(new DynamoDBClient({}), 'ledger');

    // Act
    const first = await ledger.recordObject(object);
    const second = await ledger.recordObject(object);

    // Assess
    expect([first, second]).toEqual([true, false]);
    const items = dynamo.commandCalls(TransactWriteItemsCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items[0]?.Put?.ConditionExpression).toBe('attribute_not_exists(#pk)');
    expect(items[0]?.Put?.Item?.sk).toEqual({ S: 'archive/events/a.gz' });
    expect(items[1]?.Put?.Item?.sk).toEqual({ S: '2026-12-02T01:00:00.000Z#archive/events/a.gz' });
  });

  it('records a refused object without a pending entry', async () => {
    // Prepare
    dynamo.on(PutItemCommand).resolves({});

    // Act
    await new DynamoDbLedger(new DynamoDBClient({}), 'ledger').recordObject({
      ...object,
      status: 'refused',
      refusal: 'two members',
    });

    // Assess
    expect(dynamo.commandCalls(TransactWriteItemsCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.status).toEqual({ S: 'refused' });
  });

  it('claims a digest only while the head ends where the run read it and nothing is in progress', async () => {
    // Prepare
    dynamo
      .on(UpdateItemCommand)
      .resolvesOnce({})
      .rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    const ledger = new DynamoDbLedger(new DynamoDBClient({}), 'ledger');
    const claim = {
      digestS3Object: 'k',
      digestStartTime: 's',
      digestEndTime: 'e',
      objects: ['archive/events/a.gz'],
    };

    // Act
    const first = await ledger.beginDigest(claim, undefined);
    const second = await ledger.beginDigest(claim, 'previous');

    // Assess
    expect([first, second]).toEqual([true, false]);
    const [firstCall, secondCall] = dynamo.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);
    expect(firstCall?.ConditionExpression).toBe(
      'attribute_not_exists(inProgress) AND attribute_not_exists(lastDigestS3Object)',
    );
    expect(secondCall?.ConditionExpression).toBe(
      'attribute_not_exists(inProgress) AND lastDigestS3Object = :last',
    );
  });
});
