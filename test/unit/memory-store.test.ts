import { describe, expect, it } from 'vitest';
import { emptyMeter, meterRead, meterTotal } from '../../bench/support/capacity.js';
import { MemoryEventStore } from '../fixtures/memory-store.js';

const put = (store: MemoryEventStore, pk: string, sk: string, extra: Record<string, { S: string }> = {}) =>
  store.putItem({ pk: { S: pk }, sk: { S: sk }, ...extra });

describe('MemoryEventStore as a reader', () => {
  it('answers a Query newest first within inclusive bounds when the partition has more items', async () => {
    // Prepare
    const store = new MemoryEventStore();
    for (const sk of ['A', 'B', 'C', 'D', 'E']) put(store, 'P', sk, { ids: { S: sk } });
    put(store, 'P', 'C2');

    // Act
    const page = await store.queryPartition({ partitionKey: 'P' }, 'B', 'D', 10);

    // Assess
    expect(page).toEqual({
      // An item that lists no events (C2) is not an entry.
      entries: ['D', 'C', 'B'].map((sk) => ({ sk, eventIDs: [sk] })),
      exhausted: true,
    });
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

  it('reads a posting list as the eventIDs it names, newest first', async () => {
    // Prepare
    const store = new MemoryEventStore();
    const ids = ['01JD0000000000000000000002', '01JD0000000000000000000001'];
    put(store, 'N#0#Get', `${ids[0]}#digest`, { ids: { S: ids.join('') } });

    // Act
    const page = await store.queryPartition({ partitionKey: 'N#0#Get' }, '0', '~', 5);

    // Assess
    expect(page).toEqual({ entries: [{ sk: `${ids[0]}#digest`, eventIDs: ids }], exhausted: true });
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
