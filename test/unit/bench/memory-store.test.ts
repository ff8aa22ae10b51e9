import { describe, expect, it } from 'vitest';
import { MemoryEventStore, meterTotal } from '../../../bench/support/memory-store.js';

const put = (store: MemoryEventStore, pk: string, sk: string, extra: Record<string, { S: string }> = {}) =>
  store.putItem({ pk: { S: pk }, sk: { S: sk }, ...extra });

describe('MemoryEventStore as a reader', () => {
  it('answers a Query newest first within inclusive bounds when the partition has more items', async () => {
    // Prepare
    const store = new MemoryEventStore();
    for (const sk of ['A', 'B', 'C', 'D', 'E']) put(store, 'P', sk);

    // Act
    const page = await store.queryPartition({ partitionKey: 'P' }, 'B', 'D', 10);

    // Assess
    expect(page).toEqual({ eventIDs: ['D', 'C', 'B'], exhausted: true });
  });

  it('reports more results when Limit is reached, as DynamoDB sets LastEvaluatedKey', async () => {
    // Prepare
    const store = new MemoryEventStore();
    for (const sk of ['A', 'B']) put(store, 'P', sk);

    // Act
    const page = await store.queryPartition({ partitionKey: 'P' }, 'A', 'Z', 2);

    // Assess
    expect(page.exhausted).toBe(false);
  });

  it('serves index queries from keys-only entries when an item carries the index key', async () => {
    // Prepare
    const store = new MemoryEventStore();
    put(store, 'E#X#0', 'S1', { namePk: { S: '0#Get' }, record: { S: 'r'.repeat(5000) } });

    // Act
    const page = await store.queryPartition({ index: 'byEventName', partitionKey: '0#Get' }, 'A', 'Z', 5);

    // Assess
    expect(page.eventIDs).toEqual(['S1']);
    expect(store.meter.queryRru).toBe(0.5); // the index entry is small, the 5 KB record is not read
  });

  it('meters the full items a table Query reads, rounded per Query', async () => {
    // Prepare
    const store = new MemoryEventStore();
    for (const sk of ['A', 'B', 'C']) put(store, 'P', sk, { record: { S: 'r'.repeat(3000) } });

    // Act
    await store.queryPartition({ partitionKey: 'P' }, 'A', 'Z', 3);

    // Assess: about 9 KB read -> 3 units of 4 KB -> 1.5 RRU eventually consistent
    expect(store.meter).toMatchObject({ queries: 1, queryItems: 3, queryRru: 1.5 });
    expect(meterTotal(store.meter)).toBe(1.5);
  });
});
