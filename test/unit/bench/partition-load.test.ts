import { describe, expect, it } from 'vitest';
import { PartitionLoad, partitionWrites } from '../../../bench/support/partition-load.js';
import type { Item } from '../../fixtures/memory-store.js';

const s = (value: string) => ({ S: value });

/**
 * pk 2+5, sk 2+2, record 6+1100, namePk 6+3, userPk 6+3 = 1,135 bytes: 2 WCU. Each index entry holds pk, sk and
 * its own key: 7 + 4 + 9 = 20 bytes + 100 bytes of index overhead: 1 WCU.
 */
const eventItem = (sk: string): Item => ({
  pk: s('E#H#0'),
  sk: s(sk),
  record: s('x'.repeat(1100)),
  namePk: s('0#N'),
  userPk: s('0#U'),
});
/** pk 2+6, sk 2+2 = 12 bytes, in no index: 1 WCU. */
const resourceTypeItem = (sk: string): Item => ({ pk: s('RT#0#T'), sk: s(sk) });

describe('partitionWrites', () => {
  it('counts the table write and one write per index the item has keys for, sized in whole KB', () => {
    // Act
    const writes = partitionWrites(eventItem('s1'));
    const resourceWrites = partitionWrites(resourceTypeItem('s1'));

    // Assess
    expect(writes).toEqual([
      { space: 'table', partitionKey: 'E#H#0', wcu: 2 },
      { space: 'byEventName', partitionKey: '0#N', wcu: 1 },
      { space: 'byUser', partitionKey: '0#U', wcu: 1 },
    ]);
    expect(resourceWrites).toEqual([{ space: 'table', partitionKey: 'RT#0#T', wcu: 1 }]);
  });
});

describe('PartitionLoad', () => {
  it('sums write units per partition and second exactly, and ranks partitions by their busiest second', () => {
    // Prepare
    const load = new PartitionLoad(3);

    // Act
    load.add(0, [...partitionWrites(eventItem('a')), ...partitionWrites(resourceTypeItem('a'))]);
    load.add(1, partitionWrites(eventItem('b')));
    load.add(1, partitionWrites(eventItem('c')));

    // Assess
    expect(load.hottest(3)).toEqual([
      { space: 'table', partitionKey: 'E#H#0', peakWcuPerSecond: 4, meanWcuPerSecond: 2, share: 0.004 },
      { space: 'byEventName', partitionKey: '0#N', peakWcuPerSecond: 2, meanWcuPerSecond: 1, share: 0.002 },
      { space: 'byUser', partitionKey: '0#U', peakWcuPerSecond: 2, meanWcuPerSecond: 1, share: 0.002 },
    ]);
    expect(load.hottest(1, (_, key) => key.startsWith('RT#'))).toEqual([
      { space: 'table', partitionKey: 'RT#0#T', peakWcuPerSecond: 1, meanWcuPerSecond: 1 / 3, share: 0.001 },
    ]);
    expect(load.totals()).toEqual({ table: 7, byEventName: 3, byUser: 3 });
  });

  it('refuses a write outside the simulated seconds', () => {
    // Prepare
    const load = new PartitionLoad(2);

    // Act / Assess
    expect(() => load.add(2, partitionWrites(resourceTypeItem('a')))).toThrow(/outside the simulated 2 s/);
  });
});
