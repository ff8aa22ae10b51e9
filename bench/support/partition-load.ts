import { TABLE_LAYOUT } from '../../lambda/core/table-layout.js';
import type { Item } from '../../test/fixtures/memory-store.js';
import { itemBytes, writeUnits } from './capacity.js';

/**
 * Write load per DynamoDB partition key, per second: what decides whether a partition is hot. A table partition
 * key and an index partition key each take at most PARTITION_WCU_LIMIT write units per second (Developer Guide,
 * "Best practices for designing and using partition keys effectively": 1,000 WCU per partition; a GSI has its own
 * partitions with the same limit, and a throttled GSI throttles the table's writes).
 */
export const PARTITION_WCU_LIMIT = 1000;

/**
 * Where a partition key lives. The layout has no index, so every write lands on the table; an index would be a
 * space of its own, with partitions of its own.
 */
export type PartitionSpace = 'table';

/** One write an item causes: on the table's partition, or one per index it has keys for. */
export interface PartitionWrite {
  readonly space: PartitionSpace;
  readonly partitionKey: string;
  readonly wcu: number;
}

/** The write `item` makes on its table partition, sized as capacity.ts bills it. */
export function partitionWrite(item: Item): PartitionWrite {
  const pk = item[TABLE_LAYOUT.partitionKey]?.S;
  if (pk === undefined) throw new Error('an item needs a partition key');
  return { space: 'table', partitionKey: pk, wcu: writeUnits(itemBytes(item)) };
}

/** A partition's load over the simulated span. */
export interface PartitionHeat {
  readonly space: PartitionSpace;
  readonly partitionKey: string;
  /** Write units in the busiest second. */
  readonly peakWcuPerSecond: number;
  /** Write units per second over the whole span. */
  readonly meanWcuPerSecond: number;
  /** peakWcuPerSecond / PARTITION_WCU_LIMIT. */
  readonly share: number;
}

const SEPARATOR = '\u0000';

/** Sums write units per (space, partition key, second). */
export class PartitionLoad {
  private readonly wcu = new Map<string, number[]>();

  constructor(private readonly seconds: number) {
    if (!Number.isInteger(seconds) || seconds <= 0) throw new Error(`seconds must be a positive integer`);
  }

  add(second: number, writes: readonly PartitionWrite[]): void {
    if (!Number.isInteger(second) || second < 0 || second >= this.seconds) {
      throw new Error(`second ${second} is outside the simulated ${this.seconds} s`);
    }
    for (const write of writes) {
      const key = `${write.space}${SEPARATOR}${write.partitionKey}`;
      let perSecond = this.wcu.get(key);
      if (perSecond === undefined) {
        perSecond = new Array<number>(this.seconds).fill(0);
        this.wcu.set(key, perSecond);
      }
      perSecond[second] = (perSecond[second] ?? 0) + write.wcu;
    }
  }

  /** Total write units over the span, per space. */
  totals(): Record<string, number> {
    const totals: Record<string, number> = {};
    for (const [key, perSecond] of this.wcu) {
      const space = key.slice(0, key.indexOf(SEPARATOR));
      totals[space] = (totals[space] ?? 0) + perSecond.reduce((sum, units) => sum + units, 0);
    }
    return totals;
  }

  /**
   * The `count` partitions with the highest peak second, hottest first (ties by key, so the order is stable),
   * among those `where` accepts.
   */
  hottest(
    count: number,
    where: (space: PartitionSpace, partitionKey: string) => boolean = () => true,
  ): PartitionHeat[] {
    const heats: PartitionHeat[] = [];
    for (const [key, perSecond] of this.wcu) {
      const at = key.indexOf(SEPARATOR);
      const space = key.slice(0, at) as PartitionSpace;
      const partitionKey = key.slice(at + 1);
      if (!where(space, partitionKey)) continue;
      const peak = Math.max(...perSecond);
      heats.push({
        space,
        partitionKey,
        peakWcuPerSecond: peak,
        meanWcuPerSecond: perSecond.reduce((sum, units) => sum + units, 0) / this.seconds,
        share: peak / PARTITION_WCU_LIMIT,
      });
    }
    heats.sort(
      (a, b) =>
        b.peakWcuPerSecond - a.peakWcuPerSecond ||
        (`${a.space}${a.partitionKey}` < `${b.space}${b.partitionKey}` ? -1 : 1),
    );
    return heats.slice(0, count);
  }
}
