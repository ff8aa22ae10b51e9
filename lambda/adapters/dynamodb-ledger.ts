import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DigestInProgress, LedgerStore, PendingEntry } from '../core/integrity/digester.js';
import {
  type ChainHead,
  type DeliveredObject,
  type DigestRecord,
  LEDGER_KEYS,
  LEDGER_LAYOUT,
  LEDGER_PARTITIONS,
  type SigningKeyRecord,
} from '../core/integrity/ledger-layout.js';

const { partitionKey: PK, sortKey: SK } = LEDGER_LAYOUT;
/** BatchGetItem reads at most 100 keys a call. */
const BATCH_GET_KEYS = 100;
/** Rounds of UnprocessedKeys (throttling) before a read gives up; the next run tries again. */
const MAX_BATCH_ROUNDS = 8;
/** Query pages of one partition read; the callers' limits stay far below what they hold. */
const MAX_QUERY_PAGES = 100;

const toItem = (key: { pk: string; sk: string }, value: object): Record<string, AttributeValue> =>
  marshall({ ...value, [PK]: key.pk, [SK]: key.sk }, { removeUndefinedValues: true });

/** The item's attributes without its keys. */
function fromItem<T>(item: Record<string, AttributeValue>): T {
  const { [PK]: _pk, [SK]: _sk, ...value } = unmarshall(item);
  return value as T;
}

const keyOf = (key: { pk: string; sk: string }): Record<string, AttributeValue> =>
  marshall({ [PK]: key.pk, [SK]: key.sk });

function isConditionFailure(error: unknown): boolean {
  if (error instanceof ConditionalCheckFailedException) return true;
  return (
    error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed')
  );
}

/** The integrity ledger in DynamoDB, every write conditional where repeating it would count something twice. */
export class DynamoDbLedger implements LedgerStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async recordObject(object: DeliveredObject): Promise<boolean> {
    const objectKey = LEDGER_KEYS.object(object.s3Bucket, object.s3Object);
    const putObject = {
      TableName: this.tableName,
      Item: toItem(objectKey, object),
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': PK },
    };
    try {
      if (object.status !== 'pending') {
        await this.client.send(new PutItemCommand(putObject));
        return true;
      }
      const pendingKey = LEDGER_KEYS.pending(object.recordedAt, object.s3Bucket, object.s3Object);
      await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: putObject },
            { Put: { TableName: this.tableName, Item: toItem(pendingKey, { objectSk: objectKey.sk }) } },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async head(): Promise<ChainHead> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: keyOf(LEDGER_KEYS.head), ConsistentRead: true }),
    );
    return Item === undefined ? {} : fromItem<ChainHead>(Item);
  }

  async noteLatestDelivery(time: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: keyOf(LEDGER_KEYS.head),
          UpdateExpression: 'SET latestDeliveryTime = :time',
          ConditionExpression: 'attribute_not_exists(latestDeliveryTime) OR latestDeliveryTime < :time',
          ExpressionAttributeValues: { ':time': { S: time } },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async pending(limit: number): Promise<PendingEntry[]> {
    const items = await this.queryPartition(LEDGER_PARTITIONS.pending, limit);
    return items.map((item) => {
      const { [SK]: pendingSk, objectSk } = unmarshall(item) as { sk: string; objectSk: string };
      return { pendingSk, objectSk };
    });
  }

  async objects(objectSks: readonly string[]): Promise<DeliveredObject[]> {
    const found: DeliveredObject[] = [];
    for (let start = 0; start < objectSks.length; start += BATCH_GET_KEYS) {
      let keys: Record<string, AttributeValue>[] | undefined = objectSks
        .slice(start, start + BATCH_GET_KEYS)
        .map((sk) => keyOf({ pk: LEDGER_PARTITIONS.object, sk }));
      for (let round = 0; keys !== undefined && keys.length > 0; round += 1) {
        if (round === MAX_BATCH_ROUNDS) throw new Error('the ledger kept leaving keys unprocessed');
        const response: BatchGetItemCommandOutput = await this.client.send(
          new BatchGetItemCommand({
            RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } },
          }),
        );
        for (const item of response.Responses?.[this.tableName] ?? []) found.push(fromItem(item));
        keys = response.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return found;
  }

  async beginDigest(inProgress: DigestInProgress, lastDigestS3Object: string | undefined): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: keyOf(LEDGER_KEYS.head),
          UpdateExpression: 'SET inProgress = :inProgress',
          ConditionExpression:
            lastDigestS3Object === undefined
              ? 'attribute_not_exists(inProgress) AND attribute_not_exists(lastDigestS3Object)'
              : 'attribute_not_exists(inProgress) AND lastDigestS3Object = :last',
          ExpressionAttributeValues: marshall({
            ':inProgress': inProgress,
            ...(lastDigestS3Object === undefined ? {} : { ':last': lastDigestS3Object }),
          }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async markDigested(object: DeliveredObject, digestS3Object: string): Promise<void> {
    // Pending, or digested by this same digest already (a resumed run): any other state is a bug to stop on.
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: keyOf(LEDGER_KEYS.object(object.s3Bucket, object.s3Object)),
        UpdateExpression: 'SET #status = :digested, digestS3Object = :digest',
        ConditionExpression: '#status = :pending OR digestS3Object = :digest',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: marshall({
          ':digested': 'digested',
          ':pending': 'pending',
          ':digest': digestS3Object,
        }),
      }),
    );
    await this.deletePending(LEDGER_KEYS.pending(object.recordedAt, object.s3Bucket, object.s3Object).sk);
  }

  async deletePending(pendingSk: string): Promise<void> {
    await this.client.send(
      new DeleteItemCommand({
        TableName: this.tableName,
        Key: keyOf({ pk: LEDGER_PARTITIONS.pending, sk: pendingSk }),
      }),
    );
  }

  async finishDigest(record: DigestRecord): Promise<void> {
    await this.client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: toItem(LEDGER_KEYS.digest(record.digestEndTime), record),
            },
          },
          {
            Update: {
              TableName: this.tableName,
              Key: keyOf(LEDGER_KEYS.head),
              UpdateExpression:
                'SET lastDigestS3Bucket = :bucket, lastDigestS3Object = :key, lastDigestEndTime = :end, ' +
                'lastDigestSignature = :signature, lastDigestHashValue = :hash, lastDigestDeliveredAt = :delivered ' +
                'REMOVE inProgress',
              ConditionExpression: 'inProgress.digestS3Object = :key',
              ExpressionAttributeValues: marshall({
                ':bucket': record.digestS3Bucket,
                ':key': record.digestS3Object,
                ':end': record.digestEndTime,
                ':signature': record.signature,
                ':hash': record.hashValue,
                ':delivered': record.deliveredAt,
              }),
            },
          },
        ],
      }),
    );
  }

  async signingKeys(): Promise<SigningKeyRecord[]> {
    const items = await this.queryPartition(LEDGER_PARTITIONS.signingKey, Number.POSITIVE_INFINITY);
    return items.map((item) => fromItem<SigningKeyRecord>(item));
  }

  async registerSigningKey(next: SigningKeyRecord, retired: SigningKeyRecord | undefined): Promise<void> {
    const put = {
      Put: {
        TableName: this.tableName,
        Item: toItem(LEDGER_KEYS.signingKey(next.validityStart, next.fingerprint), next),
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PK },
      },
    };
    const retire =
      retired?.validityEnd === undefined
        ? []
        : [
            {
              Update: {
                TableName: this.tableName,
                Key: keyOf(LEDGER_KEYS.signingKey(retired.validityStart, retired.fingerprint)),
                UpdateExpression: 'SET validityEnd = :end',
                ConditionExpression: 'attribute_not_exists(validityEnd)',
                ExpressionAttributeValues: { ':end': { S: retired.validityEnd } },
              },
            },
          ];
    await this.client.send(new TransactWriteItemsCommand({ TransactItems: [put, ...retire] }));
  }

  /** A partition's items in sort key order, up to `limit`. */
  private async queryPartition(pk: string, limit: number): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    for (let page = 0; page < MAX_QUERY_PAGES && items.length < limit; page += 1) {
      const response = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: { ':pk': { S: pk } },
          ConsistentRead: true,
          ...(Number.isFinite(limit) ? { Limit: limit - items.length } : {}),
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      items.push(...(response.Items ?? []));
      startKey = response.LastEvaluatedKey;
      if (startKey === undefined) break;
    }
    return items;
  }
}
