import {
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  AlreadyExistsException,
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  type KMSClient,
  NotFoundException,
} from '@aws-sdk/client-kms';
import { CreateBucketCommand, PutBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { LEDGER_LAYOUT } from '../lambda/core/integrity/ledger-layout.js';

/**
 * The integrity resources the stack's Integrity construct owns (docs/integrity.md), created in the emulator for
 * local mode: the ledger table, the queue of the archive's ObjectCreated notifications, the versioned digest bucket
 * and the RSA_2048 SIGN_VERIFY key that signs digests (moto signs with real RSA). Versioning is also turned on for
 * the archive bucket, as the stack's (lib/defaults/s3.ts), so notifications carry a versionId. Idempotent.
 */

export interface IntegrityNames {
  readonly ledgerTableName: string;
  readonly deliveryQueueName: string;
  readonly digestBucketName: string;
  /** The signing key's alias: the digester's signingKeyId. */
  readonly signingKeyAlias: string;
}

export interface IntegrityClients {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly kms: KMSClient;
}

export interface IntegrityResources extends IntegrityNames {
  readonly deliveryQueueUrl: string;
  /** The signing key's ARN. */
  readonly signingKeyArn: string;
}

const TABLE_ACTIVE_TIMEOUT_SECONDS = 120;

export async function createIntegrityResources(
  clients: IntegrityClients,
  names: IntegrityNames,
  archiveBucketName: string,
): Promise<IntegrityResources> {
  const [, deliveryQueueUrl, , , signingKeyArn] = await Promise.all([
    createLedgerTable(clients.dynamodb, names.ledgerTableName),
    createQueue(clients.sqs, names.deliveryQueueName),
    createVersionedBucket(clients.s3, names.digestBucketName),
    enableVersioning(clients.s3, archiveBucketName),
    createSigningKey(clients.kms, names.signingKeyAlias),
  ]);
  return { ...names, deliveryQueueUrl, signingKeyArn };
}

const createLedgerTable = async (dynamodb: DynamoDBClient, tableName: string): Promise<void> => {
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: LEDGER_LAYOUT.partitionKey, AttributeType: 'S' },
          { AttributeName: LEDGER_LAYOUT.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: LEDGER_LAYOUT.partitionKey, KeyType: 'HASH' },
          { AttributeName: LEDGER_LAYOUT.sortKey, KeyType: 'RANGE' },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists(
    { client: dynamodb, maxWaitTime: TABLE_ACTIVE_TIMEOUT_SECONDS, minDelay: 1, maxDelay: 5 },
    { TableName: tableName },
  );
};

/** CreateQueue answers the existing queue's URL when the attributes match, as they do on a restart. */
const createQueue = async (sqs: SQSClient, queueName: string): Promise<string> => {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: queueName, Attributes: { SqsManagedSseEnabled: 'true' } }),
  );
  if (QueueUrl === undefined) throw new Error(`CreateQueue returned no URL for ${queueName}`);
  return QueueUrl;
};

const createVersionedBucket = async (s3: S3Client, bucketName: string): Promise<void> => {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucketName }));
  } catch (error) {
    // us-east-1 answers 200 for a bucket you already own; other regions answer BucketAlreadyOwnedByYou.
    if ((error as Error).name !== 'BucketAlreadyOwnedByYou') throw error;
  }
  await enableVersioning(s3, bucketName);
};

const enableVersioning = async (s3: S3Client, bucketName: string): Promise<void> => {
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: bucketName, VersioningConfiguration: { Status: 'Enabled' } }),
  );
};

/** The key behind the alias, created with the alias when there is none yet. */
const createSigningKey = async (kms: KMSClient, alias: string): Promise<string> => {
  try {
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: alias }));
    if (KeyMetadata?.Arn !== undefined) return KeyMetadata.Arn;
  } catch (error) {
    if (!(error instanceof NotFoundException)) throw error;
  }
  const { KeyMetadata } = await kms.send(
    new CreateKeyCommand({
      KeySpec: 'RSA_2048',
      KeyUsage: 'SIGN_VERIFY',
      Description: 'OpenTrail local mode: signs integrity digests',
    }),
  );
  if (KeyMetadata?.Arn === undefined || KeyMetadata.KeyId === undefined) {
    throw new Error('CreateKey returned no key');
  }
  try {
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: KeyMetadata.KeyId }));
  } catch (error) {
    // Another local mode on the same emulator made the alias first: use its key.
    if (!(error instanceof AlreadyExistsException)) throw error;
    return createSigningKey(kms, alias);
  }
  return KeyMetadata.Arn;
};
