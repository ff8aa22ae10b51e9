import { BatchGetItemCommand, DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDbEventStore } from '../../lambda/adapters/dynamodb-event-store.js';
import { SOURCE_CATALOG_PK } from '../../lambda/core/keys.js';

/**
 * The DynamoDB reader's side of a bounded lookup (tracker issue 13): every read carries the lookup's signal to the
 * SDK, so aborting the page abandons its requests, and a catalog is read a range at a time.
 */

const dynamo = mockClient(DynamoDBClient);
const store = new DynamoDbEventStore(new DynamoDBClient({ region: 'eu-west-1' }), 'events');

afterEach(() => dynamo.reset());

describe('DynamoDbEventStore reads for a lookup', () => {
  it('hands the lookup signal to every Query and BatchGetItem it sends', async () => {
    // Prepare
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(BatchGetItemCommand).resolves({ Responses: { events: [] } });
    const { signal } = new AbortController();

    // Act
    await store.queryPartition({ partitionKey: 'E#0000#0' }, '0', 'Z', 5, { signal });
    await store.readRecords(['01JD000000ABCD0AAAAAAAAAAA'], { signal });
    await store.readCatalog(SOURCE_CATALOG_PK, { limit: 3 }, { signal });

    // Assess
    const calls = [...dynamo.commandCalls(QueryCommand), ...dynamo.commandCalls(BatchGetItemCommand)];
    expect(calls).toHaveLength(3);
    // send(command, options): the mock types only the command.
    for (const call of calls) expect((call.args as unknown[])[1]).toEqual({ abortSignal: signal });
  });

  it('reads a catalog range from after its last entry, at most the limit, in as few Queries as DynamoDB allows', async () => {
    // Prepare: DynamoDB may stop a page early (1 MB) and say where to go on.
    dynamo
      .on(QueryCommand)
      .resolvesOnce({
        Items: [{ pk: { S: SOURCE_CATALOG_PK }, sk: { S: 'B' } }],
        LastEvaluatedKey: { pk: { S: SOURCE_CATALOG_PK }, sk: { S: 'B' } },
      })
      .resolvesOnce({
        Items: [{ pk: { S: SOURCE_CATALOG_PK }, sk: { S: 'C' } }],
        LastEvaluatedKey: { pk: { S: SOURCE_CATALOG_PK }, sk: { S: 'C' } },
      });

    // Act
    const entries = await store.readCatalog(SOURCE_CATALOG_PK, { after: 'A', limit: 2 });

    // Assess
    expect(entries.map((entry) => entry.sk)).toEqual(['B', 'C']);
    const [first, second] = dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(first).toMatchObject({
      ExclusiveStartKey: { pk: { S: SOURCE_CATALOG_PK }, sk: { S: 'A' } },
      Limit: 2,
    });
    expect(second).toMatchObject({
      ExclusiveStartKey: { pk: { S: SOURCE_CATALOG_PK }, sk: { S: 'B' } },
      Limit: 1,
    });
    expect(dynamo.commandCalls(QueryCommand)).toHaveLength(2);
  });
});
