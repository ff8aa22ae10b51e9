import { describe, expect, it } from 'vitest';
import { PartitionLoad, partitionWrite } from '../../../bench/support/partition-load.js';
import type { Item } from '../../fixtures/memory-store.js';

const s = (value: string) => ({ S: value });

/** pk 2+5, sk 2+2, record 6+1100 = 1,117 bytes: 2 WCU. */
const eventItem = (sk: string): Item => ({ pk: s('E#H#0'), sk: s(sk), record: s('x'.repeat(1100)) });
/** pk 2+6, sk 2+2, ids 3+26 = 41 bytes: 1 WCU. */
const postingItem = (sk: string): Item => ({ pk: s('RT#0#T'), sk: s(sk), ids: s('X'.repeat(26)) });

describe('partitionWrite', () => {
  it('counts the table write of the item, sized in whole KB', () => {
    // Act / Assess
    expect(partitionWrite(eventItem('s1'))).toEqual({ space: 'table', partitionKey: 'E#H#0', wcu: 2 });
    expect(partitionWrite(postingItem('s1'))).toEqual({ space: 'table', partitionKey: 'RT#0#T', wcu: 1 });
  });
});

describe('PartitionLoad', () => {
  it('sums write units per partition and second exactly, and ranks partitions by their busiest second', () => {
    // Prepare
    const load = new PartitionLoad(3);

    // Act
    load.add(0, [partitionWrite(eventItem('a')), partitionWrite(postingItem('a'))]);
    load.add(1, [partitionWrite(eventItem('b'))]);
    load.add(1, [partitionWrite(eventItem('c'))]);

    // Assess
    expect(load.hottest(3)).toEqual([
      { space: 'table', partitionKey: 'E#H#0', peakWcuPerSecond: 4, meanWcuPerSecond: 2, share: 0.004 },
      { space: 'table', partitionKey: 'RT#0#T', peakWcuPerSecond: 1, meanWcuPerSecond: 1 / 3, share: 0.001 },
    ]);
    expect(load.hottest(1, (_, key) => key.startsWith('RT#'))).toEqual([
      { space: 'table', partitionKey: 'RT#0#T', peakWcuPerSecond: 1, meanWcuPerSecond: 1 / 3, share: 0.001 },
    ]);
    expect(load.totals()).toEqual({ table: 7 });
  });

  it('refuses a write outside the simulated seconds', () => {
    // Prepare
    const load = new PartitionLoad(2);

    // Act / Assess
    expect(() => load.add(2, [partitionWrite(postingItem('a'))])).toThrow(/outside the simulated 2 s/);
  });
});
