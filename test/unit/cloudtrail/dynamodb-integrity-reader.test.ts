import { DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDbIntegrityReader } from '../../../lambda/adapters/dynamodb-integrity-reader.js';
import { LEDGER_KEYS, LEDGER_PARTITIONS } from '../../../lambda/core/integrity/ledger-layout.js';
import { StoreUnavailableError } from '../../../lambda/core/ports.js';
import { digestRecord, signingKey } from './memory-ledger.js';

const dynamo = mockClient(DynamoDBClient);
const TABLE = 'ledger';
const reader = () => new DynamoDbIntegrityReader(new DynamoDBClient({ region: 'eu-west-1' }), TABLE);

afterEach(() => {
  dynamo.reset();
});

describe('DynamoDbIntegrityReader', () => {
  it('reads the chain head by its key, keeping only fields of the right type', async () => {
    // Prepare
    dynamo.on(GetItemCommand).resolves({
      Item: marshall({
        ...LEDGER_KEYS.head,
        latestDeliveryTime: '2026-11-24T10:00:00.000Z',
        lastDigestDeliveredAt: 42,
        inProgress: { digestS3Object: 'k', digestStartTime: 'a', digestEndTime: 'b', objects: [] },
      }),
    });

    // Act
    const head = await reader().readChainHead();

    // Assess
    expect(head).toEqual({ latestDeliveryTime: '2026-11-24T10:00:00.000Z' });
    expect(dynamo.commandCalls(GetItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: 'chain' }, sk: { S: 'head' } },
    });
  });

  it('answers no head before the first digest', async () => {
    // Prepare
    dynamo.on(GetItemCommand).resolves({});

    // Act & Assess
    expect(await reader().readChainHead()).toBeUndefined();
  });

  it('reads the oldest digest with a one-item Query in end-time order', async () => {
    // Prepare
    const digest = digestRecord({ objectCount: 3 });
    dynamo
      .on(QueryCommand)
      .resolves({ Items: [marshall({ ...LEDGER_KEYS.digest(digest.digestEndTime), ...digest })] });

    // Act
    const oldest = await reader().readOldestDigest();

    // Assess
    expect(oldest).toEqual(digest);
    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      TableName: TABLE,
      ExpressionAttributeValues: { ':pk': { S: LEDGER_PARTITIONS.digest } },
      ScanIndexForward: true,
      Limit: 1,
    });
  });

  it('reads signing keys newest first, page by page, and stops at the limit', async () => {
    // Prepare
    const keys = ['k5', 'k4', 'k3', 'k2', 'k1'].map((name, i) =>
      signingKey(
        name,
        `2026-0${9 - i}-01T00:00:00.000Z`,
        i === 0 ? undefined : `2026-0${10 - i}-01T00:00:00.000Z`,
      ),
    );
    const item = (i: number) =>
      marshall({ ...LEDGER_KEYS.signingKey(keys[i]?.validityStart ?? '', ''), ...keys[i] });
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Items: [item(0), item(1)], LastEvaluatedKey: { pk: { S: 'key' }, sk: { S: 'x' } } })
      .resolvesOnce({ Items: [item(2), item(3)], LastEvaluatedKey: { pk: { S: 'key' }, sk: { S: 'y' } } });

    // Act
    const { keys: read, more } = await reader().readSigningKeys(3);

    // Assess
    expect(read).toEqual(keys.slice(0, 3));
    expect(more).toBe(true);
    const inputs = dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(inputs.map((input) => [input.Limit, input.ScanIndexForward, input.ExclusiveStartKey])).toEqual([
      [4, false, undefined],
      [2, false, { pk: { S: 'key' }, sk: { S: 'x' } }],
    ]);
  });

  it('says the registry holds no more when the last page ends it, and skips malformed keys', async () => {
    // Prepare
    dynamo.on(QueryCommand).resolves({
      Items: [
        marshall({ pk: 'key', sk: 'a', fingerprint: 'f' }),
        marshall({ pk: 'key', sk: 'b', ...signingKey('ok', 't') }),
      ],
    });

    // Act
    const { keys, more } = await reader().readSigningKeys(10);

    // Assess
    expect(keys.map((key) => key.fingerprint)).toEqual(['ok']);
    expect(more).toBe(false);
  });

  it('turns a store that stays throttled into StoreUnavailableError, and passes other errors on', async () => {
    // Prepare
    dynamo
      .on(GetItemCommand)
      .rejectsOnce(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }))
      .rejectsOnce(Object.assign(new Error('no such table'), { name: 'ResourceNotFoundException' }));

    // Act & Assess
    await expect(reader().readChainHead()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(reader().readChainHead()).rejects.toThrow('no such table');
  });
});
