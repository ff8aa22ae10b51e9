import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { IntegrityLedgerReader, LedgerReadOptions } from '../core/cloudtrail/trail-reads.js';
import type { ChainHead, DigestRecord, SigningKeyRecord } from '../core/integrity/ledger-layout.js';
import { LEDGER_KEYS, LEDGER_LAYOUT, LEDGER_PARTITIONS } from '../core/integrity/ledger-layout.js';
import { StoreUnavailableError } from '../core/ports.js';
import { isRetryable } from './retryable.js';

/**
 * The integrity ledger as CloudTrail's control-plane reads see it (lambda/core/integrity/ledger-layout.ts): the
 * chain head by GetItem, the oldest digest by a one-item Query, and the signing-key registry by Query, newest first
 * and bounded by the caller's limit. Items hold their record's fields as attributes beside `pk` and `sk`; an item
 * whose fields are not the record's types is read as absent rather than trusted.
 */

const { partitionKey: PK } = LEDGER_LAYOUT;

type Item = Record<string, unknown>;

const text = (item: Item, field: string): string | undefined =>
  typeof item[field] === 'string' ? (item[field] as string) : undefined;

/** The item's string fields among `fields`, or undefined when one of `required` is missing. */
function strings<T>(item: Item, required: readonly string[], optional: readonly string[]): T | undefined {
  const record: Record<string, string> = {};
  for (const field of required) {
    const value = text(item, field);
    if (value === undefined) return undefined;
    record[field] = value;
  }
  for (const field of optional) {
    const value = text(item, field);
    if (value !== undefined) record[field] = value;
  }
  return record as T;
}

const HEAD_FIELDS = [
  'lastDigestS3Bucket',
  'lastDigestS3Object',
  'lastDigestEndTime',
  'lastDigestSignature',
  'lastDigestHashValue',
  'lastDigestDeliveredAt',
  'latestDeliveryTime',
] as const satisfies ReadonlyArray<keyof ChainHead>;

const KEY_REQUIRED = [
  'keyId',
  'fingerprint',
  'publicKeyPkcs1',
  'validityStart',
] as const satisfies ReadonlyArray<keyof SigningKeyRecord>;

export class DynamoDbIntegrityReader implements IntegrityLedgerReader {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async readChainHead(options: LedgerReadOptions = {}): Promise<ChainHead | undefined> {
    const output = await this.send(
      (abortSignal) =>
        this.client.send(
          new GetItemCommand({ TableName: this.tableName, Key: key(LEDGER_KEYS.head) }),
          callOptions(abortSignal),
        ),
      options,
    );
    // The digest being written (inProgress) is the digester's business: no read here answers from it.
    return output.Item === undefined
      ? undefined
      : strings<ChainHead>(unmarshall(output.Item), [], HEAD_FIELDS);
  }

  async readOldestDigest(options: LedgerReadOptions = {}): Promise<DigestRecord | undefined> {
    const output = await this.queryPartition(
      LEDGER_PARTITIONS.digest,
      { oldestFirst: true, limit: 1 },
      options,
    );
    const [item] = output.Items ?? [];
    if (item === undefined) return undefined;
    const record = unmarshall(item);
    const digest = strings<Omit<DigestRecord, 'objectCount'>>(
      record,
      ['digestS3Bucket', 'digestS3Object', 'digestStartTime', 'digestEndTime'],
      ['signature', 'hashValue', 'publicKeyFingerprint', 'deliveredAt'],
    );
    return digest === undefined
      ? undefined
      : ({ ...digest, objectCount: Number(record.objectCount ?? 0) } as DigestRecord);
  }

  async readSigningKeys(
    limit: number,
    options: LedgerReadOptions = {},
  ): Promise<{ readonly keys: readonly SigningKeyRecord[]; readonly more: boolean }> {
    const keys: SigningKeyRecord[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    // Each page reads at most what is still wanted plus one, which tells whether the registry holds more.
    do {
      const output = await this.queryPartition(
        LEDGER_PARTITIONS.signingKey,
        { oldestFirst: false, limit: limit - keys.length + 1, startKey },
        options,
      );
      for (const item of output.Items ?? []) {
        if (keys.length === limit) return { keys, more: true };
        const signingKey = strings<SigningKeyRecord>(unmarshall(item), KEY_REQUIRED, ['validityEnd']);
        if (signingKey !== undefined) keys.push(signingKey);
      }
      startKey = output.LastEvaluatedKey;
    } while (startKey !== undefined && keys.length < limit);
    return { keys, more: startKey !== undefined };
  }

  /** One page of a ledger partition's items, in sort key order or against it. */
  private queryPartition(
    partition: string,
    page: { oldestFirst: boolean; limit: number; startKey?: Record<string, AttributeValue> },
    options: LedgerReadOptions,
  ): Promise<QueryCommandOutput> {
    return this.send(
      (abortSignal) =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': PK },
            ExpressionAttributeValues: { ':pk': { S: partition } },
            ScanIndexForward: page.oldestFirst,
            Limit: page.limit,
            ...(page.startKey === undefined ? {} : { ExclusiveStartKey: page.startKey }),
          }),
          callOptions(abortSignal),
        ),
      options,
    );
  }

  /** One SDK call; failures worth a retry that outlast the SDK's own retries become StoreUnavailableError (503). */
  private async send<T>(
    call: (abortSignal?: AbortSignal) => Promise<T>,
    options: LedgerReadOptions,
  ): Promise<T> {
    try {
      return await call(options.signal);
    } catch (error) {
      if (isRetryable(error)) throw new StoreUnavailableError((error as Error).message);
      throw error;
    }
  }
}

const key = ({ pk, sk }: { pk: string; sk: string }): Record<string, AttributeValue> => ({
  [LEDGER_LAYOUT.partitionKey]: { S: pk },
  [LEDGER_LAYOUT.sortKey]: { S: sk },
});

const callOptions = (abortSignal: AbortSignal | undefined) =>
  abortSignal === undefined ? {} : { abortSignal };
