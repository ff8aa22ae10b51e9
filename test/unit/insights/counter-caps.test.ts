import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  counterItem,
  counterTotalsOf,
  DynamoDbInsightStore,
} from '../../../lambda/adapters/dynamodb-insight-store.js';
import {
  COUNTER_ITEM_CAPS,
  type CounterTotals,
  type CounterUpdate,
  mergeCounterUpdate,
} from '../../../lambda/core/insights/counters.js';

const KEY = {
  insightType: 'ApiCallRateInsight',
  eventSource: 'orders.example.com',
  eventName: 'Delete',
} as const;

/** An update of `count` events from `users` distinct callers (one event each, then the rest from the first). */
function update(updateId: string, users: readonly string[], count = users.length): CounterUpdate {
  const contributors: Record<string, number> = {};
  users.forEach((user, i) => {
    contributors[`u|${user}`] = i === 0 ? count - users.length + 1 : 1;
    contributors[`a|agent-${user}`] = contributors[`u|${user}`] ?? 0;
  });
  return { updateId, keyId: 'k1', key: KEY, minute: 29_000_000, count, contributors };
}

const apply = (updates: readonly CounterUpdate[]): CounterTotals | undefined =>
  updates.reduce<CounterTotals | undefined>(
    (totals, next) => mergeCounterUpdate(totals, next) ?? totals,
    undefined,
  );

describe('counter item caps', () => {
  it('keeps the top contributors per attribute and moves the rest into the remainder, whatever the cardinality', () => {
    // Prepare: 500 batches, each from 3 callers no other batch has, and one caller in every batch.
    const updates = Array.from({ length: 500 }, (_, i) => update(`id-${i}`, ['hot', `x${i}a`, `x${i}b`], 10));

    // Act
    const totals = apply(updates);

    // Assess: the count is exact; the item holds at most the cap per attribute, and nothing is lost.
    const users = Object.keys(totals?.contributors ?? {}).filter((name) => name.startsWith('u|'));
    expect(totals?.count).toBe(5000);
    expect(users).toHaveLength(COUNTER_ITEM_CAPS.contributorsPerAttribute);
    expect(totals?.contributors['u|hot']).toBe(500 * 8);
    const kept = users.reduce((sum, name) => sum + (totals?.contributors[name] ?? 0), 0);
    expect(kept + (totals?.others.u ?? 0)).toBe(5000);
  });

  it('keeps the same names for the same updates in the same order, ties broken by name', () => {
    // Prepare: every caller once, so every count ties.
    const updates = Array.from({ length: 30 }, (_, i) =>
      update(`id-${i}`, [`user-${String(i).padStart(2, '0')}`]),
    );

    // Act
    const first = apply(updates);
    const second = apply(updates);

    // Assess
    expect(first).toEqual(second);
    expect(Object.keys(first?.contributors ?? {}).filter((name) => name.startsWith('u|'))).toEqual(
      Array.from({ length: 10 }, (_, i) => `u|user-${String(i).padStart(2, '0')}`),
    );
  });

  it('refuses an update whose id is in the window, and keeps only the newest ids', () => {
    // Prepare
    const updates = Array.from({ length: COUNTER_ITEM_CAPS.updateIds + 5 }, (_, i) =>
      update(`id-${i}`, ['a']),
    );
    const totals = apply(updates);

    // Act / Assess: a replay of the newest batch adds nothing; the window holds the newest ids only.
    expect(mergeCounterUpdate(totals, update(`id-${updates.length - 1}`, ['a']))).toBeUndefined();
    expect(totals?.updateIds).toHaveLength(COUNTER_ITEM_CAPS.updateIds);
    expect(totals?.updateIds.at(-1)).toBe(`id-${updates.length - 1}`);
    expect(totals?.updateIds).not.toContain('id-0');
  });

  it('round-trips the totals through the stored item', () => {
    // Prepare
    const totals = apply([update('id-1', ['a', 'b']), update('id-2', ['c'])]) as CounterTotals;

    // Act
    const item = counterItem('k1', 29_000_000, totals, 3, 1_900_000_000);

    // Assess
    expect(counterTotalsOf(item)).toEqual({ totals, version: 3 });
  });
});

describe('DynamoDbInsightStore.addCounts', () => {
  const dynamodb = mockClient(DynamoDBClient);
  afterEach(() => dynamodb.reset());
  const noWait = { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0, sleep: async () => {} };
  const store = () =>
    new DynamoDbInsightStore(
      new DynamoDBClient({ region: 'us-east-1' }),
      'table',
      { writeCatalog: async () => [], readCatalog: async () => [] },
      undefined,
      noWait,
    );

  it('puts the merged item on the version it read, and reads again when another writer won', async () => {
    // Prepare: the item is at version 4; the first put loses the race, the second wins on version 5.
    const stored = apply([update('id-1', ['a'])]) as CounterTotals;
    dynamodb
      .on(GetItemCommand)
      .resolvesOnce({ Item: counterItem('k1', 29_000_000, stored, 4, 1) })
      .resolves({ Item: counterItem('k1', 29_000_000, stored, 5, 1) });
    dynamodb
      .on(PutItemCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'raced', $metadata: {} }))
      .resolves({});

    // Act
    const written = await store().addCounts([update('id-2', ['b'])], 1_900_000_000);

    // Assess
    expect(written).toEqual([true]);
    const puts = dynamodb.commandCalls(PutItemCommand).map((call) => call.args[0].input);
    expect(puts.map((input) => input.ExpressionAttributeValues?.[':v'])).toEqual([{ N: '4' }, { N: '5' }]);
    expect(puts[1]?.Item?.n).toEqual({ N: '2' });
    expect(dynamodb.commandCalls(GetItemCommand)[0]?.args[0].input.ConsistentRead).toBe(true);
  });

  it('writes nothing for a batch the item already counted', async () => {
    // Prepare
    const stored = apply([update('id-1', ['a'])]) as CounterTotals;
    dynamodb.on(GetItemCommand).resolves({ Item: counterItem('k1', 29_000_000, stored, 1, 1) });

    // Act
    const written = await store().addCounts([update('id-1', ['a'])], 1_900_000_000);

    // Assess
    expect(written).toEqual([true]);
    expect(dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('reports the update failed when it loses every race, so the batch is retried', async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({});
    dynamodb
      .on(PutItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'raced', $metadata: {} }));

    // Act
    const written = await store().addCounts([update('id-1', ['a'])], 1_900_000_000);

    // Assess
    expect(written).toEqual([false]);
    expect(dynamodb.commandCalls(PutItemCommand)).toHaveLength(3);
  });
});
