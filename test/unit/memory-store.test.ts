import { describe, expect, it } from 'vitest';
import { emptyMeter, meterRead, meterTotal } from '../../bench/support/capacity.js';
import { MemoryEventStore, type TableRead } from '../fixtures/memory-store.js';

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
    const reads: TableRead[] = [];
    const store = new MemoryEventStore({ onRead: (read) => reads.push(read) });
    put(store, 'E#X#0', 'S1', { namePk: { S: '0#Get' }, record: { S: 'r'.repeat(5000) } });

    // Act
    const page = await store.queryPartition({ index: 'byEventName', partitionKey: '0#Get' }, 'A', 'Z', 5);

    // Assess: the index entry holds the keys only, not the 5 KB record
    expect(page.eventIDs).toEqual(['S1']);
    expect(reads).toEqual([
      { operation: 'query', items: [{ pk: { S: 'E#X#0' }, sk: { S: 'S1' }, namePk: { S: '0#Get' } }] },
    ]);
  });

  it('meters the full items a table Query reads, rounded per Query', async () => {
    // Prepare
    const meter = emptyMeter();
    const store = new MemoryEventStore({ onRead: (read) => meterRead(meter, read) });
    for (const sk of ['A', 'B', 'C']) put(store, 'P', sk, { record: { S: 'r'.repeat(3000) } });

    // Act
    await store.queryPartition({ partitionKey: 'P' }, 'A', 'Z', 3);

    // Assess: about 9 KB read -> 3 units of 4 KB -> 1.5 RRU eventually consistent
    expect(meter).toMatchObject({ queries: 1, queryItems: 3, queryRru: 1.5 });
    expect(meterTotal(meter)).toBe(1.5);
  });
});
