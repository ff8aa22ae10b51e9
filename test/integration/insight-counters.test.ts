import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbEventStore } from '../../lambda/adapters/dynamodb-event-store.js';
import { DynamoDbInsightStore } from '../../lambda/adapters/dynamodb-insight-store.js';
import { createEventsTable } from '../../lambda/adapters/table-admin.js';
import { COUNTER_ITEM_CAPS, type CounterUpdate } from '../../lambda/core/insights/counters.js';

/** Counter items against real DynamoDB semantics (moto): read-merge-write on a version, capped, idempotent. */

const client = new DynamoDBClient({});
const MINUTE = 29_500_000;
const KEY = {
  insightType: 'ApiCallRateInsight',
  eventSource: 'orders.example.com',
  eventName: 'Put',
} as const;
let counters: DynamoDbInsightStore;

beforeAll(async () => {
  await createEventsTable(client, 'counters');
  const events = new DynamoDbEventStore(client, 'counters');
  // 8 writers race for one item; full-jitter waits up to 40 ms spread them enough on a loaded machine.
  counters = new DynamoDbInsightStore(client, 'counters', events, undefined, {
    maxAttempts: 40,
    baseDelayMs: 2,
    maxDelayMs: 40,
  });
});

const update = (updateId: string, caller: string, keyId = 'key-a'): CounterUpdate => ({
  updateId,
  keyId,
  key: KEY,
  minute: MINUTE,
  count: 2,
  contributors: { [`u|${caller}`]: 2, [`a|agent-${caller}`]: 2 },
});

describe('insight counter items in DynamoDB', () => {
  it('adds every batch once, concurrent writers included, and keeps the top contributors only', async () => {
    // Prepare: 40 batches, each from a caller of its own, 8 at a time; then every batch again (a replay).
    const updates = Array.from({ length: 40 }, (_, i) => update(`id-${i}`, `caller-${i}`));

    // Act
    const written = await counters.addCounts(updates, 1_900_000_000);
    const replayed = await counters.addCounts(updates.slice(-5), 1_900_000_000);

    // Assess
    expect([...written, ...replayed].every(Boolean)).toBe(true);
    const minute = (await counters.readMinutes('key-a', MINUTE, MINUTE)).get(MINUTE);
    expect(minute?.count).toBe(80);
    const callers = Object.keys(minute?.contributors ?? {}).filter((name) => name.startsWith('u|'));
    expect(callers).toHaveLength(COUNTER_ITEM_CAPS.contributorsPerAttribute);
  });
});
